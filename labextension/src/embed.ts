/**
 * Widget embedding for static pages: the standard `@jupyter-widgets/html-manager` reads the
 * `application/vnd.jupyter.widget-state+json` and `…widget-view+json` script tags of a page and
 * draws each view; this module hands it the attnlens widget classes (no CDN, no requirejs).
 * Bundled by scripts/build-labextension.mjs as lib/attnlens-embed.js (global `attnlensEmbed`).
 */
import { HTMLManager } from "@jupyter-widgets/html-manager";
import { renderWidgets } from "@jupyter-widgets/html-manager/lib/libembed";
import { MODULE_NAME, widgetExports } from "./widget";

export { MODULE_NAME, MODULE_VERSION } from "./widget";
/** For pages (and tests) that bind the views to a live comm themselves. */
export { HTMLManager };

/** The module loader HTMLManager calls for non-core widget modules. */
export function loadModule(moduleName: string, moduleVersion: string): Promise<typeof widgetExports> {
  if (moduleName === MODULE_NAME) return Promise.resolve(widgetExports);
  return Promise.reject(new Error(`widget module ${moduleName}@${moduleVersion} is not part of this page`));
}

/** Draws every embedded widget view under `root` (the whole document by default). */
export function renderEmbedded(root: HTMLElement = document.documentElement): Promise<void> {
  return renderWidgets(() => new HTMLManager({ loader: loadModule }), root);
}

declare global {
  interface Window {
    _jupyter_widget_embedder?: boolean;
    attnlensEmbedDone?: Promise<void>;
  }
}

// Like html-manager's own embed.js: render once the page has loaded, unless another embedder runs.
if (typeof window !== "undefined" && !window._jupyter_widget_embedder) {
  window._jupyter_widget_embedder = true;
  window.attnlensEmbedDone = new Promise((resolve, reject) => {
    const run = () => renderEmbedded().then(resolve, reject);
    if (document.readyState === "complete") run();
    else window.addEventListener("load", run);
  });
}
