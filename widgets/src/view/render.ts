/** The one entry point hosts call: `render(el, payload, options) → dispose`. */
import type { Selection } from "../data/selection";
import type { AttentionPayload } from "../payload/types";
import { decodePayload } from "../payload/validate";
import type { ThemeName } from "../spec/theme";
import { createApp } from "./app";
import type { ViewName } from "./controls";
import { el } from "./dom";
import { renderPatches } from "./patchPanel";

export interface RenderOptions {
  /** Default: JupyterLab's theme (body[data-jp-theme-light]), else the system's colour scheme. */
  theme?: ThemeName;
  /** The tab to open: "heatmap" (default), "lines" or "rollout"; "patches" opens the patch-grid view alone. */
  view?: ViewName | "patches";
  /** What to show first (default: the first site with maps, head 0, sample 0). */
  selection?: Partial<Selection>;
}

export function detectTheme(): ThemeName {
  const jp = typeof document !== "undefined" ? document.body?.dataset.jpThemeLight : undefined;
  if (jp !== undefined) return jp === "false" ? "dark" : "light";
  const dark = typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
  return dark ? "dark" : "light";
}

/**
 * Draws the views of `payload` into `element` and returns a function that removes them. The
 * host element receives "attnlens:ready" after the first render and "attnlens:update" after each.
 */
export function render(element: HTMLElement, payload: AttentionPayload, options: RenderOptions = {}): () => void {
  if (options.view === "patches") {
    const sample = options.selection?.sample;
    return renderPatches(element, payload, { theme: options.theme, ...(sample !== undefined ? { sample } : {}) });
  }
  let checked: AttentionPayload;
  try {
    checked = decodePayload(payload);
  } catch (e) {
    const msg = el("div", "attnlens-message", (e as Error).message);
    element.append(msg);
    return () => msg.remove();
  }
  const app = createApp(element, checked, {
    ...options,
    view: options.view as ViewName | undefined,
    theme: options.theme ?? detectTheme(),
  });
  app.ready.catch((e) => console.error(e));
  return () => app.dispose();
}
