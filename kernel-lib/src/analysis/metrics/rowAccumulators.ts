/**
 * What one site's metric pass reads from each row (RowAccumulators), from one of three kernels:
 *
 * - "native": the WebAssembly kernel's C source built as a Node-API addon (native/nativeKernel.ts),
 *   reading the site's own memory (no copy) on threads of its own; long runs 8 or 16 weights a
 *   step where the CPU has AVX2 or AVX-512 (the same checks and single weights, sums within 1e-6
 *   of the JavaScript kernel's), else the WebAssembly kernel's results to the bit;
 * - "wasm": the WebAssembly SIMD kernel (wasm/): the site's rows are copied into its memory a
 *   chunk at a time (CHUNK_BYTES, so the copy lands in cache and the kernel reads it there) with
 *   one table of runs per sample, shared by its heads; float32 lanes summed in blocks into
 *   float64, within 1e-6 relative of the JavaScript sums. The heads of a sample are shared out
 *   among the calling thread and worker threads (wasm/parallelRows.ts), each head whole to one
 *   thread, so the results are the same to the bit at any number of threads;
 * - "js": accumulateRun over each row's runs in float64. The fallback where WebAssembly SIMD is
 *   missing, and the reference the tests hold the other to.
 *
 * Rows where the float32 blocks could change what the checks decide (total or masked mass within
 * CHECK_MARGIN of the tolerance, or failing), or where a weight has its sign bit set, are listed
 * by the WebAssembly kernel and redone by the JavaScript one: both kernels accept and reject the
 * same rows, with the same messages. The single weights (points, special-token masses, windows)
 * are the same floats from both.
 */
import { AttnlensError } from "../../errors";
import type { SiteAttention } from "../../result/types";
import type { SampleGeometry, SiteGeometry } from "./geometry";
import { bitsOf, LOG2_TABLE } from "./logTable";
import {
  type NativeJob,
  nativeAddon,
  nativeThreads,
  nativeUnavailableReason,
  submitSample,
} from "./native/nativeKernel";
import type { RowOutputs } from "./rowOutputs";
import {
  ACC_SIZE,
  accumulateRun,
  LEFT_OFFSET,
  LEFT_SUM,
  LEFT_SUM_J,
  MASKED,
  MAX,
  OFFSET,
  SEGMENT,
  SUM,
  SUM_J,
} from "./runKernel";
import { scratchFloat32, scratchFloat64 } from "./scratchArrays";
import type { MetricsKernel } from "./types";
import { type WasmRowKernel, wasmRowKernel } from "./wasm/kernel";
import { type KernelWorker, kernelWorkers } from "./wasm/kernelPool";
import { PARALLEL_MIN_WEIGHTS, scanSample } from "./wasm/parallelRows";
import { sampleTables } from "./wasm/pieces";

/** Per row of a site, (b·H + h)·T + t; padding rows: sums 0, points NaN, windows 0. */
export interface RowAccumulators {
  /** ACC_SIZE doubles per row, in runKernel.ts's layout. */
  sums: Float64Array;
  /**
   * 4 floats per row: the weight at pᵢ, pᵢ − 1, pᵢ + 1 (self sites; NaN where that source is
   * not visible) and at the first visible source (NaN when there is none).
   */
  points: Float32Array;
  /**
   * 4 floats per row: the mass on the sample's [CLS], [SEP]/EOS, punctuation and start/sink
   * positions below the row's visible limit (NaN when the sample has no special positions).
   */
  masses: Float32Array;
  /** W floats per row: the mass within |j − pᵢ| ≤ w over visible sources, w = 1 … W. */
  windows: Float32Array;
  /** W: min(windowWidths, S − 1) on self sites, 0 on cross sites. */
  windowWidths: number;
  /** Per sample: each head's mass on the strip candidates known before the pass (ColumnMass). */
  columnMass: ColumnMass[];
  /**
   * Per sample whose row metrics the native kernel derived into PassMode.rows: the rows (numbers
   * of the site, ascending) it left, whose sums the JavaScript kernel redid; those and the other
   * samples' rows are for rowOutputs.ts to check and derive. Absent when the pass derived none.
   */
  derived?: (Int32Array | undefined)[];
}

/**
 * One sample's column masses: for each head h and each column c of `columns` (the first valid
 * source and the [CLS], [SEP] and sink positions, ascending, each once: the strip candidates
 * known before the pass, wasm/pieces.ts candidateColumns), Σᵢ aᵢc over the sample's valid target
 * rows i that see c (c < the row's visible limit), in float64 with rows in ascending order, at
 * mass[h · columns.length + k]. Read while each row is in cache, so the strip search
 * (patterns/strip.ts) need not read these columns through the maps again.
 */
