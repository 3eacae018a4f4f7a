import { describe, expect, it } from "vitest";
import type { AttentionResult, SiteAttention } from "../../../result/types";
import { randomSite } from "../../../testing/syntheticMaps";
import { seededRandom } from "../../../util/random";
import { type Fusion, fuseWithGeometry } from "../aggregate";
import { siteGeometry } from "../geometry";
import { multiplyJs } from "../residual";
import { rollout } from "../rollout";
import { groupKeys } from "./ortSync";
import { fuseAndCheckOnOrt, ortMultiply } from "./rolloutHost";
import { ONE_RUN_SESSIONS, rolloutInOneRun } from "./rolloutRun";

type Dims = [number, number, number, number];

const maskOf = (lengths: number[], T: number) => ({
  data: Uint8Array.from(lengths.flatMap((n) => Array.from({ length: T }, (_, j) => (j < n ? 1 : 0)))),
  dims: [lengths.length, T] as [number, number],
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let k = 0; k < a.length; k++) d = Math.max(d, Math.abs(a[k] - b[k]));
  return d;
}

/** The error message a call throws, or "" when it returns. */
function thrown(f: () => unknown): string {
  try {
    f();
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

/** rollout refuses `site` as the reference path does, with the same message, which names `where`. */
function expectSameRefusal(site: SiteAttention, masks: AttentionResult["masks"], where: RegExp, what: string): void {
  const result: AttentionResult = { sites: [site], provider: "cpu", fallbacks: [], masks };
  const want = thrown(() => rollout(result, { kernel: "js" }));
  expect(want, what).toMatch(where);
  expect(
    thrown(() => rollout(result)),
    what,
  ).toBe(want);
}

describe("rollout's host work on onnxruntime", () => {
  it("multiplies like the float64 JavaScript reference (non-square, odd sizes)", () => {
    const rand = seededRandom(5);
    const [n, k, m] = [37, 53, 29];
    const a = Float32Array.from({ length: n * k }, () => rand() / k);
    const b = Float32Array.from({ length: k * m }, () => rand());
    const got = ortMultiply(a, b, n, k, m);
    expect(got).not.toBeNull(); // onnxruntime-node is a dependency: the fast path must be taken here
    const want = multiplyJs(Float64Array.from(a), Float64Array.from(b), n, k, m);
    expect(maxDiff(got as Float32Array, want)).toBeLessThan(1e-6);
  });

  it("fuses heads as fuseWithGeometry does (causal, padded, every fusion, a head subset)", () => {
    const dims: Dims = [2, 4, 9, 9];
    const site = randomSite("decoder", "self", 0, { dims, seed: 7, causal: true, lengths: [9, 6] });
    const result: AttentionResult = {
      sites: [site],
      provider: "cpu",
      fallbacks: [],
      masks: { decoder: maskOf([9, 6], 9) },
    };
    const geo = siteGeometry(result, site, {});
    for (const fusion of ["mean", "max", "min"] as Fusion[]) {
      for (const heads of [undefined, [3, 1]]) {
        const got = fuseAndCheckOnOrt(site, geo, 1e-3, fusion, heads);
        expect(got).not.toBeNull();
        expect(maxDiff(got as Float32Array, fuseWithGeometry(site, geo, fusion, heads).data)).toBeLessThan(1e-6);
      }
    }
  });

  it("gives the reference rollout (multiplyJs, scanSite) within 1e-6", () => {
    const T = 11;
    const lengths = [11, 7];
    const enc = [0, 1, 2, 3].map((l) =>
      randomSite("encoder", "self", l, { dims: [2, 3, T, T], seed: 60 + l, lengths }),
    );
    const dec = [0, 1, 2].map((l) =>
      randomSite("decoder", "self", l, { dims: [2, 2, T, T], seed: 80 + l, lengths, causal: true }),
    );
    // no padding: every row sees every source (the one-run graph, the check with the ones column alone)
    const full = [0, 1, 2].map((l) => randomSite("encoder", "self", l, { dims: [2, 3, T, T], seed: 40 + l }));
    // causal layers with padding over 130 tokens, which share one hidden-source indicator
    const L = 130;
    const long = [0, 1].map((l) =>
      randomSite("decoder", "self", l, { dims: [2, 2, L, L], seed: 90 + l, lengths: [L, 90], causal: true }),
    );
    const longFull = [0, 1, 2].map((l) =>
      randomSite("decoder", "self", l, { dims: [2, 2, L, L], seed: 95 + l, causal: true }),
    );
    const cases: [SiteAttention[], AttentionResult["masks"], object][] = [
      [long, { decoder: maskOf([L, 90], L) }, {}],
      [longFull, { decoder: maskOf([L, L], L) }, {}],
      [longFull, { decoder: maskOf([L, L], L) }, { residual: 0.3, heads: [1, 1, 0] }],
      [longFull.slice(0, 1), { decoder: maskOf([L, L], L) }, {}],
      [full, { encoder: maskOf([T, T], T) }, {}],
      [full, { encoder: maskOf([T, T], T) }, { residual: 0, heads: [2, 2, 0] }],
      [full, { encoder: maskOf([T, T], T) }, { residual: 0.9 }],
      [full, { encoder: maskOf([T, T], T) }, { residual: 1 }],
      [full, { encoder: maskOf([T, T], T) }, { fusion: "max" }],
      [enc, { encoder: maskOf(lengths, T) }, {}],
      [enc, { encoder: maskOf(lengths, T) }, { residual: 0.3, fusion: "max", heads: [2, 0] }],
      [enc, { encoder: maskOf(lengths, T) }, { residual: 0, fusion: "min", fromLayer: 1 }],
      [dec, { decoder: maskOf(lengths, T) }, { residual: 0.7 }],
    ];
    for (const [sites, masks, options] of cases) {
      const result: AttentionResult = { sites, provider: "cpu", fallbacks: [], masks };
      const fast = rollout(result, options);
      const reference = rollout(result, { ...options, kernel: "js" });
      expect(fast.dims).toEqual(reference.dims);
      expect(maxDiff(fast.data, reference.data)).toBeLessThan(1e-6);
    }
  });

  it("rolls a whole stack out in one run where every target row is valid (causal or not)", () => {
    const T = 70;
    for (const causal of [false, true]) {
      const sites = [0, 1, 2].map((l) =>
        randomSite("decoder", "self", l, { dims: [2, 3, T, T], seed: 120 + l, causal }),
      );
      const result: AttentionResult = { sites, provider: "cpu", fallbacks: [], masks: { decoder: maskOf([T, T], T) } };
      const geo = siteGeometry(result, sites[0], {});
      const whole = rolloutInOneRun(sites, geo, 1e-3, [2, 0, 2], 0.4);
      expect(whole, `causal ${causal}`).not.toBeNull(); // not the per-layer path's fallback
      const reference = rollout(result, { kernel: "js", heads: [2, 0, 2], residual: 0.4 });
      expect(maxDiff(whole as Float32Array, reference.data)).toBeLessThan(1e-6);
    }
    // one graph per layer count, the two used last kept: a third count releases the oldest, and
    // a count asked for again gets a fresh session with the same results
    const stack = [0, 1, 2].map((l) => randomSite("encoder", "self", l, { dims: [1, 2, 12, 12], seed: 7 + l }));
    const plain: AttentionResult = { sites: stack, provider: "cpu", fallbacks: [], masks: {} };
    const geo = siteGeometry(plain, stack[0], {});
    const first = rolloutInOneRun(stack.slice(0, 1), geo, 1e-3, undefined, 0.5);
    for (const L of [2, 3]) expect(rolloutInOneRun(stack.slice(0, L), geo, 1e-3, undefined, 0.5)).not.toBeNull();
    expect(groupKeys(ONE_RUN_SESSIONS.name)).toEqual(["oneRun:2:0:0", "oneRun:3:0:0"]);
    expect(rolloutInOneRun(stack.slice(0, 1), geo, 1e-3, undefined, 0.5)).toEqual(first);
    expect(groupKeys(ONE_RUN_SESSIONS.name)).toEqual(["oneRun:3:0:0", "oneRun:1:0:0"]);
    // layers with different head counts (pruned heads) are the per-layer path's, with the same rollout
    const pruned = [3, 2, 3].map((h, l) => randomSite("encoder", "self", l, { dims: [1, h, 12, 12], seed: 30 + l }));
    const prunedResult: AttentionResult = { sites: pruned, provider: "cpu", fallbacks: [], masks: {} };
    expect(rolloutInOneRun(pruned, siteGeometry(prunedResult, pruned[0], {}), 1e-3, undefined, 0.5)).toBeNull();
    expect(maxDiff(rollout(prunedResult).data, rollout(prunedResult, { kernel: "js" }).data)).toBeLessThan(1e-6);
    // a padding target row is not this form's: the per-layer path takes it
    const padded = [randomSite("encoder", "self", 0, { dims: [1, 2, 9, 9], seed: 3, lengths: [6] })];
    const result: AttentionResult = {
      sites: padded,
      provider: "cpu",
      fallbacks: [],
      masks: { encoder: maskOf([6], 9) },
    };
    expect(rolloutInOneRun(padded, siteGeometry(result, padded[0], {}), 1e-3, undefined, 0.5)).toBeNull();
  });

  it("refuses the rows scanSite refuses, with its message", () => {
    const T = 6;
    /** Moves `mass` from weight `from` to weight `to` of the same row (the row still sums to 1). */
    const move = (from: number, to: number, mass: number) => (d: Float32Array) => {
      d[from] -= mass;
      d[to] += mass;
    };
    const breakers: [string, (d: Float32Array) => void][] = [
      [
        "NaN",
        (d) => {
          d[2 * T + 1] = Number.NaN;
        },
      ],
      [
        "infinite",
        (d) => {
          d[T + 3] = Number.POSITIVE_INFINITY;
        },
      ],
      [
        "sum",
        (d) => {
          d[3 * T] += 0.25;
        },
      ],
      ["negative", move(4 * T, 4 * T + 1, 0.5)],
      ["masked mass", move(T * T, T * T + 5, 0.2)], // head 1, row 0: source 5 is padding
      ["future mass", move(2 * T * T + T, 2 * T * T + T + 4, 0.1)], // head 2, row 1 (causal): source 4 is in its future
    ];
    // a causal row's future mass far from its limit, near it, and right next to it
    const L = 140;
    for (const [what, from, to] of [
      ["future mass, far ahead", 3, 130],
      ["future mass, a few sources ahead", 3, 9],
      ["future mass, next to the limit", 70, 71],
    ] as const) {
      const site = randomSite("decoder", "self", 0, { dims: [1, 2, L, L], seed: 4, lengths: [L], causal: true });
      const row = L * L + from * L; // head 1, row `from`
      site.data[row] -= 0.1;
      site.data[row + to] += 0.1;
      const where = new RegExp(`site decoder\\.self\\.0, sample 0, head 1, target row ${from}\\b`);
      expectSameRefusal(site, { decoder: maskOf([L], L) }, where, what);
    }
    // the same breakers where no source is masked (the check's product has the ones column alone)
    const unpadded = breakers
      .filter(([what]) => !what.endsWith("mass"))
      .map(([w, f]) => [`${w}, unpadded`, f] as const);
    for (const [what, breakRow] of [...breakers, ...unpadded]) {
      const causal = what === "future mass";
      const length = what.endsWith("unpadded") ? T : 5;
      const site = randomSite("encoder", "self", 0, { dims: [1, 3, T, T], seed: 9, lengths: [length], causal });
      breakRow(site.data);
      const where = /site encoder\.self\.0, sample 0, head \d, target row \d/;
      expectSameRefusal(site, { encoder: maskOf([length], T) }, where, what);
    }
  });
});
