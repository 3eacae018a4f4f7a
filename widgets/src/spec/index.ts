export { concatSpecs } from "./compose";
export { type HeadGridOptions, headGridSpec, thumbSize } from "./headGrid";
export { cellSize, fullWindow, type HeatmapOptions, heatmapSpec, LABEL_MIN_PX, plotSize, rasterData } from "./heatmap";
export { LINES_MAX_TOKENS, LINES_MIN_SHARE, type LinesOptions, linesSpec } from "./lines";
export { type MetricOverviewOptions, metricOverviewSpec } from "./metricOverview";
export { PATTERN_COLORS, PATTERN_ORDER, VIRIDIS_PALETTE, viridis } from "./palette";
export {
  type PatchCell,
  type PatchOverlayOptions,
  patchCells,
  patchOverlaySpec,
  patchSites,
  queryLabels,
} from "./patchOverlay";
export { indexedPng, pngDataUrl } from "./png";
export { type CellWindow, rasterUrl } from "./raster";
export { type StaticOptions, staticSpec } from "./staticView";
export { THEMES, type ThemeColors, type ThemeName, themeConfig, VL_SCHEMA, type VlSpec } from "./theme";
