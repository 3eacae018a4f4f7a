/**
 * The WebAssembly SIMD row kernel (kernel-lib/wasm/metrics_kernel.c), instantiated once, on first
 * use, from the module in kernelModule.ts, over one shared linear memory that grows as sites need
 * and is reused by every call. The pool's worker threads (kernelPool.ts) run their own instances
 * of the module over the same memory, each in a lane of its own. `null` where WebAssembly, its
 * 128-bit SIMD or shared memory is missing: the metric pass then runs the JavaScript kernel.
 *
 * Memory above the module's own (__heap_base): the sample's tables [row info: T × ROW_INFO int32]
 * [pieces: count × 3 int32] [special-token lists] [candidate columns] [source mask: S bytes]; then
 * one lane per thread, [stack (workers only)] [column masses: heads × columns doubles], and its
 * buffers of rows (one for this thread, SLOTS for a worker, which scans one while the caller fills
 * the other), each [out: rows × ACC_SIZE doubles] [redo: rows int32] [points: rows × 4 floats]
 * [masses: rows × 4 floats] [windows: rows × W floats] [data: rows × S floats, + 16 bytes that the
 * last row's masked tail load may read].
 */
import { ACC_SIZE } from "../runKernel";
import { KERNEL_WASM_BASE64 } from "./kernelModule";
import { align16, growTo, type WasmMemory } from "./memory";

export interface KernelExports {
  __heap_base: { value: number };
  /** The shadow stack's top: each instance on the shared memory needs a stack of its own. */
  __stack_pointer: { value: number };
  /** Returns how many rows the JavaScript kernel must redo (their numbers at `redo`). */
  scan_rows(...args: KernelArgs): number;
  /**
   * The pattern evidence's window tallies of one head and sample (masses, chance, logs, W, runs,
   * runStart, ln ε, sums: byte offsets, the widths and the smoothing's log); 0 when a mass sum is NaN.
   */
  window_tallies(
    masses: number,
    chance: number,
    logs: number,
    W: number,
    runs: number,
    runStart: number,
    logSmoothing: number,
    sums: number,
  ): number;
  /** The single-pattern tallies of one head and sample (table of lanes, lane count, ln ε); 0 on a NaN mismatch. */
  feed_tallies(table: number, lanes: number, logSmoothing: number): number;
  /**
   * The sink-free view's window tallies of one head and sample: the head-sample's masses, the
   * template counts and logs, W, T, its rows (SinkFreeRows), then the sums (byte offsets; see
   * metrics_kernel.c).
   */
  rest_windows(...args: [...head: SinkFreeHead, ...rows: SinkFreeRows, sums: number]): void;
  /** The offset rings of one head and sample in both views (as rest_windows, float64 masses; restSums 0: raw only). */
  ring_tallies(...args: [...head: SinkFreeHead, ...rows: SinkFreeRows, rawSums: number, restSums: number]): void;
}
/** What rest_windows and ring_tallies take first: masses, counts, logs (byte offsets), W, T. */
type SinkFreeHead = [masses: number, counts: number, logs: number, W: number, T: number];
/** Then a head-sample's rows: rows, keep, dist, weight (byte offsets), K, the log table, its row length C, ln ε. */
export type SinkFreeRows = [
  rows: number,
  keep: number,
  dist: number,
  weight: number,
  K: number,
  table: number,
  C: number,
  logSmoothing: number,
];
/**
 * data, rows, t0, T, S, rowInfo, pieces, special, valid, firstSource, out, points, masses,
 * windows, W, self, tolerance, margin, redo, columns, columnMass, h0, allValid: byte offsets,
 * counts, flags and the checks' tolerance and margin, as metrics_kernel.c takes them.
 */
export type KernelArgs = NumberTuple<23>;

/** A tuple of N numbers (a call's fixed argument list). */
type NumberTuple<N extends number, R extends number[] = []> = R["length"] extends N
  ? R
  : NumberTuple<N, [...R, number]>;
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}

