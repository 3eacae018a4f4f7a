/**
 * Token ids outside the embedding table, refused before the run: onnxruntime would fail inside a
 * Gather with a native log line (or, on some providers, read the wrong row).
 */
import { AttnlensError } from "../errors";
import type { IdTable } from "../graph/sites/graphChecks";
import type { Feeds } from "./feeds";

export function checkIdRanges(tables: readonly IdTable[], feeds: Feeds): void {
  for (const { input, rows, table } of tables) {
    const t = feeds[input];
    if (!t || (t.type !== "int64" && t.type !== "int32")) continue;
    const data = t.data as BigInt64Array | Int32Array;
    for (let i = 0; i < data.length; i++) {
      const id = Number(data[i]);
      if (id >= 0 && id < rows) continue;
      // String(), not the Number: int64 ids beyond 2^53 keep their digits.
      throw new AttnlensError(
        "BAD_FEEDS",
        `input "${input}" holds id ${String(data[i])} at position [${positionOf(i, t.dims).join(", ")}], but the model's ` +
          `embedding (${table}) has ${rows} rows: ids must be 0 to ${rows - 1}`,
      );
    }
  }
}

/** The multi-index of a flat (row-major) offset. */
function positionOf(flat: number, dims: readonly number[]): number[] {
  const at: number[] = [];
  let rest = flat;
  for (let d = dims.length - 1; d >= 0; d--) {
    at.unshift(rest % dims[d]);
    rest = Math.floor(rest / dims[d]);
  }
  return at;
}
