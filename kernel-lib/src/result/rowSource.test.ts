import { describe, expect, it } from "vitest";
import { randomSite } from "../testing/syntheticMaps";
import { rowSourceOf } from "./rowSource";
import type { AttentionResult } from "./types";

const site = randomSite("encoder", "self", 0, { dims: [2, 3, 5, 6], seed: 7 });
const result: AttentionResult = { sites: [site], provider: "cpu", fallbacks: [], masks: {}, outputs: {} };
/** A[b, h, t, s] read from the documented layout. */
const at = (b: number, h: number, t: number, s: number) => site.data[((b * 3 + h) * 5 + t) * 6 + s];

describe("rowSourceOf: a full result as a RowSource", () => {
  it("lists the sites, held full, with their dims and bytes", () => {
    const { sites } = rowSourceOf(result);
    expect(sites).toEqual([
      {
        id: "encoder.self.0",
        stack: "encoder",
        kind: "self",
        layer: 0,
        heads: 3,
        causal: false,
        node: "n",
        dims: [2, 3, 5, 6],
        mode: "full",
        bytes: 2 * 3 * 5 * 6 * 4,
      },
    ]);
  });

  it("hands out row blocks in the RowBlock layout, all heads or those asked for", async () => {
    const source = rowSourceOf(result);
    const block = await source.rows("encoder.self.0", 1, [1, 4], [2, 0]);
    expect(block.dims).toEqual([1, 2, 3, 6]);
    expect(block.heads).toEqual([2, 0]);
    block.heads.forEach((h, k) => {
      for (let t = 0; t < 3; t++)
        for (let s = 0; s < 6; s++) expect(block.data[(k * 3 + t) * 6 + s]).toBe(at(1, h, 1 + t, s));
    });
    const all = await source.rows("encoder.self.0", 0, [0, 5]);
    expect(all.heads).toEqual([0, 1, 2]);
    expect(Array.from(all.data)).toEqual(Array.from(site.data.subarray(0, 3 * 5 * 6)));
  });

  it("hands out tiles", async () => {
    const tile = await rowSourceOf(result).tile({
      site: "encoder.self.0",
      batch: 1,
      head: 1,
      rows: [2, 5],
      cols: [3, 5],
    });
    expect(Array.from(tile.data)).toEqual([
      at(1, 1, 2, 3),
      at(1, 1, 2, 4),
      at(1, 1, 3, 3),
      at(1, 1, 3, 4),
      at(1, 1, 4, 3),
      at(1, 1, 4, 4),
    ]);
  });

  it("refuses what the maps do not have, naming it", async () => {
    const source = rowSourceOf(result);
    await expect(source.rows("encoder.self.9", 0, [0, 1])).rejects.toThrow(
      "row source: no site encoder.self.9; sites are: encoder.self.0",
    );
    await expect(source.rows("encoder.self.0", 2, [0, 1])).rejects.toThrow(
      "row source: site encoder.self.0 has no sample 2 (batch of 2)",
    );
    await expect(source.rows("encoder.self.0", 0, [3, 7])).rejects.toThrow(
      "row source: site encoder.self.0 rows [3, 7) must be a non-empty integer range inside [0, 5)",
    );
    await expect(source.rows("encoder.self.0", 0, [0, 1], [3])).rejects.toThrow(
      "row source: site encoder.self.0 has no head 3",
    );
    await expect(
      source.tile({ site: "encoder.self.0", batch: 0, head: 0, rows: [0, 1], cols: [2, 2] }),
    ).rejects.toThrow(
      "row source: site encoder.self.0 tile cols [2, 2) must be a non-empty integer range inside [0, 6)",
    );
  });
});