export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let k = 0; k < binary.length; k++) bytes[k] = binary.charCodeAt(k);
  return bytes;
}

/** One sample's geometry for the kernel, built by pieces.ts. */
export interface SampleTables {
  /** Per target row (ROW_INFO int32): first piece, piece count, split = ⌈pᵢ⌉, visible limit. */
  info: Int32Array;
  /** Per piece: from, to, flags. */
  pieces: Int32Array;
  /** The special-token lists (pieces.ts, specialTable). */
  special: Int32Array;
  /** The strip candidates known before the pass: [n, then n columns ascending] (pieces.ts, candidateColumns). */
  columns: Int32Array;
  /** The source mask (1 = valid), S bytes. */
  valid: Uint8Array;
  /** The first valid source, −1 when none. */
  firstSource: number;
  /** No source of the sample is masked. */
  allValid: boolean;
  /** Self-attention rows (pᵢ = split): the kernel reads the weights around pᵢ. */
  self: boolean;
}

/** Where the kernel writes a row range's results (RowAccumulators in rowAccumulators.ts). */
export interface RowOutputs {
  /** ACC_SIZE doubles per row. */
  sums: Float64Array;
  /** 4 floats per row. */
  points: Float32Array;
  /** 4 floats per row: [CLS], [SEP], punctuation and sink mass. */
  masses: Float32Array;
  /** W floats per row. */
  windows: Float32Array;
}

/** Bytes of shadow stack per worker lane (the kernel's frame is 48 bytes). */
const STACK_BYTES = 16 * 1024;

/** One sample's shape for the kernel's memory: T targets, S sources, W window widths, H heads, rows per chunk. */
export interface SampleDims {
  T: number;
  S: number;
  W: number;
  H: number;
  rows: number;
}

/** Buffers of rows per worker lane: the worker scans one while the caller fills the other. */
export const SLOTS = 2;

/** One buffer of rows for one kernel call (byte offsets). */
interface RowBuffer {
  outAt: number;
  redoAt: number;
  pointsAt: number;
  massesAt: number;
  windowsAt: number;
  dataAt: number;
  /** Its thread's column masses. */
  columnMassAt: number;
}

/** One thread's part of the memory (byte offsets); lane 0 is the calling thread's. */
interface Lane {
  columnMassAt: number;
  /** The top of the lane's shadow stack (0 on lane 0, which keeps the module's own). */
  stackTop: number;
}

/** A kernel instance's linear memory, laid out for one sample at a time. */
export class KernelMemory {
  private f32 = new Float32Array(0);
  private f64 = new Float64Array(0);
  private i32 = new Int32Array(0);
  private u8 = new Uint8Array(0);
  private T = 0;
  private S = 0;
  private W = 0;
  private self = 0;
  private tolerance = 0;
  private margin = 0;
  private specialAt = 0;
  private validAt = 0;
  private columnsAt = 0;
  private columnCount = 0;
  private heads = 0;
  private firstSource = -1;
  private allValid = 0;
  private infoAt = 0;
  private piecesAt = 0;
  private lanes: Lane[] = [];
  /** Buffer 0: the calling thread's; buffers 1 + SLOTS·k … SLOTS·(k + 1): worker k's (lane k + 1). */
  private buffers: RowBuffer[] = [];
  /** The end of the memory any sample has used so far: above it, other users' data outlive the passes. */
  highWater = 0;

  constructor(
    private readonly memory: WasmMemory,
    private readonly base: number,
  ) {}

