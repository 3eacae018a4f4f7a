/**
 * Heatmap of one map: x = source tokens (keys), y = target tokens (queries), viridis with a colour
 * bar. The cells are one raster image (a PNG data URL in a Vega `image` mark), never one rect per
 * cell, so 1,024 × 1,024 maps stay cheap. Token labels are text marks fed from data (never from
 * expressions); they are shown when each cell gets ≥ 7 px, else the axes show positions.
 * Signals for the interactive views: `focusRow`/`focusCol` (highlighted row/column, −1 = none) and,
 * when `interactive`, the `brush` interval used to zoom.
 */
import type { MatrixView } from "../data/matrix";
import { type CellWindow, rasterUrl } from "./raster";
import { THEMES, type ThemeName, themeConfig, VL_SCHEMA, type VlSpec } from "./theme";

export interface HeatmapOptions {
  theme?: ThemeName;
  /** Cells to show (a zoomed token range), in matrix indices [start, end). */
  window?: CellWindow;
  /** Largest plot side in px (default 560). */
  maxSize?: number;
  /** Adds the brush used to zoom. */
  interactive?: boolean;
  /** Colour bar maximum (default: the matrix max), so zooming keeps colours. */
  colorMax?: number;
}

/** Minimum px per cell for token labels. */
export const LABEL_MIN_PX = 7;

/** Square cells: 18 px, smaller to fit `maxSize`, larger so that the longer side is ≥ 160 px. */
export function cellSize(nx: number, ny: number, maxSize = 560): number {
  const n = Math.max(1, nx, ny);
  const cell = Math.min(18, maxSize / n);
  return n * cell < 160 ? 160 / n : cell;
}

export function fullWindow(m: MatrixView): CellWindow {
  return { rows: [0, m.R], cols: [0, m.C] };
}

/** The plot size in px of a window: square cells. */
export function plotSize(window: CellWindow, maxSize?: number): { width: number; height: number; cell: number } {
  const nx = window.cols[1] - window.cols[0];
  const ny = window.rows[1] - window.rows[0];
  const cell = cellSize(nx, ny, maxSize);
  return { width: Math.round(nx * cell), height: Math.round(ny * cell), cell };
}

/**
 * The `raster` dataset: one row, the image and the cell range it covers. Below one px per cell the
 * image max-pools blocks of cells (see rasterUrl); it then covers whole blocks, clipped to the plot.
 */
export function rasterData(m: MatrixView, window: CellWindow, max: number, maxSize?: number): VlSpec[] {
  const { cell } = plotSize(window, maxSize);
  const f = Math.max(1, Math.round(1 / cell));
  const url = rasterUrl(m.values, m.R, m.C, max, window, [f, f]);
  const span = ([a, b]: [number, number]) => a + Math.ceil((b - a) / f) * f;
  return [{ url, x0: window.cols[0], x1: span(window.cols), y0: window.rows[0], y1: span(window.rows) }];
}

function labelData(labels: string[], range: [number, number]): VlSpec[] {
  const out: VlSpec[] = [];
  for (let i = range[0]; i < range[1]; i++) out.push({ i, p: i + 0.5, text: labels[i] });
  return out;
}

/** The token-label datasets of a window, or none when its cells are too small for labels. */
export function labelDatasets(m: MatrixView, window: CellWindow, maxSize?: number): Record<string, VlSpec[]> {
  if (plotSize(window, maxSize).cell < LABEL_MIN_PX) return {};
  return { xlabels: labelData(m.cols.labels, window.cols), ylabels: labelData(m.rows.labels, window.rows) };
}

function labelLayer(axis: "x" | "y", theme: ThemeName, fontSize: number): VlSpec {
  const c = THEMES[theme];
  const focus = axis === "x" ? "focusCol" : "focusRow";
  // "height" (not an expression) so Vega-Lite refers to this view's height inside a concat too.
  const pos = axis === "x" ? { y: { value: "height" } } : { x: { value: 0 } };
  return {
    name: `heat_${axis}labels`,
    data: { name: `${axis}labels` },
    mark: {
      type: "text",
      fontSize,
      limit: axis === "x" ? 90 : 110,
      align: "right",
      baseline: "middle",
      angle: axis === "x" ? 270 : 0,
      ...(axis === "x" ? { yOffset: 4 } : { xOffset: -4 }),
      cursor: "pointer",
    },
    encoding: {
      [axis]: { field: "p", type: "quantitative" },
      ...pos,
      text: { field: "text" },
      // A tooltip shows labels cut by `limit` in full, and makes the labels interactive (hover/click).
      tooltip: { field: "text", type: "nominal", title: axis === "x" ? "source token" : "target token" },
      color: { condition: { test: `datum.i === ${focus}`, value: c.focus }, value: c.text },
    },
  };
}

