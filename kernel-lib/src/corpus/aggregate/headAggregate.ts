/**
 * Everything aggregated for one head over a corpus: one MetricAggregate per corpus metric, how often
 * each pattern label and mixture component was seen, and probe pass counts. Merges exactly.
 */
import { type CorpusMetricAggregateJson, type CorpusMetricStats, MetricAggregate } from "./metricAggregate";

/** The per-input head metrics a corpus aggregates, each with `attnlens metrics`' per-head definition. */
export const CORPUS_METRICS = [
  "entropy",
  "normalizedEntropy",
  "distance",
  "confidence",
  "self",
  "previous",
  "next",
  "first",
  "cls",
  "sep",
  "sink",
  "punctuation",
] as const;

/** One of CORPUS_METRICS. */
export type CorpusMetric = (typeof CORPUS_METRICS)[number];

/** Pass count of one probe rule over the inputs it applied to. */
export interface CorpusProbeCount {
  pass: number;
  n: number;
}

/** Label → count tables of one head. */
export interface CorpusHeadCounts {
  /** Pattern label (diagonal, previous, …, mixed) → inputs that got it. */
  patterns: Record<string, number>;
  /** Mixture component (a pattern, or "sink") → inputs whose mixture had it. */
  mixtures: Record<string, number>;
  /** Probe rule → passes and inputs it applied to. */
  probes: Record<string, CorpusProbeCount>;
}

/** One head's raw aggregates, as stored in DIR/state.json. */
export type CorpusHeadAggregateJson = { head: number } & Record<CorpusMetric, CorpusMetricAggregateJson> &
  CorpusHeadCounts;

/** One head's numbers in DIR/summary.json. */
export type CorpusHeadSummary = { head: number } & Record<CorpusMetric, CorpusMetricStats> & CorpusHeadCounts;

/** One input's value of each metric for one head; null where the input does not define it. */
export type HeadValues = Partial<Record<CorpusMetric, number | null>>;

export class HeadAggregate {
  readonly metrics = {} as Record<CorpusMetric, MetricAggregate>;
  patterns: Record<string, number> = {};
  mixtures: Record<string, number> = {};
  probes: Record<string, CorpusProbeCount> = {};

  constructor(readonly head: number) {
    for (const m of CORPUS_METRICS) this.metrics[m] = new MetricAggregate();
  }

  /** One input: its metric values, its pattern label and mixture components. */
  add(values: HeadValues, label?: string, components?: readonly string[]): void {
    for (const m of CORPUS_METRICS) {
      const v = values[m];
      if (v != null) this.metrics[m].add(v);
    }
    if (label !== undefined) count(this.patterns, label, 1);
    for (const c of components ?? []) count(this.mixtures, c, 1);
  }

  /** One probe rule's verdict on one input. */
  addProbe(rule: string, pass: boolean): void {
    const p = (this.probes[rule] ??= { pass: 0, n: 0 });
    p.n++;
    if (pass) p.pass++;
  }

  merge(o: HeadAggregate): void {
    for (const m of CORPUS_METRICS) this.metrics[m].merge(o.metrics[m]);
    for (const [k, c] of Object.entries(o.patterns)) count(this.patterns, k, c);
    for (const [k, c] of Object.entries(o.mixtures)) count(this.mixtures, k, c);
    for (const [k, p] of Object.entries(o.probes)) {
      const q = (this.probes[k] ??= { pass: 0, n: 0 });
      q.pass += p.pass;
      q.n += p.n;
    }
  }

  summary(): CorpusHeadSummary {
    const out = { head: this.head } as CorpusHeadSummary;
    for (const m of CORPUS_METRICS) out[m] = this.metrics[m].stats();
    return { ...out, ...this.counts() };
  }

  toJSON(): CorpusHeadAggregateJson {
    const out = { head: this.head } as CorpusHeadAggregateJson;
    for (const m of CORPUS_METRICS) out[m] = this.metrics[m].toJSON();
    return { ...out, ...this.counts() };
  }

  static fromJSON(j: CorpusHeadAggregateJson): HeadAggregate {
    const a = new HeadAggregate(j.head);
    for (const m of CORPUS_METRICS) if (j[m]) a.metrics[m].merge(MetricAggregate.fromJSON(j[m]));
    a.merge(
      Object.assign(new HeadAggregate(j.head), {
        patterns: j.patterns ?? {},
        mixtures: j.mixtures ?? {},
        probes: j.probes ?? {},
      }),
    );
    return a;
  }

  /** Tables with sorted keys, so the JSON does not depend on the order inputs or shards came in. */
  private counts(): CorpusHeadCounts {
    return { patterns: sorted(this.patterns), mixtures: sorted(this.mixtures), probes: sorted(this.probes) };
  }
}

function count(table: Record<string, number>, key: string, c: number): void {
  table[key] = (Object.hasOwn(table, key) ? table[key] : 0) + c;
}

function sorted<T>(table: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(table).sort()) out[k] = table[k];
  return out;
}
