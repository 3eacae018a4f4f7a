/** The picture a sample's model saw, for the patch-grid view: from preprocessing, or back from pixel_values. */
import type { RgbImage } from "./decode";
import type { ImageProcessorConfig } from "./processorConfig";

/**
 * Undoes normalize and rescale when the processor is known (exact up to 8-bit rounding); otherwise stretches
 * each sample's values to 0–255 so the picture is at least recognizable.
 */
export function picturesFromPixels(
  data: Float32Array,
  dims: readonly number[],
  config: ImageProcessorConfig | null,
): RgbImage[] {
  const [batch, channels, height, width] = dims;
  const plane = height * width;
  const out: RgbImage[] = [];
  for (let b = 0; b < batch; b++) {
    const base = b * channels * plane;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    if (!config)
      for (let i = 0; i < channels * plane; i++) {
        lo = Math.min(lo, data[base + i]);
        hi = Math.max(hi, data[base + i]);
      }
    const rgb = new Uint8Array(plane * 3);
    for (let p = 0; p < plane; p++)
      for (let c = 0; c < 3; c++) {
        const x = data[base + Math.min(c, channels - 1) * plane + p];
        let v: number;
        if (config) {
          const n = config.normalize ? x * config.normalize.std[c] + config.normalize.mean[c] : x;
          v = n / (config.rescaleFactor ?? 1);
        } else v = hi > lo ? ((x - lo) / (hi - lo)) * 255 : 0;
        rgb[p * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    out.push({ width, height, data: rgb });
  }
  return out;
}