function focusLayer(theme: ThemeName, w: CellWindow): VlSpec {
  const [c0, c1] = w.cols;
  const [r0, r1] = w.rows;
  return {
    name: "heat_focus",
    data: { values: [{ kind: "row" }, { kind: "col" }] },
    transform: [
      { filter: "datum.kind === 'row' ? focusRow >= 0 : focusCol >= 0" },
      { calculate: `datum.kind === 'row' ? ${c0} : focusCol`, as: "a0" },
      { calculate: `datum.kind === 'row' ? ${c1} : focusCol + 1`, as: "a1" },
      { calculate: `datum.kind === 'row' ? focusRow : ${r0}`, as: "b0" },
      { calculate: `datum.kind === 'row' ? focusRow + 1 : ${r1}`, as: "b1" },
    ],
    mark: { type: "rect", fill: null, stroke: THEMES[theme].focus, strokeWidth: 1.5, clip: true },
    encoding: {
      x: { field: "a0", type: "quantitative" },
      x2: { field: "a1" },
      y: { field: "b0", type: "quantitative" },
      y2: { field: "b1" },
    },
  };
}

export function heatmapSpec(m: MatrixView, options: HeatmapOptions = {}): VlSpec {
  const theme = options.theme ?? "light";
  const w = options.window ?? fullWindow(m);
  const { width, height, cell } = plotSize(w, options.maxSize);
  const max = options.colorMax ?? m.max;
  const labels = cell >= LABEL_MIN_PX;
  const fontSize = Math.max(7, Math.min(11, Math.floor(cell) - 1));
  const positionAxis = (title: string, axis: MatrixView["rows"]) => {
    // A zoomable map (long input) is drawn in cells of `bin` tokens: the axis then shows token
    // positions. Only numbers go into the expression (coerced and checked, never payload text).
    const bin = Number(axis.bin);
    const first = Number(axis.positions[0]);
    const linear = m.zoom && Number.isInteger(bin) && bin >= 1 && Number.isInteger(first);
    if (!linear) return { title, tickMinStep: 1, format: "d", grid: false };
    const p0 = first - (axis === m.rows ? w.rows[0] : w.cols[0]) * bin;
    return {
      title: bin > 1 ? `${title} · ${bin} tokens per cell` : title,
      tickMinStep: 1,
      grid: false,
      labelExpr: `format(datum.value * ${bin} + ${p0}, 'd')`,
    };
  };
  const image: VlSpec = {
    name: "heat_cells",
    data: { name: "raster" },
    mark: { type: "image", aspect: false, smooth: false, clip: true, aria: false },
    encoding: {
      x: {
        field: "x0",
        type: "quantitative",
        scale: { domain: w.cols, nice: false, zero: false },
        axis: labels ? null : positionAxis("source position (keys)", m.cols),
      },
      x2: { field: "x1" },
      y: {
        field: "y0",
        type: "quantitative",
        scale: { domain: w.rows, nice: false, zero: false, reverse: true },
        axis: labels ? null : positionAxis("target position (queries)", m.rows),
      },
      y2: { field: "y1" },
      url: { field: "url", type: "nominal" },
    },
  };
  if (options.interactive) {
    image.params = [{ name: "brush", select: { type: "interval", encodings: ["x", "y"], clear: "dblclick" } }];
  }
  const legend: VlSpec = {
    name: "heat_colorbar",
    data: { name: "colorbar" },
    mark: { type: "point", opacity: 0 },
    encoding: {
      color: {
        field: "v",
        type: "quantitative",
        // Domain from the data ([0, max]) so the views can swap maps without re-embedding.
        scale: { scheme: "viridis", zero: true, nice: false },
        legend: { title: m.measure, gradientLength: Math.max(60, Math.min(200, height)), format: ".3~f" },
      },
    },
  };
  const layer = [image, legend, focusLayer(theme, w)];
  const datasets: VlSpec = { raster: rasterData(m, w, max, options.maxSize), colorbar: [{ v: 0 }, { v: max }] };
  if (labels) {
    layer.push(labelLayer("x", theme, fontSize), labelLayer("y", theme, fontSize));
    Object.assign(datasets, labelDatasets(m, w, options.maxSize));
  }
  return {
    $schema: VL_SCHEMA,
    title: { text: m.title, subtitle: m.note ?? "rows: target tokens (queries) · columns: source tokens (keys)" },
    width,
    height,
    params: [
      { name: "focusRow", value: -1 },
      { name: "focusCol", value: -1 },
    ],
    datasets,
    layer,
    config: themeConfig(theme),
  };
}
