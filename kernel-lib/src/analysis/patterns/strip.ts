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
  // The most frequent 2·STRIP_MAX (count down, then column up), then the fixed candidates, in
  // place: the list is short, and sort's and a Set's allocations showed in every call's garbage.
  sortInPlace(frequent, (x, y) => counts[y] - counts[x] || x - y);
  if (frequent.length > 2 * STRIP_MAX) frequent.length = 2 * STRIP_MAX;
  for (const j of known ?? knownCandidates(g)) frequent.push(j);
  sortInPlace(frequent, (x, y) => x - y);
  let n = 0;
  for (let k = 0; k < frequent.length; k++) if (k === 0 || frequent[k] !== frequent[n - 1]) frequent[n++] = frequent[k];
  frequent.length = n;
  return frequent;
}

/** Insertion sort of a short list (stable, like Array.prototype.sort). */
function sortInPlace(list: number[], order: (x: number, y: number) => number): void {
  for (let k = 1; k < list.length; k++) {
    const x = list[k];
    let at = k;
    while (at > 0 && order(list[at - 1], x) > 0) {
      list[at] = list[at - 1];
      at--;
    }
    list[at] = x;
  }
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

/** The strip: candidates whose share (shares[k] for columns[k]) passes the thresholds, strongest STRIP_MAX, ascending. */
export function stripColumns(columns: number[], shares: ArrayLike<number>, validSources: number): number[] {
  if (validSources === 0) return [];
  let top = 0;
  for (let k = 0; k < columns.length; k++) top = Math.max(top, shares[k]);
  const floor = Math.max(leastShare(validSources), STRIP_RELATIVE * top);
  let any = false;
  for (let k = 0; k < columns.length && !any; k++) any = shares[k] >= floor;
  // Most heads have no strip: that answer allocates nothing more.
  if (!any) return [];
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
function columnShares(
  site: SiteAttention,
  geo: SiteGeometry,
  scan: SiteScan,
  b: number,
  h: number,
  columns: number[],
  scratch: ShareScratch,
): Float64Array {
  const [, H, T, S] = geo.dims;
  const g = geo.samples[b];
  const { first, confidence } = scan.rows;
  const rowBase = (b * H + h) * T;
  const least = leastShare(g.validBefore[S]) * g.validTargets;
  const { causal, offset } = geo;
  const { mass, how } = scratch.fit(columns.length);
  // The candidates known before the pass were summed by it (SiteScan.columnMass: the same float64
  // sums, rows in order); only the others (frequent argmax columns) are read from the maps here.
  const known = scan.columnMass[b];
  let readAny = false;
  // The bound of a column seen by every row (all of a bidirectional site's columns) is the same sum.
  let allRows = Number.NaN;
  for (let k = 0; k < columns.length; k++) {
    const c = columns[k];
    mass[k] = 0;
    let read = c === g.firstSource || !g.sourceValid[c];
    if (!read) {
      // Rows that see c: i + offset ≥ c on a causal site, all rows otherwise.
      const start = causal ? Math.max(0, c - offset) : 0;
      let most = start === 0 ? allRows : Number.NaN;
      if (most !== most) {
        most = 0;
        for (let i = start; i < T; i++) if (g.targetValid[i]) most += confidence[rowBase + i];
        if (start === 0) allRows = most;
      }
      read = !(most < least);
    }
    const q = read && known ? known.columns.indexOf(c) : -1;
    if (q >= 0) mass[k] = known.mass[h * known.columns.length + q];
    how[k] = !read ? SKIPPED : q >= 0 ? SUMMED : READ;
    readAny ||= how[k] === READ;
  }
  if (readAny) {
    for (let i = 0; i < T; i++) {
      if (!g.targetValid[i]) continue;
      const r = rowBase + i;
      const limit = visibleLimit(geo, i);
      for (let k = 0; k < columns.length; k++) {
        const c = columns[k];
        if (how[k] !== READ || c >= limit) continue;
        const x = c === g.firstSource ? first[r] : Number.NaN;
        mass[k] += x === x ? x : site.data[r * S + c];
      }
    }
  }
  for (let k = 0; k < columns.length; k++)
    mass[k] = how[k] !== SKIPPED && g.validTargets > 0 ? mass[k] / g.validTargets : 0;
  return mass;
}

/** How columnShares got a candidate's share: not read (it cannot pass), from the pass's sums, or read here. */
const SKIPPED = 0;
const SUMMED = 1;
const READ = 2;

/** columnShares' arrays, one pair per site, grown to the most candidates a head has. */
class ShareScratch {
  mass = new Float64Array(16);
  how = new Uint8Array(16);

  fit(n: number): this {
    if (this.mass.length < n) {
      this.mass = new Float64Array(2 * n);
      this.how = new Uint8Array(2 * n);
    }
    return this;
  }
}

/** The strip columns of every head of a site, per sample: strips[h][b]. */
export function siteStrips(site: SiteAttention, geo: SiteGeometry, scan: SiteScan): number[][][] {
  const [B, H, T, S] = geo.dims;
  const counts = new Int32Array(S);
  const scratch = new ShareScratch();
  const strips = Array.from({ length: H }, () => Array.from({ length: B }, (): number[] => []));
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    const known = knownCandidates(g);
    for (let h = 0; h < H; h++) {
      const rowBase = (b * H + h) * T;
      const candidates = stripCandidates(scan.argmax, g, counts, rowBase, rowBase + T, known);
      strips[h][b] = stripColumns(
        candidates,
        columnShares(site, geo, scan, b, h, candidates, scratch),
        g.validBefore[S],
      );
    }
  }
  return strips;
}
