/** Checking that a value is a payload this version can show, with messages that say what is wrong. */
import {
  type AttentionPayload,
  type EncodedMaps,
  PAYLOAD_VERSION,
  type PayloadImage,
  type PayloadTiles,
  type StreamName,
  type TokenStream,
} from "./types";

function fail(message: string): never {
  throw new Error(`attnlens payload: ${message}`);
}

function isDims(d: unknown): d is [number, number, number, number] {
  return Array.isArray(d) && d.length === 4 && d.every((n) => Number.isInteger(n) && n >= 0);
}

function checkMaps(where: string, maps: EncodedMaps, B: number, rows: number, cols: number): void {
  if (maps.dtype !== "uint8" && maps.dtype !== "float16") fail(`${where}: unknown dtype ${String(maps.dtype)}`);
  if (!isDims(maps.dims) || maps.dims[0] !== B) fail(`${where}: dims must be [B=${B}, H, Ty, Sx]`);
  const [, H, Ty, Sx] = maps.dims;
  const [by, bx] = maps.bin ?? [];
  if (!(by >= 1 && bx >= 1)) fail(`${where}: bin must be two integers ≥ 1`);
  if (Ty !== Math.ceil(rows / by) || Sx !== Math.ceil(cols / bx)) {
    fail(`${where}: stored ${Ty}×${Sx} does not match ${rows}×${cols} tokens in bins of ${by}×${bx}`);
  }
  if (!Array.isArray(maps.scale) || maps.scale.length !== B * H) fail(`${where}: scale needs B·H = ${B * H} values`);
  if (typeof maps.data !== "string") fail(`${where}: data must be a base64 string`);
}

function checkStream(name: StreamName, s: TokenStream, B: number): void {
  if (!Array.isArray(s.text) || s.text.length !== B) fail(`tokens.${name}.text needs one list per sample (${B})`);
  for (const row of s.text)
    if (!row.every((t) => typeof t === "string")) fail(`tokens.${name}: tokens must be strings`);
  if (!Array.isArray(s.special) || !Array.isArray(s.padding)) fail(`tokens.${name}: special and padding are required`);
}

/** Accepts the payload object or its JSON text; returns it typed, or throws. */
export function decodePayload(value: unknown): AttentionPayload {
  const p = (typeof value === "string" ? JSON.parse(value) : value) as AttentionPayload;
  if (!p || typeof p !== "object") fail("not an object");
  if (p.v !== PAYLOAD_VERSION) fail(`version ${String(p.v)} is not supported (this viewer reads v${PAYLOAD_VERSION})`);
  const B = p.samples;
  if (!(Number.isInteger(B) && B >= 1)) fail("samples must be a positive integer");
  if (!p.tokens || typeof p.tokens !== "object") fail("tokens missing");
  for (const name of ["source", "target"] as const) {
    const s = p.tokens[name];
    if (s) checkStream(name, s, B);
  }
  if (!Array.isArray(p.sites)) fail("sites must be a list");
  for (const site of p.sites) {
    if (!isDims(site.dims)) fail(`site ${site.id}: dims must be [B, H, T, S]`);
    const [, H, T, S] = site.dims;
    const offset = site.rowOffset ?? 0;
    if (!(Number.isInteger(offset) && offset >= 0)) fail(`site ${site.id}: rowOffset must be an integer ≥ 0`);
    for (const axis of [site.rows, site.cols]) {
      const stream = p.tokens[axis];
      if (!stream) fail(`site ${site.id}: no tokens.${axis}`);
      const want = axis === site.cols ? S : offset + T;
      if (axis === site.rows && axis === site.cols && offset + T !== S)
        fail(`site ${site.id}: rows ${offset}…${offset + T - 1} do not end at the last of the S = ${S} positions`);
      if (stream.text.some((row) => row.length !== want)) {
        fail(
          `site ${site.id}: tokens.${axis} lengths differ from the site's ${axis === site.cols ? "S" : "rowOffset + T"}`,
        );
      }
    }
    if (site.maps) checkMaps(`site ${site.id} maps`, site.maps, B, T, S);
    if (site.overview) checkMaps(`site ${site.id} overview`, site.overview, B, T, S);
    if (site.maps && site.maps.dims[1] !== H)
      fail(`site ${site.id}: maps hold ${site.maps.dims[1]} heads, site has ${H}`);
  }
  for (const probe of Object.values(p.probes ?? {})) {
    if (!probe) continue;
    for (const maps of [probe.maps, probe.cross]) {
      if (maps) checkMaps(probe.method, maps, B, maps.dims[2] * maps.bin[0], maps.dims[3] * maps.bin[1]);
    }
  }
  if (p.image) checkImage(p.image, B);
  if (p.tiles !== undefined) checkTiles(p.tiles, p, B);
  return p;
}

