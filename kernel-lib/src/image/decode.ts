/**
 * Image files → RGB pixels. PNG (pngjs) and baseline/progressive JPEG (jpeg-js), both pure JavaScript.
 * Alpha is dropped, as PIL's `convert("RGB")` drops it; grey and palette images come out as RGB.
 */
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { AttnlensError } from "../errors";

/** An 8-bit RGB image, row-major, interleaved: data[(y·width + x)·3 + c]. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];

/** Largest image decoded (pixels): a 100-megapixel file is a mistake, not an input to a 224² model. */
export const MAX_IMAGE_PIXELS = 100_000_000;

export function imageFormat(bytes: Uint8Array): "png" | "jpeg" | null {
  const starts = (m: number[]) => m.every((b, i) => bytes[i] === b);
  return starts(PNG_MAGIC) ? "png" : starts(JPEG_MAGIC) ? "jpeg" : null;
}

/** Decodes PNG or JPEG bytes; `name` is only for the error message. */
export function decodeImage(bytes: Uint8Array, name = "image"): RgbImage {
  const format = imageFormat(bytes);
  if (!format) {
    throw new AttnlensError(
      "BAD_INPUT",
      `${name} is neither PNG nor JPEG (by its first bytes): convert it to one of those`,
    );
  }
  let rgba: { width: number; height: number; data: Uint8Array };
  try {
    rgba =
      format === "png"
        ? PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
        : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 });
  } catch (e) {
    throw new AttnlensError("BAD_INPUT", `cannot decode ${name} as ${format.toUpperCase()}: ${(e as Error).message}`);
  }
  const { width, height } = rgba;
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new AttnlensError("TOO_LARGE", `${name} is ${width}×${height}: above ${MAX_IMAGE_PIXELS} pixels`);
  }
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    data[p * 3] = rgba.data[p * 4];
    data[p * 3 + 1] = rgba.data[p * 4 + 1];
    data[p * 3 + 2] = rgba.data[p * 4 + 2];
  }
  return { width, height, data };
}
