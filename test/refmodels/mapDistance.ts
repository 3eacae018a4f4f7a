/**
 * How far one set of attention maps is from another, over the rows that mean something: real-token
 * queries (the mask), every head. Each row is a probability distribution over keys, so besides max |Δ| and
 * mean |Δ| per entry the Jensen–Shannon divergence (natural log, in [0, ln 2]) says how differently a query
 * spreads its attention.
 */
export interface MapDistance {
  maxAbs: number;
  meanAbs: number;
  /** Mean over compared rows of JS(p ‖ q). */
  meanJs: number;
  /** Worst row's JS divergence. */
  maxJs: number;
  rows: number;
}

/** `mask[b][t]` = 1 for a real token: query rows and key columns outside it are left out. */
export function mapDistance(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dims: readonly number[],
  mask: readonly (readonly number[])[],
): MapDistance {
  const [B, H, T, S] = dims;
  let maxAbs = 0;
  let sumAbs = 0;
  let entries = 0;
  let sumJs = 0;
  let maxJs = 0;
  let rows = 0;
  for (let bi = 0; bi < B; bi++)
    for (let hi = 0; hi < H; hi++)
      for (let ti = 0; ti < T; ti++) {
        if (!mask[bi]?.[ti]) continue;
        const off = ((bi * H + hi) * T + ti) * S;
        let js = 0;
        for (let si = 0; si < S; si++) {
          if (!mask[bi][si]) continue;
          const p = a[off + si];
          const q = b[off + si];
          const d = Math.abs(p - q);
          maxAbs = Math.max(maxAbs, d);
          sumAbs += d;
          entries++;
          const m = (p + q) / 2;
          if (p > 0) js += 0.5 * p * Math.log(p / m);
          if (q > 0) js += 0.5 * q * Math.log(q / m);
        }
        sumJs += js;
        maxJs = Math.max(maxJs, js);
        rows++;
      }
  return { maxAbs, meanAbs: sumAbs / entries, meanJs: sumJs / rows, maxJs, rows };
}

/** The element-wise worst of several distances (e.g. one per layer). */
export function worstDistance(ds: readonly MapDistance[]): MapDistance {
  return {
    maxAbs: Math.max(...ds.map((d) => d.maxAbs)),
    meanAbs: Math.max(...ds.map((d) => d.meanAbs)),
    meanJs: Math.max(...ds.map((d) => d.meanJs)),
    maxJs: Math.max(...ds.map((d) => d.maxJs)),
    rows: ds.reduce((n, d) => n + d.rows, 0),
  };
}
