/** Long inputs in the widgets: the payload's tiles section, zoomed windows and their axes. */
import { describe, expect, it } from "vitest";
import { siteMatrix } from "../src/data/matrix";
import { normalizeSelection } from "../src/data/selection";
import { type TileRequest, zoomMatrix } from "../src/data/zoom";
import { decodePayload } from "../src/payload";
import type { AttentionPayload, PayloadTile } from "../src/payload/types";
import { heatmapSpec } from "../src/spec/heatmap";
import { block } from "./makePayload";
import { compile, toSvg } from "./specHelpers";

const T = 40;
const H = 2;
/** A row-stochastic [H, T, T] map with a distinct value in every cell. */
const MAP = (() => {
  const out = new Float32Array(H * T * T);
  for (let h = 0; h < H; h++)
    for (let t = 0; t < T; t++) {
      let sum = 0;
      for (let s = 0; s < T; s++) sum += out[(h * T + t) * T + s] = 1 + ((t * 7 + s * 3 + h * 11) % 17);
      for (let s = 0; s < T; s++) out[(h * T + t) * T + s] /= sum;
    }
  return out;
})();
const at = (h: number, t: number, s: number) => MAP[(h * T + t) * T + s];

/** Naive pooling: mean over the bin's rows of the summed weight on the bin's columns. */
function pooled(h: number, bin: number): Float32Array {
  const n = Math.ceil(T / bin);
  const out = new Float32Array(n * n);
  for (let I = 0; I < n; I++)
    for (let J = 0; J < n; J++) {
      const rows = Math.min(T, (I + 1) * bin) - I * bin;
      let sum = 0;
      for (let t = I * bin; t < Math.min(T, (I + 1) * bin); t++)
        for (let s = J * bin; s < Math.min(T, (J + 1) * bin); s++) sum += at(h, t, s);
      out[I * n + J] = sum / rows;
    }
  return out;
}

function withBin<M extends { bin: [number, number] }>(maps: M, bin: number): M {
  return { ...maps, bin: [bin, bin] };
}

/** Exact tiles of 16 cells for both heads. */
function exactTiles(): PayloadTile[] {
  const tiles: PayloadTile[] = [];
  for (let h = 0; h < H; h++)
    for (let r = 0; r < T; r += 16)
      for (let c = 0; c < T; c += 16) {
        const ty = Math.min(16, T - r);
        const tx = Math.min(16, T - c);
        const data = new Float32Array(ty * tx);
        for (let y = 0; y < ty; y++) for (let x = 0; x < tx; x++) data[y * tx + x] = at(h, r + y, c + x);
        tiles.push({ site: "encoder.self.0", sample: 0, head: h, origin: [r, c], maps: block(data, [1, 1, ty, tx]) });
      }
  return tiles;
}

function longPayload(): AttentionPayload {
  const text = Array.from({ length: T }, (_, i) => (i === 7 ? "<b>x</b>" : `tok${i}`));
  const overview = new Float32Array(H * 100);
  for (let h = 0; h < H; h++) overview.set(pooled(h, 4), h * 100);
  return {
    v: 1,
    samples: 1,
    tokens: { source: { start: 0, text: [text], special: [[]], padding: [[]] } },
    sites: [
      {
        id: "encoder.self.0",
        stack: "encoder",
        kind: "self",
        layer: 0,
        heads: H,
        causal: false,
        rows: "source",
        cols: "source",
        dims: [1, H, T, T],
        maps: withBin(block(overview, [1, H, 10, 10]), 4),
      },
    ],
    tiles: { size: 16, levels: [{ bin: [1, 1], tiles: exactTiles() }] },
  };
}

const close = (got: number, want: number, max: number) =>
  expect(Math.abs(got - want)).toBeLessThanOrEqual(max / 510 + 1e-7);

