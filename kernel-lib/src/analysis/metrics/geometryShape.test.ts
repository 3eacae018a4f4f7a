/**
 * Every SiteGeometry and SampleGeometry has the same fields in the same order, however it was made
 * (a full site, one shared between sites, a row block): so V8 gives them one hidden class, kept
 * alive by its literal (geometry.ts says why that matters: without it the passes that read a
 * geometry were recompiled after every major GC).
 */
import { describe, expect, it } from "vitest";
import type { AttentionResult, SiteAttention } from "../../result/types";
import { designedSite } from "../../testing/syntheticMaps";
import { type SiteGeometry, sharedGeometry, siteGeometry } from "./geometry";
import { blockGeometry } from "./scale/blocks";

describe("geometry objects", () => {
  it("have one shape whether made whole, shared or cut into row blocks", () => {
    const a: SiteAttention = { ...designedSite("previous", { lengths: [12, 9], causal: true }).site, id: "a" };
    const b: SiteAttention = { ...a, id: "b", layer: 1 };
    const result: AttentionResult = { sites: [a, b], provider: "cpu", fallbacks: [], masks: {} };
    const shared = new Map<string, SiteGeometry>();
    const made = [
      siteGeometry(result, a),
      sharedGeometry(result, a, {}, shared),
      sharedGeometry(result, b, {}, shared),
      blockGeometry(siteGeometry(result, a), 1, 2, 7),
    ];
    expect(made[2]).not.toBe(made[1]);
    const siteKeys = Object.keys(made[0]);
    expect(siteKeys).toContain("origin");
    const sampleKeys = Object.keys(made[0].samples[0]);
    for (const geo of made) {
      expect(Object.keys(geo)).toEqual(siteKeys);
      for (const g of geo.samples) expect(Object.keys(g)).toEqual(sampleKeys);
    }
  });
});
