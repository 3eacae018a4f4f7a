/**
 * What a vision model wants as pixel_values and how its tokens map onto the image: channels, image
 * size and patch size from config.json (top level, or `vision_config` for two-tower models like CLIP).
 */
import { AttnlensError } from "../errors";

export interface VisionGeometry {
  channels: number;
  height: number;
  width: number;
  /** Patch side in pixels. */
  patch: number;
  /** Swin-style models: attention runs inside windows of this many patches per side. */
  window: number | null;
  /** Blocks per stage (Swin's `depths`), or null. */
  depths: number[] | null;
}

const pair = (v: unknown): [number, number] | null =>
  typeof v === "number" && v > 0
    ? [v, v]
    : Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number" && x > 0)
      ? [v[0], v[1]]
      : null;

/** The geometry, or null when config.json describes no vision model (no image_size / patch_size). */
export function visionGeometry(raw: Record<string, unknown>): VisionGeometry | null {
  const vision = (raw.vision_config && typeof raw.vision_config === "object" ? raw.vision_config : raw) as Record<
    string,
    unknown
  >;
  const size = pair(vision.image_size);
  const patch = pair(vision.patch_size);
  if (!size || !patch) return null;
  if (patch[0] !== patch[1])
    throw new AttnlensError("BAD_MODEL", `config.json: non-square patches ${patch.join("×")} are not supported`);
  return {
    channels: typeof vision.num_channels === "number" ? vision.num_channels : 3,
    height: size[0],
    width: size[1],
    patch: patch[0],
    window: typeof vision.window_size === "number" ? vision.window_size : null,
    depths:
      Array.isArray(vision.depths) && vision.depths.every((d) => Number.isInteger(d) && d > 0)
        ? (vision.depths as number[])
        : null,
  };
}

/** Patches per column and per row of the image. */
export function patchGrid(g: VisionGeometry): { rows: number; cols: number } {
  return { rows: Math.floor(g.height / g.patch), cols: Math.floor(g.width / g.patch) };
}
