/**
 * From evidence to a label. A positional pattern is a candidate when its score is ≥ PATTERN_MIN,
 * it was seen on enough rows, and its template beats uniform attention by PATTERN_LLR_MIN nats
 * per row (calibrated on null maps); among candidates the likeliest template wins (ties in the
 * order of POSITIONAL). When the head has a sink (strip columns with ≥ COMPONENT_MIN of the mass),
 * the label is read on the rows with the sink set aside (the label describes the non-sink part).
 * With no candidate: "broad" (mean normalized entropy ≥ BROAD_MIN and no anti-pattern), then
 * "sparse" (chance-corrected max weight ≥ SPARSE_MIN on rows with enough sources, else
 * ≥ SPARSE_MIN_SHORT on all rows), else "mixed". The head's components and combined label come
 * from its mixture fit over all templates (mixture/), once per head, not per bootstrap resample.
 */
import type { HeadEvidence, PatternTallies } from "./evidence";
import { combinedLabel, mixtureComponents } from "./mixture/components";
import type { MixtureRequest, SiteMixtures } from "./mixture/fitMixture";
import type { TallySummary as Tally } from "./tally";
import {
  ANTI_MAX,
  BROAD_MIN,
  COMPONENT_MIN,
  PATTERN_LLR_MIN,
  PATTERN_MIN,
  PATTERN_MIN_ROW_SHARE,
  PATTERN_MIN_ROWS,
  SPARSE_MIN,
  SPARSE_MIN_SHORT,
  WINDOW_MAX_SHARE,
} from "./thresholds";
import type { HeadPattern, PatternComponent, PatternLabel, PatternScores, PositionalPattern } from "./types";
import { labelUncertainty } from "./uncertainty";

const POSITIONAL: PositionalPattern[] = ["diagonal", "previous", "next", "induction", "vertical", "local", "block"];

/** A label without its uncertainty (see uncertainty.ts, which resamples this). */
export interface LabelCore {
  label: PatternLabel;
  confidence: number;
  scores: PatternScores;
  window: number | null;
  components: PatternComponent[];
  anti: PositionalPattern[];
  llr: number | null;
}

/** Rows a pattern must be seen on: PATTERN_MIN_ROWS, and PATTERN_MIN_ROW_SHARE of the head's rows. */
export function minimumRows(rows: number): number {
  return Math.max(PATTERN_MIN_ROWS, Math.ceil(PATTERN_MIN_ROW_SHARE * rows));
}

/**
 * The local window by likelihood: the width whose template is likeliest, among widths seen on
 * enough rows that cover at most WINDOW_MAX_SHARE of the visible sources.
 */
function pickWindow(windows: Tally[], minRows: number): { width: number; tally: Tally } | null {
  // The first of the likeliest (a later width must be strictly likelier), as a loop: the bootstrap calls this often.
  let best = -1;
  let bestLlr = 0;
  for (let k = 0; k < windows.length; k++) {
    const t = windows[k];
    // count() brings the totals up to date; chance() and logLikelihoodRatio() would divide the
    // same fields (rows > 0 here), read directly: the bootstrap's resamples make this call often.
    const rows = t.count();
    if (rows < minRows || t.chanceSum / rows > WINDOW_MAX_SHARE) continue;
    const llr = t.llr / rows;
    if (best < 0 || llr > bestLlr) {
      best = k;
      bestLlr = llr;
    }
  }
  return best < 0 ? null : { width: best + 1, tally: windows[best] };
}

/** A window is "local" only when no single offset d ≥ 2 inside it is likelier (an offset head is not local). */
function beatsRings(window: { width: number; tally: Tally }, rings: Tally[], minRows: number): boolean {
  const llr = window.tally.logLikelihoodRatio();
  for (let d = 2; d <= window.width; d++) {
    if (rings[d - 1].count() >= minRows && rings[d - 1].logLikelihoodRatio() >= llr) return false;
  }
  return true;
}

interface Pick {
  label: PositionalPattern;
  score: number;
  llr: number;
}

/** The likeliest candidate of one view of the rows, with the local window it measured. */
function pickPattern(
  view: PatternTallies<Tally>,
  vertical: Tally | null,
  minRows: number,
  fillRings: () => void,
): { pick: Pick | null; window: { width: number; tally: Tally } | null } {
  const window = pickWindow(view.windows, minRows);
  // The rings are read only for a window that could be the label.
  const candidate = window !== null && window.width >= 2 && window.tally.logLikelihoodRatio() >= PATTERN_LLR_MIN;
  if (candidate) fillRings();
  const local = window && (!candidate || beatsRings(window, view.rings, minRows)) ? window.tally : null;
  let pick: Pick | null = null;
  for (const p of POSITIONAL) {
    const t = p === "vertical" ? vertical : p === "local" ? local : view.tallies[p];
    const rows = t ? t.count() : 0;
    if (!t || rows < minRows) continue;
    const score = t.score() ?? Number.NEGATIVE_INFINITY;
    const llr = t.llr / rows; // logLikelihoodRatio() with rows > 0, read directly as in pickWindow
    if (score < PATTERN_MIN || llr < PATTERN_LLR_MIN) continue;
    if (!pick || llr > pick.llr) pick = { label: p, score, llr };
  }
  return { pick, window };
}

function measured(t: Tally | null | undefined, minRows: number): number | null {
  return t && t.count() >= minRows ? t.score() : null;
}

