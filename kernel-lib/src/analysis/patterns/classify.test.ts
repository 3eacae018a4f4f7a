import { describe, expect, it } from "vitest";
import type { AttentionResult, TokenInfo } from "../../result/types";
import { type DesignedPattern, designedSite } from "../../testing/syntheticMaps";
import { seededRandom } from "../../util/random";
import { headPatterns } from "./headPatterns";
import type { PatternLabel } from "./types";

const EXPECTED: Record<DesignedPattern, PatternLabel> = {
  identity: "diagonal",
  previous: "previous",
  next: "next",
  window: "local",
  first: "vertical",
  segment: "block",
  uniform: "broad",
  induction: "induction",
};

interface Trial {
  patterns: DesignedPattern[];
  lengths: number[];
  T: number;
  causal: boolean;
  window: number;
  segments: Int32Array[];
  ids: Int32Array[];
}

function randomTrial(rand: () => number, causal: boolean): Trial {
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const T = int(8, 64);
  const B = int(1, 3);
  const lengths = Array.from({ length: B }, (_, b) => (b === 0 ? T : int(8, T)));
  const minLength = Math.min(...lengths);
  const window = int(1, Math.min(6, Math.floor(minLength / 4)));
  const segments = lengths.map((n) => {
    const ids = new Int32Array(T);
    const cuts = int(1, 2);
    const part = Math.floor(n / (cuts + 1));
    for (let j = 0; j < T; j++) ids[j] = Math.min(cuts, Math.floor(j / part));
    return ids;
  });
  const ids = lengths.map((n) => {
    const half = Math.floor((n - 1) / 2);
    const out = new Int32Array(T).fill(-1);
    out[0] = 1;
    for (let k = 1; k <= half; k++) out[k] = out[k + half] = 100 + k;
    if (n - 1 > 2 * half) out[n - 1] = 99;
    return out;
  });
  const patterns = (Object.keys(EXPECTED) as DesignedPattern[]).filter((p) => !(causal && p === "next"));
  return { patterns, lengths, T, causal, window, segments, ids };
}

function run(trial: Trial, noise: number) {
  const { site, mask } = designedSite(trial.patterns, {
    lengths: trial.lengths,
    length: trial.T,
    causal: trial.causal,
    window: trial.window,
    segments: trial.segments,
    tokenIds: trial.ids,
    noise,
  });
  const tokens: TokenInfo[][] = trial.ids.map((list) =>
    Array.from(list, (id, j) => ({ text: id < 0 ? "[PAD]" : `t${id}`, id, word: id < 0 ? null : j, special: id < 0 })),
  );
  const result: AttentionResult = {
    sites: [site],
    provider: "cpu",
    fallbacks: [],
    masks: { encoder: mask },
    tokens: { source: tokens },
  };
  return headPatterns(result, site, { segments: { encoder: trial.segments } });
}

function accuracy(noise: number, causal: boolean, trials: number, seed: number) {
  const rand = seededRandom(seed);
  let right = 0;
  let total = 0;
  const misses: string[] = [];
  for (let t = 0; t < trials; t++) {
    const trial = randomTrial(rand, causal);
    run(trial, noise).forEach((hp, h) => {
      const pattern = trial.patterns[h];
      const ok = hp.label === EXPECTED[pattern] && (pattern !== "window" || hp.window === trial.window);
      total++;
      if (ok) right++;
      else misses.push(`${pattern}→${hp.label}(w=${hp.window}) T=${trial.T} ${trial.lengths}`);
    });
  }
  return { rate: right / total, total, misses };
}

describe("pattern classifier on designed maps", () => {
  it("labels every clean map right (bidirectional, random lengths, padded batches)", () => {
    const { rate, total, misses } = accuracy(0, false, 40, 11);
    expect(misses).toEqual([]);
    expect(rate).toBe(1);
    expect(total).toBe(40 * 8);
  });

  it("labels every clean causal map right", () => {
    const { rate, misses } = accuracy(0, true, 40, 12);
    expect(misses).toEqual([]);
    expect(rate).toBe(1);
  });

  it("is ≥ 90 % right with 20 % uniform noise", () => {
    const open = accuracy(0.2, false, 60, 13);
    const causal = accuracy(0.2, true, 60, 14);
    expect(open.rate).toBeGreaterThanOrEqual(0.9);
    expect(causal.rate).toBeGreaterThanOrEqual(0.9);
  });

  it("scores clean maps 1 and noisy maps 1 − ε on their own pattern", () => {
    const rand = seededRandom(5);
    const trial = randomTrial(rand, false);
    const clean = run(trial, 0);
    const noisy = run(trial, 0.2);
    expect(clean[0].scores.diagonal).toBeCloseTo(1, 5);
    expect(noisy[0].scores.diagonal).toBeCloseTo(0.8, 4);
    expect(noisy[1].scores.previous).toBeCloseTo(0.8, 4);
    expect(noisy[6].scores.broad).toBeCloseTo(1, 4);
    expect(noisy[6].scores.diagonal).toBeCloseTo(0, 4);
  });

  it("reports the strip column and the window width", () => {
    const rand = seededRandom(8);
    const trial = randomTrial(rand, false);
    const out = run(trial, 0.2);
    expect(out[4].strip.every((cols) => cols.length === 1 && cols[0] === 0)).toBe(true);
    expect(out[3].window).toBe(trial.window);
  });

  it("finds blocks from [SEP] boundaries when no segment ids are given", () => {
    const text = ["[CLS]", "a", "b", "c", "[SEP]", "d", "e", "f", "g", "[SEP]"];
    const tokens: TokenInfo[] = text.map((t, id) => ({ text: t, id, word: id, special: t.startsWith("[") }));
    const segments = [Int32Array.from(text, (_, j) => (j <= 4 ? 0 : 1))];
    const { site, mask } = designedSite(["segment", "uniform"], { lengths: [10], segments, noise: 0.2 });
    const result: AttentionResult = {
      sites: [site],
      provider: "cpu",
      fallbacks: [],
      masks: { encoder: mask },
      tokens: { source: [tokens] },
    };
    const [block, uniform] = headPatterns(result, site);
    expect(block.label).toBe("block");
    expect(block.scores.block).toBeCloseTo(0.8, 4);
    expect(uniform.label).toBe("broad");
  });

  it("gives null for patterns it cannot measure", () => {
    const { site } = designedSite("identity", { lengths: [12] });
    const result: AttentionResult = { sites: [site], provider: "cpu", fallbacks: [], masks: {} };
    const [p] = headPatterns(result, site);
    expect(p.scores.block).toBeNull();
    expect(p.scores.induction).toBeNull();
    expect(p.scores.diagonal).toBeCloseTo(1, 6);
  });
});
