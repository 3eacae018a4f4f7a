/**
 * The default view as one static picture: head grid and heatmap side by side, the metric overview
 * below when the payload has metrics. Pure data in, one Vega-Lite spec out, so Node can render the
 * notebook's SVG/PNG fallback with vega from the same specs the browser uses.
 */
import { gridData, metricCells } from "../data/grid";
import { siteMatrix } from "../data/matrix";
import { normalizeSelection, type Selection } from "../data/selection";
import type { AttentionPayload } from "../payload/types";
import { concatSpecs } from "./compose";
import { headGridSpec } from "./headGrid";
import { heatmapSpec } from "./heatmap";
import { metricOverviewSpec } from "./metricOverview";
import type { ThemeName, VlSpec } from "./theme";

export interface StaticOptions {
  theme?: ThemeName;
  /** What to show (default: the first site with maps, head 0, sample 0). */
  selection?: Partial<Selection>;
}

export function staticSpec(payload: AttentionPayload, options: StaticOptions = {}): VlSpec {
  const theme = options.theme ?? "light";
  const sel = normalizeSelection(payload, options.selection ?? {});
  const selected = { layer: sel.layer, head: typeof sel.head === "number" ? sel.head : -1 };
  const heat = heatmapSpec(siteMatrix(payload, sel), { theme });
  const grid = gridData(payload, sel.type, sel.sample);
  const top =
    grid.cells.length > 0 ? { hconcat: [headGridSpec(grid, { theme, selected }), heat] } : { hconcat: [heat] };
  const cells = metricCells(payload, sel.type, sel.metric);
  const layout =
    cells.length > 0 ? { vconcat: [top, metricOverviewSpec(cells, sel.metric, { theme, selected })] } : top;
  return concatSpecs(layout, theme, payload.title);
}
