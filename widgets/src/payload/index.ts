export { decodeBase64, encodeBase64 } from "./base64";
export { fromHalf } from "./float16";
export { decodeMaps, mapAt } from "./maps";
export type * from "./types";
export { PAYLOAD_VERSION } from "./types";
export { decodePayload } from "./validate";
