/**
 * The sink-free view's window tallies and the offset rings of heads with strip columns, summed by
 * the WebAssembly module (metrics_kernel.c: rest_windows, ring_tallies) in the memory of the site's
 * WasmWindowTallies (windowTallies.ts, which places these sums and reserves the scratch above its
 * tables). sinkFree.ts fills each head-sample's rows — their strip columns, weights and, for the
 * rings, masses — and the template logs of the rows' shares; the module then does what the
 * JavaScript loop did, the same float64 operations in the same order, so the sums are the same to
 * the bit (restWindows.test.ts).
 */
import type { SiteScan } from "../metrics/scan";
import type { SinkFreeRows, WasmRowKernel } from "../metrics/wasm/kernel";
import { align16, growTo } from "../metrics/wasm/memory";
import type { Channel } from "./rowTemplates";
import { LOG_SMOOTHING, TallyArena } from "./tally";

const SIZE = TallyArena.SIZE;

/** One head-sample's rows for the sink-free view or the rings (restRows, ringRows): views into the module's memory. */
export interface RestRows {
  K: number;
  /** Per row: n (0: the row adds nothing), k strip columns, block (and for rings: 1 when it has a sink-free row). */
  rows: Int32Array;
  /** Per row: 1 − the strip columns' weight. */
  keep: Float64Array;
  /** Per row, K each: each strip column's distance |c − pᵢ|, then its weight, in strip order. */
  dist: Int32Array;
  weight: Float64Array;
  /** Per row, W each: the ring masses (ringRows only; empty for restRows). */
  masses: Float64Array;
  /** Byte offset of the template-log table (written by restSample). */
  tableAt: number;
}

/** What both kernels take after T (SinkFreeRows). */
function rowArgs(r: RestRows, C: number): SinkFreeRows {
  return [
    r.rows.byteOffset,
    r.keep.byteOffset,
    r.dist.byteOffset,
    r.weight.byteOffset,
    r.K,
    r.tableAt,
    C,
    LOG_SMOOTHING,
  ];
}

/** Where the site's tables put what these sums read and write (byte offsets; see WasmWindowTallies). */
export interface SinkFreePlaces {
  /** One head-sample's window masses, T × W float32 (the raw view's, reused). */
  massesAt: number;
  /** Per sample: the windows' template counts and logs, T × W float64 each. */
  samples: { counts: number; logs: number }[];
  /** The head's sink-free window tallies, W in TallyArena's layout. */
  restSumsAt: number;
  /** The head's rings, the raw view's W then the sink-free view's W. */
  ringSumsAt: number;
  /** Free from here on: each call's rows and log table. */
  scratchAt: number;
}

/** One site's sink-free windows and rings in the module (see the file comment). */
export class SinkFreeSums {
  private f32 = new Float32Array(0);
  private f64 = new Float64Array(0);

  constructor(
    private readonly kernel: WasmRowKernel,
    private readonly T: number,
    private readonly W: number,
    private readonly places: SinkFreePlaces,
  ) {
    this.refresh();
  }

  /** Views on the module's memory again after it grew. */
  private refresh(): void {
    const buffer = this.kernel.linear.buffer;
    if (this.f64.buffer !== buffer) {
      this.f32 = new Float32Array(buffer);
      this.f64 = new Float64Array(buffer);
    }
  }

  /** Starts a head's sink-free window tallies, all zero (the view's tallies are cleared for it). */
  restBegin(): void {
    this.refresh();
    const at = this.places.restSumsAt >> 3;
    this.f64.fill(0, at, at + this.W * SIZE);
  }

  /**
   * Room for one head-sample's rows in the sink-free view, K strip columns at most: the arrays
   * rest_windows reads (metrics_kernel.c), views into the module's memory for the caller to fill
   * (rows zeroed: a row left at n = 0 adds nothing); valid until restSample.
   */
  restRows(K: number): RestRows {
    return this.scratch(K, 3, false);
  }

  /** The same for ring_tallies (rows of 4: n, k, block, rest; and the ring masses, T × W float64). */
  ringRows(K: number): RestRows {
    return this.scratch(K, 4, true);
  }

