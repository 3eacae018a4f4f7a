/**
 * The static fallback: the widgets' own Vega-Lite spec builders for the chosen view, rendered to
 * SVG in Node by vega (heatmaps are one raster <image> inside it, never a rect per cell). vega and
 * vega-lite are ESM-only with top-level await, so they are loaded with a real dynamic import()
 * (kept in the CommonJS output by `module: node16`); @attnlens/widgets is CommonJS and is required
 * lazily, so kernel-lib loads without either until a picture is asked for.
 */
import type { AttentionPayload, Selection, VlSpec } from "@attnlens/widgets";
import type { DisplayView } from "./types";

type Widgets = typeof import("@attnlens/widgets");

export interface StaticSelection {
  view?: DisplayView;
  site?: string;
  head?: number | "mean" | "max";
  sample?: number;
}

let widgetsModule: Widgets | undefined;
function widgets(): Widgets {
  widgetsModule ??= require("@attnlens/widgets") as Widgets;
  return widgetsModule;
}

/** The widgets' selection for a site id ("decoder.cross.1"), head and sample. */
function selection(w: Widgets, payload: AttentionPayload, s: StaticSelection): Selection {
  const site = s.site ? payload.sites.find((x) => x.id === s.site) : undefined;
  return w.normalizeSelection(payload, {
    ...(site ? { type: w.typeOf(site), layer: site.layer } : {}),
    ...(s.head !== undefined ? { head: s.head } : {}),
    ...(s.sample !== undefined ? { sample: s.sample } : {}),
  });
}

/** The widgets' tab for each view: the head grid and metric overview sit beside every tab. */
const WIDGET_TAB: Record<DisplayView, "heatmap" | "lines" | "rollout" | "patches"> = {
  patches: "patches",
  heatmap: "heatmap",
  headGrid: "heatmap",
  metrics: "heatmap",
  lines: "lines",
  flow: "rollout",
};

/**
 * The options hosts pass to `widgets.render` for this view (RenderOptions less the theme): the
 * display bundle carries them as the MIME type's metadata, the report as its render options.
 */
export function renderOptions(payload: AttentionPayload, s: StaticSelection): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.view) out.view = WIDGET_TAB[s.view];
  if (s.site === undefined && s.head === undefined && s.sample === undefined) return out;
  const w = widgets();
  const sel = selection(w, payload, s);
  out.selection = { type: sel.type, layer: sel.layer, head: sel.head, sample: sel.sample };
  return out;
}

/**
 * The Vega-Lite spec of a view's static picture (the composite overview when no view is named).
 * A single view is framed with the payload's title and the sample it shows, as the overview is.
 */
export function staticViewSpec(payload: AttentionPayload, s: StaticSelection): VlSpec {
  const w = widgets();
  const sel = selection(w, payload, s);
  const view = singleViewSpec(w, payload, s.view, sel);
  if (!view) return w.staticSpec(payload, { theme: "light", selection: sel });
  const sample = payload.samples > 1 ? `sample ${sel.sample}` : "";
  const title = [payload.title, sample].filter(Boolean).join(" · ");
  return title ? w.concatSpecs(view, "light", title) : view;
}

function singleViewSpec(
  w: Widgets,
  payload: AttentionPayload,
  view: DisplayView | undefined,
  sel: Selection,
): VlSpec | null {
  const theme = "light";
  const selected = { layer: sel.layer, head: typeof sel.head === "number" ? sel.head : -1 };
  switch (view) {
    case "heatmap":
      return w.heatmapSpec(w.siteMatrix(payload, sel), { theme });
    case "headGrid": {
      const grid = w.gridData(payload, sel.type, sel.sample);
      if (grid.cells.length > 0) return w.headGridSpec(grid, { theme, selected });
      break;
    }
    case "metrics": {
      const cells = w.metricCells(payload, sel.type, sel.metric);
      if (cells.length > 0) return w.metricOverviewSpec(cells, sel.metric, { theme, selected });
      break;
    }
    case "lines":
      return w.linesSpec(w.siteMatrix(payload, sel), { theme });
    case "patches":
      return w.patchOverlaySpec(payload, { theme, sample: sel.sample });
    case "flow": {
      const probe = payload.probes?.flow ?? payload.probes?.rollout;
      if (probe) return w.heatmapSpec(w.probeMatrix(probe, payload, sel.sample, "self"), { theme });
      break;
    }
  }
  return null;
}

/** SVG text of the view's static picture. */
export async function staticSvg(payload: AttentionPayload, s: StaticSelection): Promise<string> {
  return specSvg(staticViewSpec(payload, s));
}

/** SVG text of a Vega-Lite spec, rendered headless by vega. */
export async function specSvg(spec: VlSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import("vega"), import("vega-lite")]);
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
