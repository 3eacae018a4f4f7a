/**
 * Long inputs → payload v1 with a tile pyramid. Maps are read as row blocks (from a full result or
 * any RowSource, e.g. a lazy result) and pooled on the fly: the payload's `maps` are an overview of
 * at most `cells` per axis, `overview` the head grid's thumbnails, and `tiles` finer zoom levels down
 * to exact weights where the byte budget allows. Memory: one row block plus one site's pooled levels.
 *
 * The reading is written once, as a generator that asks for row blocks; `tiledPayload` answers from
 * a full result's maps (synchronously, for reports), `tiledPayloadFrom` from a RowSource.
 */
import type {
  AttentionPayload,
  MapDtype,
  PayloadSite,
  PayloadTile,
  PayloadTileLevel,
  StreamName,
  TokenStream,
} from "@attnlens/widgets";
import type { ResultMetrics } from "../../analysis/metrics/analyze";
import { AttnlensError } from "../../errors";
import type { LazySite, RowBlock, RowSource } from "../../result/lazy";
import type { AttentionResult } from "../../result/types";
import { jsonBytes } from "../payload/budget";
import { resolveMetrics, siteTables } from "../payload/extras";
import { quantizeMaps } from "../payload/quantize";
import { rowOffsetOf, siteAxes, streamLengths, tokenStream } from "../payload/tokens";
import { OVERVIEW_CELLS, planTiles, TILE_CELLS, TILED_PAYLOAD_MAX_BYTES, type TiledPlan } from "./plan";
import { PooledLevels } from "./pooledLevels";

/** Options of `tiledPayload` / `tiledPayloadFrom`. */
export interface TiledPayloadOptions {
  /** A caption for the views. */
  title?: string;
  /** Samples to keep, by index (default: all). */
  samples?: number[];
  /** Cells per axis of the heatmap's pooled overview (default 256). */
  cells?: number;
  /** Cells per axis of the head-grid thumbnails (default 32). */
  overviewTokens?: number;
  /** Precompute zoom levels of tiles (default true); a live widget asks its kernel instead. */
  tiles?: boolean;
  /** Cells per tile side (default 256). */
  tileCells?: number;
  /** uint8 (default) or float16. */
  quantization?: MapDtype;
  /** Size budget of the payload in bytes (default 20 MB): finer tile levels are added while it holds. */
  maxBytes?: number;
  /** Per-head metrics to show; computed for a full result unless false; not computed from a RowSource. */
  metrics?: ResultMetrics | false;
  /** Bytes of one streamed row block (default 32 MiB). */
  blockBytes?: number;
  /** When the overviews at `cells` would not fit `maxBytes`, halve `cells` until they do (default false: refuse). */
  fitCells?: boolean;
}

/** What a long-input payload is built from besides the maps: a result without them (a LazyResult is one). */
export type TiledInput = Omit<AttentionResult, "sites"> & { sites: readonly LazySite[] };

interface BlockRequest {
  site: string;
  batch: number;
  rows: [number, number];
}

