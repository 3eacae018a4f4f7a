/**
 * The attnlens views as Jupyter widgets, in the standard saved-state format
 * (`application/vnd.jupyter.widget-state+json`, version 2): one `AttentionModel` per payload,
 * whose `payload` trait is the payload v1 object, and one view description per model
 * (`application/vnd.jupyter.widget-view+json`). `@jupyter-widgets/html-manager` renders these in
 * static pages; a kernel with comm support would open the same models over comms.
 */
import { createHash } from "node:crypto";

export const WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json";
export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";
/** The widget module: the labextension registers its classes under this name. */
export const WIDGET_MODULE = "@attnlens/labextension";
export const WIDGET_MODULE_VERSION = "0.1.0";

/** One widget model in the saved state: its model and view classes (name, module, version) and its traits. */
export interface WidgetModelState {
  model_name: string;
  model_module: string;
  model_module_version: string;
  state: Record<string, unknown>;
}

/**
 * Jupyter widget state (`application/vnd.jupyter.widget-state+json`, version 2), as saved in notebooks and
 * read by the html-manager.
 */
export interface WidgetState {
  version_major: 2;
  version_minor: 0;
  state: Record<string, WidgetModelState>;
}

/** A widget view reference (`application/vnd.jupyter.widget-view+json`): which model to show. */
export interface WidgetView {
  version_major: 2;
  version_minor: 0;
  model_id: string;
}

const BASE = { module: "@jupyter-widgets/base", version: "2.0.0" };

/**
 * Widget state for the given payloads, and the view description of each (same order).
 * `options[i]` are the render options of payload i (view tab, first selection).
 */
export function widgetState(
  payloads: unknown[],
  options: Record<string, unknown>[] = [],
): { state: WidgetState; views: WidgetView[] } {
  const state: Record<string, WidgetModelState> = {};
  const views: WidgetView[] = [];
  payloads.forEach((payload, i) => {
    const json = JSON.stringify(payload);
    const modelId = createHash("sha256").update(`${i}:`).update(json).digest("hex").slice(0, 32);
    const layoutId = `${modelId.slice(0, 24)}layout${String(i).padStart(2, "0")}`.slice(0, 32);
    state[layoutId] = {
      model_name: "LayoutModel",
      model_module: BASE.module,
      model_module_version: BASE.version,
      state: {},
    };
    state[modelId] = {
      model_name: "AttentionModel",
      model_module: WIDGET_MODULE,
      model_module_version: WIDGET_MODULE_VERSION,
      state: {
        _model_name: "AttentionModel",
        _model_module: WIDGET_MODULE,
        _model_module_version: WIDGET_MODULE_VERSION,
        _view_name: "AttentionView",
        _view_module: WIDGET_MODULE,
        _view_module_version: WIDGET_MODULE_VERSION,
        _dom_classes: [],
        layout: `IPY_MODEL_${layoutId}`,
        payload,
        options: options[i] ?? {},
      },
    };
    views.push({ version_major: 2, version_minor: 0, model_id: modelId });
  });
  return { state: { version_major: 2, version_minor: 0, state }, views };
}
