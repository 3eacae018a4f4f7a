/**
 * The patch-grid view: `renderPatches(el, payload) → dispose`. A head's attention from one query (the
 * [CLS] token by default, or a chosen patch) laid over the picture; sample and query are DOM selects
 * (a change re-embeds the spec), layer and head are the spec's own bound parameters.
 */
import type { AttentionPayload } from "../payload/types";
import { decodePayload } from "../payload/validate";
import { patchOverlaySpec, queryLabels } from "../spec/patchOverlay";
import type { ThemeName } from "../spec/theme";
import { el, freshBox, selectBox } from "./dom";
import { type Embedded, embedSpec } from "./embed";
import { detectTheme } from "./render";

export interface PatchRenderOptions {
  theme?: ThemeName;
  sample?: number;
  /** Query position (0 = [CLS] when the model has one). */
  query?: number;
  /** Largest picture side in px (default 384). */
  size?: number;
}

export function renderPatches(
  element: HTMLElement,
  payload: AttentionPayload,
  options: PatchRenderOptions = {},
): () => void {
  const root = el("div", "attnlens attnlens-patches");
  element.append(root);
  let embedded: Embedded | undefined;
  let disposed = false;
  let updates = 0;
  try {
    const checked = decodePayload(payload);
    const theme = options.theme ?? detectTheme();
    const state = { sample: options.sample ?? 0, query: options.query ?? 0 };
    const controls = el("div", "attnlens-controls");
    const host = el("div", "attnlens-patch-plot");
    root.append(controls, host);
    const draw = async () => {
      const spec = patchOverlaySpec(checked, { ...state, theme, size: options.size });
      embedded?.finalize();
      embedded = undefined;
      const next = await embedSpec(freshBox(host, "attnlens-patch-box"), spec, theme);
      if (disposed) return next.finalize();
      embedded = next;
      root.setAttribute("data-updates", String(++updates));
      element.dispatchEvent(new CustomEvent(updates === 1 ? "attnlens:ready" : "attnlens:update"));
    };
    const sample = selectBox("sample", "sample", (v) => {
      state.sample = Number(v);
      void draw();
    });
    sample.set(
      Array.from({ length: checked.samples }, (_, b) => ({ value: String(b), text: String(b) })),
      String(state.sample),
    );
    const query = selectBox("from", "query", (v) => {
      state.query = Number(v);
      void draw();
    });
    query.set(
      queryLabels(checked, state.sample).map((text, i) => ({ value: String(i), text })),
      String(state.query),
    );
    controls.append(sample.root, query.root);
    draw().catch((e) => root.append(el("div", "attnlens-message", (e as Error).message)));
  } catch (e) {
    root.append(el("div", "attnlens-message", (e as Error).message));
  }
  return () => {
    disposed = true;
    embedded?.finalize();
    root.remove();
  };
}
