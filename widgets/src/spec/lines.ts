/**
 * Lines view (in the style of bertviz's head_view): target tokens on the left, source tokens on the
 * right, one line per pair with opacity ∝ weight. Meant for short inputs (≤ LINES_MAX_TOKENS).
 * Hovering a token (signals `focusRow` / `focusCol`) keeps only its lines. Token tooltips go
 * through vega-tooltip, which escapes HTML.
 */
import type { MatrixView } from "../data/matrix";
import { THEMES, type ThemeName, themeConfig, VL_SCHEMA, type VlSpec } from "./theme";

export const LINES_MAX_TOKENS = 64;
/** Lines under this share of the map's maximum are left out. */
export const LINES_MIN_SHARE = 0.01;

export interface LinesOptions {
  theme?: ThemeName;
}

const ROW_PX = 18;
const LEFT = 120;
const RIGHT = 300;

function tokenLayer(side: "target" | "source", y: VlSpec, text: string, focus: string): VlSpec {
  const signal = side === "target" ? "focusRow" : "focusCol";
  return {
    name: `lines_${side}tokens`,
    data: { name: "tokens" },
    transform: [{ filter: `datum.side === '${side}'` }],
    mark: {
      type: "text",
      fontSize: 12,
      limit: LEFT - 8,
      baseline: "middle",
      cursor: "pointer",
      align: side === "target" ? "right" : "left",
    },
    encoding: {
      x: { value: side === "target" ? LEFT : RIGHT },
      y: { field: "i", ...y },
      text: { field: "text" },
      color: { condition: { test: `datum.i === ${signal}`, value: focus }, value: text },
      tooltip: { field: "text", type: "nominal", title: "token" },
    },
  };
}

export function linesSpec(m: MatrixView, options: LinesOptions = {}): VlSpec {
  const theme = options.theme ?? "light";
  const c = THEMES[theme];
  const n = Math.max(m.R, m.C, 1);
  const edges: VlSpec[] = [];
  for (let t = 0; t < m.R; t++) {
    for (let s = 0; s < m.C; s++) {
      const w = m.values[t * m.C + s];
      if (w >= LINES_MIN_SHARE * m.max && w > 0) edges.push({ t, s, w });
    }
  }
  const tokens: VlSpec[] = [
    ...m.rows.labels.map((text, i) => ({ side: "target", i, text })),
    ...m.cols.labels.map((text, i) => ({ side: "source", i, text })),
  ];
  const y = {
    type: "quantitative",
    scale: { domain: [-0.5, n - 0.5], reverse: true, nice: false, zero: false },
    axis: null,
  };
  const lineColor = theme === "dark" ? "#66CCEE" : "#4477AA";
  const focused = "(focusRow < 0 && focusCol < 0) || datum.t === focusRow || datum.s === focusCol";
  return {
    $schema: VL_SCHEMA,
    title: { text: m.title, subtitle: "left: target tokens (queries) · right: source tokens (keys) · hover a token" },
    width: RIGHT + LEFT,
    height: n * ROW_PX,
    params: [
      { name: "focusRow", value: -1 },
      { name: "focusCol", value: -1 },
    ],
    datasets: { edges, tokens },
    layer: [
      {
        name: "lines_links",
        data: { name: "edges" },
        mark: { type: "rule", strokeWidth: 2 },
        encoding: {
          x: { value: LEFT + 6 },
          x2: { value: RIGHT - 6 },
          y: { field: "t", ...y },
          y2: { field: "s" },
          color: { value: lineColor },
          opacity: {
            condition: { test: `!(${focused})`, value: 0 },
            field: "w",
            type: "quantitative",
            scale: { domain: [0, m.max || 1], range: [0, 0.9] },
            legend: null,
          },
        },
      },
      tokenLayer("target", y, c.text, c.focus),
      tokenLayer("source", y, c.text, c.focus),
    ],
    config: { ...themeConfig(theme), view: { stroke: null } },
  };
}
