import { existsSync, readFileSync, statSync } from "node:fs";
import { AttnlensError } from "../errors";
import { loadModel } from "../load/loadModel";
import { writeExtraction, writeTokens } from "../output/files/extractionDir";
import type { AttentionResult } from "../result/types";
import { type Feeds, type JsonFeed, tensorFromJson } from "../run/feeds";
import { openModel } from "../run/openModel";
import { parse, providersOption, str, UsageError } from "./args";
import type { Command } from "./commands";
import { EXTRACT_OPTIONS, extractFromText, loadOptions } from "./extractText";

export const extractCommand: Command = {
  name: "extract",
  usage:
    'attnlens extract SOURCE (--feeds FEEDS.json | --text "..." [--pair "..."] [--target "..." | --generate N]) --out DIR\n' +
    "         [--providers cuda,webgpu,cpu] [--truncate] [--quantized] [--offline] [--cache-dir DIR] [--revision REV]",
  summary:
    "run a model (.onnx file, model directory, Hub id or demo model name) and write one float32 .npy per attention " +
    "site ([B,H,T,S]) plus DIR/manifest.json (and DIR/tokens.json when starting from text)",
  async run(argv) {
    const { values, positionals } = parse(argv, EXTRACT_OPTIONS, 1);
    const feedsFile = str(values.feeds);
    const text = str(values.text);
    const out = str(values.out);
    if (!feedsFile && text === undefined)
      throw new UsageError('--feeds FEEDS.json is required (or --text "..." to start from text)');
    if (feedsFile && text !== undefined) throw new UsageError("give either --feeds or --text, not both");
    if (!out) throw new UsageError("--out DIR is required");
    if (text !== undefined) {
      const { result, generated } = await extractFromText(positionals[0], text, values);
      writeExtraction(out, result);
      writeTokens(out, result);
      reportRun(result, out);
      if (generated != null) process.stdout.write(`generated: ${generated}\n`);
      return 0;
    }
    const feeds = readFeeds(feedsFile as string);
    const source = positionals[0];
    const providers = providersOption(values.providers);
    // An .onnx file keeps the plain path (no tokenizer needed); directories, Hub ids and demo names load in full.
    const model = isOnnxFile(source)
      ? await openModel(source, { providers })
      : await loadModel(source, loadOptions(values));
    try {
      const result = await model.run(feeds);
      writeExtraction(out, result);
      reportRun(result, out);
      return 0;
    } finally {
      await model.release();
    }
  },
};

function isOnnxFile(source: string): boolean {
  return source.endsWith(".onnx") || (existsSync(source) && statSync(source).isFile());
}

export function reportRun(result: AttentionResult, out: string): void {
  for (const f of result.fallbacks) process.stderr.write(`attnlens: provider ${f.provider} not used: ${f.reason}\n`);
  process.stdout.write(`${result.sites.length} attention maps (${result.provider}) written to ${out}\n`);
}

export function readFeeds(file: string): Feeds {
  let json: Record<string, JsonFeed>;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new AttnlensError("BAD_FEEDS", `cannot read feeds from ${file}: ${why}`);
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    throw new AttnlensError("BAD_FEEDS", `${file} must be a JSON object {"<input name>": {"type", "dims", "data"}}`);
  }
  const feeds: Feeds = {};
  for (const [name, f] of Object.entries(json)) feeds[name] = tensorFromJson(name, f);
  return feeds;
}
