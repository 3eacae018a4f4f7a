/**
 * preprocessor_config.json (ViTImageProcessor, CLIPImageProcessor and their kin): the steps that turn an
 * image into pixel_values, with transformers' defaults where a field is absent.
 */
import { AttnlensError } from "../errors";
import { RESAMPLE } from "./resample";

/** Output size of the resize step: exact, or the shorter edge scaled to `shortestEdge` (aspect kept). */
export type ResizeTarget = { height: number; width: number } | { shortestEdge: number };

export interface ImageProcessorConfig {
  /** image_processor_type as written (for messages). */
  type: string;
  resize: ResizeTarget | null;
  /** PIL.Image.Resampling: 2 bilinear, 3 bicubic. */
  resample: number;
  /** Centre crop to this size after resizing, or none. */
  crop: { height: number; width: number } | null;
  /** Multiply 8-bit values by this (1/255), or none. */
  rescaleFactor: number | null;
  /** Per-channel (x − mean) / std, or none. */
  normalize: { mean: number[]; std: number[] } | null;
}

const posInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v > 0;

function hw(v: unknown, square: boolean, field: string): ResizeTarget {
  if (posInt(v)) return square ? { height: v, width: v } : { shortestEdge: v };
  const o = (v ?? {}) as Record<string, unknown>;
  if (posInt(o.height) && posInt(o.width)) return { height: o.height, width: o.width };
  if (posInt(o.shortest_edge) && o.longest_edge == null) return { shortestEdge: o.shortest_edge };
  throw new AttnlensError(
    "BAD_MODEL",
    `preprocessor_config.json: ${field} ${JSON.stringify(v)} is not {height, width} or {shortest_edge}; ` +
      "pass pixel_values instead of an image",
  );
}

function triple(v: unknown, field: string): number[] {
  const a = typeof v === "number" ? [v, v, v] : v;
  if (!Array.isArray(a) || a.length !== 3 || !a.every((x) => typeof x === "number" && Number.isFinite(x)))
    throw new AttnlensError(
      "BAD_MODEL",
      `preprocessor_config.json: ${field} must be 3 numbers, got ${JSON.stringify(v)}`,
    );
  return a;
}

/** Reads the parsed JSON; only the fields a ViT/CLIP-style processor uses. */
export function imageProcessorConfig(raw: Record<string, unknown>): ImageProcessorConfig {
  const type = String(raw.image_processor_type ?? raw.feature_extractor_type ?? "image processor");
  // transformers reads a bare integer size as a square for ViT-like processors, as the shortest edge for CLIP-like.
  const square = !/CLIP/i.test(type);
  const resample = raw.resample ?? RESAMPLE.bilinear;
  if (raw.do_resize !== false && resample !== RESAMPLE.bilinear && resample !== RESAMPLE.bicubic) {
    throw new AttnlensError(
      "BAD_MODEL",
      `preprocessor_config.json: resample ${JSON.stringify(resample)} is not supported (2 bilinear and 3 bicubic are); ` +
        "pass pixel_values made by the Python processor instead",
    );
  }
  const crop = raw.do_center_crop === true ? hw(raw.crop_size, true, "crop_size") : null;
  return {
    type,
    resize: raw.do_resize === false ? null : hw(raw.size ?? { height: 224, width: 224 }, square, "size"),
    resample: resample as number,
    crop: crop && "height" in crop ? crop : null,
    rescaleFactor:
      raw.do_rescale === false ? null : typeof raw.rescale_factor === "number" ? raw.rescale_factor : 1 / 255,
    normalize:
      raw.do_normalize === false
        ? null
        : {
            mean: triple(raw.image_mean ?? [0.5, 0.5, 0.5], "image_mean"),
            std: triple(raw.image_std ?? [0.5, 0.5, 0.5], "image_std"),
          },
  };
}
