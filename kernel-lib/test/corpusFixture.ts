/**
 * A corpus run's output directory made the slow, obvious way, for the corpus-view tests: the demo
 * model tiny-agreement-bert runs on each sentence alone, `analyzeResult` gives each input's per-head
 * values (the definitions `attnlens metrics` uses), and the aggregates of summary.json are computed
 * here with plain loops from their formulas (mean, sample std, normal-approximation ci95, nearest-rank
 * quantiles), not with the engine's mergeable sketches. Writes DIR/summary.json, DIR/state.json and
 * DIR/inputs.jsonl in the format of docs/corpus.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { analyzeResult } from "../src/analysis/metrics/analyze";
import type { HeadMetrics } from "../src/analysis/metrics/types";
import { CORPUS_METRICS } from "../src/corpus/aggregate/headAggregate";
import { loadModel } from "../src/load/loadModel";

/** The names the engine aggregates; the values below are computed here, independently of it. */
export const FIXTURE_METRICS = CORPUS_METRICS;

/** Text that would run script if it ever reached innerHTML. */
export const HOSTILE_TEXT =
  '<img src=x onerror="window.__pwned=1"> the dogs <script>window.__pwned=2</script> are tired.';

/** 44 sentences in the demo model's language, then the hostile one (input 44). */
export function corpusSentences(): string[] {
  const out: string[] = [];
  const subjects = ["dog", "dogs", "cat", "cats", "animal", "animals"];
  const places = ["car", "cars", "street", "streets"];
  const states = ["hungry", "tired", "scared"];
  let i = 0;
  for (const s of subjects)
    for (const p of places) {
      const plural = s.endsWith("s");
      out.push(`The ${s} near the ${p} ${plural ? "are" : "is"} ${states[i++ % 3]}.`);
    }
  out.push(
    "The animal didn't cross the street because it was too tired.",
    "The cats near the car are hungry because they were scared.",
    "The dog didn't cross the street because it was too wide.",
  );
  while (out.length < 44) out.push(`The ${subjects[out.length % 6]} is ${states[out.length % 3]}.`);
  return [...out, HOSTILE_TEXT];
}

function headValue(h: HeadMetrics, metric: string): number | null {
  const x =
    metric in h.mass
      ? h.mass[metric as keyof HeadMetrics["mass"]]
      : (h as unknown as Record<string, number | null>)[metric];
  return h.rows > 0 && typeof x === "number" && Number.isFinite(x) ? x : null;
}

/** The naive aggregate of a list of values, in summary.json's shape (null when no value). */
export function naiveStats(values: (number | null)[]) {
  const xs = values.filter((x): x is number => x !== null);
  const n = xs.length;
  if (n === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const m2 = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  const std = n > 1 ? Math.sqrt(m2 / (n - 1)) : 0;
  const sorted = [...xs].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.round(p * (n - 1))];
  return {
    n,
    mean,
    std,
    ci95: [mean - (1.96 * std) / Math.sqrt(n), mean + (1.96 * std) / Math.sqrt(n)],
    min: sorted[0],
    max: sorted[n - 1],
    quantiles: { "0.05": q(0.05), "0.25": q(0.25), "0.5": q(0.5), "0.75": q(0.75), "0.95": q(0.95) },
    m2,
  };
}

export interface FixtureRow {
  input: number;
  text: string;
  values: Record<string, Record<string, (number | null)[]>>;
}

export interface CorpusFixture {
  dir: string;
  rows: FixtureRow[];
  /** Per site id, per head: the pattern label of each input. */
  labels: Record<string, string[][]>;
  summary: {
    version: 1;
    sites: { id: string; heads: Record<string, unknown>[] }[];
    [key: string]: unknown;
  };
}

