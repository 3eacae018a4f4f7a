/**
 * Per-head summaries: each row metric averaged over the valid target rows of every sample,
 * rows where the metric is undefined (NaN) left out. Also the convenient per-site entry point.
 */
import type { AttentionResult, SiteAttention } from "../../result/types";
import { siteGeometry } from "./geometry";
import { scanSite } from "./scan";
import { excludeSinkRows } from "./sinkExcluded";
import {
  HEAD_SUMS,
  type HeadMetrics,
  type MetricsOptions,
  ROW_METRIC_KEYS,
  type RowMetricKey,
  type RowMetrics,
  type SiteMetrics,
} from "./types";
import { DEFAULT_TOLERANCE } from "./validate";

/**
 * Per sample b and head h, at (b·H + h)·HEAD_SUMS + 2k: the sum of row metric k (ROW_METRIC_KEYS
 * order) over the head's rows of the sample, in row order, NaN skipped, and their count. The
 * native kernel writes the same sums while it derives the rows (native/row_metrics.h); a count
 * below 0 for the first metric marks a (sample, head) it left to this function.
 */
export function sampleHeadSums(rows: RowMetrics, dims: readonly number[], b: number, h: number, out: Float64Array) {
  const T = dims[2];
  const base = (b * dims[1] + h) * T;
  const at = (b * dims[1] + h) * HEAD_SUMS;
  ROW_METRIC_KEYS.forEach((key, k) => {
    const values = rows[key];
    let sum = 0;
    let n = 0;
    for (let t = 0; t < T; t++) {
      const v = values[base + t];
      if (v === v) {
        sum += v;
        n++;
      }
    }
    out[at + 2 * k] = sum;
    out[at + 2 * k + 1] = n;
  });
}

/** Each head's means: its row metrics averaged over the valid rows of every sample (NaN left out). */
export function summarizeHeads(rows: RowMetrics, dims: [number, number, number, number]): HeadMetrics[] {
  return summarizeHeadSums(rows, dims);
}

/**
 * summarizeHeads from a head sums table where one is at hand (the native pass's, whose
 * (sample, head) entries marked undone are summed here); the means are the samples' sums added in
 * sample order, over their counts.
 */
export function summarizeHeadSums(rows: RowMetrics, dims: [number, number, number, number], sums?: Float64Array) {
  const [B, H, T] = dims;
  let validRows = 0;
  for (let k = 0; k < B * T; k++) if (rows.sources[k] > 0) validRows++;
  const table = sums ?? new Float64Array(B * H * HEAD_SUMS).fill(-1);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) if (table[(b * H + h) * HEAD_SUMS + 1] < 0) sampleHeadSums(rows, dims, b, h, table);
  return Array.from({ length: H }, (_, h) =>
    headSummary(h, validRows, (key) => {
      const k = ROW_METRIC_KEYS.indexOf(key);
      let sum = 0;
      let n = 0;
      for (let b = 0; b < B; b++) {
        const at = (b * H + h) * HEAD_SUMS + 2 * k;
        sum += table[at];
        n += table[at + 1];
      }
      return n > 0 ? sum / n : null;
    }),
  );
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
  return {
    site: label,
    dims,
    heads: summarizeHeadSums(rows, dims, options.excludeSinks ? undefined : scan.headSums),
    rows,
  };
}
