/**
 * `attnlens corpus SOURCE DATA --out DIR --engine ray [--address ADDR]`: writes the job bundle
 * (bundle.ts) into DIR/ray-bundle, runs the corpus_ray Python package (Ray Data actors with
 * onnxruntime and tokenizers, docs/corpus-ray.md) with the given interpreter, relays its progress,
 * and returns DIR/summary.json — the same file, in the same shape, as the local engine writes — and,
 * unless `inputs: "none"`, DIR/inputs.jsonl as the local engine writes it (corpus_ray/inputs.py).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { AttnlensError } from "../../errors";
import type { CorpusInputsMode } from "../engine/inputsWriter";
import { writeRayBundle } from "./bundle";

/** A progress event of a Ray corpus job (one per finished shard, plus start and done). */
export interface RayProgress {
  /** `ready`: Ray is connected (or the one-process engine has its session); `seconds` says when. */
  event: "start" | "ready" | "progress" | "done";
  /** Shards of the data file (byte ranges of a .txt/.jsonl, row groups of a Parquet file). */
  shards: number;
  /** Shards finished (earlier runs' included). */
  done: number;
  /** Inputs analysed so far. */
  inputs: number;
  /** Seconds since the job started. */
  seconds: number;
  /** On `start`: shards already done by an earlier run of the same job (resumed, not redone). */
  resumed?: number;
}

/** Options of {@link runRayCorpus}. */
export interface RayCorpusOptions {
  /** The model: anything `loadModel` takes (encoder-only or decoder-only text models). */
  source: string;
  /** The corpus: .txt (one input a line), .jsonl (a text field), .parquet or .arrow (a text column). */
  data: string;
  /** Output folder: summary.json, state.json, inputs.jsonl, ray-bundle/ and ray-shards/ (the resume cursor). */
  out: string;
  /** Ray address (`ray://host:10001`, `host:6379`, `auto`); default: a local Ray instance. */
  address?: string;
  /** Inputs per onnxruntime run (default 32). */
  batch?: number;
  /** Ray actors (default 2); each holds one session and one CPU. */
  workers?: number;
  /** The text field (jsonl) or column (Parquet/Arrow); default "text". */
  field?: string;
  /** The optional sentence-pair field or column. */
  pairField?: string;
  /** Cut over-long inputs to the model's positions (counted in `truncated`) instead of skipping them (`skippedBy.tooLong`). */
  truncate?: boolean;
  /** Token limit (specials included) below the model's positions; default and ceiling: the model's positions. */
  maxTokens?: number;
  /**
   * DIR/inputs.jsonl, each measured input's text and per-head values for the corpus views' typical
   * inputs (format in docs/corpus.md): "typical" (default) entropy, distance, confidence and sink,
   * "all" every corpus metric, "none" no file (an earlier run's is removed). Changing it redoes every shard.
   */
  inputs?: CorpusInputsMode;
  /** Ignore the shards an earlier run left in DIR/ray-shards and start over. */
  restart?: boolean;
  /** Python with ray, onnxruntime, tokenizers, numpy, pyarrow; default ATTNLENS_PYTHON, then ./.venv/bin/python, then python3. */
  python?: string;
  /** Bytes of a .txt/.jsonl file per shard (the unit of work and of retry; default 4 MiB). */
  shardBytes?: number;
  /** Run the same job in one Python process without Ray (benchmarks, machines without Ray). */
  local?: boolean;
  /** Called on every progress event; default: a progress line on stderr when it is a terminal. */
  onProgress?: (p: RayProgress) => void;
}

/** DIR/summary.json as the Ray engine writes it (docs/corpus-ray.md). */
export interface RaySummary {
  version: 1;
  engine: "ray" | "local";
  model: string;
  data: string;
  inputs: number;
  skipped: number;
  skippedBy: Record<string, number>;
  truncated: number;
  problems: { line: number; reason: string }[];
  /** Per-head statistics the Ray engine leaves out, each with the reason. */
  notComputed: Record<string, string>;
  sites: {
    id: string;
    stack: string;
    kind: string;
    layer: number;
    heads: ({ head: number; patterns: Record<string, number> } & Record<string, unknown>)[];
  }[];
}

