/**
 * Corpus payload v1 (`kind: "corpus"`, read by @attnlens/widgets' corpus overview): the per-head
 * distributions of a corpus summary, the heads clustered over the corpus, and the inputs where
 * each head is most and least typical (bounded: `perHead` per head and side, texts cut at
 * `maxChars`). Values are rounded to 6 significant digits.
 */
import type { CorpusClusters, CorpusExamples, CorpusInput, CorpusPayload, CorpusSite } from "@attnlens/widgets";
import { clusterCorpusHeads, defaultClusterCount } from "../../analysis/metrics/corpusClusters";
import type { CorpusSummaryTable } from "../corpus/summaryJson";
import type { CorpusInputRow, TypicalInputs } from "../corpus/typical";

/** Options of the corpus payload: title, clusters, and the bounds on the typical / atypical inputs embedded. */
export interface CorpusPayloadOptions {
  title?: string;
  /** Clusters to cut the head dendrogram into (default about √(heads/2), 2–8); false: no clustering. */
  clusters?: number | false;
  /** Inputs kept per head as most and as least typical (default 3). */
  perHead?: number;
  /** Longest text embedded per input, in characters (default 400; longer ones end with "…"). */
  maxChars?: number;
  notes?: string[];
  /**
   * Budget for the embedded inputs, in bytes of JSON (default CORPUS_MAX_BYTES, 2 MiB: a notebook
   * output above ~3 MB is dropped by Jupyter). Over it, fewer inputs per head are kept, with a note.
   */
  maxBytes?: number;
}

/** Default K of the typical / atypical lists. */
export const CORPUS_PER_HEAD = 3;
export const CORPUS_MAX_CHARS = 400;
/** Default budget of the embedded inputs (bytes of JSON). */
export const CORPUS_MAX_BYTES = 2 * 1024 * 1024;

const round = (x: number | null) => (x === null ? null : Number(x.toPrecision(6)));

function clustersOf(
  summary: CorpusSummaryTable,
  k: number | undefined,
): { clusters: CorpusClusters; cluster: number[][] } {
  const refs = summary.sites.flatMap((s, row) =>
    Array.from({ length: s.heads }, (_, head) => [row, head] as [number, number]),
  );
  const features = refs.map(([row, head]) =>
    summary.metrics.map((m) => {
      const s = summary.sites[row].stats[m]?.[head];
      return s ? [s.mean, ...s.q] : null;
    }),
  );
  const found = clusterCorpusHeads(features, k ?? defaultClusterCount(refs.length));
  const cluster = summary.sites.map((s) => new Array<number>(s.heads).fill(0));
  refs.forEach(([row, head], i) => {
    cluster[row][head] = found.cluster[i];
  });
  return {
    clusters: {
      method: `UPGMA on each head's mean and 5/25/50/75/95 % quantiles of ${summary.metrics.length} metrics (z-scored across heads), cut into ${found.k}`,
      k: found.k,
      order: found.order.map((i) => refs[i]),
    },
    cluster,
  };
}

/**
 * Builds the payload. `rows` (optional) are the chosen inputs' rows — what `TypicalInputs.chosen()`
 * names — and `typical` the lists it kept; without them the payload has no examples.
 */
