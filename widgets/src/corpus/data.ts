/** Corpus payload → the rows each corpus chart draws (pure: unit-tested without a browser). */
import type { CorpusPayload, CorpusStats } from "./types";

/** Titles of the metrics a corpus run aggregates (units in brackets). */
export const CORPUS_METRIC_TITLES: Record<string, string> = {
  entropy: "entropy (nats)",
  normalizedEntropy: "normalized entropy",
  distance: "mean distance (tokens)",
  confidence: "confidence (max weight)",
  self: "mass on itself",
  previous: "mass on the previous token",
  next: "mass on the next token",
  first: "mass on the first token",
  cls: "mass on [CLS]",
  sep: "mass on [SEP]",
  sink: "sink mass",
  punctuation: "mass on punctuation",
};

export function metricTitle(metric: string): string {
  return CORPUS_METRIC_TITLES[metric] ?? metric;
}

/** One cell of the layers × heads grid: the head's mean of a metric and its spread. */
export interface CorpusCell {
  site: string;
  /** Index of the site in `payload.sites` (the grid's row order). */
  row: number;
  head: number;
  mean: number | null;
  std: number | null;
  /** Interquartile range q75 − q25. */
  iqr: number | null;
  n: number;
  cluster: number | null;
}

function stat(p: CorpusPayload, row: number, metric: string, head: number): CorpusStats | null {
  const list = Object.hasOwn(p.sites[row].stats, metric) ? p.sites[row].stats[metric] : undefined;
  return list?.[head] ?? null;
}

export function corpusCells(p: CorpusPayload, metric: string): CorpusCell[] {
  return p.sites.flatMap((site, row) =>
    Array.from({ length: site.heads }, (_, head) => {
      const s = stat(p, row, metric, head);
      return {
        site: site.id,
        row,
        head,
        mean: s?.mean ?? null,
        std: s?.std ?? null,
        iqr: s ? s.q[3] - s.q[1] : null,
        n: s?.n ?? 0,
        cluster: site.cluster?.[head] ?? null,
      };
    }),
  );
}

/** One head's distribution glyph: whiskers q05–q95, box q25–q75, median tick, mean dot. */
export interface CorpusBox {
  head: number;
  q05: number;
  q25: number;
  q50: number;
  q75: number;
  q95: number;
  mean: number;
  std: number;
  lo: number;
  hi: number;
  n: number;
}

export function corpusBoxes(p: CorpusPayload, row: number, metric: string): CorpusBox[] {
  const out: CorpusBox[] = [];
  for (let head = 0; head < p.sites[row].heads; head++) {
    const s = stat(p, row, metric, head);
    if (!s) continue;
    const [q05, q25, q50, q75, q95] = s.q;
    out.push({ head, q05, q25, q50, q75, q95, mean: s.mean, std: s.std, lo: s.ci95[0], hi: s.ci95[1], n: s.n });
  }
  return out;
}

/** Share of a site's inputs given each pattern label, per head. */
export interface PatternShare {
  head: number;
  pattern: string;
  count: number;
  share: number;
}

export function patternShares(p: CorpusPayload, row: number): PatternShare[] {
  const site = p.sites[row];
  return (site.patterns ?? []).flatMap((counts, head) => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    return Object.entries(counts)
      .filter(([, count]) => count > 0)
      .map(([pattern, count]) => ({ head, pattern, count, share: total > 0 ? count / total : 0 }));
  });
}

/** The heads in dendrogram order with their cluster, for the cluster strip. */
export interface ClusterLeaf {
  position: number;
  label: string;
  site: string;
  row: number;
  head: number;
  cluster: number;
}

export function clusterLeaves(p: CorpusPayload): ClusterLeaf[] {
  return (p.clusters?.order ?? []).map(([row, head], position) => ({
    position,
    label: `${p.sites[row].id} h${head}`,
    site: p.sites[row].id,
    row,
    head,
    cluster: p.sites[row].cluster?.[head] ?? 0,
  }));
}

/** One row of a head's typical / atypical list. */
export interface ExampleRow {
  /** Index into `examples.inputs`. */
  index: number;
  input: number;
  text: string;
  score: number;
  /** The input's value of `metric` for this head. */
  value: number | null;
}

export function headExamples(
  p: CorpusPayload,
  row: number,
  head: number,
  metric: string,
): { typical: ExampleRow[]; atypical: ExampleRow[] } | null {
  const ex = p.examples;
  const site = p.sites[row];
  const lists = ex && Object.hasOwn(ex.heads, site.id) ? ex.heads[site.id][head] : undefined;
  if (!ex || !lists) return null;
  const rowOf = ([index, score]: [number, number]): ExampleRow => {
    const input = ex.inputs[index];
    const perMetric = Object.hasOwn(input.values, site.id) ? input.values[site.id] : undefined;
    const value = perMetric && Object.hasOwn(perMetric, metric) ? (perMetric[metric][head] ?? null) : null;
    return { index, input: input.input, text: input.text, score, value };
  };
  return { typical: lists.typical.map(rowOf), atypical: lists.atypical.map(rowOf) };
}

/** One input's values of `metric` as grid cells (for the opened input's layers × heads view). */
export function inputCells(p: CorpusPayload, index: number, metric: string): CorpusCell[] {
  const input = p.examples?.inputs[index];
  return p.sites.flatMap((site, row) => {
    const perMetric = input && Object.hasOwn(input.values, site.id) ? input.values[site.id] : undefined;
    const list = perMetric && Object.hasOwn(perMetric, metric) ? perMetric[metric] : undefined;
    return Array.from({ length: site.heads }, (_, head) => ({
      site: site.id,
      row,
      head,
      mean: list?.[head] ?? null,
      std: null,
      iqr: null,
      n: list?.[head] == null ? 0 : 1,
      cluster: site.cluster?.[head] ?? null,
    }));
  });
}