/** The corpus_ray package: ATTNLENS_CORPUS_RAY, else beside kernel-lib in the repository. */
function packageDir(): string {
  const dir = process.env.ATTNLENS_CORPUS_RAY || path.resolve(__dirname, "..", "..", "..", "..", "corpus_ray");
  if (!existsSync(path.join(dir, "__main__.py")))
    throw new AttnlensError(
      "MISSING_FILES",
      `the corpus_ray Python package is not at ${dir}: set ATTNLENS_CORPUS_RAY to its folder`,
    );
  return dir;
}

function pythonOf(given: string | undefined): string {
  const local = path.resolve(".venv", "bin", "python");
  return given || process.env.ATTNLENS_PYTHON || (existsSync(local) ? local : "python3");
}

function argsOf(o: RayCorpusOptions, bundle: string): string[] {
  const args = ["-m", "corpus_ray", "--bundle", bundle, "--data", path.resolve(o.data), "--out", path.resolve(o.out)];
  const add = (flag: string, v: string | number | undefined) => v != null && args.push(flag, String(v));
  add("--address", o.address);
  add("--batch", o.batch);
  add("--workers", o.workers);
  add("--field", o.field);
  add("--pair-field", o.pairField);
  add("--shard-bytes", o.shardBytes);
  add("--max-tokens", o.maxTokens);
  add("--inputs", o.inputs);
  if (o.restart) args.push("--restart");
  if (o.truncate) args.push("--truncate");
  if (o.local) args.push("--local");
  return args;
}

/** A terminal progress line: shards, inputs, rate and ETA (by shards left). */
function terminalProgress(p: RayProgress): void {
  if (!process.stderr.isTTY) return;
  const rate = p.seconds > 0 ? p.inputs / p.seconds : 0;
  const eta = p.done > 0 && p.done < p.shards ? ` ETA ${Math.round((p.seconds / p.done) * (p.shards - p.done))} s` : "";
  process.stderr.write(
    `\r[ray] shards ${p.done}/${p.shards}  ${p.inputs} inputs  ${rate.toFixed(1)} inputs/s${eta}   ${p.event === "done" ? "\n" : ""}`,
  );
}

/** Runs the corpus job on Ray (or in one Python process with `local`); resolves to DIR/summary.json. */
export async function runRayCorpus(options: RayCorpusOptions): Promise<RaySummary> {
  if (!existsSync(options.data)) throw new AttnlensError("MISSING_FILES", `no such data file: ${options.data}`);
  const pkg = packageDir();
  const bundle = path.resolve(options.out, "ray-bundle");
  await writeRayBundle(options.source, bundle);
  const onProgress = options.onProgress ?? terminalProgress;
  const python = pythonOf(options.python);
  const env = {
    ...process.env,
    PYTHONPATH: [path.dirname(pkg), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
  };
  const { code, error, stderr } = await new Promise<{ code: number | null; error?: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(python, argsOf(options, bundle), { env, stdio: ["ignore", "pipe", "pipe"] });
      let error: string | undefined;
      let tail = "";
      let pending = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          if (!line.startsWith("ATTNLENS ")) continue;
          const e = JSON.parse(line.slice(9));
          if (e.event === "error") error = e.message;
          else onProgress({ done: 0, inputs: 0, seconds: 0, ...e });
        }
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        tail = (tail + chunk).slice(-4000);
      });
      child.on("error", (e) =>
        reject(
          new AttnlensError(
            "MISSING_FILES",
            `cannot start ${python} (${e.message}): pass --python or set ATTNLENS_PYTHON`,
          ),
        ),
      );
      child.on("close", (c) => resolve({ code: c, error, stderr: tail }));
    },
  );
  if (code !== 0) {
    const why = error ?? stderr.trim().split("\n").slice(-6).join("\n");
    throw new AttnlensError("RUN_FAILED", `the Ray corpus job failed (exit ${code}): ${why}`);
  }
  return JSON.parse(readFileSync(path.join(options.out, "summary.json"), "utf8")) as RaySummary;
}

export { type RayBundle, writeRayBundle } from "./bundle";
