/**
 * Static head count of a site, read from the Reshape that splits the query into heads:
 * [B, T, H, d] (BERT, GPT-2, T5) or [B·H, T, d] / [T, B·H, d] (BART, torch.nn.MultiheadAttention),
 * where H appears as a constant factor of an unknown size. 0 when it cannot be told statically;
 * run-time dims then decide (see result/layout).
 */
import type { GraphIndex } from "../onnx/graphIndex";
import { evaluateInts } from "../onnx/shapeEval";

/** Ops on the query path between its projection and QKᵀ. */
const QUERY_PATH = new Set([
  "Reshape",
  "Transpose",
  "Mul",
  "Div",
  "Add",
  "Cast",
  "Split",
  "Slice",
  "Gather",
  "Identity",
  "Squeeze",
  "Unsqueeze",
  "Concat",
  "Sqrt",
  "Neg",
  "Sub",
  "Rotary",
  "RotaryEmbedding",
]);
const MAX_HOPS = 16;

export function staticHeads(index: GraphIndex, queryOrKey: readonly string[]): number {
  for (const start of queryOrKey) {
    const h = headsOnPath(index, start);
    if (h > 0) return h;
  }
  return 0;
}

function headsOnPath(index: GraphIndex, start: string): number {
  const seen = new Set<string>();
  let frontier = [start];
  for (let hop = 0; hop < MAX_HOPS && frontier.length; hop++) {
    const next: string[] = [];
    for (const v of frontier) {
      if (seen.has(v)) continue;
      seen.add(v);
      const n = index.producer.get(v);
      if (!n || !QUERY_PATH.has(n.opType)) continue;
      if (n.opType === "Reshape") {
        const h = headsFromShape(evaluateInts(index, n.inputs[1]));
        if (h > 0) return h;
      }
      // Follow the data input only (shape/axes inputs are not the query).
      const data = n.opType === "Concat" ? n.inputs : [n.inputs[0]];
      for (const i of data) if (i && index.isActivation(i)) next.push(i);
      if (n.opType === "Mul" || n.opType === "Div" || n.opType === "Add" || n.opType === "Sub") {
        if (n.inputs[1] && index.isActivation(n.inputs[1])) next.push(n.inputs[1]);
      }
    }
    frontier = next;
  }
  return 0;
}

function headsFromShape(shape: ReturnType<typeof evaluateInts>): number {
  if (!Array.isArray(shape)) return 0;
  for (const d of shape) if (typeof d === "object" && d.factor > 1) return d.factor;
  if (shape.length === 4) {
    const h = shape[2];
    const d = shape[3];
    if (typeof h === "number" && h > 0 && (typeof d !== "number" || d === -1 || d > 0)) return h;
  }
  return 0;
}
