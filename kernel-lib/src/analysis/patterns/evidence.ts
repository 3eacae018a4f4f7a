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
import { TALLY_BLOCKS, Tally, templateLog } from "./tally";
import { SPARSE_MIN_SOURCES } from "./thresholds";
import type { PositionalPattern } from "./types";

/** The tallies of one view of the rows (raw, or without the sink columns). */
export interface PatternTallies {
  tallies: Record<Exclude<PositionalPattern, "local" | "vertical">, Tally>;
  /** windows[w − 1]: the tally of |j − pᵢ| ≤ w. */
  windows: Tally[];
  /** rings[d − 1]: the tally of |j − pᵢ| = d (a fixed offset; the window must beat it to be "local"). */
  rings: Tally[];
}

export interface HeadEvidence {
  tallies: PatternTallies["tallies"] & { vertical: Tally };
  windows: Tally[];
  rings: Tally[];
  /** The same tallies with the strip columns removed from every row. */
  rest: PatternTallies;
  broad: number | null;
  sparse: number | null;
  /** The sparse score's tally (resampled by the bootstrap). */
  sparseTally: Tally;
  strip: number[][];
  /** Valid target rows with ≥ 2 visible sources (the rows any pattern could be seen on). */
  rows: number;
  /** Row blocks in use (the bootstrap draws from blocks 0 … blocks − 1). */
  blocks: number;
}

function emptyTallies(windows: number): PatternTallies {
  const t = () => new Tally();
  return {
    tallies: { diagonal: t(), previous: t(), next: t(), induction: t(), block: t() },
    windows: Array.from({ length: windows }, t),
    rings: Array.from({ length: windows }, t),
  };
}

function emptyEvidence(B: number, windows: number): HeadEvidence {
  const raw = emptyTallies(windows);
  return {
    tallies: { ...raw.tallies, vertical: new Tally() },
    windows: raw.windows,
    rings: raw.rings,
    rest: emptyTallies(windows),
    broad: null,
    sparse: null,
    sparseTally: new Tally(),
    rows: 0,
    blocks: 1,
    strip: Array.from({ length: B }, () => []),
  };
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
    this.at.length = 0;
    this.weight.length = 0;
    this.mass = 0;
  }

  push(c: number, w: number): void {
    this.at.push(c);
    this.weight.push(w);
    this.mass += w;
  }

  /** [mass, count] of the strip columns for which `inSet` holds. */
  within(inSet: (c: number) => boolean): [number, number] {
    let m = 0;
    let k = 0;
    for (let q = 0; q < this.at.length; q++) {
      if (inSet(this.at[q])) {
        m += this.weight[q];
        k++;
      }
    }
    return [m, k];
  }
}

