export { VIEWS, type ViewName } from "./controls";
export { detectTheme, type RenderOptions, render } from "./render";
