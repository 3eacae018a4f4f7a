/**
 * The raw view's mass sums (rawTallies.ts) done by the WebAssembly module (metrics_kernel.c):
 * window_tallies for the sixteen window widths — most of the evidence pass's mass terms — in
 * float64 SIMD lanes, two widths a vector and four side by side; feed_tallies for the
 * single-pattern tallies (sparse, diagonal, previous, next, block, induction), one lane at a time.
 * Its memory also holds the sink-free view's windows and rings of heads with strip columns, which
 * sinkFreeModule.ts sums there (their sums and scratch are placed here).
 * The operations and their order are JavaScript's (Tally.addMasses), so the sums are the same to
 * the bit; the JavaScript loops stay the path where WebAssembly SIMD is missing and for passes
 * run with the JavaScript row kernel.
 *
 * The tables live in the module's memory above what the row kernel has used so far (its high
 * water mark), so they outlive the metric passes of the next sites: sites of the same geometry
 * (the same templates) reuse them until the row kernel needs that memory. Per sample
 * the channels' chance, template logs and runs, and a table of the single-pattern lanes; then one
 * head-sample's masses (the window masses, T × W float32, the per-row masses, T float32 each, and
 * the induction masses, T float64) and the head's sums: its raw view's tallies (diagonal,
 * previous, next, induction, block, windows) then its sparse pair, in TallyArena's layout.
 */
import type { SiteScan } from "../metrics/scan";
import type { RowMetrics } from "../metrics/types";
import { wasmRowKernel } from "../metrics/wasm/kernel";
import { align16, growTo } from "../metrics/wasm/memory";
import type { Channel, RowTemplates } from "./rowTemplates";
import { SinkFreeSums } from "./sinkFreeModule";
import { LOG_SMOOTHING, TallyArena } from "./tally";

/** Ints per lane of feed_tallies' table (metrics_kernel.c, LANE_INTS). */
const LANE_INTS = 9;
const SIZE = TallyArena.SIZE;

/** The single-pattern channels, the per-row masses they read and their tally's place in the head's sums. */
type Feed = "sparse" | "sparseShort" | "diagonal" | "previous" | "next" | "block" | "induction";
const FEEDS: { feed: Feed; rows: keyof RowMetrics | null; tally: number }[] = [
  { feed: "sparse", rows: "confidence", tally: -2 },
  { feed: "sparseShort", rows: "confidence", tally: -1 },
  { feed: "diagonal", rows: "self", tally: 0 },
  { feed: "previous", rows: "previous", tally: 1 },
  { feed: "next", rows: "next", tally: 2 },
  { feed: "block", rows: "segment", tally: 4 },
  { feed: "induction", rows: null, tally: 3 },
];
/** The per-row arrays copied in for each head-sample, in this order (float32, T each). */
const ROWS: (keyof RowMetrics)[] = ["confidence", "self", "previous", "next", "segment"];

interface SampleAt {
  chance: number;
  counts: number;
  logs: number;
  runs: number;
  runStart: number;
  table: number;
  lanes: number;
}

let last: WasmWindowTallies | null = null;

/** One site's raw-view sums in the module (see the file comment); null where it cannot run. */
export class WasmWindowTallies {
  private readonly samples: SampleAt[] = [];
  private readonly massesAt: number;
  private readonly rowsAt: number;
  private readonly inductionAt: number;
  private readonly sumsAt: number;
  /** The sink-free windows and rings of heads with strip columns (sinkFreeModule.ts), in this memory. */
  readonly sinkFree: SinkFreeSums;
  private f32: Float32Array;
  private f64: Float64Array;
  /** Where the tables start (above the row kernel's high water mark when they were written). */
  private readonly start: number;

