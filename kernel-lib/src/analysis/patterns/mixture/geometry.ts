/**
 * The mixture fit's geometry-only tables (see fitMixture.ts): what every head of a site shares.
 * Per sample, the segment and window sizes; per row, the positional templates' sets, sizes and
 * centred Gram entries; and those entries summed per row class and block.
 */
import type { SiteGeometry } from "../../metrics/geometry";
import type { SiteScan } from "../../metrics/scan";
import type { InductionTargets } from "../induction";
import type { MixtureTemplate } from "./fitMixture";

/** Template codes (the row loop compares numbers, not strings); the sink is always the last template. */
export const TEMPLATE_CODE: Record<MixtureTemplate, number> = {
  diagonal: 0,
  previous: 1,
  next: 2,
  induction: 3,
  local: 4,
  block: 5,
  sink: 6,
};

/**
 * Head-independent counts of one sample, per row i: the segment's size, and per width w the
 * window's size and its overlap with the segment (valid visible sources). Computed once per site.
 */
export interface SampleCounts {
  block: Int32Array;
  /** [i · (W + 1) + w] */
  window: Int32Array;
  windowBlock: Int32Array;
}

/** The head-independent counts of sample b (see SampleCounts). */
export function sampleCounts(geo: SiteGeometry, W: number, b: number): SampleCounts {
  const [, , T, S] = geo.dims;
  const g = geo.samples[b];
  const block = new Int32Array(T);
  const window = new Int32Array(T * (W + 1));
  const windowBlock = new Int32Array(T * (W + 1));
  if (!geo.self) return { block, window, windowBlock };
  const valid = g.sourceValid;
  const seg = g.sourceSegment;
  // Segment sizes come from the chunks (valid runs of one segment), as in the metric pass.
  for (let i = 0; i < T; i++) {
    const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
    const p = i + geo.offset;
    const own = g.targetSegment && seg ? g.targetSegment[i] : -1;
    if (own >= 0) {
      for (let c = 0; c < g.chunkValid.length; c++) {
        if (!g.chunkValid[c] || g.chunkSegment[c] !== own) continue;
        block[i] += Math.max(0, Math.min(g.breaks[c + 1], limit) - g.breaks[c]);
      }
    }
    let size = p < limit ? valid[p] : 0;
    let both = p < limit && own >= 0 && seg !== null && seg[p] === own ? valid[p] : 0;
    for (let w = 1; w <= W; w++) {
      const lo = p - w;
      const hi = p + w;
      if (lo >= 0 && lo < limit) {
        size += valid[lo];
        if (own >= 0 && seg !== null && seg[lo] === own) both += valid[lo];
      }
      if (hi < limit) {
        size += valid[hi];
        if (own >= 0 && seg !== null && seg[hi] === own) both += valid[hi];
      }
      window[i * (W + 1) + w] = size;
      windowBlock[i * (W + 1) + w] = both;
    }
  }
  return { block, window, windowBlock };
}

/**
 * The positional templates' part of every row, which depends on the geometry only (shared by all
 * heads fitted with the same templates): per row (b·T + i), which templates are defined (a bit
 * mask), their sizes |Sₖ|, and the centred Gram entries |Sₖ ∩ Sₗ|/(|Sₖ||Sₗ|) − 1/nᵢ (P × P).
 */
export interface PositionalRows {
  mask: Int32Array;
  size: Float64Array;
  gram: Float64Array;
  /** Rows each template is informative on (0 < |Sₖ| < nᵢ). */
  informative: Float64Array;
}

