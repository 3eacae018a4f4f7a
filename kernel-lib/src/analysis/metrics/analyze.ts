/**
 * The result-level entry point: one metric pass per site (metrics + checks), then the pattern
 * classifier on that pass, and the JSON that `attnlens metrics DIR` writes.
 */

import { AttnlensError } from "../../errors";
import type { AttentionResult, SiteAttention } from "../../result/types";
import { classifyScan } from "../patterns/headPatterns";
import { WINDOW_MAX } from "../patterns/thresholds";
import type { HeadPattern } from "../patterns/types";
import { emptySamples, emptySampleWarning } from "./emptySamples";
import { type SiteGeometry, sharedGeometry } from "./geometry";
import { summarizeHeadSums } from "./headMetrics";
import { normWeighted } from "./normWeighted";
import { defaultKernel } from "./rowAccumulators";
import { type PendingScan, type SiteScan, startScan } from "./scan";
import { excludeSinkRows } from "./sinkExcluded";
import type { MetricsOptions, SiteMetrics } from "./types";
import { DEFAULT_TOLERANCE } from "./validate";

/** Sites whose native metric pass is under way while this thread works on an earlier one. */
const LOOKAHEAD = 2;

export interface AnalyzeOptions extends MetricsOptions {
  /** Site ids to analyze (default: all). */
  sites?: string[];
  /**
   * `"norm"`: analyze norm-based attention, `normWeighted(result)` (rows renormalized; the model
   * must be opened with `valueNorms: true`). Default `"attention"`: the weights α themselves.
   */
  weighting?: "attention" | "norm";
}

export interface SiteAnalysis extends SiteMetrics {
  patterns: HeadPattern[];
}

/** What `analyzeResult` returns: per-row and per-head metrics and pattern labels, one entry per site. */
export interface ResultMetrics {
  sites: SiteAnalysis[];
  /** What the caller should know about the numbers, e.g. samples with no valid positions (one line each). */
  warnings?: string[];
}

/**
 * Measures every head of every site (entropy in nats, mean distance in tokens, confidence, mass on special
 * tokens) and labels its pattern; formulas in kernel-lib/docs/metrics.md.
 */
export function analyzeResult(result: AttentionResult, options: AnalyzeOptions = {}): ResultMetrics {
  return analyzeSites(result, options, true);
}

/**
 * analyzeResult, with `bootstrap` false for a caller that reads no label's uncertainty (the corpus
 * engine keeps labels and components only): each pattern's support and interval are then NaN, and
 * everything else is the same. Not public: a result handed to a user always has them.
 */
export function analyzeSites(result: AttentionResult, options: AnalyzeOptions, bootstrap: boolean): ResultMetrics {
  if (options.weighting === "norm")
    return analyzeSites(normWeighted(result), { ...options, weighting: "attention" }, bootstrap);
  const known = new Set(result.sites.map((s) => s.id));
  const missing = options.sites?.filter((id) => !known.has(id)) ?? [];
  if (missing.length > 0)
    throw new AttnlensError(
      "BAD_INPUT",
      `analyzeResult: no site ${missing.join(", ")}; sites are: ${[...known].join(", ")}`,
    );
  const chosen = options.sites ? result.sites.filter((s) => options.sites?.includes(s.id)) : result.sites;
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const kernel = options.kernel ?? defaultKernel();
  // Sites of one shape share their geometry (and the tables the passes cache per geometry).
  const shared = new Map<string, SiteGeometry>();
  const geos = chosen.map((site) => sharedGeometry(result, site, options, shared));
  const start = (k: number, slot?: number) =>
    startScan(chosen[k], geos[k], tolerance, WINDOW_MAX, kernel, options.threads, slot);
  const pending = new Map<number, PendingScan>();
  try {
    if (kernel !== "native") {
      // Every site's metric pass first, back to back, so the WebAssembly pass's worker threads
      // stay busy from one site to the next instead of going idle (and slow to wake) during the
      // pattern work between them.
      const scans = chosen.map((_, k) => start(k).finish());
      return analyzeScans(chosen, geos, (k) => scans[k], options, bootstrap);
    }
    // The native kernel's threads scan the next sites while this thread measures and labels the
    // last one: LOOKAHEAD sites under way at once, each in a scratch slot of its own.
    const queue = (k: number) => {
      if (k < chosen.length) pending.set(k, start(k, k % (LOOKAHEAD + 1)));
    };
    for (let k = 0; k < LOOKAHEAD; k++) queue(k);
    return analyzeScans(
      chosen,
      geos,
      (k) => {
        const scan = (pending.get(k) as PendingScan).finish(); // queued LOOKAHEAD sites ago
        pending.delete(k);
        queue(k + LOOKAHEAD);
        return scan;
      },
      options,
      bootstrap,
    );
  } finally {
    // after an error (a row that fails its checks): no thread may still write into the scratch slots
    for (const scan of pending.values()) scan.settle();
  }
}

/** Each site's per-head metrics and pattern labels, from its scan. */
function analyzeScans(
  chosen: SiteAttention[],
  geos: SiteGeometry[],
  scanOf: (k: number) => SiteScan,
  options: AnalyzeOptions,
  bootstrap: boolean,
): ResultMetrics {
  const warnings: string[] = [];
  const sites = chosen.map((site, k): SiteAnalysis => {
    const geo = geos[k];
    const scan = scanOf(k);
    const { data: _weights, dims, ...label } = site;
    const rows = options.excludeSinks ? excludeSinkRows(site, geo, scan.rows) : scan.rows;
    const heads = summarizeHeadSums(rows, dims, options.excludeSinks ? undefined : scan.headSums);
    let patterns = classifyScan(site, geo, scan, bootstrap);
    const empty = emptySamples(scan.rows, dims);
    if (empty.length > 0) {
      warnings.push(emptySampleWarning(site.id, empty, dims[0]));
      // No row measured: "mixed" here means "nothing to go on", not a confident verdict.
      if (empty.length === dims[0]) patterns = patterns.map((p) => ({ ...p, label: "mixed", confidence: 0 }));
    }
    return { site: label, dims, heads, rows, patterns };
  });
  return warnings.length > 0 ? { sites, warnings } : { sites };
}

/** The JSON of `attnlens metrics`: per site, per head, mean entropy (nats), distance (tokens), confidence, pattern. */
export interface MetricsJson {
  /** ResultMetrics.warnings, when there are any. */
  warnings?: string[];
  sites: {
    id: string;
    layer: number;
    stack: string;
    kind: string;
    heads: {
      head: number;
      /** null when the head was measured on no row (every sample without valid positions). */
      entropy: number | null;
      distance: number | null;
      confidence: number | null;
      pattern: Omit<HeadPattern, "head">;
    }[];
  }[];
}

/** The per-head part of `analyzeResult`'s answer as plain JSON (what `attnlens metrics` writes). */
export function metricsJson(metrics: ResultMetrics): MetricsJson {
  const measured = (h: { rows: number }, x: number) => (h.rows > 0 && Number.isFinite(x) ? x : null);
  return {
    ...(metrics.warnings?.length ? { warnings: metrics.warnings } : {}),
    sites: metrics.sites.map((s) => ({
      id: s.site.id,
      layer: s.site.layer,
      stack: s.site.stack,
      kind: s.site.kind,
      heads: s.heads.map((h, k) => {
        const { head: _head, ...pattern } = s.patterns[k];
        return {
          head: h.head,
          entropy: measured(h, h.entropy),
          distance: measured(h, h.distance),
          confidence: measured(h, h.confidence),
          pattern,
        };
      }),
    })),
  };
}