export interface ColumnMass {
  columns: Int32Array;
  mass: Float64Array;
}

/** Bytes of weights per WebAssembly call on this thread (copied in, then read from cache). */
export const CHUNK_BYTES = 128 * 1024;

/** Most pieces (T × pieces per row) a sample's table may hold; beyond (a mask that alternates at every position), the JavaScript kernel. */
const MAX_PIECES = 1 << 22;

/** Relative distance to a check's threshold inside which a WebAssembly row is redone in float64. */
const CHECK_MARGIN = 1e-5;

/** "native" where the addon was built and loads, else "wasm" where this runtime has WebAssembly with 128-bit SIMD, else "js". */
export function defaultKernel(): MetricsKernel {
  if (nativeAddon()) return "native";
  return wasmRowKernel() ? "wasm" : "js";
}

interface RowPass {
  site: SiteAttention;
  geo: SiteGeometry;
  bits: Int32Array;
  scratch: Float64Array;
  out: RowAccumulators;
}

/** The JavaScript kernel's sums of row r (target i of sample g). */
function referenceSums(pass: RowPass, g: SampleGeometry, r: number, i: number) {
  const { geo, bits, scratch } = pass;
  const data = pass.site.data;
  const S = geo.dims[3];
  const { breaks, chunkValid, chunkSegment, targetSegment } = g;
  const base = r * S;
  const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
  const split = Math.ceil(g.position[i]);
  const own = targetSegment ? targetSegment[i] : -1;
  scratch.fill(0);
  scratch[MAX] = -1;
  let segmentMass = 0;
  let masked = 0;
  for (let c = 0; c < chunkValid.length; c++) {
    const c0 = breaks[c];
    const c1 = breaks[c + 1];
    const end = chunkValid[c] ? Math.min(c1, limit) : c0;
    for (let k = base + Math.max(c0, end); k < base + c1; k++) masked += data[k];
    if (end <= c0) continue;
    const chunkStart = scratch[SUM];
    accumulateRun(data, bits, LOG2_TABLE, base, c0, split, end, scratch);
    if (chunkSegment[c] === own && own >= 0) segmentMass += scratch[SUM] - chunkStart;
  }
  scratch[MASKED] = masked;
  scratch[SEGMENT] = segmentMass;
  scratch[OFFSET] = scratch[SUM_J] - split * scratch[SUM];
  scratch[LEFT_OFFSET] = scratch[LEFT_SUM_J] - split * scratch[LEFT_SUM];
  pass.out.sums.set(scratch, r * ACC_SIZE);
}

/** Σ of row `base`'s weights at the listed positions below `limit` (the list ascending), in float64. */
function massAt(data: Float32Array, base: number, list: Int32Array, limit: number): number {
  let m = 0;
  for (let k = 0; k < list.length && list[k] < limit; k++) m += data[base + list[k]];
  return m;
}

/** The JavaScript reads of row r's points, special-token masses and window masses. */
function referencePoints(pass: RowPass, g: SampleGeometry, r: number, i: number) {
  const { geo, out } = pass;
  const data = pass.site.data;
  const S = geo.dims[3];
  const W = out.windowWidths;
  const valid = g.sourceValid;
  const base = r * S;
  const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
  const p = g.position[i];
  const at = 4 * r;
  out.points[at] = geo.self && valid[p] ? data[base + p] : Number.NaN;
  out.points[at + 1] = geo.self && p >= 1 && valid[p - 1] ? data[base + p - 1] : Number.NaN;
  out.points[at + 2] = geo.self && p + 1 < limit && valid[p + 1] ? data[base + p + 1] : Number.NaN;
  out.points[at + 3] = g.firstSource >= 0 && g.firstSource < limit ? data[base + g.firstSource] : Number.NaN;
  const special = g.special;
  if (special) {
    out.masses[at] = massAt(data, base, special.cls, limit);
    out.masses[at + 1] = massAt(data, base, special.sep, limit);
    out.masses[at + 2] = massAt(data, base, special.punctuation, limit);
    out.masses[at + 3] = massAt(data, base, special.sink, limit);
  }
  if (W === 0) return;
  let mass = valid[p] ? data[base + p] : 0;
  for (let w = 1; w <= W; w++) {
    if (p - w >= 0 && valid[p - w]) mass += data[base + p - w];
    if (p + w < limit && valid[p + w]) mass += data[base + p + w];
    out.windows[r * W + w - 1] = mass;
  }
}

