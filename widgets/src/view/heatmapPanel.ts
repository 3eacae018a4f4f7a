/**
 * The heatmap panel: caption, the Vega heatmap, the tooltip, token focus and brush-to-zoom.
 * Switching to a map with the same axes (size and token positions) only swaps the raster, colour-bar
 * and token-label data (no re-embed): new text of the same length redraws in place.
 * A long input's pooled overview (a matrix with `zoom`) zooms to finer data instead of bigger cells:
 * a dragged box or the wheel picks a window of the map and `zoomer` supplies its cells (exact tiles
 * from the host, precomputed tiles, or the overview); the root's data-zoom-window / data-zoom-from
 * say what is drawn.
 */
import type { MatrixView } from "../data/matrix";
import { cellsToWindow, type TokenWindow } from "../data/zoom";
import { fullWindow, heatmapSpec, labelDatasets, rasterData } from "../spec/heatmap";
import type { CellWindow } from "../spec/raster";
import type { ThemeName } from "../spec/theme";
import { el, freshBox } from "./dom";
import { type Embedded, embedSpec, type VegaItem } from "./embed";
import { swapData } from "./swapData";
import { cellLines, type Tooltip } from "./tooltip";

export interface HeatmapPanel {
  root: HTMLElement;
  show(m: MatrixView): Promise<void>;
  dispose(): void;
}

/** What the embedded spec's layout depends on; labels are data and are swapped with the raster. */
function axesKey(m: MatrixView): string {
  return `${m.R}×${m.C}|${m.rows.positions.join(",")}|${m.cols.positions.join(",")}`;
}

/** Supplies the matrix of a window of `base`'s map (`zoomMatrix` bound to the payload and the host). */
export type Zoomer = (base: MatrixView, window: TokenWindow) => Promise<MatrixView>;

