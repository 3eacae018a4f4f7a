export { type TiledInput, type TiledPayloadOptions, tiledPayload, tiledPayloadFrom } from "./encode";
export { OVERVIEW_CELLS, TILE_CELLS, TILED_PAYLOAD_MAX_BYTES } from "./plan";
export { type PooledLevel, PooledLevels } from "./pooledLevels";
export { checkTileRequest, MAX_TILE_CELLS } from "./request";
