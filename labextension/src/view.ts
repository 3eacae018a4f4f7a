/**
 * One mounted attnlens view: `widgets.render` into a host element with the host's render options,
 * redrawn when JupyterLab's theme changes, torn down completely on dispose. Shared by the mime
 * renderer and the widget view.
 */
import { type AttentionPayload, type MountedPayloadView, mount, type RenderOptions } from "@attnlens/widgets";
import { currentTheme, type Theme, watchTheme } from "./theme";

export interface MountedView {
  /** Settles when the current drawing is done (or shows its error). */
  readonly ready: Promise<void>;
  /** Shows a new payload in the same view (selection and tab kept); `ready` follows it. */
  update(payload: unknown): void;
  dispose(): void;
}

/** Longest wait for a drawing to report itself done before `ready` settles anyway. */
const READY_TIMEOUT_MS = 20_000;

/**
 * @param payload payload v1, as a JSON object or its text (tslab's `display.raw` sends strings)
 * @param options RenderOptions less the theme (view tab, first selection), e.g. the output metadata
 */
export function mountView(host: HTMLElement, payload: unknown, options: Record<string, unknown> = {}): MountedView {
  let drawn: MountedPayloadView | null = null;
  let disposed = false;
  let ready: Promise<void> = Promise.resolve();

  const draw = (theme: Theme): Promise<void> => {
    drawn?.dispose();
    drawn = null;
    host.replaceChildren();
    host.dataset.attnlensTheme = theme;
    try {
      const data = parsed(payload);
      const done = whenReady(host);
      drawn = mount(host, data, { ...(options as RenderOptions), theme });
      // An invalid payload is reported in place, synchronously, with no ready event.
      return host.querySelector(":scope > .attnlens-message") ? Promise.resolve() : done;
    } catch (e) {
      host.replaceChildren(errorBox(e));
      return Promise.resolve();
    }
  };

  ready = draw(currentTheme());
  const unwatch = watchTheme((theme) => {
    if (!disposed) ready = draw(theme);
  });
  return {
    get ready() {
      return ready;
    },
    update(next) {
      if (disposed) return;
      payload = next;
      let data: AttentionPayload | null = null;
      try {
        data = parsed(next);
      } catch {
        data = null;
      }
      // In place when a view is drawn and the new payload parses; else drawn anew (with its error).
      const view = drawn;
      if (!view || !data || !host.querySelector(":scope > .attnlens")) {
        ready = draw(currentTheme());
        return;
      }
      ready = view.update(data).catch((e) => {
        host.replaceChildren(errorBox(e));
      });
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      unwatch();
      drawn?.dispose();
      drawn = null;
      host.replaceChildren();
    },
  };
}

/** The payload as an object: tslab's `display.raw` sends text. */
function parsed(payload: unknown): AttentionPayload {
  const data = typeof payload === "string" ? JSON.parse(payload) : payload;
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    throw new Error("the output holds no attnlens payload (expected a JSON object)");
  }
  // The widgets validate it (decodePayload) and report what is wrong in the view.
  return data as AttentionPayload;
}

/** The widgets signal "attnlens:ready" on the host after the first render. */
function whenReady(host: HTMLElement): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, READY_TIMEOUT_MS);
    host.addEventListener(
      "attnlens:ready",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

function errorBox(e: unknown): HTMLElement {
  const box = document.createElement("pre");
  box.className = "attnlens-error";
  // textContent: the message may quote payload content and must stay text.
  box.textContent = `attnlens: cannot draw this view: ${e instanceof Error ? e.message : String(e)}`;
  return box;
}
