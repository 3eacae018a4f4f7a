/**
 * DIR/inputs.jsonl, the per-input values the corpus views rank inputs by (their "most and least
 * typical inputs of a head"): one line per measured input, `{"input", "text", "values": {siteId:
 * {metric: [per head]}}}` (format in docs/corpus.md). Lines wait in memory until the next checkpoint,
 * are appended just before state.json is written, and state.json records the file's length then
 * (`inputsBytes`): a resumed run cuts the file back to that length, so a line written after the last
 * checkpoint (or half written when the job was killed) is never kept twice nor lost.
 */
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  ftruncateSync,
  lstatSync,
  openSync,
  rmSync,
  writeSync,
} from "node:fs";
import * as path from "node:path";
import { AttnlensError } from "../../errors";
import type { CorpusMetric, HeadValues } from "../aggregate/headAggregate";
import { CORPUS_METRICS } from "../aggregate/headAggregate";

export const INPUTS_FILE = "inputs.jsonl";

/** Longest text kept per input, in characters (the views embed at most 400 by default). */
export const INPUT_TEXT_CHARS = 1000;

/**
 * What DIR/inputs.jsonl holds: "typical" (default) the metrics the typicality score combines, "all"
 * every corpus metric (so an opened input shows any metric), "none" no file.
 */
export type CorpusInputsMode = "typical" | "all" | "none";

/** The metrics the views' typicality score combines (kernel-lib/src/output/corpus/typical.ts). */
export const TYPICAL_INPUT_METRICS: readonly CorpusMetric[] = ["entropy", "distance", "confidence", "sink"];

/** Metrics written per input for a mode. */
export function inputMetrics(mode: CorpusInputsMode): readonly CorpusMetric[] {
  return mode === "all" ? CORPUS_METRICS : mode === "typical" ? TYPICAL_INPUT_METRICS : [];
}

/** float32 maps carry about 7 significant digits: more would only make the file longer. */
const round = (x: number | null | undefined) =>
  typeof x === "number" && Number.isFinite(x) ? Number(x.toPrecision(7)) : null;

/** `text` cut to INPUT_TEXT_CHARS characters, never inside a surrogate pair. */
export function cutText(text: string): string {
  if (text.length <= INPUT_TEXT_CHARS) return text;
  let end = INPUT_TEXT_CHARS;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return text.slice(0, end);
}

// O_NOFOLLOW: a link planted at DIR/inputs.jsonl is refused, never written through.
const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW;

export class InputsWriter {
  private lines: string[] = [];

  private constructor(
    private readonly file: string,
    private readonly metrics: readonly CorpusMetric[],
    private length: number,
  ) {}

  /** Removes an earlier run's file (a link itself, never its target): its inputs are not this run's. */
  static remove(dir: string): void {
    rmSync(path.join(dir, INPUTS_FILE), { force: true });
  }

  /** A fresh job's file, empty. */
  static start(dir: string, metrics: readonly CorpusMetric[]): InputsWriter {
    const file = path.join(dir, INPUTS_FILE);
    const w = new InputsWriter(file, metrics, 0);
    w.withFile((fd) => ftruncateSync(fd, 0));
    return w;
  }

  /** A resumed job: the file cut back to the `bytes` the checkpoint recorded. */
  static resume(dir: string, metrics: readonly CorpusMetric[], bytes: number): InputsWriter {
    const file = path.join(dir, INPUTS_FILE);
    const w = new InputsWriter(file, metrics, bytes);
    const size = existsSync(file) ? lstatSync(file).size : -1;
    if (size < bytes) {
      throw new AttnlensError(
        "BAD_INPUT",
        `${file} is ${size < 0 ? "missing" : `shorter (${size} bytes) than the checkpoint recorded (${bytes})`}: ` +
          "the per-input values cannot be resumed; rerun with --restart (restart: true) to start over",
      );
    }
    w.withFile((fd) => ftruncateSync(fd, bytes));
    return w;
  }

  /** The file's length once the buffered lines are written (what state.json records). */
  get bytes(): number {
    return this.length;
  }

  /** One measured input: `input` its 0-based record number in DATA, `sites` its per-head values. */
  add(input: number, text: string, sites: { id: string; heads: HeadValues[] }[]): void {
    const values: Record<string, Record<string, (number | null)[]>> = {};
    for (const s of sites)
      values[s.id] = Object.fromEntries(this.metrics.map((m) => [m, s.heads.map((h) => round(h[m]))]));
    this.lines.push(`${JSON.stringify({ input, text: cutText(text), values })}\n`);
  }

  /** Appends the buffered lines at the recorded end of the file. */
  flush(): void {
    if (this.lines.length === 0) return;
    const bytes = Buffer.from(this.lines.join(""), "utf8");
    this.lines = [];
    this.withFile((fd) => {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, this.length + done);
    });
    this.length += bytes.length;
  }

  private withFile(use: (fd: number) => void): void {
    let fd: number;
    try {
      fd = openSync(this.file, FLAGS, 0o644);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ELOOP" || code === "EISDIR")
        throw new AttnlensError(
          "BAD_INPUT",
          `${this.file} is not a plain file (a link or a folder): remove it, or choose another --out`,
        );
      throw e;
    }
    try {
      if (!fstatSync(fd).isFile())
        throw new AttnlensError("BAD_INPUT", `${this.file} is not a plain file: remove it, or choose another --out`);
      use(fd);
    } finally {
      closeSync(fd);
    }
  }
}
