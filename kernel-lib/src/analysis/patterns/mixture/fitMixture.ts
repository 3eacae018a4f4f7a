/**
 * A head as a mixture of all templates at once (issue #12, "Mixtures"). Each template k names, for
 * row i, a set Sₖ(i) of visible sources and puts 1/|Sₖ(i)| on each (diagonal {pᵢ}, previous
 * {pᵢ − 1}, next {pᵢ + 1}, induction targets, the local window |j − pᵢ| ≤ w, the row's segment,
 * and the sink: the head's strip columns the row can see); the uniform template uᵢ = 1/nᵢ takes
 * the rest. (One sink template, not one per column: its weight is the strip's total mass, however
 * the head splits it between [CLS] and [SEP], and a column seen by few rows adds no parameter.) The model of row aᵢ is
 *   aᵢ ≈ uᵢ + Σₖ wₖ·(tₖ(i) − uᵢ),  wₖ ≥ 0,  Σₖ wₖ ≤ 1   (uniform weight 1 − Σₖ wₖ),
 * fitted by least squares. A template not defined on a row (no previous source, no induction
 * target, no segments, no strip column the row can see) is uniform there. Rows are grouped by
 * which templates are defined on them (row classes: an induction head's rows with and without an
 * earlier occurrence of the current token); each class is fitted on its own and the head's weight
 * of a template is the classes' weights averaged by their rows: the mean share of a row it
 * explains (solveClasses.ts).
 *
 * Least squares rather than EM because it is cheap: the templates are sparse, so the normal
 * equations come from the row statistics the metric pass already has and from the geometry,
 *   Gₖₗ = Σᵢ |Sₖ ∩ Sₗ| / (|Sₖ|·|Sₗ|) − 1/nᵢ,   bₖ = Σᵢ mₖ(i)/|Sₖ(i)| − 1/nᵢ
 * (mₖ(i) the row's mass on Sₖ(i)), a K×K problem per head (K ≤ 7) with no pass over the weights.
 * On an exact mixture a·template + s·column + ε·uniform it returns a and s exactly.
 *
 * The rows are summed in the same contiguous blocks as the bootstrap (evidence.ts); the weights'
 * standard errors are the block sandwich (solveClasses.ts), so components.ts can tell a component
 * from noise without refitting anything.
 */
import type { SiteAttention } from "../../../result/types";
import type { SiteGeometry } from "../../metrics/geometry";
import type { SiteScan } from "../../metrics/scan";
import { type InductionTargets, inductionTargets } from "../induction";
import { TALLY_BLOCKS } from "../tally";
import type { PatternLabel, PositionalPattern } from "../types";
import {
  type PositionalRows,
  positionalClasses,
  positionalRows,
  type SampleCounts,
  sampleCounts,
  TEMPLATE_CODE,
} from "./geometry";
import { type RowClass, solveClasses } from "./solveClasses";

/** A fitted template: a positional pattern, or "sink": uniform over the strip columns the row can see. */
export type MixtureTemplate = Exclude<PositionalPattern, "vertical"> | "sink";

/** One head's mixture fit. */
export interface MixtureFit {
  /** The templates fitted: those seen on enough rows (see fitMixture). */
  templates: MixtureTemplate[];
  /** Each template's weight, ≥ 0, summing to at most 1. */
  weights: number[];
  /** Each weight's block-sandwich standard error (0 for weights at 0). */
  errors: number[];
  /** 1 − Σ weights: the uniform template's weight. */
  uniform: number;
  /** Width w of the local template, null when none was fitted. */
  window: number | null;
  /** Rows the fit used (valid targets with ≥ 2 visible sources). */
  rows: number;
  /** Row blocks with rows: the standard errors have blocks − 1 degrees of freedom. */
  blocks: number;
}

/** What the fit of one head takes from its label (classify.ts). */
export interface MixtureRequest {
  /** Strip (sink) columns per sample, ascending (HeadEvidence.strip). */
  strip: number[][];
  /** Width of the local window to fit, or null for none (classify.ts passes the label's window when it beats chance). */
  window: number | null;
  label: PatternLabel;
  /** A template is fitted only when seen on this many informative rows (minimumRows). */
  minRows: number;
}

function positionalKey(templates: MixtureTemplate[], w: number): string {
  return `${templates.join(",")}|${w}`;
}

