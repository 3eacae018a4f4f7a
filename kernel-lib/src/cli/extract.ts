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
import { readTexts } from "./textSources";

export const extractCommand: Command = {
  name: "extract",
  usage:
    'attnlens extract SOURCE (--feeds FEEDS.json | --text "..." [--pair "..."] [--target "..." | --generate N]) --out DIR\n' +
    "         [--text-file FILE] [--pair-file FILE] [--target-file FILE] (or - for stdin: --text -)\n" +
    "         [--providers cuda,webgpu,cpu] [--truncate] [--quantized] [--offline] [--cache-dir DIR] [--revision REV]\n" +
    "         [--max-download-bytes N]",
  summary:
    "run a model (.onnx file, model directory, Hub id or demo model name) and write one float32 .npy per attention " +
    "site ([B,H,T,S]) plus DIR/manifest.json (and DIR/tokens.json when starting from text)",
  options: [
    ["SOURCE", "an .onnx file, a model directory, a Hugging Face Hub id or a demo model's name (attnlens models)"],
    ["--feeds FEEDS.json", 'the inputs as JSON: {"input_ids": {"type": "int64", "dims": [1, 4], "data": [...]}, ...}'],
    ["--text TEXT", "start from text instead (needs the model's tokenizer.json); - reads it from stdin"],
    ["--text-file FILE", "the text from a file: long texts go here (attnlens refuses command lines over 16 KiB)"],
    ["--pair TEXT, --pair-file FILE", "a second sentence, for encoder (BERT-like) models"],
    ["--target TEXT, --target-file FILE", "the decoder's text, for encoder-decoder models (else they generate)"],
    ["--generate N", "decoders: generate N new tokens and return the attention over the whole sequence"],
    ["--out DIR", "where to write the .npy maps, manifest.json and tokens.json"],
    ["--providers LIST", "execution providers to try in order, e.g. cuda,cpu (default: cuda, webgpu, cpu)"],
    ["--truncate", "cut texts longer than the model's positions instead of refusing them"],
    ["--quantized", "prefer the quantized .onnx file of a model directory or Hub repository"],
    ["--offline", "use the Hub cache only, never the network"],
    [
      "--cache-dir DIR",
      "the Hugging Face cache, shared with Python's huggingface_hub (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)",
    ],
    ["--revision REV", "the Hub branch, tag or commit to download (default main)"],
    [
      "--max-download-bytes N",
      "refuse a Hub model whose files declare more than N bytes in all (default: $ATTNLENS_MAX_DOWNLOAD_BYTES, else 8 GiB)",
    ],
  ],
  async run(argv) {
    const { values, positionals } = parse(argv, EXTRACT_OPTIONS, 1);
    const feedsFile = str(values.feeds);
    const fromText = values.text !== undefined || values["text-file"] !== undefined;
    const out = str(values.out);
    if (!feedsFile && !fromText)
      throw new UsageError('--feeds FEEDS.json is required (or --text "..." / --text-file FILE to start from text)');
    if (feedsFile && fromText) throw new UsageError("give either --feeds or --text, not both");
    if (!out) throw new UsageError("--out DIR is required");
    if (fromText) {
      const texts = readTexts(values);
      const { result, generated } = await extractFromText(positionals[0], texts.text as string, {
        ...values,
        ...texts,
      });
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
