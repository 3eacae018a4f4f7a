/**
 * One sample's rows as pieces for the WebAssembly kernel: the same walk as the JavaScript row pass
 * (rowAccumulators.ts) — chunks of valid or masked sources, the visible part of each split at
 * ⌈pᵢ⌉, the rest masked — written once per sample and shared by all its heads, with the
 * sample's special-token positions (the kernel sums their masses while the row is in L1).
 */
import type { SampleGeometry, SiteGeometry } from "../geometry";
import type { SampleTables } from "./kernel";

/** Piece flags; the values are those of metrics_kernel.c. */
export const PIECE_LEFT = 1;
export const PIECE_SEGMENT = 2;
export const PIECE_MASKED = 4;

/** Int32 per target row in SampleTables.info: first piece, piece count, split = ⌈pᵢ⌉, visible limit. */
export const ROW_INFO = 4;

/** Each sample's tables with what they were made for (the geometry's shape fields): sites sharing a geometry share them. */
const made = new WeakMap<SampleGeometry, { shape: string; tables: SampleTables }>();

/**
 * Sample g's tables, made once per sample geometry and shape: the sites of a result share their
 * sample geometries (sharedGeometry), and nothing writes into the tables.
 */
export function sampleTables(geo: SiteGeometry, g: SampleGeometry): SampleTables {
  const shape = `${geo.dims[2]}|${geo.dims[3]}|${geo.causal}|${geo.offset}|${geo.self}`;
  const known = made.get(g);
  if (known?.shape === shape) return known.tables;
  const tables = makeSampleTables(geo, g);
  made.set(g, { shape, tables });
  return tables;
}

function makeSampleTables(geo: SiteGeometry, g: SampleGeometry): SampleTables {
  const [, , T, S] = geo.dims;
  const info = new Int32Array(ROW_INFO * T);
  // from, to, flags per piece; grown by doubling (rows usually have a few pieces)
  let pieces = new Int32Array(9 * T + 3);
  let count = 0;
  let rowStart = 0;
  const add = (from: number, to: number, flags: number) => {
    if (to <= from) return;
    // merge with the previous piece when it ends here with the same flags (chunks also split at segments)
    if (count > rowStart && pieces[3 * count - 2] === from && pieces[3 * count - 1] === flags) {
      pieces[3 * count - 2] = to;
      return;
    }
    if (3 * count + 3 > pieces.length) {
      const grown = new Int32Array(2 * pieces.length);
      grown.set(pieces);
      pieces = grown;
    }
    pieces[3 * count] = from;
    pieces[3 * count + 1] = to;
    pieces[3 * count + 2] = flags;
    count++;
  };
  for (let i = 0; i < T; i++) {
    rowStart = count;
    info[ROW_INFO * i] = count;
    if (!g.targetValid[i]) continue;
    const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
    const split = Math.ceil(g.position[i]);
    const own = g.targetSegment ? g.targetSegment[i] : -1;
    for (let c = 0; c < g.chunkValid.length; c++) {
      const c0 = g.breaks[c];
      const c1 = g.breaks[c + 1];
      const end = g.chunkValid[c] ? Math.min(c1, limit) : c0;
      const segment = own >= 0 && g.chunkSegment[c] === own ? PIECE_SEGMENT : 0;
      const mid = Math.min(end, Math.max(c0, split));
      add(c0, mid, PIECE_LEFT | segment);
      add(mid, end, segment);
      add(Math.max(c0, end), c1, PIECE_MASKED);
    }
    info[ROW_INFO * i + 1] = count - rowStart;
    info[ROW_INFO * i + 2] = split;
    info[ROW_INFO * i + 3] = limit;
  }
  return {
    info,
    pieces: pieces.subarray(0, 3 * count),
    special: specialTable(g),
    columns: candidateColumns(g),
    valid: g.sourceValid,
    firstSource: g.firstSource,
    allValid: g.validBefore[S] === S,
    self: geo.self,
  };
}

/**
 * The strip candidates known before the pass (patterns/strip.ts adds the frequent argmax columns
 * after it): the first valid source and the [CLS], [SEP] and sink positions, each once,
 * ascending, as [n, then the n columns]. The kernel sums each head's weights on them.
 */
export function candidateColumns(g: SampleGeometry): Int32Array {
  const set = new Set<number>();
  if (g.firstSource >= 0) set.add(g.firstSource);
  for (const list of [g.special?.cls, g.special?.sep, g.special?.sink]) for (const j of list ?? []) set.add(j);
  const columns = [...set].sort((x, y) => x - y);
  return Int32Array.from([columns.length, ...columns]);
}

/**
 * The sample's special-token lists for the kernel: [has lists, then the counts and the lists of
 * [CLS], [SEP]/EOS, punctuation, start/sink] (ascending, as specialPositions gives them).
 */
export function specialTable(g: SampleGeometry): Int32Array {
  const special = g.special;
  if (!special) return new Int32Array(5);
  const lists = [special.cls, special.sep, special.punctuation, special.sink];
  const table = new Int32Array(5 + lists.reduce((n, l) => n + l.length, 0));
  table[0] = 1;
  let at = 5;
  lists.forEach((list, k) => {
    table[1 + k] = list.length;
    table.set(list, at);
    at += list.length;
  });
  return table;
}
