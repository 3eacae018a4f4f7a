/**
 * Vision runs: image files or pixel_values in → pixel_values checked against the model's geometry →
 * (two-tower models: the text tokenized for the text tower) → run → tokens labelled [CLS] / patch (row, col)
 * and `result.image` (the grid and the pictures) for the patch-grid view.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type * as ort from "onnxruntime-node";
import { AttnlensError } from "../errors";
import { readJsonFile } from "../load/config";
import type { AttentionResult, ImageLayout } from "../result/types";
import type { AttentionModel, RunOptions } from "../run/attentionModel";
import type { ModelInfo } from "../run/textModel";
import { encodeBatch } from "../text/batch";
import { buildFeeds } from "../text/textFeeds";
import type { TextTokenizer } from "../text/textTokenizer";
import { decodeImage, type RgbImage } from "./decode";
import { patchGrid, type VisionGeometry, visionGeometry } from "./geometry";
import type { ImageInput } from "./imageInput";
import { patchTokens } from "./patchTokens";
import { picturesFromPixels } from "./pictures";
import { expectedShape, pixelTensor } from "./pixelValues";
import { preprocessImage } from "./preprocess";
import { type ImageProcessorConfig, imageProcessorConfig } from "./processorConfig";

export const PREPROCESSOR_FILE = "preprocessor_config.json";

/** The model's image processor, or null when its directory has no preprocessor_config.json. */
export function readImageProcessor(dir: string): ImageProcessorConfig | null {
  const file = path.join(dir, PREPROCESSOR_FILE);
  return existsSync(file) ? imageProcessorConfig(readJsonFile(file)) : null;
}

function geometryOf(model: AttentionModel, info: ModelInfo): VisionGeometry {
  if (!model.inputs.some((i) => i.name === "pixel_values")) {
    throw new AttnlensError(
      "BAD_INPUT",
      `${info.name} takes no pixel_values (its inputs: ${model.inputs.map((i) => i.name).join(", ")}): give it text or feeds`,
    );
  }
  const g = visionGeometry(info.config.raw);
  if (!g) {
    throw new AttnlensError(
      "BAD_MODEL",
      `${info.name}: config.json gives no image_size / patch_size (top level or vision_config), so patches cannot be placed`,
    );
  }
  return g;
}

/** Image files (paths or bytes) → pixel_values through the processor config, and the pictures the model sees. */
function fromImages(
  images: readonly (string | Uint8Array)[],
  processor: ImageProcessorConfig | null,
  g: VisionGeometry,
  info: ModelInfo,
): { tensor: ort.Tensor; pictures: RgbImage[] } {
  if (!processor) {
    throw new AttnlensError(
      "MISSING_FILES",
      `${info.name} has no ${PREPROCESSOR_FILE} in ${info.dir}: an image cannot be resized and normalized for it; ` +
        `add the file exported with the model, or pass pixel_values ${expectedShape(g)}`,
    );
  }
  const samples = images.map((img, i) => {
    const name = typeof img === "string" ? img : `image ${i}`;
    let bytes: Uint8Array;
    try {
      bytes = typeof img === "string" ? readFileSync(img) : img;
    } catch (e) {
      throw new AttnlensError("BAD_INPUT", `cannot read ${name}: ${(e as Error).message}`);
    }
    return preprocessImage(decodeImage(bytes, name), processor);
  });
  const data = new Float32Array(samples.reduce((n, s) => n + s.data.length, 0));
  let off = 0;
  for (const s of samples) {
    data.set(s.data, off);
    off += s.data.length;
  }
  const first = samples[0];
  const dims = [samples.length, 3, first.height, first.width];
  const tensor = pixelTensor(data, dims, g, `${info.name} (after its ${processor.type})`);
  return { tensor, pictures: picturesFromPixels(data, dims, processor) };
}

/** Runs an ImageInput on a one-file vision model (ViT, Swin, CLIP with `text`). */
export async function runImage(
  model: AttentionModel,
  info: ModelInfo,
  tokenizer: TextTokenizer | null,
  input: ImageInput,
  options: RunOptions,
): Promise<AttentionResult> {
  const g = geometryOf(model, info);
  const processor = readImageProcessor(info.dir);
  if ((input.image == null) === (input.pixel_values == null))
    throw new AttnlensError("BAD_INPUT", `${info.name}: give either image or pixel_values, not both or neither`);
  let pixels: { tensor: ort.Tensor; pictures: RgbImage[] };
  if (input.image != null) {
    const list = typeof input.image === "string" || input.image instanceof Uint8Array ? [input.image] : input.image;
    if (list.length === 0) throw new AttnlensError("BAD_INPUT", `${info.name}: image is an empty list`);
    pixels = fromImages(list, processor, g, info);
  } else {
    const tensor = pixelTensor(input.pixel_values as Float32Array, input.dims, g, info.name);
    pixels = { tensor, pictures: picturesFromPixels(tensor.data as Float32Array, tensor.dims, processor) };
  }
  const feeds: Record<string, ort.Tensor> = { pixel_values: pixels.tensor };
  const others = model.inputs.filter((i) => i.name !== "pixel_values");
  if (others.length > 0) {
    if (input.text == null || !tokenizer) {
      throw new AttnlensError(
        "BAD_INPUT",
        `${info.name} also has a text tower (inputs ${others.map((i) => i.name).join(", ")}): ` +
          (tokenizer ? "pass { image, text }" : "it needs its tokenizer.json and { image, text }"),
      );
    }
    const texts = typeof input.text === "string" ? [input.text] : [...input.text];
    const enc = encodeBatch(tokenizer, texts, { padId: info.padId, model: info.name, maxPositions: info.maxPositions });
    Object.assign(feeds, buildFeeds(others, { primary: enc.batch }, info.name));
  } else if (input.text != null) {
    throw new AttnlensError("BAD_INPUT", `${info.name} has no text input: drop text`);
  }
  const result = await model.run(feeds, options);
  return labelPatches(result, g, pixels.pictures);
}

/**
 * Tokens [CLS] / patch (row, col) on the encoder stream when every encoder site has the same, patch-sized
 * length (ViT; CLIP when only vision sites were asked for). Swin's per-window maps carry no per-sample
 * tokens: their batch axis is batch·windows (see docs/vision.md).
 */
export function labelPatches(result: AttentionResult, g: VisionGeometry, pictures: RgbImage[]): AttentionResult {
  const { rows, cols } = patchGrid(g);
  const lengths = new Set(result.sites.filter((s) => s.stack === "encoder").map((s) => s.dims[2]));
  // The vision tower's length: the shortest that holds every patch (a CLIP text tower is shorter or longer).
  const vision = Math.min(...[...lengths].filter((n) => n >= rows * cols));
  const tokens = g.window == null && lengths.size === 1 ? patchTokens(vision, rows, cols) : null;
  const image: ImageLayout = {
    rows,
    cols,
    prefix: g.window == null && Number.isFinite(vision) ? vision - rows * cols : 0,
    patch: g.patch,
    window: g.window,
    depths: g.window == null ? null : g.depths,
    pictures,
  };
  return {
    ...result,
    image,
    ...(tokens ? { tokens: { source: pictures.map(() => tokens) } } : {}),
  };
}
