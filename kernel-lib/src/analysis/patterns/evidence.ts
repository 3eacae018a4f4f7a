/**
 * Pattern evidence per head: the chance-corrected tallies of every positional pattern (see
 * tally.ts) plus the broad and sparse scores. It reuses the metric pass (self/previous/next
 * mass, segment mass, window masses, row argmax, entropies) and reads only a few weights per
 * row itself (the strip candidates, the induction targets). Without window masses in the scan
 * (scanSite's windowWidths = 0) the local score is null.
 *
 * Every positional tally is kept twice: on the rows as they are (`raw`), and on the rows with the
 * head's strip (sink) columns taken out and the rest renormalized (`rest`): a head that is
 * 0.45 diagonal + 0.45 [SEP] is a clean diagonal once its sink is set aside (see classify.ts).
 */

import type { SiteAttention } from "../../result/types";
import { type SiteGeometry, visibleLimit } from "../metrics/geometry";
import type { SiteScan } from "../metrics/scan";
import { inductionTargets } from "./induction";
import { stripCandidates, stripColumns } from "./strip";
import { TALLY_BLOCKS, Tally, TallyArena, type TallySummary, templateLog } from "./tally";
import { SPARSE_MIN_SOURCES } from "./thresholds";
import type { PositionalPattern } from "./types";

/** The tallies of one view of the rows (raw, or without the sink columns); T = TallySummary once resampled. */
export interface PatternTallies<T extends TallySummary = Tally> {
  tallies: Record<Exclude<PositionalPattern, "local" | "vertical">, T>;
  /** windows[w − 1]: the tally of |j − pᵢ| ≤ w. */
  windows: T[];
  /** rings[d − 1]: the tally of |j − pᵢ| = d (a fixed offset; the window must beat it to be "local"). Filled by HeadEvidence.fillRings. */
  rings: T[];
}

export interface HeadEvidence<T extends TallySummary = Tally> {
  tallies: PatternTallies<T>["tallies"] & { vertical: T };
  windows: T[];
  rings: T[];
  /** The same tallies with the strip columns removed from every row. */
  rest: PatternTallies<T>;
  broad: number | null;
  sparse: number | null;
  /**
   * Fills `rings` and `rest.rings` (a second read of the head's rows, done only for heads whose
   * window could be the label: most heads never need it). Idempotent.
   */
  fillRings: () => void;
  /** The sparse score's tally on rows with ≥ SPARSE_MIN_SOURCES sources (resampled by the bootstrap)… */
  sparseTally: T;
  /** …and on all rows, for inputs too short to have enough of those (held to SPARSE_MIN_SHORT). */
  sparseShortTally: T;
  strip: number[][];
  /** Valid target rows with ≥ 2 visible sources (the rows any pattern could be seen on). */
  rows: number;
  /** Row blocks in use (the bootstrap draws from blocks 0 … blocks − 1). */
  blocks: number;
}

/** Tallies one head's evidence holds (emptyEvidence), for sizing its arena. */
function talliesPerHead(windows: number, hasStrip: boolean): number {
  return (hasStrip ? 2 : 1) * (5 + windows) + 3;
}

function emptyTallies(windows: number, arena: TallyArena): PatternTallies {
  const t = () => arena.tally();
  // Rings are filled for few heads (fillRings): empty, on the shared zero block, until then.
  const ring = () => new Tally(TallyArena.EMPTY, 0);
  return {
    tallies: { diagonal: t(), previous: t(), next: t(), induction: t(), block: t() },
    windows: Array.from({ length: windows }, t),
    rings: Array.from({ length: windows }, ring),
  };
}

/** A head with no strip in any sample has no sink-free view to keep apart: its rest view is the raw one. */
function emptyEvidence(strip: number[][], windows: number, arena: TallyArena): HeadEvidence {
  const raw = emptyTallies(windows, arena);
  return {
    tallies: { ...raw.tallies, vertical: arena.tally() },
    windows: raw.windows,
    rings: raw.rings,
    rest: hasStrip(strip) ? emptyTallies(windows, arena) : raw,
    broad: null,
    sparse: null,
    sparseTally: arena.tally(),
    sparseShortTally: arena.tally(),
    fillRings: () => {},
    rows: 0,
    blocks: 1,
    strip,
  };
}

function hasStrip(strip: number[][]): boolean {
  return strip.some((cols) => cols.length > 0);
}

/** Valid visible sources of row i in the row's own segment. */
function segmentCount(geo: SiteGeometry, b: number, i: number, limit: number): number {
  const g = geo.samples[b];
  const own = g.targetSegment ? g.targetSegment[i] : -1;
  let n = 0;
  for (let c = 0; c < g.chunkValid.length; c++) {
    if (!g.chunkValid[c] || g.chunkSegment[c] !== own) continue;
    n += Math.max(0, Math.min(g.breaks[c + 1], limit) - g.breaks[c]);
  }
  return n;
}

