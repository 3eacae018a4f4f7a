/**
 * Pattern evidence per head: the chance-corrected tallies of every positional pattern (see
 * tally.ts) plus the broad and sparse scores. It reuses the metric pass (self/previous/next
 * mass, segment mass, window masses, row argmax, entropies) and reads only a few weights per
 * row itself (the strip candidates, the induction targets). Without window masses in the scan
 * (scanSite's windowWidths = 0) the local score is null.
 */

import type { SiteAttention } from "../../result/types";
import { type SiteGeometry, visibleLimit } from "../metrics/geometry";
import type { SiteScan } from "../metrics/scan";
import { inductionTargets } from "./induction";
import { stripCandidates, stripColumns } from "./strip";
import { Tally, templateLog } from "./tally";
import type { PositionalPattern } from "./types";

export interface HeadEvidence {
  tallies: Record<Exclude<PositionalPattern, "local">, Tally>;
  /** windows[w − 1]: the tally of |j − pᵢ| ≤ w. */
  windows: Tally[];
  broad: number | null;
  sparse: number | null;
  strip: number[][];
  /** Valid target rows with ≥ 2 visible sources (the rows any pattern could be seen on). */
  rows: number;
}

function emptyEvidence(B: number, windows: number): HeadEvidence {
  const t = () => new Tally();
  return {
    tallies: { diagonal: t(), previous: t(), next: t(), induction: t(), vertical: t(), block: t() },
    windows: Array.from({ length: windows }, t),
    broad: null,
    sparse: null,
    rows: 0,
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
 * geometry only, so they are computed once here instead of once per head.
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
  const blockChance = new Float64Array(T);
  const inductionLog = new Float64Array(T);
  const window = new Float64Array(T * widths);
  const windowChance = new Float64Array(T * widths);
  for (let i = 0; i < T; i++) {
    const n = sources[b * T + i];
    if (n < 2) continue;
    one[i] = templateLog(1 / n);
    if (!geo.self) continue;
    const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
    if (g.targetSegment) {
      blockChance[i] = segmentCount(geo, b, i, limit) / n;
      block[i] = templateLog(blockChance[i]);
    }
    const p = i + geo.offset;
    if (induction && induction.start[p + 1] > induction.start[p]) {
      inductionLog[i] = templateLog((induction.start[p + 1] - induction.start[p]) / n);
    }
    let count = g.sourceValid[p];
    for (let w = 1; w <= widths; w++) {
      if (p - w >= 0) count += g.sourceValid[p - w];
      if (p + w < limit) count += g.sourceValid[p + w];
      windowChance[i * widths + w - 1] = count / n;
      window[i * widths + w - 1] = templateLog(count / n);
    }
  }
  return { one, block, blockChance, induction: inductionLog, window, windowChance };
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
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    const induction = geo.self && g.sourceIds ? inductionTargets(g.sourceIds, g.sourceValid) : null;
    const validSources = g.validBefore[S];
    const rowTemplates = sampleTemplates(geo, b, rows.sources, widths, induction);
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
        const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
        const ne = rows.normalizedEntropy[r];
        broadSum[h] += ne;
        broadRows[h]++;
        const one = rowTemplates.one[i];
        sparse[h].add(rows.confidence[r], 1 / n, one);
        let stripMass = 0;
        let stripCount = 0;
        for (const c of strip) {
          if (c < limit && g.sourceValid[c]) {
            stripMass += data[base + c];
            stripCount++;
          }
        }
        if (stripCount > 0) ev.tallies.vertical.add(stripMass, stripCount / n);
        if (!geo.self) continue;
        ev.tallies.diagonal.add(rows.self[r], 1 / n, one);
        ev.tallies.previous.add(rows.previous[r], 1 / n, one);
        ev.tallies.next.add(rows.next[r], 1 / n, one);
        if (g.targetSegment) ev.tallies.block.add(rows.segment[r], rowTemplates.blockChance[i], rowTemplates.block[i]);
        const p = i + geo.offset;
        if (induction && induction.start[p + 1] > induction.start[p]) {
          let m = 0;
          for (let k = induction.start[p]; k < induction.start[p + 1]; k++) m += data[base + induction.at[k]];
          ev.tallies.induction.add(m, (induction.start[p + 1] - induction.start[p]) / n, rowTemplates.induction[i]);
        }
        for (let w = 1; w <= widths; w++) {
          const t = i * widths + w - 1;
          ev.windows[w - 1].add(scan.windows[r * widths + w - 1], rowTemplates.windowChance[t], rowTemplates.window[t]);
        }
      }
    }
  }
  heads.forEach((ev, h) => {
    ev.broad = broadRows[h] > 0 ? broadSum[h] / broadRows[h] : null;
    ev.sparse = sparse[h].score();
    ev.rows = sparse[h].count();
  });
  return heads;
}
