/**
 * The WebAssembly SIMD row kernel (kernel-lib/wasm/metrics_kernel.c), instantiated once, on first
 * use, from the module in kernelModule.ts, with one linear memory that grows as sites need and is
 * reused by every call. `null` where WebAssembly or its 128-bit SIMD is missing (the module does
 * not validate): the metric pass then runs the JavaScript kernel.
 *
 * Memory above the module's own (__heap_base): [out: rows × ACC_SIZE doubles] [redo: rows int32]
 * [points: rows × 4 floats] [masses: rows × 4 floats] [windows: rows × W floats] [row info: T × ROW_INFO int32]
 * [pieces: count × 3 int32] [special-token lists] [candidate columns] [column masses: heads ×
 * columns doubles] [source mask: S bytes] [data: rows × S floats, + 16 bytes that the last row's
 * masked tail load may read].
 */
import { ACC_SIZE } from "../runKernel";
import { KERNEL_WASM_BASE64 } from "./kernelModule";

/** The part of the WebAssembly API used here (kernel-lib compiles without the DOM typings). */
export interface WasmMemory {
  buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
export interface KernelExports {
  __heap_base: { value: number };
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
}
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
}

export const PAGE = 65536;

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

const align16 = (n: number) => (n + 15) & ~15;

/** One sample's shape for the kernel's memory: T targets, S sources, W window widths, H heads, rows per chunk. */
export interface SampleDims {
  T: number;
  S: number;
  W: number;
  H: number;
  rows: number;
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
  private outAt = 0;
  private redoAt = 0;
  private tolerance = 0;
  private margin = 0;
  private pointsAt = 0;
  private massesAt = 0;
  private specialAt = 0;
  private validAt = 0;
  private columnsAt = 0;
  private columnMassAt = 0;
  private columnCount = 0;
  private heads = 0;
  private firstSource = -1;
  private allValid = 0;
  private windowsAt = 0;
  private infoAt = 0;
  private piecesAt = 0;
  private dataAt = 0;
  /** The end of the memory any sample has used so far: above it, other users' data outlive the passes. */
  highWater = 0;

  constructor(
    private readonly memory: WasmMemory,
    private readonly base: number,
  ) {}

  /**
   * Room for chunks of up to `rows` rows of S sources with W window masses, and the sample's
   * tables written; its H heads' column masses set to 0. Rows whose checks (validate.ts) fail or
   * are within `margin` (relative) of `tolerance` are listed for a redo (by default every row:
   * tolerance 0).
   */
  setSample(tables: SampleTables, dims: SampleDims, tolerance = 0, margin = 0): void {
    const { T, S, W, H, rows } = dims;
    this.T = T;
    this.heads = H;
    this.columnCount = tables.columns[0];
    this.S = S;
    this.W = W;
    this.self = tables.self ? 1 : 0;
    this.tolerance = tolerance;
    this.margin = margin;
    this.outAt = align16(this.base);
    this.redoAt = this.outAt + align16(rows * ACC_SIZE * 8);
    this.pointsAt = this.redoAt + align16(rows * 4);
    this.massesAt = this.pointsAt + align16(rows * 4 * 4);
    this.windowsAt = this.massesAt + align16(rows * 4 * 4);
    this.infoAt = this.windowsAt + align16(rows * W * 4);
    this.piecesAt = this.infoAt + align16(tables.info.length * 4);
    this.specialAt = this.piecesAt + align16(tables.pieces.length * 4);
    this.columnsAt = this.specialAt + align16(tables.special.length * 4);
    this.columnMassAt = this.columnsAt + align16(tables.columns.length * 4);
    this.validAt = this.columnMassAt + align16(H * this.columnCount * 8);
    this.dataAt = this.validAt + align16(tables.valid.length);
    this.firstSource = tables.firstSource;
    this.allValid = tables.allValid ? 1 : 0;
    const end = this.dataAt + rows * S * 4 + 16;
    this.highWater = Math.max(this.highWater, end);
    const memory = this.memory;
    if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
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
    this.f64.fill(0, this.columnMassAt >> 3, (this.columnMassAt >> 3) + H * this.columnCount);
    this.u8.set(tables.valid, this.validAt);
  }

