/**
 * The offline HTML report of a corpus run (`attnlens report --corpus DIR`): one section with the
 * corpus overview, its payload inlined like any report's. Bounded: at most `perHead` typical and
 * `perHead` atypical inputs per head are embedded, texts cut at `maxChars`.
 */
import * as path from "node:path";
import { corpusPayloadFromDir } from "../corpus/corpusDir";
import type { CorpusPayloadOptions } from "../payload/corpus";
import { exportReport, type ReportFile } from "./export";

/** Options of `exportCorpusReport`: the page title and the corpus payload options. */
export interface CorpusReportOptions extends CorpusPayloadOptions {
  /** Page title (default "attnlens corpus: DIR's name"). */
  title?: string;
}

/** Default budget of the inputs a corpus report embeds (bytes of JSON). */
const CORPUS_REPORT_MAX_BYTES = 8 * 1024 * 1024;

/** Writes the corpus report of DIR to `file`. */
export async function exportCorpusReport(
  dir: string,
  file: string,
  options: CorpusReportOptions = {},
): Promise<ReportFile> {
  const title = options.title ?? `attnlens corpus: ${path.basename(path.resolve(dir))}`;
  // A report file is not held to a notebook output's limit; it still stays bounded.
  const payload = await corpusPayloadFromDir(dir, { maxBytes: CORPUS_REPORT_MAX_BYTES, ...options, title });
  const heads = payload.sites.reduce((a, s) => a + s.heads, 0);
  const notes = [
    `${payload.inputs} inputs · ${payload.skipped} skipped · ${payload.sites.length} sites · ${heads} heads`,
    ...(payload.examples
      ? [
          `${payload.examples.inputs.length} inputs embedded (at most ${payload.examples.perHead} most and least typical per head)`,
        ]
      : []),
  ];
  return exportReport({ payload, title: "Corpus overview", notes }, file, { title });
}
