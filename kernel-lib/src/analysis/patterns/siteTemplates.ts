/**
 * The row templates of a site's samples, their induction targets and the shared sums of the raw
 * view: everything the evidence pass computes from the geometry alone. The sites of one result
 * nearly always share their geometry (every layer of an encoder sees the same masks, tokens and
 * lengths), so the last site's tables are kept and reused when the next site's inputs are equal
 * element by element: the same tables, computed once per result instead of once per site.
 */
import type { SiteGeometry } from "../metrics/geometry";
import { GeometryCache } from "./geometryCache";
import { type InductionTargets, inductionTargets } from "./induction";
import { type SharedSums, sharedSums } from "./rawTallies";
import { type RowTemplates, rowTemplates } from "./rowTemplates";

export interface SiteTemplates {
  templates: RowTemplates[];
  inductions: (InductionTargets | null)[];
  shared: SharedSums;
}

const cache = new GeometryCache<SiteTemplates>();

/**
 * The tables of a site whose rows see `sources` visible sources (rows.sources), cut into `blocks`
 * bootstrap blocks, with `widths` window widths (of which `windowTallies` are tallied).
 */
export function siteTemplates(
  geo: SiteGeometry,
  sources: Int32Array,
  blocks: number,
  widths: number,
  windowTallies: number,
): SiteTemplates {
  return cache.get(geo, sources, [blocks, widths, windowTallies], () => {
    const inductions = geo.samples.map((g) =>
      geo.self && g.sourceIds ? inductionTargets(g.sourceIds, g.sourceValid) : null,
    );
    const templates = geo.samples.map((_, b) => rowTemplates(geo, b, sources, blocks, widths, inductions[b]));
    return { templates, inductions, shared: sharedSums(templates, geo.dims[2], windowTallies) };
  });
}
