/**
 * The model's own limits, read from its graph: how many token ids its embedding has rows for (the
 * Gather fed by input_ids), checked against the tokenizer before any text is run — a tokenizer
 * from another model would otherwise fail deep inside onnxruntime, or silently read wrong rows.
 */
import { AttnlensError } from "../errors";
import { GraphIndex } from "../graph/onnx/graphIndex";
import type { OnnxModel } from "../graph/onnx/model";

/** Ops that carry ids unchanged on their way to the embedding lookup. */
const ID_PASSTHROUGH = new Set(["Cast", "Identity", "Reshape", "Unsqueeze", "Squeeze", "Flatten"]);

export interface TokenEmbedding {
  /** Rows of the embedding table: the largest usable token id is rows − 1. */
  rows: number;
  /** Its initializer's name, for messages. */
  name: string;
}

export function tokenEmbedding(model: OnnxModel, idsInput = "input_ids"): TokenEmbedding | null {
  if (!model.graph.inputs.some((i) => i.name === idsInput)) return null;
  const index = new GraphIndex(model.graph);
  let frontier = [idsInput];
  for (let hop = 0; hop < 6 && frontier.length; hop++) {
    const next: string[] = [];
    for (const v of frontier) {
      for (const n of index.consumersOf(v)) {
        const table = lookupTable(n.opType, n.domain, n.inputs, v);
        const t = table ? index.constant(table) : null;
        if (t && t.dims.length === 2) return { rows: t.dims[0], name: t.name || table || "" };
        if (n.domain === "" && ID_PASSTHROUGH.has(n.opType) && n.inputs[0] === v) next.push(n.outputs[0]);
      }
    }
    frontier = next;
  }
  return null;
}

/** The embedding table a node looks ids up in, when `ids` is its index input. */
function lookupTable(op: string, domain: string, inputs: string[], ids: string): string | null {
  if (domain === "" && op === "Gather" && inputs[1] === ids) return inputs[0];
  if (domain === "com.microsoft" && op === "EmbedLayerNormalization" && inputs[0] === ids) return inputs[2];
  return null;
}

/** Refuses a tokenizer whose ids do not all have a row in the model's token embedding. */
export function checkVocabulary(
  tokenizerVocab: number,
  embedding: TokenEmbedding | null,
  tokenizerFile: string,
  modelFile: string,
): void {
  if (!embedding || tokenizerVocab <= embedding.rows) return;
  throw new AttnlensError(
    "BAD_TOKENIZER",
    `${tokenizerFile} does not belong to ${modelFile}: the tokenizer has ids up to ${tokenizerVocab - 1}, ` +
      `but the model's token embedding (${embedding.name}, fed by input_ids) has only ${embedding.rows} rows. ` +
      "Use the tokenizer.json exported with this model",
  );
}
