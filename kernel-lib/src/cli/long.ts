/**
 * `attnlens long SOURCE --text-file F --out DIR`: one long input end to end without ever holding its
 * maps. The model is opened with lazy maps (queries, keys and masks kept; any row block recomputed
 * on demand), the per-head metrics and rollout are measured one row block at a time, and the report
 * carries a pooled overview with zoom tiles. What `extract` + `metrics` + `report` do for inputs whose
 * maps fit, for inputs whose maps do not (BERT-base at 4,096 tokens: 9 GiB of maps).
 */
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { measureSource, type SourceMetrics } from "../analysis/metrics/scale/measure";
import { rolloutSource } from "../analysis/metrics/scale/rollout";
import { loadModel } from "../load/loadModel";
import { encodeNpy } from "../output/files/npy";
import { replaceFileInDir } from "../output/files/replaceFile";
import { exportReport } from "../output/report/export";
import type { LazyResult } from "../result/lazy";
import type { Stack } from "../result/types";
import { formatBytes } from "../util/bytes";
import { parse, str, UsageError } from "./args";
import type { Command } from "./commands";
import { loadOptions, MODEL_OPTIONS } from "./extractText";
import { readTexts } from "./textSources";

const OPTIONS = {
  text: { type: "string" },
  "text-file": { type: "string" },
  out: { type: "string" },
  ...MODEL_OPTIONS,
  rollout: { type: "boolean" },
  stack: { type: "string" },
  "no-report": { type: "boolean" },
  "tile-mb": { type: "string" },
  "block-mb": { type: "string" },
} as const;

export const longCommand: Command = {
  name: "long",
  usage:
    'attnlens long SOURCE (--text "..." | --text-file FILE) --out DIR [--rollout] [--stack encoder|decoder]\n' +
    "         [--tile-mb N] [--no-report] [--block-mb N] [--providers LIST] [--truncate] [--quantized] [--offline]",
  summary:
    "a long input without holding its maps: lazy maps, per-head metrics streamed one row block at a time → " +
    "DIR/metrics.json, DIR/tokens.json, DIR/lazy.json (+ rollout.npy) and DIR/report.html (overview + zoom tiles)",
  options: [
    ["SOURCE", "a model directory, a Hub id or a demo model's name (it needs its tokenizer.json)"],
    ["--text TEXT, --text-file FILE", "the input (- reads it from stdin); long texts go in a file"],
    ["--out DIR", "where to write metrics.json, tokens.json, lazy.json, rollout.npy and report.html"],
    ["--rollout", "also write DIR/rollout.npy, computed layer by layer from row blocks"],
    ["--stack encoder|decoder", "the stack rollout runs over"],
    ["--tile-mb N", "size budget of the report's overview + zoom tiles, MB (default 20)"],
    ["--no-report", "write no report.html"],
    ["--block-mb N", "bytes of one row block of probabilities, MB (default 64): the working set"],
    ["--providers LIST", "execution providers to try in order (default: cuda, webgpu, cpu)"],
    ["--truncate", "cut texts longer than the model's positions instead of refusing them"],
    ["--quantized", "prefer the quantized .onnx file of a model directory or Hub repository"],
    ["--offline", "use the Hub cache only, never the network"],
  ],
  async run(argv) {
    const { values, positionals } = parse(argv, OPTIONS, 1);
    const out = str(values.out);
    if (!out) throw new UsageError("--out DIR is required");
    if (values.text === undefined && values["text-file"] === undefined)
      throw new UsageError('give the input: --text "..." or --text-file FILE');
    const stack = stackOption(str(values.stack));
    const tileBytes = megabytes("--tile-mb", str(values["tile-mb"]));
    const blockBytes = megabytes("--block-mb", str(values["block-mb"]));
    const texts = readTexts(values);
    const model = await loadModel(positionals[0], { ...loadOptions(values), maps: "lazy" });
    let result: LazyResult | undefined;
    try {
      result = await model.runLazy(texts.text as string);
      mkdirSync(out, { recursive: true });
      const written = [write(out, "tokens.json", tokensJson(result)), write(out, "lazy.json", lazyJson(result))];
      const metrics = await measureSource(result, result, { blockBytes });
      for (const w of metrics.warnings ?? []) process.stderr.write(`attnlens long: warning: ${w}\n`);
      written.push(write(out, "metrics.json", metricsJson(metrics)));
      if (values.rollout) {
        const r = await rolloutSource(result, result, { stack, blockBytes });
        written.push(write(out, "rollout.npy", encodeNpy(r.data, r.dims)));
      }
      if (values["no-report"] !== true) {
        const report = await exportReport(result, path.join(out, "report.html"), {
          title: `attnlens: ${path.basename(positionals[0])}`,
          tileBytes,
        });
        written.push(`report.html (${formatBytes(report.bytes)})`);
      }
      for (const f of result.fallbacks)
        process.stderr.write(`attnlens: provider ${f.provider} not used: ${f.reason}\n`);
      const longest = Math.max(...result.sites.map((s) => s.dims[2]));
      process.stdout.write(
        `${result.sites.length} sites, ${longest} positions (${result.provider}): held ${formatBytes(result.bytes)} ` +
          `instead of ${formatBytes(result.fullBytes)} of maps; wrote ${written.join(", ")} in ${out}\n`,
      );
      return 0;
    } finally {
      await result?.release();
      await model.release();
    }
  },
};

