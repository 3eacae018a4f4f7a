/** Types of the head pattern classifier. */

/** Positional patterns: each explains a share of the mass at known sources. */
export type PositionalPattern = "diagonal" | "previous" | "next" | "induction" | "vertical" | "local" | "block";

/** Every score the classifier reports; "sparse" stands for global/sparse heads. */
export type PatternName = PositionalPattern | "sparse" | "broad";

/** The label: a pattern, or "mixed" when no score reaches its threshold. */
export type PatternLabel = PatternName | "mixed";

/**
 * Score per pattern, at most 1 (below 0: an anti-pattern); null where the pattern cannot be
 * measured on this site or was seen on fewer rows than the minimum.
 */
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
  /**
   * The label with the head's other components, e.g. "previous+sink", "diagonal+previous+sink"; a
   * "mixed" head with pattern components is named by them ("previous+next"). See mixture/components.ts.
   */
  combined: string;
  /**
   * The head as a mixture of all templates (mixture/): each template whose weight — the mean share of
   * a row it explains — is ≥ COMPONENT_MIN and stands out of the noise (COMPONENT_Z), largest first.
   */
  components: PatternComponent[];
  /** Patterns the head avoids (score ≤ ANTI_MAX), e.g. "block" for a head on the other sentence. */
  anti: PositionalPattern[];
  /** Mean log-likelihood ratio (nats per row) of the label's template against uniform attention; null for broad, sparse, mixed. */
  llr: number | null;
  /** Share of bootstrap resamples of the rows that give the same label, in [0, 1]. */
  support: number;
  /** 95 % bootstrap interval of the label's score (of the best score for "mixed"). */
  interval: [number, number];
}

/** One component of a head's mixture: a pattern (or the sink: the strip columns) and its weight (mean share of a row). */
export interface PatternComponent {
  pattern: PositionalPattern | "sink";
  weight: number;
}
