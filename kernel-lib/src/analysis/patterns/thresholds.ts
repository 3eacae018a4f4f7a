/** The classifier's documented constants (see docs/metrics.md, "Patterns"). */

/** A positional pattern needs at least this chance-corrected score to be the label. */
export const PATTERN_MIN = 0.5;
/**
 * …measured on at least this many rows, and this share of the head's rows: a pattern seen on one
 * or two rows (an "induction" from the one repeated "the" of a sentence) is not a head's pattern.
 */
export const PATTERN_MIN_ROWS = 3;
export const PATTERN_MIN_ROW_SHARE = 0.1;
/**
 * Among patterns scoring ≥ PATTERN_MIN, the label is the one under whose template — (1 − ε) on
 * its sources, ε spread over the row — the head's rows are most likely (see Tally); ε is this.
 */
export const PATTERN_SMOOTHING = 0.05;
/** "broad" needs this mean normalized entropy (and no positional pattern). */
export const BROAD_MIN = 0.8;
/** "sparse" (global/sparse) needs this chance-corrected max weight (and no positional pattern)… */
export const SPARSE_MIN = 0.5;
/**
 * …measured on rows with at least this many visible sources: on fewer, rows with no peak (Dirichlet
 * α = 0.3) already put half their mass on one source by chance (calibrated on null maps).
 */
export const SPARSE_MIN_SOURCES = 12;
/** Inputs with too few such rows are "sparse" when the score over all rows reaches this (null maps stay below 0.75). */
export const SPARSE_MIN_SHORT = 0.8;
/** Widest local window measured: |j − i| ≤ WINDOW_MAX. */
export const WINDOW_MAX = 16;
/** A strip column receives at least this share of the rows' mass (Σᵢ aᵢⱼ / rows)… */
export const STRIP_SHARE_MIN = 0.1;
/** …and at least this many times the average column's share… */
export const STRIP_OVER_AVERAGE = 2;
/** …and at least this fraction of the strongest column's share; at most STRIP_MAX columns. */
export const STRIP_RELATIVE = 0.5;
export const STRIP_MAX = 4;
/** A source is a strip candidate when it is the largest weight of at least this share of the rows (and of ≥ 2 rows). */
export const STRIP_ARGMAX_ROWS = 0.05;
/**
 * A structured label must beat chance: the mean log-likelihood ratio of its template against
 * uniform attention (Tally.logLikelihoodRatio, nats per row) must reach this margin. Set from
 * null maps (scripts/calibrate.mjs; table in docs/metrics.md).
 */
export const PATTERN_LLR_MIN = 0.25;
/** A score at or below −PATTERN_MIN is an anti-pattern (the head avoids those sources); such a head is not "broad". */
export const ANTI_MAX = -PATTERN_MIN;
/** Mixture components (the pattern, the sink) are reported from this weight on. */
export const COMPONENT_MIN = 0.15;
/** The local window covers at most this mean share of the visible sources (wider is not "local"). */
export const WINDOW_MAX_SHARE = 2 / 3;
/** Bootstrap resamples for a label's support and its score's interval (seeded, see uncertainty.ts). */
export const BOOTSTRAP_RESAMPLES = 24;
/**
 * A mixture component is reported only when its weight stands this far out of the noise: at least
 * the Student t quantile at this normal quantile (blocks − 1 degrees of freedom) times its
 * block-sandwich standard error (mixture/). Set on null maps: ≤ 2 % of null heads get a component.
 */
export const COMPONENT_Z = 3.5;
