/**
 * Probe statistics against an independent numpy reference: the permutation p-values (exact
 * enumeration with itertools, and the seeded random permutations replayed in Python), Holm's
 * correction and Wilson intervals; chance and effect size on the example.
 */
import { describe, expect, it } from "vitest";
import { runPython } from "../../test/pythonEnv";
import { probe } from "../src";
import { permutationTest } from "../src/analysis/probes/stats";
import type { AttentionResult, TokenInfo } from "../src/result/types";
import { seededRandom } from "../src/util/random";
import { PY_HOLM, PY_MULBERRY32 } from "./pythonProbeHelpers";
import { testSite } from "./randomSites";

/** One site, one sample: row `from` of head h is rows[h]; every other row is uniform. */
function result(words: string[], from: number, rows: number[][], causal = false): AttentionResult {
  const N = words.length;
  const H = rows.length;
  const data = new Float32Array(H * N * N).fill(1 / N);
  rows.forEach((r, h) => data.set(r, (h * N + from) * N));
  const site = testSite(false, causal, data, [1, H, N, N]);
  const tokens: TokenInfo[] = words.map((text, id) => ({ text, id, word: null, special: text.startsWith("[") }));
  return { sites: [site], provider: "cpu", fallbacks: [], masks: {}, tokens: { source: [tokens] } };
}

/** Deterministic rows that sum to 1 (a seeded Dirichlet-like draw), in float32 as a site stores them. */
function rows(H: number, N: number, seed: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: H }, () => {
    const raw = Array.from({ length: N }, () => random() ** 3);
    const total = raw.reduce((s, v) => s + v, 0);
    return raw.map((v) => Math.fround(v / total));
  });
}

const NUMPY_REFERENCE = String.raw`
import itertools, json, sys
import numpy as np

case = json.loads(sys.argv[1])

def stat(kind, t, o):
    return {"atLeast": t, "atMost": -t, "moreThan": t - o, "lessThan": o - t}[kind]

${PY_MULBERRY32}${PY_HOLM}

out = []
for row in case["rows"]:
    row = np.asarray(row, dtype=np.float64)
    n, tg, ot, kind = len(row), case["target"], case["other"], case["kind"]
    obs = stat(kind, row[tg].sum(), row[ot].sum())
    if case["exact"]:
        # every ordered choice of disjoint position sets for the target and the comparison word
        vals = []
        for t in itertools.combinations(range(n), len(tg)):
            rest = [j for j in range(n) if j not in t]
            for o in itertools.combinations(rest, len(ot)):
                vals.append(stat(kind, row[list(t)].sum(), row[list(o)].sum()))
        vals = np.array(vals)
        out.append(float(np.mean(vals >= obs - 1e-9)))
    else:
        rnd = mulberry32(case["seed"])
        pos = list(range(n))
        k1, k2, ext = len(tg), len(ot), 0
        for _ in range(case["permutations"]):
            for i in range(k1 + k2):
                j = i + int(np.floor(rnd() * (n - i)))
                pos[i], pos[j] = pos[j], pos[i]
            s = stat(kind, row[pos[:k1]].sum(), row[pos[k1:k1 + k2]].sum())
            ext += s >= obs - 1e-9
        out.append((1 + ext) / (1 + case["permutations"]))
print(json.dumps({"p": out, "holm": holm(out).tolist()}))
`;

function reference(case_: object): { p: number[]; holm: number[] } {
  return JSON.parse(runPython(NUMPY_REFERENCE, [JSON.stringify(case_)]));
}

