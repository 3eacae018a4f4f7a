/**
 * `showCorpus(dirOrSummary)`: the corpus overview in a notebook. The bundle carries the corpus
 * payload under the attnlens MIME type (the extension draws the overview), an HTML table of the
 * per-head means and spreads for hosts without the extension (escaped), and a text summary.
 */
import type { CorpusPayload } from "@attnlens/widgets";
import { AttnlensError } from "../../errors";
import { corpusPayloadFromDir, examplesFromRows } from "../corpus/corpusDir";
import { type CorpusSummaryTable, readCorpusSummary } from "../corpus/summaryJson";
import type { CorpusInputRow } from "../corpus/typical";
import { type CorpusPayloadOptions, encodeCorpusPayload } from "../payload/corpus";
import { escapeHtml } from "../report/html";
import { ATTNLENS_MIME } from "./bundle";
import { kernelChannel } from "./channel";
import { NO_KERNEL_MESSAGE } from "./show";
import { EXTENSION_HINT } from "./summary";
import type { DisplayBundle } from "./types";

/** Options of `showCorpus`, `corpusBundle` and `corpusPayload`: the payload options, rows for a summary object, the first metric. */
export interface ShowCorpusOptions extends CorpusPayloadOptions {
  /** With a summary object: its per-input rows (the lines of inputs.jsonl), for the typical inputs. */
  rows?: Iterable<CorpusInputRow>;
  /** The metric shown first (default entropy). */
  metric?: string;
}

/**
 * The corpus payload of a corpus run: `source` is its output directory (DIR/summary.json and, when
 * present, DIR/inputs.jsonl) or the parsed summary.json object.
 */
export async function corpusPayload(source: string | object, options: ShowCorpusOptions = {}): Promise<CorpusPayload> {
  if (typeof source === "string") return corpusPayloadFromDir(source, options);
  if (!source || typeof source !== "object")
    throw new AttnlensError("BAD_INPUT", "showCorpus: pass a corpus output directory or its parsed summary.json");
  const summary = readCorpusSummary(source, "the summary");
  if (!options.rows) return encodeCorpusPayload(summary, options);
  return encodeCorpusPayload(summary, options, examplesFromRows(summary, options.rows, options.perHead));
}

function cell(s: { mean: number; std: number } | null | undefined): string {
  return s ? `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}` : "–";
}

/** The static fallback: one table row per head, mean ± std of the first metrics and the commonest pattern. */
export function corpusTableHtml(p: CorpusSummaryTable): string {
  const metrics = p.metrics.slice(0, 5);
  const head = `<tr><th>site</th><th>head</th>${metrics.map((m) => `<th>${escapeHtml(m)}</th>`).join("")}<th>pattern</th></tr>`;
  const rows = p.sites.flatMap((s) =>
    Array.from({ length: s.heads }, (_, h) => {
      const counts = Object.entries(s.patterns?.[h] ?? {}).sort((a, b) => b[1] - a[1]);
      const pattern = counts.length ? `${counts[0][0]} (${counts[0][1]})` : "–";
      return `<tr><td>${escapeHtml(s.id)}</td><td>${h}</td>${metrics
        .map((m) => `<td>${cell(s.stats[m]?.[h])}</td>`)
        .join("")}<td>${escapeHtml(pattern)}</td></tr>`;
    }),
  );
  return `<table class="attnlens-corpus-table">${head}${rows.join("")}</table>`;
}

function corpusText(p: CorpusPayload): string {
  const heads = p.sites.reduce((a, s) => a + s.heads, 0);
  return [
    `attnlens corpus: ${p.inputs} inputs (${p.skipped} skipped), ${p.sites.length} sites, ${heads} heads` +
      (p.model ? `, model ${p.model}` : ""),
    `metrics: ${p.metrics.join(", ")}`,
    ...(p.notes ?? []),
    EXTENSION_HINT,
  ].join("\n");
}

/** The display bundle `showCorpus` sends (exported for hosts and tests that send it themselves). */
export async function corpusBundle(source: string | object, options: ShowCorpusOptions = {}): Promise<DisplayBundle> {
  const payload = await corpusPayload(source, options);
  return {
    data: { [ATTNLENS_MIME]: payload, "text/html": corpusTableHtml(payload), "text/plain": corpusText(payload) },
    metadata: { [ATTNLENS_MIME]: options.metric ? { metric: options.metric } : {} },
    notes: payload.notes ?? [],
  };
}

/** Shows the corpus overview of a corpus run (its output directory, or its parsed summary.json). */
export async function showCorpus(source: string | object, options: ShowCorpusOptions = {}): Promise<void> {
  const channel = kernelChannel();
  if (!channel) {
    process.stderr.write(NO_KERNEL_MESSAGE);
    return;
  }
  const bundle = await corpusBundle(source, options);
  if (channel.kind === "bundle") channel.send({ data: bundle.data, metadata: bundle.metadata, transient: {} });
  else channel.send(ATTNLENS_MIME, JSON.stringify(bundle.data[ATTNLENS_MIME]));
}
