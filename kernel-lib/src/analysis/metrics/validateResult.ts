/**
 * Checks a whole result before use: every site's dims, masks and tokens, and every valid row
 * (finite, non-negative, sums to 1 ± tolerance, no mass on masked or future sources).
 * Throws the first problem found, naming the site, sample, head and row.
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult } from "../../result/types";
import { siteGeometry } from "./geometry";
import { scanSite } from "./scan";
import type { MetricsOptions } from "./types";
import { DEFAULT_TOLERANCE } from "./validate";

/**
 * Checks a result before measuring it (unique site ids, dims, rows summing to 1 within tolerance, masks);
 * throws the first problem as an AttnlensError.
 */
export function validateResult(result: AttentionResult, options: MetricsOptions = {}): void {
  const ids = new Set<string>();
  for (const site of result.sites) {
    if (ids.has(site.id))
      throw new AttnlensError("BAD_INPUT", `site ${site.id} appears twice; site ids must be unique`);
    ids.add(site.id);
    scanSite(
      site,
      siteGeometry(result, site, options),
      options.tolerance ?? DEFAULT_TOLERANCE,
      0,
      options.kernel,
      options.threads,
    );
  }
}