function* tiledSteps(
  input: TiledInput,
  options: TiledPayloadOptions,
  metrics: ResultMetrics | undefined,
  notes: string[],
): Generator<BlockRequest, AttentionPayload, RowBlock> {
  if (input.sites.length === 0) throw new AttnlensError("BAD_INPUT", "tiledPayload: the result has no sites");
  const dtype = options.quantization ?? "uint8";
  if (dtype !== "uint8" && dtype !== "float16")
    throw new AttnlensError(
      "BAD_INPUT",
      `tiledPayload: quantization must be "uint8" or "float16", got ${String(dtype)}`,
    );
  const positive = (name: string, v: number | undefined, dflt: number) => {
    const x = v ?? dflt;
    if (!(Number.isInteger(x) && x >= 1))
      throw new AttnlensError("BAD_INPUT", `tiledPayload: ${name} must be an integer ≥ 1, got ${x}`);
    return x;
  };
  const cells = positive("cells", options.cells, OVERVIEW_CELLS);
  const tileCells = positive("tileCells", options.tileCells, TILE_CELLS);
  const overviewCells = positive("overviewTokens", options.overviewTokens, 32);
  const B = input.sites[0].dims[0];
  const samples = options.samples ?? Array.from({ length: B }, (_, b) => b);
  for (const b of samples)
    if (!(Number.isInteger(b) && b >= 0 && b < B))
      throw new AttnlensError("BAD_INPUT", `tiledPayload: no sample ${b}; samples are 0…${B - 1}`);
  const asResult = input as unknown as AttentionResult;
  const lengths = streamLengths(asResult);
  const tokens: Partial<Record<StreamName, TokenStream>> = {};
  for (const [name, n] of Object.entries(lengths) as [StreamName, number][])
    tokens[name] = tokenStream(asResult, name, n, samples, [0, n]);
  const planOf = (c: number) =>
    planTiles(input.sites, {
      samples: samples.length,
      cells: c,
      overviewCells,
      tileCells,
      dtype,
      maxBytes: options.maxBytes ?? TILED_PAYLOAD_MAX_BYTES,
      tiles: options.tiles ?? true,
      // Metric tables and pattern labels: a few hundred bytes per head.
      baseBytes: 4096 + jsonBytes(tokens) + (metrics ? 400 * input.sites.reduce((n, s) => n + s.dims[1], 0) : 0),
    });
  let plan: TiledPlan | undefined;
  // fitCells: halve the overview's cells until it fits (a notebook output's 2 MiB holds 64² cells
  // of 144 heads, not 256²); the zooms then ask the kernel for the rest.
  for (let c = cells; !plan; c = Math.floor(c / 2)) {
    try {
      plan = planOf(c);
      if (c < cells) notes.push(`overview pooled to ${c} cells per axis to stay within maxBytes`);
    } catch (e) {
      if (!options.fitCells || c <= 16) throw e;
    }
  }
  const levels: PayloadTileLevel[] = plan.levels.map((bin) => ({ bin: [bin, bin], tiles: [] }));
  const blockBytes = options.blockBytes ?? 32 * 1024 * 1024;
  const sites: PayloadSite[] = [];
  for (const sp of plan.sites) {
    const site = input.sites.find((s) => s.id === sp.site.id)!;
    const [, H, T, S] = site.dims;
    const { rows, cols } = siteAxes(site);
    const offset = rowOffsetOf(site);
    const bins: [number, number][] = [sp.maps, ...(sp.overview ? [sp.overview] : [])];
    for (const k of sp.levels) bins.push(levels[k].bin);
    const step = Math.max(1, Math.floor(blockBytes / (4 * H * S)));
    const mapsData: Float32Array[] = [];
    const overviewData: Float32Array[] = [];
    for (let k = 0; k < samples.length; k++) {
      const padding = new Set(tokens[rows]!.padding[k]);
      const valid = new Uint8Array(T);
      for (let t = 0; t < T; t++) valid[t] = padding.has(t + offset) ? 0 : 1;
      const acc = new PooledLevels([H, T, S], bins, valid);
      for (let r0 = 0; r0 < T; r0 += step) {
        const request: BlockRequest = { site: site.id, batch: samples[k], rows: [r0, Math.min(T, r0 + step)] };
        acc.add(yield request);
      }
      const pooled = acc.finish();
      mapsData.push(pooled[0].data);
      if (sp.overview) overviewData.push(pooled[1].data);
      sp.levels.forEach((level, i) => {
        levels[level].tiles.push(...cutTiles(pooled[bins.length - sp.levels.length + i], site.id, k, tileCells, dtype));
      });
    }
    const stack = (parts: Float32Array[]) => {
      const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    };
    const dimsOf = (bin: [number, number]): [number, number, number, number] => [
      samples.length,
      H,
      Math.ceil(T / bin[0]),
      Math.ceil(S / bin[1]),
    ];
    const out: PayloadSite = {
      id: site.id,
      stack: site.stack,
      kind: site.kind,
      layer: site.layer,
      heads: H,
      causal: site.causal,
      rows,
      cols,
      ...(offset > 0 ? { rowOffset: offset } : {}),
      dims: [samples.length, H, T, S],
      maps: quantizeMaps(stack(mapsData), dimsOf(sp.maps), dtype, sp.maps),
    };
    if (sp.overview) out.overview = quantizeMaps(stack(overviewData), dimsOf(sp.overview), dtype, sp.overview);
    if (metrics) Object.assign(out, siteTables(metrics, site.id));
    sites.push(out);
  }
  notes.push(...tiledNotes(plan, tileCells));
  const payload: AttentionPayload = { v: 1, samples: samples.length, tokens, sites };
  if (options.title) payload.title = options.title;
  if (levels.length > 0) payload.tiles = { size: tileCells, levels };
  if (notes.length > 0) payload.notes = notes;
  return payload;
}