  private constructor(
    private readonly kernel: NonNullable<ReturnType<typeof wasmRowKernel>>,
    private readonly templates: RowTemplates[],
    private readonly T: number,
    private readonly W: number,
  ) {
    let at = align16(Math.max(kernel.exports.__heap_base.value, kernel.memory.highWater));
    this.start = at;
    const place = (bytes: number) => {
      const here = at;
      at = align16(at + bytes);
      return here;
    };
    // The head's masses and sums first (their places are in the sample tables).
    this.massesAt = place(T * W * 4 + 16);
    this.rowsAt = place(ROWS.length * T * 4);
    this.inductionAt = place(T * 8);
    this.sumsAt = place((5 + W + 2) * SIZE * 8);
    // The sink-free windows' and the rings' sums (both views), for SinkFreeSums.
    const restSumsAt = place(W * SIZE * 8);
    const ringSumsAt = place(2 * W * SIZE * 8);
    const channels = templates.map((tp) => FEEDS.map(({ feed }) => tp[feed]));
    const layout = templates.map((tp, b) => {
      const runs = tp.windows.runs.reduce((s, r) => s + r.length, 0);
      const present = channels[b].filter((c): c is Channel => c !== null);
      const feedBytes = present.reduce(
        (s, c) => s + align16(T * 8) * 2 + align16(c.runs[0].length * 4) + align16(c.nanRows[0].length * 4 + 4),
        0,
      );
      return {
        chance: place(T * W * 8),
        counts: place(T * W * 8),
        logs: place(T * W * 8),
        runs: place(runs * 4),
        runStart: place((W + 1) * 4),
        table: place(present.length * LANE_INTS * 4),
        feeds: place(feedBytes),
        lanes: present.length,
      };
    });
    const scratchAt = at;
    const memory = kernel.linear;
    growTo(memory, at);
    this.f32 = new Float32Array(memory.buffer);
    this.f64 = new Float64Array(memory.buffer);
    const i32 = new Int32Array(memory.buffer);
    templates.forEach((tp, b) => {
      const s = layout[b];
      const c = tp.windows;
      this.f64.set(c.chance, s.chance >> 3);
      this.f64.set(c.count, s.counts >> 3);
      this.f64.set(c.log, s.logs >> 3);
      let k = s.runs >> 2;
      for (let w = 0; w < W; w++) {
        i32[(s.runStart >> 2) + w] = k - (s.runs >> 2);
        i32.set(c.runs[w], k);
        k += c.runs[w].length;
      }
      i32[(s.runStart >> 2) + W] = k - (s.runs >> 2);
      // The single-pattern lanes: their tables, and the table of lanes.
      let free = s.feeds;
      let lane = s.table >> 2;
      FEEDS.forEach(({ rows, tally }, f) => {
        const ch = channels[b][f];
        if (!ch) return;
        const chance = free;
        free += align16(T * 8);
        const logs = free;
        free += align16(T * 8);
        const runs = free;
        free += align16(ch.runs[0].length * 4);
        const nan = free;
        free += align16(ch.nanRows[0].length * 4 + 4);
        this.f64.set(ch.chance.subarray(0, T), chance >> 3);
        this.f64.set(ch.log.subarray(0, T), logs >> 3);
        i32.set(ch.runs[0], runs >> 2);
        i32.set(ch.nanRows[0], nan >> 2);
        const masses = rows ? this.rowsAt + ROWS.indexOf(rows) * T * 4 : this.inductionAt;
        const sums = this.sumsAt + (tally >= 0 ? tally : 5 + W + 2 + tally) * SIZE * 8;
        i32.set([masses, rows ? 0 : 1, chance, logs, runs, ch.runs[0].length, nan, ch.nanRows[0].length, sums], lane);
        lane += LANE_INTS;
      });
      this.samples.push({
        chance: s.chance,
        counts: s.counts,
        logs: s.logs,
        runs: s.runs,
        runStart: s.runStart,
        table: s.table,
        lanes: s.lanes,
      });
    });
    this.sinkFree = new SinkFreeSums(kernel, T, W, {
      massesAt: this.massesAt,
      samples: this.samples,
      restSumsAt,
      ringSumsAt,
      scratchAt,
    });
  }

