/**
 * `attnlens suite SOURCE (--suite agreement|pronoun | --cases FILE.jsonl)`: a probe suite from the
 * command line. Every sentence runs through the model; the per-head table (holds/total, 95 %
 * interval, mean weights, the sign-flip test across sentences with Holm's correction) is printed,
 * and optionally written as JSON and as an offline HTML report with the suite's heatmap.
 */
import * as path from "node:path";
import { runProbeSuite, type SuiteTable } from "../analysis/probes/runSuite";
import { agreementSuite, type ProbeSuite, pronounSuite } from "../analysis/probes/suites";
import { loadModel } from "../load/loadModel";
import { replaceFileInDir } from "../output/files/replaceFile";
import { exportReport } from "../output/report/export";
import { formatBytes } from "../util/bytes";
import { parse, str, UsageError } from "./args";
import type { Command } from "./commands";
import { loadOptions, MODEL_OPTIONS } from "./extractText";
import { readSuiteCases } from "./suiteCases";

const READY: Record<string, () => ProbeSuite> = { agreement: agreementSuite, pronoun: pronounSuite };

const OPTIONS = {
  suite: { type: "string" },
  cases: { type: "string" },
  out: { type: "string", short: "o" },
  json: { type: "string" },
  margin: { type: "string" },
  shown: { type: "string" },
  ...MODEL_OPTIONS,
} as const;

export const suiteCommand: Command = {
  name: "suite",
  usage:
    "attnlens suite SOURCE (--suite agreement|pronoun | --cases FILE.jsonl) [-o REPORT.html] [--json OUT.json]\n" +
    "         [--margin X|chance] [--shown N] [--providers LIST] [--quantized] [--offline]",
  summary:
    "run a probe suite (the ready subject–verb agreement or pronoun suite, or your own cases) and print, per head, " +
    "how often the rule holds, with a 95 % interval and a test across sentences (+ a report with its heatmap)",
  options: [
    ["SOURCE", "a model directory, a Hub id or a demo model's name (it needs its tokenizer.json)"],
    [
      "--suite agreement|pronoun",
      "a ready suite: verbs and their subjects past an attractor, or Winograd-style pronoun pairs",
    ],
    ["--cases FILE.jsonl", 'your own: one {"group", "text", "from", "to", "other"} object per line'],
    ["-o, --out REPORT.html", "also write an offline HTML report: the heatmap above the table"],
    ["--json OUT.json", "also write the table as JSON (every head of every group)"],
    ["--margin X|chance", "how much more weight the right word needs than the other (default: chance)"],
    ["--shown N", "heads printed per group (default 8)"],
    ["--providers LIST", "execution providers to try in order (default: cuda, webgpu, cpu)"],
    ["--quantized", "prefer the quantized .onnx file of a model directory or Hub repository"],
    ["--offline", "use the Hub cache only, never the network"],
  ],
  async run(argv) {
    const { values, positionals } = parse(argv, OPTIONS, 1);
    const suite = suiteOption(str(values.suite), str(values.cases));
    const margin = marginOption(str(values.margin));
    const shown = shownOption(str(values.shown));
    const model = await loadModel(positionals[0], loadOptions(values));
    try {
      const table = await runProbeSuite(model, suite, { margin, shown });
      process.stdout.write(`${String(table)}\n`);
      const out = str(values.out);
      if (out) {
        const report = await exportReport([{ suite: table }], out, { title: `attnlens: ${suite.name}` });
        process.stderr.write(`attnlens suite: wrote ${out} (${formatBytes(report.bytes)})\n`);
      }
      const json = str(values.json);
      if (json)
        replaceFileInDir(path.dirname(json), path.basename(json), `${JSON.stringify(tableJson(table), null, 1)}\n`);
      return 0;
    } finally {
      await model.release();
    }
  },
};

function suiteOption(name: string | undefined, cases: string | undefined): ProbeSuite {
  if ((name === undefined) === (cases === undefined))
    throw new UsageError("give one suite: --suite agreement|pronoun or --cases FILE.jsonl");
  if (cases !== undefined) return readSuiteCases(cases, path.basename(cases));
  const ready = Object.hasOwn(READY, name as string) ? READY[name as string] : undefined;
  if (!ready) throw new UsageError(`--suite must be one of ${Object.keys(READY).join(", ")}, not "${name}"`);
  return ready();
}

function marginOption(v: string | undefined): number | "chance" | undefined {
  if (v === undefined || v === "chance") return v;
  const n = Number(v);
  if (!(Number.isFinite(n) && n >= 0 && n < 1))
    throw new UsageError(`--margin takes chance or a number in [0, 1), not ${v}`);
  return n;
}

function shownOption(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1)) throw new UsageError(`--shown takes a whole number ≥ 1, not ${v}`);
  return n;
}

/** The table without its toString, every head of every group. */
function tableJson(table: SuiteTable): object {
  const { suite, margin, groups } = table;
  return { suite, margin, groups };
}