/** Most tiles a payload may carry (a report's pyramid is a few thousand at most). */
const MAX_TILES = 100_000;

function checkTiles(tiles: PayloadTiles, p: AttentionPayload, B: number): void {
  if (!tiles || typeof tiles !== "object" || !Array.isArray(tiles.levels))
    fail("tiles: expected {size, levels: [...]}");
  const size = tiles.size;
  if (!(Number.isInteger(size) && size >= 1)) fail("tiles.size must be an integer ≥ 1");
  const sites = new Map(p.sites.map((s) => [s.id, s]));
  let count = 0;
  tiles.levels.forEach((level, k) => {
    const [by, bx] = (Array.isArray(level?.bin) ? level.bin : [0, 0]) as [number, number];
    if (!(Number.isInteger(by) && Number.isInteger(bx) && by >= 1 && bx >= 1))
      fail(`tiles.levels[${k}].bin must be two integers ≥ 1`);
    if (!Array.isArray(level.tiles)) fail(`tiles.levels[${k}].tiles must be a list`);
    count += level.tiles.length;
    if (count > MAX_TILES) fail(`tiles: more than ${MAX_TILES} tiles`);
    level.tiles.forEach((tile, i) => {
      const where = `tiles.levels[${k}].tiles[${i}]`;
      const site = sites.get(tile?.site);
      if (!site) fail(`${where}: no site ${String(tile?.site).slice(0, 60)}`);
      const [, H, T, S] = site.dims;
      if (!(Number.isInteger(tile.sample) && tile.sample >= 0 && tile.sample < B))
        fail(`${where}: sample out of range`);
      if (!(Number.isInteger(tile.head) && tile.head >= 0 && tile.head < H)) fail(`${where}: head out of range`);
      const [r0, c0] = (Array.isArray(tile.origin) ? tile.origin : [-1, -1]) as [number, number];
      const ok = (o: number, step: number, n: number) => Number.isInteger(o) && o >= 0 && o < n && o % step === 0;
      if (!ok(r0, size * by, T) || !ok(c0, size * bx, S))
        fail(`${where}: origin must be multiples of size·bin inside the site's ${T}×${S} map`);
      const maps = tile.maps;
      if (!maps || maps.bin?.[0] !== by || maps.bin?.[1] !== bx) fail(`${where}: maps.bin must equal the level's bin`);
      if (maps.dims?.[1] !== 1) fail(`${where}: maps must hold one head`);
      checkMaps(where, maps, 1, Math.min(T - r0, size * by), Math.min(S - c0, size * bx));
    });
  });
}

function checkImage(img: PayloadImage, B: number): void {
  const dims = [img.width, img.height, img.rows, img.cols];
  if (!dims.every((n) => Number.isInteger(n) && n > 0) || !(Number.isInteger(img.prefix) && img.prefix >= 0))
    fail("image: width, height, rows, cols must be positive integers and prefix ≥ 0");
  if (!Array.isArray(img.urls) || img.urls.length !== B) fail(`image.urls needs one picture per sample (${B})`);
  // Only inline PNG/JPEG pictures: the views never fetch anything.
  for (const url of img.urls)
    if (typeof url !== "string" || !/^data:image\/(png|jpeg);base64,[A-Za-z0-9+/=]*$/.test(url))
      fail("image.urls must be data:image/png or data:image/jpeg base64 URLs");
}
