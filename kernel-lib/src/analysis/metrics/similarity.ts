/**
 * Head similarity: the Jensen–Shannon divergence between two heads' rows, averaged over the
 * valid target rows (of the chosen samples and target range), in nats (0 ≤ JSD ≤ ln 2):
 *   JSD(P, Q) = H(M) − (H(P) + H(Q))/2,  M = (P + Q)/2,  row by row over the visible sources.
 * H(P) per row comes from the metric pass; H(M) needs one pass per pair, so the cost is
 * O(K²·T·S) for K heads: 144 BERT-base heads at 512 tokens take seconds; restrict `targets` or
 * `sample` for a quick look. Sites are compared together when they share dims and streams.
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult, SiteAttention } from "../../result/types";
import { clusterOrder, type Merge } from "./clustering";
import { type SiteGeometry, siteGeometry, visibleLimit } from "./geometry";
import { LOG2_TABLE } from "./logTable";
import { visibleRuns } from "./rowRuns";
import { scanSite } from "./scan";
import type { MetricsOptions } from "./types";
import { checkSample, DEFAULT_TOLERANCE } from "./validate";

export interface SimilarityOptions extends MetricsOptions {
  /** Site ids to compare (default: all). */
  sites?: string[];
  /** One sample (default: every sample). */
  sample?: number;
  /** Target rows [start, end) (default: all). */
  targets?: [number, number];
}

/** Pairwise divergence between heads of sites with the same shape, with a clustering order for display. */
export interface HeadSimilarity {
  /** Shared dims of the sites in this group. */
  dims: [number, number, number, number];
  /** The K heads compared, in matrix order. */
  heads: { site: string; head: number }[];
  /** K×K row-major symmetric divergence matrix (nats), zero diagonal. */
  divergence: Float64Array;
  /** Leaf order of average-linkage clustering: similar heads next to each other. */
  order: number[];
  merges: Merge[];
}

interface Member {
  site: SiteAttention;
  geo: SiteGeometry;
  entropy: Float32Array;
}

function groupKey(s: SiteAttention): string {
  return `${s.stack}/${s.kind}/${s.dims.join("x")}/${s.causal}`;
}

/** Σ over rows of JSD between heads x and y of the group (mean taken by the caller). */
function pairDivergence(
  x: Member,
  hx: number,
  y: Member,
  hy: number,
  rowsOf: (b: number) => number[],
  scratch: Float32Array,
  runs: Int32Array,
) {
  const [B, H, T, S] = x.geo.dims;
  const bits = new Int32Array(scratch.buffer);
  const table = LOG2_TABLE;
  let total = 0;
  let count = 0;
  for (let b = 0; b < B; b++) {
    const g = x.geo.samples[b];
    for (const i of rowsOf(b)) {
      const ra = (b * H + hx) * T + i;
      const rb = (b * H + hy) * T + i;
      const n = visibleRuns(g, visibleLimit(x.geo, i), runs);
      let mlogm = 0;
      for (let k = 0; k < n; k++) {
        const start = runs[2 * k];
        const len = runs[2 * k + 1] - start;
        for (let j = 0; j < len; j++)
          scratch[j] = 0.5 * (x.site.data[ra * S + start + j] + y.site.data[rb * S + start + j]);
        for (let j = 0; j < len; j++) {
          const v = bits[j];
          const m = (v >>> 10) & 8190;
          mlogm += scratch[j] * ((v >>> 23) + table[m] + (v & 2047) * table[m + 1]);
        }
      }
      const jsd = -mlogm * Math.LN2 - 0.5 * (x.entropy[ra] + y.entropy[rb]);
      total += Math.max(0, jsd);
      count++;
    }
  }
  return count > 0 ? total / count : 0;
}

function compareGroup(result: AttentionResult, sites: SiteAttention[], options: SimilarityOptions): HeadSimilarity {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const members: Member[] = sites.map((site) => {
    const geo = siteGeometry(result, site, options);
    return { site, geo, entropy: scanSite(site, geo, tolerance, 0, options.kernel, options.threads).rows.entropy };
  });
  const [, H, T, S] = sites[0].dims;
  const [from, to] = options.targets ?? [0, T];
  checkSample("headSimilarity", options.sample, sites[0].dims[0]);
  const rowsOf = (b: number) => {
    if (options.sample !== undefined && b !== options.sample) return [];
    const rows: number[] = [];
    for (let i = Math.max(0, from); i < Math.min(T, to); i++)
      if (members[0].geo.samples[b].targetValid[i]) rows.push(i);
    return rows;
  };
  const heads = members.flatMap((m) => Array.from({ length: H }, (_, head) => ({ m, head })));
  const K = heads.length;
  const divergence = new Float64Array(K * K);
  const scratch = new Float32Array(S);
  const runs = new Int32Array(2 * S + 2);
  for (let a = 0; a < K; a++) {
    for (let c = a + 1; c < K; c++) {
      const d = pairDivergence(heads[a].m, heads[a].head, heads[c].m, heads[c].head, rowsOf, scratch, runs);
      divergence[a * K + c] = divergence[c * K + a] = d;
    }
  }
  const { order, merges } = clusterOrder(divergence, K);
  return {
    dims: sites[0].dims,
    heads: heads.map((x) => ({ site: x.m.site.id, head: x.head })),
    divergence,
    order,
    merges,
  };
}

/** One similarity matrix per group of sites with the same dims and streams. */
export function headSimilarity(result: AttentionResult, options: SimilarityOptions = {}): HeadSimilarity[] {
  const chosen = options.sites ? result.sites.filter((s) => options.sites?.includes(s.id)) : result.sites;
  if (options.sites && chosen.length !== options.sites.length) {
    const known = result.sites.map((s) => s.id).join(", ");
    throw new AttnlensError(
      "BAD_INPUT",
      `headSimilarity: unknown site id in ${JSON.stringify(options.sites)}; sites are: ${known}`,
    );
  }
  const groups = new Map<string, SiteAttention[]>();
  for (const s of chosen) groups.set(groupKey(s), [...(groups.get(groupKey(s)) ?? []), s]);
  return [...groups.values()].map((g) => compareGroup(result, g, options));
}