describe("probe p-values equal a numpy permutation reference", () => {
  const WORDS = ["[CLS]", "the", "animal", "didn't", "cross", "the", "street", "because", "it", "was", "tire", "##d"];
  const IT = 8;

  it("exact enumeration: one-piece words, every rule, Holm over the heads", () => {
    const heads = rows(6, WORDS.length, 7);
    const r = result(WORDS, IT, heads);
    const cases = [
      { kind: "moreThan", target: [2], other: [6], got: probe(r).from("it").to("animal").moreThan("street", 0) },
      { kind: "lessThan", target: [2], other: [6], got: probe(r).from("it").to("animal").lessThan("street", 0) },
      { kind: "atLeast", target: [2], other: [], got: probe(r).from("it").to("animal").atLeast(0.1) },
      { kind: "atMost", target: [6], other: [], got: probe(r).from("it").to("street").atMost(0.1) },
    ];
    for (const c of cases) {
      const ref = reference({ rows: heads, target: c.target, other: c.other, kind: c.kind, exact: true });
      expect(c.got.test).toMatchObject({ exact: true, correction: "holm", comparisons: 6 });
      expect(c.got.matches.length, c.kind).toBeGreaterThan(0);
      for (const m of c.got.matches) {
        expect(m.p, `${c.kind} head ${m.head}`).toBeCloseTo(ref.p[m.head], 12);
        expect(m.pAdjusted, `${c.kind} head ${m.head}`).toBeCloseTo(ref.holm[m.head], 12);
      }
    }
    // every head's p, not only the matches': atLeast(0) holds everywhere
    const all = probe(r).from("it").to("animal").atLeast(0).matches;
    const ref = reference({ rows: heads, target: [2], other: [], kind: "atLeast", exact: true });
    expect(all.map((m) => m.p)).toEqual(all.map((m) => expect.closeTo(ref.p[m.head], 12)));
  });

  it("exact enumeration: a two-piece word (tire ##d) against a one-piece word", () => {
    const heads = rows(4, WORDS.length, 11);
    const r = result(WORDS, IT, heads);
    const got = probe(r).from("it").to("tired").atLeast(0);
    const ref = reference({ rows: heads, target: [10, 11], other: [], kind: "atLeast", exact: true });
    expect(got.matches).toHaveLength(4);
    for (const m of got.matches) {
      expect(m.p).toBeCloseTo(ref.p[m.head], 12);
      expect(m.pAdjusted).toBeCloseTo(ref.holm[m.head], 12);
    }
    const vs = probe(r).from("it").to("tired").moreThan("animal", 0);
    const refVs = reference({ rows: heads, target: [10, 11], other: [2], kind: "moreThan", exact: true });
    for (const m of vs.matches) expect(m.p).toBeCloseTo(refVs.p[m.head], 12);
  });

  it("seeded random permutations (too many arrangements to enumerate) replay identically in numpy", () => {
    // 40 tokens, two two-piece words: 40·39·38·37 / 4 = 548,340 arrangements > the exact limit
    const words = Array.from({ length: 40 }, (_, j) => `w${j}`);
    words[5] = "big";
    words[6] = "##gest";
    words[20] = "sm";
    words[21] = "##all";
    words[30] = "it";
    const heads = rows(3, words.length, 23);
    for (const seed of [1, 42]) {
      const got = probe(result(words, 30, heads), { seed })
        .from("it")
        .to("biggest")
        .moreThan("small", 0);
      expect(got.test).toMatchObject({ exact: false, permutations: 9999, seed });
      const ref = reference({
        rows: heads,
        target: [5, 6],
        other: [20, 21],
        kind: "moreThan",
        exact: false,
        seed,
        permutations: 9999,
      });
      expect(got.matches.length).toBeGreaterThan(0);
      for (const m of got.matches) {
        expect(m.p, `seed ${seed} head ${m.head}`).toBeCloseTo(ref.p[m.head], 12);
        expect(m.pAdjusted).toBeCloseTo(ref.holm[m.head], 12);
      }
    }
  });

  it("permutationTest's exact p is the rank of the observed statistic (closed form)", () => {
    // row 0.5, 0.3, 0.2; target {0} vs other {2}: differences over the 6 ordered pairs are
    // ±0.2, ±0.3, ±0.1; the observed 0.3 is the largest: p = 1/6
    const t = permutationTest([0.5, 0.3, 0.2], [0], [2], (a, b) => a - b);
    expect(t).toEqual({ p: 1 / 6, permutations: 6, exact: true });
  });
});

