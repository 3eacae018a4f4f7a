/**
 * Pattern evidence per head: the chance-corrected tallies of every positional pattern (see
 * tally.ts) plus the broad and sparse scores. It reuses the metric pass (self/previous/next
 * mass, segment mass, window masses, row argmax, entropies) and reads only a few weights per
 * row itself (the strip candidates, the induction targets). Without window masses in the scan
 * (scanSite's windowWidths = 0) the local score is null.
 *
 * Every positional tally is kept twice: on the rows as they are (`raw`), and on the rows with the
 * head's strip (sink) columns taken out and the rest renormalized (`rest`): a head that is
 * 0.45 diagonal + 0.45 [SEP] is a clean diagonal once its sink is set aside (see classify.ts).
 *
 * The pass, per site: the strips (strip.ts); the rows' templates, once per sample
 * (rowTemplates.ts); the raw view of every head from shared geometry sums plus per-head mass
 * sums (rawTallies.ts; in the WebAssembly module where the metric pass ran there, with the same
 * bits: windowTallies.ts); the sink-free view and the vertical tally of heads with a strip, row by
 * row (sinkFree.ts); the offset rings on demand.
 */

import type { SiteAttention } from "../../result/types";
import type { SiteGeometry } from "../metrics/geometry";
import type { SiteScan } from "../metrics/scan";
import type { InductionTargets } from "./induction";
import { addSampleMasses, rawOrder, rawTallies, startRawTallies } from "./rawTallies";
import { type RowTemplates, rowTemplates } from "./rowTemplates";
import { RowByRow, restWindowsModule } from "./sinkFree";
import { siteTemplates } from "./siteTemplates";
import { siteStrips } from "./strip";
import { type ArenaRoom, TALLY_BLOCKS, Tally, TallyArena, type TallySummary } from "./tally";
import type { PositionalPattern } from "./types";
import { WasmWindowTallies } from "./windowTallies";

/** The tallies of one view of the rows (raw, or without the sink columns); T = TallySummary once resampled. */
export interface PatternTallies<T extends TallySummary = Tally> {
  tallies: Record<Exclude<PositionalPattern, "local" | "vertical">, T>;
  /** windows[w − 1]: the tally of |j − pᵢ| ≤ w. */
  windows: T[];
  /** rings[d − 1]: the tally of |j − pᵢ| = d (a fixed offset; the window must beat it to be "local"). Filled by HeadEvidence.fillRings. */
  rings: T[];
}

export interface HeadEvidence<T extends TallySummary = Tally> {
  tallies: PatternTallies<T>["tallies"] & { vertical: T };
  windows: T[];
  rings: T[];
  /** The same tallies with the strip columns removed from every row. */
  rest: PatternTallies<T>;
  broad: number | null;
  sparse: number | null;
  /**
   * Fills `rings` and `rest.rings` (a second read of the head's rows, done only for heads whose
   * window could be the label: most heads never need it). Idempotent.
   */
  fillRings: () => void;
  /** The sparse score's tally on rows with ≥ SPARSE_MIN_SOURCES sources (resampled by the bootstrap)… */
  sparseTally: T;
  /** …and on all rows, for inputs too short to have enough of those (held to SPARSE_MIN_SHORT). */
  sparseShortTally: T;
  strip: number[][];
  /** Valid target rows with ≥ 2 visible sources (the rows any pattern could be seen on). */
  rows: number;
  /** Row blocks in use (the bootstrap draws from blocks 0 … blocks − 1). */
  blocks: number;
}

/** The ring tally of every head until its rings are filled: empty, never written. */
const NO_RING = new Tally(TallyArena.EMPTY, 0);

/** Tallies one head's evidence holds (emptyEvidence), for sizing its arena. */
function talliesPerHead(windows: number, hasStrip: boolean): number {
  return (hasStrip ? 2 : 1) * (5 + windows) + 3;
}