  private scratch(K: number, rowInts: number, masses: boolean): RestRows {
    const { T, W } = this;
    let at = this.places.scratchAt;
    const place = (bytes: number) => {
      const here = at;
      at = align16(at + bytes);
      return here;
    };
    const rowsAt = place(rowInts * T * 4);
    const keepAt = place(T * 8);
    const distAt = place(T * K * 4);
    const weightAt = place(T * K * 8);
    const massesAt = place(masses ? 3 * T * W * 8 : 0); // ring masses, then the rings' counts and logs
    const tableAt = at; // its size is known when the rows are summed
    growTo(this.kernel.linear, at);
    this.refresh();
    const buffer = this.kernel.linear.buffer;
    const rows = new Int32Array(buffer, rowsAt, rowInts * T);
    rows.fill(0);
    return {
      K,
      rows,
      keep: new Float64Array(buffer, keepAt, T),
      dist: new Int32Array(buffer, distAt, T * K),
      weight: new Float64Array(buffer, weightAt, T * K),
      masses: new Float64Array(buffer, massesAt, masses ? T * W : 0),
      tableAt,
    };
  }

  /** Writes the template-log rows of `shares` (the rows' n − k) at r.tableAt: C = 2W + 2 logs each. */
  private writeTable(r: RestRows, shares: number[], logsOf: (d: number) => Float64Array): number {
    const C = 2 * this.W + 2;
    const maxD = shares.reduce((m, d) => Math.max(m, d), 0);
    const end = r.tableAt + (maxD + 1) * C * 8;
    growTo(this.kernel.linear, end);
    this.refresh();
    for (const d of shares) this.f64.set(logsOf(d), (r.tableAt >> 3) + d * C);
    return C;
  }

  /**
   * Adds head-sample b's rows (from row `rowBase` of the site's rows; `r` from restRows, filled)
   * into the sink-free window tallies; `shares` are the n − k of the rows with strip columns, and
   * `logsOf(d)` gives templateLog(c / d) for c = 0 … 2W + 1.
   */
  restSample(
    b: number,
    scan: SiteScan,
    rowBase: number,
    r: RestRows,
    shares: number[],
    logsOf: (d: number) => Float64Array,
  ): void {
    const { T, W } = this;
    const C = this.writeTable(r, shares, logsOf);
    this.f32.set(scan.windows.subarray(rowBase * W, (rowBase + T) * W), this.places.massesAt >> 2);
    const s = this.places.samples[b];
    this.kernel.exports.rest_windows(
      this.places.massesAt,
      s.counts,
      s.logs,
      W,
      T,
      ...rowArgs(r, C),
      this.places.restSumsAt,
    );
  }

  /** Starts a head's rings, all zero, in both views. */
  ringBegin(): void {
    this.refresh();
    const at = this.places.ringSumsAt >> 3;
    this.f64.fill(0, at, at + 2 * this.W * SIZE);
  }

  /**
   * Adds one head-sample's rows (r from ringRows, filled, its masses included) into the rings, the
   * rings' template counts and logs from `rings` (T × W); the sink-free view's too when `both`.
   */
  ringSample(r: RestRows, rings: Channel, both: boolean, shares: number[], logsOf: (d: number) => Float64Array): void {
    const { T, W } = this;
    const C = this.writeTable(r, shares, logsOf);
    const countsAt = r.masses.byteOffset + T * W * 8;
    const logsAt = countsAt + T * W * 8;
    this.f64.set(rings.count.subarray(0, T * W), countsAt >> 3);
    this.f64.set(rings.log.subarray(0, T * W), logsAt >> 3);
    this.kernel.exports.ring_tallies(
      r.masses.byteOffset,
      countsAt,
      logsAt,
      W,
      T,
      ...rowArgs(r, C),
      this.places.ringSumsAt,
      both ? this.places.ringSumsAt + W * SIZE * 8 : 0,
    );
  }

  /** The head's rings: the raw view's (0) or the sink-free view's (1); W tallies, a view valid until the next head. */
  rings(view: 0 | 1): Float64Array {
    this.refresh();
    const at = (this.places.ringSumsAt >> 3) + view * this.W * SIZE;
    return this.f64.subarray(at, at + this.W * SIZE);
  }

  /** The head's sink-free window tallies (W, in TallyArena's layout; a view, valid until the next head). */
  rest(): Float64Array {
    this.refresh();
    const at = this.places.restSumsAt >> 3;
    return this.f64.subarray(at, at + this.W * SIZE);
  }
}
