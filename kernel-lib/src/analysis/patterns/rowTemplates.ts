/**
 * What the evidence pass knows about a row before reading any weight: for each pattern, the
 * number of the row's visible sources in the pattern's set, its chance share u = count / n, the
 * template log ln((1 − ε)/u + ε) (tally.ts), and whether a tally takes the row at all. These depend
 * on the site's geometry only, so they are computed once per sample and shared by every head.
 */
import { type SampleGeometry, type SiteGeometry, visibleLimit } from "../metrics/geometry";
import type { InductionTargets } from "./induction";
import { templateLog } from "./tally";
import { SPARSE_MIN_SOURCES } from "./thresholds";

/** A tally does not take the row… */
export const SKIP = 0;
/** …takes it… */
export const TAKE = 1;
/** …or does not, because the metric pass leaves its mass NaN there (a source that is not visible): it must be NaN. */
export const NAN = 2;

/** One pattern's rows: per row (per row and width for the windows, `stride` apart) its chance, template log and use. */
export interface Channel {
  count: Float64Array;
  chance: Float64Array;
  log: Float64Array;
  /** SKIP, TAKE or NAN (see above). */
  use: Uint8Array;
  /** Entries per row (the window widths for `windows`, else 1). */
  stride: number;
  /**
   * Per lane (width), the rows taken as runs (block, first row, end row) of consecutive TAKE rows
   * in one block, and the rows marked NAN (set by rowTemplates once `use` is complete).
   */
  runs: Int32Array[];
  nanRows: Int32Array[];
}

/** The rows of one sample. */
export interface RowTemplates {
  /** The bootstrap block of each row (see evidence.ts). */
  blockOf: Int32Array;
  /** The sparse score's rows with enough sources, and all rows (rows.confidence). */
  sparse: Channel;
  sparseShort: Channel;
  /** rows.self, rows.previous, rows.next (self sites). */
  diagonal: Channel;
  previous: Channel;
  next: Channel;
  /** rows.segment (self sites with segments). */
  block: Channel | null;
  /** The targets after earlier occurrences of the row's token (self sites with token ids). */
  induction: Channel | null;
  /** |j − pᵢ| ≤ w for w = 1 … widths (self sites). */
  windows: Channel;
  /** |j − pᵢ| = w (only when asked: the ring pass). */
  rings: Channel | null;
}

function channel(T: number, stride = 1): Channel {
  return {
    count: new Float64Array(T * stride),
    chance: new Float64Array(T * stride),
    log: new Float64Array(T * stride),
    use: new Uint8Array(T * stride),
    stride,
    runs: [],
    nanRows: [],
  };
}

/** Fills `runs` and `nanRows` of a channel from its `use` over T rows (see Channel). */
function indexRows(c: Channel, T: number, blockOf: Int32Array): void {
  for (let lane = 0; lane < c.stride; lane++) {
    const runs: number[] = [];
    const nan: number[] = [];
    for (let i = 0; i < T; i++) {
      const u = c.use[i * c.stride + lane];
      if (u === NAN) nan.push(i);
      if (u !== TAKE) continue;
      const last = runs.length - 3;
      if (last >= 0 && runs[last] === blockOf[i] && runs[last + 2] === i) runs[last + 2] = i + 1;
      else runs.push(blockOf[i], i, i + 1);
    }
    c.runs.push(Int32Array.from(runs));
    c.nanRows.push(Int32Array.from(nan));
  }
}

/**
 * templateLog(count / n) remembered per count while n stays the same (it does across a
 * bidirectional sample's rows): the same value, computed once.
 */
class TemplateLogs {
  private readonly logs: Float64Array;
  private readonly stamp: Int32Array;
  private n = -1;
  private generation = 0;

  constructor(size: number) {
    this.logs = new Float64Array(size + 1);
    this.stamp = new Int32Array(size + 1).fill(-1);
  }

  of(count: number, n: number): number {
    if (n !== this.n) {
      this.n = n;
      this.generation++;
    }
    if (!(count >= 0 && count < this.logs.length) || count !== Math.floor(count)) return templateLog(count / n);
    if (this.stamp[count] !== this.generation) {
      this.stamp[count] = this.generation;
      this.logs[count] = templateLog(count / n);
    }
    return this.logs[count];
  }
}

