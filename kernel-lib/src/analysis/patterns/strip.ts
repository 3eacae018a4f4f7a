/**
 * Vertical-strip columns: sources that receive a large share of every row's attention
 * (Σᵢ aᵢⱼ over valid rows / number of valid rows), e.g. [CLS], [SEP], BOS, a full stop.
 * Candidates are the first valid source, the [CLS]/[SEP] and sink positions, and the sources that are the
 * largest weight of at least STRIP_ARGMAX_ROWS of the rows (at most 2·STRIP_MAX of them); their
 * shares are then read exactly. Reading every column would cost as much as the metric pass.
 */
import type { SampleGeometry } from "../metrics/geometry";
import { STRIP_ARGMAX_ROWS, STRIP_MAX, STRIP_OVER_AVERAGE, STRIP_RELATIVE, STRIP_SHARE_MIN } from "./thresholds";

/** Candidate columns of one (sample, head) from its rows' argmax (−1 = padding row); `counts` is scratch of length S. */
export function stripCandidates(argmax: Int32Array, g: SampleGeometry, counts: Int32Array): number[] {
  counts.fill(0);
  for (let i = 0; i < argmax.length; i++) if (argmax[i] >= 0) counts[argmax[i]]++;
  const least = Math.max(2, Math.ceil(STRIP_ARGMAX_ROWS * g.validTargets));
  const frequent: number[] = [];
  for (let j = 0; j < counts.length; j++) if (counts[j] >= least) frequent.push(j);
  frequent.sort((x, y) => counts[y] - counts[x] || x - y);
  const set = new Set(frequent.slice(0, 2 * STRIP_MAX));
  if (g.firstSource >= 0) set.add(g.firstSource);
  for (const j of g.special?.cls ?? []) set.add(j);
  for (const j of g.special?.sep ?? []) set.add(j);
  for (const j of g.special?.sink ?? []) set.add(j);
  return [...set].sort((x, y) => x - y);
}

/** The strip: candidates whose share passes the thresholds, strongest STRIP_MAX, ascending. */
export function stripColumns(columns: number[], shares: number[], validSources: number): number[] {
  if (validSources === 0) return [];
  const top = Math.max(0, ...shares);
  const floor = Math.max(STRIP_SHARE_MIN, STRIP_OVER_AVERAGE / validSources, STRIP_RELATIVE * top);
  return columns
    .map((c, k) => ({ c, share: shares[k] }))
    .filter((x) => x.share >= floor)
    .sort((x, y) => y.share - x.share || x.c - y.c)
    .slice(0, STRIP_MAX)
    .map((x) => x.c)
    .sort((x, y) => x - y);
}
