import { describe, expect, it } from "vitest";
import type { RowSource } from "../../../result/lazy";
import { rowSourceOf } from "../../../result/rowSource";
import type { AttentionResult, SiteAttention } from "../../../result/types";
import { randomSite } from "../../../testing/syntheticMaps";
import { type RolloutOptions, rollout } from "../rollout";
import { rolloutSource } from "./rollout";

type Dims = [number, number, number, number];
const CLOSE = 1e-5;

const res = (sites: SiteAttention[], masks: AttentionResult["masks"] = {}): AttentionResult => ({
  sites,
  provider: "cpu",
  fallbacks: [],
  masks,
  outputs: {},
});

/** Naive reference from the formula: nested arrays, mean of heads, 0.5·Ā + 0.5·I, product bottom up. */
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

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let k = 0; k < a.length; k++) d = Math.max(d, Math.abs(a[k] - b[k]));
  return d;
}

/** The source with the rows of every request recorded, and the most bytes asked at once. */
function counting(source: RowSource) {
  let most = 0;
  const wrapped: RowSource = {
    sites: source.sites,
    rows: async (id, b, rows, heads) => {
      const block = await source.rows(id, b, rows, heads);
      most = Math.max(most, block.data.byteLength);
      return block;
    },
    tile: (r) => source.tile(r),
  };
  return { wrapped, most: () => most };
}

describe("rolloutSource: rollout streamed per layer", () => {
  it("equals rollout of the full maps and a naive product (encoder, 4-row blocks of 10)", async () => {
    const dims: Dims = [2, 3, 10, 10];
    const sites = [0, 1, 2, 3].map((l) => randomSite("encoder", "self", l, { dims, seed: 20 + l }));
    const result = res(sites);
    const blockBytes = 4 * 3 * 10 * 4;
    const { wrapped, most } = counting(rowSourceOf(result));
    const got = await rolloutSource(wrapped, result, { blockBytes });
    const want = rollout(result);
    expect(got.dims).toEqual(want.dims);
    expect(got.layers).toEqual([0, 1, 2, 3]);
    expect(maxDiff(got.data, want.data)).toBeLessThanOrEqual(CLOSE);
    for (let b = 0; b < 2; b++)
      expect(maxDiff(got.data.subarray(b * 100, (b + 1) * 100), naiveRollout(sites, b).flat())).toBeLessThanOrEqual(
        CLOSE,
      );
    expect(most()).toBeLessThanOrEqual(blockBytes);
  });

  const cases: [string, () => AttentionResult, RolloutOptions][] = [
    [
      "a causal decoder with right padding, max fusion, residual 0.3, layers 1–2",
      () => {
        const dims: Dims = [2, 4, 9, 9];
        const mask = Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
        const sites = [0, 1, 2].map((l) =>
          randomSite("decoder", "self", l, { dims, seed: 30 + l, causal: true, lengths: [9, 5] }),
        );
        return res(sites, { decoder: { data: mask, dims: [2, 9] } });
      },
      { fusion: "max", residual: 0.3, fromLayer: 1, heads: [0, 2] },
    ],
    [
      "an encoder–decoder model (encoder rollout joined through the cross layers)",
      () => {
        const enc: Dims = [2, 2, 7, 7];
        const dec: Dims = [2, 2, 5, 5];
        const cross: Dims = [2, 2, 5, 7];
        return res([
          randomSite("encoder", "self", 0, { dims: enc, seed: 40 }),
          randomSite("encoder", "self", 1, { dims: enc, seed: 41 }),
          randomSite("decoder", "self", 0, { dims: dec, seed: 42, causal: true }),
          randomSite("decoder", "cross", 0, { dims: cross, seed: 43 }),
          randomSite("decoder", "self", 1, { dims: dec, seed: 44, causal: true }),
          randomSite("decoder", "cross", 1, { dims: cross, seed: 45 }),
        ]);
      },
      { residual: 0.5 },
    ],
  ];
  for (const [name, make, options] of cases) {
    it(`equals rollout of the full maps: ${name}, blocks of 2 rows`, async () => {
      const result = make();
      const blockBytes = 2 * Math.max(...result.sites.map((s) => s.dims[1] * s.dims[3] * 4));
      const { wrapped, most } = counting(rowSourceOf(result));
      const got = await rolloutSource(wrapped, result, { ...options, blockBytes });
      const want = rollout(result, options);
      expect(got.layers).toEqual(want.layers);
      expect(maxDiff(got.data, want.data)).toBeLessThanOrEqual(CLOSE);
      if (want.cross) {
        expect(got.cross?.dims).toEqual(want.cross.dims);
        expect(maxDiff(got.cross?.data ?? [], want.cross.data)).toBeLessThanOrEqual(CLOSE);
      } else expect(got.cross).toBeUndefined();
      expect(most()).toBeLessThanOrEqual(blockBytes);
    });
  }

  it("fails as rollout does on bad input: residual out of range, a bad row", async () => {
    const dims: Dims = [1, 2, 6, 6];
    const sites = [0, 1].map((l) => randomSite("encoder", "self", l, { dims, seed: 50 + l }));
    const result = res(sites);
    await expect(rolloutSource(rowSourceOf(result), result, { residual: 2 })).rejects.toThrow(
      "rollout: residual must be a number in [0, 1], got 2",
    );
    sites[1].data[(1 * 6 + 4) * 6 + 2] = -0.25;
    const want = (() => {
      try {
        rollout(result);
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(want).toMatch(/^site encoder.self.1, sample 0, head 1, target row 4: a weight is negative/);
    await expect(rolloutSource(rowSourceOf(result), result, { blockBytes: 2 * 2 * 6 * 4 })).rejects.toThrow(want);
  });
});
