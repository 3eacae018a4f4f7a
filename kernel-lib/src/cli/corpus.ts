/** `attnlens corpus SOURCE DATA --out DIR`: per-head statistics over a corpus (docs/corpus.md). */
import { analyzeCorpus } from "../corpus/engine/analyzeCorpus";
import type { CorpusOptions, CorpusSummary } from "../corpus/engine/types";
import { rayCorpusCommand } from "../corpus/ray/command";
import { loadModel } from "../load/loadModel";
import { parse, str, UsageError } from "./args";
import type { Command } from "./commands";
import { ProgressPrinter } from "./corpusProgress";
import { loadOptions } from "./extractText";

const OPTIONS = {
  out: { type: "string" },
  field: { type: "string" },
  "pair-field": { type: "string" },
  "target-field": { type: "string" },
  batch: { type: "string" },
  "max-tokens": { type: "string" },
  "too-long": { type: "string" },
  rows: { type: "string" },
  inputs: { type: "string" },
  "checkpoint-every": { type: "string" },
  limit: { type: "string" },
  restart: { type: "boolean" },
  "no-patterns": { type: "boolean" },
  engine: { type: "string" },
  address: { type: "string" },
  python: { type: "string" },
  workers: { type: "string" },
  providers: { type: "string" },
  quantized: { type: "boolean" },
  offline: { type: "boolean" },
  "cache-dir": { type: "string" },
  revision: { type: "string" },
} as const;

function count(name: string, v: string | boolean | undefined): number | undefined {
  if (typeof v !== "string") return undefined;
  const n = Number(v.replace(/_/g, ""));
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new UsageError(`--${name} takes a whole number ≥ 1, not "${v}"`);
  return n;
}

export const corpusCommand: Command = {
  name: "corpus",
  usage:
    "attnlens corpus SOURCE DATA --out DIR [--field text] [--pair-field F] [--target-field F] [--batch N]\n" +
    "         [--max-tokens N --too-long truncate|skip] [--rows parquet] [--inputs typical|all|none] [--checkpoint-every N] [--limit N] [--restart] [--no-patterns]\n" +
    "         [--engine local|ray [--address ADDR] [--workers N] [--python PY]] [--providers cuda,cpu] [--quantized] [--offline]",
  summary:
    "per-head statistics of a model over a corpus (DATA: .txt, .jsonl, .parquet or .arrow) → DIR/summary.json " +
    "(mean, std, ci95, quantiles of every metric, pattern counts); resumable",
  options: [
    ["SOURCE", "an .onnx file, a model directory, a Hub id or a demo model's name, with its tokenizer.json"],
    ["DATA", ".txt (one input a line), .jsonl (one object a line), .parquet or .arrow (a text column)"],
    [
      "--out DIR",
      "where summary.json, state.json (the checkpoint), inputs.jsonl and rows.parquet go; nothing is written elsewhere",
    ],
    ["--field NAME", 'the text field (JSON lines) or column (Parquet, Arrow); default "text"'],
    ["--pair-field NAME", "a second sentence per input (BERT-like models)"],
    ["--target-field NAME", "the decoder text per input (encoder-decoder models)"],
    ["--batch N", "inputs per model run (default 16)"],
    ["--max-tokens N", "token limit (specials included); default and ceiling: the model's positions"],
    ["--too-long skip|truncate", "inputs over the limit are skipped (default) or cut to it; counted either way"],
    ["--rows parquet", "also write DIR/rows.parquet: one row per input × head with every metric and the pattern"],
    [
      "--inputs typical|all|none",
      "DIR/inputs.jsonl (each input's text and per-head values, for the report's typical inputs): the typicality " +
        "metrics (default), every metric, or none",
    ],
    ["--checkpoint-every N", "write DIR/state.json every N batches (default 20); a rerun continues from it"],
    ["--limit N", "read at most N records of DATA (skipped ones included)"],
    ["--restart", "ignore DIR/state.json and start over"],
    ["--no-patterns", "skip the pattern classifier (faster; no pattern counts)"],
    ["--engine local|ray", "run here (default) or on a Ray cluster (--address ADDR)"],
    ["--address ADDR", "the Ray cluster to submit to (--engine ray; default: a Ray instance on this machine)"],
    ["--workers N", "Ray actors, one CPU and one onnxruntime session each (--engine ray; default 2)"],
    [
      "--python PY",
      "the Python with ray, onnxruntime, tokenizers (--engine ray; default ATTNLENS_PYTHON, ./.venv/bin/python)",
    ],
    ["--providers LIST", "execution providers to try in order (default: cuda, webgpu, cpu)"],
    ["--quantized", "prefer the quantized .onnx file of a model directory or Hub repository"],
    ["--offline", "use the Hub cache only, never the network"],
  ],
  async run(argv) {
    const { values, positionals } = parse(argv, OPTIONS, 2);
    const [source, data] = positionals;
    const out = str(values.out);
    if (!out) throw new UsageError("--out DIR is required");
    const engine = str(values.engine) ?? "local";
    if (engine !== "local" && engine !== "ray") throw new UsageError(`--engine must be local or ray, not "${engine}"`);
    if (engine === "ray") return rayCorpusCommand({ source, data, out, values });
    for (const flag of ["address", "python", "workers"] as const)
      if (values[flag] !== undefined) throw new UsageError(`--${flag} is for --engine ray`);
    const tooLong = str(values["too-long"]);
    if (tooLong !== undefined && tooLong !== "skip" && tooLong !== "truncate")
      throw new UsageError(`--too-long must be skip or truncate, not "${tooLong}"`);
    const rows = str(values.rows);
    if (rows !== undefined && rows !== "parquet") throw new UsageError(`--rows takes "parquet", not "${rows}"`);
    const inputs = str(values.inputs);
    if (inputs !== undefined && inputs !== "typical" && inputs !== "all" && inputs !== "none")
      throw new UsageError(`--inputs must be typical, all or none, not "${inputs}"`);
    const options: CorpusOptions = {
      out,
      batch: count("batch", values.batch),
      maxTokens: count("max-tokens", values["max-tokens"]),
      tooLong,
      limit: count("limit", values.limit),
      checkpointEvery: count("checkpoint-every", values["checkpoint-every"]),
      restart: values.restart === true,
      patterns: values["no-patterns"] !== true,
      rows: rows === "parquet",
      inputs,
      modelName: source,
      fields: { text: str(values.field), pair: str(values["pair-field"]), target: str(values["target-field"]) },
    };
    const model = await loadModel(source, loadOptions(values));
    const printer = new ProgressPrinter(process.stderr);
    let summary: CorpusSummary | undefined;
    try {
      for await (const p of analyzeCorpus(model, data, options)) {
        if (p.summary) summary = p.summary;
        else printer.update(p);
      }
    } finally {
      printer.end();
      await model.release();
    }
    if (!summary) return 1;
    const why = Object.entries(summary.skippedBy)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    process.stdout.write(
      `${summary.inputs} inputs measured, ${summary.skipped} skipped${why ? ` (${why})` : ""}` +
        `${summary.truncated ? `, ${summary.truncated} truncated` : ""}; wrote summary.json${inputs === "none" ? "" : " and inputs.jsonl"} in ${out}` +
        ` (view it: attnlens report --corpus ${out} -o corpus.html)\n`,
    );
    for (const p of summary.problems.slice(0, 5))
      process.stderr.write(`attnlens corpus: line ${p.line}: ${p.reason}\n`);
    if (summary.problems.length > 5)
      process.stderr.write(`attnlens corpus: … (the first ${summary.problems.length} problems are in summary.json)\n`);
    return 0;
  },
};
