/**
 * Attention rollout of a RowSource, streamed per layer: each layer's fused map Āℓ [B, T, S] is
 * assembled from row blocks (blocks.ts: checked by the metric pass, fused by aggregate.ts, as
 * rollout.ts does on a full result), then folded into the running product at once, so only one
 * layer's fused map and, per sample, the running product and the layer's Âℓ are alive: at 4,096
 * tokens 64 MiB of fused map and 128 MiB per float64 T × T matrix, never the [L, B, H, T, T]
 * maps. Same arithmetic, in the same order per sample, as `rollout(fullResult)`; encoder–decoder
 * models as there (encoder rolled out first, then the decoder's self and cross layers).
 */
import { AttnlensError } from "../../../errors";
import type { LazySite, RowSource } from "../../../result/lazy";
import type { AttentionResult } from "../../../result/types";
import { fuseWithGeometry } from "../aggregate";
import { defaultStack, stackSites } from "../layers";
import { multiply, residualAdjusted } from "../residual";
import { checkSquare, type Rollout, type RolloutOptions, residualWeight, toFloat32 } from "../rollout";
import { scanSite } from "../scan";
import { DEFAULT_TOLERANCE } from "../validate";
import {
  type BlockOptions,
  contextResult,
  lazySiteGeometry,
  type RowContext,
  siteBlocks,
  yieldToEventLoop,
} from "./blocks";

/** Options of `rolloutSource`: rollout's, and the byte budget of one row block. */
export interface StreamedRolloutOptions extends RolloutOptions, BlockOptions {}

/** One site's fused map Ā [B, T, S], assembled block by block after the metric pass's row checks. */
async function fusedLayer(
  source: RowSource,
  result: AttentionResult,
  site: LazySite,
  options: StreamedRolloutOptions,
): Promise<Float32Array> {
  const geo = lazySiteGeometry(result, site, options);
  const [B, , T, S] = site.dims;
  const fused = new Float32Array(B * T * S);
  for await (const block of siteBlocks(source, site, geo, options.blockBytes)) {
    scanSite(block.site, block.geo, options.tolerance ?? DEFAULT_TOLERANCE, 0, options.kernel, options.threads);
    fused.set(
      fuseWithGeometry(block.site, block.geo, options.fusion, options.heads).data,
      (block.b * T + block.r0) * S,
    );
  }
  await yieldToEventLoop();
  return fused;
}

/** R_b ← Â_b·R_b for every sample b, one layer at a time (the first layer's Â is R itself). */
async function selfRollout(
  source: RowSource,
  result: AttentionResult,
  sites: LazySite[],
  options: StreamedRolloutOptions,
  residual: number,
): Promise<Float64Array[]> {
  const [B, , T] = sites[0].dims;
  const r: (Float64Array | null)[] = new Array(B).fill(null);
  for (const site of sites) {
    const fused = await fusedLayer(source, result, site, options);
    for (let b = 0; b < B; b++) {
      const a = residualAdjusted(fused, b, T, residual);
      const previous = r[b];
      r[b] = previous ? multiply(a, previous, T, T, T) : a;
    }
  }
  return r as Float64Array[];
}

/**
 * Attention rollout (as `rollout`) of a row source, streamed per layer: equal to `rollout` of the
 * full result, in memory bounded by one layer's fused map and two T × T matrices per sample.
 * `context` gives the masks (pass the LazyResult or AttentionResult itself).
 */
export async function rolloutSource(
  source: RowSource,
  context: RowContext,
  options: StreamedRolloutOptions = {},
): Promise<Rollout> {
  const result = contextResult(source, context);
  const stack = options.stack ?? defaultStack(source);
  const fusion = options.fusion ?? "mean";
  const residual = residualWeight(options.residual);
  const selfSites = stackSites(source, stack, "self", options);
  selfSites.forEach(checkSquare);
  const [B, , T] = selfSites[0].dims;
  const layers = selfSites.map((s) => s.layer);
  const crossSites = stack === "decoder" ? stackSites(source, "decoder", "cross", options) : [];
  if (crossSites.length === 0) {
    const r = await selfRollout(source, result, selfSites, options, residual);
    return { stack, layers, fusion, dims: [B, T, T], data: toFloat32(r, T * T) };
  }
  const encoderSites = stackSites(source, "encoder", "self", options.encoderLayers ?? {});
  encoderSites.forEach(checkSquare);
  const S = encoderSites[0].dims[2];
  for (const c of crossSites) {
    if (c.dims[2] !== T || c.dims[3] !== S)
      throw new AttnlensError(
        "BAD_INPUT",
        `site ${c.id}: cross dims [${c.dims.join(", ")}] do not join ${T} decoder tokens to ${S} encoder tokens`,
      );
  }
  const encoder = await selfRollout(source, result, encoderSites, options, residual);
  const rdd = Array.from({ length: B }, () => residualAdjusted(new Float32Array(T * T), 0, T)); // identity
  const rde = Array.from({ length: B }, () => new Float64Array(T * S));
  for (const layer of [...new Set([...layers, ...crossSites.map((s) => s.layer)])].sort((x, y) => x - y)) {
    const self = selfSites.find((s) => s.layer === layer);
    if (self) {
      const fused = await fusedLayer(source, result, self, options);
      for (let b = 0; b < B; b++) {
        const a = residualAdjusted(fused, b, T, residual);
        rdd[b] = multiply(a, rdd[b], T, T, T);
        rde[b] = multiply(a, rde[b], T, T, S);
      }
    }
    const cross = crossSites.find((s) => s.layer === layer);
    if (cross) {
      const fused = await fusedLayer(source, result, cross, options);
      for (let b = 0; b < B; b++) {
        const joined = multiply(Float64Array.from(fused.subarray(b * T * S, (b + 1) * T * S)), encoder[b], T, S, S);
        const dd = rdd[b];
        const de = rde[b];
        for (let k = 0; k < T * T; k++) dd[k] *= residual;
        for (let k = 0; k < T * S; k++) de[k] = residual * de[k] + (1 - residual) * joined[k];
      }
    }
  }
  return {
    stack,
    layers,
    fusion,
    dims: [B, T, T],
    data: toFloat32(rdd, T * T),
    cross: { dims: [B, T, S], data: toFloat32(rde, T * S), encoderLayers: encoderSites.map((s) => s.layer) },
  };
}
