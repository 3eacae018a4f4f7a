import { describe, expect, it, vi } from "vitest";
import { compareAccumulators } from "../../../../test/compareAccumulators";
import { useNativeKernel } from "../../../../test/nativeKernelSetup";
import { type Case, randomCase } from "../../../../test/randomSites";
import { ROW_CORRUPTIONS, type RowCorruption } from "../../../../test/rowCorruptions";
import type { SiteAttention } from "../../../result/types";
import { siteGeometry } from "../geometry";
import { defaultKernel, type RowAccumulators, siteAccumulators } from "../rowAccumulators";
import { scanSite } from "../scan";
import { DEFAULT_TOLERANCE } from "../validate";
import { nativeAddon, nativeUnavailableReason } from "./nativeKernel";

/**
 * The native row kernel (the WebAssembly kernel's C source, built as an addon):
 * - at 4 weights a step, every output the same as the WebAssembly kernel's to the bit (sums,
 *   single weights, special-token and window masses, column masses, so also the rows each leaves
 *   to the JavaScript kernel);
 * - at the widths this CPU has (8 with AVX2, 16 with AVX-512), the sums within 1e-6 of the
 *   JavaScript kernel's float64 ones and everything else the same to the bit;
 * - the same at every thread count, and whether or not the site's memory has room after its last
 *   row (the kernel's last vector load of a row reads past it);
 * - the same rows accepted and rejected, with the same messages.
 */

const native = useNativeKernel();

function addon() {
  const a = nativeAddon();
  if (!a) throw new Error(`no native addon: ${nativeUnavailableReason()}`);
  return a;
}

/** The widths to test: 4 and whatever wider this CPU runs. */
function widths(): number[] {
  return [4, 8, 16].filter((n) => n <= native.widest);
}

function expectSame(label: string, a: RowAccumulators, b: RowAccumulators, sums = true): void {
  const same = (x: ArrayLike<number>, y: ArrayLike<number>, what: string) => {
    expect(x.length, `${label}: ${what} length`).toBe(y.length);
    for (let k = 0; k < x.length; k++) {
      if (!Object.is(x[k], y[k])) expect.fail(`${label}: ${what}[${k}] is ${x[k]}, expected ${y[k]}`);
    }
  };
  if (sums) same(a.sums, b.sums, "sums");
  same(a.points, b.points, "points");
  same(a.masses, b.masses, "masses");
  same(a.windows, b.windows, "windows");
  expect(a.columnMass.length).toBe(b.columnMass.length);
  a.columnMass.forEach((m, k) => {
    same(m.columns, b.columnMass[k].columns, `columns of sample ${k}`);
    same(m.mass, b.columnMass[k].mass, `column masses of sample ${k}`);
  });
}

/** The case's site with its data in a buffer of its own, `slack` bytes longer than the data. */
function withSlack(site: SiteAttention, slack: number): SiteAttention {
  const data = new Float32Array(new ArrayBuffer(site.data.byteLength + slack), 0, site.data.length);
  data.set(site.data);
  return { ...site, data };
}

/** The usual random sites (1…129 sources), then longer ones, whose runs take the widest loops. */
function cases(count: number, seed0: number): Case[] {
  const long = { lengths: [65, 100, 129, 200, 257, 300, 513], maxBatch: 2, maxHeads: 3 };
  return Array.from({ length: count }, (_, k) => (k % 3 === 2 ? randomCase(seed0 + k, long) : randomCase(seed0 + k)));
}