/** The positional rows of these templates and window width w (see PositionalRows). */
export function positionalRows(
  geo: SiteGeometry,
  scan: SiteScan,
  induction: (InductionTargets | null)[],
  counts: SampleCounts[],
  templates: MixtureTemplate[],
  w: number,
): PositionalRows {
  const [B, , T, S] = geo.dims;
  const W = scan.windowWidths;
  const P = templates.length;
  const codes = templates.map((t) => TEMPLATE_CODE[t]);
  const out: PositionalRows = {
    mask: new Int32Array(B * T),
    size: new Float64Array(B * T * P),
    gram: new Float64Array(B * T * P * P),
    informative: new Float64Array(P),
  };
  const size = new Float64Array(P);
  const at = new Int32Array(P);
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    const valid = g.sourceValid;
    const seg = g.sourceSegment;
    const targets = induction[b];
    const count = counts[b];
    for (let i = 0; i < T; i++) {
      const n = scan.rows.sources[b * T + i];
      if (n < 2) continue;
      const t = b * T + i;
      const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
      const p = i + geo.offset;
      const own = g.targetSegment ? g.targetSegment[i] : -1;
      const from = targets ? targets.start[p] : 0;
      const to = targets ? targets.start[p + 1] : 0;
      /** Whether valid visible source x is in template l's set. */
      const contains = (l: number, x: number): boolean => {
        const c = codes[l];
        if (c <= 2) return x === at[l];
        if (c === 4) return Math.abs(x - p) <= w;
        if (c === 5) return seg !== null && seg[x] === own;
        for (let q = from; q < to; q++) if (targets?.at[q] === x) return true;
        return false;
      };
      let mask = 0;
      for (let k = 0; k < P; k++) {
        const c = codes[k];
        size[k] = 0;
        if (c <= 2) {
          at[k] = p - (c === 1 ? 1 : 0) + (c === 2 ? 1 : 0);
          if (at[k] >= 0 && at[k] < limit && valid[at[k]]) size[k] = 1;
        } else if (c === 3) size[k] = to - from;
        else if (c === 4) size[k] = count.window[i * (W + 1) + w];
        else if (own >= 0 && seg) size[k] = count.block[i];
        if (size[k] > 0) mask |= 1 << k;
        if (size[k] > 0 && size[k] < n) out.informative[k]++;
        out.size[t * P + k] = size[k];
      }
      out.mask[t] = mask;
      for (let k = 0; k < P; k++) {
        if (size[k] === 0) continue;
        for (let l = k; l < P; l++) {
          if (size[l] === 0) continue;
          let both = 0;
          if (l === k) both = size[k];
          else if (codes[k] <= 2) both = contains(l, at[k]) ? 1 : 0;
          else if (codes[l] <= 2) both = contains(k, at[l]) ? 1 : 0;
          else if (codes[k] === 3 || codes[l] === 3) {
            const other = codes[k] === 3 ? l : k;
            for (let q = from; q < to; q++) if (targets && contains(other, targets.at[q])) both++;
          } else both = count.windowBlock[i * (W + 1) + w]; // the window and the segment
          const v = both / (size[k] * size[l]) - 1 / n;
          out.gram[(t * P + k) * P + l] = v;
          out.gram[(t * P + l) * P + k] = v;
        }
      }
    }
  }
  return out;
}

/**
 * The positional Gram sums per row class and block (nb × P × P each), for heads whose sink is
 * visible from the same row of each sample on (`firstSinkRow`, T: never): those sums depend on
 * the geometry only, so heads sharing them (every head with a [CLS]/[SEP] or start-token strip)
 * add them once instead of row by row.
 */
export function positionalClasses(
  geo: SiteGeometry,
  sources: Int32Array,
  nb: number,
  pos: PositionalRows,
  P: number,
  sink: number,
  firstSinkRow: number[],
): Map<number, Float64Array> {
  const [B, , T] = geo.dims;
  const PP = P * P;
  const out = new Map<number, Float64Array>();
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T; i++) {
      if (sources[b * T + i] < 2) continue;
      const t = b * T + i;
      const mask = pos.mask[t] | (sink >= 0 && i >= firstSinkRow[b] ? 1 << sink : 0);
      let sums = out.get(mask);
      if (!sums) {
        sums = new Float64Array(nb * PP);
        out.set(mask, sums);
      }
      const at = Math.floor((t * nb) / (B * T)) * PP;
      for (let x = 0; x < PP; x++) sums[at + x] += pos.gram[t * PP + x];
    }
  }
  return out;
}
