/**
 * The evidence pass row by row, for what the shared sums of rawTallies.ts cannot do: the
 * sink-free view of a head with a strip (each row without its strip columns, renormalized), its
 * vertical tally, the offset rings (fillRings), and — should a mass be NaN where the geometry
 * expects a number — a head's raw view too. Each row adds to both views at once, as the pass
 * always has; the raw view only when asked.
 */
import type { SiteAttention } from "../../result/types";
import type { SiteGeometry } from "../metrics/geometry";
import type { SiteScan } from "../metrics/scan";
import type { HeadEvidence } from "./evidence";
import type { InductionTargets } from "./induction";
import type { RowTemplates } from "./rowTemplates";
import type { RestRows, SinkFreeSums } from "./sinkFreeModule";
import { Tally, templateLog } from "./tally";
import type { WasmWindowTallies } from "./windowTallies";

/** templateLog(c / d) for c = 0 … C − 1, per (d, C): the sink-free rows' template logs for the module. */
const shareLogs = new Map<number, Float64Array>();

function shareLogsOf(d: number, C: number): Float64Array {
  const key = d * 4096 + C;
  let row = shareLogs.get(key);
  if (!row) {
    if (shareLogs.size >= 8192) shareLogs.clear(); // bounded: one row per length seen
    row = new Float64Array(C);
    for (let c = 0; c < C; c++) row[c] = templateLog(c / d);
    shareLogs.set(key, row);
  }
  return row;
}

/**
 * The module to sum a head's sink-free window tallies in (rest_windows), or null for the
 * JavaScript loop: it takes self sites with windows whose head has a sink-free view of its own,
 * when the raw view is not redone row by row too.
 */
export function restWindowsModule(
  ev: HeadEvidence,
  geo: SiteGeometry,
  widths: number,
  withRaw: boolean,
  wasm: WasmWindowTallies | null,
): SinkFreeSums | null {
  return wasm !== null && !withRaw && geo.self && widths > 0 && ev.rest.windows !== ev.windows ? wasm.sinkFree : null;
}

/** The shape of a pattern's source set, for RowSink.within. */
enum SetKind {
  /** {arg} */
  At = 0,
  /** |j − p| ≤ arg */
  Window = 1,
  /** |j − p| = arg */
  Ring = 2,
  /** segment[j] = arg */
  Segment = 3,
  /** targets[arg … to) */
  Targets = 4,
}

/** The strip columns visible in one row, with their weights: what the sink-free view subtracts. */
class RowSink {
  readonly at: number[] = [];
  readonly weight: number[] = [];
  mass = 0;

  reset(): void {
    // Most rows have no strip column: skip the array length writes (a builtin call each).
    if (this.at.length > 0) {
      this.at.length = 0;
      this.weight.length = 0;
    }
    this.mass = 0;
  }

  push(c: number, w: number): void {
    this.at.push(c);
    this.weight.push(w);
    this.mass += w;
  }

  /** Whether a strip column lies exactly `d` from p (the windows' set of strip columns changes only there). */
  atDistance(p: number, d: number): boolean {
    for (let q = 0; q < this.at.length; q++) if (Math.abs(this.at[q] - p) === d) return true;
    return false;
  }

  /** Mass and count of the strip columns in a pattern's set (see SetKind), left in `inMass`, `inCount`. */
  inMass = 0;
  inCount = 0;

  within(kind: SetKind, p: number, arg: number, segment: Int32Array | null, targets: Int32Array | null, to = 0): void {
    let m = 0;
    let k = 0;
    for (let q = 0; q < this.at.length; q++) {
      const c = this.at[q];
      let hit = false;
      if (kind === SetKind.At) hit = c === arg;
      else if (kind === SetKind.Window) hit = Math.abs(c - p) <= arg;
      else if (kind === SetKind.Ring) hit = Math.abs(c - p) === arg;
      else if (kind === SetKind.Segment) hit = segment !== null && segment[c] === arg;
      else if (targets) for (let t = arg; t < to && !hit; t++) hit = targets[t] === c;
      if (hit) {
        m += this.weight[q];
        k++;
      }
    }
    this.inMass = m;
    this.inCount = k;
  }
}

/** One site's row-by-row pass: the current row's state, shared by the heads in turn. */
export class RowByRow {
  private readonly sink = new RowSink();
  // The current row (set by the loops below): sources, block, strip columns, kept mass, whether the raw view is added.
  private n = 0;
  private blk = 0;
  private k = 0;
  private keep = 1;
  private restRow = true;
  private withRaw = false;
  // templateLog of the sink-free rows' shares c / (n − k), remembered per c while n − k stays the
  // same (across rows of a bidirectional sample it does): the same value, computed once.
  private readonly restLogs: Float64Array;
  private readonly restStamp: Int32Array;
  private restDenominator = -1;
  private restGeneration = 0;
  // The n − k of one head-sample's rows, listed once each (for the module's log table).
  private readonly shareStamp: Int32Array;
  private shareGeneration = 0;

