/**
 * Reading a corpus run's DIR/summary.json (written by the local and the Ray engine; the format is in
 * docs/corpus.md) into the corpus payload's site table. The file may come from anyone: every field
 * is checked, and what is wrong is named with its place in the file.
 */
import type { CorpusPayload, CorpusSite, CorpusStats } from "@attnlens/widgets";
import type { CorpusMetric } from "../../corpus/aggregate/headAggregate";
import { AttnlensError } from "../../errors";

/** The engine's per-head metrics (CORPUS_METRICS), in the order the views list them. */
const METRIC_ORDER: readonly CorpusMetric[] = [
  "entropy",
  "normalizedEntropy",
  "distance",
  "confidence",
  "sink",
  "cls",
  "sep",
  "first",
  "self",
  "previous",
  "next",
  "punctuation",
];

const QUANTILES = ["0.05", "0.25", "0.5", "0.75", "0.95"] as const;

/** summary.json as the views need it: the corpus payload's run fields and site table (metrics in METRIC_ORDER). */
export type CorpusSummaryTable = Pick<
  CorpusPayload,
  "model" | "data" | "engine" | "inputs" | "skipped" | "truncated" | "metrics" | "sites"
>;

function bad(file: string, where: string, what: string): never {
  throw new AttnlensError(
    "BAD_INPUT",
    `${file}: ${where} ${what}; it is not a corpus summary (attnlens corpus writes one)`,
  );
}

const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const isCount = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;

function readStats(file: string, where: string, raw: unknown): CorpusStats | null {
  if (raw === null || raw === undefined) return null;
  const s = raw as Record<string, unknown>;
  if (typeof s !== "object") bad(file, where, "is not an object");
  if (s.n === 0 || s.mean === null) return null;
  if (!isCount(s.n)) bad(file, where, "has no count n");
  for (const k of ["mean", "std", "min", "max"]) if (!isNum(s[k])) bad(file, `${where}.${k}`, "is not a number");
  const ci = s.ci95 as unknown[];
  if (!Array.isArray(ci) || ci.length !== 2 || !ci.every(isNum)) bad(file, `${where}.ci95`, "is not [lo, hi]");
  const q = (s.quantiles ?? {}) as Record<string, unknown>;
  const values = QUANTILES.map((k) => (Object.hasOwn(q, k) ? q[k] : undefined));
  if (!values.every(isNum)) bad(file, `${where}.quantiles`, `needs ${QUANTILES.join(", ")}`);
  return {
    n: s.n,
    mean: s.mean as number,
    std: s.std as number,
    ci95: [ci[0] as number, ci[1] as number],
    min: s.min as number,
    max: s.max as number,
    q: values as CorpusStats["q"],
  };
}

/** Checks and converts the parsed summary.json; `file` names it in errors. */
export function readCorpusSummary(json: unknown, file = "summary.json"): CorpusSummaryTable {
  const j = json as Record<string, unknown>;
  if (!j || typeof j !== "object" || Array.isArray(j)) bad(file, "the file", "is not a JSON object");
  if (j.version !== 1) bad(file, "version", `is ${JSON.stringify(j.version)}, this attnlens reads version 1`);
  if (!isCount(j.inputs) || !isCount(j.skipped)) bad(file, "inputs / skipped", "are not counts");
  if (!Array.isArray(j.sites) || j.sites.length === 0) bad(file, "sites", "is not a non-empty list");
  // A metric no input defined anywhere (the engine writes n: 0 and null statistics, e.g. [CLS] mass
  // on a GPT-style model) is not offered: it would draw an empty grid.
  const present = new Set<string>();
  const raw = j.sites as Record<string, unknown>[];
  for (const site of raw)
    for (const h of (Array.isArray(site?.heads) ? site.heads : []) as Record<string, unknown>[])
      for (const m of METRIC_ORDER) {
        const st = h && Object.hasOwn(h, m) ? (h[m] as Record<string, unknown> | null) : null;
        if (st && typeof st === "object" && st.n !== 0 && st.mean !== null) present.add(m);
      }
  const metrics = METRIC_ORDER.filter((m) => present.has(m));
  if (metrics.length === 0) bad(file, "sites[].heads[]", `has none of the metrics ${METRIC_ORDER.join(", ")}`);
  const sites = raw.map((site, i): CorpusSite => {
    const where = `sites[${i}]`;
    if (!site || typeof site !== "object") bad(file, where, "is not an object");
    const { stack, kind, layer } = site;
    if (stack !== "encoder" && stack !== "decoder") bad(file, `${where}.stack`, "is not encoder or decoder");
    if (kind !== "self" && kind !== "cross") bad(file, `${where}.kind`, "is not self or cross");
    if (!isCount(layer)) bad(file, `${where}.layer`, "is not a layer index");
    const id = `${stack}.${kind}.${layer}`;
    if (site.id !== undefined && site.id !== id) bad(file, `${where}.id`, `is not "${id}"`);
    const heads = site.heads as Record<string, unknown>[];
    if (!Array.isArray(heads) || heads.length === 0 || heads.length > 4096)
      bad(file, `${where}.heads`, "is not a list of heads");
    heads.forEach((h, k) => {
      if (!h || h.head !== k) bad(file, `${where}.heads[${k}].head`, `is not ${k} (heads in order)`);
    });
    const stats: Record<string, (CorpusStats | null)[]> = {};
    for (const m of metrics)
      stats[m] = heads.map((h, k) => readStats(file, `${where}.heads[${k}].${m}`, Object.hasOwn(h, m) ? h[m] : null));
    // --no-patterns runs write empty tables: no pattern chart then.
    const hasPatterns = heads.some(
      (h) => h.patterns && typeof h.patterns === "object" && Object.keys(h.patterns).length > 0,
    );
    const patterns = hasPatterns
      ? heads.map((h, k) => {
          const out: Record<string, number> = {};
          for (const [label, n] of Object.entries((h.patterns ?? {}) as Record<string, unknown>)) {
            if (!/^[a-z][a-z+_-]{0,39}$/.test(label) || !isCount(n))
              bad(file, `${where}.heads[${k}].patterns`, "is not {label: count}");
            out[label] = n;
          }
          return out;
        })
      : undefined;
    return { id, stack, kind, layer, heads: heads.length, stats, ...(patterns ? { patterns } : {}) };
  });
  const text = (x: unknown) => (typeof x === "string" ? x.slice(0, 500) : undefined);
  return {
    model: text(j.model),
    data: text(j.data),
    engine: text(j.engine),
    inputs: j.inputs,
    skipped: j.skipped,
    ...(isCount(j.truncated) ? { truncated: j.truncated } : {}),
    metrics,
    sites,
  };
}
