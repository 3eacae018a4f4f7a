/**
 * Static ranks of a fused op's inputs, which tell its input layouts apart (packed QKV [B,L,N,3,H],
 * BSH [B,S,D], BNSH [B,N,S,H], mask formats). Extends the generic rank inference with the
 * contrib ops that surround fused attention in optimized graphs.
 */
import type { GraphIndex } from "../onnx/graphIndex";
import { attrInt } from "../onnx/model";
import { rankOf } from "../onnx/shapeEval";

/** com.microsoft ops whose first output has the rank of their first input. */
const SAME_RANK = new Set([
  "SkipLayerNormalization",
  "SkipSimplifiedLayerNormalization",
  "SimplifiedLayerNormalization",
  "LayerNormalization",
  "FastGelu",
  "BiasGelu",
  "Gelu",
  "QuickGelu",
  "BiasAdd",
  "BiasSoftmax",
  "FusedMatMul",
  "MatMulNBits",
  "MatMulIntegerToFloat",
  "DynamicQuantizeMatMul",
  "RotaryEmbedding",
]);
/** Fused attention ops and EmbedLayerNormalization output [B, S, D]. */
const RANK_3 = new Set([
  "Attention",
  "MultiHeadAttention",
  "GroupQueryAttention",
  "QAttention",
  "EmbedLayerNormalization",
  "QEmbedLayerNormalization",
]);
const EMBED_LAYER_NORM = new Set(["EmbedLayerNormalization", "QEmbedLayerNormalization"]);

export function staticRank(index: GraphIndex, name: string, depth = 0): number | null {
  if (!name || depth > 32) return null;
  const known = rankOf(index, name);
  if (known != null) return known;
  const n = index.producer.get(name);
  if (!n) return null;
  if (n.domain === "com.microsoft") {
    if (RANK_3.has(n.opType) && n.outputs[0] === name) return 3;
    // (Q)EmbedLayerNormalization's mask_index is the [B] count of real tokens (the optimizer's default
    // MaskIndexEnd format); its optional embedding_sum is [B, S, D] like its first output.
    if (EMBED_LAYER_NORM.has(n.opType)) return n.outputs[1] === name ? 1 : n.outputs[2] === name ? 3 : null;
    if (SAME_RANK.has(n.opType)) return staticRank(index, n.inputs[0], depth + 1);
    return null;
  }
  if (n.opType === "ReduceSum" || n.opType === "ReduceMax" || n.opType === "ReduceMin") {
    const r = staticRank(index, n.inputs[0], depth + 1);
    if (r == null || attrInt(n, "keepdims", 1)) return r;
    const attrAxes = n.attributes.get("axes")?.ints;
    const inputAxes = n.inputs[1] ? index.constant(n.inputs[1]) : null;
    // No axes at all reduces every axis.
    const count = attrAxes ? attrAxes.length : inputAxes ? (inputAxes.dims[0] ?? 1) : r;
    return r - count;
  }
  if (n.opType === "DequantizeLinear" || n.opType === "QuantizeLinear" || n.opType === "DynamicQuantizeLinear") {
    return staticRank(index, n.inputs[0], depth + 1);
  }
  return null;
}