  /** The column masses summed so far: [H × columns] doubles, head-major (a view into the module's memory). */
  columnMass(): Float64Array {
    const at = this.columnMassAt >> 3;
    return this.f64.subarray(at, at + this.heads * this.columnCount);
  }

  /** Copies rows [first, first + rows) of `data` in; returns the kernel's arguments for them (row first is target row t0). */
  load(data: Float32Array, first: number, rows: number, t0: number): KernelArgs {
    const S = this.S;
    this.f32.set(data.subarray(first * S, (first + rows) * S), this.dataAt >> 2);
    return [
      this.dataAt,
      rows,
      t0,
      this.T,
      S,
      this.infoAt,
      this.piecesAt,
      this.specialAt,
      this.validAt,
      this.firstSource,
      this.outAt,
      this.pointsAt,
      this.massesAt,
      this.windowsAt,
      this.W,
      this.self,
      this.tolerance,
      this.margin,
      this.redoAt,
      this.columnsAt,
      this.columnMassAt,
      Math.floor(first / this.T) % Math.max(1, this.heads),
      this.allValid,
    ];
  }

  /** The numbers (within the last call) of the `count` rows it listed for a redo. */
  redoRows(count: number): Int32Array {
    return this.i32.subarray(this.redoAt >> 2, (this.redoAt >> 2) + count);
  }

  /** Copies the results of the last `rows` rows out, into `out` from row `outRow`. */
  read(rows: number, out: RowOutputs, outRow: number): void {
    const at = this.outAt >> 3;
    out.sums.set(this.f64.subarray(at, at + rows * ACC_SIZE), outRow * ACC_SIZE);
    const points = this.pointsAt >> 2;
    out.points.set(this.f32.subarray(points, points + rows * 4), outRow * 4);
    const masses = this.massesAt >> 2;
    out.masses.set(this.f32.subarray(masses, masses + rows * 4), outRow * 4);
    const windows = this.windowsAt >> 2;
    const W = this.W;
    if (W > 0) out.windows.set(this.f32.subarray(windows, windows + rows * W), outRow * W);
  }
}

/** The kernel on this thread. */
export class WasmRowKernel {
  readonly memory: KernelMemory;

  constructor(
    /** The module's linear memory: free above __heap_base between passes (the pattern pass uses it too). */
    readonly linear: WasmMemory,
    readonly exports: KernelExports,
  ) {
    this.memory = new KernelMemory(linear, exports.__heap_base.value);
  }

  /**
   * Accumulates rows [first, first + rows) of `data` (row first is target row t0) into `out` at
   * the same rows; appends the rows to redo (setSample) to `redo`, as row numbers of `data`.
   */
  run(data: Float32Array, first: number, rows: number, t0: number, out: RowOutputs, redo?: number[]): void {
    const count = this.exports.scan_rows(...this.memory.load(data, first, rows, t0));
    this.memory.read(rows, out, first);
    if (redo && count > 0) for (const r of this.memory.redoRows(count)) redo.push(first + r);
  }
}

function instantiate(): WasmRowKernel | null {
  const api = wasmApi();
  if (!api) return null;
  const bytes = decodeBase64(KERNEL_WASM_BASE64);
  if (!api.validate(bytes)) return null;
  const instance = new api.Instance(new api.Module(bytes), {});
  const own = instance.exports as KernelExports & { memory: WasmMemory };
  return new WasmRowKernel(own.memory, own);
}

let kernel: WasmRowKernel | null | undefined;

/** The kernel, or null where this runtime cannot run it. */
export function wasmRowKernel(): WasmRowKernel | null {
  if (kernel === undefined) kernel = instantiate();
  return kernel;
}