  constructor(
    private readonly site: SiteAttention,
    private readonly geo: SiteGeometry,
    private readonly scan: SiteScan,
    /** Every row's induction mass, [B, H, T] (evidence.ts, siteInductionMasses); null without token ids. */
    private readonly inductionMasses: Float64Array | null = null,
  ) {
    const S = geo.dims[3];
    this.restLogs = new Float64Array(S + 1);
    this.restStamp = new Int32Array(S + 1).fill(-1);
    this.shareStamp = new Int32Array(S + 1).fill(-1);
  }

  /**
   * The current row for the module (SinkFreeSums.restRows, ringRows: `stride` ints a row):
   * n, k, block, the strip columns' distances and weights, keep; its n − k into `shares` when the
   * row has a sink-free row to sum (shares given).
   */
  private moduleRow(out: RestRows, i: number, p: number, shares: number[] | null, stride = 3): void {
    const { n, k, sink } = this;
    out.rows[stride * i] = n;
    out.rows[stride * i + 1] = k;
    out.rows[stride * i + 2] = this.blk;
    if (k === 0) return;
    out.keep[i] = this.keep;
    for (let q = 0; q < k; q++) {
      out.dist[i * out.K + q] = Math.abs(sink.at[q] - p);
      out.weight[i * out.K + q] = sink.weight[q];
    }
    const d = n - k;
    if (shares && this.shareStamp[d] !== this.shareGeneration) {
      this.shareStamp[d] = this.shareGeneration;
      shares.push(d);
    }
  }

  private restLog(c: number, d: number, chance: number): number {
    if (d !== this.restDenominator) {
      this.restDenominator = d;
      this.restGeneration++;
    }
    if (!(c >= 0 && c < this.restLogs.length) || c !== Math.floor(c)) return templateLog(chance);
    if (this.restStamp[c] !== this.restGeneration) {
      this.restStamp[c] = this.restGeneration;
      this.restLogs[c] = templateLog(chance);
    }
    return this.restLogs[c];
  }

  /** One pattern's row in both views: raw mass, source count, template log; the sink's share of the set is in `sink`. */
  private add(raw: Tally, out: Tally, mass: number, count: number, log: number): void {
    const { n, k, sink } = this;
    if (this.withRaw) raw.add(mass, count / n, log, this.blk);
    if (!this.restRow || out === raw) return;
    if (k === 0) out.add(mass, count / n, log, this.blk);
    else {
      const chance = (count - sink.inCount) / (n - k);
      out.add((mass - sink.inMass) / this.keep, chance, this.restLog(count - sink.inCount, n - k, chance), this.blk);
    }
  }

  /** Sets the row's state: its sources, block and strip columns (those visible and valid). */
  private row(ev: HeadEvidence, b: number, i: number, base: number, limit: number, tp: RowTemplates): void {
    const g = this.geo.samples[b];
    const data = this.site.data;
    this.blk = tp.blockOf[i];
    const sink = this.sink;
    sink.reset();
    const strip = ev.strip[b];
    for (let q = 0; q < strip.length; q++) {
      const c = strip[q];
      if (c < limit && g.sourceValid[c]) sink.push(c, data[base + c]);
    }
    this.k = sink.at.length;
    this.keep = 1 - sink.mass;
    // The sink-free row: n − k sources, the rest of the mass renormalized; none when the sink takes it all.
    this.restRow = this.k === 0 || (this.n - this.k >= 2 && this.keep > 1e-6);
  }

