import { describe, expect, it } from "vitest";
import type { AttentionResult, PositionMask, SiteAttention, TokenInfo } from "../../result/types";
import { designedSite, randomAttention } from "../../testing/syntheticMaps";
import { siteMetrics } from "./headMetrics";

function site(
  data: Float32Array,
  dims: [number, number, number, number],
  over: Partial<SiteAttention> = {},
): SiteAttention {
  return {
    id: "encoder.self.0",
    stack: "encoder",
    kind: "self",
    layer: 0,
    heads: dims[1],
    causal: false,
    node: "n",
    data,
    dims,
    ...over,
  };
}

function result(
  sites: SiteAttention[],
  masks: AttentionResult["masks"] = {},
  tokens?: AttentionResult["tokens"],
): AttentionResult {
  return { sites, provider: "cpu", fallbacks: [], masks, tokens };
}

/** Independent per-row reference: plain loops, Math.log, explicit visibility test. */
function naiveRow(
  s: SiteAttention,
  mask: Uint8Array | null,
  tmask: Uint8Array | null,
  b: number,
  h: number,
  i: number,
) {
  const [, H, T, S] = s.dims;
  const off = S - T;
  const base = ((b * H + h) * T + i) * S;
  const p = i + off;
  let ent = 0;
  let dist = 0;
  let signed = 0;
  let conf = 0;
  let n = 0;
  for (let j = 0; j < S; j++) {
    const visible = (!mask || mask[j]) && (!s.causal || j <= p);
    if (!visible) continue;
    n++;
    const a = s.data[base + j];
    if (a > 0) ent -= a * Math.log(a);
    dist += a * Math.abs(j - p);
    signed += a * (j - p);
    conf = Math.max(conf, a);
  }
  if (tmask && !tmask[i]) return null;
  return {
    ent,
    norm: n > 1 ? ent / Math.log(n) : Number.NaN,
    dist,
    signed,
    conf,
    self: s.data[base + p],
    first: s.data[base],
  };
}

function expectRowsMatch(s: SiteAttention, res: AttentionResult, mask: Uint8Array | null) {
  const m = siteMetrics(res, s);
  const [B, H, T, S] = s.dims;
  let checked = 0;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < T; i++) {
        const r = (b * H + h) * T + i;
        const rowMask = mask ? mask.subarray(b * S, (b + 1) * S) : null;
        const want = naiveRow(s, rowMask, rowMask ? rowMask.subarray(S - T) : null, b, h, i);
        if (!want) {
          expect(Number.isNaN(m.rows.entropy[r])).toBe(true);
          continue;
        }
        expect(m.rows.entropy[r]).toBeCloseTo(want.ent, 5);
        if (Number.isNaN(want.norm)) expect(Number.isNaN(m.rows.normalizedEntropy[r])).toBe(true);
        else expect(m.rows.normalizedEntropy[r]).toBeCloseTo(want.norm, 5);
        expect(m.rows.distance[r]).toBeCloseTo(want.dist, 4);
        expect(m.rows.signedDistance[r]).toBeCloseTo(want.signed, 4);
        expect(m.rows.confidence[r]).toBeCloseTo(want.conf, 6);
        expect(m.rows.self[r]).toBeCloseTo(want.self, 6);
        checked++;
      }
  expect(checked).toBeGreaterThan(0);
  return m;
}

describe("per-row metrics against a naive reference", () => {
  it("matches on random full maps", () => {
    const dims: [number, number, number, number] = [2, 3, 17, 17];
    const s = site(randomAttention({ dims, seed: 3 }), dims);
    expectRowsMatch(s, result([s]), null);
  });

  it("matches on random causal maps with padding", () => {
    const dims: [number, number, number, number] = [2, 2, 13, 13];
    const lengths = [13, 9];
    const s = site(randomAttention({ dims, seed: 5, causal: true, lengths }), dims, { causal: true });
    const mask = new Uint8Array(26);
    mask.fill(1, 0, 13);
    mask.fill(1, 13, 22);
    expectRowsMatch(s, result([s], { encoder: { data: mask, dims: [2, 13] } }), mask);
  });

  it("matches with a mask that has holes (left and inner padding)", () => {
    const dims: [number, number, number, number] = [1, 2, 10, 10];
    const mask = Uint8Array.from([0, 0, 1, 1, 0, 1, 1, 1, 1, 0]);
    const data = randomAttention({ dims, seed: 9 });
    for (let r = 0; r < 20; r++) {
      let sum = 0;
      for (let j = 0; j < 10; j++) sum += data[r * 10 + j] *= mask[j];
      for (let j = 0; j < 10; j++) data[r * 10 + j] /= sum;
    }
    const s = site(data, dims);
    expectRowsMatch(s, result([s], { encoder: { data: mask, dims: [1, 10] } }), mask);
  });

  it("matches on a causal KV-cache site (T < S) with the source-long mask", () => {
    const dims: [number, number, number, number] = [1, 2, 4, 11];
    const s = site(randomAttention({ dims, seed: 2, causal: true }), dims, {
      causal: true,
      stack: "decoder",
      id: "decoder.self.0",
    });
    const mask = new Uint8Array(11).fill(1);
    expectRowsMatch(s, result([s], { decoder: { data: mask, dims: [1, 11] } }), mask);
  });
});

