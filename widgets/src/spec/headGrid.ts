/**
 * Head grid: layers (rows) × heads (columns) of thumbnails. Signals `selLayer`/`selHead` outline the
 * head shown in the heatmap; the view listens for hover (preview) and click (open) on the cells.
 */
import type { GridData } from "../data/grid";
import { TYPE_NAMES } from "../data/selection";
import { THEMES, type ThemeName, themeConfig, VL_SCHEMA, type VlSpec } from "./theme";

export interface HeadGridOptions {
  theme?: ThemeName;
  selected?: { layer: number; head: number };
  /** Grid width budget in px (default 560); thumbnails are 24–72 px. */
  maxWidth?: number;
}

export function thumbSize(heads: number, layers: number, maxWidth = 560): number {
  return Math.max(24, Math.min(72, Math.floor(maxWidth / Math.max(heads, layers * 0.75, 1))));
}

export function headGridSpec(grid: GridData, options: HeadGridOptions = {}): VlSpec {
  const theme = options.theme ?? "light";
  const c = THEMES[theme];
  const size = thumbSize(grid.heads, grid.layers.length, options.maxWidth);
  const thumb = size - 4;
  const sel = options.selected ?? { layer: -1, head: -1 };
  const isSelected = "datum.layer === selLayer && datum.head === selHead";
  const axis = (title: string) => ({ title, domain: false, ticks: false, labelPadding: 4 });
  const x = { field: "head", type: "ordinal", axis: { ...axis("head"), orient: "top", labelAngle: 0 } };
  const y = { field: "layer", type: "ordinal", axis: axis("layer"), sort: "ascending" };
  return {
    $schema: VL_SCHEMA,
    title: {
      text: `${TYPE_NAMES[grid.type]}: layers × heads`,
      subtitle: `${grid.pooled ? "pooled overviews; " : ""}hover to preview, click to open`,
    },
    width: size * grid.heads,
    height: size * grid.layers.length,
    params: [
      { name: "selLayer", value: sel.layer },
      { name: "selHead", value: sel.head },
    ],
    datasets: { thumbs: grid.cells.map(({ layer, head, url }) => ({ layer, head, url })) },
    encoding: {
      x: { ...x, scale: { paddingInner: 0, paddingOuter: 0 } },
      y: { ...y, scale: { paddingInner: 0, paddingOuter: 0 } },
    },
    layer: [
      {
        name: "grid_thumbs",
        data: { name: "thumbs" },
        mark: {
          type: "image",
          width: thumb,
          height: thumb,
          aspect: false,
          align: "center",
          baseline: "middle",
          // Crisp cells when enlarging, smoothing only when shrinking a large map.
          smooth: grid.resolution > thumb,
          aria: false,
        },
        encoding: { url: { field: "url", type: "nominal" } },
      },
      {
        name: "grid_cells",
        // Data named per layer: inherited named data gets mixed up with other views' data in a concat.
        data: { name: "thumbs" },
        params: [
          {
            name: "hover",
            select: { type: "point", on: "pointerover", clear: "pointerout", fields: ["layer", "head"] },
          },
        ],
        mark: { type: "rect", fill: "transparent", cursor: "pointer", strokeWidth: 2.5 },
        encoding: {
          stroke: {
            condition: [
              { test: isSelected, value: c.focus },
              { param: "hover", empty: false, value: c.muted },
            ],
            value: null,
          },
        },
      },
    ],
    config: themeConfig(theme),
  };
}
