export { type GridCell, type GridData, gridData, METRIC_TITLES, type MetricCell, metricCells } from "./grid";
export { type AxisTokens, axisTokens } from "./labels";
export { blockMatrix, type MatrixView, probeMatrix, siteMatrix, subMatrix } from "./matrix";
export {
  type AttentionType,
  attentionTypes,
  defaultSelection,
  type HeadChoice,
  headName,
  METRICS,
  type MetricName,
  normalizeSelection,
  type Selection,
  siteFor,
  sitesOf,
  TYPE_NAMES,
  typeOf,
} from "./selection";
export {
  cellsToWindow,
  MAX_REQUEST_CELLS,
  type RequestTile,
  type TileAnswer,
  type TileRequest,
  type TokenWindow,
  ZOOM_CELLS,
  type ZoomInfo,
  zoomMatrix,
} from "./zoom";