/** The JavaScript reads of row r's weights on the candidate columns, added to its head's column masses. */
function referenceColumns(pass: RowPass, b: number, h: number, r: number, i: number) {
  const { geo, out } = pass;
  const S = geo.dims[3];
  const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
  const { columns, mass } = out.columnMass[b];
  const at = h * columns.length;
  for (let k = 0; k < columns.length && columns[k] < limit; k++) mass[at + k] += pass.site.data[r * S + columns[k]];
}

/**
 * Sample b on the WebAssembly kernel, on this thread and `workers`: the rows it leaves to the
 * JavaScript kernel (checks near or failing, a sign bit) in `redo`; false when memory could not
 * grow to it.
 */
function runSample(
  wasm: WasmRowKernel,
  workers: KernelWorker[],
  pass: RowPass,
  b: number,
  tolerance: number,
  redo: number[],
  minWeights: number,
): boolean {
  const { geo, out } = pass;
  const [, H, T, S] = geo.dims;
  const W = out.windowWidths;
  const rows = Math.max(1, Math.floor(CHUNK_BYTES / (4 * S)));
  const job = {
    tables: sampleTables(geo, geo.samples[b]),
    dims: { T, S, W, H, rows },
    tolerance,
    margin: CHECK_MARGIN,
    minWeights,
  };
  return scanSample(wasm, workers, job, pass.site.data, b * H * T, out, redo, out.columnMass[b].mass);
}

/** The JavaScript kernel on sample b: every valid row's points, sums and column masses. */
function referenceSample(pass: RowPass, b: number): void {
  const [, H, T] = pass.geo.dims;
  const g = pass.geo.samples[b];
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < T; i++) {
      const r = (b * H + h) * T + i;
      if (!g.targetValid[i]) continue;
      referencePoints(pass, g, r, i);
      referenceSums(pass, g, r, i);
      referenceColumns(pass, b, h, r, i);
    }
  }
}

/** How a pass keeps its arrays and shares its work (siteAccumulators, startAccumulators). */
export interface PassMode {
  /**
   * `sums`, `points` and `masses` in the scratch arrays of this name (scratchArrays.ts), valid
   * until the next pass with the same name: for a caller that reads them and drops them.
   */
  scratch?: string;
  /**
   * The caller works between startAccumulators and finish: the native kernel's threads then take
   * smaller samples by default (nativeThreads); the other kernels do all their work in the start.
   */
  overlap?: boolean;
  /** Where the native kernel may write the row metrics of the rows it keeps (see RowAccumulators.derived). */
  rows?: RowOutputs;
  /**
   * `windows` in the scratch array of `scratch`'s name too: for a caller done with the whole
   * SiteScan before the next pass with that name (analyze.ts; nothing it returns holds windows).
   */
  scratchWindows?: boolean;
}

/**
 * A pass under way: `finish()` returns its accumulators (the native kernel's threads may still be
 * scanning before); `settle()`, for a caller that gives up on it, returns once no thread writes
 * into its arrays any more (scratch arrays are reused by the next pass of the same name).
 */
export interface PendingAccumulators {
  finish(): RowAccumulators;
  settle(): void;
}

function checkKernel(kernel: MetricsKernel, threads: number | undefined): void {
  if (kernel !== "native" && kernel !== "wasm" && kernel !== "js") {
    throw new AttnlensError(
      "BAD_INPUT",
      `metrics kernel ${JSON.stringify(kernel)}: give "native", "wasm" or "js", or leave options.kernel unset`,
    );
  }
  if (kernel === "native" && !nativeAddon()) {
    throw new AttnlensError(
      "BAD_INPUT",
      `metrics kernel "native": the addon did not load (${nativeUnavailableReason()}); build it with \`npm run build\` (needs a C compiler), or leave options.kernel unset`,
    );
  }
  if (kernel === "wasm" && !wasmRowKernel()) {
    throw new AttnlensError(
      "BAD_INPUT",
      'metrics kernel "wasm": this runtime has no WebAssembly with 128-bit SIMD; leave options.kernel unset or pass "js"',
    );
  }
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new AttnlensError(
      "BAD_INPUT",
      `metrics option threads: ${String(threads)}; give a whole number ≥ 1 (1: this thread only) or leave it unset`,
    );
  }
}

/**
 * What the metric pass reads from every row of the site (validity is checked by the caller,
 * scan.ts); window masses for w = 1 … windowWidths on self sites. `scratch`: see PassMode.
 */
export function siteAccumulators(
  site: SiteAttention,
  geo: SiteGeometry,
  tolerance: number,
  windowWidths = 0,
  kernel: MetricsKernel = defaultKernel(),
  threads?: number,
  scratch = false,
): RowAccumulators {
  const mode = scratch ? { scratch: "" } : {};
  return startAccumulators(site, geo, tolerance, windowWidths, kernel, threads, mode).finish();
}

