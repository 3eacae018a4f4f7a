/**
 * JupyterLab plugin: registers the attnlens widget with the widget manager of `jupyterlab_widgets`
 * (ipywidgets), so kernels with comm support can show the views as widgets. Kept out of the mime
 * extension: without ipywidgets installed, only this plugin is unavailable.
 */
import { IJupyterWidgetRegistry } from "@jupyter-widgets/base";
import { MODULE_NAME, MODULE_VERSION, widgetExports } from "./widget";

const plugin = {
  id: "@attnlens/labextension:widget",
  description: "The attnlens views as a Jupyter widget.",
  autoStart: true,
  requires: [IJupyterWidgetRegistry],
  activate(_app: unknown, registry: IJupyterWidgetRegistry): void {
    registry.registerWidget({ name: MODULE_NAME, version: MODULE_VERSION, exports: widgetExports });
  },
};

export default plugin;
