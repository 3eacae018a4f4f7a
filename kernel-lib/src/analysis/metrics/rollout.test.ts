import { describe, expect, it } from "vitest";
import type { AttentionResult, SiteAttention } from "../../result/types";
import { randomSite } from "../../testing/syntheticMaps";
import { fuseHeads } from "./aggregate";
import { rollout } from "./rollout";

type Dims = [number, number, number, number];

const res = (sites: SiteAttention[], masks: AttentionResult["masks"] = {}): AttentionResult => ({
  sites,
  provider: "cpu",
  fallbacks: [],
  masks,
});

/** Naive reference: nested arrays, fused mean, 0.5·A + 0.5·I, renormalize, product from the bottom up. */
function naiveRollout(sites: SiteAttention[], b: number): number[][] {
  const [, H, T] = sites[0].dims;
  let r: number[][] | null = null;
  for (const s of sites) {
    const a = Array.from({ length: T }, (_, i) =>
      Array.from({ length: T }, (_, j) => {
        let m = 0;
        for (let h = 0; h < H; h++) m += s.data[((b * H + h) * T + i) * T + j];
        return 0.5 * (m / H) + (i === j ? 0.5 : 0);
      }),
    );
    const prev = r;
    r = prev
      ? a.map((row) => Array.from({ length: T }, (_, j) => row.reduce((acc, v, k) => acc + v * prev[k][j], 0)))
      : a;
  }
  return r as number[][];
}

describe("attention rollout", () => {
  it("matches a naive product on random encoder layers", () => {
    const dims: Dims = [2, 3, 7, 7];
    const sites = [0, 1, 2].map((l) => randomSite("encoder", "self", l, { dims, seed: 10 + l }));
    const out = rollout(res(sites));
    expect(out.dims).toEqual([2, 7, 7]);
    for (let b = 0; b < 2; b++) {
      const want = naiveRollout(sites, b);
      for (let i = 0; i < 7; i++)
        for (let j = 0; j < 7; j++) expect(out.data[(b * 7 + i) * 7 + j]).toBeCloseTo(want[i][j], 5);
    }
  });

  it("respects the chosen layer range and keeps rows stochastic (causal decoder)", () => {
    const dims: Dims = [1, 2, 6, 6];
    const sites = [0, 1, 2, 3].map((l) => randomSite("decoder", "self", l, { dims, seed: 20 + l, causal: true }));
    const out = rollout(res(sites), { fromLayer: 1, toLayer: 2 });
    expect(out.layers).toEqual([1, 2]);
    const want = naiveRollout(sites.slice(1, 3), 0);
    for (let i = 0; i < 6; i++) {
      let sum = 0;
      for (let j = 0; j < 6; j++) {
        sum += out.data[i * 6 + j];
        expect(out.data[i * 6 + j]).toBeCloseTo(want[i][j], 5);
        if (j > i) expect(out.data[i * 6 + j]).toBe(0);
      }
      expect(sum).toBeCloseTo(1, 5);
    }
  });

  it("max fusion renormalizes rows", () => {
    const dims: Dims = [1, 3, 5, 5];
    const site = randomSite("encoder", "self", 0, { dims, seed: 3 });
    const fused = fuseHeads(res([site]), site, { fusion: "max" });
    for (let i = 0; i < 5; i++) {
      const raw = Array.from({ length: 5 }, (_, j) =>
        Math.max(...[0, 1, 2].map((h) => site.data[(h * 5 + i) * 5 + j])),
      );
      const sum = raw.reduce((x, y) => x + y, 0);
      for (let j = 0; j < 5; j++) expect(fused.data[i * 5 + j]).toBeCloseTo(raw[j] / sum, 6);
    }
  });

  it("routes cross attention through the encoder rollout", () => {
    const T = 3;
    const S = 4;
    const enc = [0, 1].map((l) => randomSite("encoder", "self", l, { dims: [1, 2, S, S], seed: 30 + l }));
    const dec = randomSite("decoder", "self", 0, { dims: [1, 2, T, T], seed: 40, causal: true });
    const cross = randomSite("decoder", "cross", 0, { dims: [1, 2, T, S], seed: 41 });
    const out = rollout(res([...enc, dec, cross]), { stack: "decoder" });
    const rEnc = naiveRollout(enc, 0);
    const aSelf = naiveRollout([dec], 0);
    const cMean = (i: number, j: number) => (cross.data[(0 * T + i) * S + j] + cross.data[(1 * T + i) * S + j]) / 2;
    for (let i = 0; i < T; i++) {
      let total = 0;
      for (let j = 0; j < T; j++) {
        expect(out.data[i * T + j]).toBeCloseTo(0.5 * aSelf[i][j], 5);
        total += out.data[i * T + j];
      }
      for (let s = 0; s < S; s++) {
        let want = 0;
        for (let k = 0; k < S; k++) want += 0.5 * cMean(i, k) * rEnc[k][s];
        expect(out.cross?.data[i * S + s]).toBeCloseTo(want, 5);
        total += out.cross?.data[i * S + s] ?? 0;
      }
      expect(total).toBeCloseTo(1, 5);
    }
  });

  it("says which layers exist when the range is empty", () => {
    const sites = [randomSite("encoder", "self", 0, { dims: [1, 1, 3, 3], seed: 1 })];
    expect(() => rollout(res(sites), { fromLayer: 4 })).toThrow(
      /no encoder self-attention sites in layers \[4, last\]; layers present: 0/,
    );
  });

  it("checks the maps before multiplying them", () => {
    const site = randomSite("encoder", "self", 0, { dims: [1, 1, 3, 3], seed: 1 });
    site.data[4] = Number.NaN;
    expect(() => rollout(res([site]))).toThrow(
      /site encoder\.self\.0, sample 0, head 0, target row 1: the weights contain NaN/,
    );
  });
});