/**
 * siteAccumulators in two steps: the native kernel queues the site's samples for its threads and
 * `finish()` waits for them (the arrays are the addon's until then); the other kernels do the
 * whole pass here.
 */
export function startAccumulators(
  site: SiteAttention,
  geo: SiteGeometry,
  tolerance: number,
  windowWidths: number,
  kernel: MetricsKernel,
  threads: number | undefined,
  mode: PassMode,
): PendingAccumulators {
  checkKernel(kernel, threads);
  const [B, H, T, S] = geo.dims;
  const W = geo.self ? Math.min(windowWidths, S - 1) : 0;
  const n = B * H * T;
  const name = mode.scratch;
  const f64 = (what: string, length: number) =>
    name !== undefined ? scratchFloat64(`${what}${name}`, length) : new Float64Array(length);
  const f32 = (what: string, length: number) =>
    name !== undefined ? scratchFloat32(`${what}${name}`, length) : new Float32Array(length);
  const out: RowAccumulators = {
    sums: f64("rowSums", n * ACC_SIZE),
    points: f32("rowPoints", n * 4),
    masses: f32("rowMasses", n * 4),
    windows:
      name !== undefined && mode.scratchWindows ? scratchFloat32(`rowWindows${name}`, n * W) : new Float32Array(n * W),
    windowWidths: W,
    columnMass: geo.samples.map((g) => {
      const columns = sampleTables(geo, g).columns.subarray(1);
      return { columns, mass: new Float64Array(H * columns.length) };
    }),
  };
  const pass: RowPass = { site, geo, bits: bitsOf(site.data), scratch: new Float64Array(ACC_SIZE), out };
  const fits = (b: number) => (2 * geo.samples[b].chunkValid.length + 1) * T <= MAX_PIECES;
  const native = kernel === "native" ? nativeAddon() : null;
  // The native kernel writes every row of the samples it takes; the other kernels, and the
  // JavaScript one on samples the native kernel cannot take, write valid rows only.
  const clear = (b: number) => {
    out.windows.fill(0, b * H * T * W, (b + 1) * H * T * W);
    out.sums.fill(0, b * H * T * ACC_SIZE, (b + 1) * H * T * ACC_SIZE);
    out.points.fill(Number.NaN, b * H * T * 4, (b + 1) * H * T * 4);
    out.masses.fill(Number.NaN, b * H * T * 4, (b + 1) * H * T * 4);
  };
  for (let b = 0; b < B; b++) if (!native || !fits(b)) clear(b);
  if (native) {
    const count = nativeThreads(H * T * S, threads, mode.overlap);
    const jobs: Array<NativeJob | Int32Array | null> = [];
    if (mode.rows) out.derived = new Array(B);
    const settle = () => {
      for (let b = 0; b < jobs.length; b++) {
        const job = jobs[b];
        jobs[b] = null;
        if (job && !(job instanceof Int32Array)) native.wait(job);
      }
    };
    try {
      geo.samples.forEach((g, b) => {
        const job = fits(b)
          ? submitSample(native, site.data, geo, g, b, out, tolerance, CHECK_MARGIN, count, mode.rows)
          : null;
        jobs.push(job);
      });
    } catch (e) {
      settle();
      throw e;
    }
    return {
      finish() {
        try {
          for (let b = 0; b < B; b++) {
            const job = jobs[b];
            jobs[b] = null;
            if (!job) referenceSample(pass, b);
            else {
              const redo = job instanceof Int32Array ? job : native.wait(job);
              for (const r of redo) referenceSums(pass, geo.samples[b], r, r % T);
              if (out.derived) out.derived[b] = redo;
            }
          }
        } finally {
          settle();
        }
        return out;
      },
      settle,
    };
  }
  const wasm = kernel === "wasm" ? wasmRowKernel() : null;
  // threads left to the default: only samples large enough to gain; a count asked for: every sample
  const minWeights = threads === undefined ? PARALLEL_MIN_WEIGHTS : 0;
  // the pool starts (or is asked for its ready workers) only when this site's samples can use it
  const shared = wasm !== null && threads !== 1 && H > 1 && H * T * S >= minWeights;
  const workers = shared ? kernelWorkers(wasm, threads) : [];
  const redo: number[] = [];
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    redo.length = 0;
    if (wasm !== null && fits(b) && runSample(wasm, workers, pass, b, tolerance, redo, minWeights)) {
      for (const r of redo) referenceSums(pass, g, r, r % T);
      continue;
    }
    referenceSample(pass, b);
  }
  return { finish: () => out, settle: () => {} };
}
