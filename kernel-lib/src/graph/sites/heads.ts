/**
 * Static head count of a site, read from the Reshape that splits the query into heads:
 * [B, T, H, d] (BERT, GPT-2, T5), [B, H, T, d] with T known only at run time (Falcon), or
 * [B·H, T, d] / [T, B·H, d] (BART, torch.nn.MultiheadAttention),
 * where H appears as a constant factor of an unknown size. 0 when it cannot be told statically;
 * run-time dims then decide (see result/layout).
 *
 * Grouped-query attention (Llama, Mistral, Qwen2, Gemma) splits the query into H heads but the keys
 * and values into fewer, then repeats them: [B, kv·n_rep, S, d], whose "× n_rep" is no head count.
 * So the query is read first, and its [B, T, −1, d] split (transformers' `view(…, -1, head_dim)`)
 * gives H = width / d when the projection's width is a weight's. The key path is a fallback only.
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
  for (const [i, start] of queryOrKey.entries()) {
    // Only the query's width splits into H heads: a GQA key's splits into fewer.
    const h = headsOnPath(index, start, i === 0);
    if (h > 0) return h;
  }
  return 0;
}

function headsOnPath(index: GraphIndex, start: string, isQuery: boolean): number {
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
        const shape = evaluateInts(index, n.inputs[1]);
        const h = headsFromShape(shape) || (isQuery ? headsFromWidth(index, n.inputs[0], shape) : 0);
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
  // A factor is a head count only where heads fold into another axis ([B·H, T, d], [T, B·H, d]).
  if (shape.length === 3) for (const d of shape) if (typeof d === "object" && d.factor > 1) return d.factor;
  if (shape.length === 4) {
    const d = shape[3];
    if (typeof d === "number" && d < -1) return 0;
    const [, a, h] = shape;
    if (typeof h === "number" && h > 0) return h; // [B, T, H, d]
    // [B, H, T, d] (a split already transposed, Falcon): a known count before a run-time length.
    if (typeof a === "number" && a > 0 && typeof h === "object") return a;
  }
  return 0;
}

/** [B, T, −1, d] of a projection whose width W is a weight's last dim: H = W / d. */
function headsFromWidth(index: GraphIndex, data: string, shape: ReturnType<typeof evaluateInts>): number {
  if (!Array.isArray(shape) || shape.length !== 4 || shape[2] !== -1) return 0;
  const d = shape[3];
  const width = projectionWidth(index, data);
  return typeof d === "number" && d > 0 && width > 0 && width % d === 0 ? width / d : 0;
}

/** The output width of x·W (+ b): W's last dim, through a bias Add. 0 when W is not an initializer. */
function projectionWidth(index: GraphIndex, name: string): number {
  let n = index.producer.get(name);
  if (n?.opType === "Add") {
    const from = n.inputs.find((i) => index.producer.get(i)?.opType === "MatMul");
    n = from ? index.producer.get(from) : undefined;
  }
  if (n?.opType !== "MatMul") return 0;
  const w = index.graph.initializers.get(n.inputs[1]);
  return w?.dims.length === 2 ? Number(w.dims[1]) : 0;
}
