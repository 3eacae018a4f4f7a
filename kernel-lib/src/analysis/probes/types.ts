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
  /** Per head, the fraction of sentences where the rule holds (Wilson 95 % interval), best first. */
  heads: ProbeHeadRate[];
  /** A readable summary: the rule, the count, the strongest matches with effect and p-value, the correction. */
  summary: string;
  /** The summary. */
  toString(): string;
}
