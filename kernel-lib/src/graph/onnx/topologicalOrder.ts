/**
 * ONNX requires graph.node to be topologically sorted: every node input is a graph input, an
 * initializer or an earlier node's output. onnxruntime re-sorts a graph that breaks the rule;
 * other runtimes and onnx.checker reject it. Surgery checks its output against this rule in tests.
 */
import type { OnnxGraph } from "./model";

/** The first node that reads a value no earlier node, input or initializer provides; null if none. */
export function firstOutOfOrder(graph: OnnxGraph): { node: string; input: string } | null {
  const known = new Set<string>(["", ...graph.initializers.keys(), ...graph.inputs.map((v) => v.name)]);
  for (const node of graph.nodes) {
    const missing = node.inputs.find((i) => !known.has(i));
    if (missing !== undefined) return { node: node.name || `${node.opType}#${node.index}`, input: missing };
    for (const o of node.outputs) known.add(o);
  }
  return null;
}
