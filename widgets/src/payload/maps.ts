/** Decoding the quantized maps of a payload into float32 weights (cached per block). */
import { decodeBase64 } from "./base64";
import { fromHalf } from "./float16";
import type { EncodedMaps } from "./types";

const cache = new WeakMap<EncodedMaps, Float32Array>();

/** All maps of a block as probability mass, [B, H, Ty, Sx] row-major; decoded once per block. */
export function decodeMaps(maps: EncodedMaps): Float32Array {
  const hit = cache.get(maps);
  if (hit) return hit;
  const [B, H, T, S] = maps.dims;
  const size = T * S;
  const bytes = decodeBase64(maps.data);
  const width = maps.dtype === "uint8" ? 1 : 2;
  if (bytes.length !== B * H * size * width) {
    throw new Error(
      `attnlens payload: a ${maps.dtype} block of dims [${maps.dims.join(", ")}] needs ${B * H * size * width} bytes, got ${bytes.length}`,
    );
  }
  const out = new Float32Array(B * H * size);
  for (let m = 0; m < B * H; m++) {
    const scale = maps.scale[m];
    const base = m * size;
    if (maps.dtype === "uint8") {
      const k = scale / 255;
      for (let i = 0; i < size; i++) out[base + i] = bytes[base + i] * k;
    } else {
      for (let i = 0; i < size; i++) {
        const p = 2 * (base + i);
        out[base + i] = fromHalf(bytes[p] | (bytes[p + 1] << 8)) * scale;
      }
    }
  }
  cache.set(maps, out);
  return out;
}

/** Map (b, h) of a block: a [Ty, Sx] view into the decoded buffer. */
export function mapAt(maps: EncodedMaps, b: number, h: number): Float32Array {
  const [, H, T, S] = maps.dims;
  const size = T * S;
  const start = (b * H + h) * size;
  return decodeMaps(maps).subarray(start, start + size);
}
