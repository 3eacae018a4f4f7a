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
import { GeometryCache } from "../geometryCache";
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

/** A row class plan: the classes of the rows (in first-seen order) for one set of templates and sink rows. */
interface ClassPlan {
  /** Per class: its mask and rows. */
  masks: number[];
  rows: number[];
  /** Per used row q (see MixtureGeometry.rows): its class's slot, (class · blocks + block) · K. */
  slot: Int32Array;
  /** Per class, blocks × K × K: the positional Gram sums (the sink's cells 0), laid out as RowClass.gram. */
  gram: Float64Array;
}

/** The fit's geometry-level tables (every head of every site with this geometry shares them). */
interface MixtureGeometry {
  induction: (InductionTargets | null)[];
  counts: SampleCounts[];
  blocks: number;
  /** The rows a fit uses (valid targets with ≥ 2 visible sources), in row order: b·T + i… */
  rows: Int32Array;
  /** …the row's index in head 0, (b·H)·T + i (head h adds h·T)… */
  head0: Int32Array;
  /** …its bootstrap block and 1/nᵢ. */
  block: Int32Array;
  uniform: Float64Array;
  /** Rows per block, and the positional rows and class plans made so far (by template key). */
  blockRows: Float64Array;
  positional: Map<string, PositionalRows>;
  plans: Map<string, ClassPlan>;
}

const cache = new GeometryCache<MixtureGeometry>();
let rhsRoom = new Float64Array(0);

function mixtureGeometry(geo: SiteGeometry, scan: SiteScan): MixtureGeometry {
  const [B, H, T] = geo.dims;
  const sources = scan.rows.sources;
  return cache.get(geo, sources, [scan.windowWidths], () => {
    const nb = Math.min(TALLY_BLOCKS, B * T);
    const used: number[] = [];
    for (let t = 0; t < B * T; t++) if (sources[t] >= 2) used.push(t);
    const rows = Int32Array.from(used);
    const blockRows = new Float64Array(nb);
    const block = rows.map((t) => Math.floor((t * nb) / (B * T)));
    for (const blk of block) blockRows[blk]++;
    return {
      induction: geo.samples.map((g) =>
        geo.self && g.sourceIds ? inductionTargets(g.sourceIds, g.sourceValid) : null,
      ),
      counts: geo.samples.map((_, b) => sampleCounts(geo, scan.windowWidths, b)),
      blocks: nb,
      rows,
      head0: rows.map((t) => Math.floor(t / T) * H * T + (t % T)),
      block,
      uniform: Float64Array.from(rows, (t) => 1 / sources[t]),
      blockRows,
      positional: new Map(),
      plans: new Map(),
    };
  });
}

/** The fit's per-site state: geometry-level tables shared by every head. */
export class SiteMixtures {
  private readonly tables: MixtureGeometry;
  /**
   * `induction`: each row's mass on its induction targets, [B, H, T], as the evidence pass read
   * them (evidence.ts, evidencePass), so the fit does not read the maps there again; without it
   * the fit reads them itself (the same sums).
   */
  constructor(
    private readonly site: SiteAttention,
    private readonly geo: SiteGeometry,
    private readonly scan: SiteScan,
    private readonly induction: Float64Array | null = null,
  ) {
    this.tables = mixtureGeometry(geo, scan);
  }

  /** The positional rows for these templates and window width (cached with the geometry). */
  private positionalRows(key: string, templates: MixtureTemplate[], w: number): PositionalRows {
    const { positional, induction, counts } = this.tables;
    let rows = positional.get(key);
    if (!rows) {
      rows = positionalRows(this.geo, this.scan, induction, counts, templates, w);
      positional.set(key, rows);
    }
    return rows;
  }

