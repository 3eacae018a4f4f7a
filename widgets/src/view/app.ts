/**
 * The interactive view: one state (selection, view tab, hover preview), panels that redraw from it.
 * Layout: toolbar on top; head grid and metric overview on the left; heatmap, lines or rollout on
 * the right. Everything shown comes from the payload; user choices are announced on the host
 * ("attnlens:select") for hosts bound to a kernel. `update` swaps in a new payload in place (a live
 * widget's kernel answer): the selection and tab are kept where still valid, the Vega views take the
 * new data without re-embedding when its shape allows.
 */
import { gridData, metricCells } from "../data/grid";
import { siteMatrix } from "../data/matrix";
import { normalizeSelection, type Selection, siteFor } from "../data/selection";
import { type RequestTile, zoomMatrix } from "../data/zoom";
import type { AttentionPayload } from "../payload/types";
import type { ThemeName } from "../spec/theme";
import { createControls, type ViewName } from "./controls";
import { el } from "./dom";
import { createGridPanel, createMetricPanel, type HeadRef } from "./gridPanel";
import { createHeatmapPanel } from "./heatmapPanel";
import { createLinesPanel } from "./linesPanel";
import { createProbePanel } from "./probePanel";
import { widgetCss } from "./styles";
import { createTooltip } from "./tooltip";

export interface AppOptions {
  theme: ThemeName;
  view?: ViewName;
  selection?: Partial<Selection>;
  /** Exact tiles of a long input's maps from the host (a live widget's kernel), as the user zooms. */
  requestTile?: RequestTile;
}

export interface App {
  root: HTMLElement;
  /** Resolves when the first render has finished. */
  ready: Promise<void>;
  /**
   * Shows `payload` (already decoded) in this view; resolves when drawn. The root gets
   * data-payloads = number of updates drawn, and the host "attnlens:payload".
   */
  update(payload: AttentionPayload): Promise<void>;
  dispose(): void;
}

