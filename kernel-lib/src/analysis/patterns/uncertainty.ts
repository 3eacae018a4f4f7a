/**
 * A label's uncertainty by the bootstrap: the head's rows are kept in contiguous blocks (across
 * the samples, so several samples are resampled too; see evidence.ts), the blocks are drawn with
 * replacement BOOTSTRAP_RESAMPLES times, and each resample is labelled again. `support` is the
 * share of resamples giving the same label; `interval` the 2.5–97.5 % range of the label's
 * score. Seeded by the head index, so the same maps give the same numbers. The broad score (a mean
 * entropy) is not resampled.
 */
import { seededRandom } from "../../util/random";
import { type LabelCore, labelHead, minimumRows } from "./classify";
import type { HeadEvidence, PatternTallies } from "./evidence";
import { type FrozenSet, frozenTallies } from "./frozen";
import { TALLY_BLOCKS, type Tally, TallySummary } from "./tally";
import { BOOTSTRAP_RESAMPLES, PATTERN_LLR_MIN } from "./thresholds";

/** The draw in use: block multiplicities and a stamp that changes with every resample. */
interface Draw {
  times: Float64Array;
  stamp: number;
}

/**
 * A tally's totals under the current draw, summed only when the classifier first reads them in
 * that draw: most resamples never look at the rings or at the sink-free view, so they cost nothing.
 */
class Resampled extends TallySummary {
  private seen = -1;
  private seenMasses = -1;

  constructor(
    private readonly source: Tally,
    private readonly draw: Draw,
  ) {
    super();
  }

  /** Rows, Σ chance, Σ llr: what count(), chance() and logLikelihoodRatio() read. */
  protected override sync(): void {
    if (this.seen === this.draw.stamp) return;
    this.seen = this.draw.stamp;
    this.source.resampleCounts(this, this.draw.times);
  }

  /** Gain, room, Σ mass as well (score(), mass()). */
  private syncMasses(): void {
    this.sync();
    if (this.seenMasses === this.draw.stamp) return;
    this.seenMasses = this.draw.stamp;
    this.source.resampleMasses(this, this.draw.times);
  }

  override score(): number | null {
    this.syncMasses();
    return super.score();
  }

  override mass(): number {
    this.syncMasses();
    return super.mass();
  }
}

/** A tally's stand-in in the resamples: its original totals when frozen (see frozen.ts), else its resampled ones. */
type Scratch = (t: Tally) => TallySummary;

function scratchOf(draw: Draw, frozen: FrozenSet): Scratch {
  return (t) => {
    if (!frozen.has(t)) return new Resampled(t, draw);
    const totals = new TallySummary();
    t.totalsInto(totals);
    return totals;
  };
}

/** A copy of a view's shape whose summaries follow the draw. */
function scratchView(view: PatternTallies, r: Scratch): PatternTallies<TallySummary> {
  const { diagonal, previous, next, induction, block } = view.tallies;
  return {
    tallies: { diagonal: r(diagonal), previous: r(previous), next: r(next), induction: r(induction), block: r(block) },
    windows: view.windows.map(r),
    rings: view.rings.map(r),
  };
}

/** Evidence of the same shape whose summaries follow the draw (no allocation per resample). */
function scratchEvidence(ev: HeadEvidence, r: Scratch): HeadEvidence<TallySummary> {
  const raw = scratchView(ev, r);
  const vertical = r(ev.tallies.vertical);
  const sparseTally = r(ev.sparseTally);
  const sparseShortTally = r(ev.sparseShortTally);
  return {
    ...ev,
    tallies: { ...raw.tallies, vertical },
    windows: raw.windows,
    rings: raw.rings,
    // The rest view is the raw one when the head has no strip (see evidence.ts).
    rest: ev.rest.windows === ev.windows ? raw : scratchView(ev.rest, r),
    sparseTally,
    sparseShortTally,
    fillRings: () => {},
  };
}

/** The score a resample gives the original label (its confidence when the label holds). */
function scoreOf(core: LabelCore, label: LabelCore["label"]): number | null {
  if (core.label === label) return core.confidence;
  if (label === "mixed") return null;
  return core.scores[label];
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const x = q * (sorted.length - 1);
  const lo = Math.floor(x);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (x - lo) * (sorted[hi] - sorted[lo]);
}

export function labelUncertainty(
  ev: HeadEvidence,
  core: LabelCore,
  seed: number,
): { support: number; interval: [number, number] } {
  if (ev.rows === 0) return { support: 0, interval: [core.confidence, core.confidence] };
  const rand = seededRandom(0x9e3779b9 ^ seed);
  const times = new Float64Array(TALLY_BLOCKS);
  const scores = new Float64Array(BOOTSTRAP_RESAMPLES);
  let n = 0;
  // Tallies no resample can move past a threshold that matters keep their totals; with all of
  // them kept, every resample is the original evidence, so it gets the original label and score.
  const frozen = frozenTallies(ev, core.label, minimumRows(ev.rows));
  if (frozen === "all") return { support: 1, interval: [core.confidence, core.confidence] };
  // A resample may make a window that is near the margin a candidate: its rings must be there to be resampled.
  const near = (t: Tally) => t.logLikelihoodRatio() >= PATTERN_LLR_MIN / 2;
  if (ev.windows.some(near) || ev.rest.windows.some(near)) ev.fillRings();
  const draw: Draw = { times, stamp: 0 };
  const scratch = scratchEvidence(ev, scratchOf(draw, frozen));
  let same = 0;
  for (let k = 0; k < BOOTSTRAP_RESAMPLES; k++) {
    times.fill(0);
    for (let d = 0; d < ev.blocks; d++) times[Math.floor(rand() * ev.blocks)]++;
    draw.stamp = k;
    scratch.sparse = scratch.sparseTally.score();
    const again = labelHead(scratch);
    if (again.label === core.label) same++;
    const s = scoreOf(again, core.label);
    if (s !== null && Number.isFinite(s)) scores[n++] = s;
  }
  // Numeric order in place (a typed array's sort), the scores all finite.
  const sorted = scores.subarray(0, n).sort();
  const interval: [number, number] =
    n > 0 ? [quantile(sorted, 0.025), quantile(sorted, 0.975)] : [core.confidence, core.confidence];
  return { support: same / BOOTSTRAP_RESAMPLES, interval };
}
