/** What `model.run` accepts for vision models: image files, or ready-made pixel_values. */
import type * as ort from "onnxruntime-node";
import type { NestedPixels } from "./pixelValues";

/**
 * A vision model's input to `model.run`: `image` (files or bytes, preprocessed as the model's
 * preprocessor_config.json says) or `pixel_values` (ready-made, shape-checked); `text` for CLIP's text tower.
 */
export interface ImageInput {
  /** PNG or JPEG: file paths or bytes, one per sample; resized and normalized per preprocessor_config.json. */
  image?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Ready pixel_values [batch, channels, height, width]: a Float32Array (with `dims`), nested arrays or a tensor. */
  pixel_values?: Float32Array | NestedPixels | ort.Tensor;
  /** dims of a Float32Array `pixel_values`. */
  dims?: readonly number[];
  /** Two-tower models (CLIP): the text tower's input, one string or one per text sample. */
  text?: string | readonly string[];
}

const KEYS = new Set(["image", "pixel_values", "dims", "text"]);

/** An object with `image` or `pixel_values` and nothing but ImageInput's keys. */
export function isImageInput(input: unknown): input is ImageInput {
  if (!input || typeof input !== "object" || Array.isArray(input)) return false;
  const keys = Object.keys(input);
  return ("image" in input || "pixel_values" in input) && keys.every((k) => KEYS.has(k));
}
