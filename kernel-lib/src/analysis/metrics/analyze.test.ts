import { describe, expect, it } from "vitest";
import type { AttentionResult } from "../../result/types";
import { designedSite } from "../../testing/syntheticMaps";
import { analyzeResult, metricsJson } from "./analyze";

function twoSites(): AttentionResult {
  const enc = designedSite(["identity", "previous", "uniform"], { lengths: [10, 7], length: 10, noise: 0.1 });
  const dec = designedSite(["first", "uniform"], { lengths: [10, 7], length: 10, causal: true, id: "decoder.self.0" });
  return {
    sites: [enc.site, { ...dec.site, stack: "decoder", layer: 0 }],
    provider: "cpu",
    fallbacks: [],
    masks: { encoder: enc.mask, decoder: dec.mask },
  };
}

describe("analyzeResult and the metrics JSON", () => {
  it("gives per-site, per-head metrics and patterns", () => {
    const out = analyzeResult(twoSites());
    expect(out.sites.map((s) => s.site.id)).toEqual(["encoder.self.0", "decoder.self.0"]);
    const [enc, dec] = out.sites;
    expect(enc.patterns.map((p) => p.label)).toEqual(["diagonal", "previous", "broad"]);
    expect(dec.patterns.map((p) => p.label)).toEqual(["vertical", "broad"]);
    expect(dec.patterns[0].strip).toEqual([[0], [0]]);
    // mean entropy of the uniform encoder head over 10 rows of ln 10 and 7 of ln 7
    expect(enc.heads[2].entropy).toBeCloseTo((10 * Math.log(10) + 7 * Math.log(7)) / 17, 5);
    expect(dec.heads[1].normalizedEntropy).toBeCloseTo(1, 5);
  });

  it("writes exactly the documented JSON", () => {
    const json = JSON.parse(JSON.stringify(metricsJson(analyzeResult(twoSites()))));
    expect(Object.keys(json)).toEqual(["sites"]);
    const site = json.sites[0];
    expect(Object.keys(site)).toEqual(["id", "layer", "stack", "kind", "heads"]);
    expect(site).toMatchObject({ id: "encoder.self.0", layer: 0, stack: "encoder", kind: "self" });
    const head = site.heads[1];
    expect(Object.keys(head)).toEqual(["head", "entropy", "distance", "confidence", "pattern"]);
    expect(Object.keys(head.pattern)).toEqual([
      "label",
      "confidence",
      "scores",
      "window",
      "strip",
      "combined",
      "components",
      "anti",
      "llr",
      "support",
      "interval",
    ]);
    expect(head.pattern.label).toBe("previous");
    expect(head.pattern.scores.previous).toBeCloseTo(0.9, 4);
    expect(head.distance).toBeGreaterThan(0.9);
    expect(json.sites[1].heads[0].pattern.scores.next).toBeNull(); // causal: cannot be measured
  });

  it("refuses unknown site ids", () => {
    expect(() => analyzeResult(twoSites(), { sites: ["encoder.self.7"] })).toThrow(
      /no site encoder\.self\.7; sites are: encoder\.self\.0, decoder\.self\.0/,
    );
  });
});
