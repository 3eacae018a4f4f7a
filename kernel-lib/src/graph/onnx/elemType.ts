/**
 * The element type of a value, from declarations or by following the ops that produced it: what
 * surgery declares on the graph outputs it adds (ONNX wants every graph output typed).
 */
import type { GraphIndex } from "./graphIndex";
import { attrInt } from "./model";
import { DataType } from "./schema";

const BOOLEAN_OPS = new Set([
  "Equal",
  "Less",
  "Greater",
  "LessOrEqual",
  "GreaterOrEqual",
  "Not",
  "And",
  "Or",
  "Xor",
  "IsNaN",
  "IsInf",
]);
const INT64_OPS = new Set(["Shape", "Size", "ArgMax", "ArgMin", "NonZero", "NonMaxSuppression"]);

/** The DataType of `name`, or null when the graph does not tell it. */
export function elemTypeOf(index: GraphIndex, name: string, depth = 0): number | null {
  const g = index.graph;
  const declared =
    g.valueInfo.get(name)?.elemType ??
    g.inputs.find((v) => v.name === name)?.elemType ??
    g.outputs.find((v) => v.name === name)?.elemType ??
    g.initializers.get(name)?.dataType;
  if (declared != null) return declared;
  const node = index.producer.get(name);
  if (!node || depth > 200) return null;
  if (node.opType === "Cast") return attrInt(node, "to") ?? null;
  if (node.opType === "Constant") return node.attributes.get("value")?.t?.dataType ?? null;
  if (BOOLEAN_OPS.has(node.opType)) return DataType.BOOL;
  if (INT64_OPS.has(node.opType)) return DataType.INT64;
  if (node.opType === "MatMulInteger" || node.opType === "ConvInteger") return DataType.INT32;
  if (node.opType === "DequantizeLinear") return elemTypeOf(index, node.inputs[1], depth + 1);
  // com.microsoft ops whose outputs do not take their first input's type (input_ids, int8 activations).
  if (node.opType === "EmbedLayerNormalization" || node.opType === "QEmbedLayerNormalization") {
    // mask_index is int32; the embeddings (and embedding_sum) have the word embedding's type, or for the
    // quantized op its scale's (input 8).
    if (name === node.outputs[1]) return DataType.INT32;
    return elemTypeOf(index, node.inputs[node.opType === "EmbedLayerNormalization" ? 2 : 8], depth + 1);
  }
  if (node.opType === "MatMulIntegerToFloat") return elemTypeOf(index, node.inputs[2], depth + 1);
  if (node.opType === "QAttention") return elemTypeOf(index, node.inputs[3], depth + 1);
  // Where's condition is boolean; its values carry the type. Other ops keep their first input's.
  const from = node.opType === "Where" ? node.inputs[1] : node.inputs[0];
  return from ? elemTypeOf(index, from, depth + 1) : null;
}
