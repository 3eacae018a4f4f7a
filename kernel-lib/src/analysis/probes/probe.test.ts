import { describe, expect, it } from "vitest";
import type { AttentionResult, SiteAttention, TokenInfo } from "../../result/types";
import { probe } from "./probe";

// [CLS] the animal didn't cross the street because it was tire ##d [SEP]
const TEXT = [
  "[CLS]",
  "the",
  "animal",
  "didn't",
  "cross",
  "the",
  "street",
  "because",
  "it",
  "was",
  "tire",
  "##d",
  "[SEP]",
];
const tokens: TokenInfo[] = TEXT.map((text, id) => ({ text, id, word: null, special: text.startsWith("[") }));
const N = TEXT.length;
const IT = 8;
const ANIMAL = 2;
const STREET = 6;

/** Head 0: "it" → animal 0.6, street 0.2; head 1: "it" → street 0.7; head 2: uniform. Other rows: identity. */
function site(id: string, layer: number): SiteAttention {
  const H = 3;
  const data = new Float32Array(H * N * N);
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < N; i++) {
      const row = (h * N + i) * N;
      if (h === 2) data.fill(1 / N, row, row + N);
      else if (i === IT && h === 0) {
        data[row + ANIMAL] = 0.6;
        data[row + STREET] = 0.2;
        data[row + IT] = 0.2;
      } else if (i === IT && h === 1) {
        data[row + STREET] = 0.7;
        data[row + ANIMAL] = 0.1;
        data[row + IT] = 0.2;
      } else if (i === 10 || i === 11) {
        data[row + 10] = 0.25; // "tired": piece rows differ, the word row is their mean
        data[row + 11] = 0.25;
        data[row + ANIMAL] = i === 10 ? 0.5 : 0.1;
        data[row + IT] = i === 10 ? 0 : 0.4;
      } else data[row + i] = 1;
    }
  }
  return { id, stack: "encoder", kind: "self", layer, heads: H, causal: false, node: "n", data, dims: [1, H, N, N] };
}

const result: AttentionResult = {
  sites: [site("encoder.self.0", 0), site("encoder.self.1", 1)],
  provider: "cpu",
  fallbacks: [],
  masks: {},
  tokens: { source: [tokens] },
};

