/**
 * What a long-input payload holds, decided before any map is read: per site the overview bins (the
 * heatmap's pooled maps, ≤ `cells` per axis, and the head grid's thumbnails), then zoom levels of
 * tiles, coarse to fine (2× finer each, down to exact weights), kept while the payload stays within
 * its byte budget.
 */
import type { MapDtype } from "@attnlens/widgets";
import { AttnlensError } from "../../errors";
import type { LazySite } from "../../result/lazy";
import { formatBytes } from "../../util/bytes";
import { blockBytes } from "../payload/budget";
import { binSize } from "../payload/pool";

/** Default cells per axis of the pooled overview of a long input's maps. */
export const OVERVIEW_CELLS = 256;
/** Default cells per tile side. */
export const TILE_CELLS = 256;
/** Default size budget of a long-input payload (a report section): 20 MB. */
export const TILED_PAYLOAD_MAX_BYTES = 20 * 1000 * 1000;

/** JSON around one tile besides its data (site id, head, origin, scale, keys). */
const TILE_OVERHEAD = 160;

export interface SitePlan {
  site: Pick<LazySite, "id" | "dims">;
  /** Bins of the heatmap's overview (`PayloadSite.maps`). */
  maps: [number, number];
  /** Bins of the head grid's thumbnails, when they differ from `maps`. */
  overview?: [number, number];
  /** Tile levels of this site (indices into `TiledPlan.levels`), those finer than `maps`. */
  levels: number[];
}

export interface TiledPlan {
  sites: SitePlan[];
  /** Tokens per cell of each tile level, coarsest first. */
  levels: number[];
  /** Levels left out for the budget (coarsest first). */
  dropped: number[];
  bytes: number;
}

/** Encoded bytes of one level's tiles of one map of T × S at `bin` tokens per cell. */
export function levelBytes(T: number, S: number, bin: number, tile: number, dtype: MapDtype): number {
  const span = tile * bin;
  let bytes = 0;
  for (let r = 0; r < T; r += span)
    for (let c = 0; c < S; c += span) {
      const ty = Math.ceil(Math.min(span, T - r) / bin);
      const tx = Math.ceil(Math.min(span, S - c) / bin);
      bytes += blockBytes([1, 1, ty, tx], dtype) + TILE_OVERHEAD;
    }
  return bytes;
}

export interface PlanOptions {
  samples: number;
  cells: number;
  overviewCells: number;
  tileCells: number;
  dtype: MapDtype;
  maxBytes: number;
  /** False: no tile levels (a live widget asks its kernel instead). */
  tiles: boolean;
  /** Bytes already taken (tokens, metrics). */
  baseBytes: number;
}

export function planTiles(sites: readonly Pick<LazySite, "id" | "dims">[], o: PlanOptions): TiledPlan {
  let bytes = o.baseBytes;
  const plans: SitePlan[] = sites.map((site) => {
    const [, H, T, S] = site.dims;
    const maps: [number, number] = [binSize(T, o.cells), binSize(S, o.cells)];
    const plan: SitePlan = { site, maps, levels: [] };
    bytes += blockBytes([o.samples, H, Math.ceil(T / maps[0]), Math.ceil(S / maps[1])], o.dtype);
    if (Math.max(Math.ceil(T / maps[0]), Math.ceil(S / maps[1])) > o.overviewCells) {
      plan.overview = [binSize(T, o.overviewCells), binSize(S, o.overviewCells)];
      bytes += blockBytes([o.samples, H, Math.ceil(T / plan.overview[0]), Math.ceil(S / plan.overview[1])], o.dtype);
    }
    return plan;
  });
  if (bytes > o.maxBytes) {
    throw new AttnlensError(
      "TOO_LARGE",
      `tiled payload: the overviews alone would be ${formatBytes(bytes)}, above the limit of ${formatBytes(o.maxBytes)} ` +
        `(maxBytes); lower cells (now ${o.cells} per axis), keep fewer samples, or raise maxBytes.`,
    );
  }
  const coarsest = Math.max(1, ...plans.map((p) => Math.max(...p.maps)));
  const candidates: number[] = [];
  // 2× per level: the finest level that fits the budget is as fine as it can be (4× would skip
  // one in two), and the coarser ones add at most a third of its size.
  for (let b = Math.ceil(coarsest / 2); coarsest > 1; b = Math.ceil(b / 2)) {
    candidates.push(b);
    if (b === 1) break;
  }
  const levels: number[] = [];
  const dropped: number[] = [];
  for (const bin of o.tiles ? candidates : []) {
    if (dropped.length > 0) {
      dropped.push(bin);
      continue;
    }
    let cost = 0;
    for (const p of plans) {
      if (Math.max(...p.maps) <= bin) continue;
      const [, H, T, S] = p.site.dims;
      cost += o.samples * H * levelBytes(T, S, bin, o.tileCells, o.dtype);
    }
    if (bytes + cost > o.maxBytes) {
      dropped.push(bin);
      continue;
    }
    bytes += cost;
    const k = levels.push(bin) - 1;
    for (const p of plans) if (Math.max(...p.maps) > bin) p.levels.push(k);
  }
  return { sites: plans, levels, dropped, bytes };
}
