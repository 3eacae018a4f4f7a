/** Types of the head pattern classifier. */

/** Positional patterns: each explains a share of the mass at known sources. */
export type PositionalPattern = "diagonal" | "previous" | "next" | "induction" | "vertical" | "local" | "block";

/** Every score the classifier reports; "sparse" stands for global/sparse heads. */
export type PatternName = PositionalPattern | "sparse" | "broad";

/** The label: a pattern, or "mixed" when no score reaches its threshold. */
export type PatternLabel = PatternName | "mixed";

/** Score per pattern in [0, 1]; null where the pattern cannot be measured on this site. */
export type PatternScores = Record<PatternName, number | null>;

/** One head's pattern label, its confidence and the score of every pattern. */
export interface HeadPattern {
  head: number;
  label: PatternLabel;
  /** The label's score (for "mixed": 1 − the best score). In [0, 1]. */
  confidence: number;
  scores: PatternScores;
  /** Window half-width w of the "local" score (|j − i| ≤ w); null when not measured. */
  window: number | null;
  /** Source positions of the vertical strip, per sample (ascending); empty lists when none. */
  strip: number[][];
}
