/**
 * Chance-corrected mass. A pattern names, for each row i, a set of sources; m = the mass the row
 * puts there, u = the share of the row's nᵢ visible sources that set covers (what uniform
 * attention would put there). The score over rows is
 *   Σᵢ (mᵢ − uᵢ) / Σᵢ (1 − uᵢ),  clamped to [0, 1]
 * so uniform attention scores 0, the exact pattern 1, and (1 − ε)·pattern + ε·uniform scores
 * 1 − ε. Rows with uᵢ = 1 (the set covers every visible source) or uᵢ = 0 (it covers none) say
 * nothing and are skipped. Below 0 is an anti-pattern (the head avoids the set), reported as is;
 * only the upper end is clamped (to 1).
 */
import { PATTERN_SMOOTHING } from "./thresholds";

/** ln ε: the template's log-likelihood term for mass off its sources (shared with the module's callers). */
export const LOG_SMOOTHING = Math.log(PATTERN_SMOOTHING);

/**
 * ln((1 − ε)/u + ε): the log-likelihood ratio of the pattern's template on a row whose mass is all
 * on the pattern's sources. It depends on the row's geometry only, so callers compute it once per
 * row and share it across heads (see evidence.ts).
 */
export function templateLog(chance: number): number {
  return Math.log((1 - PATTERN_SMOOTHING) / chance + PATTERN_SMOOTHING);
}

/** Row blocks a tally keeps apart for the bootstrap (see uncertainty.ts). */
export const TALLY_BLOCKS = 16;
// A module-local copy: the compiled module reads exported constants through `exports` in hot loops.
const BLOCKS = TALLY_BLOCKS;

const GAIN = 0;
const ROOM = 1;
const CHANCE = 2;
const ROWS = 3;
const LLR = 4;
const MASS = 5;
const FIELDS = 6;
/** Fields per block of a Tally.addShared table: Σ chance, Σ (1 − chance), rows. */
export const SHARED_FIELDS = 3;

/** What the classifier reads from a tally: the totals over its rows. */
export class TallySummary {
  gain = 0;
  room = 0;
  chanceSum = 0;
  rows = 0;
  llr = 0;
  massSum = 0;

  /** Brings the totals up to date (a Tally sums its blocks lazily). */
  protected sync(): void {}

  /** The score in (−∞, 1] (negative: an anti-pattern), or null when no row was informative. */
  score(): number | null {
    this.sync();
    if (this.rows === 0 || this.room <= 0) return null;
    return Math.min(1, this.gain / this.room);
  }

  /** Mean mass mᵢ on the pattern's sources. */
  mass(): number {
    this.sync();
    return this.rows > 0 ? this.massSum / this.rows : 0;
  }

  /**
   * Mean log-likelihood ratio (nats per row) of the row under the pattern's template — (1 − ε)
   * spread over the pattern's sources plus ε over all — against uniform attention:
   *   mᵢ·ln((1 − ε)/uᵢ + ε) + (1 − mᵢ)·ln ε.
   * It rewards both explaining the mass and being specific, so it picks the best of several
   * patterns that explain a head (a wide window also "explains" an induction head whose repeat
   * period fits inside it; a segment also "explains" most of a narrow window's mass).
   */
  logLikelihoodRatio(): number {
    this.sync();
    return this.rows > 0 ? this.llr / this.rows : Number.NEGATIVE_INFINITY;
  }

  /** Rows that told something (0 < uᵢ < 1). */
  count(): number {
    this.sync();
    return this.rows;
  }

  /** Mean uᵢ: how much of the row the pattern covers. */
  chance(): number {
    this.sync();
    return this.rows > 0 ? this.chanceSum / this.rows : 1;
  }
}

/** What any bootstrap resample of a tally can give (Tally.blockRange): the lowest and highest of each summary. */
export interface BlockRange {
  /** The most rows a resample can hold. */
  maxRows: number;
  /** gain / room (the score before its clamp at 1). */
  scoreLo: number;
  scoreHi: number;
  /** Σ llr / rows (when asked). */
  llrLo: number;
  llrHi: number;
  /** Σ mass / rows (when asked). */
  massLo: number;
  massHi: number;
}

/** A buffer passed from one TallyArena to the next (see its constructor). */
export interface ArenaRoom {
  buffer: Float64Array | null;
  /**
   * The Tally objects handed out from the buffer, kept for the next arena in the room: a site's
   * evidence holds thousands of them, and making them anew each call was a quarter of
   * analyzeResult's garbage.
   */
  tallies?: Tally[];
}

