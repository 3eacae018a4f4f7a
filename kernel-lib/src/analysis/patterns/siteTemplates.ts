/**
 * The row templates of a site's samples, their induction targets and the shared sums of the raw
 * view: everything the evidence pass computes from the geometry alone. The sites of one result
 * nearly always share their geometry (every layer of an encoder sees the same masks, tokens and
 * lengths), so the last site's tables are kept and reused when the next site's inputs are equal
 * element by element: the same tables, computed once per result instead of once per site.
 */
import type { SampleGeometry, SiteGeometry } from "../metrics/geometry";
import { type InductionTargets, inductionTargets } from "./induction";
import { type SharedSums, sharedSums } from "./rawTallies";
import { type RowTemplates, rowTemplates } from "./rowTemplates";

export interface SiteTemplates {
  templates: RowTemplates[];
  inductions: (InductionTargets | null)[];
  shared: SharedSums;
}

/** What the tables are computed from (kept as copies: the caller's arrays may change later). */
interface Inputs {
  dims: number[];
  flags: number[];
  sources: Table;
  samples: Table[][];
}

type Table = ArrayLike<number> | null;

function same(a: Table, b: Table): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** The sample fields rowTemplates and inductionTargets read. */
function sampleTables(g: SampleGeometry): Table[] {
  return [g.sourceValid, g.targetSegment, g.sourceSegment, g.chunkValid, g.chunkSegment, g.breaks, g.sourceIds];
}

function sameInputs(a: Inputs, b: Inputs): boolean {
  if (!same(a.dims, b.dims) || !same(a.flags, b.flags) || !same(a.sources, b.sources)) return false;
  return (
    a.samples.length === b.samples.length && a.samples.every((x, s) => x.every((t, k) => same(t, b.samples[s][k])))
  );
}

// The last site's inputs and tables (one entry: the sites of a result come one after another).
let last: { inputs: Inputs; tables: SiteTemplates } | null = null;

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
  const inputs: Inputs = {
    dims: geo.dims,
    flags: [geo.self ? 1 : 0, geo.causal ? 1 : 0, geo.offset, blocks, widths, windowTallies],
    sources,
    samples: geo.samples.map(sampleTables),
  };
  if (last && sameInputs(inputs, last.inputs)) return last.tables;
  const copy = (t: Table) => (t ? Array.from(t) : null);
  const inductions = geo.samples.map((g) =>
    geo.self && g.sourceIds ? inductionTargets(g.sourceIds, g.sourceValid) : null,
  );
  const templates = geo.samples.map((_, b) => rowTemplates(geo, b, sources, blocks, widths, inductions[b]));
  const tables = { templates, inductions, shared: sharedSums(templates, geo.dims[2], windowTallies) };
  last = {
    inputs: {
      ...inputs,
      dims: [...inputs.dims],
      sources: copy(sources),
      samples: inputs.samples.map((x) => x.map(copy)),
    },
    tables,
  };
  return tables;
}
