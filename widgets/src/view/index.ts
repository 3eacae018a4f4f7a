export { VIEWS, type ViewName } from "./controls";
export { detectTheme, type RenderOptions, render } from "./render";
export { type PatchRenderOptions, renderPatches } from "./patchPanel";
