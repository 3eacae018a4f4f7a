/**
 * From evidence to a label. Positional patterns first: among those scoring ≥ PATTERN_MIN, the one
 * whose template makes the rows likeliest wins (Tally.logLikelihoodRatio: it weighs explaining
 * the mass against covering few sources; ties in the order of POSITIONAL). With none ≥ PATTERN_MIN: "broad" (mean normalized entropy ≥ BROAD_MIN), then
 * "sparse" (chance-corrected max weight ≥ SPARSE_MIN), else "mixed".
 */
import type { HeadEvidence } from "./evidence";
import type { Tally } from "./tally";
import {
  BROAD_MIN,
  PATTERN_MIN,
  PATTERN_MIN_ROW_SHARE,
  PATTERN_MIN_ROWS,
  SPARSE_MIN,
  WINDOW_PLATEAU,
} from "./thresholds";
import type { HeadPattern, PatternLabel, PatternScores, PositionalPattern } from "./types";

const POSITIONAL: PositionalPattern[] = ["diagonal", "previous", "next", "induction", "vertical", "local", "block"];

/** The local window: the smallest width whose score reaches WINDOW_PLATEAU of the best width's. */
function pickWindow(windows: Tally[]): { width: number; tally: Tally } | null {
  let best = 0;
  for (const t of windows) best = Math.max(best, t.score() ?? 0);
  if (best === 0) return null;
  const w = windows.findIndex((t) => (t.score() ?? 0) >= WINDOW_PLATEAU * best);
  return { width: w + 1, tally: windows[w] };
}

export function classifyHead(head: number, ev: HeadEvidence): HeadPattern {
  const window = pickWindow(ev.windows);
  const tallies: Record<PositionalPattern, Tally | null> = { ...ev.tallies, local: window?.tally ?? null };
  const scores = { broad: ev.broad, sparse: ev.sparse } as PatternScores;
  for (const p of POSITIONAL) scores[p] = tallies[p]?.score() ?? null;
  const best = Math.max(0, ...POSITIONAL.map((p) => scores[p] ?? 0));
  let label: PatternLabel = "mixed";
  // A pattern needs its score and enough rows to stand on (see PATTERN_MIN_ROWS).
  const minRows = Math.max(PATTERN_MIN_ROWS, Math.ceil(PATTERN_MIN_ROW_SHARE * ev.rows));
  const eligible = POSITIONAL.filter((p) => (scores[p] ?? -1) >= PATTERN_MIN && (tallies[p]?.count() ?? 0) >= minRows);
  if (eligible.length > 0) {
    // Every pattern that explains the head is a candidate; the likeliest template wins.
    const llr = (p: PositionalPattern) => tallies[p]?.logLikelihoodRatio() ?? Number.NEGATIVE_INFINITY;
    label = eligible.reduce((a, p) => (llr(p) > llr(a) ? p : a));
  } else if ((ev.broad ?? 0) >= BROAD_MIN) label = "broad";
  else if ((ev.sparse ?? 0) >= SPARSE_MIN) label = "sparse";
  const confidence = label === "mixed" ? 1 - Math.max(best, ev.sparse ?? 0) : (scores[label] ?? 0);
  return {
    head,
    label,
    confidence,
    scores,
    window: window ? window.width : null,
    strip: label === "vertical" ? ev.strip : ev.strip.map(() => []),
  };
}
