/**
 * Per-head metrics of a RowSource (a lazy result, or a full one through rowSourceOf), streamed:
 * each site is read one row block at a time (blocks.ts), each block measured by the same metric
 * pass as analyzeResult (scan.ts: the WebAssembly row kernel, the row checks; the sink post-pass
 * with `excludeSinks`), and its per-row metrics copied into the site's [B, H, T] arrays. Memory:
 * one block plus the per-row metrics, O(H·T) floats per site; sites come out one at a time.
 */
import { AttnlensError } from "../../../errors";
import type { LazySite, RowSource } from "../../../result/lazy";
import { emptySamples, emptySampleWarning } from "../emptySamples";
import { summarizeHeads } from "../headMetrics";
import { allocateRows, scanSite } from "../scan";
import { excludeSinkRows } from "../sinkExcluded";
import { type MetricsOptions, ROW_METRIC_KEYS, type RowMetrics, type SiteMetrics } from "../types";
import { DEFAULT_TOLERANCE } from "../validate";
import {
  type BlockOptions,
  contextResult,
  lazySiteGeometry,
  type RowContext,
  siteBlocks,
  siteLabel,
  yieldToEventLoop,
} from "./blocks";

/** Options of `measureSource` and `streamSiteMetrics`. */
export interface StreamedMetricsOptions extends MetricsOptions, BlockOptions {
  /** Site ids to measure (default: all). */
  sites?: string[];
}

/** What `measureSource` returns: the per-site metrics of analyzeResult (no pattern labels). */
export interface SourceMetrics {
  sites: SiteMetrics[];
  /** Samples with no valid positions, one line per site (as analyzeResult's warnings). */
  warnings?: string[];
}

/** Copies a block's rows (sample b, rows [r0, r0 + R), H heads) into the site's row metrics. */
function placeRows(part: RowMetrics, rows: RowMetrics, b: number, r0: number, R: number, H: number, T: number) {
  for (const key of ROW_METRIC_KEYS)
    for (let h = 0; h < H; h++) rows[key].set(part[key].subarray(h * R, (h + 1) * R), (b * H + h) * T + r0);
  rows.sources.set(part.sources, b * T + r0);
}

function chosenSites(source: RowSource, ids: string[] | undefined): readonly LazySite[] {
  if (!ids) return source.sites;
  const known = new Set(source.sites.map((s) => s.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length > 0)
    throw new AttnlensError(
      "BAD_INPUT",
      `measureSource: no site ${missing.join(", ")}; sites are: ${[...known].join(", ")}`,
    );
  return source.sites.filter((s) => ids.includes(s.id));
}

/**
 * Per-head metrics of every site of a row source (or `options.sites`), one site at a time as it
 * is measured: equal to analyzeResult's `heads` and `rows` for the same maps, read one row block
 * (`options.blockBytes`) at a time. `context` gives the masks, tokens and segments (pass the
 * LazyResult or AttentionResult itself).
 */
export async function* streamSiteMetrics(
  source: RowSource,
  context: RowContext,
  options: StreamedMetricsOptions = {},
): AsyncGenerator<SiteMetrics> {
  const result = contextResult(source, context);
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  for (const site of chosenSites(source, options.sites)) {
    const geo = lazySiteGeometry(result, site, options);
    const [B, H, T] = site.dims;
    const rows = allocateRows(B * H * T, B * T);
    for await (const block of siteBlocks(source, site, geo, options.blockBytes)) {
      const scan = scanSite(block.site, block.geo, tolerance, 0, options.kernel, options.threads);
      const part = options.excludeSinks ? excludeSinkRows(block.site, block.geo, scan.rows) : scan.rows;
      placeRows(part, rows, block.b, block.r0, block.r1 - block.r0, H, T);
    }
    yield { site: siteLabel(site), dims: site.dims, heads: summarizeHeads(rows, site.dims), rows };
    await yieldToEventLoop();
  }
}

/**
 * Per-head metrics of a row source, all sites collected (see streamSiteMetrics): what
 * analyzeResult measures, for maps too large to hold, in memory bounded by one row block.
 */
export async function measureSource(
  source: RowSource,
  context: RowContext,
  options: StreamedMetricsOptions = {},
): Promise<SourceMetrics> {
  const sites: SiteMetrics[] = [];
  const warnings: string[] = [];
  for await (const site of streamSiteMetrics(source, context, options)) {
    const empty = emptySamples(site.rows, site.dims);
    if (empty.length > 0) warnings.push(emptySampleWarning(site.site.id, empty, site.dims[0]));
    sites.push(site);
  }
  return warnings.length > 0 ? { sites, warnings } : { sites };
}