export function createHeatmapPanel(theme: ThemeName, tooltip: Tooltip, zoomer?: Zoomer): HeatmapPanel {
  const root = el("div", "attnlens-panel attnlens-heatmap");
  const caption = el("div", "attnlens-caption");
  const sub = el("div", "attnlens-subcaption");
  const reset = el("button", undefined, "reset zoom");
  reset.type = "button";
  reset.name = "reset-zoom";
  reset.hidden = true;
  const host = el("div");
  root.append(caption, sub, reset, host);
  let current: MatrixView | undefined;
  /** The matrix the app asked for; `current` is a zoomed window of it while `tokenWindow` is set. */
  let base: MatrixView | undefined;
  let tokenWindow: TokenWindow | null = null;
  let zoomGeneration = 0;
  /** Axes of the embedded view, and of the latest draw asked for. */
  let shownKey = "";
  let key = "";
  let zoom: CellWindow | undefined;
  let embedded: Embedded | undefined;
  let generation = 0;
  let locked: [number, number] | null = null;
  let pendingBrush: { x?: number[]; y?: number[] } | null = null;
  let disposed = false;

  const setFocus = (r: number, c: number) => {
    embedded?.view.signal("focusRow", r).signal("focusCol", c).runAsync();
  };
  const tokenFocus = (axis: "x" | "y", i: number): [number, number] => {
    if (!current) return [-1, -1];
    const pos = (axis === "x" ? current.cols : current.rows).positions[i];
    const r = axis === "y" ? i : current.rows.positions.indexOf(pos);
    const c = axis === "x" ? i : current.cols.positions.indexOf(pos);
    return [r, c];
  };
  const cellAt = (event: MouseEvent): [number, number] | null => {
    const view = embedded?.view;
    const svg = view?.container()?.querySelector("svg");
    if (!view || !svg || !current) return null;
    const w = zoom ?? fullWindow(current);
    const box = svg.getBoundingClientRect();
    // Plot coordinates: the SVG's group is translated by padding + origin.
    const [ox, oy] = view.origin();
    const pad = view.padding();
    const x = view.scale("x").invert?.(event.clientX - box.left - ox - pad.left);
    const y = view.scale("y").invert?.(event.clientY - box.top - oy - pad.top);
    if (x === undefined || y === undefined) return null;
    const c = Math.floor(x);
    const r = Math.floor(y);
    if (c < w.cols[0] || c >= w.cols[1] || r < w.rows[0] || r >= w.rows[1]) return null;
    return [r, c];
  };

  const onMove = (event: Event, item?: VegaItem) => {
    const name = item?.mark?.name ?? "";
    const label = name.match(/^heat_([xy])labels/);
    const i = item?.datum?.i;
    if (label && typeof i === "number") {
      tooltip.hide();
      if (!locked) setFocus(...tokenFocus(label[1] as "x" | "y", i));
      return;
    }
    const cell = cellAt(event as MouseEvent);
    if (!cell || !current) {
      tooltip.hide();
      if (!locked) setFocus(-1, -1);
      return;
    }
    tooltip.show(cellLines(current, cell[0], cell[1]), (event as MouseEvent).clientX, (event as MouseEvent).clientY);
    if (!locked) setFocus(cell[0], cell[1]);
  };
  const onClick = (_event: Event, item?: VegaItem) => {
    const label = (item?.mark?.name ?? "").match(/^heat_([xy])labels/);
    const i = item?.datum?.i;
    if (!label || typeof i !== "number") return;
    const f = tokenFocus(label[1] as "x" | "y", i);
    locked = locked && locked[0] === f[0] && locked[1] === f[1] ? null : f;
    setFocus(...(locked ?? [-1, -1]));
    // The token (query row position) the user locked, or null when unlocked; hosts with a kernel listen.
    const token = locked && current && locked[0] >= 0 ? (current.rows.positions[locked[0]] ?? null) : null;
    root.dispatchEvent(new CustomEvent("attnlens:token", { bubbles: true, detail: { token } }));
  };
  const onPointerUp = () => {
    const b = pendingBrush;
    pendingBrush = null;
    if (!b?.x || !b.y || !current) return;
    const w = zoom ?? fullWindow(current);
    const clip = (v: number[], [lo, hi]: [number, number]): [number, number] => [
      Math.max(lo, Math.floor(Math.min(...v))),
      Math.min(hi, Math.ceil(Math.max(...v))),
    ];
    const next = { cols: clip(b.x, w.cols), rows: clip(b.y, w.rows) };
    if (current.zoom && zoomer) {
      const win = cellsToWindow(current.zoom, next.rows, next.cols);
      if (win.rows[1] - win.rows[0] >= 2 && win.cols[1] - win.cols[0] >= 2) void zoomTo(win);
      return;
    }
    if (next.cols[1] - next.cols[0] < 2 || next.rows[1] - next.rows[0] < 2) return;
    zoom = next;
    void draw(current);
  };
  document.addEventListener("pointerup", onPointerUp);

  /** Draws window `win` of the base map from the finest data the zoomer finds. */
  async function zoomTo(win: TokenWindow): Promise<void> {
    if (!base?.zoom || !zoomer) return;
    const [T, S] = base.zoom.extent;
    if (win.rows[0] <= 0 && win.cols[0] <= 0 && win.rows[1] >= T && win.cols[1] >= S) {
      resetZoom();
      return;
    }
    const gen = ++zoomGeneration;
    tokenWindow = win;
    root.dataset.zooming = "true";
    const m = await zoomer(base, win);
    if (gen !== zoomGeneration || disposed) return;
    current = m;
    zoom = undefined;
    key = axesKey(m);
    await draw(m);
    if (gen !== zoomGeneration || disposed) return;
    delete root.dataset.zooming;
    root.dataset.zoomWindow = `${win.rows[0]},${win.rows[1]},${win.cols[0]},${win.cols[1]}`;
    root.dataset.zoomFrom = m.zoom?.from ?? "";
    root.dataset.zoomBin = (m.zoom?.bin ?? [1, 1]).join(",");
  }

  // The wheel zooms around the pointed cell (2× per notch, settled after a short pause).
  let wheelFactor = 1;
  let wheelAt: [number, number] | null = null;
  let wheelTimer: ReturnType<typeof setTimeout> | undefined;
  const onWheel = (event: WheelEvent) => {
    const z = current?.zoom;
    if (!z || !zoomer || !base?.zoom) return;
    const cell = cellAt(event);
    if (!cell) return;
    event.preventDefault();
    wheelAt = [z.origin[0] + (cell[0] + 0.5) * z.bin[0], z.origin[1] + (cell[1] + 0.5) * z.bin[1]];
    wheelFactor *= event.deltaY < 0 ? 0.5 : 2;
    clearTimeout(wheelTimer);
    wheelTimer = setTimeout(() => {
      const at = wheelAt;
      const f = wheelFactor;
      wheelFactor = 1;
      wheelAt = null;
      if (!at || !base?.zoom || f === 1) return;
      const [T, S] = base.zoom.extent;
      const win = tokenWindow ?? { rows: [0, T] as [number, number], cols: [0, S] as [number, number] };
      const around = (c: number, [a, b]: [number, number], n: number): [number, number] => {
        const half = Math.max(2, Math.round(((b - a) * f) / 2));
        const lo = Math.max(0, Math.min(n - 2 * half, Math.round(c) - half));
        return [lo, Math.min(n, lo + 2 * half)];
      };
      void zoomTo({ rows: around(at[0], win.rows, T), cols: around(at[1], win.cols, S) });
    }, 120);
  };
  host.addEventListener("wheel", onWheel, { passive: false });

  async function draw(m: MatrixView): Promise<void> {
    const gen = ++generation;
    const w = zoom ?? fullWindow(m);
    const zoomed = w.rows[0] > 0 || w.cols[0] > 0 || w.rows[1] < m.R || w.cols[1] < m.C;
    reset.hidden = !zoomed && !tokenWindow;
    const span = (a: MatrixView["rows"], [lo, hi]: [number, number]) => `${a.positions[lo]}–${a.positions[hi - 1]}`;
    const tokenSpan = (p0: number, [lo, hi]: [number, number]) => `${p0 + lo}–${p0 + hi - 1}`;
    const start = (a: MatrixView["rows"], z: NonNullable<MatrixView["zoom"]>, axis: 0 | 1) =>
      (a.positions[0] ?? 0) - z.origin[axis];
    sub.textContent =
      tokenWindow && m.zoom
        ? `zoomed: targets ${tokenSpan(start(m.rows, m.zoom, 0), tokenWindow.rows)}, sources ${tokenSpan(start(m.cols, m.zoom, 1), tokenWindow.cols)}` +
          ` · ${m.note ?? ""} · double-click or reset to see all`
        : zoomed
          ? `zoomed: targets ${span(m.rows, w.rows)}, sources ${span(m.cols, w.cols)} · double-click or reset to see all`
          : (m.note ?? "rows: target tokens (queries) · columns: source tokens (keys) · drag to zoom");
    const spec = heatmapSpec(m, { theme, window: w, interactive: true, colorMax: m.max });
    delete spec.title;
    const next = await embedSpec(freshBox(host, "attnlens-vega"), spec, theme);
    if (gen !== generation || disposed) {
      next.finalize();
      return;
    }
    embedded?.finalize();
    embedded = next;
    shownKey = axesKey(m);
    locked = null;
    if (current && current !== m && axesKey(current) === shownKey) await swap(current);
    next.view.addEventListener("pointermove", onMove);
    next.view.addEventListener("click", onClick);
    next.view.addEventListener("dblclick", () => resetZoom());
    next.view.addSignalListener("brush", (_name, value) => {
      const v = value as Record<string, number[]>;
      pendingBrush = v && Object.keys(v).length > 0 ? { x: v.x0, y: v.y0 } : null;
    });
  }
  host.addEventListener("pointerleave", () => {
    tooltip.hide();
    if (!locked) setFocus(-1, -1);
  });

  async function swap(m: MatrixView): Promise<void> {
    const w = zoom ?? fullWindow(m);
    const view = embedded?.view;
    if (!view) return;
    swapData(view, "raster", rasterData(m, w, m.max));
    swapData(view, "colorbar", [{ v: 0 }, { v: m.max }]);
    // Labels change with the text (a new payload), not with the head shown: unchanged ones are skipped.
    for (const [name, rows] of Object.entries(labelDatasets(m, w))) swapData(view, name, rows);
    await view.runAsync();
  }

  function resetZoom(): void {
    if (tokenWindow && base) {
      tokenWindow = null;
      zoomGeneration++;
      for (const k of ["zooming", "zoomWindow", "zoomFrom", "zoomBin"]) delete root.dataset[k];
      current = base;
      zoom = undefined;
      key = axesKey(base);
      void draw(base);
      return;
    }
    if (!zoom || !current) return;
    zoom = undefined;
    void draw(current);
  }
  reset.addEventListener("click", resetZoom);

  return {
    root,
    async show(m) {
      caption.textContent = m.title;
      base = m;
      // Zoomed into a long input: the new map (another head) is shown over the same window.
      const fits = (w: TokenWindow, [T, S]: [number, number]) => w.rows[1] <= T && w.cols[1] <= S;
      if (tokenWindow && m.zoom && zoomer && fits(tokenWindow, m.zoom.extent)) return zoomTo(tokenWindow);
      if (tokenWindow) {
        tokenWindow = null;
        for (const k of ["zooming", "zoomWindow", "zoomFrom", "zoomBin"]) delete root.dataset[k];
      }
      const k = axesKey(m);
      current = m;
      if (embedded && k === shownKey && k === key) {
        // Same tokens on both axes and no redraw pending: swap the pixels and the colour bar.
        await swap(m);
        return;
      }
      key = k;
      zoom = undefined;
      await draw(m);
    },
    dispose() {
      disposed = true;
      clearTimeout(wheelTimer);
      document.removeEventListener("pointerup", onPointerUp);
      embedded?.finalize();
      embedded = undefined;
    },
  };
}
