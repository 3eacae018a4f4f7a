/**
 * AttentionResult → payload v1 (the format is documented in @attnlens/widgets, payload/types.ts):
 * choose samples, sites and a token range, pool long maps, quantize each map, attach tokens,
 * metrics, pattern labels and rollout. The size guard runs on the planned sizes before any work.
 */
import type { AttentionPayload, MapDtype, PayloadSite, StreamName, TokenStream } from "@attnlens/widgets";
import type { ResultMetrics } from "../../analysis/metrics/analyze";
import type { AttentionFlow } from "../../analysis/metrics/flow";
import type { Rollout } from "../../analysis/metrics/rollout";
import { AttnlensError } from "../../errors";
import type { AttentionResult, SiteAttention } from "../../result/types";
import { blockBytes, checkBudget, PAYLOAD_MAX_BYTES } from "./budget";
import { flowProbe, type ProbeCut, resolveMetrics, rolloutProbe, siteTables } from "./extras";
import { payloadImage } from "./image";
import { binSize, cropMaps, poolMaps } from "./pool";
import { quantizeMaps } from "./quantize";
import { clipRange, rowOffsetOf, siteAxes, streamLengths, tokenStream } from "./tokens";

/** Default cells per axis of the head-grid overviews. */
export const OVERVIEW_TOKENS = 32;

/**
 * What goes into a payload: sites, samples, token range, pooling, quantization, metrics and rollout/flow, and
 * the size limit.
 */
export interface PayloadOptions {
  /** A caption for the views. */
  title?: string;
  /** Site ids that carry full maps (default: all); the others carry pooled overviews only. */
  sites?: string[];
  /** Samples to keep, by index (default: all). */
  samples?: number[];
  /** Positions [start, end) to keep in every stream (clipped to each stream's length). */
  tokenRange?: [number, number];
  /** Pool full maps into at most this many cells per axis (default: no pooling). */
  maxTokens?: number;
  /** Cells per axis of the head-grid overviews (default 32), added where maps are larger or absent. */
  overviewTokens?: number;
  /** uint8 (default; 1 byte per weight) or float16 (2 bytes, relative error ≤ 2⁻¹¹). */
  quantization?: MapDtype;
  /** Per-head metrics and pattern labels: computed by default; pass your own `analyzeResult`, or false. */
  metrics?: ResultMetrics | false;
  /** Attention rollout: computed by default (when the model allows); pass your own, or false. */
  rollout?: Rollout | false;
  /** Attention flow (max-flow, slow): off by default; true computes it, or pass your own. */
  flow?: AttentionFlow | boolean;
  /** Size limit of the encoded payload in bytes (default PAYLOAD_MAX_BYTES, 32 MiB). */
  maxBytes?: number;
}

interface SitePlan {
  site: SiteAttention;
  rows: StreamName;
  cols: StreamName;
  full?: [number, number];
  overview?: [number, number];
}

function choose<T>(what: string, all: T[], wanted: T[] | undefined, known: string): T[] {
  if (!wanted) return all;
  const missing = wanted.filter((w) => !all.includes(w));
  if (missing.length > 0)
    throw new AttnlensError("BAD_INPUT", `encodePayload: no ${what} ${missing.join(", ")}; ${known}`);
  return wanted;
}

function stored(n: number, bin: number): number {
  return Math.ceil(n / bin);
}

/**
 * Encodes a result as payload v1, the JSON the widgets render: maps quantized (uint8 or float16, base64) and
 * pooled as asked, tokens, metrics, patterns and rollout; refuses (TOO_LARGE) a payload above `maxBytes`
 * before encoding.
 */
