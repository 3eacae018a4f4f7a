/**
 * The probe test across sentences against an independent numpy reference: per head, the paired
 * differences are recomputed in Python from the rows themselves (weight − other, other − weight,
 * weight − chance, chance − weight), the sign-flip p-value is enumerated over every sign pattern
 * (itertools.product) or, above 14 sentences, replayed with the same seeded mulberry32 draws, and
 * Holm's correction is applied over the heads. Through `probe([...])` (results and batch samples)
 * and through `runProbeSuite` (the suite table's p column).
 */
import { describe, expect, it } from "vitest";
import { runPython } from "../../test/pythonEnv";
import { probe } from "../src";
import { runProbeSuite, type SuiteModel } from "../src/analysis/probes/runSuite";
import { signFlipTest } from "../src/analysis/probes/signFlip";
import type { AttentionResult, TokenInfo } from "../src/result/types";
import { seededRandom } from "../src/util/random";
import { PY_HOLM, PY_MULBERRY32 } from "./pythonProbeHelpers";
import { testSite } from "./randomSites";

/** One site; sample b's row `from` of head h is rows[b][h]; every other row is uniform. */
function result(words: string[], from: number, rows: number[][][]): AttentionResult {
  const N = words.length;
  const B = rows.length;
  const H = rows[0].length;
  const data = new Float32Array(B * H * N * N).fill(1 / N);
  rows.forEach((sample, b) => {
    sample.forEach((r, h) => data.set(r, ((b * H + h) * N + from) * N));
  });
  const site = testSite(false, false, data, [B, H, N, N]);
  const tokens: TokenInfo[] = words.map((text, id) => ({ text, id, word: null, special: text.startsWith("[") }));
  return { sites: [site], provider: "cpu", fallbacks: [], masks: {}, tokens: { source: rows.map(() => tokens) } };
}

/**
 * Rows that sum to 1 in float32, seeded; head h leans towards `target` by `lean[h]` (0 = none), so
 * some heads prefer it across sentences and some do not.
 */
function rows(H: number, N: number, seed: number, target: number, lean: number[]): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: H }, (_, h) => {
    const raw = Array.from({ length: N }, () => random() ** 3);
    raw[target] += lean[h];
    const total = raw.reduce((s, v) => s + v, 0);
    return raw.map((v) => Math.fround(v / total));
  });
}

const NUMPY_REFERENCE = `
import itertools, json, sys
import numpy as np

case = json.loads(sys.argv[1])

${PY_MULBERRY32}${PY_HOLM}

def difference(kind, row, tg, ot):
    w, o, chance = row[tg].sum(), row[ot].sum(), len(tg) / len(row)
    return {"moreThan": w - o, "lessThan": o - w, "atLeast": w - chance, "atMost": chance - w}[kind]

# rows[sentence][head] = the from-word's row over the visible sources
rows = np.asarray(case["rows"], dtype=np.float64)
S, H = rows.shape[0], rows.shape[1]
p = []
for h in range(H):
    d = np.array([difference(case["kind"], rows[s, h], case["target"], case["other"]) for s in range(S)])
    obs = 0.0
    for x in d:
        obs += x
    if 2 ** S <= 20000:
        signs = np.array(list(itertools.product([1.0, -1.0], repeat=S)))
        p.append(float(np.mean(signs @ d >= obs - 1e-9)))
    else:
        rnd, ext, R = mulberry32(case["seed"]), 0, 9999
        for _ in range(R):
            s = 0.0
            for i, x in enumerate(d):
                if i % 32 == 0:
                    k = int(rnd() * 2**32)  # one 32-bit draw: 32 signs
                s += -x if (k >> (i % 32)) & 1 else x
            ext += s >= obs - 1e-9
        p.append((1 + ext) / (1 + R))
print(json.dumps({"p": p, "holm": holm(p).tolist()}))
`;

function reference(case_: object): { p: number[]; holm: number[] } {
  return JSON.parse(runPython(NUMPY_REFERENCE, [JSON.stringify(case_)]));
}

const WORDS = ["[CLS]", "the", "animal", "didn't", "cross", "the", "street", "because", "it", "was", "tired", "[SEP]"];
const IT = 8;
const ANIMAL = 2;
const STREET = 6;
/** Heads 0 and 1 lean towards "animal", head 2 slightly, heads 3–5 not at all. */
const LEAN = [0.8, 0.4, 0.05, 0, 0, 0];

