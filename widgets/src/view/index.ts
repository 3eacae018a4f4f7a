export { VIEWS, type ViewName } from "./controls";
export { type PatchRenderOptions, renderPatches } from "./patchPanel";
export { detectTheme, type MountedPayloadView, mount, type RenderOptions, render } from "./render";
