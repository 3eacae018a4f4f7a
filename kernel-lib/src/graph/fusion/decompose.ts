/**
 * Fused attention ops hide their probabilities. Each one attnlens knows is replaced by the same
 * computation in standard ops (its Softmax then becomes an ordinary attention site); the others
 * are left in place and reported with the reason they cannot be exposed.
 *
 *   fused node ─► decomposer ─► standard-op nodes writing the node's own outputs ─► spliced model
 *
 * The replacement nodes take the fused node's place in graph.node, so the graph stays in the
 * topological order ONNX requires (onnxruntime re-sorts; other runtimes do not).
 */
import { GraphEmitter } from "../onnx/emitter";
import { editModel, type NodeSpec, type TensorSpec } from "../onnx/encode";
import { GraphIndex } from "../onnx/graphIndex";
import { defaultOpset, type OnnxModel, type OnnxNode } from "../onnx/model";
import type { RejectedSoftmax } from "../sites/types";
import type { Decomposer } from "./fusedContext";
import { fusedAttentionOp, fusedOpLabel } from "./fusedOps";

export interface Decomposition {
  /** The rewritten model, or null when no node was rewritten. */
  bytes: Uint8Array | null;
  /** Names of the fused nodes that were rewritten. */
  decomposed: string[];
  /** Fused nodes left as they are, each with the reason. */
  unexposable: RejectedSoftmax[];
}

/** `arena`: a buffer holding model.bytes that the rewrite may reuse (see editModel). */
export function decomposeFusedAttention(model: OnnxModel, arena?: Uint8Array): Decomposition {
  const fused = model.graph.nodes.filter((n) => fusedAttentionOp(n));
  const out: Decomposition = { bytes: null, decomposed: [], unexposable: [] };
  if (fused.length === 0) return out;
  const index = new GraphIndex(model.graph);
  const opset = defaultOpset(model);
  const replaceNodes = new Map<number, NodeSpec[]>();
  const addInitializers: TensorSpec[] = [];
  for (const node of fused) {
    const name = nodeName(node);
    const why = reasonNot(node, opset);
    if (why) {
      out.unexposable.push({ node: name, reason: `fused ${fusedOpLabel(node)}: ${why}` });
      continue;
    }
    // Every new name starts with the fused node's, so sites keep its module path.
    const e = new GraphEmitter(opset, { fresh: (_kind, hint, n) => `${name}/attnlens/${hint}_${n}` });
    const failed = decomposerOf(node)(e, node, { index });
    if (failed) {
      out.unexposable.push({
        node: name,
        reason: `fused ${fusedOpLabel(node)} cannot be decomposed: ${failed}`,
      });
      continue;
    }
    replaceNodes.set(node.index, e.nodes);
    addInitializers.push(...e.initializers);
    out.decomposed.push(name);
  }
  if (replaceNodes.size) out.bytes = editModel(model, { addInitializers, replaceNodes }, arena);
  return out;
}

function decomposerOf(node: OnnxNode): Decomposer {
  const op = fusedAttentionOp(node);
  if (!op || !("decompose" in op)) throw new Error(`${node.opType} has no decomposer`);
  return op.decompose;
}

function reasonNot(node: OnnxNode, opset: number): string | null {
  const op = fusedAttentionOp(node);
  if (op && "notDecomposed" in op) return op.notDecomposed;
  if (opset < 11) return `the model's opset ${opset} predates the ops the decomposition needs (Range, opset 11)`;
  return null;
}

function nodeName(n: OnnxNode): string {
  return n.name || `${n.opType}(${n.outputs[0]})`;
}