/** One pooled level of one sample cut into tiles of `size` cells, each quantized on its own. */
function cutTiles(
  level: { bin: [number, number]; dims: [number, number, number]; data: Float32Array },
  site: string,
  sample: number,
  size: number,
  dtype: MapDtype,
): PayloadTile[] {
  const [H, Ty, Sx] = level.dims;
  const out: PayloadTile[] = [];
  for (let h = 0; h < H; h++)
    for (let i = 0; i < Ty; i += size)
      for (let j = 0; j < Sx; j += size) {
        const ty = Math.min(size, Ty - i);
        const tx = Math.min(size, Sx - j);
        const data = new Float32Array(ty * tx);
        for (let y = 0; y < ty; y++) {
          const from = (h * Ty + i + y) * Sx + j;
          data.set(level.data.subarray(from, from + tx), y * tx);
        }
        const origin: [number, number] = [i * level.bin[0], j * level.bin[1]];
        out.push({ site, sample, head: h, origin, maps: quantizeMaps(data, [1, 1, ty, tx], dtype, level.bin) });
      }
  return out;
}

function tiledNotes(plan: TiledPlan, tileCells: number): string[] {
  const notes: string[] = [];
  const bins = [...new Set(plan.sites.map((s) => Math.max(...s.maps)))].sort((a, b) => a - b);
  if (bins.some((b) => b > 1))
    notes.push(`long input: maps pooled to ≤ ${bins.join("/")} tokens per cell; zoom in for finer views`);
  const finest = plan.levels[plan.levels.length - 1];
  if (finest !== undefined)
    notes.push(
      `finest zoom level in this page: ${finest === 1 ? "exact weights (1 token per cell)" : `${finest} tokens per cell`}` +
        ` (tiles of ${tileCells} cells, levels ${plan.levels.join(", ")})`,
    );
  if (plan.dropped.length > 0)
    notes.push(
      `zoom levels left out to stay within the size budget (maxBytes; tileBytes in reports): ${plan.dropped.join(", ")} tokens per cell`,
    );
  return notes;
}

function sliceRows(result: AttentionResult, request: BlockRequest): RowBlock {
  const site = result.sites.find((s) => s.id === request.site)!;
  const [, H, T, S] = site.dims;
  const [r0, r1] = request.rows;
  const n = r1 - r0;
  const data = new Float32Array(H * n * S);
  for (let h = 0; h < H; h++) {
    const from = ((request.batch * H + h) * T + r0) * S;
    data.set(site.data.subarray(from, from + n * S), h * n * S);
  }
  const heads = Array.from({ length: H }, (_, h) => h);
  return { site: site.id, batch: request.batch, rows: [r0, r1], heads, data, dims: [1, H, n, S] };
}

function lazySites(result: AttentionResult): LazySite[] {
  return result.sites.map(({ data, ...label }) => ({ ...label, mode: "full", bytes: data.byteLength }));
}

/**
 * Encodes a full result of a long input as payload v1 with pooled overviews and a tile pyramid
 * within `maxBytes` (default 20 MB); what the finest zoom level is goes into the payload's notes.
 */
export function tiledPayload(result: AttentionResult, options: TiledPayloadOptions = {}): AttentionPayload {
  const notes: string[] = [];
  const metrics = resolveMetrics(result, options.metrics ?? undefined, notes);
  const steps = tiledSteps({ ...result, sites: lazySites(result) }, options, metrics, notes);
  let step = steps.next();
  while (!step.done) step = steps.next(sliceRows(result, step.value));
  return step.value;
}

/**
 * The same from any RowSource that carries its run's tokens and masks (a LazyResult, or a full
 * result wrapped by `rowSourceOf` with them): maps are read row block by row block.
 */
export async function tiledPayloadFrom(
  source: RowSource & Omit<TiledInput, "sites">,
  options: TiledPayloadOptions = {},
): Promise<AttentionPayload> {
  const notes: string[] = [];
  const metrics = options.metrics || undefined;
  if (metrics) notes.push(...(metrics.warnings ?? []));
  const input: TiledInput = { ...source, sites: source.sites };
  const steps = tiledSteps(input, options, metrics, notes);
  let step = steps.next();
  while (!step.done) {
    const { site, batch, rows } = step.value;
    step = steps.next(await source.rows(site, batch, rows));
  }
  return step.value;
}