/** Σᵢ aᵢc / valid rows for each candidate column c of (sample b, head h); row-major for locality. */
function columnShares(site: SiteAttention, geo: SiteGeometry, b: number, h: number, columns: number[]): number[] {
  const [, H, T, S] = geo.dims;
  const g = geo.samples[b];
  const mass = new Array<number>(columns.length).fill(0);
  for (let i = 0; i < T; i++) {
    if (!g.targetValid[i]) continue;
    const base = ((b * H + h) * T + i) * S;
    const limit = visibleLimit(geo, i);
    for (let k = 0; k < columns.length; k++) if (columns[k] < limit) mass[k] += site.data[base + columns[k]];
  }
  return mass.map((m) => (g.validTargets > 0 ? m / g.validTargets : 0));
}

/**
 * Per-row chances and their template logs (see tally.ts) for one sample: they depend on the
 * geometry only, so they are computed once here instead of once per head. Window and ring
 * counts are kept (not shares) so the sink-free view can subtract the strip columns.
 */
function sampleTemplates(
  geo: SiteGeometry,
  b: number,
  sources: Int32Array | Float32Array | Float64Array,
  widths: number,
  induction: ReturnType<typeof inductionTargets> | null,
  withRings = false,
) {
  const [, , T, S] = geo.dims;
  const g = geo.samples[b];
  const one = new Float64Array(T);
  const block = new Float64Array(T);
  const blockCount = new Float64Array(T);
  const inductionLog = new Float64Array(T);
  const window = new Float64Array(T * widths);
  const windowCount = new Float64Array(T * widths);
  const ring = new Float64Array(T * widths);
  const ringCount = new Float64Array(T * widths);
  for (let i = 0; i < T; i++) {
    const n = sources[b * T + i];
    if (n < 2) continue;
    one[i] = templateLog(1 / n);
    if (!geo.self) continue;
    const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
    if (g.targetSegment) {
      blockCount[i] = segmentCount(geo, b, i, limit);
      block[i] = templateLog(blockCount[i] / n);
    }
    const p = i + geo.offset;
    if (induction && induction.start[p + 1] > induction.start[p]) {
      inductionLog[i] = templateLog((induction.start[p + 1] - induction.start[p]) / n);
    }
    let count = g.sourceValid[p];
    for (let w = 1; w <= widths; w++) {
      let ringN = 0;
      if (p - w >= 0) ringN += g.sourceValid[p - w];
      if (p + w < limit) ringN += g.sourceValid[p + w];
      count += ringN;
      const t = i * widths + w - 1;
      windowCount[t] = count;
      window[t] = templateLog(count / n);
      if (!withRings) continue;
      ringCount[t] = ringN;
      ring[t] = ringN > 0 ? templateLog(ringN / n) : 0;
    }
  }
  return { one, block, blockCount, induction: inductionLog, window, windowCount, ring, ringCount };
}

/** The strip columns visible in one row, with their weights: what the sink-free view subtracts. */
class RowSink {
  readonly at: number[] = [];
  readonly weight: number[] = [];
  mass = 0;

  reset(): void {
    // Most rows have no strip column: skip the array length writes (a builtin call each).
    if (this.at.length > 0) {
      this.at.length = 0;
      this.weight.length = 0;
    }
    this.mass = 0;
  }

  push(c: number, w: number): void {
    this.at.push(c);
    this.weight.push(w);
    this.mass += w;
  }

  /** Whether a strip column lies exactly `d` from p (the windows' set of strip columns changes only there). */
  atDistance(p: number, d: number): boolean {
    for (let q = 0; q < this.at.length; q++) if (Math.abs(this.at[q] - p) === d) return true;
    return false;
  }

  /** Mass and count of the strip columns in a pattern's set (see SetKind), left in `inMass`, `inCount`. */
  inMass = 0;
  inCount = 0;

  within(kind: SetKind, p: number, arg: number, segment: Int32Array | null, targets: Int32Array | null, to = 0): void {
    let m = 0;
    let k = 0;
    for (let q = 0; q < this.at.length; q++) {
      const c = this.at[q];
      let hit = false;
      if (kind === SetKind.At) hit = c === arg;
      else if (kind === SetKind.Window) hit = Math.abs(c - p) <= arg;
      else if (kind === SetKind.Ring) hit = Math.abs(c - p) === arg;
      else if (kind === SetKind.Segment) hit = segment !== null && segment[c] === arg;
      else if (targets) for (let t = arg; t < to && !hit; t++) hit = targets[t] === c;
      if (hit) {
        m += this.weight[q];
        k++;
      }
    }
    this.inMass = m;
    this.inCount = k;
  }
}

