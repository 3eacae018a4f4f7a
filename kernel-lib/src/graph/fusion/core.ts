/**
 * Scaled dot-product attention in standard ops, the shape site discovery recognizes:
 *
 *   MatMul(Q, Kᵀ) → Mul(scale) [→ softcap] → Add(mask …) → Softmax(last axis) → MatMul(·, V)
 *
 * Q, K, V are [B, N, S|T, H] float32; the result is written back as [B, S, N·Hv].
 */
import type { GraphEmitter } from "../onnx/emitter";
import type { OnnxNode } from "../onnx/model";

/** Reshape [B, S, N·H] → [B, S, N, H] → Transpose → [B, N, S, H]. */
export function splitHeads(e: GraphEmitter, x: string, heads: number): string {
  const r = e.op("Reshape", [x, e.i64([0, 0, heads, -1])]);
  return e.op("Transpose", [r], { perm: { ints: [0, 2, 1, 3] } });
}

/** [B, N, S, H] → [B, S, N·H]. */
export function mergeHeads(e: GraphEmitter, x: string, output?: string): string {
  const t = e.op("Transpose", [x], { perm: { ints: [0, 2, 1, 3] } });
  return e.op("Reshape", [t, e.i64([0, 0, -1])], undefined, output);
}

/**
 * Keys and values after the cache: the past [B, N, P, H] before the new [B, N, T, H] along the
 * sequence, also written to the node's present outputs (its outputs 1 and 2) where it has them.
 */
export function withCache(
  e: GraphEmitter,
  node: OnnxNode,
  k: string,
  v: string,
  pastKey: string | null | undefined,
  pastValue: string | null | undefined,
): [string, string] {
  if (pastKey && pastValue) {
    k = e.op("Concat", [pastKey, k], { axis: { i: 2 } });
    v = e.op("Concat", [pastValue, v], { axis: { i: 2 } });
  }
  if (node.outputs[1]) e.op("Identity", [k], undefined, node.outputs[1]);
  if (node.outputs[2]) e.op("Identity", [v], undefined, node.outputs[2]);
  return [k, v];
}

/** Repeats each of the Nkv key/value heads N/Nkv times (grouped-query attention) → [B, N, T, H]. */
export function repeatKv(e: GraphEmitter, x: string, groups: number): string {
  if (groups === 1) return x;
  const tiled = e.op("Tile", [e.unsqueeze(x, [2]), e.i64([1, 1, groups, 1, 1])]);
  // Target shape [B, N, T, H] read from the tensor itself: the head size may be unknown statically.
  const shape = e.op("Concat", [e.dim(x, 0), e.i64([-1]), e.dim(x, 2), e.dim(x, 3)], { axis: { i: 0 } });
  return e.op("Reshape", [tiled, shape]);
}

export interface ScoreTerms {
  /** Multiplies QKᵀ; null for 1/√H with H read from Q's shape at run time. */
  scale: number | null;
  /** softcap·tanh(scores/softcap) before masking (Gemma-style); 0 for none. */
  softcap?: number;
  /** Float tensors broadcastable to [B, N, S, T], added after scaling: masks, attention bias. */
  additive: readonly string[];
}

export interface Attended {
  /** The Softmax output: [B, N, S, T] probabilities. */
  probs: string;
  /** The masked, scaled scores that enter the Softmax. */
  scores: string;
  /** The context, [B, S, N·Hv] or [B, N, S, Hv] by `layout`, named `output` when given. */
  context: string;
}

/** `layout`: the context merged to [B, S, N·Hv] (the fused ops' usual output), or kept as [B, N, S, Hv]. */
export function attend(
  e: GraphEmitter,
  q: string,
  k: string,
  v: string,
  terms: ScoreTerms,
  output?: string,
  layout: "merged" | "heads" = "merged",
): Attended {
  const kt = e.op("Transpose", [k], { perm: { ints: [0, 1, 3, 2] } });
  const scale = terms.scale ?? e.op("Reciprocal", [e.op("Sqrt", [e.toFloat(e.scalarDim(q, 3))])]);
  let scores = e.op("Mul", [e.op("MatMul", [q, kt]), typeof scale === "number" ? e.f32(scale) : scale]);
  if (terms.softcap && terms.softcap > 0) {
    const cap = e.f32(terms.softcap);
    scores = e.op("Mul", [e.op("Tanh", [e.op("Div", [scores, cap])]), cap]);
  }
  for (const a of terms.additive) scores = e.op("Add", [scores, a]);
  // Before opset 13 Softmax flattens from `axis`; on a rank-4 tensor axis 3 is the same last-axis softmax.
  const probs = e.op("Softmax", [scores], { axis: { i: e.opset >= 13 ? -1 : 3 } });
  const context =
    layout === "merged"
      ? mergeHeads(e, e.op("MatMul", [probs, v]), output)
      : e.op("MatMul", [probs, v], undefined, output);
  return { probs, scores, context };
}