/** Room for the per-block sums of many tallies in one buffer (one allocation per site, not per tally). */
export class TallyArena {
  /** Float64 slots one tally takes. */
  static readonly SIZE = TALLY_BLOCKS * FIELDS;
  readonly buffer: Float64Array;
  private next = 0;
  private readonly end: number;
  /** The room's Tally objects (reused in order), when the arena is in a room. */
  private readonly kept: Tally[] | null = null;

  /**
   * Room for `tallies` tallies; with `room`, in its buffer (grown when too small) instead of a new
   * one: for a caller that reads one site's tallies before it makes the next site's. A reused
   * buffer is zeroed unless `zero` is false (the caller then sets or clears every tally itself).
   */
  constructor(tallies: number, room?: ArenaRoom, zero = true) {
    this.end = tallies * TALLY_BLOCKS * FIELDS;
    if (!room) this.buffer = new Float64Array(this.end);
    else {
      if (!room.buffer || room.buffer.length < this.end) room.buffer = new Float64Array(this.end);
      else if (zero) room.buffer.fill(0, 0, this.end);
      this.buffer = room.buffer;
      room.tallies ??= [];
      this.kept = room.tallies;
    }
  }

  /** An all-zero block, for tallies that are never written (they read as empty). */
  static readonly EMPTY = new Float64Array(TALLY_BLOCKS * FIELDS);

  /** A tally whose sums live in this arena (a plain one when the arena is full). */
  tally(): Tally {
    if (this.next + TALLY_BLOCKS * FIELDS > this.end) return new Tally();
    const at = this.next;
    this.next += TALLY_BLOCKS * FIELDS;
    if (!this.kept) return new Tally(this.buffer, at);
    const k = at / (TALLY_BLOCKS * FIELDS);
    const t = this.kept[k];
    if (t) t.place(this.buffer, at);
    else this.kept[k] = new Tally(this.buffer, at);
    return this.kept[k];
  }
}

/** Rows added one by one, kept per block so the bootstrap can redraw them (resampled). */
export class Tally extends TallySummary {
  /** Per block: gain, room, Σ chance, rows, Σ llr, Σ mass (from `at` on, in a buffer that may be shared). */
  private sums: Float64Array;
  private at: number;
  private dirty = false;
  /** A caller's mark on the tally (frozen.ts's FrozenSet: whether the bootstrap keeps it). */
  mark = 0;

  constructor(buffer?: Float64Array, at = 0) {
    super();
    this.sums = buffer ?? new Float64Array(TALLY_BLOCKS * FIELDS);
    this.at = buffer ? at : 0;
  }

  protected override sync(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const s = this.sums;
    let gain = 0;
    let room = 0;
    let chanceSum = 0;
    let rows = 0;
    let llr = 0;
    let massSum = 0;
    for (let o = this.at, end = this.at + BLOCKS * FIELDS; o < end; o += FIELDS) {
      gain += s[o + GAIN];
      room += s[o + ROOM];
      chanceSum += s[o + CHANCE];
      rows += s[o + ROWS];
      llr += s[o + LLR];
      massSum += s[o + MASS];
    }
    this.gain = gain;
    this.room = room;
    this.chanceSum = chanceSum;
    this.rows = rows;
    this.llr = llr;
    this.massSum = massSum;
  }

  /**
   * One row: its mass on the pattern's sources, their share u of the row, templateLog(u) when
   * known, and the row's block (rows are grouped into TALLY_BLOCKS contiguous blocks for the bootstrap).
   */
  add(mass: number, chance: number, template = templateLog(chance), block = 0): void {
    if (!(chance < 1 && chance > 0) || mass !== mass) return;
    const m = Math.min(1, Math.max(0, mass));
    const llr = m * template + (1 - m) * LOG_SMOOTHING;
    const o = this.at + block * FIELDS;
    const s = this.sums;
    s[o + GAIN] += mass - chance;
    s[o + ROOM] += 1 - chance;
    s[o + CHANCE] += chance;
    s[o + ROWS]++;
    s[o + LLR] += llr;
    s[o + MASS] += mass;
    this.dirty = true;
  }

  /**
   * Row `i`'s windows in one call: tallies[w] gets the row's mass masses[massAt + w] on count
   * counts[at + w] of its n sources, template log logs[at + w]. The same sums as add() one by
   * one (the local window's 16 widths make this the evidence pass's hottest loop).
   */
  static addRow(
    tallies: Tally[],
    masses: Float32Array | Float64Array,
    massAt: number,
    counts: Float64Array,
    logs: Float64Array,
    at: number,
    n: number,
    block: number,
  ): void {
    for (let w = 0; w < tallies.length; w++) {
      const mass = masses[massAt + w];
      const chance = counts[at + w] / n;
      if (!(chance < 1 && chance > 0) || mass !== mass) continue;
      const t = tallies[w];
      const m = Math.min(1, Math.max(0, mass));
      const llr = m * logs[at + w] + (1 - m) * LOG_SMOOTHING;
      const o = t.at + block * FIELDS;
      const s = t.sums;
      s[o + GAIN] += mass - chance;
      s[o + ROOM] += 1 - chance;
      s[o + CHANCE] += chance;
      s[o + ROWS]++;
      s[o + LLR] += llr;
      s[o + MASS] += mass;
      t.dirty = true;
    }
  }

