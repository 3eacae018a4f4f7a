/**
 * The mergeable aggregate of one metric of one head over a corpus: count, mean and M2 by Welford's
 * update, merged with Chan et al.'s pairwise formula; min, max; a quantile sketch. Summaries
 * (std, ci95, quantiles) are read from it at the end. JSON form: docs/corpus.md.
 */
import { type CorpusSketchJson, QuantileSketch, SKETCH_ALPHA } from "./sketch";

/** One metric's raw aggregate as stored in DIR/state.json (the contract shared with the Ray engine). */
export interface CorpusMetricAggregateJson {
  n: number;
  mean: number;
  m2: number;
  /** null while n = 0. */
  min: number | null;
  max: number | null;
  sketch: CorpusSketchJson;
}

/** The quantiles every summary reports. */
export const SUMMARY_QUANTILES = ["0.05", "0.25", "0.5", "0.75", "0.95"] as const;

/**
 * One metric of one head summarized over the inputs that define it (`n` of them): mean, sample standard
 * deviation, the normal-approximation 95 % interval of the mean, range and sketch quantiles (each within
 * 0.5 % relative of an exact order statistic). Fields are null when n = 0.
 */
export interface CorpusMetricStats {
  n: number;
  mean: number | null;
  /** sqrt(M2 / (n − 1)); 0 when n < 2. */
  std: number | null;
  /** mean ± 1.96·std/√n (normal approximation). */
  ci95: [number, number] | null;
  min: number | null;
  max: number | null;
  /** Sketch quantiles by their level (the levels of SUMMARY_QUANTILES). */
  quantiles: Record<"0.05" | "0.25" | "0.5" | "0.75" | "0.95", number | null>;
}

export class MetricAggregate {
  n = 0;
  mean = 0;
  m2 = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  readonly sketch: QuantileSketch;

  constructor(alpha = SKETCH_ALPHA) {
    this.sketch = new QuantileSketch(alpha);
  }

  /** Welford's update; non-finite values are not counted. */
  add(x: number): void {
    if (!Number.isFinite(x)) return;
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.sketch.add(x);
  }

  /** Chan et al.: the moments of the union from those of the parts. */
  merge(o: MetricAggregate): void {
    if (o.n === 0) return;
    if (this.n === 0) {
      this.n = o.n;
      this.mean = o.mean;
      this.m2 = o.m2;
    } else {
      const n = this.n + o.n;
      const d = o.mean - this.mean;
      this.mean += (d * o.n) / n;
      this.m2 += o.m2 + (d * d * this.n * o.n) / n;
      this.n = n;
    }
    this.min = Math.min(this.min, o.min);
    this.max = Math.max(this.max, o.max);
    this.sketch.merge(o.sketch);
  }

  stats(): CorpusMetricStats {
    const n = this.n;
    const quantiles = Object.fromEntries(SUMMARY_QUANTILES.map((q) => [q, this.sketch.quantile(Number(q))]));
    if (n === 0) {
      return { n, mean: null, std: null, ci95: null, min: null, max: null, quantiles } as CorpusMetricStats;
    }
    const std = n < 2 ? 0 : Math.sqrt(this.m2 / (n - 1));
    const half = (1.96 * std) / Math.sqrt(n);
    return {
      n,
      mean: this.mean,
      std,
      ci95: [this.mean - half, this.mean + half],
      min: this.min,
      max: this.max,
      quantiles: quantiles as CorpusMetricStats["quantiles"],
    };
  }

  toJSON(): CorpusMetricAggregateJson {
    const some = this.n > 0;
    return {
      n: this.n,
      mean: this.mean,
      m2: this.m2,
      min: some ? this.min : null,
      max: some ? this.max : null,
      sketch: this.sketch.toJSON(),
    };
  }

  static fromJSON(j: CorpusMetricAggregateJson): MetricAggregate {
    const a = new MetricAggregate(j.sketch.alpha);
    const s = QuantileSketch.fromJSON(j.sketch);
    a.n = j.n;
    a.mean = j.mean;
    a.m2 = j.m2;
    a.min = j.min ?? Number.POSITIVE_INFINITY;
    a.max = j.max ?? Number.NEGATIVE_INFINITY;
    a.sketch.merge(s);
    return a;
  }
}
