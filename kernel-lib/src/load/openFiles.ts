/**
 * Opening one ONNX file of a model directory for attention: read once, check its token embedding
 * against the tokenizer, then surgery in the same buffer and a session (telling onnxruntime where
 * external weight files are) — errors name the file.
 */
import * as path from "node:path";
import { AttnlensError } from "../errors";
import { attentionGraph, decode } from "../graph/surgery/attentionGraph";
import type { AttentionModel } from "../run/attentionModel";
import { type OpenOptions, openAttentionGraph } from "../run/openModel";
import type { TextTokenizer } from "../text/textTokenizer";
import { checkVocabulary, tokenEmbedding } from "./embedding";
import { readModelArena } from "./modelFile";

export async function openModelFile(
  dir: string,
  rel: string,
  tokenizer: TextTokenizer | null,
  options: OpenOptions,
): Promise<AttentionModel> {
  const file = path.join(dir, ...rel.split("/"));
  let read: { arena: Uint8Array; bytes: Uint8Array };
  try {
    read = readModelArena(file);
  } catch (e) {
    // A file that is there but unreadable is a missing file of the model directory.
    if (e instanceof AttnlensError && e.message.startsWith("cannot read"))
      throw new AttnlensError("MISSING_FILES", e.message);
    throw e;
  }
  const decoded = decode(read.bytes, file);
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
    // Surgery edits the file's arena in place (see run/openModel.ts): the model's bytes exist once.
    const graph = attentionGraph(read.bytes, {
      arena: read.arena,
      stackHint: options.stackHint,
      inGraphMetrics: options.inGraphMetrics,
      valueNorms: options.valueNorms,
      maps: options.maps,
    });
    return await openAttentionGraph(graph, { ...options, sessionOptions });
  } catch (e) {
    if (e instanceof AttnlensError)
      throw new AttnlensError(e.code, `${file}: ${e.message.replace(/ in the model( bytes)?\b/, "")}`);
    throw e;
  }
}