/** The shape of a pattern's source set, for RowSink.within. */
enum SetKind {
  /** {arg} */
  At = 0,
  /** |j − p| ≤ arg */
  Window = 1,
  /** |j − p| = arg */
  Ring = 2,
  /** segment[j] = arg */
  Segment = 3,
  /** targets[arg … to) */
  Targets = 4,
}

export function headEvidence(site: SiteAttention, geo: SiteGeometry, scan: SiteScan): HeadEvidence[] {
  const [B, H, T, S] = geo.dims;
  const { rows } = scan;
  const data = site.data;
  const widths = scan.windowWidths;
  const counts = new Int32Array(S);
  const strips = Array.from({ length: H }, () => Array.from({ length: B }, (): number[] => []));
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    for (let h = 0; h < H; h++) {
      const rowBase = (b * H + h) * T;
      const candidates = stripCandidates(scan.argmax.subarray(rowBase, rowBase + T), g, counts);
      strips[h][b] = stripColumns(candidates, columnShares(site, geo, b, h, candidates), g.validBefore[S]);
    }
  }
  const windowTallies = geo.self ? widths : 0;
  const arena = new TallyArena(strips.reduce((sum, st) => sum + talliesPerHead(windowTallies, hasStrip(st)), 0));
  const heads = strips.map((st) => emptyEvidence(st, windowTallies, arena));
  const broadSum = new Float64Array(H);
  const broadRows = new Float64Array(H);
  const sparse = heads.map((ev) => ev.sparseTally);
  const sparseShort = heads.map((ev) => ev.sparseShortTally);
  const sink = new RowSink();
  // Contiguous row blocks across the samples: the bootstrap resamples rows (and samples) by block.
  const blocks = Math.min(TALLY_BLOCKS, B * T);
  // The current row (set in the loop below): sources, block, strip columns, kept mass.
  let n = 0;
  let blk = 0;
  let k = 0;
  let keep = 1;
  let restRow = true;
  /** One pattern's row in both views: raw mass, source count, template log; the sink's share of the set is in `sink`. */
  const add = (raw: Tally, out: Tally, mass: number, count: number, log: number) => {
    raw.add(mass, count / n, log, blk);
    if (!restRow || out === raw) return;
    if (k === 0) out.add(mass, count / n, log, blk);
    else {
      const chance = (count - sink.inCount) / (n - k);
      out.add((mass - sink.inMass) / keep, chance, restLog(count - sink.inCount, n - k, chance), blk);
    }
  };
  // templateLog of the sink-free rows' shares c / (n − k), remembered per c while n − k stays the
  // same (across rows of a bidirectional sample it does): the same value, computed once.
  const restLogs = new Float64Array(S + 1);
  const restStamp = new Int32Array(S + 1).fill(-1);
  let restDenominator = -1;
  let restGeneration = 0;
  const restLog = (c: number, d: number, chance: number): number => {
    if (d !== restDenominator) {
      restDenominator = d;
      restGeneration++;
    }
    if (!(c >= 0 && c <= S) || c !== Math.floor(c)) return templateLog(chance);
    if (restStamp[c] !== restGeneration) {
      restStamp[c] = restGeneration;
      restLogs[c] = templateLog(chance);
    }
    return restLogs[c];
  };
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    const induction = geo.self && g.sourceIds ? inductionTargets(g.sourceIds, g.sourceValid) : null;
    const tp = sampleTemplates(geo, b, rows.sources, widths, induction);
    for (let h = 0; h < H; h++) {
      const ev = heads[h];
      const strip = ev.strip[b];
      for (let i = 0; i < T; i++) {
        n = rows.sources[b * T + i];
        if (n < 2) continue;
        const r = (b * H + h) * T + i;
        const base = r * S;
        blk = Math.floor(((b * T + i) * blocks) / (B * T));
        const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
        broadSum[h] += rows.normalizedEntropy[r];
        broadRows[h]++;
        const one = tp.one[i];
        sparseShort[h].add(rows.confidence[r], 1 / n, one, blk);
        if (n >= SPARSE_MIN_SOURCES) sparse[h].add(rows.confidence[r], 1 / n, one, blk);
        sink.reset();
        for (let q = 0; q < strip.length; q++) {
          const c = strip[q];
          if (c < limit && g.sourceValid[c]) sink.push(c, data[base + c]);
        }
        if (sink.at.length > 0) ev.tallies.vertical.add(sink.mass, sink.at.length / n, undefined, blk);
        if (!geo.self) continue;
        const p = i + geo.offset;
        // The sink-free row: n − k sources, the rest of the mass renormalized; none when the sink takes it all.
        k = sink.at.length;
        keep = 1 - sink.mass;
        restRow = k === 0 || (n - k >= 2 && keep > 1e-6);
        const rest = ev.rest;
        const seg = g.sourceSegment;
        if (k > 0) sink.within(SetKind.At, p, p, null, null);
        add(ev.tallies.diagonal, rest.tallies.diagonal, rows.self[r], 1, one);
        if (k > 0) sink.within(SetKind.At, p, p - 1, null, null);
        add(ev.tallies.previous, rest.tallies.previous, rows.previous[r], 1, one);
        if (k > 0) sink.within(SetKind.At, p, p + 1, null, null);
        add(ev.tallies.next, rest.tallies.next, rows.next[r], 1, one);
        if (g.targetSegment && seg) {
          if (k > 0) sink.within(SetKind.Segment, p, g.targetSegment[i], seg, null);
          add(ev.tallies.block, rest.tallies.block, rows.segment[r], tp.blockCount[i], tp.block[i]);
        }
        if (induction && induction.start[p + 1] > induction.start[p]) {
          const from = induction.start[p];
          const to = induction.start[p + 1];
          let m = 0;
          for (let q = from; q < to; q++) m += data[base + induction.at[q]];
          if (k > 0) sink.within(SetKind.Targets, p, from, null, induction.at, to);
          add(ev.tallies.induction, rest.tallies.induction, m, to - from, tp.induction[i]);
        }
        if (k === 0 && widths > 0) {
          // No strip column in this row: both views get the row as it is.
          Tally.addRow(ev.windows, scan.windows, r * widths, tp.windowCount, tp.window, i * widths, n, blk);
          if (restRow && rest.windows !== ev.windows) {
            Tally.addRow(rest.windows, scan.windows, r * widths, tp.windowCount, tp.window, i * widths, n, blk);
          }
          continue;
        }
        for (let w = 1; w <= widths; w++) {
          const t = i * widths + w - 1;
          // The window's strip columns change only where one lies exactly w away (same sums otherwise).
          if (k > 0 && (w === 1 || sink.atDistance(p, w))) sink.within(SetKind.Window, p, w, null, null);
          add(
            ev.windows[w - 1],
            rest.windows[w - 1],
            scan.windows[r * widths + w - 1],
            tp.windowCount[t],
            tp.window[t],
          );
        }
      }
    }
  }
  /** The second read, for one head: ring masses aᵢ,ₚ₋d + aᵢ,ₚ₊d, in both views (see fillRings). */
  const ringPass = (h: number) => {
    const ev = heads[h];
    const rings = ev.rest.rings === ev.rings ? ev.rings : [...ev.rings, ...ev.rest.rings];
    const room = new TallyArena(rings.length).buffer;
    rings.forEach((t, q) => t.rebind(room, q * TallyArena.SIZE));
    for (let b = 0; b < B; b++) {
      const g = geo.samples[b];
      const tp = sampleTemplates(geo, b, rows.sources, widths, null, true);
      for (let i = 0; i < T; i++) {
        n = rows.sources[b * T + i];
        if (n < 2) continue;
        const r = (b * H + h) * T + i;
        const base = r * S;
        blk = Math.floor(((b * T + i) * blocks) / (B * T));
        const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
        sink.reset();
        for (const c of ev.strip[b]) if (c < limit && g.sourceValid[c]) sink.push(c, data[base + c]);
        k = sink.at.length;
        keep = 1 - sink.mass;
        restRow = k === 0 || (n - k >= 2 && keep > 1e-6);
        const p = i + geo.offset;
        for (let w = 1; w <= widths; w++) {
          const t = i * widths + w - 1;
          let ring = 0;
          if (p - w >= 0 && g.sourceValid[p - w]) ring += data[base + p - w];
          if (p + w < limit && g.sourceValid[p + w]) ring += data[base + p + w];
          if (k > 0) sink.within(SetKind.Ring, p, w, null, null);
          add(ev.rings[w - 1], ev.rest.rings[w - 1], ring, tp.ringCount[t], tp.ring[t]);
        }
      }
    }
  };
  heads.forEach((ev, h) => {
    let filled = !geo.self || widths === 0;
    ev.fillRings = () => {
      if (!filled) ringPass(h);
      filled = true;
    };
    ev.broad = broadRows[h] > 0 ? broadSum[h] / broadRows[h] : null;
    ev.sparse = sparse[h].score();
    ev.rows = broadRows[h];
    ev.sparseTally = sparse[h];
    ev.sparseShortTally = sparseShort[h];
    ev.blocks = blocks;
  });
  return heads;
}
