/**
 * The local corpus engine: reads DATA record by record, runs the model on batches of inputs
 * (right-padded, padding masked), measures each input on its own slice of the batch with the same
 * code as `attnlens metrics` (analyzeResult on batch 1: metrics, token-based masses, pattern labels;
 * without the labels' bootstrap, which the aggregates do not keep), and adds the values to mergeable
 * per-head aggregates. Nothing per input is kept (except the opt-in
 * rows, written at each checkpoint), so memory stays flat whatever the corpus size.
 *
 * Why host analysis and not the in-graph metrics: the in-graph pass has no tokens, so it cannot
 * compute the [CLS]/[SEP]/punctuation/sink masses nor the pattern labels, and on the demo and
 * BERT-base shapes the maps are small next to the model's own work (bench/corpus.mjs); see
 * docs/corpus.md.
 */
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { analyzeSites } from "../../analysis/metrics/analyze";
import { siteMetrics } from "../../analysis/metrics/headMetrics";
import { probe } from "../../analysis/probes/probe";
import type { ProbeResult } from "../../analysis/probes/types";
import { AttnlensError } from "../../errors";
import { replaceFileInDir } from "../../output/files/replaceFile";
import type { TextModel } from "../../run/textModel";
import { CorpusAggregate } from "../aggregate/corpusAggregate";
import { openCorpus } from "../read/openCorpus";
import type { CorpusReader, CorpusRecord, CorpusText } from "../read/types";
import {
  type CorpusFingerprint,
  type CorpusState,
  fileStamp,
  fingerprintChanges,
  readState,
  writeState,
} from "./checkpoint";
import { type CorpusInputsMode, InputsWriter, inputMetrics } from "./inputsWriter";
import { inputHeads } from "./inputValues";
import { RowsWriter } from "./rowsWriter";
import { sampleResult } from "./sampleResult";
import { applyTokenLimit } from "./tokenLimit";
import type { CorpusOptions, CorpusProgress, CorpusSummary } from "./types";

/** What analyzeCorpus reads: a data file's path, a reader, or inputs given in code. */
export type CorpusInputs = string | CorpusReader | Iterable<string | CorpusText> | AsyncIterable<string | CorpusText>;

export const SUMMARY_FILE = "summary.json";

function positive(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 1)
    throw new AttnlensError("BAD_INPUT", `${name} must be a whole number ≥ 1, not ${v}`);
  return v;
}

/** Inputs given in code, numbered 1, 2, … like lines. */
async function* numbered(inputs: Iterable<string | CorpusText> | AsyncIterable<string | CorpusText>) {
  let line = 0;
  for await (const x of inputs as AsyncIterable<string | CorpusText>) {
    line++;
    const input: CorpusText = typeof x === "string" ? { text: x } : x;
    if (typeof input?.text !== "string") yield { line, problem: "missingField", reason: "no text" } as CorpusRecord;
    else if (input.text.trim() === "") yield { line, problem: "empty", reason: "empty text" } as CorpusRecord;
    else yield { line, ...input } as CorpusRecord;
  }
}

function modelFingerprint(model: TextModel): CorpusFingerprint["model"] {
  const { files, dir, name } = model.info;
  const out: CorpusFingerprint["model"] = { name, dir: path.resolve(dir) };
  for (const rel of [files.model, files.encoder, files.decoder, files.tokenizer]) {
    if (rel) out[rel] = fileStamp(path.join(dir, ...rel.split("/")));
  }
  return out;
}

/**
 * Per-head statistics of a model over a corpus: an async iterator of progress events (one per batch); the
 * last event carries the summary, also written to `out`/summary.json. With `out`, a checkpoint
 * (out/state.json) is written every `checkpointEvery` batches and a rerun with the same model, data and
 * options continues from it, counting nothing twice.
 */
