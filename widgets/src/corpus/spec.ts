/**
 * Vega-Lite specs of the corpus overview (pure functions of the rows in ./data):
 * the layers × heads grid coloured by a metric's mean with its spread as a square's size, one site's
 * heads as quantile glyphs (whiskers q05–q95, box q25–q75, median tick, mean dot), pattern
 * frequencies per head, and the heads in cluster order. Marks named `corpus_*` are clickable heads.
 */
import { PATTERN_COLORS, PATTERN_ORDER } from "../spec/palette";
import { THEMES, type ThemeName, themeConfig, VL_SCHEMA, type VlSpec } from "../spec/theme";
import type { ClusterLeaf, CorpusBox, CorpusCell, PatternShare } from "./data";
import { metricTitle } from "./data";

export interface CorpusSpecOptions {
  theme?: ThemeName;
  /** The head outlined: its site id and head. */
  selected?: { site: string; head: number };
  /** Cell size in px (default 24). */
  cell?: number;
  /** Title override. */
  title?: string;
  /** One input's values instead of corpus means: no spread squares, colour legend "value". */
  single?: boolean;
}

const isSelected = "datum.site === selSite && datum.head === selHead";

function selParams(options: CorpusSpecOptions): VlSpec[] {
  const sel = options.selected ?? { site: "", head: -1 };
  return [
    { name: "selSite", value: sel.site },
    { name: "selHead", value: sel.head },
  ];
}

/** Layers × heads: colour = mean over inputs, square size = interquartile range (the spread). */
export function corpusGridSpec(cells: CorpusCell[], metric: string, options: CorpusSpecOptions = {}): VlSpec {
  const theme = options.theme ?? "light";
  const c = THEMES[theme];
  const size = options.cell ?? 24;
  const heads = Math.max(1, ...cells.map((d) => d.head + 1));
  const rows = [...new Map(cells.map((d) => [d.row, d.site])).entries()].sort((a, b) => a[0] - b[0]);
  const maxIqr = Math.max(1e-12, ...cells.map((d) => d.iqr ?? 0));
  const y = { field: "site", type: "ordinal", sort: rows.map(([, id]) => id), axis: { title: null } };
  const x = { field: "head", type: "ordinal", axis: { title: "head", labelAngle: 0, orient: "top" } };
  const tooltip = [
    { field: "site", type: "nominal" },
    { field: "head", type: "ordinal" },
    { field: "mean", type: "quantitative", title: `${metricTitle(metric)}, mean over inputs`, format: ".4f" },
    { field: "std", type: "quantitative", title: "std", format: ".4f" },
    { field: "iqr", type: "quantitative", title: "IQR (q75 − q25)", format: ".4f" },
    { field: "n", type: "quantitative", title: "inputs" },
    { field: "cluster", type: "ordinal" },
  ];
  return {
    $schema: VL_SCHEMA,
    title: {
      text: options.title ?? `${metricTitle(metric)} per head: mean over inputs`,
      subtitle: options.single ? "click a head" : "square: spread (IQR); click a head",
    },
    width: size * heads,
    height: size * rows.length,
    params: selParams(options),
    datasets: { corpusCells: cells as unknown as VlSpec[] },
    data: { name: "corpusCells" },
    encoding: { x, y },
    layer: [
      {
        name: "corpus_grid",
        mark: { type: "rect", cursor: "pointer", strokeWidth: 2.5 },
        encoding: {
          color: {
            field: "mean",
            type: "quantitative",
            scale: { scheme: "viridis" },
            legend: { title: options.single ? "value" : "mean" },
          },
          stroke: { condition: { test: isSelected, value: c.focus }, value: null },
          tooltip,
        },
      },
      {
        name: "corpus_spread",
        mark: { type: "square", filled: false, stroke: c.background, strokeWidth: 1.2, cursor: "pointer" },
        encoding: {
          size: {
            field: "iqr",
            type: "quantitative",
            scale: { domain: [0, maxIqr], range: [0, (size - 6) ** 2] },
            legend: null,
          },
          tooltip,
        },
      },
    ],
    config: themeConfig(theme),
  };
}

