/**
 * The payload's pictures (vision runs): each sample's picture as a PNG data: URL, for the patch-grid
 * view. Capped: a picture is at the model's input size (224² RGB ≈ 150 KB raw), so a larger one means
 * something is wrong; it is left out with a note rather than bloating every notebook that shows it.
 */
import type { PayloadImage } from "@attnlens/widgets";
import { PNG } from "pngjs";
import type { AttentionResult } from "../../result/types";

/** Largest encoded picture (bytes of PNG) put into a payload. */
export const PICTURE_MAX_BYTES = 512 * 1024;

function pngUrl(p: { width: number; height: number; data: Uint8Array }): string {
  const png = new PNG({ width: p.width, height: p.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength);
  return `data:image/png;base64,${PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false }).toString("base64")}`;
}

/** The payload's image for the chosen samples, or null (with a note) when there is none or it is too big. */
export function payloadImage(result: AttentionResult, samples: number[], notes: string[]): PayloadImage | null {
  const img = result.image;
  if (!img) return null;
  const pictures = samples.map((b) => img.pictures[b]);
  if (pictures.some((p) => !p)) return null;
  const urls = pictures.map(pngUrl);
  const biggest = Math.max(...urls.map((u) => u.length * 0.75));
  if (biggest > PICTURE_MAX_BYTES) {
    notes.push(`pictures left out: ${Math.round(biggest / 1024)} KiB each, above ${PICTURE_MAX_BYTES / 1024} KiB`);
    return null;
  }
  const { width, height } = pictures[0];
  return { urls, width, height, rows: img.rows, cols: img.cols, prefix: img.prefix };
}
