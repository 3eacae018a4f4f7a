export { ATTNLENS_MIME, DISPLAY_MAX_BYTES, displayBundle, STATIC_MAX_BYTES } from "./bundle";
export { type DisplayChannel, type DisplayMessage, kernelChannel } from "./channel";
export { flow, headGrid, heatmap, lines, metrics, NO_KERNEL_MESSAGE, show } from "./show";
export { type DisplayBundle, type ShowOptions, VIEW_NAMES, type ViewName } from "./types";