describe("closed forms", () => {
  it("uniform attention: entropy ln n, normalized 1, distance of the uniform law", () => {
    const n = 12;
    const { site: s } = designedSite("uniform", { lengths: [n] });
    const m = siteMetrics(result([s]), s);
    expect(m.heads[0].entropy).toBeCloseTo(Math.log(n), 5);
    expect(m.heads[0].normalizedEntropy).toBeCloseTo(1, 5);
    // mean over i of Σ_j |i − j| / n = (n² − 1) / (3n)
    expect(m.heads[0].distance).toBeCloseTo((n * n - 1) / (3 * n), 4);
    expect(m.heads[0].signedDistance).toBeCloseTo(0, 5);
    expect(m.heads[0].confidence).toBeCloseTo(1 / n, 6);
  });

  it("causal uniform: normalized entropy 1 on every row with ≥ 2 sources, row 0 left out", () => {
    const { site: s } = designedSite("uniform", { lengths: [9], causal: true });
    const m = siteMetrics(result([{ ...s, causal: true }]), { ...s, causal: true });
    expect(Number.isNaN(m.rows.normalizedEntropy[0])).toBe(true);
    for (let i = 1; i < 9; i++) expect(m.rows.normalizedEntropy[i]).toBeCloseTo(1, 5);
    for (let i = 0; i < 9; i++) expect(m.rows.entropy[i]).toBeCloseTo(Math.log(i + 1), 5);
  });

  it("identity: distance 0, entropy 0, self mass 1", () => {
    const { site: s } = designedSite("identity", { lengths: [10] });
    const h = siteMetrics(result([s]), s).heads[0];
    expect(h.entropy).toBeCloseTo(0, 6);
    expect(h.distance).toBeCloseTo(0, 6);
    expect(h.mass.self).toBeCloseTo(1, 6);
    expect(h.confidence).toBeCloseTo(1, 6);
  });

  it("previous token: distance 1, signed −1 on rows ≥ 1, previous mass 1", () => {
    const { site: s } = designedSite("previous", { lengths: [10] });
    const m = siteMetrics(result([s]), s);
    for (let i = 1; i < 10; i++) {
      expect(m.rows.distance[i]).toBeCloseTo(1, 6);
      expect(m.rows.signedDistance[i]).toBeCloseTo(-1, 6);
      expect(m.rows.previous[i]).toBeCloseTo(1, 6);
    }
    expect(m.heads[0].distance).toBeCloseTo(0.9, 6); // row 0 attends to itself
    expect(m.heads[0].mass.previous).toBeCloseTo(1, 6);
  });

  it("attend-to-first: first mass 1, [CLS] mass 1, punctuation 0", () => {
    const words = ["[CLS]", "the", "cat", ",", "sat", "[SEP]"];
    const tokens: TokenInfo[] = words.map((text, id) => ({
      text,
      id,
      word: text.startsWith("[") ? null : id,
      special: text.startsWith("["),
    }));
    const { site: s } = designedSite("first", { lengths: [6] });
    const h = siteMetrics(result([s], {}, { source: [tokens] }), s).heads[0];
    expect(h.mass.first).toBeCloseTo(1, 6);
    expect(h.mass.cls).toBeCloseTo(1, 6);
    expect(h.mass.sep).toBeCloseTo(0, 6);
    expect(h.mass.punctuation).toBeCloseTo(0, 6);
    expect(h.mass.segment).toBeNull(); // one segment only
  });

  it("padding rows are left out of the means", () => {
    const { site: s, mask } = designedSite(["previous", "uniform"], { lengths: [6, 4], length: 6 });
    const m = siteMetrics(result([s], { encoder: mask }), s);
    expect(m.heads[0].rows).toBe(10);
    // uniform head: mean entropy over 6 rows of ln 6 and 4 rows of ln 4
    expect(m.heads[1].entropy).toBeCloseTo((6 * Math.log(6) + 4 * Math.log(4)) / 10, 5);
    expect(Number.isNaN(m.rows.entropy[(1 * 2 + 1) * 6 + 5])).toBe(true);
  });
});

describe("cross attention", () => {
  it("measures distance from the scaled diagonal", () => {
    // T = 3 targets, S = 5 sources: positions 0, 2, 4. A row at its diagonal has distance 0.
    const T = 3;
    const S = 5;
    const data = new Float32Array(T * S);
    [0, 2, 4].forEach((j, i) => {
      data[i * S + j] = 1;
    });
    const cross = site(data, [1, 1, T, S], { id: "decoder.cross.0", stack: "decoder", kind: "cross" });
    const m = siteMetrics(result([cross]), cross);
    expect(m.heads[0].distance).toBeCloseTo(0, 6);
    expect(m.heads[0].mass.self).toBeNull();
    const shifted = new Float32Array(T * S);
    [1, 3, 4].forEach((j, i) => {
      shifted[i * S + j] = 1;
    });
    const m2 = siteMetrics(result([{ ...cross, data: shifted }]), { ...cross, data: shifted });
    expect(m2.heads[0].signedDistance).toBeCloseTo(2 / 3, 6);
  });

  it("uses the encoder mask for sources and the decoder mask for targets", () => {
    const data = new Float32Array(2 * 4);
    data.set([0.5, 0.5, 0, 0, 0.25, 0.25, 0.25, 0.25]);
    const cross = site(data, [1, 1, 2, 4], { id: "decoder.cross.0", stack: "decoder", kind: "cross" });
    const masks = {
      encoder: { data: Uint8Array.from([1, 1, 0, 0]), dims: [1, 4] },
      decoder: { data: Uint8Array.from([1, 0]), dims: [1, 2] },
    } as {
      encoder: PositionMask;
      decoder: PositionMask;
    };
    const m = siteMetrics(result([cross], masks), cross);
    expect(m.heads[0].rows).toBe(1);
    expect(m.heads[0].normalizedEntropy).toBeCloseTo(1, 6);
  });
});