/** One site's heads as quantile glyphs of a metric, with the mean and its 95 % interval. */
export function corpusBoxSpec(
  boxes: CorpusBox[],
  site: string,
  metric: string,
  options: CorpusSpecOptions = {},
): VlSpec {
  const theme = options.theme ?? "light";
  const c = THEMES[theme];
  const rows = boxes.map((b) => ({ ...b, site }));
  const x = { field: "head", type: "ordinal", axis: { title: "head", labelAngle: 0 } };
  const y = (field: string) => ({ field, type: "quantitative", title: metricTitle(metric), scale: { zero: false } });
  const tooltip = [
    { field: "head", type: "ordinal" },
    ...["q05", "q25", "q50", "q75", "q95", "mean", "std", "lo", "hi"].map((f) => ({
      field: f,
      type: "quantitative",
      title: f === "lo" ? "ci95 low" : f === "hi" ? "ci95 high" : f,
      format: ".4f",
    })),
    { field: "n", type: "quantitative", title: "inputs" },
  ];
  return {
    $schema: VL_SCHEMA,
    title: {
      text: `${site}: ${metricTitle(metric)} over the corpus`,
      subtitle: "whiskers q05–q95 · box q25–q75 · tick median · dot mean",
    },
    width: Math.max(120, 36 * boxes.length),
    height: 180,
    params: selParams(options),
    datasets: { corpusBoxes: rows as unknown as VlSpec[] },
    data: { name: "corpusBoxes" },
    encoding: { x },
    layer: [
      {
        name: "corpus_whisker",
        mark: { type: "rule", color: c.muted },
        encoding: { y: y("q05"), y2: { field: "q95" } },
      },
      {
        name: "corpus_box",
        mark: { type: "bar", size: 16, cursor: "pointer", strokeWidth: 2 },
        encoding: {
          y: y("q25"),
          y2: { field: "q75" },
          color: { value: "#5b8fd6" },
          stroke: { condition: { test: isSelected, value: c.focus }, value: null },
          tooltip,
        },
      },
      {
        name: "corpus_median",
        mark: { type: "tick", color: c.text, size: 16, thickness: 2 },
        encoding: { y: y("q50") },
      },
      {
        name: "corpus_mean",
        mark: { type: "point", filled: true, color: c.focus, size: 28 },
        encoding: { y: y("mean"), tooltip },
      },
    ],
    config: themeConfig(theme),
  };
}

/** Pattern labels per head as stacked shares of the site's inputs. */
export function patternBarsSpec(shares: PatternShare[], site: string, options: CorpusSpecOptions = {}): VlSpec {
  const theme = options.theme ?? "light";
  const heads = new Set(shares.map((s) => s.head)).size;
  return {
    $schema: VL_SCHEMA,
    title: { text: `${site}: pattern frequency per head`, subtitle: "share of inputs with each label" },
    width: Math.max(120, 36 * heads),
    height: 120,
    datasets: { corpusPatterns: shares.map((s) => ({ ...s, site })) as unknown as VlSpec[] },
    data: { name: "corpusPatterns" },
    mark: { type: "bar", cursor: "pointer" },
    name: "corpus_patterns",
    encoding: {
      x: { field: "head", type: "ordinal", axis: { title: "head", labelAngle: 0 } },
      y: { field: "share", type: "quantitative", stack: "zero", title: "share", scale: { domain: [0, 1] } },
      color: {
        field: "pattern",
        type: "nominal",
        scale: { domain: PATTERN_ORDER, range: PATTERN_ORDER.map((p) => PATTERN_COLORS[p]) },
        legend: { title: "pattern" },
      },
      tooltip: [
        { field: "head", type: "ordinal" },
        { field: "pattern", type: "nominal" },
        { field: "count", type: "quantitative", title: "inputs" },
        { field: "share", type: "quantitative", format: ".1%" },
      ],
    },
    config: themeConfig(theme),
  };
}

/** Every head in dendrogram order, coloured by its cluster: similar heads sit side by side. */
export function clusterStripSpec(leaves: ClusterLeaf[], method: string, options: CorpusSpecOptions = {}): VlSpec {
  const theme = options.theme ?? "light";
  const c = THEMES[theme];
  const w = Math.max(6, Math.min(16, Math.floor(720 / Math.max(1, leaves.length))));
  return {
    $schema: VL_SCHEMA,
    title: { text: "heads clustered over the corpus", subtitle: method },
    width: w * leaves.length,
    height: 20,
    params: selParams(options),
    datasets: { corpusLeaves: leaves as unknown as VlSpec[] },
    data: { name: "corpusLeaves" },
    mark: { type: "rect", cursor: "pointer", strokeWidth: 2 },
    name: "corpus_clusters",
    encoding: {
      x: { field: "position", type: "ordinal", axis: null },
      color: { field: "cluster", type: "nominal", scale: { scheme: "tableau10" }, legend: { title: "cluster" } },
      stroke: { condition: { test: isSelected, value: c.focus }, value: null },
      tooltip: [
        { field: "label", type: "nominal", title: "head" },
        { field: "cluster", type: "nominal" },
      ],
    },
    config: themeConfig(theme),
  };
}
