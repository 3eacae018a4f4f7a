/**
 * JupyterLab plugin: registers the attnlens widget with the widget manager of `jupyterlab_widgets`
 * (ipywidgets), so kernels with comm support can show the views as widgets.
 *
 * Optional by construction: a JupyterLab without jupyterlab_widgets has no `@jupyter-widgets/base`
 * in its shared scope, and a static import of it (for the registry token, or by ./widget) makes the
 * whole extension fail to load with "Shared module @jupyter-widgets/base doesn't exist in shared
 * scope default". So this module imports nothing from it; only when the widget manager's plugin is
 * present are it and ./widget loaded, as a separate chunk (dynamic import).
 */
import type { IJupyterWidgetRegistry } from "@jupyter-widgets/base";

/** The jupyterlab_widgets plugin that provides IJupyterWidgetRegistry. */
export const WIDGET_MANAGER_PLUGIN = "@jupyter-widgets/jupyterlab-manager:plugin";

/** The few members of JupyterLab's application this plugin uses. */
interface App {
  hasPlugin(id: string): boolean;
  resolveOptionalService<T>(token: unknown): Promise<T | null>;
}

const plugin = {
  id: "@attnlens/labextension:widget",
  description: "The attnlens views as a Jupyter widget (when jupyterlab_widgets is installed).",
  autoStart: true,
  async activate(app: App): Promise<void> {
    if (!app.hasPlugin(WIDGET_MANAGER_PLUGIN)) return; // no ipywidgets: the mime renderer alone
    const [base, widget] = await Promise.all([import("@jupyter-widgets/base"), import("./widget")]);
    const registry = await app.resolveOptionalService<IJupyterWidgetRegistry>(base.IJupyterWidgetRegistry);
    registry?.registerWidget({
      name: widget.MODULE_NAME,
      version: widget.MODULE_VERSION,
      exports: widget.widgetExports,
    });
  },
};

export default plugin;
