/**
 * Head fusion: one map per site from several heads, [B, T, S] float32.
 *   mean: the average of the heads' rows (already a distribution);
 *   max / min: the element-wise max / min, then each row renormalized to sum 1 over the visible
 *   sources (a min over heads that attend to disjoint sources is all zero: that row becomes
 *   uniform over the visible sources).
 * Masked and future sources get 0; padding target rows are all 0.
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult, SiteAttention } from "../../result/types";
import { type SiteGeometry, siteGeometry, visibleLimit } from "./geometry";
import type { MetricsOptions } from "./types";

/** How heads are combined into one map: element-wise mean, max or min. */
export type Fusion = "mean" | "max" | "min";

/** One map per sample from a site's heads fused: `data` of shape `dims` = `[B, T, S]`. */
export interface FusedMap {
  dims: [number, number, number];
  data: Float32Array;
}

export interface FuseOptions extends MetricsOptions {
  fusion?: Fusion;
  /** Heads to fuse (default: all). */
  heads?: number[];
}

/** The heads to fuse (default: all H), checked: one clear error for an empty list or a head out of range. */
export function chosenHeads(site: { id: string }, H: number, heads?: number[]): number[] {
  const chosen = heads ?? Array.from({ length: H }, (_, h) => h);
  if (chosen.length === 0 || chosen.some((h) => !Number.isInteger(h) || h < 0 || h >= H)) {
    throw new AttnlensError(
      "BAD_INPUT",
      `site ${site.id}: heads ${JSON.stringify(heads)} must be a non-empty list of integers in [0, ${H})`,
    );
  }
  return chosen;
}

export function fuseWithGeometry(
  site: SiteAttention,
  geo: SiteGeometry,
  fusion: Fusion = "mean",
  heads?: number[],
): FusedMap {
  const [B, H, T, S] = geo.dims;
  const chosen = chosenHeads(site, H, heads);
  const data = new Float32Array(B * T * S);
  const row = new Float64Array(S);
  const weights = site.data;
  // loops with no choice and no property read inside: they are most of rollout's host time
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    const valid = g.sourceValid;
    for (let i = 0; i < T; i++) {
      if (!g.targetValid[i]) continue;
      const limit = visibleLimit(geo, i);
      row.fill(fusion === "min" ? Number.POSITIVE_INFINITY : fusion === "max" ? Number.NEGATIVE_INFINITY : 0, 0, limit);
      const at = (k: number) => ((b * H + chosen[k]) * T + i) * S;
      let k = 0;
      if (fusion === "mean") {
        // four heads per pass over the row: a quarter of the row's loads and stores
        for (; k + 4 <= chosen.length; k += 4) {
          const [b0, b1, b2, b3] = [at(k), at(k + 1), at(k + 2), at(k + 3)];
          for (let j = 0; j < limit; j++)
            row[j] += weights[b0 + j] + weights[b1 + j] + weights[b2 + j] + weights[b3 + j];
        }
      }
      for (; k < chosen.length; k++) {
        const base = at(k);
        if (fusion === "mean") for (let j = 0; j < limit; j++) row[j] += weights[base + j];
        else if (fusion === "max") for (let j = 0; j < limit; j++) row[j] = Math.max(row[j], weights[base + j]);
        else for (let j = 0; j < limit; j++) row[j] = Math.min(row[j], weights[base + j]);
      }
      writeRenormalized(row, 0, valid, limit, g.validBefore[limit], data, (b * T + i) * S);
    }
  }
  return { dims: [B, T, S], data };
}

/**
 * One fused row renormalized: src[from + j] for the `limit` sources a row can see, hidden ones
 * (valid[j] = 0) zeroed, scaled to sum 1 over the `visible` ones (uniform over them when their sum
 * is 0), written at out[to + j]. Shared by the JavaScript fusion and onnxruntime's (rolloutHost.ts).
 */
export function writeRenormalized(
  src: ArrayLike<number>,
  from: number,
  valid: ArrayLike<number>,
  limit: number,
  visible: number,
  out: Float32Array,
  to: number,
): void {
  let sum = 0;
  for (let j = 0; j < limit; j++) if (valid[j]) sum += src[from + j];
  if (sum > 0) for (let j = 0; j < limit; j++) out[to + j] = valid[j] ? src[from + j] / sum : 0;
  else for (let j = 0; j < limit; j++) out[to + j] = valid[j] / visible;
}

/** Fuses a site's heads (all, or `options.heads`) into one map per sample. */
export function fuseHeads(result: AttentionResult, site: SiteAttention, options: FuseOptions = {}): FusedMap {
  return fuseWithGeometry(site, siteGeometry(result, site, options), options.fusion, options.heads);
}
