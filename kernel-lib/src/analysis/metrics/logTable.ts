/**
 * log₂ of float32 values from their bits, by table. Math.log costs more than the rest of the
 * per-element work in the metric pass; 4096 mantissa bins with linear interpolation on the low
 * 11 bits give |error| ≤ 1.1e-8, far below float32 resolution of the weights themselves.
 *
 *   x = 2^(e−127)·(1 + m/2²³)  ⇒  log₂ x = (e − 127) + log₂(1 + m/2²³)
 *
 * The base entries carry the −127 bias so one addition of the exponent field finishes the value.
 * Zero (all bits 0) maps to −127, so a·log₂a = 0 as it should. Denormals are treated as if
 * normal: their a·log₂a is below 1e−36.
 */
const BINS = 4096;
const LOW_BITS = 2048; // 2²³ / 4096: mantissa bits below the bin index

/** Interleaved [base, slope] per bin (one cache line holds both); index 2·bin = (b >>> 10) & 8190. */
export const LOG2_TABLE = new Float64Array(2 * BINS);

for (let m = 0; m < BINS; m++) {
  const lo = Math.log2(1 + m / BINS);
  const hi = Math.log2(1 + (m + 1) / BINS);
  LOG2_TABLE[2 * m] = lo - 127;
  LOG2_TABLE[2 * m + 1] = (hi - lo) / LOW_BITS;
}

/** log₂ of the float32 whose bits are `b` (an Int32Array element); valid for b ≥ 0. */
export function log2FromBits(b: number): number {
  const m = (b >>> 10) & 8190;
  return (b >>> 23) + LOG2_TABLE[m] + (b & 2047) * LOG2_TABLE[m + 1];
}

/** An Int32Array view on the same bytes, to read float bits without copying. */
export function bitsOf(data: Float32Array): Int32Array {
  return new Int32Array(data.buffer, data.byteOffset, data.length);
}

/** The table lnTable hands out, grown as callers ask (shared: never written once made). */
let lnOf = new Float64Array(1);

/**
 * ln(n) for n = 0..max at least (ln 0 stored as 0: never used as a divisor): one table for every
 * site, not one per site; read-only.
 */
export function lnTable(max: number): Float64Array {
  if (lnOf.length <= max) {
    lnOf = new Float64Array(Math.max(max + 1, 2 * lnOf.length));
    for (let n = 1; n < lnOf.length; n++) lnOf[n] = Math.log(n);
  }
  return lnOf;
}
