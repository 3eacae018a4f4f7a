/**
 * @attnlens/widgets: payload v1 (types + decoder) → pure Vega-Lite spec builders → `render(el, payload)`.
 * Node can require this module for the types, the decoder and the spec builders; `render` loads
 * vega-embed lazily with a real dynamic import.
 */
export * from "./corpus";
export * from "./data";
export { ATTNLENS_MIME, WIDGETS_VERSION } from "./mime";
export * from "./payload";
export * from "./spec";
export * from "./view";
