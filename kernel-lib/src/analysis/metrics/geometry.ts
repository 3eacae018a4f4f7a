/**
 * The geometry of one site, per sample: which targets and sources are valid, what each target
 * row can see, where target i sits on the source axis, and where the special tokens and
 * segments are. Computed once per site so the per-row pass only reads small tables.
 *
 * Visible sources of row i: valid sources j < limit(i), limit(i) = min(S, i + offset + 1) for
 * causal self sites (offset = S − T, non-zero with a KV cache), else S.
 * Position pᵢ: i + offset for self sites; for cross sites the scaled diagonal: the r-th valid
 * target (r = 0..nₜ−1) sits at rank r·(nₛ−1)/(nₜ−1) among the nₛ valid sources, interpolated.
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult, SiteAttention, SiteLabel, Stack, TokenInfo } from "../../result/types";
import { type SpecialPositions, segmentsFromSeparators, specialPositions } from "./specialTokens";
import { type SiteStreams, siteStreams } from "./streams";
import type { MetricsOptions } from "./types";
import { checkMask, checkSiteShape, checkTokens } from "./validate";

export interface SampleGeometry {
  targetValid: Uint8Array;
  sourceValid: Uint8Array;
  /** validBefore[j] = number of valid sources in [0, j); length S + 1. */
  validBefore: Int32Array;
  /** Chunk boundaries 0 = c₀ < c₁ < … < c_k = S; each chunk is all valid or all masked, one segment. */
  breaks: Int32Array;
  chunkValid: Uint8Array;
  chunkSegment: Int32Array;
  /** Segment id per source (self sites with known segments), else null. */
  sourceSegment: Int32Array | null;
  /** Segment id of each target row, else null. */
  targetSegment: Int32Array | null;
  /** pᵢ, target i's coordinate on the source axis. */
  position: Float64Array;
  /** First valid source, −1 when none. */
  firstSource: number;
  special: SpecialPositions | null;
  /** Token ids of the sources (self sites with tokens), for the induction pattern. */
  sourceIds: Int32Array | null;
  validTargets: number;
}

export interface SiteGeometry {
  id: string;
  dims: [number, number, number, number];
  causal: boolean;
  self: boolean;
  offset: number;
  streams: SiteStreams;
  samples: SampleGeometry[];
  /** A row block's geometry (scale/blocks.ts): its sample and first row in the whole site, for messages. */
  origin?: { sample: number; row: number };
}

/*
 * Every SampleGeometry and SiteGeometry is made by one of the two literals below, every field
 * named, none spread in. Why: the metric and pattern passes are optimized for the geometry's
 * hidden class, and one made by spreading or by adding fields one at a time is only weakly held
 * by V8 — once a call's geometries are gone, a major GC (the one V8 runs while the process waits,
 * e.g. during an inference) drops that class, the next call's geometry gets a new one, and every
 * optimized function that reads it is thrown away and recompiled (measured: analyzeResult at 128
 * tokens 13–30 ms right after an inference instead of 7–8 ms). A literal's class is kept alive
 * by its boilerplate.
 */

/** A SampleGeometry with these fields (the one literal that makes them; see above). */
export function sampleGeometryOf(g: SampleGeometry): SampleGeometry {
  return {
    targetValid: g.targetValid,
    sourceValid: g.sourceValid,
    validBefore: g.validBefore,
    breaks: g.breaks,
    chunkValid: g.chunkValid,
    chunkSegment: g.chunkSegment,
    sourceSegment: g.sourceSegment,
    targetSegment: g.targetSegment,
    position: g.position,
    firstSource: g.firstSource,
    special: g.special,
    sourceIds: g.sourceIds,
    validTargets: g.validTargets,
  };
}

/** A SiteGeometry with these fields (the one literal that makes them; see above). */
export function siteGeometryOf(g: SiteGeometry): SiteGeometry {
  return {
    id: g.id,
    dims: g.dims,
    causal: g.causal,
    self: g.self,
    offset: g.offset,
    streams: g.streams,
    samples: g.samples,
    origin: g.origin,
  };
}

/** Sources visible to target row i (exclusive upper bound). */
export function visibleLimit(geo: SiteGeometry, i: number): number {
  const S = geo.dims[3];
  return geo.causal ? Math.min(S, i + geo.offset + 1) : S;
}

function maskRow(data: Uint8Array | undefined, len: number, b: number, want: number): Uint8Array {
  if (!data) return new Uint8Array(want).fill(1);
  const row = data.subarray(b * len, (b + 1) * len);
  return Uint8Array.from(row.subarray(len - want), (v) => (v ? 1 : 0));
}

function chunks(valid: Uint8Array, segment: Int32Array | null) {
  const breaks = [0];
  for (let j = 1; j < valid.length; j++) {
    if (valid[j] !== valid[j - 1] || (segment && segment[j] !== segment[j - 1])) breaks.push(j);
  }
  breaks.push(valid.length);
  const k = breaks.length - 1;
  const chunkValid = new Uint8Array(k);
  const chunkSegment = new Int32Array(k).fill(-1);
  for (let c = 0; c < k; c++) {
    chunkValid[c] = valid[breaks[c]];
    if (segment) chunkSegment[c] = segment[breaks[c]];
  }
  return { breaks: Int32Array.from(breaks), chunkValid, chunkSegment };
}

