/**
 * Chance-corrected mass. A pattern names, for each row i, a set of sources; m = the mass the row
 * puts there, u = the share of the row's nᵢ visible sources that set covers (what uniform
 * attention would put there). The score over rows is
 *   Σᵢ (mᵢ − uᵢ) / Σᵢ (1 − uᵢ),  clamped to [0, 1]
 * so uniform attention scores 0, the exact pattern 1, and (1 − ε)·pattern + ε·uniform scores
 * 1 − ε. Rows with uᵢ = 1 (the set covers every visible source) or uᵢ = 0 (it covers none) say
 * nothing and are skipped. Below 0 is an anti-pattern (the head avoids the set), reported as is;
 * only the upper end is clamped (to 1).
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

/** Row blocks a tally keeps apart for the bootstrap (see uncertainty.ts). */
export const TALLY_BLOCKS = 16;

const GAIN = 0;
const ROOM = 1;
const CHANCE = 2;
const ROWS = 3;
const LLR = 4;
const MASS = 5;
const FIELDS = 6;

export class Tally {
  /** Per block: gain, room, Σ chance, rows, Σ llr, Σ mass. */
  private readonly sums = new Float64Array(TALLY_BLOCKS * FIELDS);
  private readonly total = new Float64Array(FIELDS);
  private fresh = true;

  /**
   * One row: its mass on the pattern's sources, their share u of the row, templateLog(u) when
   * known, and the row's block (rows are grouped into TALLY_BLOCKS contiguous blocks for the bootstrap).
   */
  add(mass: number, chance: number, template = templateLog(chance), block = 0): void {
    if (!(chance < 1 && chance > 0) || mass !== mass) return;
    const m = Math.min(1, Math.max(0, mass));
    const o = block * FIELDS;
    const s = this.sums;
    this.fresh = false;
    s[o + GAIN] += mass - chance;
    s[o + ROOM] += 1 - chance;
    s[o + CHANCE] += chance;
    s[o + ROWS]++;
    s[o + LLR] += m * template + (1 - m) * LOG_SMOOTHING;
    s[o + MASS] += mass;
  }

  private get t(): Float64Array {
    const t = this.total;
    if (this.fresh) return t;
    this.fresh = true;
    t.fill(0);
    for (let b = 0; b < TALLY_BLOCKS; b++) for (let f = 0; f < FIELDS; f++) t[f] += this.sums[b * FIELDS + f];
    return t;
  }

  /** A tally of the blocks drawn with these multiplicities (one bootstrap resample). */
  resampled(times: Float64Array): Tally {
    const out = new Tally();
    for (let b = 0; b < TALLY_BLOCKS; b++) {
      if (times[b] === 0) continue;
      for (let f = 0; f < FIELDS; f++) out.sums[f] += times[b] * this.sums[b * FIELDS + f];
    }
    out.fresh = false;
    return out;
  }

  /** The score in (−∞, 1] (negative: an anti-pattern), or null when no row was informative. */
  score(): number | null {
    const t = this.t;
    if (t[ROWS] === 0 || t[ROOM] <= 0) return null;
    return Math.min(1, t[GAIN] / t[ROOM]);
  }

  /** Mean mass mᵢ on the pattern's sources. */
  mass(): number {
    const t = this.t;
    return t[ROWS] > 0 ? t[MASS] / t[ROWS] : 0;
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
    const t = this.t;
    return t[ROWS] > 0 ? t[LLR] / t[ROWS] : Number.NEGATIVE_INFINITY;
  }

  /** Rows that told something (0 < uᵢ < 1). */
  count(): number {
    return this.t[ROWS];
  }

  /** Mean uᵢ: how much of the row the pattern covers. */
  chance(): number {
    const t = this.t;
    return t[ROWS] > 0 ? t[CHANCE] / t[ROWS] : 1;
  }
}
