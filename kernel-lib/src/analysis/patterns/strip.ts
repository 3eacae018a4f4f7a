/**
 * Vertical-strip columns: sources that receive a large share of every row's attention
 * (Σᵢ aᵢⱼ over valid rows / number of valid rows), e.g. [CLS], [SEP], BOS, a full stop.
 * Candidates are the first valid source, the [CLS]/[SEP] and sink positions, and the sources that are the
 * largest weight of at least STRIP_ARGMAX_ROWS of the rows (at most 2·STRIP_MAX of them); their
 * shares are then read exactly. Reading every column would cost as much as the metric pass.
 */
import type { SiteAttention } from "../../result/types";
import { type SampleGeometry, type SiteGeometry, visibleLimit } from "../metrics/geometry";
import type { SiteScan } from "../metrics/scan";
import { STRIP_ARGMAX_ROWS, STRIP_MAX, STRIP_OVER_AVERAGE, STRIP_RELATIVE, STRIP_SHARE_MIN } from "./thresholds";

/**
 * Candidate columns of one (sample, head) from its rows' argmax, argmax[from … to) (−1 = padding
 * row); `counts` is scratch of length S. `known`: the sample's fixed candidates (knownCandidates),
 * returned as they are (not copied) when no column is frequent.
 */
export function stripCandidates(
  argmax: Int32Array,
  g: SampleGeometry,
  counts: Int32Array,
  from = 0,
  to = argmax.length,
  known?: number[],
): number[] {
  const least = Math.max(2, Math.ceil(STRIP_ARGMAX_ROWS * g.validTargets));
  const frequent: number[] = [];
  counts.fill(0);
  for (let i = from; i < to; i++) {
    const j = argmax[i];
    // Each column is listed once, when its count reaches `least`.
    if (j >= 0 && ++counts[j] === least) frequent.push(j);
  }
  if (frequent.length === 0 && known) return known;
  frequent.sort((x, y) => counts[y] - counts[x] || x - y);
  const set = new Set(frequent.slice(0, 2 * STRIP_MAX));
  if (g.firstSource >= 0) set.add(g.firstSource);
  for (const j of g.special?.cls ?? []) set.add(j);
  for (const j of g.special?.sep ?? []) set.add(j);
  for (const j of g.special?.sink ?? []) set.add(j);
  return [...set].sort((x, y) => x - y);
}

/** The candidates every head of sample g has (first valid source, [CLS], [SEP], sink), ascending. */
export function knownCandidates(g: SampleGeometry): number[] {
  const set = new Set<number>();
  if (g.firstSource >= 0) set.add(g.firstSource);
  for (const j of g.special?.cls ?? []) set.add(j);
  for (const j of g.special?.sep ?? []) set.add(j);
  for (const j of g.special?.sink ?? []) set.add(j);
  return [...set].sort((x, y) => x - y);
}

/** The least share a strip column needs whatever the other columns' shares (stripColumns' floor before STRIP_RELATIVE). */
function leastShare(validSources: number): number {
  return Math.max(STRIP_SHARE_MIN, STRIP_OVER_AVERAGE / validSources);
}

/** The strip: candidates whose share passes the thresholds, strongest STRIP_MAX, ascending. */
export function stripColumns(columns: number[], shares: number[], validSources: number): number[] {
  if (validSources === 0) return [];
  const top = Math.max(0, ...shares);
  const floor = Math.max(leastShare(validSources), STRIP_RELATIVE * top);
  if (!shares.some((x) => x >= floor)) return [];
  return columns
    .map((c, k) => ({ c, share: shares[k] }))
    .filter((x) => x.share >= floor)
    .sort((x, y) => y.share - x.share || x.c - y.c)
    .slice(0, STRIP_MAX)
    .map((x) => x.c)
    .sort((x, y) => x - y);
}

/**
 * Σᵢ aᵢc / valid rows for each candidate column c of (sample b, head h), or 0 for a column that
 * cannot reach leastShare: a valid source's weight is at most its row's largest (rows.confidence),
 * so a column whose Σᵢ of those stays below leastShare · rows is not read (floating-point sums of
 * smaller terms in the same order are no larger). Such a column passes no floor, and 0 in its place
 * leaves the STRIP_RELATIVE floor as it was (half a share below leastShare is below it). The first
 * valid source's weights are in the metric pass too (rows.first, the same float32). What is left
 * is read row-major, for locality.
 */
function columnShares(site: SiteAttention, geo: SiteGeometry, scan: SiteScan, b: number, h: number, columns: number[]) {
  const [, H, T, S] = geo.dims;
  const g = geo.samples[b];
  const { first, confidence } = scan.rows;
  const rowBase = (b * H + h) * T;
  const least = leastShare(g.validBefore[S]) * g.validTargets;
  const { causal, offset } = geo;
  const read: number[] = [];
  // The bound of a column seen by every row (all of a bidirectional site's columns) is the same sum.
  let allRows = Number.NaN;
  for (const c of columns) {
    if (c === g.firstSource || !g.sourceValid[c]) {
      read.push(c);
      continue;
    }
    // Rows that see c: i + offset ≥ c on a causal site, all rows otherwise.
    const start = causal ? Math.max(0, c - offset) : 0;
    let most = start === 0 ? allRows : Number.NaN;
    if (most !== most) {
      most = 0;
      for (let i = start; i < T; i++) if (g.targetValid[i]) most += confidence[rowBase + i];
      if (start === 0) allRows = most;
    }
    if (!(most < least)) read.push(c);
  }
  // The candidates known before the pass were summed by it (SiteScan.columnMass: the same float64
  // sums, rows in order); only the others (frequent argmax columns) are read from the maps here.
  const known = scan.columnMass[b];
  const mass = new Array<number>(read.length).fill(0);
  const rest: number[] = [];
  for (let k = 0; k < read.length; k++) {
    const q = known ? known.columns.indexOf(read[k]) : -1;
    if (q >= 0) mass[k] = known.mass[h * known.columns.length + q];
    else rest.push(k);
  }
  if (rest.length > 0) {
    for (let i = 0; i < T; i++) {
      if (!g.targetValid[i]) continue;
      const r = rowBase + i;
      const limit = visibleLimit(geo, i);
      for (const k of rest) {
        const c = read[k];
        if (c >= limit) continue;
        const x = c === g.firstSource ? first[r] : Number.NaN;
        mass[k] += x === x ? x : site.data[r * S + c];
      }
    }
  }
  return columns.map((c) => {
    const k = read.indexOf(c);
    return k >= 0 && g.validTargets > 0 ? mass[k] / g.validTargets : 0;
  });
}

/** The strip columns of every head of a site, per sample: strips[h][b]. */
export function siteStrips(site: SiteAttention, geo: SiteGeometry, scan: SiteScan): number[][][] {
  const [B, H, T, S] = geo.dims;
  const counts = new Int32Array(S);
  const strips = Array.from({ length: H }, () => Array.from({ length: B }, (): number[] => []));
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    const known = knownCandidates(g);
    for (let h = 0; h < H; h++) {
      const rowBase = (b * H + h) * T;
      const candidates = stripCandidates(scan.argmax, g, counts, rowBase, rowBase + T, known);
      strips[h][b] = stripColumns(candidates, columnShares(site, geo, scan, b, h, candidates), g.validBefore[S]);
    }
  }
  return strips;
}
