/** The terminal pattern table shows the combined label (pattern + sink), shortened. */
import { describe, expect, it } from "vitest";
import { analyzeResult } from "../analysis/metrics/analyze";
import type { AttentionResult, SiteAttention } from "../result/types";
import { designedSite } from "../testing/syntheticMaps";
import { patternTable } from "./patternTable";

describe("patternTable", () => {
  it("shows a previous-token head with a start-token sink as prev+sink, a clean one as prev", () => {
    const T = 24;
    const previous = designedSite(["previous", "previous"], { lengths: [T], causal: true }).site;
    const data = new Float32Array(previous.data);
    // Head 1: 0.5 previous + 0.4 start token + 0.1 uniform over the visible sources.
    for (let i = 0; i < T; i++) {
      const row = data.subarray((T + i) * T, (T + i + 1) * T);
      for (let j = 0; j <= i; j++) row[j] = 0.5 * row[j] + (j === 0 ? 0.4 : 0) + 0.1 / (i + 1);
    }
    const site: SiteAttention = { ...previous, data };
    const result: AttentionResult = { sites: [site], provider: "cpu", fallbacks: [], masks: {}, outputs: {} };
    const table = patternTable(analyzeResult(result));
    expect(table.split("\n")[1].split(/\s+/).slice(1, 3)).toEqual(["prev", "prev+sink"]);
  });
});
