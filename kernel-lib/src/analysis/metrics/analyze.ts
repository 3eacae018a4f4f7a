/**
 * The result-level entry point: one metric pass per site (metrics + checks), then the pattern
 * classifier on that pass, and the JSON that `attnlens metrics DIR` writes.
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult } from "../../result/types";
import { classifyScan } from "../patterns/headPatterns";
import { WINDOW_MAX } from "../patterns/thresholds";
import type { HeadPattern } from "../patterns/types";
import { siteGeometry } from "./geometry";
import { summarizeHeads } from "./headMetrics";
import { scanSite } from "./scan";
import type { MetricsOptions, SiteMetrics } from "./types";
import { DEFAULT_TOLERANCE } from "./validate";

export interface AnalyzeOptions extends MetricsOptions {
  /** Site ids to analyze (default: all). */
  sites?: string[];
}

export interface SiteAnalysis extends SiteMetrics {
  patterns: HeadPattern[];
}

/** What `analyzeResult` returns: per-row and per-head metrics and pattern labels, one entry per site. */
export interface ResultMetrics {
  sites: SiteAnalysis[];
}

/**
 * Measures every head of every site (entropy in nats, mean distance in tokens, confidence, mass on special
 * tokens) and labels its pattern; formulas in kernel-lib/docs/metrics.md.
 */
export function analyzeResult(result: AttentionResult, options: AnalyzeOptions = {}): ResultMetrics {
  const known = new Set(result.sites.map((s) => s.id));
  const missing = options.sites?.filter((id) => !known.has(id)) ?? [];
  if (missing.length > 0)
    throw new AttnlensError(
      "BAD_INPUT",
      `analyzeResult: no site ${missing.join(", ")}; sites are: ${[...known].join(", ")}`,
    );
  const chosen = options.sites ? result.sites.filter((s) => options.sites?.includes(s.id)) : result.sites;
  return {
    sites: chosen.map((site) => {
      const geo = siteGeometry(result, site, options);
      const scan = scanSite(site, geo, options.tolerance ?? DEFAULT_TOLERANCE, WINDOW_MAX, options.kernel);
      const { data: _weights, dims, ...label } = site;
      return {
        site: label,
        dims,
        heads: summarizeHeads(scan.rows, dims),
        rows: scan.rows,
        patterns: classifyScan(site, geo, scan),
      };
    }),
  };
}

/** The JSON of `attnlens metrics`: per site, per head, mean entropy (nats), distance (tokens), confidence, pattern. */
export interface MetricsJson {
  sites: {
    id: string;
    layer: number;
    stack: string;
    kind: string;
    heads: {
      head: number;
      entropy: number;
      distance: number;
      confidence: number;
      pattern: Omit<HeadPattern, "head">;
    }[];
  }[];
}

/** The per-head part of `analyzeResult`'s answer as plain JSON (what `attnlens metrics` writes). */
export function metricsJson(metrics: ResultMetrics): MetricsJson {
  return {
    sites: metrics.sites.map((s) => ({
      id: s.site.id,
      layer: s.site.layer,
      stack: s.site.stack,
      kind: s.site.kind,
      heads: s.heads.map((h, k) => {
        const { head: _head, ...pattern } = s.patterns[k];
        return { head: h.head, entropy: h.entropy, distance: h.distance, confidence: h.confidence, pattern };
      }),
    })),
  };
}