  /**
   * The row classes of heads whose sink is visible from the same row of each sample on
   * (`firstSinkRow`, T: never), with the positional Gram sums per class and block: they depend on
   * the geometry only, so heads sharing them (every head with a [CLS]/[SEP] or start-token strip,
   * every head without a strip) share one plan.
   */
  private plan(key: string, pos: PositionalRows, K: number, P: number, sink: number, firstSinkRow: number[]) {
    const full = `${key}|${K}|${firstSinkRow.join(",")}`;
    const { plans, rows, block, blocks: nb } = this.tables;
    let plan = plans.get(full);
    if (plan) return plan;
    const T = this.geo.dims[2];
    const shared = positionalClasses(this.geo, this.scan.rows.sources, nb, pos, P, sink, firstSinkRow);
    const index = new Map<number, number>();
    const masks: number[] = [];
    const counts: number[] = [];
    const slot = new Int32Array(rows.length);
    for (let q = 0; q < rows.length; q++) {
      const t = rows[q];
      const mask = pos.mask[t] | (sink >= 0 && t % T >= firstSinkRow[Math.floor(t / T)] ? 1 << sink : 0);
      let c = index.get(mask);
      if (c === undefined) {
        c = masks.length;
        index.set(mask, c);
        masks.push(mask);
        counts.push(0);
      }
      counts[c]++;
      slot[q] = (c * nb + block[q]) * K;
    }
    const KK = K * K;
    const gram = new Float64Array(masks.length * nb * KK);
    masks.forEach((mask, c) => {
      const sums = shared.get(mask);
      if (!sums) return;
      for (let b = 0; b < nb; b++) {
        const at = (c * nb + b) * KK;
        for (let k = 0; k < P; k++) for (let l = 0; l < P; l++) gram[at + k * K + l] = sums[(b * P + k) * P + l];
      }
    });
    plan = { masks, rows: counts, slot, gram };
    plans.set(full, plan);
    return plan;
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
      if (this.tables.induction.some((t) => t !== null && t.at.length > 0)) list.push("induction");
      if (w !== null && w >= 2 && w <= this.scan.windowWidths) list.push("local");
      if (geo.samples.some((g) => g.targetSegment !== null)) list.push("block");
    }
    if (request.strip.some((cols) => cols.length > 0)) list.push("sink");
    return list;
  }

  /**
   * Adds Σᵢ mₖ(i)/|Sₖ(i)| − 1/nᵢ of head h's rows to each class's and block's right-hand side, for
   * positional template k (code c), rows in order: the same sums, term by term, as a row loop.
   */
  private positionalRhs(
    rhs: Float64Array,
    plan: ClassPlan,
    pos: PositionalRows,
    h: number,
    k: number,
    c: number,
    P: number,
    w: number,
  ) {
    const { rows, head0, uniform, induction } = this.tables;
    const { rows: metrics, windows, windowWidths: W } = this.scan;
    const T = this.geo.dims[2];
    const S = this.geo.dims[3];
    const data = this.site.data;
    const { slot } = plan;
    const size = pos.size;
    const hT = h * T;
    if (c <= 2) {
      // One weight (diagonal, previous, next: |Sₖ| = 1, so m/|Sₖ| = m exactly), from the metric
      // pass; each slot's sum carried in a local while consecutive rows share it (same order).
      const from = c === 0 ? metrics.self : c === 1 ? metrics.previous : metrics.next;
      let at = -1;
      let sum = 0;
      for (let q = 0; q < rows.length; q++) {
        if (size[rows[q] * P + k] === 0) continue;
        const to = slot[q] + k;
        if (to !== at) {
          if (at >= 0) rhs[at] = sum;
          at = to;
          sum = rhs[at];
        }
        sum += from[head0[q] + hT] - uniform[q];
      }
      if (at >= 0) rhs[at] = sum;
    } else if (c === 5) {
      const from = metrics.segment;
      for (let q = 0; q < rows.length; q++) {
        const sk = size[rows[q] * P + k];
        if (sk !== 0) rhs[slot[q] + k] += from[head0[q] + hT] / sk - uniform[q];
      }
    } else if (c === 4) {
      for (let q = 0; q < rows.length; q++) {
        const sk = size[rows[q] * P + k];
        if (sk !== 0) rhs[slot[q] + k] += windows[(head0[q] + hT) * W + w - 1] / sk - uniform[q];
      }
    } else if (this.induction) {
      const masses = this.induction;
      for (let q = 0; q < rows.length; q++) {
        const sk = size[rows[q] * P + k];
        if (sk !== 0) rhs[slot[q] + k] += masses[head0[q] + hT] / sk - uniform[q];
      }
    } else {
      for (let q = 0; q < rows.length; q++) {
        const t = rows[q];
        const sk = size[t * P + k];
        if (sk === 0) continue;
        const targets = induction[Math.floor(t / T)] as InductionTargets;
        const p = (t % T) + this.geo.offset;
        const base = (head0[q] + hT) * S;
        let m = 0;
        for (let e = targets.start[p]; e < targets.start[p + 1]; e++) m += data[base + targets.at[e]];
        rhs[slot[q] + k] += m / sk - uniform[q];
      }
    }
  }

  /** The templates, their codes and positional key for a request (by window width and sink), made once per site. */
  private readonly sets = new Map<number, { candidates: MixtureTemplate[]; codes: number[]; key: string; P: number }>();

  private templateSet(request: MixtureRequest) {
    const sink = request.strip.some((cols) => cols.length > 0);
    const id = 2 * ((request.window ?? -1) + 1) + (sink ? 1 : 0);
    let set = this.sets.get(id);
    if (!set) {
      const candidates = this.candidates(request);
      const P = candidates[candidates.length - 1] === "sink" ? candidates.length - 1 : candidates.length;
      const key = positionalKey(candidates.slice(0, P), request.window ?? 0);
      set = { candidates, codes: candidates.map((c) => TEMPLATE_CODE[c]), key, P };
      this.sets.set(id, set);
    }
    return set;
  }

  fit(head: number, request: MixtureRequest): MixtureFit {
    const [, , T, S] = this.geo.dims;
    const { geo } = this;
    const data = this.site.data;
    const { candidates, codes, key, P } = this.templateSet(request);
    const K = candidates.length;
    const KK = K * K;
    const { blocks: nb, rows, head0, uniform } = this.tables;
    const w = request.window ?? 0;
    const sink = candidates[K - 1] === "sink" ? K - 1 : -1;
    const pos = this.positionalRows(key, candidates.slice(0, P), w);
    // The row of each sample from which the sink is visible (a causal row sees columns < i + offset + 1).
    const firstSinkRow =
      sink < 0
        ? null
        : request.strip.map((cols, b) => {
            const valid = geo.samples[b].sourceValid;
            let first = T;
            for (const c of cols) if (valid[c]) first = Math.min(first, geo.causal ? Math.max(0, c - geo.offset) : 0);
            return first;
          });
    const plan = this.plan(key, pos, K, P, sink, firstSinkRow ?? geo.samples.map(() => T));
    const C = plan.masks.length;
    // The right-hand sides live in one buffer reused from head to head (solveClasses reads them at once).
    if (rhsRoom.length < C * nb * K) rhsRoom = new Float64Array(C * nb * K);
    const rhs = rhsRoom;
    rhs.fill(0, 0, C * nb * K);
    // Without a sink the Gram sums are the geometry's (read only); a sink adds its cells per head.
    const gram = sink >= 0 ? plan.gram.slice() : plan.gram;
    for (let k = 0; k < P; k++) this.positionalRhs(rhs, plan, pos, head, k, codes[k], P, w);
    const informative = new Float64Array(K);
    informative.set(pos.informative);
    if (sink >= 0) {
      const columns = new Int32Array(8);
      for (let q = 0; q < rows.length; q++) {
        const t = rows[q];
        const b = Math.floor(t / T);
        const i = t % T;
        const g = geo.samples[b];
        const valid = g.sourceValid;
        const strip = request.strip[b] ?? [];
        const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
        const base = (head0[q] + head * T) * S;
        // The sink: the strip columns this row can see.
        let sinkSize = 0;
        let m = 0;
        for (let e = 0; e < strip.length; e++) {
          const c = strip[e];
          if (c >= limit || !valid[c]) continue;
          columns[sinkSize++] = c;
          m += data[base + c];
        }
        if (sinkSize === 0) continue;
        const n = this.scan.rows.sources[t];
        if (sinkSize < n) informative[sink]++;
        const un = uniform[q];
        const bo = plan.slot[q];
        const go = bo * K;
        rhs[bo + sink] += m / sinkSize - un;
        gram[go + sink * K + sink] += 1 / sinkSize - un;
        const p = i + geo.offset;
        const seg = g.sourceSegment;
        const own = g.targetSegment ? g.targetSegment[i] : -1;
        const induction = this.tables.induction[b];
        const from = induction ? induction.start[p] : 0;
        const to = induction ? induction.start[p + 1] : 0;
        for (let l = 0; l < P; l++) {
          const sl = pos.size[t * P + l];
          if (sl === 0) continue;
          // |strip ∩ Sₗ|: the strip's columns in template l's set on this row.
          const c = codes[l];
          let both = 0;
          for (let e = 0; e < sinkSize; e++) {
            const x = columns[e];
            let hit: boolean;
            if (c === 0) hit = x === p;
            else if (c === 1) hit = x === p - 1;
            else if (c === 2) hit = x === p + 1;
            else if (c === 4) hit = Math.abs(x - p) <= w;
            else if (c === 5) hit = seg !== null && seg[x] === own;
            else {
              hit = false;
              for (let f = from; f < to && !hit; f++) hit = (induction as InductionTargets).at[f] === x;
            }
            if (hit) both++;
          }
          const v = both / (sinkSize * sl) - un;
          gram[go + sink * K + l] += v;
          gram[go + l * K + sink] += v;
        }
      }
    }
    const classes: RowClass[] = plan.masks.map((mask, c) => ({
      mask,
      rows: plan.rows[c],
      gram,
      gramAt: c * nb * KK,
      rhs,
      rhsAt: c * nb * K,
    }));
    return solveClasses(candidates, classes, informative, request, rows.length, this.tables.blockRows);
  }
}
