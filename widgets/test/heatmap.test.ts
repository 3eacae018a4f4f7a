import { describe, expect, it } from "vitest";
import { siteMatrix } from "../src/data/matrix";
import { defaultSelection } from "../src/data/selection";
import { heatmapSpec, LABEL_MIN_PX, labelDatasets, rasterData } from "../src/spec/heatmap";
import type { VlSpec } from "../src/spec/theme";
import { makePayload, TOKENS } from "./makePayload";
import { compile, layers, toSvg } from "./specHelpers";

const payload = makePayload();
const m = siteMatrix(payload, defaultSelection(payload));

describe("heatmapSpec", () => {
  it("draws the cells as one image and the tokens as label data", () => {
    const spec = heatmapSpec(m);
    const l = layers(spec);
    expect(Object.keys(l)).toEqual(["heat_cells", "heat_colorbar", "heat_focus", "heat_xlabels", "heat_ylabels"]);
    expect((l.heat_cells.mark as VlSpec).type).toBe("image");
    const data = spec.datasets as Record<string, VlSpec[]>;
    expect(data.raster).toHaveLength(1);
    expect(String(data.raster[0].url)).toMatch(/^data:image\/png;base64,/);
    expect(data.xlabels.map((d) => d.text)).toEqual(TOKENS);
    expect(data.ylabels.map((d) => d.p)).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
    expect(data.colorbar).toEqual([{ v: 0 }, { v: m.max }]);
  });

  it("has the label datasets that labelDatasets gives the panels for swapping, none when cells are too small", () => {
    const w = { rows: [0, m.R] as [number, number], cols: [0, m.C] as [number, number] };
    const data = heatmapSpec(m).datasets as Record<string, VlSpec[]>;
    expect(labelDatasets(m, w)).toEqual({ xlabels: data.xlabels, ylabels: data.ylabels });
    // 200 tokens in 560 px: 2.8 px a cell, below LABEL_MIN_PX; a zoomed window of 10 has labels.
    const labels = Array(200).fill("t");
    const big = { ...m, R: 200, C: 200, rows: { ...m.rows, labels }, cols: { ...m.cols, labels } };
    const full = { rows: [0, 200] as [number, number], cols: [0, 200] as [number, number] };
    expect(labelDatasets(big, full)).toEqual({});
    expect(Object.keys(heatmapSpec(big).datasets as object)).not.toContain("xlabels");
    const zoom = { rows: [10, 30] as [number, number], cols: [50, 60] as [number, number] };
    expect(labelDatasets(big, zoom).xlabels?.map((d) => d.i)).toEqual([50, 51, 52, 53, 54, 55, 56, 57, 58, 59]);
  });

  it("uses viridis from 0 to the map maximum, x = sources, y = targets (top to bottom)", () => {
    const spec = heatmapSpec(m);
    const enc = layers(spec).heat_cells.encoding as Record<string, VlSpec>;
    expect((enc.x.scale as VlSpec).domain).toEqual([0, 6]);
    expect((enc.y.scale as VlSpec).reverse).toBe(true);
    const color = (layers(spec).heat_colorbar.encoding as Record<string, VlSpec>).color;
    expect((color.scale as VlSpec).scheme).toBe("viridis");
  });

  it("keeps tokens out of expressions (they are data only)", () => {
    const text = JSON.stringify({ ...heatmapSpec(m), datasets: {} });
    for (const t of TOKENS) expect(text).not.toContain(t);
  });

  it("shows position axes instead of labels when cells are too small, and crops a window", () => {
    const big = {
      ...m,
      R: 200,
      C: 200,
      values: new Float32Array(200 * 200),
      rows: { ...m.rows, labels: Array(200).fill("t") },
      cols: { ...m.cols, labels: Array(200).fill("t") },
    };
    const spec = heatmapSpec(big);
    expect(Object.keys(layers(spec))).not.toContain("heat_xlabels");
    expect(560 / 200).toBeLessThan(LABEL_MIN_PX);
    const zoomed = heatmapSpec(big, { window: { rows: [10, 30], cols: [50, 60] }, interactive: true });
    expect(Object.keys(layers(zoomed))).toContain("heat_xlabels");
    const raster = (zoomed.datasets as Record<string, VlSpec[]>).raster[0];
    expect([raster.x0, raster.x1, raster.y0, raster.y1]).toEqual([50, 60, 10, 30]);
    expect((zoomed.datasets as Record<string, VlSpec[]>).xlabels).toHaveLength(10);
    expect(layers(zoomed).heat_cells.params).toHaveLength(1);
  });

  it("compiles without warnings and renders in Node with escaped token text", async () => {
    for (const theme of ["light", "dark"] as const)
      expect(compile(heatmapSpec(m, { theme, interactive: true })).warnings).toEqual([]);
    const svg = await toSvg(heatmapSpec(m));
    expect(svg).toContain("<image");
    expect(svg).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(svg).not.toContain("<img");
  });
});

describe("rasterData", () => {
  it("max-pools maps larger than the plot and covers whole blocks", () => {
    const n = 1001;
    const big = { ...m, R: n, C: n, values: new Float32Array(n * n), max: 1 };
    const [row] = rasterData(big, { rows: [0, n], cols: [0, n] }, 1);
    expect([row.x0, row.x1, row.y0, row.y1]).toEqual([0, 1002, 0, 1002]);
    const png = Buffer.from(String(row.url).split(",")[1], "base64");
    expect(png.readUInt32BE(16)).toBe(501);
  });
});
