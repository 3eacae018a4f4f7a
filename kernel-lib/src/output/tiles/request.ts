/**
 * Checking a tile request that came from outside (a front end's `{event: "tile", …}` message): the
 * site exists, sample and head are in range, the window lies inside the map and is not too large.
 */
import type { LazySite, TileRequest } from "../../result/lazy";

/** Most cells one tile may hold (1,024 × 1,024: 4 MiB of float32). */
export const MAX_TILE_CELLS = 1024 * 1024;

/**
 * A tile request as a front end sends it: an exact window, or with `bin` > 1 the window pooled into
 * cells of bin × bin tokens (from the window's first row and column), for windows too large to send
 * exactly.
 */
export type ViewTileRequest = TileRequest & { bin?: number };

const isInt = (v: unknown): v is number => Number.isInteger(v);

/** The request, typed and copied, or what is wrong with it (one line). */
export function checkTileRequest(
  sites: readonly Pick<LazySite, "id" | "dims">[],
  value: unknown,
): ViewTileRequest | string {
  if (!value || typeof value !== "object" || Array.isArray(value)) return "a tile request must be an object";
  const r = value as Record<string, unknown>;
  const site = typeof r.site === "string" ? sites.find((s) => s.id === r.site) : undefined;
  if (!site) return `no site ${JSON.stringify(r.site)?.slice(0, 60)}; sites are ${sites.map((s) => s.id).join(", ")}`;
  const [B, H, T, S] = site.dims;
  if (!isInt(r.batch) || r.batch < 0 || r.batch >= B) return `batch must be an integer in [0, ${B})`;
  if (!isInt(r.head) || r.head < 0 || r.head >= H) return `head must be an integer in [0, ${H})`;
  const range = (v: unknown, n: number): [number, number] | null =>
    Array.isArray(v) && v.length === 2 && isInt(v[0]) && isInt(v[1]) && v[0] >= 0 && v[0] < v[1] && v[1] <= n
      ? [v[0], v[1]]
      : null;
  const rows = range(r.rows, T);
  if (!rows) return `rows must be [start, end) with 0 ≤ start < end ≤ ${T}`;
  const cols = range(r.cols, S);
  if (!cols) return `cols must be [start, end) with 0 ≤ start < end ≤ ${S}`;
  const bin = r.bin ?? 1;
  if (!isInt(bin) || bin < 1 || bin > Math.max(T, S)) return `bin must be an integer in [1, ${Math.max(T, S)}]`;
  const cells = Math.ceil((rows[1] - rows[0]) / bin) * Math.ceil((cols[1] - cols[0]) / bin);
  if (cells > MAX_TILE_CELLS) return `a tile of ${cells} cells is above the limit of ${MAX_TILE_CELLS}`;
  return { site: site.id, batch: r.batch, head: r.head, rows, cols, ...(bin > 1 ? { bin } : {}) };
}