function crossPositions(targetValid: Uint8Array, sourceValid: Uint8Array): Float64Array {
  const sources: number[] = [];
  sourceValid.forEach((v, j) => v && sources.push(j));
  const nt = targetValid.reduce((n, v) => n + v, 0);
  const ratio = nt > 1 ? (sources.length - 1) / (nt - 1) : 0;
  const position = new Float64Array(targetValid.length);
  let r = 0;
  for (let i = 0; i < targetValid.length; i++) {
    if (!targetValid[i] || sources.length === 0) continue;
    const q = r++ * ratio;
    const lo = Math.floor(q);
    const hi = Math.min(lo + 1, sources.length - 1);
    position[i] = sources[lo] + (q - lo) * (sources[hi] - sources[lo]);
  }
  return position;
}

/** Token ids for the induction pattern: the tokens' own ids, else the ids the model was fed. */
function sourceIds(tokens: TokenInfo[] | undefined, fed: Int32Array | undefined): Int32Array | null {
  if (tokens?.every((t) => t.id >= 0)) return Int32Array.from(tokens, (t) => t.id);
  return fed ?? null;
}

function sourceSegments(
  b: number,
  stream: Stack,
  tokens: TokenInfo[] | undefined,
  valid: Uint8Array,
  special: SpecialPositions | null,
  options: MetricsOptions,
  fed: Int32Array | undefined,
): Int32Array | null {
  // Segments given in the options win; then the token_type_ids the model was fed.
  const given = options.segments?.[stream]?.[b] ?? fed;
  if (given && given.length !== valid.length) {
    throw new AttnlensError(
      "BAD_INPUT",
      `sample ${b}: options.segments.${stream} has ${given.length} ids for ${valid.length} positions; pass one id per position`,
    );
  }
  if (given) return Int32Array.from(given);
  return tokens && special ? segmentsFromSeparators(tokens, valid, special.sep) : null;
}

function sampleGeometry(geo: Omit<SiteGeometry, "samples">, b: number, options: MetricsOptions): SampleGeometry {
  const [, , T, S] = geo.dims;
  const { target, source } = geo.streams;
  const sourceValid = maskRow(source.mask?.data, source.mask?.dims[1] ?? S, b, S);
  const targetValid = maskRow(target.mask?.data, target.mask?.dims[1] ?? T, b, T);
  const validBefore = new Int32Array(S + 1);
  for (let j = 0; j < S; j++) validBefore[j + 1] = validBefore[j] + sourceValid[j];
  const tokens = source.tokens?.[b];
  const special = tokens ? specialPositions(tokens, sourceValid, options.specialTokens, geo.causal) : null;
  const sourceSegment = geo.self
    ? sourceSegments(b, source.stream, tokens, sourceValid, special, options, source.segments?.[b])
    : null;
  const position = geo.self
    ? Float64Array.from({ length: T }, (_, i) => i + geo.offset)
    : crossPositions(targetValid, sourceValid);
  const targetSegment = sourceSegment ? Int32Array.from(position, (p) => sourceSegment[p]) : null;
  const { breaks, chunkValid, chunkSegment } = chunks(sourceValid, sourceSegment);
  return sampleGeometryOf({
    targetValid,
    sourceValid,
    validBefore,
    breaks,
    chunkValid,
    chunkSegment,
    sourceSegment,
    targetSegment,
    position,
    firstSource: sourceValid.indexOf(1),
    special,
    sourceIds: geo.self ? sourceIds(tokens, source.ids?.[b]) : null,
    validTargets: targetValid.reduce((n, v) => n + v, 0),
  });
}

/** Validates the site against its streams (dims, masks, tokens) and builds its geometry. */
export function siteGeometry(result: AttentionResult, site: SiteAttention, options: MetricsOptions = {}): SiteGeometry {
  checkSiteShape(site);
  return labelGeometry(result, site, options);
}

/** The geometry of a site known by its label and dims alone (a lazy site: its map is not held). */
export function labelGeometry(
  result: AttentionResult,
  site: SiteLabel & { dims: [number, number, number, number] },
  options: MetricsOptions = {},
): SiteGeometry {
  const [B, , T, S] = site.dims;
  const self = site.kind === "self";
  if (self && T > S)
    throw new AttnlensError(
      "BAD_INPUT",
      `site ${site.id}: a self site needs target ≤ source positions, got T=${T}, S=${S}`,
    );
  const streams = siteStreams(result, site);
  const targetLengths = self ? [T, S] : [T];
  if (streams.target.mask)
    checkMask(site.id, `${streams.target.stream} (target)`, streams.target.mask, B, targetLengths);
  if (streams.source.mask) checkMask(site.id, `${streams.source.stream} (source)`, streams.source.mask, B, [S]);
  if (streams.source.tokens) checkTokens(site.id, "source", streams.source.tokens, B, S);
  if (streams.target.tokens && !self) checkTokens(site.id, "target", streams.target.tokens, B, T);
  const base = { id: site.id, dims: site.dims, causal: self && site.causal, self, offset: self ? S - T : 0, streams };
  const samples = Array.from({ length: B }, (_, b) => sampleGeometry(base, b, options));
  return siteGeometryOf({ ...base, samples });
}

/**
 * siteGeometry, computed once for sites that share stack, kind, causality and [B, ·, T, S]: its
 * samples depend on nothing else (streams come from the stack and kind; the tables from T and S).
 */
export function sharedGeometry(
  result: AttentionResult,
  site: SiteAttention,
  options: MetricsOptions,
  shared: Map<string, SiteGeometry>,
): SiteGeometry {
  checkSiteShape(site);
  const [B, , T, S] = site.dims;
  const key = `${site.stack}|${site.kind}|${site.causal}|${B}|${T}|${S}`;
  const known = shared.get(key);
  if (known) return siteGeometryOf({ ...known, id: site.id, dims: site.dims });
  const geo = siteGeometry(result, site, options);
  shared.set(key, geo);
  return geo;
}