  /**
   * Room for chunks of up to `rows` rows of S sources with W window masses on this thread, and
   * for SLOTS chunks of `workerRows` rows on each of `workers` worker lanes; the sample's tables
   * written; every lane's column masses of its H heads set to 0. Rows whose checks (validate.ts)
   * fail or are within `margin` (relative) of `tolerance` are listed for a redo (by default every
   * row: tolerance 0).
   */
  setSample(tables: SampleTables, dims: SampleDims, tolerance = 0, margin = 0, workers = 0, workerRows = 0): void {
    const { T, S, W, H, rows } = dims;
    this.T = T;
    this.heads = H;
    this.columnCount = tables.columns[0];
    this.S = S;
    this.W = W;
    this.self = tables.self ? 1 : 0;
    this.tolerance = tolerance;
    this.margin = margin;
    this.firstSource = tables.firstSource;
    this.allValid = tables.allValid ? 1 : 0;
    let at = align16(this.base);
    const place = (bytes: number) => {
      const here = at;
      at = align16(at + bytes);
      return here;
    };
    this.infoAt = place(tables.info.length * 4);
    this.piecesAt = place(tables.pieces.length * 4);
    this.specialAt = place(tables.special.length * 4);
    this.columnsAt = place(tables.columns.length * 4);
    this.validAt = place(tables.valid.length);
    const columnBytes = H * this.columnCount * 8;
    const buffer = (n: number, columnMassAt: number): RowBuffer => ({
      columnMassAt,
      outAt: place(n * ACC_SIZE * 8),
      redoAt: place(n * 4),
      pointsAt: place(n * 4 * 4),
      massesAt: place(n * 4 * 4),
      windowsAt: place(n * W * 4),
      dataAt: place(n * S * 4 + 16),
    });
    this.lanes = [{ stackTop: 0, columnMassAt: place(columnBytes) }];
    this.buffers = [buffer(rows, this.lanes[0].columnMassAt)];
    for (let k = 0; k < workers; k++) {
      const lane = { stackTop: place(STACK_BYTES) + STACK_BYTES, columnMassAt: place(columnBytes) };
      this.lanes.push(lane);
      for (let slot = 0; slot < SLOTS; slot++) this.buffers.push(buffer(workerRows, lane.columnMassAt));
    }
    this.highWater = Math.max(this.highWater, at);
    const memory = this.memory;
    growTo(memory, at);
    if (this.f32.buffer !== memory.buffer) {
      this.f32 = new Float32Array(memory.buffer);
      this.f64 = new Float64Array(memory.buffer);
      this.i32 = new Int32Array(memory.buffer);
      this.u8 = new Uint8Array(memory.buffer);
    }
    this.i32.set(tables.info, this.infoAt >> 2);
    this.i32.set(tables.pieces, this.piecesAt >> 2);
    this.i32.set(tables.special, this.specialAt >> 2);
    this.i32.set(tables.columns, this.columnsAt >> 2);
    this.u8.set(tables.valid, this.validAt);
    for (const lane of this.lanes) {
      this.f64.fill(0, lane.columnMassAt >> 3, (lane.columnMassAt >> 3) + H * this.columnCount);
    }
  }

  /** The column masses lane `lane` summed so far: [H × columns] doubles, head-major (a view into the module's memory). */
  columnMass(lane = 0): Float64Array {
    const at = this.lanes[lane].columnMassAt >> 3;
    return this.f64.subarray(at, at + this.heads * this.columnCount);
  }

  /** The top of lane `lane`'s shadow stack (0: the module's own). */
  stackTop(lane: number): number {
    return this.lanes[lane].stackTop;
  }

  /** Worker k's buffer for slot `slot`. */
  static workerBuffer(k: number, slot: number): number {
    return 1 + SLOTS * k + slot;
  }

  /**
   * Copies rows [first, first + rows) of `data` into buffer `buffer`; returns the kernel's
   * arguments for them (row first is target row t0), adding into the column masses of lane
   * `columnLane` (by default the buffer's own).
   */
  load(data: Float32Array, first: number, rows: number, t0: number, buffer = 0, columnLane?: number): KernelArgs {
    const S = this.S;
    const l = this.buffers[buffer];
    const columnMassAt = columnLane === undefined ? l.columnMassAt : this.lanes[columnLane].columnMassAt;
    this.f32.set(data.subarray(first * S, (first + rows) * S), l.dataAt >> 2);
    return [
      l.dataAt,
      rows,
      t0,
      this.T,
      S,
      this.infoAt,
      this.piecesAt,
      this.specialAt,
      this.validAt,
      this.firstSource,
      l.outAt,
      l.pointsAt,
      l.massesAt,
      l.windowsAt,
      this.W,
      this.self,
      this.tolerance,
      this.margin,
      l.redoAt,
      this.columnsAt,
      columnMassAt,
      Math.floor(first / this.T) % Math.max(1, this.heads),
      this.allValid,
    ];
  }