describe("chance and effect size", () => {
  it("the issue's example: 0.088 vs 0.055 with chance 1/16 is not a preference", () => {
    const N = 16;
    const words = Array.from({ length: N }, (_, j) => `w${j}`);
    words[2] = "animal";
    words[6] = "street";
    words[9] = "it";
    const row = Array.from({ length: N }, () => (1 - 0.088 - 0.055) / (N - 2));
    row[2] = 0.088;
    row[6] = 0.055;
    const r = result(words, 9, [row]);
    const found = probe(r).from("it").to("animal").moreThan("street");
    expect(found.matches).toEqual([]);
    const [w] = probe(r).from("it").to("animal").moreThan("street", 0).matches;
    expect(w.chance).toBeCloseTo(1 / 16, 12);
    expect(w.ratio).toBeCloseTo(0.088 * 16, 5);
    expect(w.excess).toBeCloseTo(0.088 - 1 / 16, 6);
    expect(w.difference).toBeCloseTo(0.088 - 0.055, 6);
    // 0.088 is the largest weight and 0.055 the smallest: the observed difference ranks first of 16·15
    expect(w.p).toBeCloseTo(1 / 240, 12);
    expect(found.summary).toContain("Holm correction over 1 comparisons");
  });

  it("on a causal site chance counts only the sources the word sees (itself and before)", () => {
    const words = ["the", "animal", "crossed", "the", "street", "because", "it", "was", "tired"];
    const row = [0, 0.5, 0, 0, 0.3, 0, 0.2, 0, 0];
    const [m] = probe(result(words, 6, [row], true))
      .from("it")
      .to("animal")
      .moreThan("street").matches;
    expect(m.chance).toBeCloseTo(1 / 7, 12);
    expect(m.ratio).toBeCloseTo(3.5, 5);
    // visible 0, .5, 0, 0, .3, 0, .2: 42 ordered pairs; differences ≥ 0.2: (.5, any other) 6,
    // (.3, each of the 4 zeros) 4, (.2, each zero) 4 — the future sources 0, 0 are not candidates
    expect(m.p).toBeCloseTo(14 / 42, 12);
  });

  it("a clear preference beats chance by the margin and says so", () => {
    const N = 16;
    const words = Array.from({ length: N }, (_, j) => `w${j}`);
    words[2] = "animal";
    words[6] = "street";
    words[9] = "it";
    const row = Array.from({ length: N }, () => 0.3 / (N - 2));
    row[2] = 0.6;
    row[6] = 0.1;
    const found = probe(result(words, 9, [row]))
      .from("it")
      .to("animal")
      .moreThan("street");
    expect(found.matches).toHaveLength(1);
    expect(found.matches[0].ratio).toBeCloseTo(0.6 * 16, 5);
    // pairs with a difference ≥ 0.5: (animal, street) and (animal, each of the 14 others at 0.3/14)
    expect(found.matches[0].p).toBeCloseTo(15 / 240, 12);
    expect(found.summary).toMatch(/0\.600 \(vs 0\.100\), 9\.6× chance 0\.063, p 0\.063 \(Holm 0\.063\)/);
  });
});

describe("probe over many results: per-head rates with Wilson intervals", () => {
  it("counts the sentences where the rule holds and matches the Wilson closed form (numpy)", () => {
    const WORDS = ["[CLS]", "the", "animal", "crossed", "the", "street", "because", "it", "was", "tired"];
    const N = WORDS.length;
    const strong = (a: number) => {
      const row = Array.from({ length: N }, () => (1 - a - 0.02) / (N - 2));
      row[2] = a;
      row[5] = 0.02;
      return row;
    };
    const uniform = Array.from({ length: N }, () => 1 / N);
    // head 0 prefers "animal" in 4 of 5 sentences; head 1 never
    const results = [0.9, 0.8, 0.7, 0.05, 0.6].map((a) => result(WORDS, 7, [strong(a), uniform]));
    const found = probe(results).from("it").to("animal").moreThan("street");
    expect(found.checked).toBe(10);
    expect(found.test.comparisons).toBe(10);
    expect(found.matches.map((m) => `${m.input}:${m.head}`).sort()).toEqual(["0:0", "1:0", "2:0", "4:0"]);
    const [h0, h1] = found.heads;
    expect([h0.head, h0.holds, h0.total, h1.head, h1.holds, h1.total]).toEqual([0, 4, 5, 1, 0, 5]);
    const ref = JSON.parse(
      runPython(
        String.raw`
import json, numpy as np
z = 1.959963984540054
out = []
for k, n in [(4, 5), (0, 5)]:
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    out.append([max(0.0, c - h), min(1.0, c + h)])
print(json.dumps(out))`,
      ),
    );
    expect(h0.low).toBeCloseTo(ref[0][0], 12);
    expect(h0.high).toBeCloseTo(ref[0][1], 12);
    expect(h1.low).toBeCloseTo(ref[1][0], 12);
    expect(h1.high).toBeCloseTo(ref[1][1], 12);
    expect(h0.meanWeight).toBeCloseTo((0.9 + 0.8 + 0.7 + 0.05 + 0.6) / 5, 6);
    expect(found.summary).toContain("encoder.self.0 head 0: holds in 4/5 (0.80, 95% CI");
  });
});
