/**
 * Null attention maps for calibrating the pattern classifier: heads with no positional structure,
 * so any structured label on them is a false positive. Dirichlet(α) rows over each row's visible
 * sources (α = 0.1 peaked … 3 flat), and designed maps whose rows or columns are shuffled (real
 * looking, peaked, but at random places). Seeded: the same options give the same maps.
 */
import type { SiteAttention } from "../result/types";
import { seededRandom } from "../util/random";
import { type DesignedPattern, designedSite } from "./syntheticMaps";

/** Gamma(α, 1) draw (Marsaglia–Tsang; α < 1 by the boost U^(1/α)). */
function gamma(alpha: number, rand: () => number): number {
  if (alpha < 1) return gamma(alpha + 1, rand) * rand() ** (1 / alpha);
  const d = alpha - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    // Box–Muller normal.
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = 1 - rand();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Writes a Dirichlet(α) draw over `out[0 .. n)`. */
export function dirichletRow(out: Float32Array, n: number, alpha: number, rand: () => number): void {
  let sum = 0;
  const g = new Float64Array(n);
  for (let j = 0; j < n; j++) sum += g[j] = Math.max(gamma(alpha, rand), 1e-300);
  for (let j = 0; j < n; j++) out[j] = g[j] / sum;
}

export interface NullOptions {
  heads: number;
  length: number;
  causal: boolean;
  seed: number;
}

function site(data: Float32Array, heads: number, T: number, causal: boolean): SiteAttention {
  return {
    id: "encoder.self.0",
    stack: "encoder",
    kind: "self",
    layer: 0,
    heads,
    causal,
    node: "null",
    data,
    dims: [1, heads, T, T],
  };
}

/** One sample of `heads` heads whose rows are Dirichlet(α) over their visible sources. */
export function dirichletSite(alpha: number, o: NullOptions): SiteAttention {
  const T = o.length;
  const rand = seededRandom(o.seed);
  const data = new Float32Array(o.heads * T * T);
  for (let h = 0; h < o.heads; h++)
    for (let i = 0; i < T; i++)
      dirichletRow(data.subarray((h * T + i) * T, (h * T + i + 1) * T), o.causal ? i + 1 : T, alpha, rand);
  return site(data, o.heads, T, o.causal);
}

function shuffle(n: number, rand: () => number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, k) => k);
  for (let k = n - 1; k > 0; k--) {
    const r = Math.floor(rand() * (k + 1));
    [p[k], p[r]] = [p[r], p[k]];
  }
  return p;
}

/** The positional designs that shuffling destroys (a shuffled strip or segment is still one). */
export const SHUFFLED_DESIGNS: DesignedPattern[] = ["identity", "previous", "next", "window"];

/**
 * Designed positional maps (plus Dirichlet(1) noise, so causal masking leaves every row some
 * mass) with their rows or their columns shuffled, then masked and renormalized to the causal
 * field: as peaked as real heads, but at no fixed offset.
 */
export function shuffledSite(by: "rows" | "columns", o: NullOptions & { window?: number }): SiteAttention {
  const T = o.length;
  const rand = seededRandom(o.seed);
  const designs = Array.from({ length: o.heads }, (_, h) => SHUFFLED_DESIGNS[h % SHUFFLED_DESIGNS.length]);
  const designed = designedSite(designs, { lengths: [T], window: o.window ?? 2 }).site.data;
  const data = new Float32Array(o.heads * T * T);
  const noise = new Float32Array(T);
  for (let h = 0; h < o.heads; h++) {
    const perm = shuffle(T, rand);
    for (let i = 0; i < T; i++) {
      const from = by === "rows" ? perm[i] : i;
      const n = o.causal ? i + 1 : T;
      dirichletRow(noise, n, 1, rand);
      const row = data.subarray((h * T + i) * T, (h * T + i + 1) * T);
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const src = by === "columns" ? perm[j] : j;
        sum += row[j] = 0.8 * designed[(h * T + from) * T + src] + 0.2 * noise[j];
      }
      for (let j = 0; j < n; j++) row[j] /= sum;
    }
  }
  return site(data, o.heads, T, o.causal);
}
