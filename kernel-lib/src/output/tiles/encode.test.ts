import { decodePayload, mapAt } from "@attnlens/widgets";
import { describe, expect, it } from "vitest";
import { rowSourceOf } from "../../result/rowSource";
import { sampleResult } from "../payload/sample";
import { tiledPayload, tiledPayloadFrom } from "./encode";
import { PooledLevels } from "./pooledLevels";
import { checkTileRequest } from "./request";

/** Pooling from the documented formula, one cell at a time: mean over valid rows of the bin of the summed weight. */
function naivePool(map: Float32Array, T: number, S: number, by: number, bx: number, valid?: number[]): number[][] {
  const out: number[][] = [];
  for (let I = 0; I * by < T; I++) {
    const row: number[] = [];
    for (let J = 0; J * bx < S; J++) {
      let sum = 0;
      let n = 0;
      for (let t = I * by; t < Math.min(T, (I + 1) * by); t++) {
        if (valid && !valid[t]) continue;
        n++;
        for (let s = J * bx; s < Math.min(S, (J + 1) * bx); s++) sum += map[t * S + s];
      }
      row.push(n > 0 ? sum / n : 0);
    }
    out.push(row);
  }
  return out;
}

describe("PooledLevels", () => {
  it("equals the naive pooling at every level, from row blocks of any size and order, padding left out", () => {
    const result = sampleResult({
      layers: 1,
      heads: 3,
      tokens: 50,
      lengths: [43],
      patterns: ["random", "window", "previous"],
    });
    const site = result.sites[0];
    const [, H, T, S] = site.dims;
    const valid = Array.from({ length: T }, (_, t) => (t < 43 ? 1 : 0));
    const bins: [number, number][] = [
      [7, 5],
      [1, 1],
      [16, 16],
      [3, 50],
    ];
    const acc = new PooledLevels([H, T, S], bins, valid);
    const source = rowSourceOf(result);
    const blocks: [number, number][] = [
      [30, 50],
      [0, 13],
      [13, 30],
    ];
    return Promise.all(blocks.map((rows) => source.rows(site.id, 0, rows))).then((got) => {
      for (const block of got) acc.add(block);
      const levels = acc.finish();
      bins.forEach(([by, bx], k) => {
        for (let h = 0; h < H; h++) {
          const want = naivePool(site.data.subarray(h * T * S, (h + 1) * T * S), T, S, by, bx, valid);
          const [, Ty, Sx] = levels[k].dims;
          expect([Ty, Sx]).toEqual([want.length, want[0].length]);
          for (let i = 0; i < Ty; i++)
            for (let j = 0; j < Sx; j++) expect(levels[k].data[(h * Ty + i) * Sx + j]).toBeCloseTo(want[i][j], 5);
        }
      });
      // Pooled rows of bins with a valid row still sum to 1.
      const Sx = levels[0].dims[2];
      for (let i = 0; i * 7 < 43; i++) {
        let sum = 0;
        for (let j = 0; j < Sx; j++) sum += levels[0].data[i * Sx + j];
        expect(sum).toBeCloseTo(1, 5);
      }
    });
  });
});

