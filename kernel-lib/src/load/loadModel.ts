/**
 * loadModel: a model directory, an .onnx file, a bundled demo model's name or a Hub id in; a
 * TextModel (sessions + tokenizer + config) out.
 *
 *   locate (download) ─► choose files ─► read config + tokenizer ─► open each ONNX file
 *   (vocabulary check, fused-op decomposition, site discovery) ─► family ─► TextModel
 */
import * as path from "node:path";
import { audioSpec } from "../audio/audioSpec";
import { AttnlensError } from "../errors";
import { type Engine, type Family, SingleFileEngine, SplitEngine } from "../run/engine";
import type { OpenOptions } from "../run/openModel";
import { type ModelInfo, TextModel } from "../run/textModel";
import { TextTokenizer } from "../text/textTokenizer";
import { type ModelConfig, readJsonFile, readModelConfig } from "./config";
import type { HubOptions } from "./hub/hubModel";
import { chooseLayout, isLayoutProblem, listModelDirectory, type ModelFiles } from "./layout";
import { type Located, locate } from "./locate";
import { openModelFile } from "./openFiles";

/** Options of `loadModel`: those of `openModel` (providers, …) and of the Hub download, plus text truncation. */
export interface LoadOptions extends OpenOptions, HubOptions {
  /** Default for run(): cut texts longer than the model's positions instead of refusing them. */
  truncate?: boolean;
}

/**
 * Opens a model by name for text in, attention out: an `.onnx` file, a model directory (optimum or
 * transformers.js layout), a Hugging Face Hub id, or a bundled demo name.
 */
export async function loadModel(source: string, options: LoadOptions = {}): Promise<TextModel> {
  const where = await locate(source, options);
  const files = chooseFiles(source, where, options);
  const at = (rel: string | null) => (rel ? path.join(where.dir, ...rel.split("/")) : null);
  const config = readModelConfig(at(files.config), at(files.generationConfig));
  const tokenizer = files.tokenizer
    ? TextTokenizer.fromFile(at(files.tokenizer) as string, at(files.tokenizerConfig) ?? undefined)
    : null;
  const engine = await openEngine(where, files, tokenizer, options);
  const info = modelInfo(source, where.dir, files, config, tokenizer, engine.family, options);
  const preprocessor = files.preprocessorConfig ? readJsonFile(at(files.preprocessorConfig) as string) : null;
  const audio = audioSpec(engine.models[0].inputs, config.raw, preprocessor);
  return new TextModel(engine, { ...info, audio }, tokenizer);
}

function chooseFiles(source: string, where: Located, options: LoadOptions): ModelFiles {
  const listing = listModelDirectory(where.dir);
  const layout = chooseLayout(
    where.file ? [...listing.filter((f) => !f.endsWith(".onnx")), where.file] : listing,
    options,
  );
  if (isLayoutProblem(layout)) {
    throw new AttnlensError(
      "MISSING_FILES",
      `no ONNX model to use in ${where.dir} (${source}): ${layout.problem}. Looked for: ${layout.lookedFor.join(", ")}`,
    );
  }
  return layout;
}

async function openEngine(
  where: Located,
  files: ModelFiles,
  tokenizer: TextTokenizer | null,
  options: LoadOptions,
): Promise<Engine> {
  if (files.kind === "split" && files.encoder && files.decoder) {
    const encoder = await openModelFile(where.dir, files.encoder, tokenizer, { ...options, stackHint: "encoder" });
    const decoder = await openModelFile(where.dir, files.decoder, tokenizer, { ...options, stackHint: "decoder" });
    return new SplitEngine(encoder, decoder, { encoder: files.encoder, decoder: files.decoder });
  }
  const rel = files.model as string;
  // A single file of an optimum pair named explicitly says which stack it is.
  const stackHint = /(^|\/)decoder[^/]*$/.test(rel)
    ? "decoder"
    : /(^|\/)encoder[^/]*$/.test(rel)
      ? "encoder"
      : options.stackHint;
  const model = await openModelFile(where.dir, rel, tokenizer, { ...options, stackHint });
  const family: Family = model.inputs.some((i) => i.name === "decoder_input_ids")
    ? "encoder-decoder"
    : model.sites.every((s) => s.stack === "decoder")
      ? "decoder"
      : "encoder";
  return new SingleFileEngine(model, family, rel);
}

function modelInfo(
  name: string,
  dir: string,
  files: ModelFiles,
  config: ModelConfig,
  tokenizer: TextTokenizer | null,
  family: Family,
  options: LoadOptions,
): ModelInfo {
  const declared = Number(tokenizer?.config.model_max_length);
  const maxPositions = config.maxPositions ?? (declared > 0 && declared < 1e6 ? declared : null);
  const eos = new Set(config.eosTokenIds);
  const tokEos = tokenizer?.specialId("eos");
  if (tokEos != null) eos.add(tokEos);
  const padId = tokenizer?.specialId("pad") ?? config.padTokenId ?? tokEos ?? config.eosTokenIds[0] ?? 0;
  const decoderStartId =
    family === "encoder-decoder" ? (config.decoderStartTokenId ?? config.padTokenId ?? config.bosTokenId) : null;
  return {
    name,
    dir,
    files,
    config,
    maxPositions,
    truncate: options.truncate ?? false,
    padId,
    eos,
    decoderStartId,
    audio: null,
  };
}