function emptyTallies(windows: number, arena: TallyArena): PatternTallies {
  const t = () => arena.tally();
  const tallies = { diagonal: t(), previous: t(), next: t(), induction: t(), block: t() };
  const list: Tally[] = [];
  for (let w = 0; w < windows; w++) list.push(t());
  return {
    tallies,
    windows: list,
    // Rings are filled for few heads (fillRings puts tallies of their own in place): empty until then.
    rings: new Array<Tally>(windows).fill(NO_RING),
  };
}

/** A head with no strip in any sample has no sink-free view to keep apart: its rest view is the raw one. */
function emptyEvidence(strip: number[][], windows: number, arena: TallyArena): HeadEvidence {
  const raw = emptyTallies(windows, arena);
  return {
    tallies: {
      diagonal: raw.tallies.diagonal,
      previous: raw.tallies.previous,
      next: raw.tallies.next,
      induction: raw.tallies.induction,
      block: raw.tallies.block,
      vertical: arena.tally(),
    },
    windows: raw.windows,
    rings: raw.rings,
    rest: hasStrip(strip) ? emptyTallies(windows, arena) : raw,
    broad: null,
    sparse: null,
    sparseTally: arena.tally(),
    sparseShortTally: arena.tally(),
    fillRings: () => {},
    rows: 0,
    blocks: 1,
    strip,
  };
}

function hasStrip(strip: number[][]): boolean {
  return strip.some((cols) => cols.length > 0);
}

/**
 * The evidence of every head of a site. With `room`, the tallies live in its buffer, reused from
 * call to call: the caller must be done with one call's evidence before the next (classifyScan).
 */
export function headEvidence(site: SiteAttention, geo: SiteGeometry, scan: SiteScan, room?: ArenaRoom): HeadEvidence[] {
  return evidencePass(site, geo, scan, room).heads;
}

