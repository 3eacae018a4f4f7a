/**
 * The row metrics of a metric pass, from the row sums the kernels wrote (RowAccumulators): the
 * checks (finite, sums to 1, no mass on masked or future sources), then entropy, distances,
 * confidence, argmax and segment mass from the sums, and the single weights and special-token
 * masses as the kernels read them. The native kernel derives the rows it does not leave to the
 * JavaScript kernel itself, on its threads (native/row_metrics.h: the same float64 operations in
 * the same order); this file derives every other row.
 *
 * Each row's visible sources are split at pᵢ's ceiling, split, so the distances come from sums
 * whose terms never cancel:
 *   Σ aᵢⱼ|j − pᵢ| = (R_o − L_o) + (split − pᵢ)·(R₀ − L₀),  Σ aᵢⱼ(j − pᵢ) = (L_o + R_o) + (split − pᵢ)·(L₀ + R₀)
 * with L₀ = Σ_{j<split} aᵢⱼ, L_o = Σ_{j<split} aᵢⱼ·(j − split) (R for j ≥ split).
 */
import type { SiteAttention } from "../../result/types";
import type { SiteGeometry } from "./geometry";
import { lnTable } from "./logTable";
import type { RowAccumulators } from "./rowAccumulators";
import { ACC_SIZE, ARGMAX, LEFT_OFFSET, LEFT_SUM, MASKED, MAX, OFFSET, PLOGP, SEGMENT, SIGNS, SUM } from "./runKernel";
import { HEAD_SUMS, ROW_METRIC_KEYS, type RowMetrics } from "./types";
import { rowError, rowPlace } from "./validate";

/** Doubles per target row in a sample's targets table (native/row_metrics.h, TARGET_DOUBLES). */
export const TARGET_DOUBLES = 4;

/** Where a pass's row metrics go. */
export interface RowOutputs {
  rows: RowMetrics;
  /** The source of each row's largest weight, [B, H, T] (−1 for padding rows). */
  argmax: Int32Array;
  /**
   * Per sample, per target row i: valid (1 or 0), ⌈pᵢ⌉ − pᵢ, ln(visible sources) (NaN below 2),
   * own segment (1 when the row has one, else 0): what the rows of every head of the sample share.
   */
  targets: Float64Array[];
  /**
   * The head sums of the rows (headMetrics.ts sampleHeadSums): the native kernel writes those of
   * the (sample, head)s it derives whole; the others are marked (count −1) for summarizeHeadSums.
   */
  headSums: Float64Array;
}

/** Above this many bytes allocateRows gives each array a buffer of its own (one huge buffer is harder to find room for). */
const ONE_BUFFER_MAX = 64 << 20;
/**
 * Bytes between two arrays in the one buffer. Without them, arrays of a multiple of 4 KiB start
 * at addresses equal modulo 4 KiB, and the native kernel, which writes all fourteen at the same
 * row, keeps evicting its own lines from one cache set (measured: 4 % slower at 512 tokens).
 */
const STAGGER = 64;

/**
 * RowMetrics for n rows over bt (sample, target) pairs, zero-filled: views on one buffer (one
 * allocation for the fifteen arrays: analyzeResult makes them for every site of every call).
 */
export function allocateRows(n: number, bt: number): RowMetrics {
  const bytes = 14 * (4 * n + STAGGER) + 4 * bt;
  const buffer = bytes <= ONE_BUFFER_MAX ? new ArrayBuffer(bytes) : null;
  let at = 0;
  const f = () => {
    const a = buffer ? new Float32Array(buffer, at, n) : new Float32Array(n);
    at += 4 * n + STAGGER;
    return a;
  };
  return {
    entropy: f(),
    normalizedEntropy: f(),
    distance: f(),
    signedDistance: f(),
    confidence: f(),
    self: f(),
    previous: f(),
    next: f(),
    first: f(),
    cls: f(),
    sep: f(),
    punctuation: f(),
    sink: f(),
    segment: f(),
    sources: buffer ? new Int32Array(buffer, at, bt) : new Int32Array(bt),
  };
}

