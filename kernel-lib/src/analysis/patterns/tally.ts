/**
 * Chance-corrected mass. A pattern names, for each row i, a set of sources; m = the mass the row
 * puts there, u = the share of the row's nᵢ visible sources that set covers (what uniform
 * attention would put there). The score over rows is
 *   Σᵢ (mᵢ − uᵢ) / Σᵢ (1 − uᵢ),  clamped to [0, 1]
 * so uniform attention scores 0, the exact pattern 1, and (1 − ε)·pattern + ε·uniform scores
 * 1 − ε. Rows with uᵢ = 1 (the set covers every visible source) say nothing and are skipped.
 */
import { PATTERN_SMOOTHING } from "./thresholds";

const LOG_SMOOTHING = Math.log(PATTERN_SMOOTHING);

/**
 * ln((1 − ε)/u + ε): the log-likelihood ratio of the pattern's template on a row whose mass is all
 * on the pattern's sources. It depends on the row's geometry only, so callers compute it once per
 * row and share it across heads (see evidence.ts).
 */
export function templateLog(chance: number): number {
  return Math.log((1 - PATTERN_SMOOTHING) / chance + PATTERN_SMOOTHING);
}

export class Tally {
  private gain = 0;
  private room = 0;
  private chanceSum = 0;
  private rows = 0;
  private llr = 0;

  /** One row: its mass on the pattern's sources, their share u of the row, and templateLog(u) when known. */
  add(mass: number, chance: number, template = templateLog(chance)): void {
    if (!(chance < 1) || mass !== mass) return;
    this.gain += mass - chance;
    this.room += 1 - chance;
    this.chanceSum += chance;
    this.rows++;
    const m = Math.min(1, Math.max(0, mass));
    this.llr += m * template + (1 - m) * LOG_SMOOTHING;
  }

  /** The score, or null when no row was informative. */
  score(): number | null {
    if (this.rows === 0 || this.room <= 0) return null;
    return Math.min(1, Math.max(0, this.gain / this.room));
  }

  /**
   * Mean log-likelihood ratio (nats per row) of the row under the pattern's template — (1 − ε)
   * spread over the pattern's sources plus ε over all — against uniform attention:
   *   mᵢ·ln((1 − ε)/uᵢ + ε) + (1 − mᵢ)·ln ε.
   * It rewards both explaining the mass and being specific, so it picks the best of several
   * patterns that explain a head (a wide window also "explains" an induction head whose repeat
   * period fits inside it; a segment also "explains" most of a narrow window's mass).
   */
  logLikelihoodRatio(): number {
    return this.rows > 0 ? this.llr / this.rows : Number.NEGATIVE_INFINITY;
  }

  /** Rows that told something (uᵢ < 1). */
  count(): number {
    return this.rows;
  }

  /** Mean uᵢ: how much of the row the pattern covers. */
  chance(): number {
    return this.rows > 0 ? this.chanceSum / this.rows : 1;
  }
}
