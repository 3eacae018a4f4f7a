import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type CaseShapes, randomCase } from "../../../../test/randomSites";
import { siteGeometry } from "../geometry";
import { type RowAccumulators, siteAccumulators } from "../rowAccumulators";
import { ACC_SIZE } from "../runKernel";
import { scanSite } from "../scan";
import { DEFAULT_TOLERANCE } from "../validate";
import { wasmRowKernel } from "./kernel";
import { KernelWorker, kernelWorkersReady } from "./kernelPool";
import { PARALLEL_MIN_WEIGHTS, scanSample } from "./parallelRows";
import { sampleTables } from "./pieces";

/**
 * The metric pass on several threads against the same pass on one: every accumulator, single
 * weight, window and column mass the same to the bit (each head stays whole on one thread), the
 * same rows rejected with the same message, and a worker that fails or stops answering handled.
 */

/** Shapes from one token to 200, up to 7 heads: a count of threads asked for shares out every sample of 2 heads or more. */
const SHAPES: CaseShapes = { lengths: [1, 5, 16, 33, 64, 100, 129, 200], maxBatch: 3, maxHeads: 7 };
const THREADS = 4;

function shared(c: ReturnType<typeof randomCase>): boolean {
  return c.site.dims[1] > 1;
}

/** The first random case from `seed` on that is shared out over at least 3 heads. */
function sharedCase(seed: number): ReturnType<typeof randomCase> {
  for (let k = seed; ; k++) {
    const c = randomCase(k, { lengths: [129, 160], maxBatch: 1, maxHeads: 6 });
    if (shared(c) && c.site.dims[1] >= 3) return c;
  }
}

/** Sample 0 of `c` through scanSample on this thread and `workers`. */
function scanOnce(c: ReturnType<typeof randomCase>, workers: KernelWorker[]) {
  const kernel = wasmRowKernel();
  if (!kernel) throw new Error("no WebAssembly kernel");
  const [, H, T, S] = c.site.dims;
  const geo = siteGeometry(c.result, c.site, c.options);
  const tables = sampleTables(geo, geo.samples[0]);
  const W = 16;
  const out = {
    sums: new Float64Array(H * T * ACC_SIZE),
    points: new Float32Array(H * T * 4),
    masses: new Float32Array(H * T * 4),
    windows: new Float32Array(H * T * W),
  };
  const columnMass = new Float64Array(H * tables.columns[0]);
  const redo: number[] = [];
  const job = { tables, dims: { T, S, W, H, rows: 64 }, tolerance: DEFAULT_TOLERANCE, margin: 1e-5, minWeights: 0 };
  const done = scanSample(kernel, workers, job, c.site.data, 0, out, redo, columnMass);
  return { done, out, redo, columnMass };
}

