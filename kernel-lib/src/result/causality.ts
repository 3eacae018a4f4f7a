/**
 * Whether a map is causal, read from the data: every target i gives (numerically) zero weight to
 * sources after it. With S > T (cached past keys) target i sits at position i + S − T.
 *
 * Rows of padded queries do not count: their weights mean nothing, and runtimes fill them with
 * whatever a fully masked row gives (uniform over every source in transformers' eager attention,
 * NaN after −inf masks). A left-padded batch, the way decoders are batched, starts each short
 * sample with such rows, which read as looking ahead. Padded key columns need no rule: a real
 * query gives them zero weight.
 */
import type { PositionMask } from "./types";

const ZERO = 1e-6;

/**
 * `queryMask` (the attention mask of the site's own stack, [B, L]): 1 where a position is a real
 * token; the T target rows are its last T positions (L ≥ T; the first L − T are cached keys).
 * A mask that does not fit the map is ignored. Null when no real row has a later source to check.
 */
export function looksCausal(
  data: Float32Array,
  dims: readonly [number, number, number, number],
  queryMask?: PositionMask,
): boolean | null {
  const [b, h, t, s] = dims;
  if (t < 2 || s < t) return null;
  const offset = s - t;
  const mask = queryMask && queryMask.dims[0] === b && queryMask.dims[1] >= t ? queryMask : undefined;
  const maskLen = mask?.dims[1] ?? 0;
  let checked = false;
  for (let bi = 0; bi < b; bi++) {
    for (let i = 0; i < t - 1; i++) {
      if (mask && !mask.data[bi * maskLen + maskLen - t + i]) continue;
      checked = true;
      for (let hi = 0; hi < h; hi++) {
        const row = ((bi * h + hi) * t + i) * s;
        for (let j = i + offset + 1; j < s; j++) if (data[row + j] > ZERO) return false;
      }
    }
  }
  return checked ? true : null;
}
