/**
 * Types of the per-head metrics. Shapes are spelled out per field; B, H, T, S are the
 * batch, head, target and source sizes of the site (its `dims`).
 */
import type { SiteLabel, Stack } from "../../result/types";

/** Tokens that count as [CLS] or [SEP]/EOS, by token text (exact) or token id. */
export interface SpecialTokenRules {
  cls?: Array<string | number>;
  sep?: Array<string | number>;
  /**
   * Attention-sink tokens beyond a causal model's start token (which is always one), e.g. an
   * encoder's "." or "[SEP]"; none by default. They count in `mass.sink`, not in [CLS]/[SEP].
   */
  sink?: Array<string | number>;
}

/**
 * The row kernel of the metric pass: "native" (the WebAssembly kernel's C source built as a
 * Node-API addon by `npm run build`, reading the result's memory in place on threads of its own;
 * the default where it was built), "wasm" (WebAssembly 128-bit SIMD; the default elsewhere) or
 * "js" (plain JavaScript; the fallback and the reference). "native" and "wasm" give the same
 * results to the bit; "js" the same checks and metrics within float32 rounding (1e-6 relative).
 */
export type MetricsKernel = "native" | "wasm" | "js";

/** Options shared by every metric entry point. */
export interface MetricsOptions {
  /** Allowed |row sum − 1| for a valid target row (probability mass); default 1e-3. */
  tolerance?: number;
  /** Which tokens are [CLS] and [SEP]/EOS; defaults in `specialTokens.ts`. */
  specialTokens?: SpecialTokenRules;
  /** Segment ids (token_type_ids) per stream, one array of length T (or S) per sample. */
  segments?: Partial<Record<Stack, ArrayLike<number>[]>>;
  /** Row kernel of the metric pass (default: "native" where built, else "wasm" where available, else "js"). */
  kernel?: MetricsKernel;
  /**
   * Threads of the metric pass, this one included (default: the machine's cores, at most 8, for
   * samples large enough to gain: 2¹⁹ weights on the native kernel, 2²⁰ on the WebAssembly one;
   * on the native kernel also samples of 2¹⁵ weights or more while `analyzeResult` measures and
   * labels earlier sites;
   * 1: this thread only; a count given: every sample with two heads or more is shared out).
   * Heads are shared out whole, so the results are the same to the bit at any count. Either
   * kernel's threads start on the first pass that could use them and serve the later ones.
   */
  threads?: number;
  /**
   * Leave sink tokens (start tokens of causal models, `specialTokens.sink`) out of distance,
   * signed distance and confidence: each row renormalised over its non-sink sources (NaN where
   * those hold no mass). Read by `analyzeResult` and `siteMetrics`; default false.
   */
  excludeSinks?: boolean;
}

/**
 * One value per target row, Float32Array of length B·H·T indexed ((b·H + h)·T + t).
 * NaN where the value is undefined: padding target rows, self/previous/next on cross sites,
 * previous/next outside the visible sources, special-token masses without tokens.
 */
export interface RowMetrics {
  /** −Σⱼ aᵢⱼ ln aᵢⱼ over valid visible sources (nats). */
  entropy: Float32Array;
  /** entropy / ln(nᵢ), nᵢ = valid visible sources; NaN when nᵢ = 1. In [0, 1]. */
  normalizedEntropy: Float32Array;
  /** Σⱼ aᵢⱼ·|j − pᵢ| (tokens); pᵢ = i for self sites, the scaled diagonal for cross sites. */
  distance: Float32Array;
  /** Σⱼ aᵢⱼ·(j − pᵢ) (tokens); negative = looks back. */
  signedDistance: Float32Array;
  /** maxⱼ aᵢⱼ (probability). */
  confidence: Float32Array;
  /** Mass on the same position, the previous and the next position (self sites only). */
  self: Float32Array;
  previous: Float32Array;
  next: Float32Array;
  /** Mass on the first valid source (BOS / [CLS] / first word). Always defined on valid rows. */
  first: Float32Array;
  /** Mass on [CLS], on [SEP]/EOS, on punctuation tokens (needs TokenInfo). */
  cls: Float32Array;
  sep: Float32Array;
  punctuation: Float32Array;
  /** Mass on sink tokens: a causal model's start token and `specialTokens.sink` (needs TokenInfo). */
  sink: Float32Array;
  /** Mass on sources of the target's own segment (needs segments or [SEP] boundaries). */
  segment: Float32Array;
  /** Number of valid visible sources nᵢ per [B, T] row (0 for padding targets). */
  sources: Int32Array;
}

/** The row metrics computed from the map and the positions alone, in RowMetrics order. */
export const MAP_ROW_METRICS = [
  "entropy",
  "normalizedEntropy",
  "distance",
  "signedDistance",
  "confidence",
  "self",
  "previous",
  "next",
  "first",
] as const;

/** Every per-row field of RowMetrics (all but `sources`), in declaration order. */
export const ROW_METRIC_KEYS = [
  ...MAP_ROW_METRICS,
  "cls",
  "sep",
  "punctuation",
  "sink",
  "segment",
] as const satisfies readonly Exclude<keyof RowMetrics, "sources">[];

export type RowMetricKey = (typeof ROW_METRIC_KEYS)[number];

/** Doubles per (sample, head) in a head sums table (headMetrics.ts sampleHeadSums): a sum and a count per row metric. */
export const HEAD_SUMS = 2 * ROW_METRIC_KEYS.length;

/** Means over the valid target rows of all samples; null where no row defines the value. */
export interface HeadMetrics {
  head: number;
  /** Mean entropy (nats). */
  entropy: number;
  /** Mean normalized entropy over rows with ≥ 2 visible sources. */
  normalizedEntropy: number | null;
  /** Mean Σⱼ aᵢⱼ·|j − pᵢ| (tokens). */
  distance: number;
  /** Mean Σⱼ aᵢⱼ·(j − pᵢ) (tokens). */
  signedDistance: number;
  /** Mean max weight. */
  confidence: number;
  /** Mean masses (probability). */
  mass: {
    self: number | null;
    previous: number | null;
    next: number | null;
    first: number;
    cls: number | null;
    sep: number | null;
    punctuation: number | null;
    /** Start / sink tokens (see RowMetrics.sink). */
    sink: number | null;
    segment: number | null;
  };
  /** Number of valid target rows averaged (all samples). */
  rows: number;
}

/** Per-head metrics of one site. */
export interface SiteMetrics {
  site: SiteLabel;
  dims: [number, number, number, number];
  heads: HeadMetrics[];
  rows: RowMetrics;
}
