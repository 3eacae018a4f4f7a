/** The valid visible sources of one row as runs [start, end), from the site geometry. */
import type { SampleGeometry } from "./geometry";

/** Writes start/end pairs into `out` (length ≥ 2·chunks); returns the number of runs. */
export function visibleRuns(g: SampleGeometry, limit: number, out: Int32Array): number {
  let runs = 0;
  for (let c = 0; c < g.chunkValid.length; c++) {
    if (!g.chunkValid[c]) continue;
    const start = g.breaks[c];
    const end = Math.min(g.breaks[c + 1], limit);
    if (end <= start) continue;
    // chunks also split at segment changes: merge touching runs
    if (runs > 0 && out[2 * runs - 1] === start) out[2 * runs - 1] = end;
    else {
      out[2 * runs] = start;
      out[2 * runs + 1] = end;
      runs++;
    }
  }
  return runs;
}