describe("the metric pass on worker threads", () => {
  beforeAll(async () => {
    const kernel = wasmRowKernel();
    if (!kernel) throw new Error("no WebAssembly kernel");
    expect(await kernelWorkersReady(kernel, THREADS)).toBe(THREADS - 1);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  const same = (a: RowAccumulators, b: RowAccumulators, label: string) => {
    expect(a.sums, label).toEqual(b.sums);
    expect(a.points, label).toEqual(b.points);
    expect(a.masses, label).toEqual(b.masses);
    expect(a.windows, label).toEqual(b.windows);
    expect(a.columnMass, label).toEqual(b.columnMass);
  };

  it("gives what one thread gives, to the bit, on 120 random sites (padding, holes, causal, KV cache, cross, segments, specials)", () => {
    const posted = vi.spyOn(KernelWorker.prototype, "post");
    let sharable = 0;
    let sharedOut = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const c = randomCase(seed, SHAPES);
      const geo = siteGeometry(c.result, c.site, c.options);
      const before = posted.mock.calls.length;
      const many = siteAccumulators(c.site, geo, DEFAULT_TOLERANCE, 16, "wasm", THREADS);
      if (shared(c)) {
        sharable++;
        if (posted.mock.calls.length > before) sharedOut++;
      }
      same(many, siteAccumulators(c.site, geo, DEFAULT_TOLERANCE, 16, "wasm", 1), c.label);
    }
    expect(sharable).toBeGreaterThanOrEqual(60);
    // A worker that has not yet skipped a job taken back from it is not ready, and the next
    // sample runs without it (on a loaded machine, now and then): most samples still share.
    expect(sharedOut).toBeGreaterThanOrEqual(sharable / 2);
  });

  it("by default shares out only samples of 2²⁰ weights or more", () => {
    const posted = vi.spyOn(KernelWorker.prototype, "post");
    const uniform = (H: number, T: number) => {
      const c = randomCase(1, { lengths: [T], maxBatch: 1, maxHeads: 1 });
      const site = {
        ...c.site,
        heads: H,
        causal: false,
        kind: "self" as const,
        dims: [1, H, T, T] as [number, number, number, number],
      };
      site.data = new Float32Array(H * T * T).fill(1 / T);
      const result = { ...c.result, sites: [site], masks: {}, tokens: undefined };
      return { site, geo: siteGeometry(result, site, {}) };
    };
    const small = uniform(12, 128); // BERT-base at 128 tokens: 0.2 M weights a sample
    siteAccumulators(small.site, small.geo, DEFAULT_TOLERANCE, 16, "wasm");
    expect(posted).not.toHaveBeenCalled();
    const large = uniform(4, 520); // 1.08 M
    expect(4 * 520 * 520).toBeGreaterThanOrEqual(PARALLEL_MIN_WEIGHTS);
    const many = siteAccumulators(large.site, large.geo, DEFAULT_TOLERANCE, 16, "wasm");
    expect(posted).toHaveBeenCalled();
    same(
      many,
      siteAccumulators(large.site, large.geo, DEFAULT_TOLERANCE, 16, "wasm", 1),
      "4 uniform heads, 520 tokens",
    );
  });

  it("refuses a thread count that is not a whole number ≥ 1, saying what to give", () => {
    const c = randomCase(3);
    const geo = siteGeometry(c.result, c.site, c.options);
    for (const threads of [0, -2, 1.5, Number.NaN, "2" as unknown as number]) {
      expect(() => siteAccumulators(c.site, geo, DEFAULT_TOLERANCE, 16, "wasm", threads)).toThrow(
        /threads: .*whole number ≥ 1/,
      );
    }
  });

  it("rejects the same row with the same message when the bad row is on a worker's head", () => {
    for (let seed = 100; seed < 140; seed++) {
      const c = randomCase(seed, SHAPES);
      if (!shared(c)) continue;
      const [, H, T, S] = c.site.dims;
      const geo = siteGeometry(c.result, c.site, c.options);
      const i = geo.samples[0].targetValid.indexOf(1);
      const r = ((H - 1) * T + i) * S; // the last head of sample 0: a worker's
      const data = c.site.data;
      let j = r;
      while (data[j] === 0) j++;
      data[j] += 0.01; // the row now sums to 1.01
      const message = (threads: number) => {
        try {
          scanSite(c.site, geo, DEFAULT_TOLERANCE, 16, "wasm", threads);
          return "accepted";
        } catch (e) {
          return (e as Error).message;
        }
      };
      expect(message(1), c.label).toMatch(/sum/);
      expect(message(THREADS), c.label).toBe(message(1));
      return;
    }
    expect.fail("no random case was shared out");
  });

  it("does a worker's heads on the calling thread when the kernel failed there", () => {
    // a worker whose every job fails (the kernel trapped there)
    const failing = () => {
      let posted = 0;
      return {
        ready: true,
        nextSlot: 0,
        finished: () => true,
        post: () => posted++,
        steal: () => false,
        result: () => -1,
      };
    };
    const c = sharedCase(7);
    const alone = scanOnce(c, []);
    const helped = scanOnce(c, [failing(), failing()] as unknown as KernelWorker[]);
    expect(helped.done).toBe(true);
    expect(helped.out).toEqual(alone.out);
    expect(helped.redo).toEqual(alone.redo);
    expect(helped.columnMass).toEqual(alone.columnMass);
  });

  it("takes back the jobs a worker has not started and scans them here, to the same bits", () => {
    // a worker kept off its core: it never starts a job, so every job it was given is taken back
    const idle = () => {
      const args = new Map<number, unknown>();
      let posted = 0;
      return {
        ready: true,
        get nextSlot() {
          return posted & 1;
        },
        finished: () => false,
        post(a: unknown) {
          args.set(posted, [...(a as number[])]);
          return posted++;
        },
        steal: () => true,
        argsOf: (job: number) => args.get(job),
        result: () => expect.fail("waited for a job the worker never started"),
      };
    };
    for (const seed of [7, 21, 40]) {
      const c = sharedCase(seed);
      const alone = scanOnce(c, []);
      const helped = scanOnce(c, [idle(), idle()] as unknown as KernelWorker[]);
      expect(helped.out).toEqual(alone.out);
      expect(helped.redo).toEqual(alone.redo);
      expect(helped.columnMass).toEqual(alone.columnMass);
    }
  });

  it("gives up a worker that stops answering, and starts over on new memory", () => {
    const kernel = wasmRowKernel();
    let posted = 0;
    const silent = {
      ready: true,
      nextSlot: 0,
      finished: () => false,
      post: () => posted++,
      steal: () => false,
      result: () => {
        throw new Error("a worker thread of the metric pass stopped answering");
      },
    } as unknown as KernelWorker;
    expect(() => scanOnce(sharedCase(7), [silent])).toThrow(/stopped answering/);
    const fresh = wasmRowKernel();
    expect(fresh).not.toBeNull();
    expect(fresh).not.toBe(kernel);
  });
});
