/**
 * A full result as a RowSource (result/lazy.ts): row blocks and tiles sliced out of the maps it
 * already holds. What streamed metrics and long-input views read when the maps did fit, and the
 * reference their tests compare a lazy source with.
 */
import { AttnlensError } from "../errors";
import type { LazySite, RowBlock, RowSource, Tile, TileRequest } from "./lazy";
import type { AttentionResult, SiteAttention } from "./types";

function fail(message: string): never {
  throw new AttnlensError("BAD_INPUT", message);
}

function checkRange(what: string, [from, to]: readonly number[], size: number): void {
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from < to && to <= size))
    fail(`${what} [${from}, ${to}) must be a non-empty integer range inside [0, ${size})`);
}

/** The sites of `result` as a RowSource (every site "full"); blocks are copies, the maps are not. */
export function rowSourceOf(result: AttentionResult): RowSource {
  const byId = new Map<string, SiteAttention>(result.sites.map((s) => [s.id, s]));
  const site = (id: string, batch: number): SiteAttention => {
    const s = byId.get(id) ?? fail(`row source: no site ${id}; sites are: ${[...byId.keys()].join(", ")}`);
    if (!(Number.isInteger(batch) && batch >= 0 && batch < s.dims[0]))
      fail(`row source: site ${id} has no sample ${batch} (batch of ${s.dims[0]})`);
    return s;
  };
  const sites: LazySite[] = result.sites.map(({ data, ...label }) => ({
    ...label,
    mode: "full",
    bytes: data.byteLength,
  }));
  return {
    sites,
    async rows(id, batch, rows, heads): Promise<RowBlock> {
      const s = site(id, batch);
      const [, H, T, S] = s.dims;
      checkRange(`row source: site ${id} rows`, rows, T);
      const chosen = heads ? [...heads] : Array.from({ length: H }, (_, h) => h);
      for (const h of chosen)
        if (!(Number.isInteger(h) && h >= 0 && h < H)) fail(`row source: site ${id} has no head ${h}`);
      const [r0, r1] = rows;
      const R = r1 - r0;
      const data = new Float32Array(chosen.length * R * S);
      chosen.forEach((h, k) => {
        const from = ((batch * H + h) * T + r0) * S;
        data.set(s.data.subarray(from, from + R * S), k * R * S);
      });
      return { site: id, batch, rows: [r0, r1], heads: chosen, data, dims: [1, chosen.length, R, S] };
    },
    async tile(request: TileRequest): Promise<Tile> {
      const s = site(request.site, request.batch);
      const [, H, T, S] = s.dims;
      if (!(Number.isInteger(request.head) && request.head >= 0 && request.head < H))
        fail(`row source: site ${request.site} has no head ${request.head}`);
      checkRange(`row source: site ${request.site} tile rows`, request.rows, T);
      checkRange(`row source: site ${request.site} tile cols`, request.cols, S);
      const [r0, r1] = request.rows;
      const [c0, c1] = request.cols;
      const W = c1 - c0;
      const data = new Float32Array((r1 - r0) * W);
      for (let t = r0; t < r1; t++) {
        const from = ((request.batch * H + request.head) * T + t) * S + c0;
        data.set(s.data.subarray(from, from + W), (t - r0) * W);
      }
      return { ...request, data };
    },
  };
}
