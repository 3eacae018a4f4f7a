import { describe, expect, it } from "vitest";
import { siteTables } from "../../output/payload/extras";
import type { AttentionResult } from "../../result/types";
import { designedSite } from "../../testing/syntheticMaps";
import { analyzeResult, metricsJson } from "./analyze";

/** One encoder site; lengths[b] = 0 makes sample b fully masked (its rows are all zero). */
function result(lengths: number[]): AttentionResult {
  const s = designedSite(["identity", "uniform"], { lengths, length: 6 });
  return { sites: [s.site], provider: "cpu", fallbacks: [], masks: { encoder: s.mask } };
}

describe("a sample with no valid positions (attention mask all zeros)", () => {
  it("is named in a warning and left out: the heads equal those of the other sample alone", () => {
    const both = analyzeResult(result([6, 0]));
    const alone = analyzeResult(result([6]));
    expect(both.warnings).toEqual([
      "site encoder.self.0: sample 1 of 2 has no valid positions (attention mask all zeros); it is left out of the metrics and pattern labels",
    ]);
    expect(alone.warnings).toBeUndefined();
    // uniform over 6 sources: entropy ln 6 (closed form), the same with the empty sample added
    expect(both.sites[0].heads[1].entropy).toBeCloseTo(Math.log(6), 6);
    expect(both.sites[0].heads.map((h) => h.entropy)).toEqual(alone.sites[0].heads.map((h) => h.entropy));
    expect(both.sites[0].patterns.map((p) => [p.label, p.confidence])).toEqual(
      alone.sites[0].patterns.map((p) => [p.label, p.confidence]),
    );
  });

  it("when every sample is empty: null metrics (not 0, not NaN) and a 0-confidence label", () => {
    const out = analyzeResult(result([0]));
    expect(out.warnings?.[0]).toMatch(
      /sample 0 of 1 has no valid positions.*its metrics are null and its pattern labels have confidence 0/,
    );
    expect(out.sites[0].patterns.map((p) => [p.label, p.confidence])).toEqual([
      ["mixed", 0],
      ["mixed", 0],
    ]);
    const json = JSON.parse(JSON.stringify(metricsJson(out)));
    expect(json.warnings).toEqual(out.warnings);
    for (const h of json.sites[0].heads) expect([h.entropy, h.distance, h.confidence]).toEqual([null, null, null]);
    const tables = siteTables(out, "encoder.self.0");
    expect(tables.metrics?.entropy).toEqual([null, null]);
    // Nothing measured: no bootstrap support, no mixture components.
    const empty = { label: "mixed", confidence: 0, combined: "mixed", support: 0, components: [] };
    expect(tables.patterns).toEqual([empty, empty]);
  });
});