describe("tiledPayload", () => {
  const result = sampleResult({ layers: 2, heads: 2, tokens: 600, patterns: ["random", "window"] });
  const options = { cells: 64, tileCells: 128, quantization: "float16" as const, metrics: false as const };

  it("pools the overview as the naive pooling and tiles the finest level with the exact weights", () => {
    const payload = decodePayload(JSON.parse(JSON.stringify(tiledPayload(result, options))));
    const site = result.sites[1];
    const ps = payload.sites[1];
    expect(ps.maps!.bin).toEqual([10, 10]);
    expect(ps.overview!.bin).toEqual([19, 19]);
    const want = naivePool(site.data.subarray(600 * 600, 2 * 600 * 600), 600, 600, 10, 10);
    const got = mapAt(ps.maps!, 0, 1);
    for (let i = 0; i < 60; i++)
      for (let j = 0; j < 60; j++)
        expect(Math.abs(got[i * 60 + j] - want[i][j])).toBeLessThanOrEqual(want[i][j] * 2 ** -10 + 1e-7);
    // Levels 2× finer each, down to exact weights.
    expect(payload.tiles!.levels.map((l) => l.bin)).toEqual([
      [5, 5],
      [3, 3],
      [2, 2],
      [1, 1],
    ]);
    const exact = payload.tiles!.levels[3];
    const tile = exact.tiles.find(
      (t) => t.site === site.id && t.head === 1 && t.origin[0] === 256 && t.origin[1] === 512,
    )!;
    expect(tile.maps.dims).toEqual([1, 1, 128, 88]);
    const data = mapAt(tile.maps, 0, 0);
    for (let y = 0; y < 128; y++)
      for (let x = 0; x < 88; x++) {
        const w = site.data[600 * 600 + (256 + y) * 600 + 512 + x];
        expect(Math.abs(data[y * 88 + x] - w)).toBeLessThanOrEqual(w * 2 ** -10 + 1e-7);
      }
    // Every (site, head) map is covered by ⌈600/128⌉² tiles at the exact level.
    expect(exact.tiles.length).toBe(2 * 2 * 5 * 5);
    expect(payload.notes!.join(" ")).toContain("finest zoom level in this page: exact weights");
  });

  it("keeps the levels that fit maxBytes, says which were left out, and stays within it", () => {
    const full = JSON.stringify(tiledPayload(result, options)).length;
    const maxBytes = Math.floor(full * 0.5);
    const payload = tiledPayload(result, { ...options, maxBytes });
    expect(payload.tiles!.levels.map((l) => l.bin)).toEqual([
      [5, 5],
      [3, 3],
      [2, 2],
    ]);
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThanOrEqual(maxBytes);
    expect(payload.notes!.join(" ")).toContain("finest zoom level in this page: 2 tokens per cell");
    expect(payload.notes!.join(" ")).toContain(
      "zoom levels left out to stay within the size budget (maxBytes; tileBytes in reports): 1 tokens per cell",
    );
    expect(() => tiledPayload(result, { ...options, maxBytes: 20_000 })).toThrow(
      /overviews alone would be .* above the limit/,
    );
  });

  it("reads the same payload from a RowSource as from the full result", async () => {
    const source = { ...result, ...rowSourceOf(result) };
    const a = await tiledPayloadFrom(source, { ...options, blockBytes: 4 * 2 * 600 * 37 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(tiledPayload(result, options)));
  });

  it("is accepted by decodePayload without tiles (tiles: false)", () => {
    const payload = tiledPayload(result, { ...options, tiles: false });
    expect(payload.tiles).toBeUndefined();
    expect(decodePayload(payload).sites).toHaveLength(2);
  });
});

describe("rowSourceOf and checkTileRequest", () => {
  const result = sampleResult({ layers: 1, heads: 2, tokens: 20 });
  const source = rowSourceOf(result);

  it("hands out the map's own window", async () => {
    const tile = await source.tile({ site: "encoder.self.0", batch: 0, head: 1, rows: [3, 7], cols: [10, 20] });
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 10; x++)
        expect(tile.data[y * 10 + x]).toBe(result.sites[0].data[400 + (3 + y) * 20 + 10 + x]);
    await expect(source.tile({ site: "nope", batch: 0, head: 0, rows: [0, 1], cols: [0, 1] })).rejects.toThrow(
      /no site nope/,
    );
  });

  it("refuses requests outside the map, too large or malformed, with the reason", () => {
    const sites = [{ id: "encoder.self.0", dims: [1, 2, 4096, 4096] as [number, number, number, number] }];
    const ok = { site: "encoder.self.0", batch: 0, head: 1, rows: [0, 512], cols: [100, 612] };
    expect(checkTileRequest(sites, ok)).toEqual(ok);
    expect(checkTileRequest(sites, { ...ok, site: "x" })).toMatch(/^no site "x"/);
    expect(checkTileRequest(sites, { ...ok, head: 2 })).toBe("head must be an integer in [0, 2)");
    expect(checkTileRequest(sites, { ...ok, rows: [0, 4097] })).toMatch(/^rows must be/);
    expect(checkTileRequest(sites, { ...ok, cols: [5, 5] })).toMatch(/^cols must be/);
    expect(checkTileRequest(sites, { ...ok, rows: [0, 2048], cols: [0, 2048] })).toMatch(/above the limit/);
    expect(checkTileRequest(sites, null)).toBe("a tile request must be an object");
    // A whole 4,096² map pooled by 8 is 512² cells: allowed; a bin that is not an integer ≥ 1 is not.
    const pooled = { ...ok, rows: [0, 4096], cols: [0, 4096], bin: 8 };
    expect(checkTileRequest(sites, pooled)).toEqual(pooled);
    expect(checkTileRequest(sites, { ...pooled, bin: 2 })).toMatch(/above the limit/);
    expect(checkTileRequest(sites, { ...pooled, bin: 0 })).toBe("bin must be an integer in [1, 4096]");
  });
});
