/**
 * A head as a mixture of all templates at once (issue #12, "Mixtures"). Each template k names, for
 * row i, a set Sₖ(i) of visible sources and puts 1/|Sₖ(i)| on each (diagonal {pᵢ}, previous
 * {pᵢ − 1}, next {pᵢ + 1}, induction targets, the local window |j − pᵢ| ≤ w, the row's segment,
 * and the sink: the head's strip columns the row can see); the uniform template uᵢ = 1/nᵢ takes
 * the rest. (One sink template, not one per column: its weight is the strip's total mass, however
 * the head splits it between [CLS] and [SEP], and a column seen by few rows adds no parameter.) The model of row aᵢ is
 *   aᵢ ≈ uᵢ + Σₖ wₖ·(tₖ(i) − uᵢ),  wₖ ≥ 0,  Σₖ wₖ ≤ 1   (uniform weight 1 − Σₖ wₖ),
 * fitted by least squares over all valid rows with nᵢ ≥ 2 at once (one w per head). A template
 * not defined on a row (no previous source, no induction target, no segments, a strip column the
 * row cannot see) is uniform there: its centred column is 0 on that row.
 *
 * Least squares rather than EM because it is cheap: the templates are sparse, so the normal
 * equations come from the row statistics the metric pass already has and from the geometry,
 *   Gₖₗ = Σᵢ |Sₖ ∩ Sₗ| / (|Sₖ|·|Sₗ|) − 1/nᵢ,   bₖ = Σᵢ mₖ(i)/|Sₖ(i)| − 1/nᵢ
 * (mₖ(i) the row's mass on Sₖ(i)), a K×K problem per head (K ≤ 7) with no pass over the weights.
 * On an exact mixture a·template + s·column + ε·uniform it returns a and s exactly.
 *
 * The rows are summed in the same contiguous blocks as the bootstrap (evidence.ts); the weights'
 * standard errors are the block sandwich G⁻¹·(Σ_B g_B g_Bᵀ)·G⁻¹·nb/(nb − 1), g_B = b_B − G_B·w, so
 * components.ts can tell a component from noise without refitting anything.
 */
import type { SiteAttention } from "../../../result/types";
import type { SiteGeometry } from "../../metrics/geometry";
import type { SiteScan } from "../../metrics/scan";
import { type InductionTargets, inductionTargets } from "../induction";
import { TALLY_BLOCKS } from "../tally";
import type { PatternLabel, PositionalPattern } from "../types";
import { simplexLeastSquares, solveInPlace } from "./simplexLeastSquares";

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
    const gram = new Float64Array(nb * KK);
    const rhs = new Float64Array(nb * K);
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
    return solveFit(candidates, gram, rhs, informative, request, used, blockRows);
  }
}

/** Solves the summed normal equations on the templates seen on enough rows, then the standard errors. */
function solveFit(
  candidates: MixtureTemplate[],
  gram: Float64Array,
  rhs: Float64Array,
  informative: Float64Array,
  request: MixtureRequest,
  used: number,
  blockRows: Float64Array,
): MixtureFit {
  const nb = blockRows.length;
  const K = candidates.length;
  const keep: number[] = [];
  const G = new Float64Array(K * K);
  const b = new Float64Array(K);
  for (let B = 0; B < nb; B++) {
    for (let x = 0; x < K * K; x++) G[x] += gram[B * K * K + x];
    for (let k = 0; k < K; k++) b[k] += rhs[B * K + k];
  }
  for (let k = 0; k < K; k++) if (informative[k] >= request.minRows && G[k * K + k] > 0) keep.push(k);
  const n = keep.length;
  // The solver's variables: the kept templates, then the uniform template (zero row and column).
  const N = n + 1;
  const Gs = new Float64Array(N * N);
  const bs = new Float64Array(N);
  keep.forEach((k, r) => {
    keep.forEach((l, c) => {
      Gs[r * N + c] = G[k * K + l];
    });
    bs[r] = b[k];
  });
  const solved = simplexLeastSquares(Gs, bs, N, n);
  const weights = keep.map((_, r) => solved[r]);
  const errors = sandwich(keep, weights, gram, rhs, G, K, blockRows);
  const templates = keep.map((k) => candidates[k]);
  return {
    templates,
    weights,
    errors: weights.map((_, r) => errors.of(r)),
    uniform: Math.max(0, 1 - weights.reduce((s, x) => s + x, 0)),
    window: templates.includes("local") ? request.window : null,
    rows: used,
    blocks: blockRows.reduce((n, r) => n + (r > 0 ? 1 : 0), 0),
  };
}

/**
 * Block-sandwich standard errors of the free (non-zero) weights: for weight r,
 * √(vᵀ M v) with v = G_FF⁻¹·e_r and M = Σ_B g_B g_Bᵀ·nb/(nb − 1), g_B = b_B − G_B·w over F.
 * Weights at 0 (on the boundary) get 0.
 */
function sandwich(
  keep: number[],
  weights: number[],
  gram: Float64Array,
  rhs: Float64Array,
  G: Float64Array,
  K: number,
  blockRows: Float64Array,
) {
  const free = keep.map((k, r) => ({ k, r })).filter((x) => weights[x.r] > 0);
  const F = free.length;
  const scores: Float64Array[] = [];
  for (let B = 0; B < blockRows.length; B++) {
    if (blockRows[B] === 0) continue;
    const g = new Float64Array(F);
    free.forEach(({ k }, a) => {
      let s = rhs[B * K + k];
      keep.forEach((l, c) => {
        s -= gram[B * K * K + k * K + l] * weights[c];
      });
      g[a] = s;
    });
    scores.push(g);
  }
  const blocksUsed = scores.length;
  const factor = blocksUsed > 1 ? blocksUsed / (blocksUsed - 1) : 1;
  return {
    /** The standard error of weight r (0 at the boundary). */
    of(r: number): number {
      const e = new Float64Array(F);
      const a = free.findIndex((x) => x.r === r);
      if (a < 0) return 0;
      e[a] = 1;
      const A = new Float64Array(F * F);
      free.forEach(({ k }, a) => {
        free.forEach(({ k: l }, c) => {
          A[a * F + c] = G[k * K + l];
        });
      });
      if (!solveInPlace(A, e, F)) return Number.POSITIVE_INFINITY;
      let q = 0;
      for (const g of scores) {
        let d = 0;
        for (let a = 0; a < F; a++) d += g[a] * e[a];
        q += d * d;
      }
      return Math.sqrt(q * factor);
    },
  };
}
