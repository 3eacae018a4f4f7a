/**
 * Zooming into a long input's map: the heatmap starts on the pooled overview (`PayloadSite.maps`
 * with bins > 1); a window the user zooms to is drawn from the finest data at hand: an exact tile
 * asked from the host (`requestTile`, a live widget's kernel), else the finest precomputed tile
 * level of the payload that covers it (`AttentionPayload.tiles`), else the overview itself.
 * Windows are in the site's map coordinates: rows [0, T) and columns [0, S).
 */
import { mapAt } from "../payload/maps";
import type { AttentionPayload, PayloadSite, PayloadTileLevel } from "../payload/types";
import { axisTokens } from "./labels";
import type { MatrixView } from "./matrix";

/** A window of one map: rows [r0, r1) × columns [c0, c1), in map positions. */
export interface TokenWindow {
  rows: [number, number];
  cols: [number, number];
}

/** An exact window of one head's map, as the host is asked for it (kernel-lib's TileRequest). */
export interface TileRequest {
  site: string;
  /** The sample (payload sample index; a live widget's payload keeps every sample of its run). */
  batch: number;
  head: number;
  rows: [number, number];
  cols: [number, number];
  /**
   * Absent or 1: the exact window. Above 1: the window pooled into bin × bin cells from its first
   * row and column (for windows too large to send exactly), ⌈rows / bin⌉ × ⌈cols / bin⌉ values.
   */
  bin?: number;
}

/** The host's answer: the window's weights (or pooled cells), row-major. */
export interface TileAnswer {
  data: Float32Array;
}

/** Asks the host (a live widget's kernel) for exact weights of a window. */
export type RequestTile = (request: TileRequest) => Promise<TileAnswer>;

/** Where a zoomable matrix's cells lie in its site's map. */
export interface ZoomInfo {
  site: string;
  sample: number;
  head: number;
  /** Map row and column of cell (0, 0). */
  origin: [number, number];
  /** Tokens per cell along [rows, cols]. */
  bin: [number, number];
  /** The map's [T, S]. */
  extent: [number, number];
  /** Where the values came from. */
  from: "overview" | "tiles" | "host";
}

/** Most cells asked from the host at once (kernel-lib's MAX_TILE_CELLS). */
export const MAX_REQUEST_CELLS = 1024 * 1024;
/** Cells per axis the plot can show one per pixel: finer data than that is not asked for. */
export const ZOOM_CELLS = 560;

/** The window in map positions that cells [r0, r1) × [c0, c1) of a zoomable matrix cover. */
export function cellsToWindow(z: ZoomInfo, rows: [number, number], cols: [number, number]): TokenWindow {
  const span = (o: number, b: number, [a, e]: [number, number], n: number): [number, number] => [
    Math.min(n, o + a * b),
    Math.min(n, o + e * b),
  ];
  return { rows: span(z.origin[0], z.bin[0], rows, z.extent[0]), cols: span(z.origin[1], z.bin[1], cols, z.extent[1]) };
}

function levelCovers(level: PayloadTileLevel, z: Pick<ZoomInfo, "site" | "sample" | "head">): boolean {
  return level.tiles.some((t) => t.site === z.site && t.sample === z.sample && t.head === z.head);
}

/** Values of window `w` at `level`'s bins, from its tiles; null when a tile is missing. */
function fromTiles(
  level: PayloadTileLevel,
  size: number,
  z: Pick<ZoomInfo, "site" | "sample" | "head">,
  w: TokenWindow,
): { values: Float32Array; R: number; C: number; origin: [number, number] } | null {
  const [by, bx] = level.bin;
  const r0 = Math.floor(w.rows[0] / by);
  const r1 = Math.ceil(w.rows[1] / by);
  const c0 = Math.floor(w.cols[0] / bx);
  const c1 = Math.ceil(w.cols[1] / bx);
  const R = r1 - r0;
  const C = c1 - c0;
  const values = new Float32Array(R * C);
  const tiles = new Map<string, (typeof level.tiles)[number]>();
  for (const t of level.tiles)
    if (t.site === z.site && t.sample === z.sample && t.head === z.head) tiles.set(`${t.origin[0]},${t.origin[1]}`, t);
  for (let ti = Math.floor(r0 / size); ti * size < r1; ti++)
    for (let tj = Math.floor(c0 / size); tj * size < c1; tj++) {
      const tile = tiles.get(`${ti * size * by},${tj * size * bx}`);
      if (!tile) return null;
      const [, , ty, tx] = tile.maps.dims;
      const data = mapAt(tile.maps, 0, 0);
      for (let y = Math.max(r0, ti * size); y < Math.min(r1, ti * size + ty); y++)
        for (let x = Math.max(c0, tj * size); x < Math.min(c1, tj * size + tx); x++)
          values[(y - r0) * C + (x - c0)] = data[(y - ti * size) * tx + (x - tj * size)];
    }
  return { values, R, C, origin: [r0 * by, c0 * bx] };
}

