/** The one entry point hosts call: `render(el, payload, options) → dispose`. */
import { isCorpusPayload } from "../corpus/validate";
import { type MountedCorpusView, mountCorpus } from "../corpus/view";
import type { Selection } from "../data/selection";
import type { RequestTile } from "../data/zoom";
import type { AttentionPayload } from "../payload/types";
import { decodePayload } from "../payload/validate";
import type { ThemeName } from "../spec/theme";
import { type App, createApp } from "./app";
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
  /** Corpus payloads: the metric shown first (default: entropy). */
  metric?: string;
  /**
   * Long inputs: asks the host for the exact weights of a window as the user zooms (a live
   * widget's kernel). Without it, zooming shows the payload's precomputed tiles or its overview.
   */
  requestTile?: RequestTile;
}

export function detectTheme(): ThemeName {
  const jp = typeof document !== "undefined" ? document.body?.dataset.jpThemeLight : undefined;
  if (jp !== undefined) return jp === "false" ? "dark" : "light";
  const dark = typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
  return dark ? "dark" : "light";
}

/** A drawn view that can take a new payload in place. */
export interface MountedPayloadView {
  /**
   * Shows `payload` in the same view: the selection and tab are kept where still valid and the
   * charts take the new data (re-created only where its shape changed). An invalid payload, or a
   * view that cannot update in place (the patch view, an error message), is drawn anew.
   * Resolves when drawn; the root's data-payloads counts the updates drawn.
   */
  update(payload: AttentionPayload): Promise<void>;
  dispose(): void;
}

/**
 * Draws the views of `payload` into `element` and returns a function that removes them. The
 * host element receives "attnlens:ready" after the first render and "attnlens:update" after each.
 */
export function render(element: HTMLElement, payload: AttentionPayload, options: RenderOptions = {}): () => void {
  const view = mount(element, payload, options);
  return () => view.dispose();
}

/** `render` for hosts that receive new payloads (live widgets): the same view, updated in place. */
export function mount(
  element: HTMLElement,
  payload: AttentionPayload,
  options: RenderOptions = {},
): MountedPayloadView {
  let app: App | null = null;
  let corpus: MountedCorpusView | null = null;
  let disposed = false;
  let dispose = draw(payload);

  function draw(p: AttentionPayload): () => void {
    app = null;
    corpus = null;
    // A corpus payload (kind "corpus", same MIME type) gets the corpus overview.
    if (isCorpusPayload(p)) return drawCorpus(p);
    if (options.view === "patches") {
      const sample = options.selection?.sample;
      return renderPatches(element, p, { theme: options.theme, ...(sample !== undefined ? { sample } : {}) });
    }
    let checked: AttentionPayload;
    try {
      checked = decodePayload(p);
    } catch (e) {
      const msg = el("div", "attnlens-message", (e as Error).message);
      element.append(msg);
      return () => msg.remove();
    }
    const drawn = createApp(element, checked, {
      ...options,
      view: options.view as ViewName | undefined,
      theme: options.theme ?? detectTheme(),
    });
    drawn.ready.catch((e) => console.error(e));
    app = drawn;
    return () => drawn.dispose();
  }

  function drawCorpus(p: unknown): () => void {
    try {
      const selection = options.selection as { site?: string; head?: number } | undefined;
      const drawn = mountCorpus(element, (typeof p === "string" ? JSON.parse(p) : p) as never, {
        theme: options.theme ?? detectTheme(),
        metric: options.metric,
        selection: { site: selection?.site, head: typeof selection?.head === "number" ? selection.head : undefined },
      });
      corpus = drawn;
      return () => drawn.dispose();
    } catch (e) {
      const msg = el("div", "attnlens-message", (e as Error).message);
      element.append(msg);
      return () => msg.remove();
    }
  }

  return {
    async update(next) {
      if (disposed) return;
      if (corpus && isCorpusPayload(next)) {
        try {
          await corpus.update(next as never);
          return;
        } catch {
          // drawn anew below, with its error
        }
      }
      let checked: AttentionPayload | null = null;
      try {
        checked = app ? decodePayload(next) : null;
      } catch {
        checked = null;
      }
      if (app && checked) {
        await app.update(checked);
        return;
      }
      dispose();
      dispose = draw(next);
      await app?.ready;
    },
    dispose() {
      disposed = true;
      dispose();
    },
  };
}
