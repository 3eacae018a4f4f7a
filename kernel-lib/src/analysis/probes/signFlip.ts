/**
 * The test across sentences: a paired sign-flip permutation test. Each sentence gives one paired
 * difference d_i (weight to the right word − weight to the distractor, or weight − chance); under
 * "the head does not tell them apart" swapping the two labels in a sentence only flips the sign of
 * d_i, so every sign pattern is as likely as the observed one. The statistic is Σ d_i (the mean
 * difference times n); the p-value is one-sided (large = in the rule's direction).
 * Exact over all 2ⁿ sign patterns when n ≤ 14, else seeded random patterns from the same mulberry32
 * generator as the position test (the numpy reference in probeSamples.test.ts replays them).
 */
import { seededRandom } from "../../util/random";
import { DEFAULT_SEED, EXACT_LIMIT, PERMUTATIONS } from "./stats";

/** Observed and flipped sums this close count as ties (extreme): float32 weights are not exact. */
const TIE = 1e-9;

/** One head's test across sentences. */
export interface SignFlipTest {
  /** One-sided p-value: share of sign patterns whose Σ ε_i d_i is at least the observed Σ d_i. */
  p: number;
  /** Sign patterns compared: 2ⁿ (exact) or the random ones. */
  permutations: number;
  exact: boolean;
}

/**
 * Paired sign-flip permutation test of Σ d_i > 0. Exact: p = #{ε ∈ {±1}ⁿ : Σ ε_i d_i ≥ Σ d_i} / 2ⁿ
 * (the observed pattern included). Random: each of `PERMUTATIONS` patterns takes one 32-bit draw
 * k = 2³² · random() per 32 sentences, ε_i = −1 where bit (i mod 32) of k is set; p = (1 + #≥) /
 * (1 + PERMUTATIONS). No sentence: p = 1.
 */
export function signFlipTest(differences: ArrayLike<number>, seed = DEFAULT_SEED): SignFlipTest {
  const d = Array.from(differences);
  const n = d.length;
  if (n === 0) return { p: 1, permutations: 0, exact: true };
  const observed = d.reduce((s, x) => s + x, 0);
  const total = 2 ** n;
  const values = Float64Array.from(d);
  if (total <= EXACT_LIMIT) {
    let extreme = 0;
    for (let mask = 0; mask < total; mask++) {
      let s = 0;
      for (let i = 0, bits = mask; i < n; i++, bits >>>= 1) s += values[i] * (1 - 2 * (bits & 1));
      if (s >= observed - TIE) extreme++;
    }
    return { p: extreme / total, permutations: total, exact: true };
  }
  const random = seededRandom(seed);
  let extreme = 0;
  for (let r = 0; r < PERMUTATIONS; r++) {
    let s = 0;
    for (let start = 0; start < n; start += 32) {
      // one 32-bit draw gives 32 signs: the generator's output is k / 2³², so k is exact
      let bits = (random() * 4294967296) >>> 0;
      const end = Math.min(n, start + 32);
      // ±1 by arithmetic, not a branch: the signs are coin flips, which a branch predictor cannot learn
      for (let i = start; i < end; i++, bits >>>= 1) s += values[i] * (1 - 2 * (bits & 1));
    }
    if (s >= observed - TIE) extreme++;
  }
  return { p: (1 + extreme) / (1 + PERMUTATIONS), permutations: PERMUTATIONS, exact: false };
}