function maxOf(values: Float32Array): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m;
}

/**
 * The matrix of window `w` of `base`'s map (base: the site's overview matrix, with `zoom`), from the
 * finest data at hand. `requestTile` is tried first when the window is small enough to ask for.
 */
export async function zoomMatrix(
  payload: AttentionPayload,
  base: MatrixView,
  w: TokenWindow,
  requestTile?: RequestTile,
): Promise<MatrixView> {
  const z = base.zoom;
  if (!z) throw new Error("attnlens: this map cannot be zoomed into");
  const site = payload.sites.find((s) => s.id === z.site) as PayloadSite;
  const nr = w.rows[1] - w.rows[0];
  const nc = w.cols[1] - w.cols[0];
  let got: { values: Float32Array; R: number; C: number; origin: [number, number]; bin: [number, number] } | null =
    null;
  let from: ZoomInfo["from"] = "overview";
  let failure: string | undefined;
  if (requestTile) {
    // Exact when the window is small enough to send, else pooled by the host to about screen size.
    const bin = nr * nc <= MAX_REQUEST_CELLS ? 1 : Math.ceil(Math.max(nr, nc) / ZOOM_CELLS);
    const R = Math.ceil(nr / bin);
    const C = Math.ceil(nc / bin);
    try {
      const request: TileRequest = { site: z.site, batch: z.sample, head: z.head, rows: w.rows, cols: w.cols };
      const answer = await requestTile(bin > 1 ? { ...request, bin } : request);
      if (!(answer?.data instanceof Float32Array) || answer.data.length !== R * C)
        throw new Error(`the host answered ${answer?.data?.length ?? "no"} values for ${R}×${C} cells`);
      got = { values: answer.data, R, C, origin: [w.rows[0], w.cols[0]], bin: [bin, bin] };
      from = "host";
    } catch (e) {
      failure = (e as Error).message;
    }
  }
  if (!got) {
    // The coarsest level that still gives about one cell per pixel, else the finest there is.
    const wanted = Math.max(1, Math.floor(Math.max(nr, nc) / ZOOM_CELLS));
    const levels = (payload.tiles?.levels ?? []).filter(
      (l) => levelCovers(l, z) && Math.max(...l.bin) < Math.max(...z.bin),
    );
    const fine = levels.filter((l) => Math.max(...l.bin) <= wanted);
    const pick = fine.length > 0 ? fine[0] : levels[levels.length - 1];
    const tiled = pick ? fromTiles(pick, payload.tiles!.size, z, w) : null;
    if (tiled && pick) {
      got = { ...tiled, bin: pick.bin };
      from = "tiles";
    }
  }
  if (!got) {
    // The overview's own cells over the window.
    const [by, bx] = z.bin;
    const r0 = Math.floor(w.rows[0] / by);
    const r1 = Math.ceil(w.rows[1] / by);
    const c0 = Math.floor(w.cols[0] / bx);
    const c1 = Math.ceil(w.cols[1] / bx);
    const values = new Float32Array((r1 - r0) * (c1 - c0));
    for (let y = r0; y < r1; y++)
      for (let x = c0; x < c1; x++) values[(y - r0) * (c1 - c0) + (x - c0)] = base.values[y * base.C + x];
    got = { values, R: r1 - r0, C: c1 - c0, origin: [r0 * by, c0 * bx], bin: z.bin };
  }
  const offset = site.rowOffset ?? 0;
  const rows = axisTokens(payload.tokens[site.rows]!, z.sample, got.R, got.bin[0], offset + got.origin[0]);
  const cols = axisTokens(payload.tokens[site.cols]!, z.sample, got.C, got.bin[1], got.origin[1]);
  const exact = got.bin[0] === 1 && got.bin[1] === 1;
  const detail =
    from === "host"
      ? exact
        ? "exact weights from the kernel"
        : `${got.bin[0]}×${got.bin[1]} tokens per cell from the kernel (zoom in for exact weights)`
      : exact
        ? "exact weights (precomputed tiles)"
        : `${got.bin[0]}×${got.bin[1]} tokens per cell (${from === "tiles" ? "finest precomputed tiles" : "overview"})`;
  return {
    values: got.values,
    R: got.R,
    C: got.C,
    rows,
    cols,
    max: maxOf(got.values),
    title: base.title,
    measure: exact ? "weight" : "mass (pooled)",
    note: failure ? `${detail}; the kernel did not answer: ${failure}` : detail,
    zoom: { ...z, origin: got.origin, bin: got.bin, from },
  };
}
