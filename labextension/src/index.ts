/**
 * @attnlens/labextension: the JupyterLab side of attnlens.
 * mime.ts (renderer for application/vnd.attnlens.v1+json) · widget.ts (the same views as a Jupyter widget)
 * · plugin.ts (registers that widget with ipywidgets) · embed.ts (html-manager embedding for static pages).
 */
export { AttentionRenderer, default as mimeExtension, RENDERER_RANK, rendererFactory } from "./mime";
export { snapshotPng } from "./snapshot";
export { currentTheme, type Theme, watchTheme } from "./theme";
export { type MountedView, mountView } from "./view";
export { AttentionView, AttentionWidgetModel, MODULE_NAME, MODULE_VERSION, widgetExports } from "./widget";
