/**
 * Which files of a model directory to use, in the layouts Hugging Face optimum and transformers.js
 * write: `model.onnx` or `encoder_model.onnx` + `decoder_model.onnx` (or a decoder-only
 * `decoder_model_merged.onnx`), at the top or under `onnx/`,
 * full precision or `_quantized`, with tokenizer.json and config.json at the top. Works on a list
 * of relative paths, so the same rules pick files from a local directory and from a Hub listing.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";

/**
 * The files of a model directory that attnlens uses: one ONNX file (`single`) or an encoder and a decoder
 * (`split`), with tokenizer and config files; paths relative to the directory.
 */
export interface ModelFiles {
  kind: "single" | "split";
  /** Relative paths (with `/`) of the ONNX files. */
  model?: string;
  encoder?: string;
  decoder?: string;
  /** Whether the chosen ONNX files are a quantized variant. */
  quantized: boolean;
  tokenizer: string | null;
  tokenizerConfig: string | null;
  config: string | null;
  generationConfig: string | null;
}

export interface LayoutProblem {
  /** Why no usable model files were found. */
  problem: string;
  /** What was looked for, for the message. */
  lookedFor: string[];
}

const PREFIXES = ["", "onnx/"];
const QUANTIZED = ["_quantized", "_int8", "_uint8", "_q8"];

export function chooseLayout(
  files: readonly string[],
  /** knownNamesOnly: no lone .onnx file of another name (a Hub listing is not trusted that far). */
  options: { quantized?: boolean; knownNamesOnly?: boolean } = {},
): ModelFiles | LayoutProblem {
  const have = new Set(files);
  const at = (name: string) => (have.has(name) ? name : null);
  const text = {
    tokenizer: at("tokenizer.json"),
    tokenizerConfig: at("tokenizer_config.json"),
    config: at("config.json"),
    generationConfig: at("generation_config.json"),
  };
  const suffixes = options.quantized ? [...QUANTIZED, ""] : ["", ...QUANTIZED];
  for (const suffix of suffixes) {
    for (const prefix of PREFIXES) {
      const quantized = suffix !== "";
      const single = at(`${prefix}model${suffix}.onnx`);
      if (single) return { kind: "single", model: single, quantized, ...text };
      const encoder = at(`${prefix}encoder_model${suffix}.onnx`);
      const decoder = at(`${prefix}decoder_model${suffix}.onnx`);
      if (encoder && decoder) return { kind: "split", encoder, decoder, quantized, ...text };
    }
  }
  const onnx = files.filter((f) => f.endsWith(".onnx"));
  const merged = onnx.find((f) => /decoder_model_merged/.test(f));
  if (merged && onnx.some((f) => /encoder_model/.test(f))) {
    return {
      problem:
        `${merged} is a merged decoder of an encoder–decoder model: its with-past branch reads the cross-attention ` +
        "keys from the cache, so attnlens cannot run it from the encoder's output. Export the decoder without merging " +
        "(optimum-cli export onnx --no-post-process …) to get decoder_model.onnx",
      lookedFor: lookedFor(),
    };
  }
  // transformers.js's decoder-only layout: the merged decoder (with and without the cache, graph/surgery/mergedDecoder.ts).
  for (const suffix of suffixes) {
    for (const prefix of PREFIXES) {
      const single = at(`${prefix}decoder_model_merged${suffix}.onnx`);
      if (single) return { kind: "single", model: single, quantized: suffix !== "", ...text };
    }
  }
  if (onnx.length === 1 && !options.knownNamesOnly)
    return { kind: "single", model: onnx[0], quantized: QUANTIZED.some((q) => onnx[0].includes(q)), ...text };
  return {
    problem: onnx.length
      ? options.knownNamesOnly
        ? `none of its .onnx files (${onnx.join(", ")}) has a standard name`
        : `it holds several .onnx files (${onnx.join(", ")}) and none has a standard name`
      : "it holds no .onnx file",
    lookedFor: lookedFor(),
  };
}

function lookedFor(): string[] {
  return PREFIXES.flatMap((p) => [`${p}model.onnx`, `${p}encoder_model.onnx + ${p}decoder_model.onnx`]).concat(
    "(and their _quantized variants)",
  );
}

/** Files of a local model directory: its top level and its `onnx/` folder. */
export function listModelDirectory(dir: string): string[] {
  const out: string[] = [];
  for (const sub of ["", "onnx"]) {
    const d = path.join(dir, sub);
    if (!existsSync(d) || !statSync(d).isDirectory()) continue;
    for (const f of readdirSync(d)) if (statSync(path.join(d, f)).isFile()) out.push(sub ? `${sub}/${f}` : f);
  }
  return out.sort();
}

export function isLayoutProblem(x: ModelFiles | LayoutProblem): x is LayoutProblem {
  return "problem" in x;
}
