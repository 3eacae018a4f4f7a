/**
 * The tallies of the rows as they are (the raw view), for every head of a site. Of the six sums a
 * row adds to a tally (tally.ts), three — Σ chance, Σ (1 − chance), rows — depend on the row's
 * geometry only: they are summed once per site (`SharedSums`) and added to each head's blocks in
 * one step; per head and row only the mass terms are summed (Tally.addMasses), pattern by
 * pattern over a sample's rows. Sums run in the same order, row by row within each block, as
 * adding the rows one by one: the totals are the same to the bit.
 */

import type { SiteScan } from "../metrics/scan";
import type { RowMetrics } from "../metrics/types";
import type { HeadEvidence } from "./evidence";
import type { Channel, RowTemplates } from "./rowTemplates";
import { SHARED_FIELDS, TALLY_BLOCKS, Tally, TallyArena } from "./tally";

/** A tally of the raw view and the channel that feeds it (windows: one per width). */
type Feed = "sparse" | "sparseShort" | "diagonal" | "previous" | "next" | "block" | "induction";

const FEEDS: Feed[] = ["sparse", "sparseShort", "diagonal", "previous", "next", "block", "induction"];

function tallyOf(ev: HeadEvidence, feed: Feed): Tally {
  if (feed === "sparse") return ev.sparseTally;
  if (feed === "sparseShort") return ev.sparseShortTally;
  return ev.tallies[feed];
}

/** Per feed (and per window width), Σ chance, Σ (1 − chance) and rows per block over the site's rows. */
export interface SharedSums {
  feeds: Map<Feed, Float64Array>;
  windows: Float64Array[];
  /**
   * The same sums as tallies would hold them after addShared from zero (TallyArena's layout,
   * masses 0): the raw view's diagonal, previous, next, induction, block and window tallies in
   * that order, and the sparse and short sparse tallies. A head's tallies start as a copy.
   */
  raw: Float64Array;
  sparse: Float64Array;
}

/** The raw view's tallies in SharedSums.raw's order. */
export function rawOrder(ev: HeadEvidence): Tally[] {
  const t = ev.tallies;
  return [t.diagonal, t.previous, t.next, t.induction, t.block, ...ev.windows];
}

function addShared(sums: Float64Array, c: Channel, at: number, blk: number): void {
  if (c.use[at] !== 1) return;
  const k = blk * SHARED_FIELDS;
  const chance = c.chance[at];
  sums[k] += chance;
  sums[k + 1] += 1 - chance;
  sums[k + 2]++;
}

/** The geometry-only sums of the site's samples (their templates, in sample order). */
export function sharedSums(templates: RowTemplates[], T: number, widths: number): SharedSums {
  const table = () => new Float64Array(TALLY_BLOCKS * SHARED_FIELDS);
  const feeds = new Map<Feed, Float64Array>();
  const windows = Array.from({ length: widths }, table);
  for (const tp of templates) {
    for (const feed of FEEDS) {
      const c = tp[feed];
      if (!c) continue;
      let sums = feeds.get(feed);
      if (!sums) feeds.set(feed, (sums = table()));
      for (let i = 0; i < T; i++) addShared(sums, c, i, tp.blockOf[i]);
    }
    for (let i = 0; i < T; i++) {
      for (let w = 0; w < widths; w++) addShared(windows[w], tp.windows, i * widths + w, tp.blockOf[i]);
    }
  }
  const SIZE = TallyArena.SIZE;
  const raw = new Float64Array((5 + widths) * SIZE);
  const sparse = new Float64Array(2 * SIZE);
  const order: Feed[] = ["diagonal", "previous", "next", "induction", "block"];
  order.forEach((feed, k) => {
    const sums = feeds.get(feed);
    if (sums) Tally.sharedInto(sums, raw, k * SIZE);
  });
  windows.forEach((sums, w) => Tally.sharedInto(sums, raw, (5 + w) * SIZE));
  (["sparse", "sparseShort"] as Feed[]).forEach((feed, k) => {
    const sums = feeds.get(feed);
    if (sums) Tally.sharedInto(sums, sparse, k * SIZE);
  });
  return { feeds, windows, raw, sparse };
}

/** The mass of each row of one pattern, a per-row array of the site ([B, H, T]). */
function massesOf(feed: Feed, rows: RowMetrics, induction: Float64Array): Float32Array | Float64Array {
  if (feed === "sparse" || feed === "sparseShort") return rows.confidence;
  if (feed === "diagonal") return rows.self;
  if (feed === "induction") return induction;
  return feed === "block" ? rows.segment : rows[feed];
}

/**
 * Adds head h's rows of sample b to its raw tallies (the mass terms; see addShared for the
 * rest). `induction` holds every row's induction mass, [B, H, T] like the row metrics. False when a mass is
 * NaN where the templates expect a number or the reverse (see Tally.addMasses). `windows` false:
 * the caller sums the window tallies itself (windowTallies.ts).
 */
export function addSampleMasses(
  ev: HeadEvidence,
  scan: SiteScan,
  tp: RowTemplates,
  rowBase: number,
  induction: Float64Array,
  windows = true,
): boolean {
  for (const feed of FEEDS) {
    const c = tp[feed];
    if (!c) continue;
    const masses = massesOf(feed, scan.rows, induction);
    if (!tallyOf(ev, feed).addMasses(masses, rowBase, 1, c.chance, c.log, 0, 1, c.runs[0], c.nanRows[0])) return false;
  }
  if (!windows) return true;
  const { chance, log, runs, nanRows, stride: W } = tp.windows;
  const t = ev.windows;
  for (let w = 0; w < t.length; w++) {
    if (!t[w].addMasses(scan.windows, rowBase * W + w, W, chance, log, w, W, runs[w], nanRows[w])) return false;
  }
  return true;
}

/**
 * Starts head `ev`'s raw tallies from the geometry-only sums (before its masses are added: the
 * fields are apart, and 0 + x = x, so this is addShared's result).
 */
export function startRawTallies(ev: HeadEvidence, shared: SharedSums): void {
  Tally.setSums(rawOrder(ev), shared.raw);
  Tally.setSums([ev.sparseTally, ev.sparseShortTally], shared.sparse);
}

/** Every raw tally of a head, to empty them before its rows are added one by one instead. */
export function rawTallies(ev: HeadEvidence): Tally[] {
  return [...FEEDS.map((f) => tallyOf(ev, f)), ...ev.windows];
}
