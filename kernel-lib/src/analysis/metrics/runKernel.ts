/**
 * The innermost loop of the JavaScript row kernel (rowAccumulators.ts; the fallback where
 * WebAssembly SIMD is missing and the reference for wasm/metrics_kernel.c): one contiguous run
 * [from, to) of a row's sources, in two parts split at `split` (sources left of pᵢ, then the rest)
 * so the caller gets the left sums for the distance. Unrolled by two with two accumulator sets so
 * the floating-point add chains overlap (about 20 % faster in V8 than one chain); logs from the
 * table in logTable.ts.
 */

/**
 * A row's accumulators: Σa, Σa·j, Σa·log₂a (table-biased, see logTable.ts), max, argmax, sign bits,
 * then Σa and Σa·j of the left part (what accumulateRun adds to); then what the row pass adds:
 * Σa over masked and future sources, Σa over the row's own segment, and Σa·(j − split) over all
 * and over the left part (the distances without the cancellation of Σa·j − split·Σa). The
 * WebAssembly kernel (wasm/metrics_kernel.c) writes the same layout.
 */
export const SUM = 0;
export const SUM_J = 1;
export const PLOGP = 2;
export const MAX = 3;
export const ARGMAX = 4;
export const SIGNS = 5;
export const LEFT_SUM = 6;
export const LEFT_SUM_J = 7;
export const MASKED = 8;
export const SEGMENT = 9;
export const OFFSET = 10;
export const LEFT_OFFSET = 11;
export const ACC_SIZE = 12;

/** Adds sources [from, to) of the row starting at `base` into acc; those below `split` also into the left sums. */
export function accumulateRun(
  data: Float32Array,
  bits: Int32Array,
  table: Float64Array,
  base: number,
  from: number,
  split: number,
  to: number,
  acc: Float64Array,
): void {
  let s0 = 0;
  let s1 = 0;
  let sj0 = 0;
  let sj1 = 0;
  let h0 = 0;
  let h1 = 0;
  let max0 = -1;
  let max1 = -1;
  let arg0 = -1;
  let arg1 = -1;
  let signs = 0;
  const mid = Math.min(to, Math.max(from, split));
  let end = mid;
  for (let part = 0; part < 2; part++) {
    let j = part === 0 ? from : mid;
    for (let k = base + j; j + 1 < end; j += 2, k += 2) {
      const a0 = data[k];
      const a1 = data[k + 1];
      const x0 = bits[k];
      const x1 = bits[k + 1];
      signs |= x0 | x1;
      s0 += a0;
      s1 += a1;
      sj0 += a0 * j;
      sj1 += a1 * (j + 1);
      const m0 = (x0 >>> 10) & 8190;
      const m1 = (x1 >>> 10) & 8190;
      h0 += a0 * ((x0 >>> 23) + table[m0] + (x0 & 2047) * table[m0 + 1]);
      h1 += a1 * ((x1 >>> 23) + table[m1] + (x1 & 2047) * table[m1 + 1]);
      if (a0 > max0) {
        max0 = a0;
        arg0 = j;
      }
      if (a1 > max1) {
        max1 = a1;
        arg1 = j + 1;
      }
    }
    if (j < end) {
      const a = data[base + j];
      const x = bits[base + j];
      signs |= x;
      s0 += a;
      sj0 += a * j;
      const m = (x >>> 10) & 8190;
      h0 += a * ((x >>> 23) + table[m] + (x & 2047) * table[m + 1]);
      if (a > max0) {
        max0 = a;
        arg0 = j;
      }
    }
    if (part === 0) {
      acc[LEFT_SUM] += s0 + s1;
      acc[LEFT_SUM_J] += sj0 + sj1;
    }
    end = to;
  }
  acc[SUM] += s0 + s1;
  acc[SUM_J] += sj0 + sj1;
  acc[PLOGP] += h0 + h1;
  // the earliest index wins ties: runs arrive left to right
  if (max1 > max0 || (max1 === max0 && arg1 < arg0)) {
    max0 = max1;
    arg0 = arg1;
  }
  if (max0 > acc[MAX]) {
    acc[MAX] = max0;
    acc[ARGMAX] = arg0;
  }
  if (signs < 0) acc[SIGNS] = -1;
}
