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
} from "./show";
export { DISPLAY_VIEWS, type DisplayBundle, type DisplayView, type ShowOptions } from "./types";
