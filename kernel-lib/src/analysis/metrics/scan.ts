/**
 * The metric pass: one read of each row computes every per-row metric at once and checks the row
 * (finite, sums to 1, no mass on masked or future sources). The row sums come from
 * rowAccumulators.ts (the WebAssembly SIMD kernel, or the JavaScript one); this file turns them
 * into metrics and checks them; the kernels also read the single weights (self, previous, next,
 * first, window masses) and the special-token masses while each row is in cache.
 * No allocation per row.
 *
 * Each row's visible sources are split at pᵢ's ceiling, split, so the distances come from sums
 * whose terms never cancel:
 *   Σ aᵢⱼ|j − pᵢ| = (R_o − L_o) + (split − pᵢ)·(R₀ − L₀),  Σ aᵢⱼ(j − pᵢ) = (L_o + R_o) + (split − pᵢ)·(L₀ + R₀)
 * with L₀ = Σ_{j<split} aᵢⱼ, L_o = Σ_{j<split} aᵢⱼ·(j − split) (R for j ≥ split).
 */
import type { SiteAttention } from "../../result/types";
import type { SiteGeometry } from "./geometry";
import { lnTable } from "./logTable";
import { type ColumnMass, defaultKernel, type RowAccumulators, startAccumulators } from "./rowAccumulators";
import { ACC_SIZE, ARGMAX, LEFT_OFFSET, LEFT_SUM, MASKED, MAX, OFFSET, PLOGP, SEGMENT, SIGNS, SUM } from "./runKernel";
import { type MetricsKernel, ROW_METRIC_KEYS, type RowMetrics } from "./types";
import { rowError, rowPlace } from "./validate";

export interface SiteScan {
  rows: RowMetrics;
  /** The source of each row's largest weight, [B, H, T] (−1 for padding rows): strip candidates. */
  argmax: Int32Array;
  /** Window widths recorded (0 unless asked, and on cross sites). */
  windowWidths: number;
  /** Mass within |j − pᵢ| ≤ w over visible sources, [B, H, T, windowWidths] for w = 1 … windowWidths. */
  windows: Float32Array;
  /**
   * Per sample, each head's mass on the strip candidates known before the pass (first valid
   * source, [CLS], [SEP], sink positions), summed as the strip search sums them: see ColumnMass.
   */
  columnMass: ColumnMass[];
  /** The row kernel the pass was asked for (the pattern pass sums its window tallies with the same kind). */
  kernel: MetricsKernel;
}

/** RowMetrics for n rows over bt (sample, target) pairs, zero-filled. */
export function allocateRows(n: number, bt: number): RowMetrics {
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
    sink: f(),
    segment: f(),
    sources: new Int32Array(bt),
  };
}

function markPadding(rows: RowMetrics, r: number): void {
  for (const key of ROW_METRIC_KEYS) rows[key][r] = Number.NaN;
}

/** De-interleaves `stride` floats per row into one array each. */
function copyPoints(from: Float32Array, stride: number, into: Float32Array[]): void {
  const n = from.length / stride;
  for (let k = 0; k < stride; k++) {
    const out = into[k];
    for (let r = 0, at = k; r < n; r++, at += stride) out[r] = from[at];
  }
}

function hasNegative(data: Float32Array, base: number, length: number): boolean {
  for (let k = base; k < base + length; k++) if (data[k] < 0) return true;
  return false;
}

/**
 * `windowWidths` > 0 also records the window masses the pattern classifier needs (read by the
 * row kernel while the row is in cache). `kernel` picks the row kernel (default: the native one
 * where it was built, else WebAssembly SIMD where the runtime has it), `threads` how many threads
 * it may use (MetricsOptions.threads).
 */
export function scanSite(
  site: SiteAttention,
  geo: SiteGeometry,
  tolerance: number,
  windowWidths = 0,
  kernel?: MetricsKernel,
  threads?: number,
): SiteScan {
  return startScan(site, geo, tolerance, windowWidths, kernel, threads).finish();
}

/**
 * scanSite in two steps, for a caller that works while the native kernel's threads scan (analyze.ts):
 * `slot` names the scratch arrays the pass's sums use, one per scan under way at once.
 */
