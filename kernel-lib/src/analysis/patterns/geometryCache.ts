/**
 * Tables computed from a site's geometry alone, kept for the next site: the sites of one result
 * nearly always share their geometry (every layer of an encoder sees the same masks, tokens and
 * lengths), so a table is rebuilt only when the next site's inputs differ, element by element.
 * One entry per cache: the sites of a result come one after another.
 */
import type { SampleGeometry, SiteGeometry } from "../metrics/geometry";

type Table = ArrayLike<number> | null;

/** What the tables are computed from (kept as copies: the caller's arrays may change later). */
interface Inputs {
  dims: number[];
  flags: number[];
  sources: Table;
  samples: Table[][];
}

function same(a: Table, b: Table): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** The sample fields the pattern tables read (rowTemplates, inductionTargets, the mixture's counts). */
function sampleTables(g: SampleGeometry): Table[] {
  return [g.sourceValid, g.targetSegment, g.sourceSegment, g.chunkValid, g.chunkSegment, g.breaks, g.sourceIds];
}

function sameInputs(a: Inputs, b: Inputs): boolean {
  if (!same(a.dims, b.dims) || !same(a.flags, b.flags) || !same(a.sources, b.sources)) return false;
  return (
    a.samples.length === b.samples.length && a.samples.every((x, s) => x.every((t, k) => same(t, b.samples[s][k])))
  );
}

/** The last site's table of one kind, reused while the geometry stays the same. */
export class GeometryCache<V> {
  private last: { inputs: Inputs; value: V } | null = null;

  /**
   * The table for a site whose rows see `sources` visible sources (rows.sources); `flags` are
   * the other numbers the table depends on (widths, blocks…); `make` builds it when the last
   * site's inputs differ.
   */
  get(geo: SiteGeometry, sources: Int32Array, flags: number[], make: () => V): V {
    const inputs: Inputs = {
      dims: geo.dims,
      flags: [geo.self ? 1 : 0, geo.causal ? 1 : 0, geo.offset, ...flags],
      sources,
      samples: geo.samples.map(sampleTables),
    };
    if (this.last && sameInputs(inputs, this.last.inputs)) return this.last.value;
    const value = make();
    const copy = (t: Table) => (t ? Array.from(t) : null);
    this.last = {
      inputs: {
        ...inputs,
        dims: [...inputs.dims],
        sources: copy(sources),
        samples: inputs.samples.map((x) => x.map(copy)),
      },
      value,
    };
    return value;
  }
}