  /**
   * Head h's rows of sample b: the sink-free view and the vertical tally, and with `withRaw` the
   * raw view as well (its sparse tallies included). With `module` (restWindowsModule), the
   * sink-free window tallies are summed there, after the rows, into its sums (the caller starts
   * and reads them: restBegin, rest); the same sums in the same order.
   */
  addSample(
    ev: HeadEvidence,
    b: number,
    h: number,
    tp: RowTemplates,
    induction: InductionTargets | null,
    withRaw: boolean,
    module: SinkFreeSums | null = null,
  ): void {
    const { geo, scan } = this;
    const [, H, T, S] = geo.dims;
    const { rows } = scan;
    const widths = scan.windowWidths;
    const g = geo.samples[b];
    const seg = g.sourceSegment;
    const sink = this.sink;
    this.withRaw = withRaw;
    const forModule = module ? module.restRows(ev.strip[b].length) : null;
    const shares: number[] = [];
    this.shareGeneration++;
    for (let i = 0; i < T; i++) {
      const n = rows.sources[b * T + i];
      this.n = n;
      if (n < 2) continue;
      const r = (b * H + h) * T + i;
      const base = r * S;
      const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
      const one = tp.sparseShort.log[i];
      if (withRaw) {
        ev.sparseShortTally.add(rows.confidence[r], 1 / n, one, tp.blockOf[i]);
        if (tp.sparse.use[i] !== 0) ev.sparseTally.add(rows.confidence[r], 1 / n, one, tp.blockOf[i]);
      }
      this.row(ev, b, i, base, limit, tp);
      const { k } = this;
      if (k > 0) ev.tallies.vertical.add(sink.mass, k / n, undefined, this.blk);
      if (!geo.self) continue;
      const p = i + geo.offset;
      const rest = ev.rest;
      if (k > 0) sink.within(SetKind.At, p, p, null, null);
      this.add(ev.tallies.diagonal, rest.tallies.diagonal, rows.self[r], 1, one);
      if (k > 0) sink.within(SetKind.At, p, p - 1, null, null);
      this.add(ev.tallies.previous, rest.tallies.previous, rows.previous[r], 1, one);
      if (k > 0) sink.within(SetKind.At, p, p + 1, null, null);
      this.add(ev.tallies.next, rest.tallies.next, rows.next[r], 1, one);
      if (tp.block && g.targetSegment && seg) {
        if (k > 0) sink.within(SetKind.Segment, p, g.targetSegment[i], seg, null);
        this.add(ev.tallies.block, rest.tallies.block, rows.segment[r], tp.block.count[i], tp.block.log[i]);
      }
      if (induction && induction.start[p + 1] > induction.start[p] && tp.induction && this.inductionMasses) {
        const from = induction.start[p];
        const to = induction.start[p + 1];
        if (k > 0) sink.within(SetKind.Targets, p, from, null, induction.at, to);
        this.add(ev.tallies.induction, rest.tallies.induction, this.inductionMasses[r], to - from, tp.induction.log[i]);
      }
      if (forModule) {
        if (this.restRow) this.moduleRow(forModule, i, p, shares);
        continue;
      }
      const win = tp.windows;
      if (k === 0 && widths > 0) {
        // No strip column in this row: both views get the row as it is.
        if (withRaw) Tally.addRow(ev.windows, scan.windows, r * widths, win.count, win.log, i * widths, n, this.blk);
        if (this.restRow && rest.windows !== ev.windows) {
          Tally.addRow(rest.windows, scan.windows, r * widths, win.count, win.log, i * widths, n, this.blk);
        }
        continue;
      }
      for (let w = 1; w <= widths; w++) {
        const t = i * widths + w - 1;
        // The window's strip columns change only where one lies exactly w away (same sums otherwise).
        if (k > 0 && (w === 1 || sink.atDistance(p, w))) sink.within(SetKind.Window, p, w, null, null);
        this.add(ev.windows[w - 1], rest.windows[w - 1], scan.windows[r * widths + w - 1], win.count[t], win.log[t]);
      }
    }
    if (module && forModule) {
      const C = 2 * widths + 2;
      module.restSample(b, scan, (b * H + h) * T, forModule, shares, (d) => shareLogsOf(d, C));
    }
  }

  /**
   * The ring masses aᵢ,ₚ₋d + aᵢ,ₚ₊d of head h's rows of sample b, in both views (see fillRings); tp
   * has rings. With `module`, the rings are summed there (ring_tallies) after the rows, into its
   * sums (the caller starts and reads them: ringBegin, rings); the same sums in the same order.
   */
  ringSample(ev: HeadEvidence, b: number, h: number, tp: RowTemplates, module: SinkFreeSums | null = null): void {
    const { geo, scan, site } = this;
    const [, H, T, S] = geo.dims;
    const data = site.data;
    const widths = scan.windowWidths;
    const g = geo.samples[b];
    const rings = tp.rings;
    if (!rings) return;
    this.withRaw = true;
    const forModule = module ? module.ringRows(ev.strip[b].length) : null;
    const shares: number[] = [];
    this.shareGeneration++;
    for (let i = 0; i < T; i++) {
      const n = scan.rows.sources[b * T + i];
      this.n = n;
      if (n < 2) continue;
      const r = (b * H + h) * T + i;
      const base = r * S;
      const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
      this.row(ev, b, i, base, limit, tp);
      const p = i + geo.offset;
      if (forModule) {
        this.moduleRow(forModule, i, p, this.restRow ? shares : null, 4);
        forModule.rows[4 * i + 3] = this.restRow ? 1 : 0;
      }
      for (let w = 1; w <= widths; w++) {
        const t = i * widths + w - 1;
        let ring = 0;
        if (p - w >= 0 && g.sourceValid[p - w]) ring += data[base + p - w];
        if (p + w < limit && g.sourceValid[p + w]) ring += data[base + p + w];
        if (forModule) {
          forModule.masses[i * widths + w - 1] = ring;
          continue;
        }
        if (this.k > 0) this.sink.within(SetKind.Ring, p, w, null, null);
        this.add(ev.rings[w - 1], ev.rest.rings[w - 1], ring, rings.count[t], rings.log[t]);
      }
    }
    if (module && forModule) {
      const C = 2 * widths + 2;
      module.ringSample(forModule, rings, ev.rest.rings !== ev.rings, shares, (d) => shareLogsOf(d, C));
    }
  }
}