  /** The numbers (within buffer `buffer`'s last call) of the `count` rows it listed for a redo. */
  redoRows(count: number, buffer = 0): Int32Array {
    const at = this.buffers[buffer].redoAt >> 2;
    return this.i32.subarray(at, at + count);
  }

  /** Copies the results of buffer `buffer`'s last `rows` rows out, into `out` from row `outRow`. */
  read(rows: number, out: RowOutputs, outRow: number, buffer = 0): void {
    const l = this.buffers[buffer];
    const at = l.outAt >> 3;
    out.sums.set(this.f64.subarray(at, at + rows * ACC_SIZE), outRow * ACC_SIZE);
    const points = l.pointsAt >> 2;
    out.points.set(this.f32.subarray(points, points + rows * 4), outRow * 4);
    const masses = l.massesAt >> 2;
    out.masses.set(this.f32.subarray(masses, masses + rows * 4), outRow * 4);
    const windows = l.windowsAt >> 2;
    const W = this.W;
    if (W > 0) out.windows.set(this.f32.subarray(windows, windows + rows * W), outRow * W);
  }
}

/** The kernel on this thread. */
export class WasmRowKernel {
  readonly memory: KernelMemory;

  constructor(
    /** The module's shared linear memory: free above __heap_base between passes (the pattern pass uses it too). */
    readonly linear: WasmMemory,
    readonly exports: KernelExports,
    /** The compiled module, which the pool's workers instantiate over `linear`. */
    readonly module: object,
  ) {
    this.memory = new KernelMemory(linear, exports.__heap_base.value);
  }

  /**
   * Accumulates rows [first, first + rows) of `data` (row first is target row t0) into `out` at
   * the same rows; appends the rows to redo (setSample) to `redo`, as row numbers of `data`. The
   * column masses go to lane `columnLane` (default: this thread's).
   */
  run(
    data: Float32Array,
    first: number,
    rows: number,
    t0: number,
    out: RowOutputs,
    redo?: number[],
    columnLane?: number,
  ): void {
    const count = this.exports.scan_rows(...this.memory.load(data, first, rows, t0, 0, columnLane));
    this.memory.read(rows, out, first);
    if (redo && count > 0) for (const r of this.memory.redoRows(count)) redo.push(first + r);
  }
}

function instantiate(): WasmRowKernel | null {
  const api = wasmApi();
  if (!api) return null;
  const bytes = decodeBase64(KERNEL_WASM_BASE64);
  if (!api.validate(bytes)) return null;
  let memory: WasmMemory;
  try {
    // The module imports a shared memory of up to 4 GiB (reserved, not committed): 1 MiB to start.
    memory = new api.Memory({ initial: 16, maximum: 65536, shared: true });
  } catch {
    return null; // no SharedArrayBuffer here
  }
  const module = new api.Module(bytes);
  const instance = new api.Instance(module, { env: { memory } });
  return new WasmRowKernel(memory, instance.exports as KernelExports, module);
}

let kernel: WasmRowKernel | null | undefined;

/** The kernel, or null where this runtime cannot run it. */
export function wasmRowKernel(): WasmRowKernel | null {
  if (kernel === undefined) kernel = instantiate();
  return kernel;
}

/** Drops the kernel and its memory (a worker that stopped answering may still write there): the next call makes a new one. */
export function discardWasmRowKernel(): void {
  kernel = undefined;
}
