/**
 * The metric pass: one read of each row computes every per-row metric at once and checks the row
 * (finite, sums to 1, no mass on masked or future sources). The row sums come from
 * rowAccumulators.ts (the native or WebAssembly kernel, or the JavaScript one), which also reads
 * the single weights (self, previous, next, first, window masses) and the special-token masses
 * while each row is in cache; rowOutputs.ts turns the sums into metrics and checks them (the
 * native kernel does that itself for the rows it keeps). No allocation per row.
 */
import type { SiteAttention } from "../../result/types";
import type { SiteGeometry } from "./geometry";
import { type ColumnMass, defaultKernel, type RowAccumulators, startAccumulators } from "./rowAccumulators";
import { deriveRows, type RowOutputs, rowOutputs } from "./rowOutputs";
import type { MetricsKernel, RowMetrics } from "./types";

export { allocateRows } from "./rowOutputs";

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
  /** The head sums of `rows` (headMetrics.ts summarizeHeadSums), those the native kernel summed. */
  headSums: Float64Array;
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
 * `slot` names the scratch arrays the pass's sums and windows use, one per scan under way at once
 * (so the caller must be done with a slot's SiteScan before it starts the next scan in that slot).
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
  const outputs = rowOutputs(geo);
  // the native kernel derives the rows it keeps into `outputs` itself
  const mode =
    slot === undefined
      ? { scratch: "", rows: outputs }
      : { scratch: `@${slot}`, overlap: true, rows: outputs, scratchWindows: true };
  const pending = startAccumulators(site, geo, tolerance, windowWidths, kernel, threads, mode);
  // the sums are read in finishScan, then dropped
  return {
    finish: () => finishScan(site, geo, tolerance, kernel, pending.finish(), outputs),
    settle: pending.settle,
  };
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
  outputs: RowOutputs,
): SiteScan {
  const { windows, windowWidths, columnMass, derived } = accumulators;
  for (let b = 0; b < geo.dims[0]; b++) deriveRows(site, geo, tolerance, accumulators, outputs, b, derived?.[b]);
  const { rows, argmax, headSums } = outputs;
  return { rows, argmax, windowWidths, windows, columnMass, kernel, headSums };
}