export function startScan(
  site: SiteAttention,
  geo: SiteGeometry,
  tolerance: number,
  windowWidths = 0,
  kernel: MetricsKernel = defaultKernel(),
  threads?: number,
  slot?: number,
): PendingScan {
  const mode = slot === undefined ? { scratch: "" } : { scratch: `@${slot}`, overlap: true };
  const pending = startAccumulators(site, geo, tolerance, windowWidths, kernel, threads, mode);
  // the sums are read in finishScan, then dropped
  return { finish: () => finishScan(site, geo, tolerance, kernel, pending.finish()), settle: pending.settle };
}

/** A scan under way (startScan): `finish()` for its answer, or `settle()` to give it up (PendingAccumulators). */
export interface PendingScan {
  finish(): SiteScan;
  settle(): void;
}

function finishScan(
  site: SiteAttention,
  geo: SiteGeometry,
  tolerance: number,
  kernel: MetricsKernel,
  accumulators: RowAccumulators,
): SiteScan {
  const [B, H, T, S] = geo.dims;
  const data = site.data;
  const rows = allocateRows(B * H * T, B * T);
  const ln = lnTable(S);
  const { sums, points, masses, windows, windowWidths: W, columnMass } = accumulators;
  const argmax = new Int32Array(B * H * T).fill(-1);
  const { entropy, normalizedEntropy, distance, signedDistance, confidence, segment } = rows;
  // Per target row of a sample, shared by its heads: ⌈pᵢ⌉ − pᵢ, ln(visible sources) (NaN below 2), own segment.
  const shifts = new Float64Array(T);
  const lnSources = new Float64Array(T);
  const ownSegment = new Uint8Array(T);
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    const { targetSegment, position } = g;
    for (let i = 0; i < T; i++) {
      const n = g.targetValid[i] ? g.validBefore[geo.causal ? Math.min(S, i + geo.offset + 1) : S] : 0;
      rows.sources[b * T + i] = n;
      shifts[i] = Math.ceil(position[i]) - position[i];
      lnSources[i] = n > 1 ? ln[n] : Number.NaN;
      ownSegment[i] = targetSegment && targetSegment[i] >= 0 ? 1 : 0;
    }
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const r = (b * H + h) * T + i;
        if (!g.targetValid[i]) {
          markPadding(rows, r);
          continue;
        }
        const at = r * ACC_SIZE;
        const sum = sums[at + SUM];
        const masked = sums[at + MASKED];
        const total = sum + masked;
        const negative = sums[at + SIGNS] < 0 && hasNegative(data, r * S, S); // the sign bit is also set on −0
        if (!(Math.abs(total - 1) <= tolerance) || negative || masked > tolerance) {
          const place = rowPlace(site.id, b + (geo.origin?.sample ?? 0), h, i + (geo.origin?.row ?? 0));
          throw rowError(place, total, negative, masked, tolerance);
        }
        const leftSum = sums[at + LEFT_SUM];
        const offset = sums[at + OFFSET];
        const leftOffset = sums[at + LEFT_OFFSET];
        const shift = shifts[i];
        const h2 = -sums[at + PLOGP] * Math.LN2;
        entropy[r] = h2;
        const lnN = lnSources[i];
        normalizedEntropy[r] = lnN === lnN ? h2 / lnN : Number.NaN;
        distance[r] = offset - 2 * leftOffset + shift * (sum - 2 * leftSum);
        signedDistance[r] = offset + shift * sum;
        confidence[r] = sums[at + MAX];
        argmax[r] = sums[at + ARGMAX];
        segment[r] = ownSegment[i] ? sums[at + SEGMENT] : Number.NaN;
      }
    }
  }
  // the single weights, as the kernels read them (NaN on padding rows)
  copyPoints(points, 4, [rows.self, rows.previous, rows.next, rows.first]);
  copyPoints(masses, 4, [rows.cls, rows.sep, rows.punctuation, rows.sink]);
  return { rows, argmax, windowWidths: W, windows, columnMass, kernel };
}