export function encodeCorpusPayload(
  summary: CorpusSummaryTable,
  options: CorpusPayloadOptions = {},
  examples?: { typical: TypicalInputs; rows: Map<number, CorpusInputRow> },
): CorpusPayload {
  const maxChars = options.maxChars ?? CORPUS_MAX_CHARS;
  const sites = summary.sites.map((s) => ({ ...s }));
  let clusters: CorpusClusters | undefined;
  const heads = sites.reduce((a, s) => a + s.heads, 0);
  if (options.clusters !== false && heads >= 2) {
    const found = clustersOf(summary, options.clusters === undefined ? undefined : options.clusters);
    clusters = found.clusters;
    sites.forEach((s, row) => {
      s.cluster = found.cluster[row];
    });
  }
  let ex: CorpusExamples | undefined;
  const notes = [...(options.notes ?? [])];
  if (examples) {
    const perHead = options.perHead ?? CORPUS_PER_HEAD;
    const budget = options.maxBytes ?? CORPUS_MAX_BYTES;
    // Until the examples fit the budget: the values of the typicality metrics only, then fewer
    // inputs per head (the lists are sorted: their first inputs are kept).
    const all = summary.metrics;
    const typicality = examples.typical.metrics;
    search: for (let k = perHead; k >= 1; k--)
      for (const metrics of all.length > typicality.length ? [all, typicality] : [all]) {
        const candidate = examplesOf(sites, examples, k, maxChars, metrics);
        if (JSON.stringify(candidate).length > budget) continue;
        ex = candidate;
        if (k < perHead)
          notes.push(`typical inputs per head cut from ${perHead} to ${k} to stay under ${budget} bytes (maxBytes)`);
        if (metrics !== all)
          notes.push(
            `embedded inputs carry the values of ${metrics.join(", ")} only, to stay under ${budget} bytes (maxBytes)`,
          );
        break search;
      }
    if (!ex) notes.push(`typical inputs left out: even one per head is over ${budget} bytes (maxBytes)`);
  }
  const out: CorpusPayload = {
    v: 1,
    kind: "corpus",
    ...(options.title ? { title: options.title } : {}),
    ...(summary.model ? { model: summary.model } : {}),
    ...(summary.data ? { data: summary.data } : {}),
    ...(summary.engine ? { engine: summary.engine } : {}),
    inputs: summary.inputs,
    skipped: summary.skipped,
    ...(summary.truncated !== undefined ? { truncated: summary.truncated } : {}),
    metrics: summary.metrics,
    sites,
    ...(clusters ? { clusters } : {}),
    ...(ex ? { examples: ex } : {}),
    ...(notes.length ? { notes } : {}),
  };
  return out;
}

/** The examples with the first `k` inputs of each head's lists and their values of `metrics`. */
function examplesOf(
  sites: CorpusSite[],
  examples: { typical: TypicalInputs; rows: Map<number, CorpusInputRow> },
  k: number,
  maxChars: number,
  metrics: readonly string[],
): CorpusExamples {
  const lists = [...examples.typical.result()].map(
    ([siteId, heads]) =>
      [siteId, heads.map((h) => ({ typical: h.typical.slice(0, k), atypical: h.atypical.slice(0, k) }))] as const,
  );
  const chosen = new Set(
    lists.flatMap(([, heads]) => heads.flatMap((h) => [...h.typical, ...h.atypical].map(([i]) => i))),
  );
  const ids = [...examples.rows.keys()].filter((id) => chosen.has(id)).sort((a, b) => a - b);
  const index = new Map(ids.map((id, i) => [id, i]));
  const inputs: CorpusInput[] = ids.map((id) => {
    const row = examples.rows.get(id) as CorpusInputRow;
    const values: CorpusInput["values"] = {};
    for (const site of sites) {
      const perMetric = Object.hasOwn(row.values, site.id) ? row.values[site.id] : undefined;
      if (!perMetric) continue;
      const kept: Record<string, (number | null)[]> = {};
      for (const m of metrics) {
        const list = Object.hasOwn(perMetric, m) ? perMetric[m] : undefined;
        if (list && list.length === site.heads) kept[m] = list.map(round);
      }
      values[site.id] = kept;
    }
    const text = row.text.length > maxChars ? `${row.text.slice(0, maxChars)}…` : row.text;
    return { input: id, text, values };
  });
  const heads: CorpusExamples["heads"] = {};
  for (const [siteId, perHead] of lists) {
    const pick = (side: [number, number][]) =>
      side
        .filter(([i]) => index.has(i))
        .map(([i, score]) => [index.get(i) as number, round(score) as number] as [number, number]);
    heads[siteId] = perHead.map((h) => ({ typical: pick(h.typical), atypical: pick(h.atypical) }));
  }
  return {
    method: `mean over ${examples.typical.metrics.join(", ")} of the squared z-score against the head's corpus mean and std (0 = the head's average input)`,
    metrics: examples.typical.metrics,
    perHead: k,
    maxChars,
    inputs,
    heads,
  };
}
