/**
 * Types of in-graph metrics: what `openModel(…, { inGraphMetrics })` appends to the graph and what
 * `AttentionModel.measure` returns. The per-site results are the metrics module's own
 * `SiteMetrics` (rows [B, H, T] per metric, per-head means), so they stand in for
 * `analyzeResult(…).sites` wherever patterns are not needed.
 */
import type { Rollout } from "../../analysis/metrics/rollout";
import type { RowMetrics, SiteMetrics } from "../../analysis/metrics/types";
import type { ProviderFallback } from "../../result/types";

/** `openModel(source, { inGraphMetrics: true | InGraphOptions })`. */
export interface InGraphOptions {
  /**
   * Append the rollout subgraphs (mean fusion). Default: true, unless the model takes past keys
   * (a KV cache makes T ≠ S, where rollout is undefined and its MatMuls would fail every run).
   */
  rollout?: boolean;
}

/** Options of `AttentionModel.measure`: which sites, and whether to fetch per-row metrics. */
export interface MeasureOptions {
  /** Only these site ids (default: all). Every site is still computed by the graph. */
  sites?: readonly string[];
  /** Fetch the per-row metrics (default true); false fetches only per-head means (a few bytes per site). */
  rows?: boolean;
  /** Fetch the rollout of each stack, [B, T, T] (default false). */
  rollout?: boolean;
}

/**
 * One site measured in graph. `rows` is absent with `{ rows: false }`. The [CLS], [SEP], sink and
 * punctuation masses need token text, which the graph does not have: they are NaN (null per head),
 * as in the reference without tokens. `site.causal` is read from the data, as `run()` does.
 */
export interface MeasuredSite extends Omit<SiteMetrics, "rows"> {
  rows?: RowMetrics;
}

/**
 * What `AttentionModel.measure` returns: metrics computed inside the ONNX graph, per site, with rollout when
 * built.
 */
export interface MeasureResult {
  sites: MeasuredSite[];
  /** Rollout per stack (when asked for and built); `cross` on a decoder with cross attention. */
  rollout?: { encoder?: Rollout; decoder?: Rollout };
  /** The execution provider that ran the session, and those tried before it. */
  provider: string;
  fallbacks: ProviderFallback[];
  /** What crossed from the runtime to the host: the fetched output names and their bytes. */
  transfer: { outputs: string[]; bytes: number };
}
