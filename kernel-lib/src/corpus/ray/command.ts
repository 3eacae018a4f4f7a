/**
 * `attnlens corpus SOURCE DATA --out DIR --engine ray …`: the command line's options mapped onto
 * runRayCorpus, the result printed as a local run prints it. Options the Ray engine has no use for
 * are refused by name rather than ignored.
 */
import { AttnlensError } from "../../errors";
import type { CorpusInputsMode } from "../engine/inputsWriter";
import { runRayCorpus } from "./index";

/** Local-engine options with no meaning on Ray, and why. */
const UNSUPPORTED: Record<string, string> = {
  "target-field": "the Ray engine analyses encoder-only and decoder-only models",
  rows: "the Ray engine writes no per-input rows",
  limit: "the Ray engine reads whole shards",
  "checkpoint-every": "the Ray engine checkpoints every shard (DIR/ray-shards)",
  providers: "the Ray workers run onnxruntime on CPU",
  quantized: "bundle the quantized .onnx file itself",
};

function whole(name: string, v: string | boolean | undefined): number | undefined {
  if (typeof v !== "string") return undefined;
  const n = Number(v.replace(/_/g, ""));
  if (!(Number.isSafeInteger(n) && n >= 1))
    throw new AttnlensError("BAD_INPUT", `--${name} takes a whole number ≥ 1, not "${v}"`);
  return n;
}

const text = (v: string | boolean | undefined) => (typeof v === "string" ? v : undefined);

/** Runs the Ray engine from parsed CLI values (cli/corpus.ts); returns the exit code. */
export async function rayCorpusCommand(o: {
  source: string;
  data: string;
  out: string;
  values: Record<string, string | boolean | undefined>;
}): Promise<number> {
  const { values } = o;
  for (const [flag, why] of Object.entries(UNSUPPORTED)) {
    if (values[flag] !== undefined && values[flag] !== false)
      throw new AttnlensError("BAD_INPUT", `--${flag} is not available with --engine ray: ${why}`);
  }
  const tooLong = text(values["too-long"]);
  if (tooLong !== undefined && tooLong !== "skip" && tooLong !== "truncate")
    throw new AttnlensError("BAD_INPUT", `--too-long must be skip or truncate, not "${tooLong}"`);
  const inputs = text(values.inputs);
  if (inputs !== undefined && inputs !== "typical" && inputs !== "all" && inputs !== "none")
    throw new AttnlensError("BAD_INPUT", `--inputs must be typical, all or none, not "${inputs}"`);
  const summary = await runRayCorpus({
    source: o.source,
    data: o.data,
    out: o.out,
    address: text(values.address),
    batch: whole("batch", values.batch),
    workers: whole("workers", values.workers),
    field: text(values.field),
    pairField: text(values["pair-field"]),
    truncate: tooLong === "truncate",
    maxTokens: whole("max-tokens", values["max-tokens"]),
    restart: values.restart === true,
    inputs: inputs as CorpusInputsMode | undefined,
    python: text(values.python),
  });
  const why = Object.entries(summary.skippedBy)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  process.stdout.write(
    `${summary.inputs} inputs measured on Ray, ${summary.skipped} skipped${why ? ` (${why})` : ""}` +
      `${summary.truncated ? `, ${summary.truncated} truncated` : ""}; wrote summary.json` +
      `${inputs === "none" ? "" : " and inputs.jsonl"} in ${o.out}\n`,
  );
  for (const p of summary.problems.slice(0, 5)) process.stderr.write(`attnlens corpus: line ${p.line}: ${p.reason}\n`);
  if (summary.problems.length > 5)
    process.stderr.write(`attnlens corpus: … (the first ${summary.problems.length} problems are in summary.json)\n`);
  return 0;
}
