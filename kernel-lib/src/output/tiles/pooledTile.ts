/**
 * A window of one head's map pooled into bin × bin cells (from the window's first row and column),
 * streamed from row blocks: what a live view shows of a window too large to send exactly. Pooling is
 * the payload's (mean over the valid rows of a bin of the weight summed over its columns).
 */
import type { RowSource, Tile } from "../../result/lazy";
import type { PositionMask } from "../../result/types";
import { rowOffsetOf } from "../payload/tokens";
import { PooledLevels } from "./pooledLevels";
import type { ViewTileRequest } from "./request";

/** Rows read per block: about 32 MiB of float32 of one head. */
const BLOCK_FLOATS = 8 * 1024 * 1024;

/**
 * @param mask valid positions of the rows' stream (padding rows are left out of the means)
 * @returns data row-major [⌈rows / bin⌉, ⌈cols / bin⌉]
 */
export async function pooledTile(
  source: RowSource,
  request: ViewTileRequest & { bin: number },
  mask?: PositionMask,
): Promise<Tile> {
  const site = source.sites.find((s) => s.id === request.site)!;
  const S = site.dims[3];
  const [r0, r1] = request.rows;
  const [c0, c1] = request.cols;
  const nr = r1 - r0;
  const nc = c1 - c0;
  const offset = rowOffsetOf(site);
  const valid = new Uint8Array(nr).fill(1);
  if (mask)
    for (let t = 0; t < nr; t++) {
      const p = r0 + t + offset;
      if (p < mask.dims[1] && !mask.data[request.batch * mask.dims[1] + p]) valid[t] = 0;
    }
  const acc = new PooledLevels([1, nr, nc], [[request.bin, request.bin]], valid);
  const step = Math.max(1, Math.floor(BLOCK_FLOATS / S));
  for (let a = r0; a < r1; a += step) {
    const b = Math.min(r1, a + step);
    const block = await source.rows(request.site, request.batch, [a, b], [request.head]);
    const cropped = new Float32Array((b - a) * nc);
    for (let t = 0; t < b - a; t++) cropped.set(block.data.subarray(t * S + c0, t * S + c1), t * nc);
    acc.add({ rows: [a - r0, b - r0], heads: [0], data: cropped });
  }
  const [level] = acc.finish();
  return { ...request, data: level.data };
}
