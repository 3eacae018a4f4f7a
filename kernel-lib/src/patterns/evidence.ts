/**
 * Pattern evidence per head: the chance-corrected tallies of every positional pattern (see
 * tally.ts) plus the broad and sparse scores. It reuses the metric pass (self/previous/next
 * mass, segment mass, window masses, row argmax, entropies) and reads only a few weights per
 * row itself (the strip candidates, the induction targets). Without window masses in the scan
 * (scanSite's windowWidths = 0) the local score is null.
 */
import { type SiteGeometry, visibleLimit } from "../metrics/geometry";
import type { SiteScan } from "../metrics/scan";
import type { SiteAttention } from "../result/types";
import { inductionTargets } from "./induction";
import { stripCandidates, stripColumns } from "./strip";
import { Tally } from "./tally";
import type { PositionalPattern } from "./types";

export interface HeadEvidence {
  tallies: Record<Exclude<PositionalPattern, "local">, Tally>;
  /** windows[w − 1]: the tally of |j − pᵢ| ≤ w. */
  windows: Tally[];
  broad: number | null;
  sparse: number | null;
  strip: number[][];
}

function emptyEvidence(B: number, windows: number): HeadEvidence {
  const t = () => new Tally();
  return {
    tallies: { diagonal: t(), previous: t(), next: t(), induction: t(), vertical: t(), block: t() },
    windows: Array.from({ length: windows }, t),
    broad: null,
    sparse: null,
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
        sparse[h].add(rows.confidence[r], 1 / n);
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
        ev.tallies.diagonal.add(rows.self[r], 1 / n);
        ev.tallies.previous.add(rows.previous[r], 1 / n);
        ev.tallies.next.add(rows.next[r], 1 / n);
        if (g.targetSegment) ev.tallies.block.add(rows.segment[r], segmentCount(geo, b, i, limit) / n);
        const p = i + geo.offset;
        if (induction && induction.start[p + 1] > induction.start[p]) {
          let m = 0;
          for (let k = induction.start[p]; k < induction.start[p + 1]; k++) m += data[base + induction.at[k]];
          ev.tallies.induction.add(m, (induction.start[p + 1] - induction.start[p]) / n);
        }
        let count = g.sourceValid[p];
        for (let w = 1; w <= widths; w++) {
          if (p - w >= 0) count += g.sourceValid[p - w];
          if (p + w < limit) count += g.sourceValid[p + w];
          ev.windows[w - 1].add(scan.windows[r * widths + w - 1], count / n);
        }
      }
    }
  }
  heads.forEach((ev, h) => {
    ev.broad = broadRows[h] > 0 ? broadSum[h] / broadRows[h] : null;
    ev.sparse = sparse[h].score();
  });
  return heads;
}
