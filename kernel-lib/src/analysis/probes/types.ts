/** Types of rule-based probes. */
import type { AttentionKind, Stack } from "../../result/types";
import type { TokenSelector } from "./select";

/** A probe's rule: a bound on the weight, or a comparison with the weight on another token. */
export type ProbeRule =
  | { kind: "atLeast" | "atMost"; value: number }
  | { kind: "moreThan" | "lessThan"; other: TokenSelector; margin: number | "chance" };

/** One head of one sample where the rule holds (or, from `weights()`, every head). */
export interface ProbeMatch {
  site: string;
  stack: Stack;
  kind: AttentionKind;
  layer: number;
  head: number;
  sample: number;
  /** Which result (sentence) of `probe([...])` this is; 0 for a single result. */
  input: number;
  /** Attention from the `from` word to the `to` word: mean over from-pieces of the mass on to-pieces. */
  weight: number;
  /** The same towards the comparison word (moreThan / lessThan), else null. */
  other: number | null;
  /** Chance level of `weight`: the to-word's pieces / the sources the from-word can see (uniform attention). */
  chance: number;
  /** Effect size: weight / chance (1 = what uniform attention gives). */
  ratio: number;
  /** Effect size: weight − chance, in probability. */
  excess: number;
  /** Effect size of a comparison: weight − other (moreThan / lessThan), else null. */
  difference: number | null;
  /** One-sided permutation p-value of the rule's statistic (positions of the words shuffled within the visible sources). */
  p: number;
  /** `p` after Holm's correction over every head the probe checked (`ProbeResult.test.comparisons`). */
  pAdjusted: number;
}

/** How a probe's p-values were computed. */
export interface ProbeTest {
  /** Always "permutation over positions": which visible sources are the named words is shuffled. */
  method: "permutation over positions";
  /** Permutations per head: all arrangements when few (exact), else this many seeded random ones. */
  permutations: number;
  exact: boolean;
  seed: number;
  /** Multiple-comparison correction: Holm's step-down (family-wise error rate). */
  correction: "holm";
  /** Heads × samples tested, the family Holm corrects over. */
  comparisons: number;
}

/** Per head over the probe's sentences: in how many the rule holds, with a 95 % Wilson interval. */
export interface ProbeHeadRate {
  site: string;
  layer: number;
  head: number;
  /** Sentences (results × samples) where the rule holds. */
  holds: number;
  /** Sentences evaluated. */
  total: number;
  fraction: number;
  low: number;
  high: number;
  /** Mean weight, and mean comparison weight (null without a comparison), over the sentences. */
  meanWeight: number;
  meanOther: number | null;
  /**
   * Effect across sentences: the mean paired difference the sentence test uses (`ProbeSampleTest.statistic`:
   * weight − other for moreThan, other − weight for lessThan, weight − chance for atLeast, chance − weight
   * for atMost), in probability; > 0 = in the rule's direction.
   */
  meanDifference: number;
  /** One-sided sign-flip permutation p-value of that difference over this head's sentences (≥ 1/2ⁿ: one sentence gives at best 1/2). */
  p: number;
  /** `p` after Holm's correction over the heads tested (`ProbeSampleTest.comparisons`). */
  pAdjusted: number;
}

/**
 * The test across sentences behind `ProbeHeadRate.p`: per head, the sentences' paired differences
 * d_i (right word − distractor, or weight − chance) with their signs flipped at random; under "the
 * head does not tell the two apart" every sign pattern is as likely as the observed one.
 */
export interface ProbeSampleTest {
  /** Always "sign-flip permutation over sentences" (results × samples). */
  method: "sign-flip permutation over sentences";
  /** The paired difference in words, e.g. "weight − other"; the test statistic is its sum over sentences. */
  statistic: string;
  /** Sentences of the head with the most (heads skip sentences where a word is missing). */
  sentences: number;
  /** Sign patterns per head: all 2ⁿ when n ≤ 14 (exact), else this many seeded random ones. */
  permutations: number;
  exact: boolean;
  seed: number;
  /** Multiple-comparison correction: Holm's step-down (family-wise error rate). */
  correction: "holm";
  /** Heads tested, the family Holm corrects over. */
  comparisons: number;
}

/** What a probe found: the rule in words, the heads where it holds, how many were checked, and a summary. */
export interface ProbeResult {
  /** The rule in words, e.g. `from "it" to "animal" ≥ 0.3`. */
  rule: string;
  /** Matching heads, strongest weight first. */
  matches: ProbeMatch[];
  /** Heads evaluated (sites × heads × samples where the words exist). */
  checked: number;
  /** The permutation test and correction behind each match's `p` / `pAdjusted`. */
  test: ProbeTest;
  /**
   * Per head, the fraction of sentences where the rule holds (Wilson 95 % interval) and the test across
   * sentences (p, Holm-adjusted p), best first.
   */
  heads: ProbeHeadRate[];
  /** The sign-flip test across sentences and correction behind each head's `p` / `pAdjusted`. */
  sampleTest: ProbeSampleTest;
  /** A readable summary: the rule, the count, the strongest matches with effect and p-value, the correction. */
  summary: string;
  /** The summary. */
  toString(): string;
}