export async function* analyzeCorpus(
  model: TextModel,
  inputs: CorpusInputs,
  options: CorpusOptions = {},
): AsyncGenerator<CorpusProgress, CorpusSummary> {
  const batchSize = positive("batch", options.batch, 16);
  const every = positive("checkpointEvery", options.checkpointEvery, 20);
  const limitRecords = options.limit === undefined ? Number.POSITIVE_INFINITY : positive("limit", options.limit, 1);
  const tooLong = options.tooLong ?? "skip";
  if (tooLong !== "skip" && tooLong !== "truncate")
    throw new AttnlensError("BAD_INPUT", `tooLong must be "skip" or "truncate", not "${tooLong}"`);
  const positions = model.info.maxPositions;
  if (options.maxTokens !== undefined) positive("maxTokens", options.maxTokens, 1);
  const tokenLimit =
    options.maxTokens !== undefined ? Math.min(options.maxTokens, positions ?? Number.POSITIVE_INFINITY) : positions;
  if (options.rows && !options.out)
    throw new AttnlensError("BAD_INPUT", "rows: true needs out (the directory to write rows.parquet in)");
  // A model that cannot take text stops here, before the first batch.
  if (model.info.audio)
    throw new AttnlensError("BAD_INPUT", `${model.info.name} reads audio features, not text: a corpus is text`);
  const tokenizer = model.tokenizer;
  if (options.fields?.pair && model.family !== "encoder")
    throw new AttnlensError(
      "BAD_INPUT",
      `a pair field is for encoder (BERT-like) models; ${model.info.name} is ${model.family}`,
    );
  if (options.fields?.target && model.family !== "encoder-decoder")
    throw new AttnlensError(
      "BAD_INPUT",
      `a target field is for encoder-decoder models; ${model.info.name} is ${model.family}`,
    );
  const withPatterns = options.patterns !== false;
  const inputsMode: CorpusInputsMode = options.inputs ?? "typical";
  if (inputsMode !== "typical" && inputsMode !== "all" && inputsMode !== "none")
    throw new AttnlensError("BAD_INPUT", `inputs must be "typical", "all" or "none", not "${inputsMode}"`);

  const dataName = typeof inputs === "string" ? inputs : "(iterable)";
  const reader =
    typeof inputs === "string" ? await openCorpus(inputs, options.fields) : isReader(inputs) ? inputs : null;
  const fingerprint: CorpusFingerprint = {
    model: modelFingerprint(model),
    data: typeof inputs === "string" ? { file: path.resolve(inputs), stamp: fileStamp(inputs) } : { file: dataName },
    options: {
      batch: batchSize,
      maxTokens: tokenLimit,
      tooLong,
      text: options.fields?.text ?? "text",
      pair: options.fields?.pair ?? null,
      target: options.fields?.target ?? null,
      rows: options.rows ? 1 : 0,
      patterns: withPatterns ? 1 : 0,
      inputs: options.out ? inputsMode : "none",
      probes:
        Object.keys(options.probes ?? {})
          .sort()
          .join(",") || null,
    },
  };
  const modelName = options.modelName ?? model.info.name;

  let agg = new CorpusAggregate();
  let consumed = 0;
  let batches = 0;
  const out = options.out;
  let inputsFile: InputsWriter | null = null;
  if (out) {
    mkdirSync(out, { recursive: true });
    const old = options.restart ? null : readState(out);
    if (old) {
      const changes = fingerprintChanges(old.fingerprint, fingerprint);
      if (changes.length > 0) {
        throw new AttnlensError(
          "BAD_INPUT",
          `${path.join(out, "state.json")} was written for another job (${changes.slice(0, 3).join("; ")}); ` +
            "rerun with --restart (restart: true) to start over, or choose another --out",
        );
      }
      agg = CorpusAggregate.fromJSON(old);
      consumed = old.consumed;
      batches = old.batches;
      if (options.rows) RowsWriter.reopen(out);
      if (inputsMode !== "none") inputsFile = InputsWriter.resume(out, inputMetrics(inputsMode), old.inputsBytes ?? 0);
    } else {
      if (options.rows) RowsWriter.clear(out);
      // Also with inputs "none": an earlier run's inputs.jsonl would rank inputs against this run's summary.
      InputsWriter.remove(out);
      if (inputsMode !== "none") inputsFile = InputsWriter.start(out, inputMetrics(inputsMode));
    }
  }
  const resumedFrom = consumed;
  const rows = options.rows && out ? new RowsWriter(out) : null;
  let partStart = consumed;

  const state = (complete: boolean): CorpusState => ({
    version: 1,
    engine: "local",
    model: modelName,
    data: dataName,
    fingerprint,
    consumed,
    batches,
    complete,
    ...(inputsFile ? { inputsBytes: inputsFile.bytes } : {}),
    ...agg.toJSON(),
  });
  const checkpoint = async (complete: boolean) => {
    if (!out) return;
    await rows?.flush(partStart);
    inputsFile?.flush();
    partStart = consumed;
    writeState(out, state(complete));
  };

  const started = Date.now();
  let doneHere = 0;
  // The share of DATA already read when this run starts its own work (after reading past the cursor).
  let startFraction: number | null = null;
  const progress = (): CorpusProgress => {
    const elapsed = (Date.now() - started) / 1000;
    const fraction = reader ? reader.fraction() : null;
    const rate = elapsed > 0 ? doneHere / elapsed : 0;
    const eta =
      fraction != null && startFraction != null && fraction > startFraction && fraction < 1
        ? (elapsed * (1 - fraction)) / (fraction - startFraction)
        : fraction === 1
          ? 0
          : null;
    return {
      done: agg.inputs,
      skipped: agg.skipped,
      truncated: agg.truncated,
      consumed,
      batches,
      rate,
      eta,
      fraction,
      elapsed,
      resumedFrom,
    };
  };

  const records = reader ? reader.records() : numbered(inputs as Iterable<string | CorpusText>);
  let index = 0;
  let pending: (CorpusText & { line: number })[] = [];
  let pendingTruncated = 0;
  const runBatch = async () => {
    const texts = pending;
    pending = [];
    const result = await model.run(
      {
        source: texts.map((t) => t.text),
        pair: texts.some((t) => t.pair != null) ? texts.map((t) => t.pair ?? null) : null,
        target: texts.some((t) => t.target != null) ? texts.map((t) => t.target ?? "") : null,
      },
      { truncate: false },
    );
    texts.forEach((t, b) => {
      const sample = sampleResult(result, b);
      // The aggregates keep each head's label and components, never the bootstrap's support and interval.
      const sites = withPatterns
        ? analyzeSites(sample, {}, false).sites
        : sample.sites.map((s) => ({ ...siteMetrics(sample, s), patterns: null }));
      const measured = sites.map((site) => {
        const heads = agg.site(site.site, site.heads.length);
        const perHead = inputHeads(site);
        perHead.forEach((h, k) => {
          heads[k].add(h.values, h.label, h.components);
          rows?.add(t.line, site.site.id, k, h.values, h.label ?? null);
        });
        return { id: site.site.id, heads: perHead.map((h) => h.values) };
      });
      // The 0-based record number in DATA: input i is line i + 1 (row i of a Parquet or Arrow file).
      inputsFile?.add(t.line - 1, t.text, measured);
      for (const [name, rule] of Object.entries(options.probes ?? {})) countProbe(agg, name, () => rule(probe(sample)));
    });
    agg.inputs += texts.length;
    agg.truncated += pendingTruncated;
    pendingTruncated = 0;
    doneHere += texts.length;
    batches++;
  };

  // Every record before the cursor was counted by the checkpoint: read past it.
  for await (const record of records) {
    index++;
    if (index <= consumed) continue;
    if (index > limitRecords) break;
    startFraction ??= reader ? reader.fraction() : null;
    if ("problem" in record) {
      agg.skip(record.line, record.problem, record.reason);
    } else {
      const verdict = applyTokenLimit(tokenizer, record, tokenLimit, tooLong);
      if (!verdict.ok) agg.skip(record.line, "tooLong", verdict.reason);
      else {
        if (verdict.truncated) {
          pendingTruncated++;
          agg.problem(record.line, "truncated to the token limit");
        }
        pending.push({ ...verdict.input, line: record.line });
      }
    }
    // The cursor moves only with whole batches, so a checkpoint never splits one.
    if (pending.length >= batchSize) {
      await runBatch();
      consumed = index;
      if (batches % every === 0) await checkpoint(false);
      yield progress();
    } else if (pending.length === 0) consumed = index;
  }
  if (pending.length > 0) await runBatch();
  // A rerun with a smaller --limit than the checkpoint reached leaves the cursor where it was.
  consumed = Math.max(consumed, Math.min(index, limitRecords));
  await checkpoint(true);
  if (out && options.rows) await RowsWriter.join(out);
  const summary: CorpusSummary = {
    version: 1,
    engine: "local",
    model: modelName,
    data: dataName,
    ...agg.counts(),
    sites: agg.siteSummaries(),
  };
  if (out) replaceFileInDir(out, SUMMARY_FILE, `${JSON.stringify(summary, null, 1)}\n`);
  const last = { ...progress(), summary };
  yield last;
  return summary;
}

/** One input's verdict per head; an input without the rule's words (BAD_INPUT) does not count for it. */
function countProbe(agg: CorpusAggregate, name: string, run: () => ProbeResult): void {
  let result: ProbeResult;
  try {
    result = run();
  } catch (e) {
    if (e instanceof AttnlensError && e.code === "BAD_INPUT") return;
    throw e;
  }
  for (const h of result.heads) {
    const heads = agg.sites.get(h.site)?.heads;
    if (h.total > 0 && heads?.[h.head]) heads[h.head].addProbe(name, h.holds > 0);
  }
}

function isReader(x: unknown): x is CorpusReader {
  return !!x && typeof x === "object" && "records" in x && typeof (x as CorpusReader).records === "function";
}