describe("probes", () => {
  it("finds heads with at least a weight, strongest first", () => {
    const r = probe(result).from("it").to("animal").atLeast(0.3);
    expect(r.matches.map((m) => `${m.site}:${m.head}`)).toEqual(["encoder.self.0:0", "encoder.self.1:0"]);
    expect(r.matches[0].weight).toBeCloseTo(0.6, 6);
    expect(r.checked).toBe(6);
    expect(String(r)).toContain('from "it" to "animal" ≥ 0.3: 2 of 6 heads');
    expect(r.summary).toContain("encoder.self.0 head 0: 0.600");
  });

  it("compares two targets", () => {
    const r = probe(result).from("IT").to("Animal").moreThan("street");
    expect(r.matches.map((m) => m.head)).toEqual([0, 0]);
    expect(r.matches[0].other).toBeCloseTo(0.2, 6);
    const l = probe(result).from("it").to("animal").lessThan("street");
    expect(l.matches.map((m) => m.head)).toEqual([1, 1]); // the uniform head ties: not less
    // A difference below the margin is not a preference; margin 0 restores the strict comparison.
    expect(probe(result).from("it").to("animal").moreThan("street", 0.45).matches).toEqual([]);
    expect(probe(result).from("it").to("animal").moreThan("street", 0).matches.length).toBe(2);
    expect(() => probe(result).from("it").to("animal").moreThan("street", 1.5)).toThrow(
      /margin 1.5 must be in \[0, 1\)/,
    );
    const low = probe(result).from("it").to("animal").atMost(0.15);
    expect(low.matches.map((m) => m.head)).toEqual([1, 1, 2, 2]);
    expect(low.matches[3].weight).toBeCloseTo(1 / N, 6);
  });

  it("sums TO a word over its pieces and averages FROM a word over its pieces", () => {
    const w = probe(result).inSites("encoder.self.0").inHeads(0).from("tired").to("animal").weights();
    expect(w[0].weight).toBeCloseTo((0.5 + 0.1) / 2, 6);
    const to = probe(result).inSites("encoder.self.0").inHeads(0).from("tired").to("tired").weights();
    expect(to[0].weight).toBeCloseTo(0.5, 6);
  });

  it("restricts to sites and samples and accepts token indices", () => {
    const r = probe(result).inSites("encoder.self.1").sample(0).from(IT).to(STREET).atLeast(0.5);
    expect(r.matches.map((m) => `${m.site}:${m.head}`)).toEqual(["encoder.self.1:1"]);
    expect(r.matches[0].weight).toBeCloseTo(0.7, 6);
    expect(r.checked).toBe(3);
  });

  it("explains ambiguous and missing words", () => {
    expect(() => probe(result).from("it").to("the").atLeast(0.1)).toThrow(
      /"the" occurs 2 times \(at tokens 1, 5\); name one: \{ word: "the", occurrence: 1\.\.2 \}.*Words: \[CLS\] the animal/,
    );
    const r = probe(result).from("it").to({ word: "the", occurrence: 2 }).atMost(0.1);
    expect(r.checked).toBe(6);
    expect(() => probe(result).from("it").to("cat").atLeast(0.1)).toThrow(
      /"cat" is not a word of site encoder\.self\.0, sample 0\. Words: .*street because it was tired \[SEP\]/,
    );
    expect(() => probe(result).inSites("decoder.self.0")).toThrow(
      /no site decoder\.self\.0; sites are: encoder\.self\.0, encoder\.self\.1/,
    );
    expect(() => probe(result).from("it").atLeast(0.2)).toThrow(/name both words first/);
  });

  it("refuses a non-finite weight instead of calling it significant", () => {
    const site = result.sites[1];
    const broken = { ...result, sites: [result.sites[0], { ...site, data: Float32Array.from(site.data) }] };
    broken.sites[1].data[(2 * N + IT) * N + STREET] = Number.NaN; // head 2, row "it", column "street"
    expect(() => probe([result, broken]).from("it").to("animal").moreThan("street")).toThrow(
      expect.objectContaining({
        code: "BAD_INPUT",
        message:
          "probe: result 1, site encoder.self.1 head 2 sample 0 has a non-finite attention weight (NaN or ∞); check the maps with validateResult(result) before probing",
      }),
    );
    // a NaN anywhere in the row the tests shuffle is refused too, even if the named words are finite
    expect(() => probe([result, broken]).from("it").to("animal").atLeast(0.5)).toThrow(
      /result 1, site encoder\.self\.1 head 2/,
    );
    expect(probe([result, broken]).inHeads(0, 1).from("it").to("animal").atLeast(0.5).checked).toBe(8);
  });
});

describe("probes on cross attention", () => {
  it("takes `from` in the decoder and `to` in the encoder", () => {
    const enc: TokenInfo[] = ["▁the", "▁cat", "▁sle", "eps", "</s>"].map((text, id) => ({
      text,
      id,
      word: null,
      special: text === "</s>",
    }));
    const dec: TokenInfo[] = ["<pad>", "▁le", "▁chat", "▁dort"].map((text, id) => ({
      text,
      id,
      word: null,
      special: text === "<pad>",
    }));
    const T = 4;
    const S = 5;
    const data = new Float32Array(T * S);
    for (let i = 0; i < T; i++) data[i * S + Math.min(i, 4)] = 1;
    data.fill(0, 3 * S, 4 * S);
    data[3 * S + 2] = 0.5; // "dort" → "sle" + "eps" = "sleeps"
    data[3 * S + 3] = 0.4;
    data[3 * S + 4] = 0.1;
    const cross: SiteAttention = {
      id: "decoder.cross.0",
      stack: "decoder",
      kind: "cross",
      layer: 0,
      heads: 1,
      causal: false,
      node: "n",
      data,
      dims: [1, 1, T, S],
    };
    const r: AttentionResult = {
      sites: [cross],
      provider: "cpu",
      fallbacks: [],
      masks: {},
      tokens: { source: [enc], target: [dec] },
    };
    const got = probe(r).from("dort").to("sleeps").atLeast(0.8);
    expect(got.matches).toHaveLength(1);
    expect(got.matches[0].weight).toBeCloseTo(0.9, 6);
    expect(() => probe(r).from("cat").to("sleeps").atLeast(0.1)).toThrow(
      /"cat" is not a word of site decoder\.cross\.0, sample 0\. Words: <pad> le chat dort/,
    );
  });
});