export function labelHead(ev: HeadEvidence<Tally>): LabelCore {
  const minRows = minimumRows(ev.rows);
  const raw = pickPattern(ev, ev.tallies.vertical, minRows, ev.fillRings);
  // Rows with few sources are peaked by chance: the sparse score is read on the long rows, or
  // (inputs too short to have enough of them) on all rows against the higher bar SPARSE_MIN_SHORT.
  const long = measured(ev.sparseTally, minRows);
  const sparse = long ?? measured(ev.sparseShortTally, minRows);
  const sparseMin = long !== null ? SPARSE_MIN : SPARSE_MIN_SHORT;
  // One literal (keys in POSITIONAL's order), not a key at a time: the bootstrap builds this 24 times per head.
  const t = ev.tallies;
  const scores: PatternScores = {
    broad: ev.broad,
    sparse,
    diagonal: measured(t.diagonal, minRows),
    previous: measured(t.previous, minRows),
    next: measured(t.next, minRows),
    induction: measured(t.induction, minRows),
    vertical: measured(t.vertical, minRows),
    local: measured(raw.window?.tally, minRows),
    block: measured(t.block, minRows),
  };
  const anti = POSITIONAL.filter((p) => (scores[p] ?? 0) <= ANTI_MAX);
  const sinkShare = ev.tallies.vertical.count() >= minRows ? ev.tallies.vertical.mass() : 0;
  const sink: PatternComponent[] = sinkShare >= COMPONENT_MIN ? [{ pattern: "sink", weight: sinkShare }] : [];
  // A sink beside a pattern: read the pattern on the rows without the sink.
  if (sink.length > 0) {
    const rest = pickPattern(ev.rest, null, minRows, ev.fillRings);
    const weight = rest.pick ? (1 - sinkShare) * rest.pick.score : 0;
    if (rest.pick && weight >= COMPONENT_MIN) {
      const components = [{ pattern: rest.pick.label, weight }, ...sink].sort((a, b) => b.weight - a.weight);
      const window = rest.window?.width ?? raw.window?.width ?? null;
      return {
        label: rest.pick.label,
        confidence: rest.pick.score,
        scores,
        window,
        components,
        anti,
        llr: rest.pick.llr,
      };
    }
  }
  const window = raw.window?.width ?? null;
  if (raw.pick) {
    const own = raw.pick.label === "vertical" ? [] : [{ pattern: raw.pick.label, weight: raw.pick.score }];
    const components = [...own, ...sink].sort((a, b) => b.weight - a.weight);
    return { label: raw.pick.label, confidence: raw.pick.score, scores, window, components, anti, llr: raw.pick.llr };
  }
  let label: PatternLabel = "mixed";
  if ((ev.broad ?? 0) >= BROAD_MIN && anti.length === 0) label = "broad";
  else if ((sparse ?? 0) >= sparseMin) label = "sparse";
  let best = 0;
  for (const p of POSITIONAL) best = Math.max(best, scores[p] ?? 0);
  const confidence =
    label === "mixed" ? 1 - Math.max(best, sparse ?? 0) : ((label === "broad" ? ev.broad : sparse) ?? 0);
  return { label, confidence, scores, window, components: sink, anti, llr: null };
}

/**
 * What the mixture fit takes from the label: the strip, and the local window when it is the label
 * or beats uniform attention by PATTERN_LLR_MIN on the rows as they are or without the sink (a
 * window that chance explains as well would only soak up noise: null maps give it 0.5 and more).
 */
export function mixtureRequest(ev: HeadEvidence, core: LabelCore): MixtureRequest {
  const w = core.window;
  const beats = (t: Tally | undefined) => t !== undefined && t.logLikelihoodRatio() >= PATTERN_LLR_MIN;
  const window =
    w !== null && (core.label === "local" || beats(ev.windows[w - 1]) || beats(ev.rest.windows[w - 1])) ? w : null;
  return { strip: ev.strip, window, label: core.label, minRows: minimumRows(ev.rows) };
}

/**
 * The label of one head with its uncertainty, mixture and strip (see labelHead and uncertainty.ts).
 * With the site's `mixtures`, the components are the head's fit over all templates at once
 * (mixture/fitMixture.ts, fitted once: the bootstrap resamples the label only); without, the
 * label's pattern and the sink columns. With `bootstrap` false, no uncertainty (support and
 * interval NaN) for a caller that reads the rest only: the label, scores and components are the
 * same, since the bootstrap resamples copies of the tallies and the fit never reads them.
 */
export function classifyHead(head: number, ev: HeadEvidence, mixtures?: SiteMixtures, bootstrap = true): HeadPattern {
  const core = labelHead(ev);
  const { support, interval } = bootstrap
    ? labelUncertainty(ev, core, head)
    : { support: Number.NaN, interval: [Number.NaN, Number.NaN] as [number, number] };
  const components = mixtures ? mixtureComponents(mixtures.fit(head, mixtureRequest(ev, core))) : core.components;
  const hasSink = components.some((c) => c.pattern === "sink");
  const strip = core.label === "vertical" || hasSink ? ev.strip : ev.strip.map(() => []);
  const combined = combinedLabel(core.label, components);
  const { label, confidence, scores, window, anti, llr } = core;
  return { head, label, confidence, scores, window, strip, combined, components, anti, llr, support, interval };
}