describe("probe p-values across sentences equal a numpy sign-flip reference", () => {
  it("exact: 8 sentences as separate results, every rule, Holm over the heads", () => {
    const sentences = Array.from({ length: 8 }, (_, s) => rows(LEAN.length, WORDS.length, 100 + s, ANIMAL, LEAN));
    const results = sentences.map((r) => result(WORDS, IT, [r]));
    const rules = [
      {
        kind: "moreThan",
        target: [ANIMAL],
        other: [STREET],
        got: probe(results).from("it").to("animal").moreThan("street"),
      },
      {
        kind: "lessThan",
        target: [ANIMAL],
        other: [STREET],
        got: probe(results).from("it").to("animal").lessThan("street"),
      },
      { kind: "atLeast", target: [ANIMAL], other: [], got: probe(results).from("it").to("animal").atLeast(0.3) },
      { kind: "atMost", target: [STREET], other: [], got: probe(results).from("it").to("street").atMost(0.05) },
    ];
    for (const r of rules) {
      const ref = reference({ rows: sentences, target: r.target, other: r.other, kind: r.kind });
      expect(r.got.sampleTest).toMatchObject({
        method: "sign-flip permutation over sentences",
        exact: true,
        permutations: 256,
        sentences: 8,
        correction: "holm",
        comparisons: LEAN.length,
      });
      expect(r.got.heads).toHaveLength(LEAN.length);
      for (const h of r.got.heads) {
        expect(h.p, `${r.kind} head ${h.head}`).toBeCloseTo(ref.p[h.head], 12);
        expect(h.pAdjusted, `${r.kind} head ${h.head}`).toBeCloseTo(ref.holm[h.head], 12);
      }
    }
    // the leaning heads are found, the others are not: the reference is not trivially 1 or 1/256
    const more = rules[0].got.heads;
    const at = (h: number) => more.find((x) => x.head === h)!;
    expect(at(0).p).toBe(1 / 256);
    expect(at(0).pAdjusted).toBeLessThan(0.05);
    expect(at(5).pAdjusted).toBeGreaterThan(0.05);
    expect(rules[0].got.summary).toContain(
      "p: one-sided sign-flip permutation test of weight − other over up to 8 sentences (exact, up to 256 sign patterns per head); Holm correction over 6 heads",
    );
  });

  it("seeded random sign patterns (40 sentences as batch samples and results) replay identically in numpy", () => {
    // 40 sentences: two 32-bit draws per pattern
    const sentences = Array.from({ length: 40 }, (_, s) => rows(LEAN.length, WORDS.length, 300 + s, ANIMAL, LEAN));
    // 2 results of 20 samples each: the samples of both count as sentences
    const results = [result(WORDS, IT, sentences.slice(0, 20)), result(WORDS, IT, sentences.slice(20))];
    for (const seed of [1, 42]) {
      const got = probe(results, { seed }).from("it").to("animal").moreThan("street");
      expect(got.sampleTest).toMatchObject({ exact: false, permutations: 9999, seed, sentences: 40, comparisons: 6 });
      const ref = reference({ rows: sentences, target: [ANIMAL], other: [STREET], kind: "moreThan", seed });
      for (const h of got.heads) {
        expect(h.total).toBe(40);
        expect(h.p, `seed ${seed} head ${h.head}`).toBeCloseTo(ref.p[h.head], 12);
        expect(h.pAdjusted, `seed ${seed} head ${h.head}`).toBeCloseTo(ref.holm[h.head], 12);
      }
      expect(new Set(got.heads.map((h) => h.p)).size).toBeGreaterThan(2);
      expect(got.heads.filter((h) => h.p > 0.01).length).toBeGreaterThan(0); // not every head at the floor
    }
  });

  it("the suite table's p column: runProbeSuite's groups against the same reference", async () => {
    // 9 sentences with animal/street at the same positions; the fake model returns their maps
    const sentences = Array.from({ length: 9 }, (_, s) => rows(LEAN.length, WORDS.length, 500 + s, ANIMAL, LEAN));
    const texts = sentences.map((_, s) => `sentence ${s}`);
    const model: SuiteModel = { run: async (text) => result(WORDS, IT, [sentences[texts.indexOf(text)]]) };
    const cases = texts.map((text) => ({ group: "it → animal", text, from: "it", to: "animal", other: "street" }));
    for (const seed of [1, 7]) {
      const table = await runProbeSuite(model, { name: "test", cases }, { seed });
      const [g] = table.groups;
      expect(g.test).toMatchObject({ exact: true, permutations: 512, comparisons: 6, statistic: "weight − other" });
      const ref = reference({ rows: sentences, target: [ANIMAL], other: [STREET], kind: "moreThan", seed });
      for (const h of g.heads) {
        expect(h.p).toBeCloseTo(ref.p[h.head], 12);
        expect(h.pAdjusted).toBeCloseTo(ref.holm[h.head], 12);
      }
      expect(String(table)).toContain("Holm correction over 6 heads");
    }
  });
});

describe("signFlipTest closed forms", () => {
  it("the observed sum ranked among the 2ⁿ sign patterns", () => {
    // all positive: only the observed pattern reaches Σ = 0.6
    expect(signFlipTest([0.3, 0.2, 0.1])).toEqual({ p: 1 / 8, permutations: 8, exact: true });
    // ±0.3 ±0.1 ±0.1 ≥ 0.3: (+,+,+) 0.5, (+,+,−) 0.3, (+,−,+) 0.3
    expect(signFlipTest([0.3, -0.1, 0.1]).p).toBeCloseTo(3 / 8, 15);
    // no difference at all: every pattern ties with the observed 0
    expect(signFlipTest([0, 0, 0, 0]).p).toBe(1);
    expect(signFlipTest([])).toEqual({ p: 1, permutations: 0, exact: true });
  });
});
