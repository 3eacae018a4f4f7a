/**
 * An RGB image → pixel_values [3, H, W] (float32, channels first), step by step as transformers'
 * BaseImageProcessor does: resize (Pillow's filters), centre crop, rescale, normalize.
 */
import type { RgbImage } from "./decode";
import type { ImageProcessorConfig, ResizeTarget } from "./processorConfig";
import { resize } from "./resample";

/** transformers' get_resize_output_image_size: the shorter edge becomes `shortestEdge`, the longer is truncated. */
export function resizeSize(width: number, height: number, target: ResizeTarget): { width: number; height: number } {
  if ("height" in target) return target;
  const s = target.shortestEdge;
  return width <= height
    ? { width: s, height: Math.trunc((s * height) / width) }
    : { width: Math.trunc((s * width) / height), height: s };
}

/** transformers' center_crop: offsets floor((in − out) / 2), zero padding where the crop is larger. */
export function centerCrop(img: RgbImage, width: number, height: number): RgbImage {
  const top = Math.floor((img.height - height) / 2);
  const left = Math.floor((img.width - width) / 2);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const sy = y + top;
      const sx = x + left;
      if (sy < 0 || sx < 0 || sy >= img.height || sx >= img.width) continue;
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = img.data[(sy * img.width + sx) * 3 + c];
    }
  return { width, height, data };
}

/** Runs the processor's steps; the result is one sample's pixel_values, [3, height, width] row-major. */
export function preprocessImage(
  img: RgbImage,
  config: ImageProcessorConfig,
): { data: Float32Array; height: number; width: number } {
  let out = img;
  if (config.resize) {
    const size = resizeSize(out.width, out.height, config.resize);
    if (size.width !== out.width || size.height !== out.height)
      out = resize(out, size.width, size.height, config.resample);
  }
  if (config.crop) out = centerCrop(out, config.crop.width, config.crop.height);
  const { width, height } = out;
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  const scale = config.rescaleFactor ?? 1;
  for (let c = 0; c < 3; c++) {
    const mean = config.normalize ? config.normalize.mean[c] : 0;
    const std = config.normalize ? config.normalize.std[c] : 1;
    for (let p = 0; p < plane; p++) {
      // Rescale in double then round to float32 (transformers: float64 × scale, then .astype(float32)).
      const x = Math.fround(out.data[p * 3 + c] * scale);
      data[c * plane + p] = Math.fround(Math.fround(x - Math.fround(mean)) / Math.fround(std));
    }
  }
  return { data, height, width };
}
