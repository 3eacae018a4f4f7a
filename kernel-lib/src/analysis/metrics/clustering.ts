/**
 * Average-linkage (UPGMA) agglomerative clustering of a distance matrix and its dendrogram leaf
 * order, so that a heatmap of head similarity shows similar heads side by side. O(K³), fine for
 * the few hundred heads of a model.
 */

/** One merge of the clustering: the two clusters joined and their distance. */
export interface Merge {
  /** Cluster ids: 0..K−1 are the leaves, K + m is the cluster made by merge m. */
  left: number;
  right: number;
  /** Average distance between the two clusters' members. */
  distance: number;
  size: number;
}

export function clusterOrder(distance: Float64Array, K: number): { order: number[]; merges: Merge[] } {
  const d = Float64Array.from(distance);
  const size = new Array<number>(K).fill(1);
  const id = Array.from({ length: K }, (_, k) => k);
  const alive = new Array<boolean>(K).fill(true);
  const merges: Merge[] = [];
  for (let step = 0; step < K - 1; step++) {
    let best = Number.POSITIVE_INFINITY;
    let x = -1;
    let y = -1;
    for (let a = 0; a < K; a++) {
      if (!alive[a]) continue;
      for (let c = a + 1; c < K; c++) {
        if (alive[c] && d[a * K + c] < best) {
          best = d[a * K + c];
          x = a;
          y = c;
        }
      }
    }
    merges.push({ left: id[x], right: id[y], distance: best, size: size[x] + size[y] });
    for (let k = 0; k < K; k++) {
      if (!alive[k] || k === x || k === y) continue;
      const v = (size[x] * d[x * K + k] + size[y] * d[y * K + k]) / (size[x] + size[y]);
      d[x * K + k] = d[k * K + x] = v;
    }
    alive[y] = false;
    size[x] += size[y];
    id[x] = K + step;
  }
  const order: number[] = [];
  const visit = (c: number): void => {
    if (c < K) order.push(c);
    else {
      visit(merges[c - K].left);
      visit(merges[c - K].right);
    }
  };
  if (K > 0) visit(K === 1 ? 0 : K + merges.length - 1);
  return { order, merges };
}
