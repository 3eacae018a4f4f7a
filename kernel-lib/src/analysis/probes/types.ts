/** Types of rule-based probes. */
import type { AttentionKind, Stack } from "../../result/types";
import type { TokenSelector } from "./select";

/** A probe's rule: a bound on the weight, or a comparison with the weight on another token. */
export type ProbeRule =
  | { kind: "atLeast" | "atMost"; value: number }
  | { kind: "moreThan" | "lessThan"; other: TokenSelector; margin: number };

/** One head of one sample where the rule holds (or, from `weights()`, every head). */
export interface ProbeMatch {
  site: string;
  stack: Stack;
  kind: AttentionKind;
  layer: number;
  head: number;
  sample: number;
  /** Attention from the `from` word to the `to` word: mean over from-pieces of the mass on to-pieces. */
  weight: number;
  /** The same towards the comparison word (moreThan / lessThan), else null. */
  other: number | null;
}

/** What a probe found: the rule in words, the heads where it holds, how many were checked, and a summary. */
export interface ProbeResult {
  /** The rule in words, e.g. `from "it" to "animal" ≥ 0.3`. */
  rule: string;
  /** Matching heads, strongest weight first. */
  matches: ProbeMatch[];
  /** Heads evaluated (sites × heads × samples where the words exist). */
  checked: number;
  /** A readable summary: the rule, the count, the strongest matches. */
  summary: string;
  /** The summary. */
  toString(): string;
}
