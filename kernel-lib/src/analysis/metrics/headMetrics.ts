/**
 * Per-head summaries: each row metric averaged over the valid target rows of every sample,
 * rows where the metric is undefined (NaN) left out. Also the convenient per-site entry point.
 */
import type { AttentionResult, SiteAttention } from "../../result/types";
import { siteGeometry } from "./geometry";
import { scanSite } from "./scan";
import { excludeSinkRows } from "./sinkExcluded";
import type { HeadMetrics, MetricsOptions, RowMetricKey, RowMetrics, SiteMetrics } from "./types";
import { DEFAULT_TOLERANCE } from "./validate";

/** Mean of values[(b·H + h)·T + t] over b, t, skipping NaN; null when all are NaN. */
function headMean(values: Float32Array, dims: readonly number[], h: number): number | null {
  const [B, H, T] = dims;
  let sum = 0;
  let n = 0;
  for (let b = 0; b < B; b++) {
    const base = (b * H + h) * T;
    for (let t = 0; t < T; t++) {
      const v = values[base + t];
      if (v === v) {
        sum += v;
        n++;
      }
    }
  }
  return n > 0 ? sum / n : null;
}

export function summarizeHeads(rows: RowMetrics, dims: [number, number, number, number]): HeadMetrics[] {
  const [B, H, T] = dims;
  let validRows = 0;
  for (let k = 0; k < B * T; k++) if (rows.sources[k] > 0) validRows++;
  return Array.from({ length: H }, (_, h) => headSummary(h, validRows, (key) => headMean(rows[key], dims, h)));
}

/**
 * One head's HeadMetrics from the mean of each row metric (null where no row defines it); the
 * metrics every valid row defines read 0 rather than null. Shared with the in-graph read-back.
 */
export function headSummary(head: number, rows: number, mean: (key: RowMetricKey) => number | null): HeadMetrics {
  return {
    head,
    entropy: mean("entropy") ?? 0,
    normalizedEntropy: mean("normalizedEntropy"),
    distance: mean("distance") ?? 0,
    signedDistance: mean("signedDistance") ?? 0,
    confidence: mean("confidence") ?? 0,
    mass: {
      self: mean("self"),
      previous: mean("previous"),
      next: mean("next"),
      first: mean("first") ?? 0,
      cls: mean("cls"),
      sep: mean("sep"),
      punctuation: mean("punctuation"),
      sink: mean("sink"),
      segment: mean("segment"),
    },
    rows,
  };
}

/** Per-row and per-head metrics of one site (validates it on the way). */
export function siteMetrics(result: AttentionResult, site: SiteAttention, options: MetricsOptions = {}): SiteMetrics {
  const geo = siteGeometry(result, site, options);
  const scan = scanSite(site, geo, options.tolerance ?? DEFAULT_TOLERANCE, 0, options.kernel, options.threads);
  const { data: _data, dims, ...label } = site;
  const rows = options.excludeSinks ? excludeSinkRows(site, geo, scan.rows) : scan.rows;
  return { site: label, dims, heads: summarizeHeads(rows, dims), rows };
}
