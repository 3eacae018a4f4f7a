/**
 * The metric pass: one read of each row computes every per-row metric at once and checks the row
 * (finite, sums to 1, no mass on masked or future sources). No allocation per row; the inner
 * loop is runKernel.ts.
 *
 * Each row is walked chunk by chunk (chunks are runs of valid or masked sources within one
 * segment, see geometry.ts); a valid chunk is split at pᵢ so the left and right sums give
 *   Σ aᵢⱼ|j − pᵢ| = (pᵢ·L₀ − L₁) + (R₁ − pᵢ·R₀),  L₀ = Σ_{j<pᵢ} aᵢⱼ, L₁ = Σ_{j<pᵢ} aᵢⱼ·j (R for j ≥ pᵢ)
 * without an abs per element.
 */
import type { SiteAttention } from "../result/types";
import type { SiteGeometry } from "./geometry";
import { bitsOf, LOG2_TABLE, lnTable } from "./logTable";
import { ACC_SIZE, ARGMAX, accumulateRun, LEFT_SUM, LEFT_SUM_J, MAX, PLOGP, SIGNS, SUM, SUM_J } from "./runKernel";
import { ROW_METRIC_KEYS, type RowMetrics } from "./types";
import { rowError, rowPlace } from "./validate";

export interface SiteScan {
  rows: RowMetrics;
  /** The source of each row's largest weight, [B, H, T] (−1 for padding rows): strip candidates. */
  argmax: Int32Array;
  /** Window widths recorded (0 unless asked, and on cross sites). */
  windowWidths: number;
  /** Mass within |j − pᵢ| ≤ w over visible sources, [B, H, T, windowWidths] for w = 1 … windowWidths. */
  windows: Float32Array;
}

function allocateRows(n: number, bt: number): RowMetrics {
  const f = () => new Float32Array(n);
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
    segment: f(),
    sources: new Int32Array(bt),
  };
}

function markPadding(rows: RowMetrics, r: number): void {
  for (const key of ROW_METRIC_KEYS) rows[key][r] = Number.NaN;
}

function massAt(data: Float32Array, base: number, list: Int32Array, limit: number): number {
  let m = 0;
  for (let k = 0; k < list.length && list[k] < limit; k++) m += data[base + list[k]];
  return m;
}

/** Cumulative mass within |j − p| ≤ w, w = 1 … W, over visible sources. */
function recordWindows(
  data: Float32Array,
  base: number,
  p: number,
  limit: number,
  valid: Uint8Array,
  out: Float32Array,
  at: number,
  W: number,
): void {
  let mass = valid[p] ? data[base + p] : 0;
  for (let w = 1; w <= W; w++) {
    if (p - w >= 0 && valid[p - w]) mass += data[base + p - w];
    if (p + w < limit && valid[p + w]) mass += data[base + p + w];
    out[at + w - 1] = mass;
  }
}

function hasNegative(data: Float32Array, base: number, length: number): boolean {
  for (let k = base; k < base + length; k++) if (data[k] < 0) return true;
  return false;
}

/**
 * `windowWidths` > 0 also records the window masses the pattern classifier needs, read here
 * while the row is still in cache.
 */
export function scanSite(site: SiteAttention, geo: SiteGeometry, tolerance: number, windowWidths = 0): SiteScan {
  const [B, H, T, S] = geo.dims;
  const data = site.data;
  const bits = bitsOf(data);
  const rows = allocateRows(B * H * T, B * T);
  const ln = lnTable(S);
  const table = LOG2_TABLE;
  const acc = new Float64Array(ACC_SIZE);
  const argmax = new Int32Array(B * H * T).fill(-1);
  const W = geo.self ? Math.min(windowWidths, S - 1) : 0;
  const windows = new Float32Array(B * H * T * W);
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    const { breaks, chunkValid, chunkSegment, targetSegment, position, sourceValid, special } = g;
    const chunkCount = chunkValid.length;
    for (let i = 0; i < T; i++)
      rows.sources[b * T + i] = g.targetValid[i] ? g.validBefore[geo.causal ? Math.min(S, i + geo.offset + 1) : S] : 0;
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const r = (b * H + h) * T + i;
        if (!g.targetValid[i]) {
          markPadding(rows, r);
          continue;
        }
        const base = r * S;
        const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
        const p = position[i];
        const split = Math.ceil(p);
        const ownSegment = targetSegment ? targetSegment[i] : -1;
        acc.fill(0);
        acc[MAX] = -1;
        let segmentMass = 0;
        let masked = 0;
        for (let c = 0; c < chunkCount; c++) {
          const c0 = breaks[c];
          const c1 = breaks[c + 1];
          const end = chunkValid[c] ? Math.min(c1, limit) : c0;
          for (let k = base + Math.max(c0, end); k < base + c1; k++) masked += data[k];
          if (end <= c0) continue;
          const chunkStart = acc[SUM];
          accumulateRun(data, bits, table, base, c0, split, end, acc);
          if (chunkSegment[c] === ownSegment && ownSegment >= 0) segmentMass += acc[SUM] - chunkStart;
        }
        const sum = acc[SUM];
        const sumJ = acc[SUM_J];
        const leftSum = acc[LEFT_SUM];
        const leftSumJ = acc[LEFT_SUM_J];
        const total = sum + masked;
        const negative = acc[SIGNS] < 0 && hasNegative(data, base, S); // the sign bit is also set on −0
        if (!(Math.abs(total - 1) <= tolerance) || negative || masked > tolerance) {
          throw rowError(rowPlace(site.id, b, h, i), total, negative, masked, tolerance);
        }
        const n = g.validBefore[limit];
        const entropy = -acc[PLOGP] * Math.LN2;
        rows.entropy[r] = entropy;
        rows.normalizedEntropy[r] = n > 1 ? entropy / ln[n] : Number.NaN;
        rows.distance[r] = p * leftSum - leftSumJ + (sumJ - leftSumJ) - p * (sum - leftSum);
        rows.signedDistance[r] = sumJ - p * sum;
        rows.confidence[r] = acc[MAX];
        argmax[r] = acc[ARGMAX];
        rows.self[r] = geo.self && sourceValid[p] ? data[base + p] : Number.NaN;
        rows.previous[r] = geo.self && p >= 1 && sourceValid[p - 1] ? data[base + p - 1] : Number.NaN;
        rows.next[r] = geo.self && p + 1 < limit && sourceValid[p + 1] ? data[base + p + 1] : Number.NaN;
        rows.first[r] = g.firstSource >= 0 && g.firstSource < limit ? data[base + g.firstSource] : Number.NaN;
        rows.cls[r] = special ? massAt(data, base, special.cls, limit) : Number.NaN;
        rows.sep[r] = special ? massAt(data, base, special.sep, limit) : Number.NaN;
        rows.punctuation[r] = special ? massAt(data, base, special.punctuation, limit) : Number.NaN;
        rows.segment[r] = ownSegment >= 0 ? segmentMass : Number.NaN;
        if (W > 0) recordWindows(data, base, p, limit, sourceValid, windows, r * W, W);
      }
    }
  }
  return { rows, argmax, windowWidths: W, windows };
}
