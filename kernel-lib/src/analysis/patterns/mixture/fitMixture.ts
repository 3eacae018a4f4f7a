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

/** How a template's set is given on a row: one cell, the window, the segment, or a list (targets, strip columns). */
const CELL = 0;
const LIST = 1;
const WINDOW = 2;
const BLOCK = 3;

/** The fit's per-site state: geometry-level tables shared by every head. */
export class SiteMixtures {
  private readonly induction: (InductionTargets | null)[];
  private readonly blocks: number;

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

  fit(head: number, request: MixtureRequest): MixtureFit {
    const [B, H, T, S] = this.geo.dims;
    const { geo, scan } = this;
    const { rows } = scan;
    const data = this.site.data;
    const candidates = this.candidates(request);
    const K = candidates.length;
    const KK = K * K;
    const nb = this.blocks;
    // Sums per row class (which templates are defined on the row: a bit mask), per block.
    const classes = new Map<number, RowClass>();
    const blockRows = new Float64Array(nb);
    const informative = new Float64Array(K);
    const w = request.window ?? 0;
    const W = scan.windowWidths;
    // Per row: each template's set (kind; the cell, or the list's members in `members`), size and mass (size 0: not defined).
    const kind = new Int8Array(K);
    const at = new Int32Array(K);
    const size = new Float64Array(K);
    const mass = new Float64Array(K);
    const members: number[][] = candidates.map(() => []);
    candidates.forEach((c, k) => {
      kind[k] = c === "local" ? WINDOW : c === "block" ? BLOCK : c === "induction" || c === "sink" ? LIST : CELL;
    });
    let used = 0;
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
        const r = (b * H + head) * T + i;
        const base = r * S;
        const blk = Math.floor(((b * T + i) * nb) / (B * T));
        blockRows[blk]++;
        const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
        const p = i + geo.offset;
        const own = g.targetSegment ? g.targetSegment[i] : -1;
        const cell = (k: number, x: number, m: number) => {
          if (!Number.isFinite(m)) return;
          at[k] = x;
          size[k] = 1;
          mass[k] = m;
        };
        const list = (k: number, xs: number[]) => {
          let m = 0;
          for (const x of xs) m += data[base + x];
          size[k] = xs.length;
          mass[k] = m;
        };
        for (let k = 0; k < K; k++) {
          size[k] = 0;
          switch (candidates[k]) {
            case "diagonal":
              cell(k, p, rows.self[r]);
              break;
            case "previous":
              cell(k, p - 1, rows.previous[r]);
              break;
            case "next":
              cell(k, p + 1, rows.next[r]);
              break;
            case "sink": {
              const cols = members[k];
              cols.length = 0;
              for (const c of strip) if (c < limit && valid[c]) cols.push(c);
              list(k, cols);
              break;
            }
            case "induction": {
              const targets = members[k];
              targets.length = 0;
              if (induction)
                for (let q = induction.start[p]; q < induction.start[p + 1]; q++) targets.push(induction.at[q]);
              list(k, targets);
              break;
            }
            case "local": {
              let count = 0;
              for (let j = Math.max(0, p - w); j <= Math.min(limit - 1, p + w); j++) count += valid[j];
              size[k] = count;
              mass[k] = scan.windows[r * W + w - 1];
              break;
            }
            case "block":
              if (own >= 0 && seg && Number.isFinite(rows.segment[r])) {
                let count = 0;
                for (let j = 0; j < limit; j++) if (valid[j] && seg[j] === own) count++;
                size[k] = count;
                mass[k] = rows.segment[r];
              }
              break;
          }
        }
        /** Whether source x (valid, visible) is in template l's set on this row. */
        const contains = (l: number, x: number): boolean => {
          if (kind[l] === CELL) return x === at[l];
          if (kind[l] === WINDOW) return Math.abs(x - p) <= w;
          if (kind[l] === BLOCK) return seg !== null && seg[x] === own;
          return members[l].includes(x);
        };
        /** |Sₖ ∩ Sₗ| on this row (both defined): count the smaller explicit set's members in the other. */
        const overlap = (k: number, l: number): number => {
          if (kind[k] > kind[l]) return overlap(l, k);
          if (k === l) return size[k];
          if (kind[k] === CELL) return contains(l, at[k]) ? 1 : 0;
          if (kind[k] === LIST) {
            let count = 0;
            for (const x of members[k]) if (contains(l, x)) count++;
            return count;
          }
          // The window and the segment.
          let count = 0;
          for (let j = Math.max(0, p - w); j <= Math.min(limit - 1, p + w); j++) {
            if (valid[j] && seg !== null && seg[j] === own) count++;
          }
          return count;
        };
        let mask = 0;
        for (let k = 0; k < K; k++) if (size[k] > 0) mask |= 1 << k;
        let sums = classes.get(mask);
        if (!sums) {
          sums = { mask, rows: 0, gram: new Float64Array(nb * KK), rhs: new Float64Array(nb * K) };
          classes.set(mask, sums);
        }
        sums.rows++;
        const { gram, rhs } = sums;
        const go = blk * KK;
        const bo = blk * K;
        for (let k = 0; k < K; k++) {
          if (size[k] === 0) continue;
          if (size[k] < n) informative[k]++;
          rhs[bo + k] += mass[k] / size[k] - 1 / n;
          for (let l = k; l < K; l++) {
            if (size[l] === 0) continue;
            const v = overlap(k, l) / (size[k] * size[l]) - 1 / n;
            gram[go + k * K + l] += v;
            if (l !== k) gram[go + l * K + k] += v;
          }
        }
      }
    }
    return solveClasses(candidates, [...classes.values()], informative, request, used, blockRows);
  }
}
