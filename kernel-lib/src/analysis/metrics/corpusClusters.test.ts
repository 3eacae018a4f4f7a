import { describe, expect, it } from "vitest";
import { clusterCorpusHeads, defaultClusterCount } from "./corpusClusters";

describe("clusterCorpusHeads", () => {
  it("recovers three groups of heads built far apart, and orders each group side by side", () => {
    // Heads 0, 3, 6 near 0; 1, 4, 7 near 10; 2, 5, 8 near 20 (two metrics, six features each).
    const heads = Array.from({ length: 9 }, (_, i) => {
      const base = 10 * (i % 3) + 0.01 * i;
      return [Array.from({ length: 6 }, (_, f) => base + f), Array.from({ length: 6 }, () => -base)];
    });
    const { cluster, order, k } = clusterCorpusHeads(heads, 3);
    expect(k).toBe(3);
    for (let i = 0; i < 9; i++) expect(cluster[i]).toBe(cluster[i % 3]);
    expect(new Set([cluster[0], cluster[1], cluster[2]]).size).toBe(3);
    expect([...order].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // Leaves of one cluster are contiguous in the order.
    const seq = order.map((i) => cluster[i]);
    for (let c = 0; c < 3; c++) {
      const at = seq.flatMap((x, j) => (x === c ? [j] : []));
      expect(at[at.length - 1] - at[0]).toBe(2);
    }
    // Numbered by first appearance in the leaf order.
    expect(cluster[order[0]]).toBe(0);
  });

  it("treats a missing distribution as the average head and drops features that do not vary", () => {
    const heads = [[[1, 5]], [[1, 5.1]], [null], [[1, 9]]];
    const { cluster, k } = clusterCorpusHeads(heads, 2);
    expect(k).toBe(2);
    expect(cluster[0]).toBe(cluster[1]);
    expect(cluster[3]).not.toBe(cluster[0]);
  });

  it("defaults to about √(heads/2) clusters, 2 to 8", () => {
    expect([2, 16, 144, 1000].map(defaultClusterCount)).toEqual([2, 3, 8, 8]);
  });
});