describe("payload tiles section", () => {
  it("accepts a pyramid, and payloads without one", () => {
    expect(decodePayload(longPayload()).tiles!.levels[0].tiles).toHaveLength(18);
    const old = longPayload();
    delete old.tiles;
    expect(decodePayload(old).tiles).toBeUndefined();
  });

  it.each([
    [
      "an unknown site",
      (p: AttentionPayload) => (p.tiles!.levels[0].tiles[0].site = "encoder.self.9"),
      /no site encoder.self.9/,
    ],
    ["a head out of range", (p: AttentionPayload) => (p.tiles!.levels[0].tiles[0].head = 2), /head out of range/],
    [
      "an unaligned origin",
      (p: AttentionPayload) => (p.tiles!.levels[0].tiles[0].origin = [3, 0]),
      /origin must be multiples/,
    ],
    ["a bin unlike the level's", (p: AttentionPayload) => (p.tiles!.levels[0].bin = [2, 2]), /maps.bin must equal/],
    [
      "cells that do not match the window",
      (p: AttentionPayload) => (p.tiles!.levels[0].tiles[0].maps.dims = [1, 1, 16, 15]),
      /stored 16×15 does not match 16×16/,
    ],
    [
      "a size that is not a positive integer",
      (p: AttentionPayload) => (p.tiles!.size = 0),
      /tiles.size must be an integer/,
    ],
    [
      "levels that are not a list",
      (p: AttentionPayload) => ((p.tiles as unknown as { levels: unknown }).levels = {}),
      /expected \{size, levels/,
    ],
  ])("refuses %s", (_what, spoil, message) => {
    const p = longPayload();
    spoil(p);
    expect(() => decodePayload(p)).toThrow(message);
  });
});

describe("zoomMatrix", () => {
  const payload = decodePayload(longPayload());
  const base = siteMatrix(payload, normalizeSelection(payload, { head: 1 }));

  it("starts on the pooled overview with zoom info and token positions on the axes", () => {
    expect(base.zoom).toEqual({
      site: "encoder.self.0",
      sample: 0,
      head: 1,
      origin: [0, 0],
      bin: [4, 4],
      extent: [T, T],
      from: "overview",
    });
    // 200 cells of 4 tokens (an 800-token input): too small for token labels, the axes show positions.
    const wide = { ...base, values: new Float32Array(200 * 200), R: 200, C: 200 };
    const spec = heatmapSpec(wide);
    const x = (spec.layer as { encoding: { x: { axis: { labelExpr: string; title: string } } } }[])[0].encoding.x.axis;
    expect(x.labelExpr).toBe("format(datum.value * 4 + 0, 'd')");
    expect(x.title).toBe("source position (keys) · 4 tokens per cell");
    expect(compile(spec).warnings).toEqual([]);
  });

  it("draws a window from the exact tiles of the payload, across tile borders", async () => {
    const m = await zoomMatrix(payload, base, { rows: [5, 23], cols: [10, 37] });
    expect([m.R, m.C, m.zoom!.from, m.zoom!.bin]).toEqual([18, 27, "tiles", [1, 1]]);
    expect(m.rows.labels).toEqual(Array.from({ length: 18 }, (_, i) => (i + 5 === 7 ? "<b>x</b>" : `tok${i + 5}`)));
    expect(m.cols.positions[0]).toBe(10);
    for (let y = 0; y < 18; y++)
      for (let x = 0; x < 27; x++) {
        const want = at(1, 5 + y, 10 + x);
        // uint8 tiles: each tile has its own scale (its maximum), below 1.
        close(m.values[y * 27 + x], want, 1);
      }
    expect(m.note).toBe("exact weights (precomputed tiles)");
    // The token text stays data in the SVG (escaped), never markup.
    const svg = await toSvg(heatmapSpec(m));
    expect(svg).toContain("&lt;b&gt;x&lt;/b&gt;");
    expect(svg).not.toContain("<b>");
  });

  it("asks the host first, with the window in map positions, and shows its answer", async () => {
    const asked: TileRequest[] = [];
    const requestTile = async (r: TileRequest) => {
      asked.push(r);
      const data = new Float32Array((r.rows[1] - r.rows[0]) * (r.cols[1] - r.cols[0]));
      let i = 0;
      for (let t = r.rows[0]; t < r.rows[1]; t++)
        for (let s = r.cols[0]; s < r.cols[1]; s++) data[i++] = at(r.head, t, s);
      return { data };
    };
    const m = await zoomMatrix(payload, base, { rows: [0, 8], cols: [32, 40] }, requestTile);
    expect(asked).toEqual([{ site: "encoder.self.0", batch: 0, head: 1, rows: [0, 8], cols: [32, 40] }]);
    expect(m.zoom!.from).toBe("host");
    expect(m.values[3 * 8 + 5]).toBe(at(1, 3, 37));
  });

  it("falls back to the tiles when the host fails, and says so", async () => {
    const m = await zoomMatrix(payload, base, { rows: [0, 8], cols: [0, 8] }, async () => {
      throw new Error("kernel gone");
    });
    expect(m.zoom!.from).toBe("tiles");
    expect(m.note).toContain("the kernel did not answer: kernel gone");
    close(m.values[9], at(1, 1, 1), 1);
  });

  it("without tiles, crops the overview to the window's cells", async () => {
    const bare = longPayload();
    delete bare.tiles;
    const p = decodePayload(bare);
    const b = siteMatrix(p, normalizeSelection(p, { head: 0 }));
    const m = await zoomMatrix(p, b, { rows: [5, 23], cols: [10, 37] });
    expect([m.R, m.C, m.zoom!.origin, m.zoom!.from]).toEqual([5, 8, [4, 8], "overview"]);
    const want = pooled(0, 4);
    close(m.values[0], want[1 * 10 + 2], Math.max(...want));
    expect(m.rows.labels[0]).toBe("tok4 … <b>x</b>");
  });
});

describe("zoomMatrix on a window too large to send exactly", () => {
  it("asks the host for it pooled to about screen size, and labels its cells as token ranges", async () => {
    const n = 1100;
    const cells = Math.ceil(n / 5);
    const payload = decodePayload({
      v: 1,
      samples: 1,
      tokens: {
        source: { start: 0, text: [Array.from({ length: n }, (_, i) => `w${i}`)], special: [[]], padding: [[]] },
      },
      sites: [
        {
          id: "encoder.self.0",
          stack: "encoder",
          kind: "self",
          layer: 0,
          heads: 1,
          causal: false,
          rows: "source",
          cols: "source",
          dims: [1, 1, n, n],
          maps: withBin(block(new Float32Array(cells * cells).fill(1 / cells), [1, 1, cells, cells]), 5),
        },
      ],
    });
    const base = siteMatrix(payload, normalizeSelection(payload, {}));
    const asked: TileRequest[] = [];
    const m = await zoomMatrix(payload, base, { rows: [0, 1100], cols: [50, 1050] }, async (r) => {
      asked.push(r);
      return { data: new Float32Array(Math.ceil(1100 / r.bin!) * Math.ceil(1000 / r.bin!)).fill(0.5) };
    });
    expect(asked).toEqual([{ site: "encoder.self.0", batch: 0, head: 0, rows: [0, 1100], cols: [50, 1050], bin: 2 }]);
    expect([m.R, m.C, m.zoom!.bin, m.zoom!.origin, m.zoom!.from]).toEqual([550, 500, [2, 2], [0, 50], "host"]);
    expect(m.cols.labels[0]).toBe("w50 … w51");
    expect(m.note).toBe("2×2 tokens per cell from the kernel (zoom in for exact weights)");
  });
});