  /** Puts the tally at `at` in `buffer` (a TallyArena reusing it); its totals are read anew. */
  place(buffer: Float64Array, at: number): void {
    this.sums = buffer;
    this.at = at;
    this.dirty = true;
  }

  /** Empties the tally (every block). */
  clear(): void {
    this.sums.fill(0, this.at, this.at + BLOCKS * FIELDS);
    this.dirty = true;
  }

  /**
   * The per-row fields that depend on the row's geometry only — Σ chance, Σ (1 − chance), rows —
   * added for every block at once: `shared` holds them per block (SHARED_FIELDS each), summed row
   * by row as add() sums them (see rawTallies.ts).
   */
  addShared(shared: Float64Array): void {
    const s = this.sums;
    for (let b = 0, o = this.at, k = 0; b < BLOCKS; b++, o += FIELDS, k += SHARED_FIELDS) {
      s[o + CHANCE] += shared[k];
      s[o + ROOM] += shared[k + 1];
      s[o + ROWS] += shared[k + 2];
    }
    this.dirty = true;
  }

  /**
   * The rest of add() for one sample's rows: gain, Σ llr and Σ mass of the rows in `runs`
   * (block, first row, end row triples), row i's mass at masses[massAt + i·massStride], its chance
   * and template log at chance/logs[geoAt + i·geoStride]. Each block's sums are carried in locals
   * over its run, in row order: the same sums as add() row by row. False (the tally is then
   * incomplete) where a mass is NaN on a row taken (the sums turn NaN) or a number on a row of
   * `nanRows` (where the geometry expects no weight): the caller then adds that head's rows one
   * by one instead.
   */
  addMasses(
    masses: Float32Array | Float64Array,
    massAt: number,
    massStride: number,
    chance: Float64Array,
    logs: Float64Array,
    geoAt: number,
    geoStride: number,
    runs: Int32Array,
    nanRows: Int32Array,
  ): boolean {
    for (let q = 0; q < nanRows.length; q++) {
      const mass = masses[massAt + nanRows[q] * massStride];
      if (mass === mass) return false;
    }
    const s = this.sums;
    this.dirty = true;
    for (let q = 0; q < runs.length; q += 3) {
      const o = this.at + runs[q] * FIELDS;
      const from = runs[q + 1];
      let gain = s[o + GAIN];
      let llr = s[o + LLR];
      let massSum = s[o + MASS];
      for (let i = from, g = geoAt + from * geoStride, k = massAt + from * massStride; i < runs[q + 2]; i++) {
        const mass = masses[k];
        const m = Math.min(1, Math.max(0, mass));
        gain += mass - chance[g];
        llr += m * logs[g] + (1 - m) * LOG_SMOOTHING;
        massSum += mass;
        g += geoStride;
        k += massStride;
      }
      if (massSum !== massSum) return false;
      s[o + GAIN] = gain;
      s[o + LLR] = llr;
      s[o + MASS] = massSum;
    }
    return true;
  }

  /**
   * Writes what addShared(shared) gives an empty tally into `out` at `at` (TallyArena's layout;
   * the mass fields are left as they are).
   */
  static sharedInto(shared: Float64Array, out: Float64Array, at: number): void {
    for (let b = 0, o = at, k = 0; b < BLOCKS; b++, o += FIELDS, k += SHARED_FIELDS) {
      out[o + CHANCE] = 0 + shared[k];
      out[o + ROOM] = 0 + shared[k + 1];
      out[o + ROWS] = 0 + shared[k + 2];
    }
  }

  /**
   * Sets the per-block sums of consecutive tallies from `from` (TallyArena's layout, SIZE
   * entries per tally): what the WebAssembly window sums hand back (windowTallies.ts).
   */
  static setSums(tallies: Tally[], from: Float64Array): void {
    if (tallies.length === 0) return;
    const first = tallies[0];
    const SIZE = TallyArena.SIZE;
    let contiguous = true;
    for (let k = 1; k < tallies.length && contiguous; k++) {
      contiguous = tallies[k].sums === first.sums && tallies[k].at === first.at + k * SIZE;
    }
    if (contiguous) first.sums.set(from.subarray(0, tallies.length * SIZE), first.at);
    else tallies.forEach((t, k) => t.sums.set(from.subarray(k * SIZE, (k + 1) * SIZE), t.at));
    for (const t of tallies) t.dirty = true;
  }

