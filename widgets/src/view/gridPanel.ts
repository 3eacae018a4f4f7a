/**
 * The head grid and the metric overview, both layers × heads: hovering a grid cell previews that
 * head in the heatmap, clicking a cell of either opens it. The open head is outlined through the
 * `selLayer`/`selHead` signals, without re-embedding. New data whose spec differs only in its
 * datasets (a new payload of the same shape) is swapped into the embedded view.
 */
import type { GridData, MetricCell } from "../data/grid";
import type { MetricName } from "../data/selection";
import { headGridSpec } from "../spec/headGrid";
import { metricOverviewSpec } from "../spec/metricOverview";
import type { ThemeName } from "../spec/theme";
import { el } from "./dom";
import type { VegaView } from "./embed";
import { swapData } from "./swapData";
import { createVegaHost } from "./vegaHost";

export interface HeadRef {
  layer: number;
  head: number;
}

export interface LayerHeadPanel<T> {
  root: HTMLElement;
  /** `data` is computed only when `key` differs from the view shown. */
  show(data: () => T, selected: HeadRef, key: string): Promise<void>;
  /** Forgets the key shown: the next `show` computes its data again (the payload changed). */
  invalidate(): void;
  dispose(): void;
}

function headOf(item: unknown): HeadRef | null {
  const d = (item as { datum?: { layer?: unknown; head?: unknown } } | null)?.datum;
  return d && typeof d.layer === "number" && typeof d.head === "number" ? { layer: d.layer, head: d.head } : null;
}

/** Puts each dataset into the view; false (embed anew) when the view lacks one of them. */
function swapDatasets(view: VegaView, datasets: unknown): boolean {
  if (!datasets || typeof datasets !== "object") return false;
  try {
    for (const [name, rows] of Object.entries(datasets)) swapData(view, name, rows as object[]);
    return true;
  } catch {
    return false;
  }
}

function layerHeadPanel<T>(
  className: string,
  theme: ThemeName,
  build: (data: T, selected: HeadRef) => Record<string, unknown> | null,
  events: { open(h: HeadRef): void; preview?(h: HeadRef | null): void },
): LayerHeadPanel<T> {
  const root = el("div", `attnlens-panel ${className}`);
  const host = createVegaHost(root, theme);
  let shown = "";
  /** The embedded spec less its datasets and selection: equal layouts take new data in place. */
  let layout = "";
  /** Embeds under way: data swapped into the current view meanwhile would be overtaken by them. */
  let embedding = 0;
  return {
    root,
    async show(data, selected, key) {
      const view = host.current()?.view;
      if (view && key === shown) {
        await view.signal("selLayer", selected.layer).signal("selHead", selected.head).runAsync();
        return;
      }
      shown = key;
      const spec = build(data(), selected);
      if (!spec) {
        host.clear();
        layout = "";
        return;
      }
      const { datasets, params: _params, ...rest } = spec;
      const next = JSON.stringify(rest);
      if (view && embedding === 0 && next === layout && swapDatasets(view, datasets)) {
        await view.signal("selLayer", selected.layer).signal("selHead", selected.head).runAsync();
        return;
      }
      layout = next;
      embedding++;
      const embedded = await host.embed(spec).finally(() => embedding--);
      if (!embedded) return;
      embedded.view.addEventListener("click", (_e, item) => {
        const h = headOf(item);
        if (h) events.open(h);
      });
      if (events.preview) {
        const preview = events.preview;
        embedded.view.addEventListener("pointerover", (_e, item) => preview(headOf(item)));
        embedded.view.addEventListener("pointerout", () => preview(null));
      }
    },
    invalidate() {
      shown = "";
    },
    dispose: () => host.dispose(),
  };
}

export function createGridPanel(
  theme: ThemeName,
  events: { open(h: HeadRef): void; preview(h: HeadRef | null): void },
): LayerHeadPanel<GridData> {
  return layerHeadPanel(
    "attnlens-grid",
    theme,
    (grid, selected) => (grid.cells.length > 0 ? headGridSpec(grid, { theme, selected }) : null),
    events,
  );
}

export function createMetricPanel(
  theme: ThemeName,
  events: { open(h: HeadRef): void },
): LayerHeadPanel<{ cells: MetricCell[]; metric: MetricName }> {
  return layerHeadPanel(
    "attnlens-metrics",
    theme,
    ({ cells, metric }, selected) => (cells.length > 0 ? metricOverviewSpec(cells, metric, { theme, selected }) : null),
    events,
  );
}