/** headEvidence, with the site's induction masses it read (see siteInductionMasses), for the mixture fit. */
export function evidencePass(
  site: SiteAttention,
  geo: SiteGeometry,
  scan: SiteScan,
  room?: ArenaRoom,
): { heads: HeadEvidence[]; induction: Float64Array | null } {
  const [B, H, T] = geo.dims;
  const { rows } = scan;
  const data = site.data;
  const widths = scan.windowWidths;
  const strips = siteStrips(site, geo, scan);
  const windowTallies = geo.self ? widths : 0;
  // A reused buffer is not zeroed: the raw view and the sparse tallies are set from the shared
  // sums (startRawTallies) before any mass is added; the rest are cleared here.
  const arena = new TallyArena(
    strips.reduce((sum, st) => sum + talliesPerHead(windowTallies, hasStrip(st)), 0),
    room,
    false,
  );
  const heads = strips.map((st) => emptyEvidence(st, windowTallies, arena));
  for (const ev of heads) {
    ev.tallies.vertical.clear();
    if (ev.rest.windows !== ev.windows)
      for (const t of [...Object.values(ev.rest.tallies), ...ev.rest.windows]) t.clear();
  }
  // Contiguous row blocks across the samples: the bootstrap resamples rows (and samples) by block.
  const blocks = Math.min(TALLY_BLOCKS, B * T);
  const { templates, inductions, shared } = siteTemplates(geo, rows.sources, blocks, widths, windowTallies);
  const induction = siteInductionMasses(data, geo, inductions);
  const byRow = new RowByRow(site, geo, scan, induction);
  // A site without token ids has no induction channel: nothing reads its masses.
  const inductionMasses = induction ?? NO_MASSES;
  // The window tallies in WebAssembly unless the pass ran in JavaScript (the same sums; windowTallies.ts).
  const wasm = scan.kernel !== "js" ? WasmWindowTallies.forSite(templates, T, windowTallies) : null;
  heads.forEach((ev, h) => {
    startRawTallies(ev, shared);
    wasm?.begin(shared.raw, shared.sparse);
    let broadSum = 0;
    let broadRows = 0;
    let summed = true;
    for (let b = 0; b < B; b++) {
      const rowBase = (b * H + h) * T;
      for (let i = 0; i < T; i++) {
        if (rows.sources[b * T + i] < 2) continue;
        broadSum += rows.normalizedEntropy[rowBase + i];
        broadRows++;
      }
      if (!summed) continue;
      const tp = templates[b];
      summed = wasm
        ? wasm.add(b, scan, rowBase, inductionMasses)
        : addSampleMasses(ev, scan, tp, rowBase, inductionMasses);
    }
    if (summed && wasm) {
      Tally.setSums(rawOrder(ev), wasm.raw());
      Tally.setSums([ev.sparseTally, ev.sparseShortTally], wasm.sparse());
    }
    // A mass NaN where the geometry expects a number (or the reverse): this head's raw view row by row.
    if (!summed) for (const t of rawTallies(ev)) t.clear();
    if (!summed || hasStrip(ev.strip)) {
      const module = restWindowsModule(ev, geo, widths, !summed, wasm);
      module?.restBegin();
      for (let b = 0; b < B; b++) byRow.addSample(ev, b, h, templates[b], inductions[b], !summed, module);
      if (module) Tally.setSums(ev.rest.windows, module.rest());
    }
    ev.broad = broadRows > 0 ? broadSum / broadRows : null;
    ev.sparse = ev.sparseTally.score();
    ev.rows = broadRows;
    ev.blocks = blocks;
  });
  // The ring pass's templates, made for the first head that needs them.
  let ringTemplates: RowTemplates[] | null = null;
  /** The second read, for one head: ring masses aᵢ,ₚ₋d + aᵢ,ₚ₊d, in both views (see fillRings). */
  const ringPass = (h: number) => {
    const ev = heads[h];
    const views = ev.rest.rings === ev.rings ? [ev.rings] : [ev.rings, ev.rest.rings];
    const room = new TallyArena(views.length * widths);
    for (const rings of views) rings.forEach((_, w) => (rings[w] = room.tally()));
    ringTemplates ??= geo.samples.map((_, b) => rowTemplates(geo, b, rows.sources, blocks, widths, null, true));
    // In the module when its tables are still this site's (the rings are filled later, on demand).
    const module = wasm?.current() ? wasm.sinkFree : null;
    module?.ringBegin();
    for (let b = 0; b < B; b++) byRow.ringSample(ev, b, h, ringTemplates[b], module);
    if (module) {
      Tally.setSums(ev.rings, module.rings(0));
      if (views.length > 1) Tally.setSums(ev.rest.rings, module.rings(1));
    }
  };
  heads.forEach((ev, h) => {
    let filled = !geo.self || widths === 0;
    ev.fillRings = () => {
      if (!filled) ringPass(h);
      filled = true;
    };
  });
  return { heads, induction };
}

/** The induction masses of a site whose samples have no token ids (no induction channel reads them). */
const NO_MASSES = new Float64Array(0);

/**
 * Every head's mass on each row's induction targets, [B, H, T] like the row metrics (rows i of
 * sample b with targets and a valid target; the other rows 0), or null when no sample has token
 * ids. The one read of those weights: the evidence's induction tally (raw view, and row by row
 * in sinkFree.ts) and the mixture fit's induction template take these sums (targets in order,
 * float64 from 0).
 */
function siteInductionMasses(
  data: Float32Array,
  geo: SiteGeometry,
  inductions: (InductionTargets | null)[],
): Float64Array | null {
  if (inductions.every((t) => t === null)) return null;
  const [B, H, T, S] = geo.dims;
  const out = new Float64Array(B * H * T);
  for (let b = 0; b < B; b++) {
    const induction = inductions[b];
    if (!induction || induction.at.length === 0) continue;
    const { start, at } = induction;
    const valid = geo.samples[b].targetValid;
    for (let h = 0; h < H; h++) {
      const rowBase = (b * H + h) * T;
      for (let i = 0; i < T; i++) {
        const p = i + geo.offset;
        if (!valid[i] || start[p + 1] === start[p]) continue;
        const base = (rowBase + i) * S;
        let m = 0;
        for (let q = start[p]; q < start[p + 1]; q++) m += data[base + at[q]];
        out[rowBase + i] = m;
      }
    }
  }
  return out;
}