describe("native row kernel", () => {
  it("loads where it was built, runs the widest vectors the CPU has, and is the default kernel", () => {
    expect(nativeAddon(), nativeUnavailableReason()).not.toBeNull();
    expect(defaultKernel()).toBe("native");
    expect([4, 8, 16]).toContain(native.widest);
    if (process.arch === "x64") expect(native.widest).toBeGreaterThanOrEqual(8); // every x64 CI machine has AVX2
  });

  it("at 4 weights a step, matches the WebAssembly kernel to the bit (300 random sites, with and without room after the data)", () => {
    addon().lanes(4);
    for (const c of cases(300, 1)) {
      const geo = siteGeometry(c.result, c.site, c.options);
      const wasm = siteAccumulators(c.site, geo, DEFAULT_TOLERANCE, 16, "wasm", 1);
      for (const slack of [0, 4, 64, 256]) {
        const native = siteAccumulators(withSlack(c.site, slack), geo, DEFAULT_TOLERANCE, 16, "native", 1);
        expectSame(`${c.label}, ${slack} bytes after the data`, native, wasm);
      }
    }
  });

  it("at every width the CPU has, sums within 1e-6 of the JavaScript kernel and reads the same single weights", () => {
    for (const lanes of widths()) {
      addon().lanes(lanes);
      for (const c of cases(150, 5000)) {
        const geo = siteGeometry(c.result, c.site, c.options);
        const js = siteAccumulators(c.site, geo, DEFAULT_TOLERANCE, 16, "js");
        const wasm = siteAccumulators(c.site, geo, DEFAULT_TOLERANCE, 16, "wasm", 1);
        for (const slack of [0, 256]) {
          const native = siteAccumulators(withSlack(c.site, slack), geo, DEFAULT_TOLERANCE, 16, "native", 1);
          compareAccumulators(c, native.sums, js.sums);
          expectSame(`${c.label}, ${lanes} lanes, ${slack} bytes after the data`, native, wasm, false);
        }
      }
    }
  });

  it("gives the same answer at any thread count (heads whole to one thread)", () => {
    for (const c of cases(60, 500)) {
      const geo = siteGeometry(c.result, c.site, c.options);
      const one = siteAccumulators(c.site, geo, DEFAULT_TOLERANCE, 16, "native", 1);
      for (const threads of [2, 3, 7, 64]) {
        const many = siteAccumulators(c.site, geo, DEFAULT_TOLERANCE, 16, "native", threads);
        expectSame(`${c.label}, ${threads} threads`, many, one);
      }
    }
  });

  it("accepts and rejects the same rows as the WebAssembly kernel, with the same messages, at every width", () => {
    const corruptions: Array<[string, RowCorruption]> = [["none", () => {}], ...ROW_CORRUPTIONS];
    let rejected = 0;
    for (const lanes of widths()) {
      addon().lanes(lanes);
      for (const [what, corrupt] of corruptions) {
        for (const original of cases(12, 2000)) {
          const c = { ...original, site: withSlack(original.site, 0) };
          const [B, H, T, S] = c.site.dims;
          const geo = siteGeometry(c.result, c.site, c.options);
          const i = geo.samples[B - 1].targetValid.lastIndexOf(1);
          if (i < 0 || S < 2) continue;
          // the site's last valid row: with no room after it, the row the addon reads from a copy
          corrupt(c.site.data, (((B - 1) * H + H - 1) * T + i) * S, S);
          const outcome = (kernel: "native" | "wasm") => {
            try {
              scanSite(c.site, geo, DEFAULT_TOLERANCE, 16, kernel);
              return "accepted";
            } catch (e) {
              rejected += kernel === "native" ? 1 : 0;
              return (e as Error).message;
            }
          };
          expect(outcome("native"), `${c.label}, ${lanes} lanes, ${what}`).toBe(outcome("wasm"));
        }
      }
    }
    expect(rejected).toBeGreaterThan(20);
  });

  it("gives the WebAssembly kernel's row metrics at 4 weights a step, and within float32 rounding at the widest", () => {
    for (const c of cases(60, 1000)) {
      const geo = siteGeometry(c.result, c.site, c.options);
      const { kernel: _w, headSums: _hw, ...wasm } = scanSite(c.site, geo, DEFAULT_TOLERANCE, 16, "wasm");
      addon().lanes(4);
      const { kernel: used, headSums: _h4, ...four } = scanSite(c.site, geo, DEFAULT_TOLERANCE, 16, "native");
      expect(used).toBe("native");
      expect(four, c.label).toEqual(wasm);
      addon().lanes(native.widest);
      const { kernel: _n, headSums: _hn, ...wide } = scanSite(c.site, geo, DEFAULT_TOLERANCE, 16, "native");
      expect(wide.argmax, c.label).toEqual(wasm.argmax);
      for (const [key, values] of Object.entries(wide.rows)) {
        const reference = wasm.rows[key as keyof typeof wasm.rows];
        for (let k = 0; k < values.length; k++) {
          const [x, y] = [values[k], reference[k]];
          if (Number.isNaN(y) ? !Number.isNaN(x) : !(Math.abs(x - y) <= 2e-6 * Math.max(1, Math.abs(y))))
            expect.fail(`${c.label}: ${key}[${k}] is ${x} at ${native.widest} lanes, ${y} at 4`);
        }
      }
    }
  });

  it("refuses arrays that do not fit the shape, in JavaScript, without touching memory", () => {
    const i32 = (n: number) => new Int32Array(n);
    const f32 = (n: number) => new Float32Array(n);
    const f64 = (n: number) => new Float64Array(n);
    type Rows = (Float32Array | Int32Array | Float64Array)[] | null;
    const rowArrays = (n: number): Rows => [...Array.from({ length: 14 }, () => f32(n)), i32(n), f64(2 * 28)];
    const call = (
      data: Float32Array,
      sums: Float64Array,
      columns = Int32Array.from([0]),
      rows: Rows = null,
      targets: Float64Array | null = null,
    ) =>
      addon().wait(
        addon().submit(
          data,
          0,
          2,
          4,
          4,
          i32(16),
          i32(0),
          i32(5),
          new Uint8Array(4),
          columns,
          0,
          1,
          1,
          0,
          1e-3,
          1e-5,
          sums,
          f32(32),
          f32(32),
          f32(0),
          f64(0),
          1,
          rows,
          targets,
        ),
      );
    expect(() => call(f32(31), f64(96))).toThrow(/shorter than the shape/);
    expect(() => call(f32(32), f64(95))).toThrow(/shorter than the shape/);
    expect(() => call(f32(32), f64(96), Int32Array.from([3, 0]))).toThrow(/shorter than the shape/);
    expect(() => call(new Float64Array(32) as unknown as Float32Array, f64(96))).toThrow(/wrong type/);
    expect(() => call(f32(32), f64(96))).not.toThrow();
    // the row metrics' arrays: all of them, long enough, with the targets table, or neither
    const rowsBad = /rows and targets/;
    expect(() => call(f32(32), f64(96), undefined, rowArrays(8), f64(16))).not.toThrow();
    expect(() => call(f32(32), f64(96), undefined, rowArrays(7), f64(16))).toThrow(rowsBad);
    expect(() => call(f32(32), f64(96), undefined, rowArrays(8)?.slice(1) ?? null, f64(16))).toThrow(rowsBad);
    expect(() => call(f32(32), f64(96), undefined, rowArrays(8), f64(15))).toThrow(rowsBad);
    expect(() => call(f32(32), f64(96), undefined, rowArrays(8), null)).toThrow(rowsBad);
    expect(() => call(f32(32), f64(96), undefined, null, f64(16))).toThrow(rowsBad);
    // the same checks on the call that scans at once
    const now = (data: Float32Array) =>
      addon().scan(
        data,
        0,
        2,
        4,
        4,
        i32(16),
        i32(0),
        i32(5),
        new Uint8Array(4),
        Int32Array.from([0]),
        0,
        1,
        1,
        0,
        1e-3,
        1e-5,
        f64(96),
        f32(32),
        f32(32),
        f32(0),
        f64(0),
        1,
        null,
        null,
      );
    expect(() => now(f32(31))).toThrow(/^scan: an array shorter than the shape/);
    expect(now(f32(32))).toEqual(new Int32Array(0));
    expect(() => addon().wait({} as never)).toThrow(/give a job from submit/);
    expect(() => addon().lanes(5)).toThrow(/4, 8 or 16/);
    if (native.widest < 16) expect(() => addon().lanes(16)).toThrow(/no vectors that wide/);
  });

  it("without the addon, runs the WebAssembly kernel, and refuses kernel: 'native' with why and what to do", async () => {
    vi.resetModules();
    vi.stubEnv("ATTNLENS_NATIVE", "0");
    try {
      const { defaultKernel } = await import("../rowAccumulators");
      const { siteMetrics } = await import("../headMetrics");
      const { designedSite } = await import("../../../testing/syntheticMaps");
      expect(defaultKernel()).toBe("wasm");
      const { site, mask } = designedSite("uniform", { lengths: [5, 3] });
      const result = { sites: [site], provider: "cpu", fallbacks: [], masks: { encoder: mask }, outputs: {} };
      expect(siteMetrics(result, site).heads[0].entropy).toBeCloseTo((5 * Math.log(5) + 3 * Math.log(3)) / 8, 6);
      expect(() => siteMetrics(result, site, { kernel: "native" })).toThrow(
        /kernel "native": the addon did not load \(ATTNLENS_NATIVE=0\); build it with `npm run build`/,
      );
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });

  it("names the kernels it knows when given another", () => {
    const c = randomCase(7);
    const geo = siteGeometry(c.result, c.site, c.options);
    expect(() => siteAccumulators(c.site, geo, DEFAULT_TOLERANCE, 0, "gpu" as "js")).toThrow(
      /metrics kernel "gpu": give "native", "wasm" or "js"/,
    );
  });
});
