/**
 * The tables of fused attention ops (com.microsoft's, and the standard domain's Attention of opset 23):
 * for each, the decomposer that rewrites it in standard ops, or why attnlens leaves it in place. Site discovery (which reports such nodes) and
 * decomposition (which rewrites them) both read it, so they always agree on what is fused.
 */
import type { OnnxNode } from "../onnx/model";
import { decomposeAttention, decomposeQAttention } from "./attention";
import type { Decomposer } from "./fusedContext";
import { decomposeGroupQueryAttention } from "./groupQueryAttention";
import { decomposeMultiHeadAttention } from "./multiHeadAttention";
import { decomposeOnnxAttention } from "./onnxAttention";

export type FusedOp = { decompose: Decomposer } | { notDecomposed: string };

const PACKED = "its tokens are packed without padding (token offsets known only at run time)";
const BEAM_CACHE = "it decodes one token at a time over a beam-search cache buffer";
const ORDERED_INT8 = "it runs on ordered (CUDA-only) int8 tensors";

export const FUSED_ATTENTION_OPS: Readonly<Record<string, FusedOp>> = {
  Attention: { decompose: decomposeAttention },
  QAttention: { decompose: decomposeQAttention },
  MultiHeadAttention: { decompose: decomposeMultiHeadAttention },
  GroupQueryAttention: { decompose: decomposeGroupQueryAttention },
  PackedAttention: { notDecomposed: PACKED },
  PackedMultiHeadAttention: { notDecomposed: PACKED },
  DecoderMaskedMultiHeadAttention: { notDecomposed: BEAM_CACHE },
  DecoderMaskedSelfAttention: { notDecomposed: BEAM_CACHE },
  LongformerAttention: { notDecomposed: "its sliding-window plus global attention has no dense probability matrix" },
  SparseAttention: { notDecomposed: "its block-sparse layout has no dense probability matrix" },
  DecoderAttention: {
    notDecomposed: "it has no decomposition in attnlens (a legacy op of the BART beam-search export)",
  },
  PagedAttention: { notDecomposed: "its paged KV cache layout is only known at run time" },
  QOrderedAttention: { notDecomposed: ORDERED_INT8 },
  QOrderedLongformerAttention: { notDecomposed: ORDERED_INT8 },
};

/** Fused attention in the standard domain: ai.onnx Attention (opset 23), torch's dynamo export of SDPA. */
export const STANDARD_ATTENTION_OPS: Readonly<Record<string, FusedOp>> = {
  Attention: { decompose: decomposeOnnxAttention },
};

const isStandard = (node: OnnxNode) => node.domain === "" || node.domain === "ai.onnx";

/** The tables' entry for a node, or undefined when the node is not a fused attention op. */
export function fusedAttentionOp(node: OnnxNode): FusedOp | undefined {
  const table =
    node.domain === "com.microsoft" ? FUSED_ATTENTION_OPS : isStandard(node) ? STANDARD_ATTENTION_OPS : undefined;
  return table && Object.hasOwn(table, node.opType) ? table[node.opType] : undefined;
}

/** The op as messages name it: com.microsoft.Attention, ai.onnx.Attention. */
export const fusedOpLabel = (node: OnnxNode) => `${isStandard(node) ? "ai.onnx" : node.domain}.${node.opType}`;
