/**
 * Heads clustered over a corpus: each head is described by its distribution of each metric (the
 * mean and the 5/25/50/75/95 % quantiles from the corpus summary), every feature standardized
 * across heads (z-score; constant features dropped, a missing value counts as the average head),
 * Euclidean distance / √features, UPGMA (`clusterOrder`), and the dendrogram cut into k clusters
 * by undoing its last k − 1 merges. Cluster numbers follow the leaf order.
 */
import { clusterOrder } from "./clustering";

/** One head's distribution summary of one metric: [mean, q05, q25, q50, q75, q95], or null. */
export type HeadDistribution = number[] | null;

export interface CorpusHeadClusters {
  /** Heads (indices into the input list) in dendrogram leaf order. */
  order: number[];
  /** Cluster of each head, 0..k−1, numbered by first appearance in `order`. */
  cluster: number[];
  k: number;
}

/** A default cluster count for K heads: about √(K/2), between 2 and 8 (never more than K). */
export function defaultClusterCount(K: number): number {
  return Math.min(K, Math.max(2, Math.min(8, Math.round(Math.sqrt(K / 2)))));
}

/**
 * @param heads per head, per metric: its distribution summary (same metric order for every head)
 * @param k clusters wanted (≤ heads)
 */
export function clusterCorpusHeads(
  heads: HeadDistribution[][],
  k = defaultClusterCount(heads.length),
): CorpusHeadClusters {
  const K = heads.length;
  if (K === 0) return { order: [], cluster: [], k: 0 };
  const columns: (number | null)[][] = [];
  const metrics = heads[0].length;
  for (let m = 0; m < metrics; m++) {
    const width = Math.max(0, ...heads.map((h) => h[m]?.length ?? 0));
    for (let f = 0; f < width; f++) columns.push(heads.map((h) => h[m]?.[f] ?? null));
  }
  const features = columns.map(standardize).filter((c): c is number[] => c !== null);
  const d = new Float64Array(K * K);
  for (let a = 0; a < K; a++)
    for (let b = a + 1; b < K; b++) {
      let s = 0;
      for (const col of features) s += (col[a] - col[b]) ** 2;
      d[a * K + b] = d[b * K + a] = features.length > 0 ? Math.sqrt(s / features.length) : 0;
    }
  const { order, merges } = clusterOrder(d, K);
  const want = Math.max(1, Math.min(k, K));
  // Union-find over the first K − want merges: what is left joined are the clusters.
  const parent = Array.from({ length: 2 * K }, (_, i) => i);
  const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x])));
  merges.slice(0, K - want).forEach((m, step) => {
    parent[find(m.left)] = K + step;
    parent[find(m.right)] = K + step;
  });
  const number = new Map<number, number>();
  const cluster = new Array<number>(K);
  for (const leaf of order) {
    const root = find(leaf);
    if (!number.has(root)) number.set(root, number.size);
    cluster[leaf] = number.get(root) as number;
  }
  return { order, cluster, k: number.size };
}

/** z-scores of one feature across heads (missing → 0, the average head); null when it does not vary. */
function standardize(col: (number | null)[]): number[] | null {
  const known = col.filter((x): x is number => x !== null && Number.isFinite(x));
  if (known.length < 2) return null;
  const mean = known.reduce((a, b) => a + b, 0) / known.length;
  const sd = Math.sqrt(known.reduce((a, b) => a + (b - mean) ** 2, 0) / known.length);
  if (!(sd > 1e-12)) return null;
  return col.map((x) => (x !== null && Number.isFinite(x) ? (x - mean) / sd : 0));
}
