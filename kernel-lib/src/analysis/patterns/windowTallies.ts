/**
 * The window tallies of the raw view (rawTallies.ts) summed by the WebAssembly module
 * (metrics_kernel.c, window_tallies): sixteen widths per row are most of the evidence pass's
 * mass terms, and in float64 SIMD lanes, two widths a vector and four side by side, they take a
 * fraction of the JavaScript loop's time. The operations and their order are JavaScript's
 * (Tally.addMasses), so the sums are the same to the bit; the JavaScript loop stays the path where
 * WebAssembly SIMD is missing and for passes run with the JavaScript row kernel.
 *
 * The module's memory above __heap_base is free between metric passes (the row kernel lays it out
 * anew for each sample), so one site's tables live there while its heads are summed: per sample
 * the windows' chance and template logs (T × W float64 each) and runs, then one head-sample's
 * masses (T × W float32) and the head's sums (W tallies, TallyArena's layout).
 */
import { wasmRowKernel } from "../metrics/wasm/kernel";
import type { RowTemplates } from "./rowTemplates";
import { TallyArena } from "./tally";
import { PATTERN_SMOOTHING } from "./thresholds";

const LOG_SMOOTHING = Math.log(PATTERN_SMOOTHING);
const align16 = (n: number) => (n + 15) & ~15;

interface SampleAt {
  chance: number;
  logs: number;
  runs: number;
  runStart: number;
}

/** One site's window tallies in the module (see the file comment); null where it cannot run. */
export class WasmWindowTallies {
  private readonly samples: SampleAt[] = [];
  private readonly massesAt: number;
  private readonly sumsAt: number;
  private f32: Float32Array;
  private f64: Float64Array;

  private constructor(
    private readonly kernel: NonNullable<ReturnType<typeof wasmRowKernel>>,
    templates: RowTemplates[],
    private readonly T: number,
    private readonly W: number,
  ) {
    let at = align16(kernel.exports.__heap_base.value);
    const place = (bytes: number) => {
      const here = at;
      at = align16(at + bytes);
      return here;
    };
    const sizes = templates.map((tp) => tp.windows.runs.reduce((s, r) => s + r.length, 0));
    for (const n of sizes) {
      this.samples.push({
        chance: place(T * W * 8),
        logs: place(T * W * 8),
        runs: place(n * 4),
        runStart: place((W + 1) * 4),
      });
    }
    this.massesAt = place(T * W * 4 + 16);
    this.sumsAt = place(W * TallyArena.SIZE * 8);
    const memory = kernel.linear;
    if (at > memory.buffer.byteLength) memory.grow(Math.ceil((at - memory.buffer.byteLength) / 65536));
    this.f32 = new Float32Array(memory.buffer);
    this.f64 = new Float64Array(memory.buffer);
    const i32 = new Int32Array(memory.buffer);
    templates.forEach((tp, b) => {
      const s = this.samples[b];
      const c = tp.windows;
      this.f64.set(c.chance, s.chance >> 3);
      this.f64.set(c.log, s.logs >> 3);
      let k = s.runs >> 2;
      for (let w = 0; w < W; w++) {
        i32[(s.runStart >> 2) + w] = k - (s.runs >> 2);
        i32.set(c.runs[w], k);
        k += c.runs[w].length;
      }
      i32[(s.runStart >> 2) + W] = k - (s.runs >> 2);
    });
  }

  /**
   * For a site whose samples have these templates and W window tallies per head: null where
   * WebAssembly SIMD is missing, or a window lane marks rows NAN (windows never do; the
   * JavaScript loop checks those).
   */
  static forSite(templates: RowTemplates[], T: number, W: number): WasmWindowTallies | null {
    if (W === 0) return null;
    const kernel = wasmRowKernel();
    if (!kernel) return null;
    if (templates.some((tp) => tp.windows.stride !== W || tp.windows.nanRows.some((r) => r.length > 0))) return null;
    return new WasmWindowTallies(kernel, templates, T, W);
  }

  /** Starts a head: its window sums as in `raw` (SharedSums.raw: the windows after its first 5 tallies). */
  begin(raw: Float64Array): void {
    const SIZE = TallyArena.SIZE;
    this.f64.set(raw.subarray(5 * SIZE, (5 + this.W) * SIZE), this.sumsAt >> 3);
  }

  /** Adds one sample's rows of the head, masses[from … from + T·W); false when a mass sum is NaN. */
  add(b: number, masses: Float32Array, from: number): boolean {
    const { T, W } = this;
    const s = this.samples[b];
    this.f32.set(masses.subarray(from, from + T * W), this.massesAt >> 2);
    const ok = this.kernel.exports.window_tallies(
      this.massesAt,
      s.chance,
      s.logs,
      W,
      s.runs,
      s.runStart,
      LOG_SMOOTHING,
      this.sumsAt,
    );
    return ok === 1;
  }

  /** The head's sums: W tallies in TallyArena's layout (a view, valid until the next head). */
  sums(): Float64Array {
    const at = this.sumsAt >> 3;
    return this.f64.subarray(at, at + this.W * TallyArena.SIZE);
  }
}
