/**
 * Lazy attention (issue 14): a run that keeps, per site, what the probabilities are computed from
 * (queries and keys after positional transforms, the mask and any additive bias) instead of the
 * [B, H, T, S] maps, which grow as T² and stop fitting at a few thousand tokens. Any row block or
 * tile is recomputed exactly on demand. Sites whose score chain cannot be captured keep their full
 * map (`mode: "full"`, with the reason).
 *
 * This file is the contract between extraction (run/lazy/), streamed metrics (analysis/metrics at
 * scale) and long-input views (output/tiles): they meet only through these types.
 */
import type { AttentionResult, SiteLabel } from "./types";

/** How a site's probabilities are held in a lazy result. */
export type LazyMode = "lazy" | "full";

/** One site of a lazy run: its label, the dims its map would have, and how it is held. */
export interface LazySite extends SiteLabel {
  /** [batch, heads, target, source] of the map this site would return. */
  dims: [number, number, number, number];
  /** "lazy": recomputed from queries/keys on demand; "full": the map itself is held. */
  mode: LazyMode;
  /** Why a site is held "full" (its bias could not be captured, …); absent for lazy sites. */
  reason?: string;
  /** Bytes held for this site (queries, keys, side tensors; or the map when full). */
  bytes: number;
}

/** Rows [start, end) of one sample's map, all sources: data[(h·r + t)·S + s], dims [1, h, r, S]. */
export interface RowBlock {
  site: string;
  batch: number;
  rows: [number, number];
  /** The heads in this block, in order (all heads unless asked otherwise). */
  heads: number[];
  data: Float32Array;
  dims: [1, number, number, number];
}

/** An exact window of one head's map: rows [r0, r1) × sources [c0, c1). */
export interface TileRequest {
  site: string;
  batch: number;
  head: number;
  rows: [number, number];
  cols: [number, number];
}

/** A tile's probabilities, row-major [rows, cols]. */
export interface Tile extends TileRequest {
  data: Float32Array;
}

/**
 * Anything that hands out exact row blocks and tiles of attention maps: a lazy result, or a full
 * result wrapped (`rowSourceOf` in output/tiles). Metrics at scale and long-input views read maps
 * only through this.
 */
export interface RowSource {
  /** Every site, in (stack, layer) order, with its map dims. */
  readonly sites: readonly LazySite[];
  /** Exact probabilities of rows [start, end) of sample `batch`, for `heads` (default: all). */
  rows(site: string, batch: number, rows: [number, number], heads?: readonly number[]): Promise<RowBlock>;
  /** Exact probabilities of one head's window. */
  tile(request: TileRequest): Promise<Tile>;
}

/**
 * What `AttentionModel.runLazy` / `TextModel.runLazy` return: everything an AttentionResult has
 * except the maps (tokens, masks, ids, outputs, provider), plus a RowSource over every site.
 */
export interface LazyResult extends Omit<AttentionResult, "sites">, RowSource {
  /** Total bytes held for all sites (compare with what the full maps would take: `fullBytes`). */
  readonly bytes: number;
  /** Bytes the full maps of every site would take as float32. */
  readonly fullBytes: number;
  /** Frees the sessions and tensors behind the row source; later calls fail with a clear error. */
  release(): Promise<void>;
}
