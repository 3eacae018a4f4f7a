/**
 * The same views as a Jupyter widget (`@jupyter-widgets/base`): a model whose `payload` trait holds
 * the attnlens payload, and a DOMWidgetView over `widgets.render`. A kernel with comm support can
 * show it live; `@jupyter-widgets/html-manager` renders its saved state in static pages.
 */
import { DOMWidgetModel, DOMWidgetView } from "@jupyter-widgets/base";
import { type MountedView, mountView } from "./view";

/** The widget module name and version, as they appear in `_model_module` / `_view_module`. */
export const MODULE_NAME = "@attnlens/labextension";
export const MODULE_VERSION = "0.1.0";

/**
 * The widget model. Its wire name stays "AttentionModel" (saved widget state and reports refer to it);
 * the class is named apart from kernel-lib's `AttentionModel` (an ONNX model with exposed attention).
 */
export class AttentionWidgetModel extends DOMWidgetModel {
  defaults() {
    return {
      ...super.defaults(),
      _model_name: "AttentionModel",
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: "AttentionView",
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION,
      payload: null,
      /** RenderOptions less the theme: the view tab and first selection. */
      options: {},
    };
  }

  static model_name = "AttentionModel";
  static model_module = MODULE_NAME;
  static model_module_version = MODULE_VERSION;
  static view_name = "AttentionView";
  static view_module = MODULE_NAME;
  static view_module_version = MODULE_VERSION;
}

export class AttentionView extends DOMWidgetView {
  private mounted: MountedView | null = null;

  render(): void {
    this.el.classList.add("attnlens-widget");
    this.draw();
    this.listenTo(this.model, "change:payload change:options", this.draw);
  }

  /** Settles when the current drawing is done; lets hosts and tests wait for it. */
  get ready(): Promise<void> {
    return this.mounted?.ready ?? Promise.resolve();
  }

  private draw(): void {
    this.mounted?.dispose();
    this.mounted = mountView(this.el, this.model.get("payload"), this.model.get("options") ?? {});
  }

  remove(): this {
    this.mounted?.dispose();
    this.mounted = null;
    return super.remove();
  }
}

/** What a widget manager's `loadClass` expects from this module. */
export const widgetExports = { AttentionModel: AttentionWidgetModel, AttentionView };
