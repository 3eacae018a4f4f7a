/**
 * Opening one ONNX file of a model directory for attention: read once, check its token embedding
 * against the tokenizer, then openModel on the bytes (telling onnxruntime where external weight
 * files are) — errors name the file.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { AttnlensError } from "../errors";
import type { AttentionModel } from "../run/attentionModel";
import { decode, type OpenOptions, openModel } from "../run/openModel";
import type { TextTokenizer } from "../text/textTokenizer";
import { checkVocabulary, tokenEmbedding } from "./embedding";

export async function openModelFile(
  dir: string,
  rel: string,
  tokenizer: TextTokenizer | null,
  options: OpenOptions,
): Promise<AttentionModel> {
  const file = path.join(dir, ...rel.split("/"));
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new AttnlensError("MISSING_FILES", `cannot read ${file}: ${(e as Error).message}`);
  }
  const decoded = decode(bytes, file);
  if (tokenizer) checkVocabulary(tokenizer.vocabSize, tokenEmbedding(decoded), tokenizer.source, file);
  const sessionOptions = { ...options.sessionOptions };
  if ([...decoded.graph.initializers.values()].some((t) => t.external)) {
    // Loaded from memory, the model cannot say where its external weights are: tell onnxruntime.
    sessionOptions.extra = {
      ...sessionOptions.extra,
      session: { model_external_initializers_file_folder_path: path.dirname(file) },
    };
  }
  try {
    return await openModel(bytes, { ...options, sessionOptions });
  } catch (e) {
    if (e instanceof AttnlensError)
      throw new AttnlensError(e.code, `${file}: ${e.message.replace(/ in the model( bytes)?\b/, "")}`);
    throw e;
  }
}