export function encodePayload(result: AttentionResult, options: PayloadOptions = {}): AttentionPayload {
  if (result.sites.length === 0) throw new AttnlensError("BAD_INPUT", "encodePayload: the result has no sites");
  const dtype = options.quantization ?? "uint8";
  if (dtype !== "uint8" && dtype !== "float16") {
    throw new AttnlensError(
      "BAD_INPUT",
      `encodePayload: quantization must be "uint8" or "float16", got ${String(dtype)}`,
    );
  }
  const B = result.sites[0].dims[0];
  const allSamples = Array.from({ length: B }, (_, b) => b);
  const samples = choose("sample", allSamples, options.samples, `samples are 0…${B - 1}`);
  const ids = result.sites.map((s) => s.id);
  const chosen = new Set(choose("site", ids, options.sites, `sites are: ${ids.join(", ")}`));
  const ov = options.overviewTokens ?? OVERVIEW_TOKENS;
  const lengths = streamLengths(result);
  const ranges: Partial<Record<StreamName, [number, number]>> = {};
  for (const [name, n] of Object.entries(lengths) as [StreamName, number][])
    ranges[name] = clipRange(options.tokenRange, n);

  const plans: SitePlan[] = result.sites.map((site) => {
    const { rows, cols } = siteAxes(site);
    const [r0, r1] = ranges[rows]!;
    const [c0, c1] = ranges[cols]!;
    const nr = r1 - r0;
    const nc = c1 - c0;
    const plan: SitePlan = { site, rows, cols };
    if (chosen.has(site.id)) {
      plan.full = options.maxTokens ? [binSize(nr, options.maxTokens), binSize(nc, options.maxTokens)] : [1, 1];
    }
    const big = plan.full ? Math.max(stored(nr, plan.full[0]), stored(nc, plan.full[1])) > ov : true;
    if (big) plan.overview = [binSize(nr, ov), binSize(nc, ov)];
    return plan;
  });

  let total = 4096;
  let largest = { id: "", bytes: 0, tokens: 0 };
  for (const p of plans) {
    const [, H, T, S] = p.site.dims;
    const nr = ranges[p.rows]![1] - ranges[p.rows]![0];
    const nc = ranges[p.cols]![1] - ranges[p.cols]![0];
    let bytes = 0;
    for (const bin of [p.full, p.overview]) {
      if (bin) bytes += blockBytes([samples.length, H, stored(nr, bin[0]), stored(nc, bin[1])], dtype);
    }
    total += bytes;
    if (bytes > largest.bytes) largest = { id: p.site.id, bytes, tokens: Math.max(T, S) };
  }
  // Token text: about 12 characters per token in JSON.
  for (const range of Object.values(ranges)) total += samples.length * (range[1] - range[0]) * 12;
  // Rollout and flow probes are [B, T, T] maps at full resolution (cross rollout [B, T, S]): counted
  // conservatively at the longest stream, so the guard holds before any of them is computed.
  const longest = Math.max(0, ...Object.values(ranges).map((r) => r[1] - r[0]));
  const probeMap = blockBytes([samples.length, 1, longest, longest], dtype);
  const hasCross = result.sites.some((site) => site.kind === "cross");
  if (options.rollout !== false) total += probeMap * (hasCross ? 2 : 1);
  if (options.flow) total += probeMap;
  checkBudget(total, options.maxBytes ?? PAYLOAD_MAX_BYTES, largest, dtype);

  const tokens: Partial<Record<StreamName, TokenStream>> = {};
  for (const [name, n] of Object.entries(lengths) as [StreamName, number][]) {
    tokens[name] = tokenStream(result, name, n, samples, ranges[name]!);
  }
  const notes: string[] = [];
  const metrics = resolveMetrics(result, options.metrics, notes);
  const sites = plans.map((p) => encodeSite(p, samples, ranges, tokens, dtype, metrics));
  const pooled = plans.filter((p) => p.full && (p.full[0] > 1 || p.full[1] > 1)).map((p) => p.site.id);
  if (pooled.length > 0)
    notes.push(`maps pooled to ≤ ${options.maxTokens} cells per axis (maxTokens): ${pooled.join(", ")}`);
  const left = plans.filter((p) => !p.full).map((p) => p.site.id);
  if (left.length > 0) notes.push(`full maps left out (sites option); overviews only: ${left.join(", ")}`);

  const cut = (stream: StreamName): ProbeCut => {
    const r = ranges[stream] ?? [0, 0];
    return { samples, rows: r, cols: r, dtype };
  };
  const rollout = rolloutProbe(result, options.rollout, cut, notes);
  const flow = flowProbe(result, options.flow, cut, notes);
  const payload: AttentionPayload = { v: 1, samples: samples.length, tokens, sites };
  if (options.title) payload.title = options.title;
  if (rollout || flow) payload.probes = { ...(rollout ? { rollout } : {}), ...(flow ? { flow } : {}) };
  const image = payloadImage(result, samples, notes);
  if (image) payload.image = image;
  if (notes.length > 0) payload.notes = notes;
  return payload;
}

function encodeSite(
  plan: SitePlan,
  samples: number[],
  ranges: Partial<Record<StreamName, [number, number]>>,
  tokens: Partial<Record<StreamName, TokenStream>>,
  dtype: MapDtype,
  metrics: ResultMetrics | undefined,
): PayloadSite {
  const { site, rows, cols } = plan;
  // Rows are stream positions [offset, offset + T): keep those inside the stream's token range.
  const offset = rowOffsetOf(site);
  const [r0, r1] = ranges[rows]!;
  const first = Math.max(r0, offset);
  const rowRange: [number, number] = [first - offset, Math.max(first, r1) - offset];
  const crop = cropMaps(site.data, site.dims, samples, rowRange, ranges[cols]!);
  const kept = first - r0; // index of the first row in the kept tokens
  const padding = tokens[rows]!.padding;
  const valid = padding.map((pad) => {
    const v = new Uint8Array(crop.dims[2]).fill(1);
    for (const i of pad) if (i >= kept && i - kept < v.length) v[i - kept] = 0;
    return v;
  });
  const block = (bin: [number, number]) => {
    if (bin[0] === 1 && bin[1] === 1) return quantizeMaps(crop.data, crop.dims, dtype, bin);
    const pooled = poolMaps(crop.data, crop.dims, bin, valid);
    return quantizeMaps(pooled.data, pooled.dims, dtype, bin);
  };
  const out: PayloadSite = {
    id: site.id,
    stack: site.stack,
    kind: site.kind,
    layer: site.layer,
    heads: site.dims[1],
    causal: site.causal,
    rows,
    cols,
    ...(kept > 0 ? { rowOffset: kept } : {}),
    dims: crop.dims,
  };
  if (plan.full) out.maps = block(plan.full);
  if (plan.overview) out.overview = block(plan.overview);
  if (metrics) Object.assign(out, siteTables(metrics, site.id));
  return out;
}
