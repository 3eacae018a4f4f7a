export { VIEWS, type ViewName } from "./controls";
export { type PatchRenderOptions, renderPatches } from "./patchPanel";
export { detectTheme, type RenderOptions, render } from "./render";
