/**
 * Capture surgery, the graph half: the model whose session a lazy run uses. It outputs what the
 * capture plan needs (queries, keys, side tensors; the maps of sites held full) and never the
 * maps of lazy sites.
 *
 * Fused attention ops (com.microsoft Attention / MultiHeadAttention / GroupQueryAttention, ONNX
 * Attention) stay fused: onnxruntime's kernels never hold a whole map. Only the part of their
 * decomposition that computes what the plan needs (the Q/K branch: projections split, rotary,
 * repeated KV heads) is added beside them; its products, Softmax and ·V are left out. Layouts
 * onnxruntime's CPU kernels do not implement (MultiHeadAttention with packed QKV or KV) are
 * replaced by their decomposition, as `maps: "full"` does.
 *
 * Sites the export already decomposed (MatMul → … → Softmax → MatMul) have their score path
 * written one head at a time (perHeadScores.ts), so onnxruntime never holds a layer's whole scores.
 */

import { fusedAttentionOp } from "../fusion/fusedOps";
import { GraphEmitter } from "../onnx/emitter";
import { editModel, type NodeSpec, type TensorSpec } from "../onnx/encode";
import { GraphIndex } from "../onnx/graphIndex";
import { defaultOpset, type OnnxModel, type OnnxNode } from "../onnx/model";
import { rankOf } from "../onnx/shapeEval";
import { typedOutput } from "../surgery/exposeSites";
import { type PerHeadSite, perHeadEdit } from "./perHeadScores";

/**
 * `original`: the model before fused ops were decomposed; `decomposed`: after (sites and `wanted`
 * values are named in it). Returns the original's bytes with the wanted values as outputs, and per
 * site in `perHead` "per-head" or why its exported score path was kept.
 */
export function lazyGraphBytes(
  original: OnnxModel,
  decomposed: OnnxModel,
  wanted: readonly string[],
  maps: ReadonlySet<string> = new Set(),
  perHead: readonly PerHeadSite[] = [],
): { bytes: Uint8Array; perHead: Map<string, string> } {
  const { nodes, initializers, replaced } = decompositions(original);
  const have = new Set<string>([
    ...original.graph.inputs.map((v) => v.name),
    ...original.graph.initializers.keys(),
    ...original.graph.nodes.flatMap((n) => n.outputs),
    ...[...replaced.values()].flatMap((r) => r.nodes.flatMap((n) => n.outputs)),
  ]);
  const byOutput = new Map<string, NodeSpec>();
  for (const n of nodes) for (const o of n.outputs) if (o) byOutput.set(o, n);
  const inits = new Map(initializers.map((t) => [t.name, t]));
  // Backward slice over the decomposition's nodes, stopping at values the original graph has.
  const addNodes = new Set<NodeSpec>();
  const addInits = new Set<TensorSpec>();
  const stack = wanted.filter((w) => !have.has(w));
  const seen = new Set<string>();
  while (stack.length) {
    const v = stack.pop() as string;
    if (seen.has(v) || have.has(v)) continue;
    seen.add(v);
    const init = inits.get(v);
    if (init) {
      addInits.add(init);
      continue;
    }
    const n = byOutput.get(v);
    if (!n) throw new Error(`lazy graph: ${v} is neither in the model nor in its decomposition`);
    addNodes.add(n);
    for (const i of n.inputs) if (i) stack.push(i);
  }
  // Emitted nodes come in topological order; keep it (ONNX requires it of the file).
  const ordered = nodes.filter((n) => addNodes.has(n));
  // The decomposition writes some of the fused node's own outputs (present keys): those stay the fused node's.
  const kept = ordered.filter((n) => !n.outputs.some((o) => o && have.has(o)));
  const outIndex = new GraphIndex(decomposed.graph);
  const existing = new Set(original.graph.outputs.map((o) => o.name));
  const heads = perHeadEdit(new GraphIndex(original.graph), defaultOpset(original), perHead, new Set(wanted));
  const bytes = editModel(original, {
    replaceNodes: new Map([...heads.replace, ...[...replaced].map(([i, r]) => [i, r.nodes] as const)]),
    addNodes: kept,
    addInitializers: [...addInits, ...[...replaced.values()].flatMap((r) => r.initializers), ...heads.initializers],
    // Maps are typed as exposeSites types them; captured values are left for onnxruntime to infer.
    addOutputs: wanted
      .filter((w) => !existing.has(w))
      .map((w) => (maps.has(w) ? typedOutput(outIndex, w) : { name: w })),
  });
  return { bytes, perHead: heads.outcome };
}

interface Emitted {
  nodes: NodeSpec[];
  initializers: TensorSpec[];
}

/**
 * Every fused node's decomposition, emitted exactly as fusion/decompose.ts emits it (same names):
 * beside the kept node, or in `replaced` (by node index) where onnxruntime's CPU kernel does not
 * run the node's layout, so the fused node cannot stay.
 */
function decompositions(model: OnnxModel): Emitted & { replaced: Map<number, Emitted> } {
  const index = new GraphIndex(model.graph);
  const opset = defaultOpset(model);
  const nodes: NodeSpec[] = [];
  const initializers: TensorSpec[] = [];
  const replaced = new Map<number, Emitted>();
  for (const node of model.graph.nodes) {
    const op = fusedAttentionOp(node);
    if (!op || !("decompose" in op)) continue;
    const name = node.name || `${node.opType}(${node.outputs[0]})`;
    const e = new GraphEmitter(opset, { fresh: (_kind, hint, n) => `${name}/attnlens/${hint}_${n}` });
    if (op.decompose(e, node, { index })) continue;
    if (cpuCannotRun(index, node)) replaced.set(node.index, { nodes: e.nodes, initializers: e.initializers });
    else {
      nodes.push(...e.nodes);
      initializers.push(...e.initializers);
    }
  }
  return { nodes, initializers, replaced };
}

/** MultiHeadAttention with packed QKV or packed KV (rank-5 query or key): not implemented on onnxruntime's CPU. */
function cpuCannotRun(index: GraphIndex, node: OnnxNode): boolean {
  if (node.opType !== "MultiHeadAttention") return false;
  return [node.inputs[0], node.inputs[1]].some((i) => i && rankOf(index, i) === 5);
}