/** Row k (entry at) of a channel: its set holds `count` of the row's n sources; `nan`: the pass leaves the mass NaN. */
function set(c: Channel, at: number, count: number, n: number, logs: TemplateLogs, nan = false): void {
  const chance = count / n;
  c.count[at] = count;
  c.chance[at] = chance;
  c.log[at] = logs.of(count, n);
  // Tally.add's test: rows whose set covers none or all of the sources say nothing.
  c.use[at] = !(chance < 1 && chance > 0) ? SKIP : nan ? NAN : TAKE;
}

/** Valid visible sources of row i in the row's own segment. */
function segmentCount(g: SampleGeometry, i: number, limit: number): number {
  const own = g.targetSegment ? g.targetSegment[i] : -1;
  let n = 0;
  for (let c = 0; c < g.chunkValid.length; c++) {
    if (!g.chunkValid[c] || g.chunkSegment[c] !== own) continue;
    n += Math.max(0, Math.min(g.breaks[c + 1], limit) - g.breaks[c]);
  }
  return n;
}

/**
 * The rows of sample b: `sources` holds each row's visible sources (rows.sources), `blocks` the
 * bootstrap blocks over all B·T rows of the site, `widths` the window widths.
 */
export function rowTemplates(
  geo: SiteGeometry,
  b: number,
  sources: Int32Array,
  blocks: number,
  widths: number,
  induction: InductionTargets | null,
  withRings = false,
): RowTemplates {
  const [B, , T, S] = geo.dims;
  const g = geo.samples[b];
  const logs = new TemplateLogs(S);
  const out: RowTemplates = {
    blockOf: new Int32Array(T),
    sparse: channel(T),
    sparseShort: channel(T),
    diagonal: channel(T),
    previous: channel(T),
    next: channel(T),
    block: geo.self && g.targetSegment && g.sourceSegment ? channel(T) : null,
    induction: geo.self && induction ? channel(T) : null,
    windows: channel(T, widths),
    rings: withRings ? channel(T, widths) : null,
  };
  const valid = g.sourceValid;
  for (let i = 0; i < T; i++) {
    out.blockOf[i] = Math.floor(((b * T + i) * blocks) / (B * T));
    const n = sources[b * T + i];
    if (n < 2) continue;
    set(out.sparseShort, i, 1, n, logs);
    if (n >= SPARSE_MIN_SOURCES) set(out.sparse, i, 1, n, logs);
    if (!geo.self) continue;
    const limit = visibleLimit(geo, i);
    const p = i + geo.offset;
    // Where the metric pass reads no weight (rowAccumulators' points), the mass is NaN and no tally takes the row.
    set(out.diagonal, i, 1, n, logs, !valid[p]);
    set(out.previous, i, 1, n, logs, !(p >= 1 && valid[p - 1]));
    set(out.next, i, 1, n, logs, !(p + 1 < limit && valid[p + 1]));
    if (out.block && g.targetSegment) {
      set(out.block, i, segmentCount(g, i, limit), n, logs, g.targetSegment[i] < 0);
    }
    if (out.induction && induction && induction.start[p + 1] > induction.start[p]) {
      set(out.induction, i, induction.start[p + 1] - induction.start[p], n, logs);
    }
    let count = valid[p];
    for (let w = 1; w <= widths; w++) {
      let ring = 0;
      if (p - w >= 0) ring += valid[p - w];
      if (p + w < limit) ring += valid[p + w];
      count += ring;
      const t = i * widths + w - 1;
      set(out.windows, t, count, n, logs);
      if (!out.rings) continue;
      out.rings.count[t] = ring;
      out.rings.log[t] = ring > 0 ? logs.of(ring, n) : 0;
    }
  }
  for (const c of [
    out.sparse,
    out.sparseShort,
    out.diagonal,
    out.previous,
    out.next,
    out.block,
    out.induction,
    out.windows,
  ]) {
    if (c) indexRows(c, T, out.blockOf);
  }
  return out;
}
