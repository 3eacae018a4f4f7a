/**
 * A decoder's start token (GPT-2's <|endoftext|> at position 0) on synthetic causal maps: it is
 * sink mass, not [SEP] mass, starts no segment (so no "block" label), and `excludeSinks` takes it
 * out of distance and confidence. Expected values are closed forms of the designed maps.
 */
import { describe, expect, it } from "vitest";
import type { AttentionResult, TokenInfo } from "../../result/types";
import { analyzeResult } from "./analyze";

const T = 16;

/** GPT-2 tokens: <|endoftext|> (special) then words. */
function gpt2Tokens(): TokenInfo[] {
  const words = [
    "the",
    "Ġcat",
    "Ġsat",
    "Ġon",
    "Ġthe",
    "Ġmat",
    "Ġand",
    "Ġthen",
    "Ġit",
    "Ġslept",
    "Ġfor",
    "Ġa",
    "Ġlong",
    "Ġtime",
    "Ġnow",
  ];
  return [
    { text: "<|endoftext|>", id: 50256, word: null, special: true },
    ...words.map((text, k) => ({ text, id: 100 + k, word: k, special: false })),
  ];
}

/** One causal decoder head; row(i) gives row i's weights over sources 0 … i. */
function decoderResult(row: (i: number) => number[]): AttentionResult {
  const data = new Float32Array(T * T);
  for (let i = 0; i < T; i++) data.set(row(i), i * T);
  return {
    sites: [
      {
        id: "decoder.self.0",
        stack: "decoder",
        kind: "self",
        layer: 0,
        heads: 1,
        causal: true,
        node: "n",
        data,
        dims: [1, 1, T, T],
      },
    ],
    provider: "cpu",
    fallbacks: [],
    tokens: { target: [gpt2Tokens()] },
  };
}

/** Uniform over sources 1 … i with 0.02 on the start token (row 0: all on it). */
const almostUniform = (i: number) => (i === 0 ? [1] : [0.02, ...Array(i).fill(0.98 / i)]);

/** 0.5 on the start token and 0.5 on the previous token (rows 0 and 1: all on the start token). */
const previousWithSink = (i: number) => {
  const r = new Array(i + 1).fill(0);
  r[0] += i < 2 ? 1 : 0.5;
  if (i >= 2) r[i - 1] += 0.5;
  return r;
};

describe("a decoder's start token", () => {
  it("starts no segment: a uniform head with 0.02 on it is not a block", () => {
    const [site] = analyzeResult(decoderResult(almostUniform)).sites;
    expect(site.patterns[0].label).not.toBe("block");
    expect(site.heads[0].mass.segment).toBeNull();
    expect(site.patterns[0].scores.block).toBeNull();
  });

  it("its mass is sink mass, not [SEP] or [CLS] mass", () => {
    const [site] = analyzeResult(decoderResult(almostUniform)).sites;
    const { mass } = site.heads[0];
    expect(mass.sep).toBe(0);
    expect(mass.cls).toBe(0);
    // row 0 puts 1 on it, rows 1 … T−1 put 0.02
    expect(mass.sink).toBeCloseTo((1 + 0.02 * (T - 1)) / T, 6);
    expect(mass.first).toBeCloseTo(mass.sink ?? Number.NaN, 6);
  });

  it("excludeSinks: a previous-token head with 0.5 on it has distance 1 and confidence 1", () => {
    const plain = analyzeResult(decoderResult(previousWithSink)).sites[0].heads[0];
    // row 0: 0, row 1: 1 (its previous token is the start token), row i ≥ 2: 0.5·i + 0.5
    let sum = 1;
    for (let i = 2; i < T; i++) sum += 0.5 * i + 0.5;
    expect(plain.distance).toBeCloseTo(sum / T, 5);
    expect(plain.mass.sink).toBeCloseTo((2 + 0.5 * (T - 2)) / T, 6);

    const without = analyzeResult(decoderResult(previousWithSink), { excludeSinks: true }).sites[0];
    // rows 0 and 1 see only sink mass: undefined, left out of the means
    expect(Number.isNaN(without.rows.distance[0]) && Number.isNaN(without.rows.distance[1])).toBe(true);
    expect(without.heads[0].distance).toBeCloseTo(1, 6);
    expect(without.heads[0].signedDistance).toBeCloseTo(-1, 6);
    expect(without.heads[0].confidence).toBeCloseTo(1, 6);
    // what the option does not touch
    expect(without.heads[0].mass).toEqual(plain.mass);
    expect(without.heads[0].entropy).toBe(plain.entropy);
  });

  it("encoders: no start token, [CLS]/[SEP] keep their masses unless named as sinks", () => {
    const tokens: TokenInfo[] = ["[CLS]", "a", "b", "[SEP]"].map((text, id) => ({
      text,
      id,
      word: text.startsWith("[") ? null : id,
      special: text.startsWith("["),
    }));
    const row = [0.4, 0.1, 0.1, 0.4];
    const data = new Float32Array(16);
    for (let i = 0; i < 4; i++) data.set(row, 4 * i);
    const result: AttentionResult = {
      sites: [
        {
          id: "encoder.self.0",
          stack: "encoder",
          kind: "self",
          layer: 0,
          heads: 1,
          causal: false,
          node: "n",
          data,
          dims: [1, 1, 4, 4],
        },
      ],
      provider: "cpu",
      fallbacks: [],
      tokens: { source: [tokens] },
    };
    const plain = analyzeResult(result).sites[0].heads[0];
    expect([plain.mass.cls, plain.mass.sep, plain.mass.sink]).toEqual([
      expect.closeTo(0.4, 6),
      expect.closeTo(0.4, 6),
      0,
    ]);
    const named = analyzeResult(result, { specialTokens: { sink: ["[SEP]"] }, excludeSinks: true }).sites[0].heads[0];
    expect(named.mass.sink).toBeCloseTo(0.4, 6);
    expect(named.mass.sep).toBe(0);
    // without [SEP]: 0.4, 0.1, 0.1 over 0.6 → confidence 2/3
    expect(named.confidence).toBeCloseTo(2 / 3, 6);
  });
});
