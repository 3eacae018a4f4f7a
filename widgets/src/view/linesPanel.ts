/** The lines view for short inputs; longer ones get a message pointing to the heatmap. */
import type { MatrixView } from "../data/matrix";
import { LINES_MAX_TOKENS, linesSpec } from "../spec/lines";
import type { ThemeName } from "../spec/theme";
import { el } from "./dom";
import { createVegaHost } from "./vegaHost";

export interface LinesPanel {
  root: HTMLElement;
  show(m: MatrixView): Promise<void>;
  dispose(): void;
}

export function createLinesPanel(theme: ThemeName): LinesPanel {
  const root = el("div", "attnlens-panel attnlens-lines");
  const caption = el("div", "attnlens-caption");
  const message = el("div", "attnlens-message");
  const box = el("div");
  root.append(caption, message, box);
  const host = createVegaHost(box, theme);
  return {
    root,
    async show(m) {
      caption.textContent = m.title;
      if (m.R > LINES_MAX_TOKENS || m.C > LINES_MAX_TOKENS || m.rows.bin > 1 || m.cols.bin > 1) {
        message.textContent = `The lines view is for inputs of up to ${LINES_MAX_TOKENS} tokens at full resolution; this map is ${m.R} × ${m.C}. Use the heatmap.`;
        host.clear();
        return;
      }
      message.textContent = "";
      const spec = linesSpec(m, { theme });
      delete spec.title;
      const embedded = await host.embed(spec);
      embedded?.view.addEventListener("pointermove", (_e, item) => {
        const d = (item?.datum ?? {}) as { side?: string; i?: number };
        const name = item?.mark?.name ?? "";
        const on = name.startsWith("lines_") && name.includes("tokens") && typeof d.i === "number";
        const row = on && d.side === "target" ? (d.i as number) : -1;
        const col = on && d.side === "source" ? (d.i as number) : -1;
        void embedded.view.signal("focusRow", row).signal("focusCol", col).runAsync();
      });
    },
    dispose: () => host.dispose(),
  };
}
