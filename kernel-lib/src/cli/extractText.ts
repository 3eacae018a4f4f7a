/**
 * `attnlens extract SOURCE --text …`: load the model with its tokenizer (a file, a directory, a Hub
 * id or a demo model's name), run the text — a sentence pair, a target, or generation for
 * decoders — and write the tokens next to the maps (DIR/tokens.json).
 */
import { type LoadOptions, loadModel } from "../load/loadModel";
import type { AttentionResult } from "../result/types";
import { providersOption, str, UsageError } from "./args";

type Values = Record<string, string | boolean | undefined>;

/** The flags every command that loads a model takes (read by `loadOptions`). */
export const MODEL_OPTIONS = {
  providers: { type: "string" },
  truncate: { type: "boolean" },
  quantized: { type: "boolean" },
  offline: { type: "boolean" },
  "cache-dir": { type: "string" },
  revision: { type: "string" },
  "max-download-bytes": { type: "string" },
} as const;

export const EXTRACT_OPTIONS = {
  feeds: { type: "string" },
  features: { type: "string" },
  text: { type: "string" },
  "text-file": { type: "string" },
  pair: { type: "string" },
  "pair-file": { type: "string" },
  target: { type: "string" },
  "target-file": { type: "string" },
  generate: { type: "string" },
  out: { type: "string" },
  ...MODEL_OPTIONS,
} as const;

export function loadOptions(values: Values): LoadOptions {
  return {
    providers: providersOption(values.providers),
    truncate: values.truncate === true,
    quantized: values.quantized === true,
    offline: values.offline === true ? true : undefined,
    cacheDir: str(values["cache-dir"]),
    revision: str(values.revision),
    maxDownloadBytes: byteCount(str(values["max-download-bytes"])),
  };
}

/** --max-download-bytes: a whole number of bytes (5e9 and 5_000_000_000 both read). */
function byteCount(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replace(/_/g, ""));
  if (!(Number.isSafeInteger(n) && n > 0))
    throw new UsageError(`--max-download-bytes takes a number of bytes, not ${v}`);
  return n;
}

export async function extractFromText(
  source: string,
  text: string,
  values: Values,
): Promise<{ result: AttentionResult; generated?: string }> {
  const pair = str(values.pair);
  const target = str(values.target);
  const generateText = str(values.generate);
  const maxNewTokens = generateText === undefined ? undefined : Number(generateText);
  if (maxNewTokens !== undefined && !(Number.isInteger(maxNewTokens) && maxNewTokens >= 1)) {
    throw new UsageError("--generate takes a number of new tokens (≥ 1)");
  }
  if (target !== undefined && maxNewTokens !== undefined)
    throw new UsageError("give either --target or --generate, not both");
  const model = await loadModel(source, loadOptions(values));
  try {
    if (pair !== undefined && model.family !== "encoder") {
      throw new UsageError(
        `--pair is for encoder (BERT-like) models; ${source} is ${model.family === "decoder" ? "a decoder" : "an encoder-decoder"}`,
      );
    }
    if (target !== undefined && model.family !== "encoder-decoder") {
      throw new UsageError(
        `--target is for encoder-decoder models; ${source} is ${model.family === "decoder" ? "a decoder" : "an encoder"}`,
      );
    }
    const generates = model.family === "encoder-decoder" ? target === undefined : maxNewTokens !== undefined;
    if (generates) {
      const result = await model.generate(text, { maxNewTokens });
      return { result, generated: result.generated.text[0] };
    }
    return { result: await model.run({ source: text, pair, target }) };
  } finally {
    await model.release();
  }
}
