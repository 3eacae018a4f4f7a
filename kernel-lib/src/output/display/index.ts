export { ATTNLENS_MIME, DISPLAY_MAX_BYTES, displayBundle, STATIC_MAX_BYTES } from "./bundle";
export { type DisplayChannel, type DisplayMessage, kernelChannel } from "./channel";
export {
  NO_KERNEL_MESSAGE,
  show,
  showFlow,
  showHeadGrid,
  showHeatmap,
  showLines,
  showMetrics,
  showPatches,
  showSuite,
} from "./show";
export { type SuiteShowOptions, suiteBundle, suiteTableHtml } from "./suite";
export { DISPLAY_VIEWS, type DisplayBundle, type DisplayView, type ShowOptions } from "./types";
