/**
 * The corpus engine's analysis without the bootstrap (analyzeSites(…, false)) against analyzeResult:
 * every field the same to the bit but each pattern's support and interval, which are NaN. On the
 * three demo models' real maps (a sentence encoder, a causal decoder with its start token, an
 * encoder–decoder's cross sites), designed heads with sinks and noise, null maps, and random sites
 * with padding, holes, KV caches and segments.
 */
import { describe, expect, it } from "vitest";
import { analyzeResult, loadModel } from "../src";
import { analyzeSites } from "../src/analysis/metrics/analyze";
import type { MetricsOptions } from "../src/analysis/metrics/types";
import type { AttentionResult } from "../src/result/types";
import { dirichletSite } from "../src/testing/nullMaps";
import { designedSite } from "../src/testing/syntheticMaps";
import { randomCase } from "./randomSites";

function expectSameButUncertainty(result: AttentionResult, label: string, options: MetricsOptions = {}): number {
  const full = analyzeResult(result, options);
  const lean = analyzeSites(result, options, false);
  let heads = 0;
  for (const site of lean.sites) {
    for (const p of site.patterns) {
      expect(p.support, label).toBeNaN();
      expect(p.interval, label).toEqual([Number.NaN, Number.NaN]);
      heads++;
    }
  }
  const strip = (m: typeof full) =>
    m.sites.map((s) => ({ ...s, patterns: s.patterns.map(({ support: _s, interval: _i, ...rest }) => rest) }));
  expect(strip(lean), label).toEqual(strip(full));
  expect(lean.warnings, label).toEqual(full.warnings);
  // the full answer has its uncertainty: support in [0, 1]
  for (const s of full.sites) for (const p of s.patterns) expect(p.support >= 0 && p.support <= 1, label).toBe(true);
  return heads;
}

describe("analysis without the bootstrap (the corpus engine's)", () => {
  it("equals analyzeResult but support and interval, on the demo models' own maps", async () => {
    const inputs: Record<string, unknown[]> = {
      "tiny-agreement-bert": [
        "the keys to the cabinet are near",
        { source: ["the cat is tired", "a dog"], pair: ["the dogs are big", null] },
      ],
      "tiny-induction-gpt": ["a b c d e a b c d e a b c", "the cat sat on the mat and the cat sat"],
      "tiny-reverse-encdec": [{ source: ["a b c d"], target: ["d c b a"] }],
    };
    let heads = 0;
    for (const [name, texts] of Object.entries(inputs)) {
      const model = await loadModel(name, { providers: ["cpu"] });
      try {
        for (const text of texts) {
          const result = await model.run(text as Parameters<typeof model.run>[0]);
          heads += expectSameButUncertainty(result, `${name}: ${JSON.stringify(text)}`);
        }
      } finally {
        await model.release();
      }
    }
    expect(heads).toBeGreaterThan(40);
  }, 120_000);

  it("equals analyzeResult but support and interval, on designed, null and random maps", () => {
    const designed = designedSite(["identity", "previous", "first", "window", "uniform", "segment"], {
      lengths: [24, 17],
      length: 24,
      noise: 0.3,
      window: 2,
      segments: [
        Array.from({ length: 24 }, (_, i) => (i < 12 ? 0 : 1)),
        Array.from({ length: 24 }, (_, i) => (i < 8 ? 0 : 1)),
      ],
    });
    let heads = expectSameButUncertainty(
      { sites: [designed.site], provider: "cpu", fallbacks: [], masks: { encoder: designed.mask } },
      "designed",
    );
    for (const [alpha, causal] of [
      [0.3, false],
      [1, true],
    ] as const) {
      const site = dirichletSite(alpha, { length: 32, heads: 6, causal, seed: 7 });
      heads += expectSameButUncertainty({ sites: [site], provider: "cpu", fallbacks: [] }, `Dirichlet ${alpha}`);
    }
    for (let seed = 1; seed <= 40; seed++) {
      const c = randomCase(seed);
      heads += expectSameButUncertainty({ ...c.result, sites: [c.site] }, c.label, c.options);
    }
    expect(heads).toBeGreaterThan(60);
  });
});
