/**
 * The native build of the metric pass's row kernel (kernel-lib/native/: wasm/metrics_kernel.c
 * itself, compiled by native/build.mjs into a Node-API addon). What it adds to the WebAssembly
 * kernel: it reads the rows in the result's own memory (the WebAssembly kernel copies each one
 * into its linear memory first), ahead of the loop; it sums long runs of a row 8 or 16 weights a
 * step where the CPU has AVX2 or AVX-512 (the same per-weight operations, summed in other groups:
 * within 1e-6 of the JavaScript kernel, as the WebAssembly one is); and it shares a sample's
 * heads out among threads of its own, which can go on while the caller does other work
 * (submitSample, then wait). At 4 weights a step (`lanes(4)`) its results are the WebAssembly
 * kernel's to the bit.
 *
 * `null` where the addon was not built (no C compiler when `npm run build` ran, a platform the
 * build does not cover) or does not load, or with ATTNLENS_NATIVE=0: the WebAssembly kernel then
 * serves, with the same results.
 */
import { availableParallelism } from "node:os";
import type { SampleGeometry, SiteGeometry } from "../geometry";
import type { RowAccumulators } from "../rowAccumulators";
import { nativeRowArrays, type RowOutputs } from "../rowOutputs";
import { sampleTables } from "../wasm/pieces";

/** A sample queued in the addon (native/pool.h), until it is waited for. */
export type NativeJob = { readonly __nativeJob: unique symbol };

/** The addon's exports (native/metrics_addon.c). */
interface NativeAddon {
  /**
   * Queues the H·T rows of one sample from row `first` of data for the addon's threads; their
   * sums, single weights and window and column masses go to the outputs at the same rows; with
   * `rows` (the row metrics' arrays, then argmax: rowOutputs.ts nativeRowArrays) and `targets`
   * (the sample's targets table), the row metrics of the rows it does not leave to JavaScript
   * too. The arrays must not be read or written until the job is waited for (the addon holds them).
   */
  submit(
    data: Float32Array,
    first: number,
    H: number,
    T: number,
    S: number,
    info: Int32Array,
    pieces: Int32Array,
    special: Int32Array,
    valid: Uint8Array,
    columns: Int32Array,
    firstSource: number,
    self: number,
    allValid: number,
    W: number,
    tolerance: number,
    margin: number,
    sums: Float64Array,
    points: Float32Array,
    masses: Float32Array,
    windows: Float32Array,
    columnMass: Float64Array,
    threads: number,
    rows: (Float32Array | Int32Array | Float64Array)[] | null,
    targets: Float64Array | null,
  ): NativeJob;
  /** Returns when the job is done (this thread scans the heads nobody took): the rows (numbers in data) to redo in JavaScript. */
  wait(job: NativeJob): Int32Array;
  /** submit and wait in one, on this thread (no job, no pool): for small samples and one thread. */
  scan(...args: Parameters<NativeAddon["submit"]>): Int32Array;
  /**
   * The vector width of the row sums (weights per step), set first to `n` when given: 4 (the
   * WebAssembly kernel's results to the bit), 8 or 16 where the CPU has AVX2 or AVX-512. The
   * addon starts with the widest; for tests and benchmarks.
   */
  lanes(n?: number): number;
}

/** Where native/build.mjs writes the addon, from this file in src/ or in dist/. */
export const NATIVE_ADDON = "../../../../native/build/attnlens_metrics.node";

/**
 * Weights of a sample from which the native pass shares its heads out by default when the caller
 * waits at once: the WebAssembly pool's threshold halved (its copy is gone), not re-measured
 * against the native pool's hand-off.
 */
export const NATIVE_PARALLEL_MIN_WEIGHTS = 1 << 19;

/**
 * The same when the caller works while the sample is scanned (`overlap`): a job's hand-off costs
 * tens of microseconds (references to its arrays, the pool's lock and wake-up); a demo model's
 * samples (a few thousand weights) scan in less on this thread.
 */
export const NATIVE_OVERLAP_MIN_WEIGHTS = 1 << 15;

/** Most threads the native pass starts by default (the memory bus, not the cores, bounds it beyond). */
const MAX_DEFAULT_THREADS = 8;

let addon: NativeAddon | null | undefined;
/** The machine's cores, asked once (the call is not free, and it is made per sample). */
let cores: number | undefined;
let loadError: string | undefined;

/** The addon, or null where it is missing or does not load. */
export function nativeAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.env.ATTNLENS_NATIVE === "0") {
    loadError = "ATTNLENS_NATIVE=0";
  } else {
    try {
      addon = require(NATIVE_ADDON) as NativeAddon;
    } catch (e) {
      loadError = e instanceof Error ? e.message.split("\n")[0] : String(e);
    }
  }
  return addon;
}

/** Why nativeAddon() is null (for the error a caller that asked for "native" gets). */
export function nativeUnavailableReason(): string {
  nativeAddon();
  return loadError ?? "";
}

/**
 * The native pass's thread count for a sample of `weights` weights: `threads` as given; else the
 * machine's cores (at most 8) from NATIVE_PARALLEL_MIN_WEIGHTS, or from NATIVE_OVERLAP_MIN_WEIGHTS
 * when the caller works while the sample is scanned (`overlap`); else 1 (scanned at once).
 */
export function nativeThreads(weights: number, threads: number | undefined, overlap = false): number {
  if (threads !== undefined) return threads;
  if (weights < (overlap ? NATIVE_OVERLAP_MIN_WEIGHTS : NATIVE_PARALLEL_MIN_WEIGHTS)) return 1;
  cores ??= availableParallelism();
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, cores));
}

/**
 * Sample b of the site for the addon, whose results go into `out` (its rows, single weights,
 * window masses and column masses) and, with `rows`, the row metrics of the rows it keeps. With
 * more than one thread it is queued: both are the addon's until `native.wait(job)`, which returns
 * the rows (numbers in site.data) the JavaScript kernel must redo. With one, it is scanned now
 * and those rows are returned.
 */
export function submitSample(
  native: NativeAddon,
  data: Float32Array,
  geo: SiteGeometry,
  g: SampleGeometry,
  b: number,
  out: RowAccumulators,
  tolerance: number,
  margin: number,
  threads: number,
  rows?: RowOutputs,
): NativeJob | Int32Array {
  const [, H, T, S] = geo.dims;
  const tables = sampleTables(geo, g);
  return (threads > 1 ? native.submit : native.scan)(
    data,
    b * H * T,
    H,
    T,
    S,
    tables.info,
    tables.pieces,
    tables.special,
    tables.valid,
    tables.columns,
    tables.firstSource,
    tables.self ? 1 : 0,
    tables.allValid ? 1 : 0,
    out.windowWidths,
    tolerance,
    margin,
    out.sums,
    out.points,
    out.masses,
    out.windows,
    out.columnMass[b].mass,
    threads,
    rows ? nativeRowArrays(rows, b, H) : null,
    rows ? rows.targets[b] : null,
  );
}
