/**
 * The value side of an attention site, for norm-based attention (Kobayashi et al. 2020): the
 * value tensor the probabilities multiply (·V, one vector per head and source), and the output
 * projection W_O that follows once the heads are merged back. In a standard export:
 *
 *   Softmax ─► MatMul(·, V) ─► Transpose ─► Reshape (merge heads) ─► [Reshape] ─► MatMul/Gemm(·, W_O)
 *
 * V is taken where the product reads it, so fused QKV projections (a Split or Slice of one
 * MatMul) and value biases are already in it. W_O must be a weight (an initializer) of shape
 * [H·d, D] (MatMul, Gemm) or [D, H·d] (Gemm with transB); anything else leaves it out.
 */
import type { GraphIndex } from "../onnx/graphIndex";
import { attrInt, type OnnxNode } from "../onnx/model";
import { findValueProduct } from "./scorePath";
import type { AttentionSite } from "./types";

/** Ops between the ·V product and the output projection: the head merge. */
const MERGE_PASSTHROUGH = new Set(["Transpose", "Reshape", "Identity", "Cast", "Dropout"]);
const MAX_HOPS = 6;

/** The output projection of a site: an initializer and how it is laid out. */
export interface OutputProjection {
  /** The initializer holding W_O. */
  weight: string;
  /** True when it is stored [D_out, H·d] (Gemm transB = 1). */
  transposed: boolean;
  /** H·d, the merged heads' width. */
  width: number;
}

/** What norm-based attention needs of one site, or why it cannot have it. */
export interface ValuePath {
  /** The value tensor read by the ·V product ([B, H, S, d] or [B·H, S, d]); null when not found. */
  value: string | null;
  /** The probabilities as the ·V product reads them; null when not found. */
  probabilities?: string;
  /** The output projection after the head merge; null when it was not found (value norms only). */
  projection: OutputProjection | null;
  /** Why something is missing, for the result's note. */
  reason?: string;
}

function softmaxOf(index: GraphIndex, site: AttentionSite): OnnxNode | undefined {
  return index.order.find(
    (n) => n.opType === "Softmax" && (n.name === site.node || `Softmax(${n.outputs[0]})` === site.node),
  );
}

export function findValuePath(index: GraphIndex, site: AttentionSite): ValuePath {
  const softmax = softmaxOf(index, site);
  if (!softmax) return { value: null, projection: null, reason: "the site has no Softmax node in the graph" };
  const product = findValueProduct(index, softmax.outputs[0]);
  if (product?.opType !== "MatMul")
    return { value: null, projection: null, reason: "the product with the values is not a plain MatMul" };
  // The probabilities are the product's first input in every export seen; the values the second.
  const [probabilities, value] = product.inputs;
  const projection = findProjection(index, product.outputs[0]);
  return projection
    ? { value, probabilities, projection }
    : {
        value,
        probabilities,
        projection: null,
        reason: "no output projection (a MatMul/Gemm with a weight) after the head merge",
      };
}

function findProjection(index: GraphIndex, from: string): OutputProjection | null {
  let frontier = [from];
  for (let hop = 0; hop < MAX_HOPS && frontier.length; hop++) {
    const next: string[] = [];
    for (const v of frontier) {
      for (const c of index.consumersOf(v)) {
        if (c.domain !== "") continue;
        if ((c.opType === "MatMul" || c.opType === "Gemm") && c.inputs[0] === v) {
          const w = index.graph.initializers.get(c.inputs[1]);
          if (w?.dims.length !== 2) continue;
          const transposed = c.opType === "Gemm" && attrInt(c, "transB", 0) === 1;
          if (c.opType === "Gemm" && attrInt(c, "transA", 0) === 1) continue;
          return { weight: w.name, transposed, width: transposed ? w.dims[1] : w.dims[0] };
        }
        if (MERGE_PASSTHROUGH.has(c.opType) && c.inputs[0] === v) next.push(c.outputs[0]);
      }
    }
    frontier = next;
  }
  return null;
}
