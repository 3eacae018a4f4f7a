/**
 * A label's uncertainty by the bootstrap: the head's rows are kept in contiguous blocks (across
 * the samples, so several samples are resampled too; see evidence.ts), the blocks are drawn with
 * replacement BOOTSTRAP_RESAMPLES times, and each resample is labelled again. `support` is the
 * share of resamples giving the same label; `interval` the 2.5–97.5 % range of the label's
 * score. Seeded by the head index, so the same maps give the same numbers. The broad score (a mean
 * entropy) is not resampled.
 */
import { seededRandom } from "../../util/random";
import { type LabelCore, labelHead } from "./classify";
import type { HeadEvidence, PatternTallies } from "./evidence";
import { TALLY_BLOCKS, type Tally } from "./tally";
import { BOOTSTRAP_RESAMPLES } from "./thresholds";

function resampleView(view: PatternTallies, times: Float64Array): PatternTallies {
  const r = (t: Tally) => t.resampled(times);
  const { diagonal, previous, next, induction, block } = view.tallies;
  return {
    tallies: { diagonal: r(diagonal), previous: r(previous), next: r(next), induction: r(induction), block: r(block) },
    windows: view.windows.map(r),
    rings: view.rings.map(r),
  };
}

function resampleEvidence(ev: HeadEvidence, times: Float64Array): HeadEvidence {
  const raw = resampleView(ev, times);
  const sparseTally = ev.sparseTally.resampled(times);
  return {
    ...ev,
    tallies: { ...raw.tallies, vertical: ev.tallies.vertical.resampled(times) },
    windows: raw.windows,
    rings: raw.rings,
    rest: resampleView(ev.rest, times),
    sparse: sparseTally.score(),
    sparseTally,
  };
}

/** The score a resample gives the original label (its confidence when the label holds). */
function scoreOf(core: LabelCore, label: LabelCore["label"]): number | null {
  if (core.label === label) return core.confidence;
  if (label === "mixed") return null;
  return core.scores[label];
}

function quantile(sorted: number[], q: number): number {
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
  const scores: number[] = [];
  let same = 0;
  for (let k = 0; k < BOOTSTRAP_RESAMPLES; k++) {
    times.fill(0);
    for (let d = 0; d < ev.blocks; d++) times[Math.floor(rand() * ev.blocks)]++;
    const again = labelHead(resampleEvidence(ev, times));
    if (again.label === core.label) same++;
    const s = scoreOf(again, core.label);
    if (s !== null && Number.isFinite(s)) scores.push(s);
  }
  scores.sort((a, b) => a - b);
  const interval: [number, number] =
    scores.length > 0 ? [quantile(scores, 0.025), quantile(scores, 0.975)] : [core.confidence, core.confidence];
  return { support: same / BOOTSTRAP_RESAMPLES, interval };
}
