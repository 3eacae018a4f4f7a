/**
 * Metric overview: layers × heads coloured by a per-head metric (viridis) or by pattern label
 * (Paul Tol's muted colours); the head open in the heatmap is outlined (`selLayer`/`selHead`) and a
 * click opens another. Tooltips (vega-tooltip, which escapes HTML) give the exact numbers.
 */
import { METRIC_TITLES, type MetricCell } from "../data/grid";
import type { MetricName } from "../data/selection";
import { PATTERN_COLORS, PATTERN_ORDER } from "./palette";
import { THEMES, type ThemeName, themeConfig, VL_SCHEMA, type VlSpec } from "./theme";

export interface MetricOverviewOptions {
  theme?: ThemeName;
  selected?: { layer: number; head: number };
  /** Cell size in px (default 22). */
  cell?: number;
}

export function metricOverviewSpec(
  cells: MetricCell[],
  metric: MetricName,
  options: MetricOverviewOptions = {},
): VlSpec {
  const theme = options.theme ?? "light";
  const c = THEMES[theme];
  const size = options.cell ?? 22;
  const heads = new Set(cells.map((d) => d.head)).size;
  const layers = new Set(cells.map((d) => d.layer)).size;
  const sel = options.selected ?? { layer: -1, head: -1 };
  const color =
    metric === "pattern"
      ? {
          field: "pattern",
          type: "nominal",
          scale: { domain: PATTERN_ORDER, range: PATTERN_ORDER.map((p) => PATTERN_COLORS[p]) },
          legend: { title: "pattern" },
        }
      : {
          field: "value",
          type: "quantitative",
          scale: { scheme: "viridis" },
          legend: { title: METRIC_TITLES[metric] },
        };
  return {
    $schema: VL_SCHEMA,
    title: { text: `per-head ${METRIC_TITLES[metric]}`, subtitle: "click a head to open it" },
    width: size * Math.max(1, heads),
    height: size * Math.max(1, layers),
    params: [
      { name: "selLayer", value: sel.layer },
      { name: "selHead", value: sel.head },
    ],
    name: "metric_cells",
    datasets: { metrics: cells as unknown as VlSpec[] },
    data: { name: "metrics" },
    mark: { type: "rect", cursor: "pointer", strokeWidth: 2 },
    encoding: {
      x: { field: "head", type: "ordinal", axis: { title: "head", labelAngle: 0 } },
      y: { field: "layer", type: "ordinal", axis: { title: "layer" } },
      color,
      stroke: {
        condition: { test: "datum.layer === selLayer && datum.head === selHead", value: c.focus },
        value: null,
      },
      tooltip: [
        { field: "layer", type: "ordinal" },
        { field: "head", type: "ordinal" },
        ...(metric === "pattern"
          ? []
          : [{ field: "value", type: "quantitative", title: METRIC_TITLES[metric], format: ".4f" }]),
        { field: "pattern", type: "nominal" },
        { field: "patternScore", type: "quantitative", title: "pattern score", format: ".2f" },
      ],
    },
    config: themeConfig(theme),
  };
}
