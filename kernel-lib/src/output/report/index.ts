export { type Extraction, readExtraction } from "../files/extractionDir";
export { exportReport, type ReportFile, type ReportInput, type ReportOptions, reportDocument } from "./export";
export { applyMetricsJson, extractionReport } from "./fromDir";
export { escapeHtml, REPORT_CSP, type ReportSection, reportHtml, scriptJson } from "./html";
export {
  WIDGET_MODULE,
  WIDGET_MODULE_VERSION,
  WIDGET_STATE_MIME,
  WIDGET_VIEW_MIME,
  type WidgetState,
  type WidgetView,
  widgetState,
} from "./widgetState";