export function headEvidence(site: SiteAttention, geo: SiteGeometry, scan: SiteScan): HeadEvidence[] {
  const [B, H, T, S] = geo.dims;
  const { rows } = scan;
  const data = site.data;
  const widths = scan.windowWidths;
  const heads = Array.from({ length: H }, () => emptyEvidence(B, geo.self ? widths : 0));
  const broadSum = new Float64Array(H);
  const broadRows = new Float64Array(H);
  const sparse = Array.from({ length: H }, () => new Tally());
  const counts = new Int32Array(S);
  const sink = new RowSink();
  const ringMass = new Float64Array(Math.max(1, widths));
  // Contiguous row blocks across the samples: the bootstrap resamples rows (and samples) by block.
  const blocks = Math.min(TALLY_BLOCKS, B * T);
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    const induction = geo.self && g.sourceIds ? inductionTargets(g.sourceIds, g.sourceValid) : null;
    const validSources = g.validBefore[S];
    const tp = sampleTemplates(geo, b, rows.sources, widths, induction);
    for (let h = 0; h < H; h++) {
      const ev = heads[h];
      const rowBase = (b * H + h) * T;
      const candidates = stripCandidates(scan.argmax.subarray(rowBase, rowBase + T), g, counts);
      const strip = stripColumns(candidates, columnShares(site, geo, b, h, candidates), validSources);
      ev.strip[b] = strip;
      for (let i = 0; i < T; i++) {
        const n = rows.sources[b * T + i];
        if (n < 2) continue;
        const r = (b * H + h) * T + i;
        const base = r * S;
        const blk = Math.floor(((b * T + i) * blocks) / (B * T));
        const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
        broadSum[h] += rows.normalizedEntropy[r];
        broadRows[h]++;
        const one = tp.one[i];
        if (n >= SPARSE_MIN_SOURCES) sparse[h].add(rows.confidence[r], 1 / n, one, blk);
        sink.reset();
        for (const c of strip) if (c < limit && g.sourceValid[c]) sink.push(c, data[base + c]);
        if (sink.at.length > 0) ev.tallies.vertical.add(sink.mass, sink.at.length / n, undefined, blk);
        if (!geo.self) continue;
        const p = i + geo.offset;
        // The sink-free row: n − k sources, the rest of the mass renormalized; none when the sink takes it all.
        const k = sink.at.length;
        const keep = 1 - sink.mass;
        const restRow = k === 0 || (n - k >= 2 && keep > 1e-6);
        const raw = ev;
        const rest = ev.rest;
        /** Adds one pattern's row to both views: its raw mass, source count and template log. */
        const add = (
          key: keyof PatternTallies["tallies"],
          mass: number,
          count: number,
          log: number,
          inSet: (c: number) => boolean,
        ) => {
          raw.tallies[key].add(mass, count / n, log, blk);
          if (!restRow) return;
          if (k === 0) rest.tallies[key].add(mass, count / n, log, blk);
          else {
            const [m, c] = sink.within(inSet);
            rest.tallies[key].add((mass - m) / keep, (count - c) / (n - k), undefined, blk);
          }
        };
        add("diagonal", rows.self[r], 1, one, (c) => c === p);
        add("previous", rows.previous[r], 1, one, (c) => c === p - 1);
        add("next", rows.next[r], 1, one, (c) => c === p + 1);
        if (g.targetSegment && g.sourceSegment) {
          const own = g.targetSegment[i];
          const seg = g.sourceSegment;
          add("block", rows.segment[r], tp.blockCount[i], tp.block[i], (c) => seg[c] === own);
        }
        if (induction && induction.start[p + 1] > induction.start[p]) {
          const from = induction.start[p];
          const to = induction.start[p + 1];
          let m = 0;
          for (let q = from; q < to; q++) m += data[base + induction.at[q]];
          add("induction", m, to - from, tp.induction[i], (c) => {
            for (let q = from; q < to; q++) if (induction.at[q] === c) return true;
            return false;
          });
        }
        let inner = rows.self[r];
        for (let w = 1; w <= widths; w++) {
          const t = i * widths + w - 1;
          const mass = scan.windows[r * widths + w - 1];
          ringMass[w - 1] = mass - inner;
          inner = mass;
          raw.windows[w - 1].add(mass, tp.windowCount[t] / n, tp.window[t], blk);
          raw.rings[w - 1].add(ringMass[w - 1], tp.ringCount[t] / n, tp.ring[t], blk);
          if (!restRow) continue;
          if (k === 0) {
            rest.windows[w - 1].add(mass, tp.windowCount[t] / n, tp.window[t], blk);
            rest.rings[w - 1].add(ringMass[w - 1], tp.ringCount[t] / n, tp.ring[t], blk);
          } else {
            const [wm, wc] = sink.within((c) => Math.abs(c - p) <= w);
            rest.windows[w - 1].add((mass - wm) / keep, (tp.windowCount[t] - wc) / (n - k), undefined, blk);
            const [rm, rc] = sink.within((c) => Math.abs(c - p) === w);
            rest.rings[w - 1].add((ringMass[w - 1] - rm) / keep, (tp.ringCount[t] - rc) / (n - k), undefined, blk);
          }
        }
      }
    }
  }
  heads.forEach((ev, h) => {
    ev.broad = broadRows[h] > 0 ? broadSum[h] / broadRows[h] : null;
    ev.sparse = sparse[h].score();
    ev.rows = broadRows[h];
    ev.sparseTally = sparse[h];
    ev.blocks = blocks;
  });
  return heads;
}
