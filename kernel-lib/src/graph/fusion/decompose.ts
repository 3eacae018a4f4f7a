/**
 * Fused attention ops hide their probabilities. Each one attnlens knows is replaced by the same
 * computation in standard ops (its Softmax then becomes an ordinary attention site); the others
 * are left in place and reported with the reason they cannot be exposed.
 *
 *   fused node ─► decomposer ─► standard-op nodes writing the node's own outputs ─► spliced model
 */
import { GraphEmitter } from "../onnx/emitter";
import { editModel, type NodeSpec, type TensorSpec } from "../onnx/encode";
import { GraphIndex } from "../onnx/graphIndex";
import { defaultOpset, type OnnxModel, type OnnxNode } from "../onnx/model";
import type { RejectedSoftmax } from "../sites/types";
import { decomposeAttention, decomposeQAttention } from "./attention";
import type { Decomposer } from "./fusedContext";
import { decomposeGroupQueryAttention } from "./groupQueryAttention";
import { decomposeMultiHeadAttention } from "./multiHeadAttention";

const DECOMPOSERS: Record<string, Decomposer> = {
  Attention: decomposeAttention,
  QAttention: decomposeQAttention,
  MultiHeadAttention: decomposeMultiHeadAttention,
  GroupQueryAttention: decomposeGroupQueryAttention,
};

/** Fused ops attnlens recognizes but does not rewrite, with why. */
const NOT_DECOMPOSED: Record<string, string> = {
  PackedAttention: "its tokens are packed without padding (token offsets known only at run time)",
  PackedMultiHeadAttention: "its tokens are packed without padding (token offsets known only at run time)",
  DecoderMaskedMultiHeadAttention: "it decodes one token at a time over a beam-search cache buffer",
  DecoderMaskedSelfAttention: "it decodes one token at a time over a beam-search cache buffer",
  LongformerAttention: "its sliding-window plus global attention has no dense probability matrix",
  SparseAttention: "its block-sparse layout has no dense probability matrix",
  DecoderAttention: "it has no decomposition in attnlens (a legacy op of the BART beam-search export)",
  PagedAttention: "its paged KV cache layout is only known at run time",
  QOrderedAttention: "it runs on ordered (CUDA-only) int8 tensors",
  QOrderedLongformerAttention: "it runs on ordered (CUDA-only) int8 tensors",
};

export const FUSED_ATTENTION_OPS = new Set([...Object.keys(DECOMPOSERS), ...Object.keys(NOT_DECOMPOSED)]);

export interface Decomposition {
  /** The rewritten model, or null when no node was rewritten. */
  bytes: Uint8Array | null;
  /** Names of the fused nodes that were rewritten. */
  decomposed: string[];
  /** Fused nodes left as they are, each with the reason. */
  unexposable: RejectedSoftmax[];
}

export function decomposeFusedAttention(model: OnnxModel): Decomposition {
  const fused = model.graph.nodes.filter((n) => n.domain === "com.microsoft" && FUSED_ATTENTION_OPS.has(n.opType));
  const out: Decomposition = { bytes: null, decomposed: [], unexposable: [] };
  if (fused.length === 0) return out;
  const index = new GraphIndex(model.graph);
  const opset = defaultOpset(model);
  const addNodes: NodeSpec[] = [];
  const addInitializers: TensorSpec[] = [];
  const removeNodes = new Set<number>();
  for (const node of fused) {
    const name = nodeName(node);
    const why = reasonNot(node, opset);
    if (why) {
      out.unexposable.push({ node: name, reason: `fused com.microsoft.${node.opType}: ${why}` });
      continue;
    }
    // Every new name starts with the fused node's, so sites keep its module path.
    const e = new GraphEmitter(opset, { fresh: (_kind, hint, n) => `${name}/attnlens/${hint}_${n}` });
    const failed = DECOMPOSERS[node.opType](e, node, { index });
    if (failed) {
      out.unexposable.push({
        node: name,
        reason: `fused com.microsoft.${node.opType} cannot be decomposed: ${failed}`,
      });
      continue;
    }
    addNodes.push(...e.nodes);
    addInitializers.push(...e.initializers);
    removeNodes.add(node.index);
    out.decomposed.push(name);
  }
  if (removeNodes.size) out.bytes = editModel(model, { addNodes, addInitializers, removeNodes });
  return out;
}

function reasonNot(node: OnnxNode, opset: number): string | null {
  if (!(node.opType in DECOMPOSERS)) return NOT_DECOMPOSED[node.opType] ?? "attnlens has no decomposition for it";
  if (opset < 11) return `the model's opset ${opset} predates the ops the decomposition needs (Range, opset 11)`;
  return null;
}

function nodeName(n: OnnxNode): string {
  return n.name || `${n.opType}(${n.outputs[0]})`;
}