/** The fit's per-site state: geometry-level tables shared by every head. */
export class SiteMixtures {
  private readonly induction: (InductionTargets | null)[];
  private readonly blocks: number;
  private readonly counts: SampleCounts[];
  constructor(
    private readonly site: SiteAttention,
    private readonly geo: SiteGeometry,
    private readonly scan: SiteScan,
  ) {
    const [B, , T] = geo.dims;
    this.induction = geo.samples.map((g) =>
      geo.self && g.sourceIds ? inductionTargets(g.sourceIds, g.sourceValid) : null,
    );
    this.blocks = Math.min(TALLY_BLOCKS, B * T);
    this.counts = geo.samples.map((_, b) => sampleCounts(geo, scan.windowWidths, b));
  }

  /** The positional rows for these templates and window width (cached per site). */
  private positionalRows(templates: MixtureTemplate[], w: number): PositionalRows {
    const key = positionalKey(templates, w);
    let rows = this.positional.get(key);
    if (!rows) {
      rows = positionalRows(this.geo, this.scan, this.induction, this.counts, templates, w);
      this.positional.set(key, rows);
    }
    return rows;
  }

  /**
   * The positional Gram sums per row class and block, for heads whose sink is visible from the
   * same row of each sample on (`firstSinkRow`, T: never): they depend on the geometry only, so
   * heads sharing them (every head with a [CLS]/[SEP] or start-token strip) add them once.
   */
  private positionalClasses(key: string, pos: PositionalRows, P: number, sink: number, firstSinkRow: number[]) {
    const full = `${key}|${firstSinkRow.join(",")}`;
    let sums = this.classSums.get(full);
    if (!sums) {
      sums = positionalClasses(this.geo, this.scan.rows.sources, this.blocks, pos, P, sink, firstSinkRow);
      this.classSums.set(full, sums);
    }
    return sums;
  }

  /**
   * The templates a head is fitted with: every positional template the site can measure, the
   * requested local window when it is at least 2 wide (a width-1 window is spanned by diagonal,
   * previous and next, which are fitted instead), and the sink when the head has strip columns.
   */
  private candidates(request: MixtureRequest): MixtureTemplate[] {
    const geo = this.geo;
    const list: MixtureTemplate[] = [];
    const w = request.window;
    if (geo.self) {
      list.push("diagonal", "previous");
      if (!geo.causal) list.push("next");
      if (this.induction.some((t) => t !== null && t.at.length > 0)) list.push("induction");
      if (w !== null && w >= 2 && w <= this.scan.windowWidths) list.push("local");
      if (geo.samples.some((g) => g.targetSegment !== null)) list.push("block");
    }
    if (request.strip.some((cols) => cols.length > 0)) list.push("sink");
    return list;
  }

  private readonly positional = new Map<string, PositionalRows>();
  private readonly classSums = new Map<string, Map<number, Float64Array>>();

