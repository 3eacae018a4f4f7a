/**
 * A DDSketch-style quantile sketch (Masson et al. 2019): values fall in logarithmic buckets of
 * relative width alpha, so any quantile is returned within relative error alpha, and two sketches
 * merge exactly by adding bucket counts (the order of merges cannot change the result).
 * The JSON form is the corpus contract's (docs/corpus.md), shared with the Ray engine.
 */

/** The relative accuracy every corpus sketch uses (docs/corpus.md). */
export const SKETCH_ALPHA = 0.005;
/** |x| at or below this counts as zero (log buckets cannot hold 0). */
export const SKETCH_ZERO = 1e-12;

/** A sketch as JSON: bucket index (as a string) → count. */
export interface CorpusSketchJson {
  alpha: number;
  zero: number;
  pos: Record<string, number>;
  neg: Record<string, number>;
}

export class QuantileSketch {
  readonly gamma: number;
  private readonly logGamma: number;
  zero = 0;
  readonly pos = new Map<number, number>();
  readonly neg = new Map<number, number>();

  constructor(readonly alpha = SKETCH_ALPHA) {
    this.gamma = (1 + alpha) / (1 - alpha);
    this.logGamma = Math.log(this.gamma);
  }

  /** i = ceil(ln|x| / ln γ): the bucket (γ^(i−1), γ^i] holds |x|. */
  index(abs: number): number {
    return Math.ceil(Math.log(abs) / this.logGamma);
  }

  /** The bucket's representative, 2γ^i/(γ+1): within alpha of every value in the bucket. */
  value(i: number): number {
    return (2 * this.gamma ** i) / (this.gamma + 1);
  }

  add(x: number, count = 1): void {
    if (x > SKETCH_ZERO) bump(this.pos, this.index(x), count);
    else if (x < -SKETCH_ZERO) bump(this.neg, this.index(-x), count);
    else this.zero += count;
  }

  merge(other: QuantileSketch): void {
    if (other.alpha !== this.alpha) throw new Error(`cannot merge sketches of alpha ${this.alpha} and ${other.alpha}`);
    this.zero += other.zero;
    for (const [i, c] of other.pos) bump(this.pos, i, c);
    for (const [i, c] of other.neg) bump(this.neg, i, c);
  }

  get count(): number {
    let n = this.zero;
    for (const c of this.pos.values()) n += c;
    for (const c of this.neg.values()) n += c;
    return n;
  }

  /**
   * Quantile q in [0, 1]: rank r = q·(n−1) (0-based); walking the buckets from the most negative to the
   * most positive, the first whose cumulative count exceeds r gives the value. null when empty.
   */
  quantile(q: number): number | null {
    const n = this.count;
    if (n === 0) return null;
    const rank = q * (n - 1);
    let seen = 0;
    for (const i of [...this.neg.keys()].sort((a, b) => b - a)) {
      seen += this.neg.get(i) as number;
      if (seen > rank) return -this.value(i);
    }
    seen += this.zero;
    if (seen > rank) return 0;
    for (const i of [...this.pos.keys()].sort((a, b) => a - b)) {
      seen += this.pos.get(i) as number;
      if (seen > rank) return this.value(i);
    }
    // Rounding of q·(n−1) never passes n−1; the largest bucket is the answer.
    return this.pos.size > 0
      ? this.value(Math.max(...this.pos.keys()))
      : this.zero > 0
        ? 0
        : -this.value(Math.min(...this.neg.keys()));
  }

  toJSON(): CorpusSketchJson {
    return { alpha: this.alpha, zero: this.zero, pos: sortedRecord(this.pos), neg: sortedRecord(this.neg) };
  }

  static fromJSON(json: CorpusSketchJson): QuantileSketch {
    const s = new QuantileSketch(json.alpha);
    s.zero = json.zero;
    for (const [k, c] of Object.entries(json.pos)) s.pos.set(Number(k), c);
    for (const [k, c] of Object.entries(json.neg)) s.neg.set(Number(k), c);
    return s;
  }
}

function bump(m: Map<number, number>, i: number, c: number): void {
  m.set(i, (m.get(i) ?? 0) + c);
}

/** Buckets in ascending index order, so equal sketches print equal JSON whatever the merge order. */
function sortedRecord(m: Map<number, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of [...m.keys()].sort((a, b) => a - b)) out[String(i)] = m.get(i) as number;
  return out;
}
