/**
 * What the heads of a real pretrained model do, measured with attnlens' own analysis (analyzeResult:
 * pattern labels, masses on [CLS] / [SEP] / previous / next tokens, normalized entropy) on eight
 * ordinary English sentences, set against Clark et al. 2019 ("What does BERT look at?") for BERT-base.
 * Each assertion is a finding measured first (docs/real-models.md, "What MiniLM's heads do") and held
 * with a margin; the sentences are not chosen to produce it (the reference run's texts give the same).
 */
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeResult, type ResultMetrics } from "../../kernel-lib/src/analysis/metrics/analyze";
import { loadModel } from "../../kernel-lib/src/load/loadModel";
import { refCase } from "./refModels";

const HEAD_SENTENCES = [
  "The animal didn't cross the street because it was too tired.",
  "She gave the book to her brother, who had asked for it last week.",
  "After the storm passed, the fishermen returned to the harbor and repaired their nets.",
  "The committee, which met on Tuesday, postponed its decision until the next meeting.",
  "Although he was nervous, the young pianist played the sonata without a single mistake.",
  "Scientists have found that bees can recognize human faces.",
  "The keys to the cabinet are on the table near the window.",
  "When the lights went out, everyone in the theater started to laugh.",
];

let analysis: ResultMetrics;
const layer = (i: number) => analysis.sites[i];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const meanMass = (i: number, k: "cls" | "sep" | "previous" | "next") => mean(layer(i).heads.map((h) => h.mass[k] ?? 0));
const meanEntropy = (i: number) => mean(layer(i).heads.map((h) => h.normalizedEntropy ?? 0));
const MIDDLE = [1, 2, 3, 4];

beforeAll(async () => {
  const model = await loadModel(path.join(refCase("minilm-fp32").dir, "onnx"), { providers: ["cpu"] });
  analysis = analyzeResult(await model.run(HEAD_SENTENCES));
  await model.release();
}, 60_000);

describe("all-MiniLM-L6-v2's heads, against Clark et al. 2019", () => {
  it("has 6 layers of 12 heads", () => {
    expect(analysis.sites.map((s) => s.site.id)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `encoder.self.${i}`));
    for (const s of analysis.sites) expect(s.heads).toHaveLength(12);
  });

  it("like BERT: the first layer's heads attend broadly (8 of 12 labelled broad, normalized entropy 0.76)", () => {
    expect(layer(0).patterns.filter((p) => p.label === "broad").length).toBeGreaterThanOrEqual(6);
    expect(meanEntropy(0)).toBeGreaterThan(0.65);
    for (const i of MIDDLE) expect(meanEntropy(0) - meanEntropy(i), `layer ${i}`).toBeGreaterThan(0.1);
  });

  it("like BERT: a previous-token head (layer 0, ≈ all its mass on i − 1) and a next-token head (layer 1)", () => {
    const prev = layer(0).heads.filter((h) => (h.mass.previous ?? 0) >= 0.9);
    expect(prev).toHaveLength(1);
    expect(layer(0).patterns[prev[0].head].label).toBe("previous");
    const next = layer(1).heads.filter((h) => (h.mass.next ?? 0) >= 0.45);
    expect(next.length).toBeGreaterThanOrEqual(1);
    expect(layer(1).patterns[next[0].head].label).toBe("next");
  });

  it("unlike BERT-base: the sink of the middle layers is [CLS], not [SEP]", () => {
    for (const i of MIDDLE) {
      expect(meanMass(i, "cls"), `layer ${i} [CLS]`).toBeGreaterThan(0.35);
      expect(layer(i).heads.filter((h) => (h.mass.cls ?? 0) > 0.5).length, `layer ${i}`).toBeGreaterThanOrEqual(4);
    }
    // BERT-base puts more than half of some middle layers' attention on [SEP]; MiniLM, under 0.15 anywhere.
    for (const s of analysis.sites) expect(meanMass(s.site.layer, "sep"), s.site.id).toBeLessThan(0.15);
  });

  it("the last layer leaves the sink again: less [CLS] mass and broader heads than the middle layers", () => {
    for (const i of MIDDLE) {
      expect(meanMass(i, "cls") - meanMass(5, "cls"), `layer ${i}`).toBeGreaterThan(0.05);
      expect(meanEntropy(5) - meanEntropy(i), `layer ${i}`).toBeGreaterThan(0.05);
    }
  });
});
