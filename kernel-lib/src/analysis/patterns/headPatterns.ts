/** Pattern labels for every head of a site (runs the metric pass when none is given). */

import type { AttentionResult, SiteAttention } from "../../result/types";
import { type SiteGeometry, siteGeometry } from "../metrics/geometry";
import { type SiteScan, scanSite } from "../metrics/scan";
import type { MetricsOptions } from "../metrics/types";
import { DEFAULT_TOLERANCE } from "../metrics/validate";
import { classifyHead } from "./classify";
import { evidencePass } from "./evidence";
import { SiteMixtures } from "./mixture/fitMixture";
import type { ArenaRoom } from "./tally";
import { WINDOW_MAX } from "./thresholds";
import type { HeadPattern } from "./types";

/**
 * Classifies heads from an existing pass (what `analyzeResult` does, to read the weights once); the
 * pass must record WINDOW_MAX windows. `bootstrap` false: no uncertainty (see classifyHead).
 */
export function classifyScan(site: SiteAttention, geo: SiteGeometry, scan: SiteScan, bootstrap = true): HeadPattern[] {
  // The labels keep no tally: one buffer serves every site's evidence in turn.
  const { heads, induction } = evidencePass(site, geo, scan, room);
  const mixtures = new SiteMixtures(site, geo, scan, induction);
  return heads.map((ev, h) => classifyHead(h, ev, mixtures, bootstrap));
}

const room: ArenaRoom = { buffer: null };

/**
 * Labels each head of a site with the pattern its rows share (diagonal, previous, next, induction, vertical,
 * local, block, sparse, broad, or mixed), with every pattern's score, its mixture with sink columns
 * and the label's bootstrap support.
 */
export function headPatterns(
  result: AttentionResult,
  site: SiteAttention,
  options: MetricsOptions = {},
): HeadPattern[] {
  const geo = siteGeometry(result, site, options);
  return classifyScan(
    site,
    geo,
    scanSite(site, geo, options.tolerance ?? DEFAULT_TOLERANCE, WINDOW_MAX, options.kernel, options.threads),
  );
}