/** Runs the demo model on every sentence and writes the corpus directory `dir`. */
export async function makeCorpusDir(dir: string, sentences = corpusSentences()): Promise<CorpusFixture> {
  const model = await loadModel("tiny-agreement-bert", { providers: ["cpu"] });
  const rows: FixtureRow[] = [];
  const labels: Record<string, string[][]> = {};
  let sites: { id: string; stack: string; kind: string; layer: number; heads: number }[] = [];
  for (const [input, text] of sentences.entries()) {
    const analysis = analyzeResult(await model.run(text));
    sites = analysis.sites.map((s) => ({ ...s.site, heads: s.heads.length }));
    const values: FixtureRow["values"] = {};
    for (const s of analysis.sites) {
      values[s.site.id] = Object.fromEntries(FIXTURE_METRICS.map((m) => [m, s.heads.map((h) => headValue(h, m))]));
      labels[s.site.id] ??= s.heads.map(() => []);
      s.patterns.forEach((p, h) => labels[s.site.id][h].push(p.label));
    }
    rows.push({ input, text, values });
  }
  const summarySites = sites.map((s) => ({
    id: s.id,
    stack: s.stack,
    kind: s.kind,
    layer: s.layer,
    heads: Array.from({ length: s.heads }, (_, head) => {
      const entry: Record<string, unknown> = { head };
      for (const m of FIXTURE_METRICS) {
        const st = naiveStats(rows.map((r) => r.values[s.id][m][head]));
        if (st) {
          const { m2: _m2, ...shown } = st;
          entry[m] = shown;
        } else entry[m] = null;
      }
      const counts: Record<string, number> = {};
      for (const label of labels[s.id][head]) counts[label] = (counts[label] ?? 0) + 1;
      entry.patterns = counts;
      return entry;
    }),
  }));
  const summary = {
    version: 1 as const,
    engine: "local",
    model: "tiny-agreement-bert",
    data: "sentences.txt",
    inputs: rows.length,
    skipped: 0,
    skippedBy: {},
    truncated: 0,
    problems: [],
    sites: summarySites,
  };
  // state.json: the raw aggregates (Welford moments; the sketch is left empty: the views never read it).
  const state = {
    consumed: rows.length,
    batches: rows.length,
    sites: sites.map((s) => ({
      id: s.id,
      heads: Array.from({ length: s.heads }, (_, head) =>
        Object.fromEntries(
          FIXTURE_METRICS.map((m) => {
            const st = naiveStats(rows.map((r) => r.values[s.id][m][head]));
            return [m, st ? { n: st.n, mean: st.mean, m2: st.m2, min: st.min, max: st.max } : null];
          }),
        ),
      ),
    })),
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "summary.json"), JSON.stringify(summary, null, 1));
  writeFileSync(path.join(dir, "state.json"), JSON.stringify(state));
  writeFileSync(path.join(dir, "inputs.jsonl"), `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
  return { dir, rows, labels, summary };
}

/**
 * The naive typicality ranking of one head: each input's mean, over `metrics`, of its squared
 * z-score against the head's mean and sample std over all inputs; returns the inputs sorted from
 * most to least typical and from least to most typical (ties: earlier input first in both).
 */
export function naiveTypicalOrder(
  fx: CorpusFixture,
  site: string,
  head: number,
  metrics: readonly string[],
): { typical: number[]; atypical: number[] } {
  const scored = fx.rows.map((r) => {
    let sum = 0;
    let used = 0;
    for (const m of metrics) {
      const xs = fx.rows.map((q) => q.values[site][m][head]).filter((x): x is number => x !== null);
      const mu = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mu) ** 2, 0) / (xs.length - 1));
      const x = r.values[site][m][head];
      if (x === null || !(sd > 0)) continue;
      sum += ((x - mu) / sd) ** 2;
      used++;
    }
    return { input: r.input, score: used > 0 ? sum / used : Number.NaN };
  });
  return {
    typical: [...scored].sort((a, b) => a.score - b.score || a.input - b.input).map((s) => s.input),
    atypical: [...scored].sort((a, b) => b.score - a.score || a.input - b.input).map((s) => s.input),
  };
}