function write(dir: string, name: string, data: string | Uint8Array): string {
  replaceFileInDir(dir, name, data);
  return name;
}

/** metrics.json as `attnlens metrics` writes it, without pattern labels (they need whole maps). */
function metricsJson(metrics: SourceMetrics): string {
  const measured = (rows: number, x: number | null | undefined) =>
    rows > 0 && typeof x === "number" && Number.isFinite(x) ? x : null;
  const json = {
    ...(metrics.warnings?.length ? { warnings: metrics.warnings } : {}),
    note: "pattern labels need whole maps and are not computed for lazy runs",
    sites: metrics.sites.map((s) => ({
      id: s.site.id,
      layer: s.site.layer,
      stack: s.site.stack,
      kind: s.site.kind,
      heads: s.heads.map((h) => ({
        head: h.head,
        entropy: measured(h.rows, h.entropy),
        distance: measured(h.rows, h.distance),
        confidence: measured(h.rows, h.confidence),
        mass: Object.fromEntries(Object.entries(h.mass).map(([k, v]) => [k, measured(h.rows, v)])),
      })),
    })),
  };
  return `${JSON.stringify(json, null, 1)}\n`;
}

function tokensJson(result: LazyResult): string {
  const row = (side: "source" | "target") => (result.tokens?.[side]?.[0] ?? []).map((t) => t.text);
  return `${JSON.stringify({ source: row("source"), target: row("target") }, null, 1)}\n`;
}

/** How each site was held: lazily (bytes of queries, keys and masks) or in full, with the reason. */
function lazyJson(result: LazyResult): string {
  const json = {
    provider: result.provider,
    bytes: result.bytes,
    fullBytes: result.fullBytes,
    sites: result.sites.map((s) => ({
      id: s.id,
      mode: s.mode,
      dims: s.dims,
      bytes: s.bytes,
      ...(s.reason ? { reason: s.reason } : {}),
    })),
  };
  return `${JSON.stringify(json, null, 1)}\n`;
}

function stackOption(v: string | undefined): Stack | undefined {
  if (v === undefined || v === "encoder" || v === "decoder") return v;
  throw new UsageError(`--stack must be encoder or decoder, not "${v}"`);
}

function megabytes(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new UsageError(`${name} takes a positive number of MB, not ${v}`);
  return Math.round(n * 2 ** 20);
}
