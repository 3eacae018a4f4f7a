/**
 * A corpus run's directory → corpus payload: DIR/summary.json (required) and, when present,
 * DIR/inputs.jsonl, read twice as a stream (first the scores, then the chosen inputs' rows), so
 * memory stays bounded by the lists kept, not by the corpus. Only DIR's own files are read.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import type { CorpusPayload } from "@attnlens/widgets";
import { AttnlensError } from "../../errors";
import { readInsideDir } from "../files/insideDir";
import { CORPUS_PER_HEAD, type CorpusPayloadOptions, encodeCorpusPayload } from "../payload/corpus";
import { readInputRows } from "./inputsJsonl";
import { type CorpusSummaryTable, readCorpusSummary } from "./summaryJson";
import { type CorpusInputRow, TypicalInputs } from "./typical";

/** The per-input file the typical / atypical lists read. */
export const CORPUS_INPUTS_FILE = "inputs.jsonl";

/** Reads and checks DIR/summary.json. */
export function readCorpusSummaryFile(dir: string): CorpusSummaryTable {
  const file = path.join(dir, "summary.json");
  if (!existsSync(file))
    throw new AttnlensError(
      "BAD_INPUT",
      `${dir} has no summary.json; run \`attnlens corpus MODEL DATA --out ${dir}\` first`,
    );
  let json: unknown;
  try {
    json = JSON.parse(readInsideDir(dir, file).toString("utf8"));
  } catch (e) {
    if (e instanceof AttnlensError) throw e;
    throw new AttnlensError("BAD_INPUT", `${file} is not valid JSON (${(e as Error).message}); rerun the corpus job`);
  }
  return readCorpusSummary(json, file);
}

/** Typical / atypical inputs from rows given in memory (a summary passed as an object). */
export function examplesFromRows(
  summary: CorpusSummaryTable,
  rows: Iterable<CorpusInputRow>,
  perHead = CORPUS_PER_HEAD,
) {
  const typical = new TypicalInputs(summary.sites, summary.metrics, perHead);
  const all: CorpusInputRow[] = [];
  for (const row of rows) {
    typical.add(row);
    all.push(row);
  }
  const chosen = typical.chosen();
  return { typical, rows: new Map(all.filter((r) => chosen.has(r.input)).map((r) => [r.input, r])) };
}

export async function corpusPayloadFromDir(dir: string, options: CorpusPayloadOptions = {}): Promise<CorpusPayload> {
  const summary = readCorpusSummaryFile(dir);
  const notes = [...(options.notes ?? [])];
  const file = path.join(dir, CORPUS_INPUTS_FILE);
  if (!existsSync(file)) {
    notes.push(`no ${CORPUS_INPUTS_FILE}: per-head distributions only (typical inputs need the per-input values)`);
    return encodeCorpusPayload(summary, { ...options, notes });
  }
  readInsideDir(dir, file).subarray(0, 0); // refuses a link out of DIR before streaming it
  const typical = new TypicalInputs(summary.sites, summary.metrics, options.perHead ?? CORPUS_PER_HEAD);
  const held = new Set<string>();
  const { bad, badLines } = await readInputRows(file, (row) => {
    typical.add(row);
    for (const perMetric of Object.values(row.values)) for (const m of Object.keys(perMetric)) held.add(m);
  });
  const chosen = typical.chosen();
  const rows = new Map<number, CorpusInputRow>();
  await readInputRows(file, (row) => {
    if (chosen.has(row.input) && !rows.has(row.input)) rows.set(row.input, row);
  });
  if (bad > 0)
    notes.push(
      `${CORPUS_INPUTS_FILE}: ${bad} unreadable line(s) skipped (lines ${badLines.join(", ")}${bad > badLines.length ? ", …" : ""})`,
    );
  // `attnlens corpus` writes the typicality metrics only, unless --inputs all: say why an opened input
  // shows no values for the others.
  const missing = summary.metrics.filter((m) => !held.has(m));
  if (held.size > 0 && missing.length > 0)
    notes.push(
      `${CORPUS_INPUTS_FILE} holds ${summary.metrics.filter((m) => held.has(m)).join(", ")} per input: an opened input ` +
        "shows those metrics (attnlens corpus --inputs all writes every metric)",
    );
  return encodeCorpusPayload(summary, { ...options, notes }, { typical, rows });
}
