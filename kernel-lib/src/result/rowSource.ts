/**
 * A full AttentionResult as a RowSource (result/lazy.ts): row blocks and tiles are slices of the maps
 * it already holds, so code written against RowSource (long-input views, metrics at scale) runs on
 * full and lazy results alike.
 */
import { AttnlensError } from "../errors";
import type { LazySite, RowBlock, RowSource, Tile, TileRequest } from "./lazy";
import type { AttentionResult, SiteAttention } from "./types";

function checkRange(what: string, [a, b]: readonly number[], n: number, site: string): void {
  if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && a <= b && b <= n))
    throw new AttnlensError("BAD_INPUT", `rowSource: ${what} [${a}, ${b}) of site ${site} must lie in [0, ${n}]`);
}

/** Wraps `result`: its sites as LazySite (mode "full"), row blocks and tiles copied out of its maps. */
export function rowSourceOf(result: AttentionResult): RowSource {
  const byId = new Map(result.sites.map((s) => [s.id, s]));
  const sites: LazySite[] = result.sites.map(({ data, dims, ...label }) => ({
    ...label,
    dims: [...dims] as LazySite["dims"],
    mode: "full",
    bytes: data.byteLength,
  }));
  const siteOf = (id: string, batch: number): SiteAttention => {
    const site = byId.get(id);
    if (!site)
      throw new AttnlensError("BAD_INPUT", `rowSource: no site ${id}; sites are ${[...byId.keys()].join(", ")}`);
    if (!(Number.isInteger(batch) && batch >= 0 && batch < site.dims[0]))
      throw new AttnlensError("BAD_INPUT", `rowSource: no sample ${batch} (site ${id} has ${site.dims[0]})`);
    return site;
  };
  return {
    sites,
    async rows(id, batch, rows, heads): Promise<RowBlock> {
      const site = siteOf(id, batch);
      const [, H, T, S] = site.dims;
      checkRange("rows", rows, T, id);
      const hs = heads ? [...heads] : Array.from({ length: H }, (_, h) => h);
      for (const h of hs)
        if (!(Number.isInteger(h) && h >= 0 && h < H))
          throw new AttnlensError("BAD_INPUT", `rowSource: no head ${h} in ${id}`);
      const r = rows[1] - rows[0];
      const data = new Float32Array(hs.length * r * S);
      hs.forEach((h, k) => {
        const from = ((batch * H + h) * T + rows[0]) * S;
        data.set(site.data.subarray(from, from + r * S), k * r * S);
      });
      return { site: id, batch, rows: [rows[0], rows[1]], heads: hs, data, dims: [1, hs.length, r, S] };
    },
    async tile(request: TileRequest): Promise<Tile> {
      const site = siteOf(request.site, request.batch);
      const [, H, T, S] = site.dims;
      const { head, rows, cols } = request;
      if (!(Number.isInteger(head) && head >= 0 && head < H))
        throw new AttnlensError("BAD_INPUT", `rowSource: no head ${head} in ${request.site}`);
      checkRange("rows", rows, T, request.site);
      checkRange("cols", cols, S, request.site);
      const nc = cols[1] - cols[0];
      const data = new Float32Array((rows[1] - rows[0]) * nc);
      for (let t = rows[0]; t < rows[1]; t++) {
        const from = ((request.batch * H + head) * T + t) * S + cols[0];
        data.set(site.data.subarray(from, from + nc), (t - rows[0]) * nc);
      }
      return { ...request, rows: [rows[0], rows[1]], cols: [cols[0], cols[1]], data };
    },
  };
}
