/**
 * Statistics for probes: a permutation test over source positions, Holm's correction for the
 * heads a probe searches, and Wilson intervals for "the rule holds in k of n sentences".
 * The permutation generator is a seeded mulberry32 so a test can replay the same permutations
 * (the numpy reference in probeStats.test.ts does).
 */
import { seededRandom } from "../../util/random";

/** Arrangements up to this count are enumerated exactly; above it, `PERMUTATIONS` random ones. */
export const EXACT_LIMIT = 20_000;
/** Random permutations when exact enumeration is too large. */
export const PERMUTATIONS = 9_999;
/** Default seed of the permutation generator. */
export const DEFAULT_SEED = 1;
/** Observed and permuted statistics this close count as ties (extreme): float32 sums are not exact. */
const TIE = 1e-9;

/** The statistic a rule tests, from the weights on the target set and the comparison set. */
export type Statistic = (target: number, other: number) => number;

/** How many ordered pairs of disjoint sets of sizes k1, k2 an n-set has: n! / (k1! k2! (n−k1−k2)!). */
export function arrangements(n: number, k1: number, k2: number): number {
  let count = 1;
  for (let i = 0; i < k1 + k2; i++) count = (count * (n - i)) / (i + 1);
  // multinomial = C(n, k1 + k2) · C(k1 + k2, k1)
  let split = 1;
  for (let i = 0; i < k1; i++) split = (split * (k1 + k2 - i)) / (i + 1);
  return Math.round(count * split);
}

function* combinations(items: number[], k: number, start = 0, chosen: number[] = []): Generator<number[]> {
  if (chosen.length === k) {
    yield chosen;
    return;
  }
  for (let i = start; i <= items.length - (k - chosen.length); i++) {
    chosen.push(items[i]);
    yield* combinations(items, k, i + 1, chosen);
    chosen.pop();
  }
}

const sum = (row: ArrayLike<number>, at: number[]) => at.reduce((s, j) => s + row[j], 0);

/** Exact count for one-token words (the common case) without allocating: single positions or ordered pairs. */
function exactSingle(row: ArrayLike<number>, k2: number, statistic: Statistic, observed: number): number {
  const n = row.length;
  let extreme = 0;
  for (let i = 0; i < n; i++) {
    if (k2 === 0) {
      if (statistic(row[i], 0) >= observed - TIE) extreme++;
      continue;
    }
    for (let j = 0; j < n; j++) if (j !== i && statistic(row[i], row[j]) >= observed - TIE) extreme++;
  }
  return extreme;
}

export interface PermutationTest {
  /** One-sided p-value: share of arrangements whose statistic is at least the observed one. */
  p: number;
  /** Arrangements compared: all of them (exact) or the random ones. */
  permutations: number;
  exact: boolean;
}

/**
 * Permutation test over positions: which `row` positions are the target word (k1 of them) and the
 * comparison word (k2) is shuffled; the statistic of the real positions is ranked among them.
 * Exact: p = #{arrangements ≥ observed} / #arrangements (the observed one included). Random:
 * p = (1 + #{≥ observed}) / (1 + R), each permutation a Fisher–Yates shuffle of the positions.
 */
export function permutationTest(
  row: ArrayLike<number>,
  target: number[],
  other: number[],
  statistic: Statistic,
  seed = DEFAULT_SEED,
): PermutationTest {
  const n = row.length;
  const observed = statistic(sum(row, target), sum(row, other));
  const k1 = target.length;
  const k2 = other.length;
  const total = arrangements(n, k1, k2);
  const positions = Array.from({ length: n }, (_, j) => j);
  if (total === 0) return { p: 1, permutations: 0, exact: true }; // the two words share their only source
  if (total <= EXACT_LIMIT && k1 === 1 && k2 <= 1)
    return { p: exactSingle(row, k2, statistic, observed) / total, permutations: total, exact: true };
  if (total <= EXACT_LIMIT) {
    let extreme = 0;
    for (const t of combinations(positions, k1)) {
      const rest = positions.filter((j) => !t.includes(j));
      const tw = sum(row, t);
      for (const o of combinations(rest, k2)) if (statistic(tw, sum(row, o)) >= observed - TIE) extreme++;
    }
    return { p: extreme / total, permutations: total, exact: true };
  }
  const random = seededRandom(seed);
  let extreme = 0;
  for (let r = 0; r < PERMUTATIONS; r++) {
    // Partial Fisher–Yates: the first k1 + k2 slots are a uniform ordered draw without replacement.
    for (let i = 0; i < k1 + k2; i++) {
      const j = i + Math.floor(random() * (n - i));
      [positions[i], positions[j]] = [positions[j], positions[i]];
    }
    let t = 0;
    let o = 0;
    for (let i = 0; i < k1; i++) t += row[positions[i]];
    for (let i = k1; i < k1 + k2; i++) o += row[positions[i]];
    const s = statistic(t, o);
    if (s >= observed - TIE) extreme++;
  }
  return { p: (1 + extreme) / (1 + PERMUTATIONS), permutations: PERMUTATIONS, exact: false };
}

/** Holm's step-down adjustment (family-wise error), in the input's order. */
export function holm(p: number[]): number[] {
  const m = p.length;
  const order = p.map((_, i) => i).sort((a, b) => p[a] - p[b]);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((i, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p[i]));
    adjusted[i] = running;
  });
  return adjusted;
}

/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

/** Wilson score interval for k successes in n trials (95 % by default). */
export function wilson(k: number, n: number, z = Z95): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
