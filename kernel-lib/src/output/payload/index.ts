export { PAYLOAD_MAX_BYTES } from "./budget";
export { encodePayload, OVERVIEW_TOKENS, type PayloadOptions } from "./encode";
export { binSize, poolMaps } from "./pool";
export { quantizeMaps } from "./quantize";
