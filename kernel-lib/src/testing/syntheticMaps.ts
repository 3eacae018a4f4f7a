/**
 * Attention maps with known structure: the designed patterns the classifier must recognize, and
 * seeded random maps. Used by the tests and the demos; the ONNX models with designed weights
 * (built elsewhere) must reproduce these maps.
 *
 * Sample b has `lengths[b]` valid positions, then padding up to T (right padding). Target i sees
 * Vᵢ = [0, i] (causal) or [0, n) and every designed row is a distribution over Vᵢ:
 * identity δᵢ · previous δᵢ₋₁ (row 0: δ₀) · next δᵢ₊₁ (last visible row: δᵢ) · window uniform over
 * |j − i| ≤ w · first δ₀ · segment uniform over i's segment · uniform · induction δₖ₊₁ for the
 * latest k < i with id[k] = id[i] (else δ₀). `noise` ε mixes (1 − ε)·A + ε·uniform(Vᵢ).
 * Padding rows are uniform over the valid sources.
 */
import type { PositionMask, SiteAttention, Stack } from "../result/types";
import { seededRandom } from "../util/random";

/** A pattern `designedSite` can draw (see the file header for each one's rows). */
export type DesignedPattern =
  | "identity"
  | "previous"
  | "next"
  | "window"
  | "first"
  | "segment"
  | "uniform"
  | "induction";

/** Options of `designedSite`: valid lengths per sample, padding, causality and the patterns' parameters. */
export interface DesignedOptions {
  /** Valid positions per sample; the batch size is lengths.length. */
  lengths: number[];
  /** Padded length (default: the longest sample). */
  length?: number;
  causal?: boolean;
  /** Window half-width w for "window". */
  window?: number;
  /** Segment id per position per sample, for "segment". */
  segments?: ArrayLike<number>[];
  /** Token ids per position per sample, for "induction". */
  tokenIds?: ArrayLike<number>[];
  /** Weight ε of uniform noise. */
  noise?: number;
  id?: string;
}

/** A synthetic site's map and its position mask. */
export interface SyntheticSite {
  site: SiteAttention;
  mask: PositionMask;
}

function lastOccurrenceTarget(ids: ArrayLike<number>, i: number): number {
  for (let k = i - 1; k >= 0; k--) if (ids[k] === ids[i]) return k + 1;
  return 0;
}

/** Unnormalized designed row into out[0..limit). */
function designedRow(
  pattern: DesignedPattern,
  b: number,
  i: number,
  limit: number,
  o: DesignedOptions,
  out: Float64Array,
): void {
  const w = o.window ?? 1;
  for (let j = 0; j < limit; j++) {
    const seg = o.segments?.[b];
    let v = 0;
    if (pattern === "window") v = Math.abs(j - i) <= w ? 1 : 0;
    else if (pattern === "uniform") v = 1;
    else if (pattern === "segment") v = seg && seg[j] === seg[i] ? 1 : 0;
    out[j] = v;
  }
  const spike = (j: number) => {
    out[j] = 1;
  };
  if (pattern === "identity") spike(i);
  else if (pattern === "previous") spike(i >= 1 ? i - 1 : i);
  else if (pattern === "next") spike(i + 1 < limit ? i + 1 : i);
  else if (pattern === "first") spike(0);
  else if (pattern === "induction") spike(o.tokenIds ? lastOccurrenceTarget(o.tokenIds[b], i) : 0);
}

function maskOf(lengths: number[], T: number): PositionMask {
  const data = new Uint8Array(lengths.length * T);
  lengths.forEach((n, b) => data.fill(1, b * T, b * T + n));
  return { data, dims: [lengths.length, T] };
}

/** A site whose head h follows patterns[h] (one pattern = one head). */
export function designedSite(patterns: DesignedPattern | DesignedPattern[], options: DesignedOptions): SyntheticSite {
  const heads = Array.isArray(patterns) ? patterns : [patterns];
  const B = options.lengths.length;
  const T = options.length ?? Math.max(...options.lengths);
  const H = heads.length;
  const data = new Float32Array(B * H * T * T);
  const row = new Float64Array(T);
  const eps = options.noise ?? 0;
  for (let b = 0; b < B; b++) {
    const n = options.lengths[b];
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const limit = i >= n ? n : options.causal ? i + 1 : n;
        if (i >= n) row.fill(1, 0, n);
        else designedRow(heads[h], b, i, limit, options, row);
        let sum = 0;
        for (let j = 0; j < limit; j++) sum += row[j];
        const base = ((b * H + h) * T + i) * T;
        const clean = i >= n ? 1 : 1 - eps;
        for (let j = 0; j < limit; j++) data[base + j] = (clean * row[j]) / sum + (i >= n ? 0 : eps / limit);
      }
    }
  }
  const site: SiteAttention = {
    id: options.id ?? "encoder.self.0",
    stack: "encoder",
    kind: "self",
    layer: 0,
    heads: H,
    causal: options.causal ?? false,
    node: "designed",
    data,
    dims: [B, H, T, T],
  };
  return { site, mask: maskOf(options.lengths, T) };
}

/** Options of `randomAttention`: dims `[B, H, T, S]`, seed, causality, valid lengths, peakiness. */
export interface RandomOptions {
  dims: [number, number, number, number];
  seed?: number;
  causal?: boolean;
  /** Valid source positions per sample (right padding); default all. */
  lengths?: number[];
  /** Exponent on uniform draws: higher = peakier rows. */
  sharpness?: number;
}

/** Random rows over the visible valid sources (masked and future sources get exactly 0). */
export function randomAttention(o: RandomOptions): Float32Array {
  const [B, H, T, S] = o.dims;
  const rand = seededRandom(o.seed ?? 1);
  const data = new Float32Array(B * H * T * S);
  const offset = S - T;
  for (let b = 0; b < B; b++) {
    const n = o.lengths?.[b] ?? S;
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const base = ((b * H + h) * T + i) * S;
        const limit = o.causal ? Math.min(n, i + offset + 1) : n;
        const end = limit > 0 ? limit : n;
        let sum = 0;
        for (let j = 0; j < end; j++) sum += data[base + j] = rand() ** (o.sharpness ?? 3);
        for (let j = 0; j < end; j++) data[base + j] /= sum;
      }
    }
  }
  return data;
}

/**
 * A site `${stack}.${kind}.${layer}` of seeded random maps (`randomAttention`), heads from dims[1]:
 * the layer builder of the rollout and flow tests.
 */
export function randomSite(stack: Stack, kind: "self" | "cross", layer: number, o: RandomOptions): SiteAttention {
  return {
    id: `${stack}.${kind}.${layer}`,
    stack,
    kind,
    layer,
    heads: o.dims[1],
    causal: o.causal ?? false,
    node: "n",
    dims: o.dims,
    data: randomAttention(o),
  };
}