/** A site's row outputs, every sample's targets table made and `rows.sources` set. */
export function rowOutputs(geo: SiteGeometry): RowOutputs {
  const [B, H, T, S] = geo.dims;
  const rows = allocateRows(B * H * T, B * T);
  const ln = lnTable(S);
  const targets = geo.samples.map((g, b) => {
    const table = new Float64Array(TARGET_DOUBLES * T);
    for (let i = 0; i < T; i++) {
      const n = g.targetValid[i] ? g.validBefore[geo.causal ? Math.min(S, i + geo.offset + 1) : S] : 0;
      rows.sources[b * T + i] = n;
      const at = TARGET_DOUBLES * i;
      table[at] = g.targetValid[i] ? 1 : 0;
      table[at + 1] = Math.ceil(g.position[i]) - g.position[i];
      table[at + 2] = n > 1 ? ln[n] : Number.NaN;
      table[at + 3] = g.targetSegment && g.targetSegment[i] >= 0 ? 1 : 0;
    }
    return table;
  });
  const headSums = new Float64Array(B * H * HEAD_SUMS);
  for (let at = 1; at < headSums.length; at += HEAD_SUMS) headSums[at] = -1;
  return { rows, argmax: new Int32Array(B * H * T), targets, headSums };
}

/**
 * The arrays the native kernel writes for sample b, in native/row_metrics.h's order: the row
 * metrics, argmax, then the sample's head sums (H heads).
 */
export function nativeRowArrays(out: RowOutputs, b: number, H: number): (Float32Array | Int32Array | Float64Array)[] {
  const sample = out.headSums.subarray(b * H * HEAD_SUMS, (b + 1) * H * HEAD_SUMS);
  return [...ROW_METRIC_KEYS.map((key) => out.rows[key]), out.argmax, sample];
}

function hasNegative(data: Float32Array, base: number, length: number): boolean {
  for (let k = base; k < base + length; k++) if (data[k] < 0) return true;
  return false;
}

/**
 * Checks and derives the rows of sample b from the pass's sums: every row, or only `only` (row
 * numbers of the site, ascending: those the native kernel left). The first row that fails a
 * check throws (validate.ts's message).
 */
export function deriveRows(
  site: SiteAttention,
  geo: SiteGeometry,
  tolerance: number,
  acc: RowAccumulators,
  out: RowOutputs,
  b: number,
  only?: Int32Array,
): void {
  const [, H, T, S] = geo.dims;
  const { sums, points, masses } = acc;
  const { rows, argmax } = out;
  const tg = out.targets[b];
  const { entropy, normalizedEntropy, distance, signedDistance, confidence, segment } = rows;
  const { self, previous, next, first, cls, sep, punctuation, sink } = rows;
  const count = only ? only.length : H * T;
  for (let k = 0; k < count; k++) {
    const r = only ? only[k] : b * H * T + k;
    const i = r % T;
    const t = TARGET_DOUBLES * i;
    if (tg[t] === 0) {
      for (const key of ROW_METRIC_KEYS) rows[key][r] = Number.NaN;
      argmax[r] = -1;
      continue;
    }
    const at = r * ACC_SIZE;
    const sum = sums[at + SUM];
    const masked = sums[at + MASKED];
    const total = sum + masked;
    const negative = sums[at + SIGNS] < 0 && hasNegative(site.data, r * S, S); // the sign bit is also set on −0
    if (!(Math.abs(total - 1) <= tolerance) || negative || masked > tolerance) {
      const h = Math.floor(r / T) % H;
      const place = rowPlace(site.id, b + (geo.origin?.sample ?? 0), h, i + (geo.origin?.row ?? 0));
      throw rowError(place, total, negative, masked, tolerance);
    }
    const shift = tg[t + 1];
    const h2 = -sums[at + PLOGP] * Math.LN2;
    entropy[r] = h2;
    const lnN = tg[t + 2];
    normalizedEntropy[r] = lnN === lnN ? h2 / lnN : Number.NaN;
    distance[r] = sums[at + OFFSET] - 2 * sums[at + LEFT_OFFSET] + shift * (sum - 2 * sums[at + LEFT_SUM]);
    signedDistance[r] = sums[at + OFFSET] + shift * sum;
    confidence[r] = sums[at + MAX];
    argmax[r] = sums[at + ARGMAX];
    segment[r] = tg[t + 3] !== 0 ? sums[at + SEGMENT] : Number.NaN;
    const p = 4 * r;
    self[r] = points[p];
    previous[r] = points[p + 1];
    next[r] = points[p + 2];
    first[r] = points[p + 3];
    cls[r] = masses[p];
    sep[r] = masses[p + 1];
    punctuation[r] = masses[p + 2];
    sink[r] = masses[p + 3];
  }
}
