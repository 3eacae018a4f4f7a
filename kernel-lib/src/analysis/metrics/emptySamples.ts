/**
 * Samples with no valid rows at all (attention_mask all zeros, or nothing left visible): they add
 * nothing to a head's means, so the analysis names them instead of letting a head built from no
 * rows read as 0 entropy, 0 distance and a confident "mixed" label.
 */
import type { RowMetrics } from "./types";

/** Samples b of a [B, H, T, S] site whose T rows all have 0 valid visible sources. */
export function emptySamples(rows: RowMetrics, dims: readonly number[]): number[] {
  const [B, , T] = dims;
  const empty: number[] = [];
  for (let b = 0; b < B; b++) {
    let any = false;
    for (let t = 0; t < T && !any; t++) any = rows.sources[b * T + t] > 0;
    if (!any) empty.push(b);
  }
  return empty;
}

/** One warning line per site with empty samples. */
export function emptySampleWarning(siteId: string, empty: readonly number[], batch: number): string {
  const which = empty.length === 1 ? `sample ${empty[0]}` : `samples ${empty.join(", ")}`;
  const consequence =
    empty.length === batch
      ? "its metrics are null and its pattern labels have confidence 0"
      : `${empty.length === 1 ? "it is" : "they are"} left out of the metrics and pattern labels`;
  return (
    `site ${siteId}: ${which} of ${batch} ${empty.length === 1 ? "has" : "have"} no valid positions ` +
    `(attention mask all zeros); ${consequence}`
  );
}
