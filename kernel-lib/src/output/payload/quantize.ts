/**
 * Per-map quantization for payload v1: each (sample, head) map gets its own scale, so a head with
 * small weights keeps its detail. uint8 stores round(w / max · 255) (error ≤ max/510); float16
 * stores w itself (relative error ≤ 2⁻¹¹) with scale 1.
 */
import type { EncodedMaps, MapDtype } from "@attnlens/widgets";
import { toHalf } from "./float16";

/** Bytes of base64 text for n raw bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

export function bytesPerValue(dtype: MapDtype): number {
  return dtype === "uint8" ? 1 : 2;
}

/** Quantizes a [B, H, Ty, Sx] block of weights (probability mass) into one payload block. */
export function quantizeMaps(
  data: Float32Array,
  dims: [number, number, number, number],
  dtype: MapDtype,
  bin: [number, number] = [1, 1],
): EncodedMaps {
  const [B, H, T, S] = dims;
  const size = T * S;
  const scale: number[] = [];
  const bytes = Buffer.alloc(B * H * size * bytesPerValue(dtype));
  for (let m = 0; m < B * H; m++) {
    const base = m * size;
    if (dtype === "float16") {
      scale.push(1);
      for (let i = 0; i < size; i++) {
        const v = data[base + i];
        bytes.writeUInt16LE(toHalf(Math.max(v, 0)), 2 * (base + i));
      }
      continue;
    }
    let max = 0;
    for (let i = 0; i < size; i++) if (data[base + i] > max) max = data[base + i];
    // The scale is stored as a JSON number: float32 precision is enough and keeps the text short.
    const s = Math.fround(max);
    scale.push(s);
    if (s === 0) continue;
    const k = 255 / s;
    for (let i = 0; i < size; i++) {
      const v = data[base + i];
      bytes[base + i] = v > 0 ? Math.min(255, Math.round(v * k)) : 0;
    }
  }
  return { dtype, dims: [B, H, T, S], bin, scale, data: bytes.toString("base64") };
}
