/**
 * The local shape of an attention block around its Softmax: scores come from a product of two
 * activations (QKᵀ), possibly scaled, masked and biased; probabilities go on to multiply values.
 */
import type { GraphIndex } from "../onnx/graphIndex";
import type { OnnxNode } from "../onnx/model";

/** Element-wise ops on scores (scaling, masks, position bias, casts, soft-capping): no axis is named. */
export const SCORE_ELEMENTWISE: ReadonlySet<string> = new Set([
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Where",
  "Cast",
  "Identity",
  "Clip",
  "Max",
  "Min",
  "Tanh",
  "Neg",
]);
/** Shape ops on scores that keep the last two axes (target, source) where they are. */
export const SCORE_RESHAPES: ReadonlySet<string> = new Set(["Reshape", "Unsqueeze", "Squeeze", "Expand"]);
/** Ops that may sit between QKᵀ and the Softmax: scaling, masks, position bias, reshapes, casts. */
const SCORE_PASSTHROUGH = new Set([...SCORE_ELEMENTWISE, ...SCORE_RESHAPES, "Transpose"]);
/** Ops that may sit between the Softmax and the product with values. */
const PROB_PASSTHROUGH = new Set([
  "Cast",
  "Dropout",
  "Identity",
  "Where",
  "Reshape",
  "Mul",
  "Transpose",
  "Squeeze",
  "Unsqueeze",
  // Dynamic int8 quantization of the ·V product (onnxruntime quantize_dynamic, MatMulConstBOnly off).
  "DynamicQuantizeLinear",
]);
/** Ops that multiply two tensors the way QKᵀ and AV are computed (MatMulInteger: quantized exports). */
const PRODUCTS = new Set(["MatMul", "Einsum", "FusedMatMul", "MatMulInteger"]);

const MAX_HOPS = 10;

export interface ScorePath {
  /** The MatMul/Einsum computing the raw scores. */
  product: OnnxNode;
  /** Nodes between the product and the Softmax (exclusive). */
  between: OnnxNode[];
  /** Values entering `between` that do not come from the product: masks, biases, scales. */
  sideInputs: string[];
}

function isProduct(n: OnnxNode): boolean {
  return PRODUCTS.has(n.opType) && (n.domain === "" || n.domain === "com.microsoft");
}

/** Walks back from the Softmax input to the QKᵀ product; null when there is none. */
export function findScorePath(index: GraphIndex, softmaxInput: string): ScorePath | null {
  // Depth-first search over passthrough ops; returns the first product of two activations.
  const visit = (value: string, hops: number, trail: OnnxNode[]): ScorePath | null => {
    const n = index.producer.get(value);
    if (!n || hops > MAX_HOPS) return null;
    if (isProduct(n)) {
      const acts = n.inputs.filter((i) => i && index.isActivation(i));
      if (acts.length >= 2) return { product: n, between: trail, sideInputs: [] };
      return null;
    }
    if (!SCORE_PASSTHROUGH.has(n.opType) || n.domain !== "") return null;
    for (const input of n.inputs) {
      if (!input || !index.isActivation(input)) continue;
      const found = visit(input, hops + 1, [...trail, n]);
      if (found) return found;
    }
    return null;
  };
  const path = visit(softmaxInput, 0, []);
  if (!path) return null;
  const onPath = new Set<string>([path.product.outputs[0], ...path.between.flatMap((n) => n.outputs)]);
  for (const n of path.between) for (const i of n.inputs) if (i && !onPath.has(i)) path.sideInputs.push(i);
  return path;
}

/** Walks forward from the probabilities to the product with values; null when there is none. */
export function findValueProduct(index: GraphIndex, probs: string): OnnxNode | null {
  const visit = (value: string, hops: number): OnnxNode | null => {
    if (hops > MAX_HOPS) return null;
    for (const c of index.consumersOf(value)) {
      if (isProduct(c)) {
        const other = c.inputs.find((i) => i && i !== value);
        if (other && index.isActivation(other)) return c;
        continue;
      }
      if (PROB_PASSTHROUGH.has(c.opType) && c.domain === "") {
        const found = visit(c.outputs[0], hops + 1);
        if (found) return found;
      }
    }
    return null;
  };
  return visit(probs, 0);
}

/**
 * Follows probabilities through value-preserving ops to a graph output that already holds them.
 * `throughReshape` allows a Reshape (e.g. [B·H, T, S] → [B, H, T, S]), which keeps the last axis
 * only when the Softmax ran over it.
 */
export function findExistingOutput(index: GraphIndex, probs: string, throughReshape: boolean): string | null {
  const passes = (op: string) =>
    op === "Identity" || op === "Dropout" || op === "Cast" || (throughReshape && op === "Reshape");
  let frontier = [probs];
  for (let hops = 0; hops <= MAX_HOPS && frontier.length; hops++) {
    const hit = frontier.find((v) => index.graphOutputs.has(v));
    if (hit) return hit;
    frontier = frontier.flatMap((v) =>
      index
        .consumersOf(v)
        .filter((c) => c.domain === "" && passes(c.opType) && c.inputs[0] === v)
        .map((c) => c.outputs[0]),
    );
  }
  return null;
}
