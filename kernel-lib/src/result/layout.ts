/**
 * Reading one site's output tensor as [batch, heads, target, source] float32, whatever layout the
 * model computed it in: heads folded into the batch ([B·H, T, S]), the Softmax over a
 * non-last axis, a single-head [T, S] map, or half/double precision.
 */
import type * as ort from "onnxruntime-node";
import { AttnlensError } from "../errors";
import type { AttentionSite } from "../graph/sites/types";

export function toFloat32(t: ort.Tensor): Float32Array {
  switch (t.type) {
    case "float32":
      return t.data as Float32Array;
    case "float64":
      return Float32Array.from(t.data as Float64Array);
    case "float16":
      return halfToFloat(t.data as Uint16Array);
    default:
      throw new AttnlensError("RUN_FAILED", `attention output has type ${t.type}; expected a floating-point tensor`);
  }
}

function halfToFloat(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const x = h[i];
    const sign = x & 0x8000 ? -1 : 1;
    const exp = (x >> 10) & 0x1f;
    const frac = x & 0x3ff;
    if (exp === 0) out[i] = sign * 2 ** -14 * (frac / 1024);
    else if (exp === 31) out[i] = frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else out[i] = sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return out;
}

export interface BhtsMap {
  data: Float32Array;
  dims: [number, number, number, number];
}

/** Brings the site's data to [B, H, T, S]; `batch` (from the feeds) splits folded heads. */
export function toBhts(
  site: AttentionSite,
  data: Float32Array,
  dims: readonly number[],
  batch: number | null,
): BhtsMap {
  const rank = dims.length;
  if (rank < 2 || rank > 4) {
    throw new AttnlensError(
      "RUN_FAILED",
      `site ${site.id}: probabilities have rank ${rank} [${dims.join(", ")}]; expected 2 to 4`,
    );
  }
  const axis = site.softmaxAxis < 0 ? site.softmaxAxis + rank : site.softmaxAxis;
  if (site.legacySoftmax && axis !== rank - 1) {
    throw new AttnlensError(
      "RUN_FAILED",
      `site ${site.id}: an opset < 13 Softmax over axis ${axis} of a rank-${rank} tensor normalizes several axes at once, which is not an attention distribution`,
    );
  }
  let d = [...dims];
  if (axis !== rank - 1) {
    ({ data, dims: d } = moveAxisLast(data, d, axis));
  }
  if (rank === 4) return { data, dims: d as [number, number, number, number] };
  if (rank === 2) return { data, dims: [1, 1, d[0], d[1]] };
  const [n, t, s] = d;
  let heads = site.heads > 0 && n % site.heads === 0 ? site.heads : 0;
  if (!heads && batch && n % batch === 0) heads = n / batch;
  if (!heads) heads = n;
  return { data, dims: [n / heads, heads, t, s] };
}

function moveAxisLast(data: Float32Array, dims: number[], axis: number): { data: Float32Array; dims: number[] } {
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const len = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(data.length);
  // [outer, len, inner] → [outer, inner, len]
  for (let o = 0; o < outer; o++) {
    const base = o * len * inner;
    for (let a = 0; a < len; a++) for (let i = 0; i < inner; i++) out[base + i * len + a] = data[base + a * inner + i];
  }
  return { data: out, dims: [...dims.slice(0, axis), ...dims.slice(axis + 1), len] };
}