  /** Copies the totals (all blocks, once each) into `out`: a resample that draws every block once. */
  totalsInto(out: TallySummary): void {
    this.sync();
    out.gain = this.gain;
    out.room = this.room;
    out.chanceSum = this.chanceSum;
    out.rows = this.rows;
    out.llr = this.llr;
    out.massSum = this.massSum;
  }

  /**
   * The range a resample's summaries can take: a resample's totals are Σ_b k_b·x_b over Σ_b k_b·y_b
   * (k_b ≥ 0 draws of block b), a weighted mediant, so its score lies between the smallest and the
   * largest block score (likewise the mean llr and mean mass), and its rows are at most `blocks`
   * times the fullest block's. Blocks without rows are left out (they add nothing). Written into
   * `out` (the bootstrap asks this of every tally of every head); the llr and mass ranges only
   * with `withLlr`, `withMass`.
   */
  blockRange(blocks: number, out: BlockRange, withLlr: boolean, withMass: boolean): void {
    const s = this.sums;
    let fullest = 0;
    let sLo = Number.POSITIVE_INFINITY;
    let sHi = Number.NEGATIVE_INFINITY;
    let lLo = Number.POSITIVE_INFINITY;
    let lHi = Number.NEGATIVE_INFINITY;
    let mLo = Number.POSITIVE_INFINITY;
    let mHi = Number.NEGATIVE_INFINITY;
    for (let b = 0, o = this.at; b < BLOCKS; b++, o += FIELDS) {
      const rows = s[o + ROWS];
      if (rows === 0) continue;
      if (rows > fullest) fullest = rows;
      const score = s[o + GAIN] / s[o + ROOM];
      if (score < sLo) sLo = score;
      if (score > sHi) sHi = score;
      if (withLlr) {
        const llr = s[o + LLR] / rows;
        if (llr < lLo) lLo = llr;
        if (llr > lHi) lHi = llr;
      }
      if (withMass) {
        const mass = s[o + MASS] / rows;
        if (mass < mLo) mLo = mass;
        if (mass > mHi) mHi = mass;
      }
    }
    out.maxRows = blocks * fullest;
    out.scoreLo = sLo;
    out.scoreHi = sHi;
    out.llrLo = lLo;
    out.llrHi = lHi;
    out.massLo = mLo;
    out.massHi = mHi;
  }

  /** Writes into `out` the totals of the blocks drawn with these multiplicities (one bootstrap resample). */
  resampleInto(out: TallySummary, times: Float64Array): void {
    this.resampleCounts(out, times);
    this.resampleMasses(out, times);
  }

  /**
   * The part of resampleInto that count(), chance() and logLikelihoodRatio() read: rows, Σ chance,
   * Σ llr. Each total is summed block by block in the same order as ever, so splitting the
   * fields changes no bit; the bootstrap reads the masses (score, mass) of few tallies.
   */
  resampleCounts(out: TallySummary, times: Float64Array): void {
    let chanceSum = 0;
    let rows = 0;
    let llr = 0;
    if (this.count() > 0) {
      const s = this.sums;
      // No branch on k = 0: a drawn-out block adds ±0, which moves no sum (its fields are finite),
      // and a mispredicted skip cost more than the three products.
      for (let b = 0, o = this.at; b < BLOCKS; b++, o += FIELDS) {
        const k = times[b];
        chanceSum += k * s[o + CHANCE];
        rows += k * s[o + ROWS];
        llr += k * s[o + LLR];
      }
    }
    out.chanceSum = chanceSum;
    out.rows = rows;
    out.llr = llr;
  }

  /** The rest of resampleInto: gain, room, Σ mass (what score() and mass() read). */
  resampleMasses(out: TallySummary, times: Float64Array): void {
    let gain = 0;
    let room = 0;
    let massSum = 0;
    if (this.count() > 0) {
      const s = this.sums;
      // No branch on k = 0: a drawn-out block adds ±0, which moves no sum (its fields are finite),
      // and a mispredicted skip cost more than the three products.
      for (let b = 0, o = this.at; b < BLOCKS; b++, o += FIELDS) {
        const k = times[b];
        gain += k * s[o + GAIN];
        room += k * s[o + ROOM];
        massSum += k * s[o + MASS];
      }
    }
    out.gain = gain;
    out.room = room;
    out.massSum = massSum;
  }
}