  /**
   * For a site whose samples have these templates and W window tallies per head (W > 0): null
   * where WebAssembly SIMD is missing, or a window lane marks rows NAN (windows never do; the
   * JavaScript loop checks those).
   */
  static forSite(templates: RowTemplates[], T: number, W: number): WasmWindowTallies | null {
    if (W === 0) return null;
    const kernel = wasmRowKernel();
    if (!kernel) return null;
    if (templates.some((tp) => tp.windows.stride !== W || tp.windows.nanRows.some((r) => r.length > 0))) return null;
    // The last site's tables, when they are this site's and the row kernel has not used their memory since.
    const same = last && last.templates === templates && last.T === T && last.W === W && last.kernel === kernel;
    if (same && last?.current()) return last;
    last = new WasmWindowTallies(kernel, templates, T, W);
    return last;
  }

  /** Whether this site's tables are still in the module's memory (the last made, above the row kernel's high water mark). */
  current(): boolean {
    return last === this && this.start >= this.kernel.memory.highWater && this.refresh();
  }

  /** Views on the module's memory again after it grew (its contents stay); false if it shrank (it cannot). */
  private refresh(): boolean {
    const buffer = this.kernel.linear.buffer;
    if (this.f64.buffer !== buffer) {
      this.f32 = new Float32Array(buffer);
      this.f64 = new Float64Array(buffer);
    }
    return this.f64.length * 8 >= this.sumsAt;
  }

  /** Starts a head: its sums as in `raw` and `sparse` (SharedSums: the geometry's part of the raw view). */
  begin(raw: Float64Array, sparse: Float64Array): void {
    const at = this.sumsAt >> 3;
    this.f64.set(raw.subarray(0, (5 + this.W) * SIZE), at);
    this.f64.set(sparse.subarray(0, 2 * SIZE), at + (5 + this.W) * SIZE);
  }

  /**
   * Adds one sample's rows of the head (row r of the site's rows from rowBase on, in the row
   * metrics and in `induction`, the rows' induction masses); false when a mass is NaN where the geometry
   * expects a number or the reverse (the caller then redoes the head row by row).
   */
  add(b: number, scan: SiteScan, rowBase: number, induction: Float64Array): boolean {
    const { T, W } = this;
    const s = this.samples[b];
    this.f32.set(scan.windows.subarray(rowBase * W, (rowBase + T) * W), this.massesAt >> 2);
    ROWS.forEach((key, k) => {
      this.f32.set((scan.rows[key] as Float32Array).subarray(rowBase, rowBase + T), (this.rowsAt >> 2) + k * T);
    });
    this.f64.set(induction.subarray(rowBase, rowBase + T), this.inductionAt >> 3);
    const x = this.kernel.exports;
    if (x.feed_tallies(s.table, s.lanes, LOG_SMOOTHING) !== 1) return false;
    const windows = this.sumsAt + 5 * SIZE * 8;
    return x.window_tallies(this.massesAt, s.chance, s.logs, W, s.runs, s.runStart, LOG_SMOOTHING, windows) === 1;
  }

  /** The head's raw view (5 + W tallies in SharedSums.raw's order; a view, valid until the next head). */
  raw(): Float64Array {
    return this.views().raw;
  }

  /** The head's sparse and short sparse tallies. */
  sparse(): Float64Array {
    return this.views().sparse;
  }

  private viewsOf: { buffer: ArrayBufferLike; raw: Float64Array; sparse: Float64Array } | null = null;

  /** raw() and sparse(), made once per buffer of the module's memory (every head reads them). */
  private views() {
    const buffer = this.f64.buffer;
    if (this.viewsOf?.buffer !== buffer) {
      const at = this.sumsAt >> 3;
      const raw = this.f64.subarray(at, at + (5 + this.W) * SIZE);
      const sparse = this.f64.subarray(at + (5 + this.W) * SIZE, at + (7 + this.W) * SIZE);
      this.viewsOf = { buffer, raw, sparse };
    }
    return this.viewsOf;
  }
}
