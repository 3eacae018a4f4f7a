/**
 * Which of a head's tallies the bootstrap may leave as they are (see uncertainty.ts). A resample's
 * summaries lie within the range of its tally's block summaries (Tally.blockRange), so a tally
 * whose every block is clear of labelHead's thresholds is "inert": in no resample can it be a
 * candidate, an anti-pattern or (the vertical tally) a sink. When, besides, the answer the
 * bootstrap records — the resample's label and the score of the head's label — does not read the
 * tally's value, its resampled totals can be replaced by the original ones ("frozen"): every
 * resample then gets the same label and the same score as when it is summed, at a fraction of the
 * cost. A head whose tallies are all frozen keeps its label in every resample.
 *
 * This mirrors the rules of classify.ts's labelHead (candidate: rows ≥ minimumRows, score ≥
 * PATTERN_MIN and llr ≥ PATTERN_LLR_MIN; anti: score ≤ ANTI_MAX; sink: vertical mass ≥
 * COMPONENT_MIN; the local window picked among all widths; a "mixed" head's confidence reads every
 * score). frozen.test.ts checks the bootstrap against relabelling every resample in full; a change
 * to those rules must change this file too.
 */
import type { HeadEvidence, PatternTallies } from "./evidence";
import type { BlockRange, Tally } from "./tally";
import { ANTI_MAX, COMPONENT_MIN, PATTERN_LLR_MIN, PATTERN_MIN } from "./thresholds";
import type { PatternLabel, PositionalPattern } from "./types";

/**
 * Slack on every threshold, relative: a resample's ratio is summed in floating point, which can
 * move it past the exact weighted mediant by a few units in the last place (≈ 1e-15 relative).
 */
const SLACK = 1e-9;

/** Whether some value in [lo, hi] reaches `threshold` from below (x ≥ threshold, with slack). */
function reaches(hi: number, lo: number, threshold: number): boolean {
  return hi >= threshold - SLACK * (1 + Math.abs(hi) + Math.abs(lo));
}

/** Whether some value in [lo, hi] falls to `threshold` (x ≤ threshold, with slack). */
function fallsTo(lo: number, hi: number, threshold: number): boolean {
  return lo <= threshold + SLACK * (1 + Math.abs(hi) + Math.abs(lo));
}

const range: BlockRange = { maxRows: 0, scoreLo: 0, scoreHi: 0, llrLo: 0, llrHi: 0, massLo: 0, massHi: 0 };

/**
 * Whether no resample can make `t` a candidate, nor (when `anti`) an anti-pattern, nor (when
 * `sink`) a sink: rows below `minRows` are not measured, as in labelHead.
 */
function inert(t: Tally, blocks: number, minRows: number, anti: boolean, sink: boolean): boolean {
  t.blockRange(blocks, range, false, sink);
  if (range.maxRows < minRows) return true;
  const { scoreLo, scoreHi } = range;
  if (anti && fallsTo(scoreLo, scoreHi, ANTI_MAX)) return false;
  if (sink && reaches(range.massHi, range.massLo, COMPONENT_MIN)) return false;
  if (!reaches(scoreHi, scoreLo, PATTERN_MIN)) return true;
  // The score can reach the bar: then the llr decides (summed only for these tallies).
  t.blockRange(blocks, range, true, false);
  return !reaches(range.llrHi, range.llrLo, PATTERN_LLR_MIN);
}

/**
 * The tallies frozenTallies keeps, marked on the tallies themselves (Tally.mark) with a number of
 * this set's own: a hash set grown for every bootstrapped head, a few dozen tallies each, was a
 * large share of analyzeResult's garbage. Valid until the next FrozenSet is made.
 */
export class FrozenSet {
  private static last = 0;
  private readonly stamp = ++FrozenSet.last;
  /** Tallies kept. */
  size = 0;

  add(t: Tally): void {
    if (t.mark === this.stamp) return;
    t.mark = this.stamp;
    this.size++;
  }

  has(t: Tally): boolean {
    return t.mark === this.stamp;
  }
}

const SINGLE: Exclude<PositionalPattern, "local" | "vertical">[] = [
  "diagonal",
  "previous",
  "next",
  "induction",
  "block",
];

/**
 * Adds to `out` the tallies of one view of the rows the bootstrap may keep. The raw view's scores
 * are read for candidates and anti-patterns (and the vertical mass for the sink); the sink-free
 * view's for candidates only. The local window's widths and rings go together (any width may be
 * picked; a ring never becomes the label, it only keeps a window from it). Returns whether every
 * tally of the view may be kept.
 */
function keepView(
  view: PatternTallies,
  raw: boolean,
  label: PatternLabel,
  blocks: number,
  minRows: number,
  out: FrozenSet,
): boolean {
  let all = true;
  for (const p of SINGLE) {
    const t = view.tallies[p];
    if (p !== label && inert(t, blocks, minRows, raw, false)) out.add(t);
    else all = false;
  }
  let local = label !== "local";
  for (let w = 0; local && w < view.windows.length; w++) local = inert(view.windows[w], blocks, minRows, raw, false);
  if (!local) return false;
  for (const t of view.windows) out.add(t);
  for (const t of view.rings) out.add(t);
  return all;
}

/**
 * The tallies of `ev` whose resampled values cannot change what the bootstrap records for a head
 * labelled `label` (see above), or "all" when that holds for every tally the bootstrap reads:
 * then every resample gets the head's label with the head's score.
 */
export function frozenTallies(ev: HeadEvidence, label: PatternLabel, minRows: number): FrozenSet | "all" {
  const out = new FrozenSet();
  // A mixed head's confidence is 1 − its best score: every score counts.
  if (label === "mixed") return out;
  const blocks = ev.blocks;
  let all = true;
  // The sparse scores decide only between sparse, mixed and each other.
  if (label !== "sparse") {
    out.add(ev.sparseTally);
    out.add(ev.sparseShortTally);
  } else all = false;
  const vertical = ev.tallies.vertical;
  if (label !== "vertical" && inert(vertical, blocks, minRows, true, true)) out.add(vertical);
  else all = false;
  if (!keepView(ev, true, label, blocks, minRows, out)) all = false;
  // The sink-free view has its own tallies only for heads with a strip (see evidence.ts).
  if (ev.rest.windows !== ev.windows && !keepView(ev.rest, false, label, blocks, minRows, out)) all = false;
  return all ? "all" : out;
}