  fit(head: number, request: MixtureRequest): MixtureFit {
    const [B, H, T, S] = this.geo.dims;
    const { geo, scan } = this;
    const { rows } = scan;
    const data = this.site.data;
    const candidates = this.candidates(request);
    const K = candidates.length;
    const KK = K * K;
    const nb = this.blocks;
    const W = scan.windowWidths;
    const w = request.window ?? 0;
    const sink = candidates[K - 1] === "sink" ? K - 1 : -1;
    const P = sink >= 0 ? K - 1 : K;
    const codes = Int8Array.from(candidates, (c) => TEMPLATE_CODE[c]);
    const pos = this.positionalRows(candidates.slice(0, P), w);
    // The row of each sample from which the sink is visible (a causal row sees columns < i + offset + 1).
    const firstSinkRow = request.strip.map((cols, b) => {
      const valid = geo.samples[b].sourceValid;
      let first = T;
      for (const c of cols) if (valid[c]) first = Math.min(first, geo.causal ? Math.max(0, c - geo.offset) : 0);
      return first;
    });
    const positional = this.positionalClasses(positionalKey(candidates.slice(0, P), w), pos, P, sink, firstSinkRow);
    // Sums per row class (which templates are defined on the row: a bit mask), per block.
    const classes = new Map<number, RowClass>();
    const blockRows = new Float64Array(nb);
    const informative = new Float64Array(K);
    informative.set(pos.informative);
    const mass = new Float64Array(K);
    const columns = new Int32Array(8);
    let used = 0;
    let last: RowClass | null = null;
    for (let b = 0; b < B; b++) {
      const g = geo.samples[b];
      const valid = g.sourceValid;
      const seg = g.sourceSegment;
      const induction = this.induction[b];
      const strip = request.strip[b] ?? [];
      for (let i = 0; i < T; i++) {
        const n = rows.sources[b * T + i];
        if (n < 2) continue;
        used++;
        const t = b * T + i;
        const r = (b * H + head) * T + i;
        const base = r * S;
        const blk = Math.floor((t * nb) / (B * T));
        blockRows[blk]++;
        const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
        const p = i + geo.offset;
        const own = g.targetSegment ? g.targetSegment[i] : -1;
        const from = induction ? induction.start[p] : 0;
        const to = induction ? induction.start[p + 1] : 0;
        let mask = pos.mask[t];
        const sizeAt = t * P;
        // The head's masses on its positional templates (where defined).
        for (let k = 0; k < P; k++) {
          if (pos.size[sizeAt + k] === 0) continue;
          const c = codes[k];
          if (c === 0) mass[k] = rows.self[r];
          else if (c === 1) mass[k] = rows.previous[r];
          else if (c === 2) mass[k] = rows.next[r];
          else if (c === 3) {
            let m = 0;
            for (let q = from; q < to; q++) m += data[base + (induction as InductionTargets).at[q]];
            mass[k] = m;
          } else if (c === 4) mass[k] = scan.windows[r * W + w - 1];
          else mass[k] = rows.segment[r];
        }
        // The sink: the strip columns this row can see.
        let sinkSize = 0;
        if (sink >= 0) {
          let m = 0;
          for (let q = 0; q < strip.length; q++) {
            const c = strip[q];
            if (c >= limit || !valid[c]) continue;
            columns[sinkSize++] = c;
            m += data[base + c];
          }
          mass[sink] = m;
          if (sinkSize > 0) {
            mask |= 1 << sink;
            if (sinkSize < n) informative[sink]++;
          }
        }
        let sums: RowClass | undefined = last !== null && last.mask === mask ? last : classes.get(mask);
        if (!sums) {
          sums = { mask, rows: 0, gram: new Float64Array(nb * KK), rhs: new Float64Array(nb * K) };
          // The geometry's part of this class's Gram sums, added once (positionalClasses).
          const shared = positional.get(mask);
          if (shared) {
            for (let blkAt = 0; blkAt < nb; blkAt++) {
              for (let k = 0; k < P; k++) {
                for (let l = 0; l < P; l++) sums.gram[blkAt * KK + k * K + l] = shared[(blkAt * P + k) * P + l];
              }
            }
          }
          classes.set(mask, sums);
        }
        last = sums;
        sums.rows++;
        const { gram, rhs } = sums;
        const go = blk * KK;
        const bo = blk * K;
        const un = 1 / n;
        for (let k = 0; k < P; k++) {
          const sk = pos.size[sizeAt + k];
          if (sk !== 0) rhs[bo + k] += mass[k] / sk - un;
        }
        if (sinkSize === 0) continue;
        rhs[bo + sink] += mass[sink] / sinkSize - un;
        gram[go + sink * K + sink] += 1 / sinkSize - un;
        for (let l = 0; l < P; l++) {
          const sl = pos.size[sizeAt + l];
          if (sl === 0) continue;
          // |strip ∩ Sₗ|: the strip's columns in template l's set on this row.
          const c = codes[l];
          let both = 0;
          for (let q = 0; q < sinkSize; q++) {
            const x = columns[q];
            let hit: boolean;
            if (c === 0) hit = x === p;
            else if (c === 1) hit = x === p - 1;
            else if (c === 2) hit = x === p + 1;
            else if (c === 4) hit = Math.abs(x - p) <= w;
            else if (c === 5) hit = seg !== null && seg[x] === own;
            else {
              hit = false;
              for (let e = from; e < to && !hit; e++) hit = (induction as InductionTargets).at[e] === x;
            }
            if (hit) both++;
          }
          const v = both / (sinkSize * sl) - un;
          gram[go + sink * K + l] += v;
          gram[go + l * K + sink] += v;
        }
      }
    }
    return solveClasses(candidates, [...classes.values()], informative, request, used, blockRows);
  }
}
