/**
 * DIR/inputs.jsonl, one line per input: `{"input": i, "text": "...", "values": {siteId: {metric:
 * [value per head]}}}` (null where the metric is undefined for that input). Read as a stream, line
 * by line; a line that is not such an object is skipped and counted (the views say how many).
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { CorpusInputRow } from "./typical";

/** Keys a row may use: site ids and metric names (never `__proto__` and the like). */
const SITE_ID = /^(encoder|decoder)\.(self|cross)\.\d{1,4}$/;
const METRIC = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
const RESERVED = new Set(["constructor", "prototype", "toString", "valueOf", "hasOwnProperty"]);

/** Checks one parsed line; returns the row or what is wrong. Keys that are no site id or metric name are ignored. */
export function parseInputRow(value: unknown): CorpusInputRow | string {
  const v = value as Record<string, unknown>;
  if (!v || typeof v !== "object" || Array.isArray(v)) return "not a JSON object";
  if (!Number.isInteger(v.input) || (v.input as number) < 0) return "no input index";
  if (typeof v.text !== "string") return "no text";
  const values = v.values as Record<string, unknown>;
  if (!values || typeof values !== "object" || Array.isArray(values)) return "no values";
  const out: CorpusInputRow["values"] = {};
  for (const [site, perMetric] of Object.entries(values)) {
    if (!SITE_ID.test(site)) continue;
    if (!perMetric || typeof perMetric !== "object" || Array.isArray(perMetric))
      return `values.${site} is not an object`;
    const m: Record<string, (number | null)[]> = {};
    for (const [name, list] of Object.entries(perMetric as Record<string, unknown>)) {
      if (!METRIC.test(name) || RESERVED.has(name)) continue;
      if (!Array.isArray(list)) return `values.${site}.${name} is not a list`;
      m[name] = list.map((x) => (typeof x === "number" && Number.isFinite(x) ? x : null));
    }
    out[site] = m;
  }
  return { input: v.input as number, text: v.text, values: out };
}

/** Calls `onRow` for each good line; returns the count of bad lines and the first few line numbers. */
export async function readInputRows(
  file: string,
  onRow: (row: CorpusInputRow) => void,
): Promise<{ bad: number; badLines: number[] }> {
  const lines = createInterface({
    input: createReadStream(file, { encoding: "utf8" }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let bad = 0;
  const badLines: number[] = [];
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    let row: CorpusInputRow | string;
    try {
      row = parseInputRow(JSON.parse(line));
    } catch {
      row = "not JSON";
    }
    if (typeof row === "string") {
      bad++;
      if (badLines.length < 10) badLines.push(n);
    } else onRow(row);
  }
  return { bad, badLines };
}
