/**
 * Long inputs in a live widget: the front end zooms into a pooled overview and asks for the exact
 * weights of the window with a custom message `{event: "tile", id, site, batch, head, rows, cols}`;
 * the kernel answers `{event: "tile", id, site, batch, head, rows, cols}` with the tile's float32
 * bytes (row-major [rows, cols], little-endian) as the message's one buffer, or
 * `{event: "tile", id, error}` without a buffer. A request is checked before anything is computed
 * (site, sample, head, ranges inside the map, at most MAX_TILE_CELLS cells); nothing it holds
 * throws into the kernel. Requests are answered one at a time, so memory stays one tile.
 */

import type { RowSource } from "../../result/lazy";
import { rowSourceOf } from "../../result/rowSource";
import type { AttentionResult } from "../../result/types";
import { ATTNLENS_MIME, DISPLAY_MAX_BYTES } from "../display/bundle";
import { renderOptions } from "../display/static";
import type { DisplayBundle, ShowOptions } from "../display/types";
import { type TiledInput, tiledPayloadFrom } from "../tiles/encode";
import { pooledTile } from "../tiles/pooledTile";
import { checkTileRequest } from "../tiles/request";

/** A lazy result (`runLazy`), or any RowSource that carries its run's tokens and masks. */
export type LongInput = RowSource & Omit<TiledInput, "sites">;

/** True for a full result (its sites hold their maps), false for a RowSource without them. */
export function isFullResult(x: AttentionResult | LongInput): x is AttentionResult {
  return Array.isArray(x.sites) && x.sites.every((s) => (s as { data?: unknown }).data instanceof Float32Array);
}

/** The RowSource tiles are read from (with its run's masks): the input itself, or a full result's maps. */
export function tileSourceOf(x: AttentionResult | LongInput): TileSource {
  return isFullResult(x) ? Object.assign(rowSourceOf(x), { masks: x.masks }) : x;
}

/** A RowSource and, where known, its run's valid-position masks (for pooled tiles). */
export type TileSource = RowSource & { masks?: AttentionResult["masks"] };

/** The bundle of a long input held as a RowSource: the pooled overview (no pyramid: the kernel answers zooms). */
export async function longInputBundle(source: LongInput, options: ShowOptions): Promise<DisplayBundle> {
  const payload = await tiledPayloadFrom(source, {
    title: options.title,
    samples: options.samples,
    quantization: options.quantization,
    metrics: options.metrics || undefined,
    maxBytes: options.maxBytes ?? DISPLAY_MAX_BYTES,
    tiles: false,
    fitCells: true,
  });
  const [, H, T, S] = source.sites[0].dims;
  const text =
    `attnlens: ${source.sites.length} attention sites × ${H} heads over ${T} × ${S} positions (long input: ` +
    "pooled overview; zoom in the live view for exact tiles from the kernel)";
  const selection = { view: options.view, site: options.site, head: options.head, sample: options.sample };
  return {
    data: { [ATTNLENS_MIME]: payload, "text/plain": text },
    metadata: { [ATTNLENS_MIME]: renderOptions(payload, selection) },
    notes: payload.notes ?? [],
  };
}

type Reply = (content: Record<string, unknown>, buffers?: Uint8Array[]) => void;

/** Answers tile requests from `source()` (read at each request: `update` may swap it), one at a time. */
export class TileAnswerer {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly source: () => TileSource,
    private readonly reply: Reply,
  ) {}

  /** Queues the answer to one `{event: "tile", …}` message; never throws. */
  answer(content: Record<string, unknown>): Promise<void> {
    const id = typeof content.id === "string" || Number.isInteger(content.id) ? String(content.id).slice(0, 64) : null;
    this.queue = this.queue.then(() => this.one(id, content));
    return this.queue;
  }

  private async one(id: string | null, content: Record<string, unknown>): Promise<void> {
    const fail = (error: string) => this.reply({ event: "tile", id, error });
    try {
      if (id === null) return fail("a tile request needs an id (a string or an integer)");
      const source = this.source();
      const request = checkTileRequest(source.sites, content);
      if (typeof request === "string") return fail(`refused a tile request: ${request}`);
      const site = source.sites.find((s) => s.id === request.site)!;
      const mask = source.masks?.[site.stack] ?? source.masks?.encoder;
      const { bin, ...exact } = request;
      const tile = bin && bin > 1 ? await pooledTile(source, { ...exact, bin }, mask) : await source.tile(exact);
      const bytes = new Uint8Array(tile.data.buffer, tile.data.byteOffset, tile.data.byteLength);
      this.reply({ event: "tile", id, ...request }, [bytes]);
    } catch (e) {
      fail(`cannot compute this tile: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