export function createApp(host: HTMLElement, first: AttentionPayload, options: AppOptions): App {
  let payload = first;
  const { theme } = options;
  const root = el("div", "attnlens");
  root.dataset.theme = theme;
  const style = el("style");
  style.textContent = widgetCss(theme);
  const header = el("div", "attnlens-header");
  const showHeader = () =>
    header.replaceChildren(
      ...(payload.title ? [el("div", "attnlens-title", payload.title)] : []),
      ...(payload.notes ?? []).map((note) => el("div", "attnlens-notes", note)),
    );
  showHeader();
  root.append(style, header);
  let sel = normalizeSelection(payload, options.selection ?? {});
  let view: ViewName = options.view ?? "heatmap";
  let preview: HeadRef | null = null;
  let updates = 0;
  let payloads = 0;
  let disposed = false;

  const tooltip = createTooltip(root);
  const open = (h: HeadRef) => select({ layer: h.layer, head: h.head });
  // Moving between thumbnails fires "out" then "over": restore the selection only after a pause.
  let restore: ReturnType<typeof setTimeout> | undefined;
  const showPreview = (h: HeadRef | null) => {
    preview = h;
    if (view === "heatmap" && !disposed) void settle(heatmap.show(siteMatrix(payload, h ? { ...sel, ...h } : sel)));
  };
  const grid = createGridPanel(theme, {
    open,
    preview: (h) => {
      clearTimeout(restore);
      if (h) showPreview(h);
      else if (preview) restore = setTimeout(() => showPreview(null), 80);
    },
  });
  const metrics = createMetricPanel(theme, { open });
  // Zooming into a long input reads the payload shown at that moment (`update` may replace it).
  const heatmap = createHeatmapPanel(theme, tooltip, (base, w) => zoomMatrix(payload, base, w, options.requestTile));
  const lines = createLinesPanel(theme);
  const probe = createProbePanel(payload, theme, tooltip);
  const controls = createControls(
    payload,
    (change) => select(change),
    (v) => {
      view = v;
      void settle(refresh());
    },
  );
  const side = el("div", "attnlens-side");
  side.append(grid.root, controls.metric, metrics.root);
  const main = el("div", "attnlens-main");
  main.append(heatmap.root, lines.root, probe.root);
  const body = el("div", "attnlens-body");
  body.append(side, main);
  root.append(controls.root, body);
  host.append(root);

  function select(change: Partial<Selection>): void {
    // A new attention type starts at its first layer unless a layer came with it.
    const next = change.type && change.layer === undefined ? { ...sel, ...change, layer: -1 } : { ...sel, ...change };
    sel = normalizeSelection(payload, next);
    clearTimeout(restore);
    preview = null;
    announce(null);
    void settle(refresh());
  }

  /** Tells the host what the user chose ("attnlens:select"): a live widget sends it to the kernel. */
  function announce(token: number | null): void {
    const site = siteFor(payload, sel)?.id;
    if (!site) return;
    const detail = { site, layer: sel.layer, head: sel.head, token, sample: sel.sample };
    host.dispatchEvent(new CustomEvent("attnlens:select", { detail }));
  }
  heatmap.root.addEventListener("attnlens:token", (e) => {
    const token = (e as CustomEvent<{ token: number | null }>).detail.token;
    announce(typeof token === "number" ? token : null);
  });

  async function refresh(): Promise<void> {
    controls.show(sel, view);
    const selected = { layer: sel.layer, head: typeof sel.head === "number" ? sel.head : -1 };
    heatmap.root.hidden = view !== "heatmap";
    lines.root.hidden = view !== "lines";
    probe.root.hidden = view !== "rollout";
    const jobs: Promise<void>[] = [
      grid.show(() => gridData(payload, sel.type, sel.sample), selected, `${sel.type}|${sel.sample}`),
      metrics.show(
        () => ({ cells: metricCells(payload, sel.type, sel.metric), metric: sel.metric }),
        selected,
        `${sel.type}|${sel.metric}`,
      ),
    ];
    if (view === "heatmap") jobs.push(heatmap.show(siteMatrix(payload, preview ? { ...sel, ...preview } : sel)));
    if (view === "lines") jobs.push(lines.show(siteMatrix(payload, sel)));
    if (view === "rollout") jobs.push(probe.show(sel.sample));
    await Promise.all(jobs);
  }

  /** Marks each finished update on the host (data-updates, "attnlens:update") for tests and benchmarks. */
  async function settle(work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (e) {
      if (disposed) return;
      const msg = el("div", "attnlens-message", `attnlens: ${(e as Error).message}`);
      main.prepend(msg);
      throw e;
    }
    if (disposed) return;
    root.dataset.updates = String(++updates);
    host.dispatchEvent(new CustomEvent("attnlens:update", { detail: { updates } }));
  }

  const ready = settle(refresh()).then(() => {
    if (disposed) return;
    root.dataset.ready = "true";
    host.dispatchEvent(new CustomEvent("attnlens:ready"));
  });

  function update(next: AttentionPayload): Promise<void> {
    if (disposed) return Promise.resolve();
    payload = next;
    showHeader();
    controls.setPayload(next);
    probe.setPayload(next);
    // Their caches are keyed by type and sample: the same key now means other data.
    grid.invalidate();
    metrics.invalidate();
    clearTimeout(restore);
    preview = null;
    sel = normalizeSelection(payload, sel);
    if (view === "rollout" && !(payload.probes?.rollout || payload.probes?.flow)) view = "heatmap";
    const n = ++payloads;
    return settle(refresh()).then(() => {
      if (disposed || n !== payloads) return;
      root.dataset.payloads = String(n);
      host.dispatchEvent(new CustomEvent("attnlens:payload", { detail: { payloads: n } }));
    });
  }

  return {
    root,
    ready,
    update,
    dispose() {
      disposed = true;
      clearTimeout(restore);
      for (const p of [grid, metrics, heatmap, lines, probe]) p.dispose();
      root.remove();
    },
  };
}
