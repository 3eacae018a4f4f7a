import { describe, expect, it } from "vitest";
import type { AttentionResult, SiteAttention } from "../../result/types";
import { designedSite, randomAttention } from "../../testing/syntheticMaps";
import { clusterOrder } from "./clustering";
import { headSimilarity } from "./similarity";

function naiveJsd(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let d = 0;
  for (let j = 0; j < p.length; j++) {
    const m = (p[j] + q[j]) / 2;
    if (p[j] > 0) d += 0.5 * p[j] * Math.log(p[j] / m);
    if (q[j] > 0) d += 0.5 * q[j] * Math.log(q[j] / m);
  }
  return d;
}

const res = (sites: SiteAttention[]): AttentionResult => ({ sites, provider: "cpu", fallbacks: [], masks: {} });

describe("head similarity", () => {
  it("matches a naive Jensen–Shannon divergence on random maps", () => {
    const dims: [number, number, number, number] = [2, 4, 9, 9];
    const site: SiteAttention = {
      ...designedSite("uniform", { lengths: [9, 9] }).site,
      data: randomAttention({ dims, seed: 4 }),
      dims,
      heads: 4,
    };
    const [sim] = headSimilarity(res([site]));
    for (let a = 0; a < 4; a++) {
      for (let c = 0; c < 4; c++) {
        let want = 0;
        for (let b = 0; b < 2; b++)
          for (let i = 0; i < 9; i++) {
            const row = (h: number) => site.data.subarray(((b * 4 + h) * 9 + i) * 9, ((b * 4 + h) * 9 + i + 1) * 9);
            want += naiveJsd(row(a), row(c));
          }
        expect(sim.divergence[a * 4 + c]).toBeCloseTo(want / 18, 5);
      }
    }
  });

  it("gives ln 2 between disjoint heads and 0 between equal ones", () => {
    const { site } = designedSite(["identity", "previous", "identity"], { lengths: [8] });
    const [sim] = headSimilarity(res([site]), { targets: [1, 8] });
    expect(sim.divergence[0 * 3 + 1]).toBeCloseTo(Math.log(2), 5);
    expect(sim.divergence[0 * 3 + 2]).toBeCloseTo(0, 6);
  });

  it("compares heads across sites of the same shape and orders clusters together", () => {
    const a = designedSite(["identity", "uniform"], { lengths: [10] }).site;
    const b = { ...designedSite(["uniform", "identity"], { lengths: [10] }).site, id: "encoder.self.1", layer: 1 };
    const [sim] = headSimilarity(res([a, b]));
    expect(sim.heads.map((h) => `${h.site}:${h.head}`)).toEqual([
      "encoder.self.0:0",
      "encoder.self.0:1",
      "encoder.self.1:0",
      "encoder.self.1:1",
    ]);
    const pos = (k: number) => sim.order.indexOf(k);
    expect(Math.abs(pos(0) - pos(3))).toBe(1); // both identity
    expect(Math.abs(pos(1) - pos(2))).toBe(1); // both uniform
  });

  it("refuses unknown site ids", () => {
    const { site } = designedSite("identity", { lengths: [4] });
    expect(() => headSimilarity(res([site]), { sites: ["decoder.self.9"] })).toThrow(/sites are: encoder\.self\.0/);
  });
});

describe("average-linkage clustering", () => {
  it("merges by average distance and returns every leaf once", () => {
    // points on a line: 0, 1, 10, 12 → {0,1} at 1, {10,12} at 2, then average (10+12+9+11)/4 = 10.5
    const x = [0, 1, 10, 12];
    const d = new Float64Array(16);
    for (let a = 0; a < 4; a++) for (let c = 0; c < 4; c++) d[a * 4 + c] = Math.abs(x[a] - x[c]);
    const { order, merges } = clusterOrder(d, 4);
    expect([...order].sort()).toEqual([0, 1, 2, 3]);
    expect(merges.map((m) => m.distance)).toEqual([1, 2, 10.5]);
    expect(merges[2].size).toBe(4);
  });
});
