import * as path from "node:path";
import { exportCorpusReport } from "../output/report/corpusReport";
import { exportReport } from "../output/report/export";
import { extractionReport } from "../output/report/fromDir";
import { parse, str, UsageError } from "./args";
import type { Command } from "./commands";

export const reportCommand: Command = {
  name: "report",
  usage:
    "attnlens report DIR -o REPORT.html [--title T] [--max-tokens N] [--sites a,b] [--tile-mb N] [--format standalone|widget-state]\n" +
    "       attnlens report --corpus DIR -o REPORT.html [--title T] [--per-head K] [--clusters N]",
  summary: "write one self-contained, offline HTML report (interactive views) of an `extract` directory",
  options: [
    ["-o, --out REPORT.html", "where to write the report (required)"],
    ["--title T", "the report's title (default: attnlens: DIR's name)"],
    ["--max-tokens N", "pool maps longer than N tokens for the overview (N ≥ 2)"],
    ["--sites a,b", "only these site ids (e.g. encoder.self.0,encoder.self.3)"],
    ["--tile-mb N", "inputs over 1,024 tokens: size budget of the overview + zoom tiles, MB (default 20)"],
    ["--format standalone|widget-state", "a self-contained page, or the Jupyter widget-state embedding"],
    ["--corpus", "DIR is an `attnlens corpus` output (summary.json, inputs.jsonl): the corpus overview"],
    ["--per-head K", "with --corpus: inputs embedded per head as most and as least typical (default 3)"],
    ["--clusters N", "with --corpus: clusters of heads (default about √(heads/2))"],
  ],
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        out: { type: "string", short: "o" },
        title: { type: "string" },
        "max-tokens": { type: "string" },
        sites: { type: "string" },
        "tile-mb": { type: "string" },
        format: { type: "string" },
        corpus: { type: "boolean" },
        "per-head": { type: "string" },
        clusters: { type: "string" },
      },
      1,
    );
    const out = str(values.out);
    if (!out) throw new UsageError("-o REPORT.html is required");
    if (values.corpus) return corpusReport(positionals[0], out, values);
    const maxTokensText = str(values["max-tokens"]);
    const maxTokens = maxTokensText === undefined ? undefined : Number(maxTokensText);
    if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens >= 2)) {
      throw new UsageError("--max-tokens must be an integer ≥ 2");
    }
    const tileText = str(values["tile-mb"]);
    const tileMb = tileText === undefined ? undefined : Number(tileText);
    if (tileMb !== undefined && !(Number.isFinite(tileMb) && tileMb > 0))
      throw new UsageError("--tile-mb must be a number > 0");
    const format = str(values.format);
    if (format && format !== "standalone" && format !== "widget-state") {
      throw new UsageError('--format must be "standalone" or "widget-state"');
    }
    const sites = str(values.sites)
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const dir = positionals[0];
    const title = str(values.title) ?? `attnlens: ${path.basename(path.resolve(dir))}`;
    const tileBytes = tileMb === undefined ? undefined : Math.round(tileMb * 1e6);
    const { input } = extractionReport(dir, { maxTokens, sites, title, tileBytes });
    const file = await exportReport(input, out, { title, format: format as "standalone" | "widget-state" | undefined });
    process.stdout.write(`report written to ${file.path} (${(file.bytes / 1024).toFixed(0)} KiB)\n`);
    return 0;
  },
};

function count(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= min && n <= 1000))
    throw new UsageError(`${flag} must be an integer from ${min} to 1000`);
  return n;
}

async function corpusReport(dir: string, out: string, values: Record<string, string | boolean | undefined>) {
  for (const flag of ["max-tokens", "sites", "format"])
    if (values[flag] !== undefined) throw new UsageError(`--${flag} is for extraction reports, not with --corpus`);
  const file = await exportCorpusReport(dir, out, {
    title: str(values.title),
    perHead: count(str(values["per-head"]), "--per-head", 0),
    clusters: count(str(values.clusters), "--clusters", 1),
  });
  process.stdout.write(`corpus report written to ${file.path} (${(file.bytes / 1024).toFixed(0)} KiB)\n`);
  return 0;
}
