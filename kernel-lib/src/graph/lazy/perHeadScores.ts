/**
 * The model's own score path in a lazy session, one head at a time. A decomposed export computes
 * every head's scores, masked scores and probabilities of a layer at once: at 4,096 tokens that is
 * 12 × 4,096² × 4 B = 805 MB per intermediate on BERT-base, held by onnxruntime while the layer
 * runs, although a lazy run fetches none of it. Written per head (split the queries, slice keys,
 * values and any side tensor that has a head axis, the same chain, Concat), onnxruntime frees each
 * head's intermediates before the next head runs: one head's working set instead of H.
 *
 * Why not onnxruntime's fused MultiHeadAttention: measured with onnxruntime 1.30 on CPU, it keeps
 * its memory-efficient path only without `attention_bias` and `key_padding_mask`; with either (every
 * padded BERT batch) it materialises all heads' scores, and its attention_bias must be [.., T, S]
 * (no row broadcast). The per-head chain keeps the exporter's own ops, so the outputs are the same
 * arithmetic row for row, whatever the mask or bias.
 *
 * Only the standard chain is rewritten: a rank-4 [B, H, T, d] product, element-wise nodes (scale,
 * mask, bias, casts) whose side tensors broadcast from rank ≤ 4, Softmax, then a MatMul with values;
 * nothing inside read elsewhere. Anything else keeps the exported path, with the reason.
 */
import type { NodeSpec, TensorSpec } from "../onnx/encode";
import type { GraphIndex } from "../onnx/graphIndex";
import type { OnnxNode } from "../onnx/model";
import { DataType } from "../onnx/schema";
import { rankOf } from "../onnx/shapeEval";
import { findScorePath, SCORE_ELEMENTWISE } from "../sites/scorePath";
import { nodeSpecOf } from "./nodeSpecs";

/** Element-wise ops a per-head copy computes the same way: no axis of theirs names the head. */
const ELEMENTWISE = SCORE_ELEMENTWISE;

/** The nodes that replace one site's score path, or why the path stays as exported. */
export type PerHeadPlan =
  | { kind: "per-head"; at: number; remove: number[]; nodes: NodeSpec[]; initializers: TensorSpec[] }
  | { kind: "as-exported"; reason: string };

/**
 * `softmax`: the site's Softmax; `heads`: its static head count; `keep`: values something else
 * reads (the lazy session's outputs), which must not disappear.
 */
export function perHeadScores(
  index: GraphIndex,
  opset: number,
  softmax: OnnxNode,
  heads: number,
  keep: ReadonlySet<string>,
): PerHeadPlan {
  const as = (reason: string): PerHeadPlan => ({ kind: "as-exported", reason });
  if (opset < 12) return as(`opset ${opset} has no int64 Min (the head index of a broadcast side tensor)`);
  if (heads < 2) return as("its head count is not known from the graph");
  const path = findScorePath(index, softmax.inputs[0]);
  if (!path) return as("no QKᵀ product was found behind its Softmax");
  const { product } = path;
  if (product.opType !== "MatMul" || product.domain !== "")
    return as(`its score product is ${product.opType}, not a MatMul`);
  const bad = path.between.find((n) => !ELEMENTWISE.has(n.opType) || n.domain !== "");
  if (bad) return as(`a ${bad.opType} between its scores and Softmax is not element-wise`);
  const [q, kT] = product.inputs;
  if (rankOf(index, q) !== 4 || rankOf(index, softmax.inputs[0]) !== 4)
    return as("its queries or scores are not rank 4 [batch, heads, target, source]");
  const probs = softmax.outputs[0];
  const after = probsToValues(index, probs);
  if (typeof after === "string") return as(after);
  const { post, pv } = after;
  const v = pv.inputs[1];
  // Everything the chain computes must be read only by the chain.
  const chain = [product, ...[...path.between].reverse(), softmax, ...post];
  const inChain = new Set([...chain, pv]);
  for (const n of chain) {
    const o = n.outputs[0];
    if (n.outputs.length !== 1 || keep.has(o) || index.graphOutputs.has(o))
      return as(`${o} is an output of the model or of the lazy session`);
    if ((index.consumers.get(o) ?? []).some((c) => !inChain.has(c))) return as(`${o} is also read outside the chain`);
  }
  const computed = new Set(chain.map((n) => n.outputs[0]));
  const sides = new Set<string>();
  for (const n of chain.slice(1))
    for (const i of n.inputs) if (i && !computed.has(i) && !index.constant(i)) sides.add(i);
  for (const n of chain.slice(1))
    for (const i of n.inputs) if (i && (index.constant(i)?.dims.length ?? 0) >= 3) sides.add(i);

  const tag = `${probs}/attnlens_head`;
  const nodes: NodeSpec[] = [];
  const initializers: TensorSpec[] = [];
  const int64 = (name: string, values: number[]) => {
    const full = `${tag}/${name}`;
    initializers.push({
      name: full,
      dataType: DataType.INT64,
      dims: [values.length],
      data: BigInt64Array.from(values, BigInt),
    });
    return full;
  };
  const node = (opType: string, inputs: string[], out: string, attributes?: NodeSpec["attributes"]) => {
    const o = `${tag}/${out}`;
    nodes.push({ name: o, opType, inputs, outputs: [o], ...(attributes ? { attributes } : {}) });
    return o;
  };
  const ones = Array(heads).fill(1);
  /** `x` split into H pieces of one along axis 0 or 1 (Split's sizes are an input from opset 13). */
  const split = (x: string, axis: number, outs: string[]) =>
    nodes.push({
      name: `${outs[0]}/split`,
      opType: "Split",
      inputs: opset >= 13 ? [x, int64("ones", ones)] : [x],
      outputs: outs,
      attributes: { axis: { i: axis }, ...(opset >= 13 ? {} : { split: { ints: ones } }) },
    });
  // Queries: exactly H heads (Split fails at run time otherwise, never a silently wrong concat).
  const qHeads = Array.from({ length: heads }, (_, h) => `${tag}/q${h}`);
  split(q, 1, qHeads);
  // Keys, values and side tensors hold H heads or one broadcast head on axis 1, once each is seen
  // as rank 4 the way broadcasting sees it (ones prepended; a Reshape, so no copy): head h reads
  // index h · min(dim − 1, 1). Their ranks need not be known statically. The H start and end
  // indices are computed and split once per tensor, leaving one Slice per head.
  const one = int64("one", [1]);
  const range = int64(
    "range",
    Array.from({ length: heads }, (_, h) => h),
  );
  const perHead = new Map<string, (h: number) => string>();
  const sliced = (x: string, id: string) => {
    let x4 = x;
    if (rankOf(index, x) !== 4) {
      const padded = node("Concat", [int64("ones4", [1, 1, 1, 1]), node("Shape", [x], `shape_${id}`)], `padded_${id}`, {
        axis: { i: 0 },
      });
      const shape4 = node("Slice", [padded, int64("minus4", [-4]), int64("end", [2 ** 53])], `shape4_${id}`);
      x4 = node("Reshape", [x, shape4], `rank4_${id}`);
    }
    const dim = node("Slice", [node("Shape", [x4], `shape4of_${id}`), one, int64("two", [2])], `dim_${id}`);
    const step = node("Min", [node("Sub", [dim, one], `last_${id}`), one], `step_${id}`);
    const starts = node("Mul", [range, step], `starts_${id}`);
    const ends = node("Add", [starts, one], `ends_${id}`);
    const start = qHeads.map((_, h) => `${tag}/start_${id}_${h}`);
    const end = qHeads.map((_, h) => `${tag}/end_${id}_${h}`);
    split(starts, 0, start);
    split(ends, 0, end);
    perHead.set(x, (h) => node("Slice", [x4, start[h], end[h], one], `${id}_${h}`));
  };
  sliced(kT, "k");
  if (!perHead.has(v)) sliced(v, "v");
  let i = 0;
  for (const s of sides) if (!perHead.has(s)) sliced(s, `side${i++}`);
  const outs: string[] = [];
  for (let h = 0; h < heads; h++) {
    const rename = new Map<string, string>([[q, qHeads[h]]]);
    for (const [x, at] of perHead) rename.set(x, at(h));
    for (const n of chain) {
      const spec = nodeSpecOf(n);
      if (typeof spec === "string") return as(spec);
      const out = `${tag}/${n.opType}${nodes.length}_h${h}`;
      nodes.push({
        ...spec,
        name: out,
        inputs: spec.inputs.map((x) => (x ? (rename.get(x) ?? x) : x)),
        outputs: [out],
      });
      rename.set(n.outputs[0], out);
    }
    outs.push(node("MatMul", [rename.get(pv.inputs[0]) as string, rename.get(v) as string], `o${h}`));
  }
  nodes.push({
    name: `${tag}/concat`,
    opType: "Concat",
    inputs: outs,
    outputs: [pv.outputs[0]],
    attributes: { axis: { i: 1 } },
  });
  // Shared constants (ones, one, two …) are asked once per tensor: one initializer per name.
  const unique = new Map(initializers.map((t) => [t.name, t]));
  return {
    kind: "per-head",
    at: pv.index,
    remove: chain.map((n) => n.index),
    nodes,
    initializers: [...unique.values()],
  };
}

/** Ops that may sit between the Softmax and ·V, one element at a time (SDPA exports: IsNaN → Where). */
const PROB_ELEMENTWISE = new Set(["Cast", "Identity", "IsNaN", "Where", "Mul", "Div", "Not"]);

/**
 * The element-wise nodes from the probabilities to the one ·V MatMul that reads them (topological
 * order), or why the probabilities go elsewhere.
 */
function probsToValues(index: GraphIndex, probs: string): { post: OnnxNode[]; pv: OnnxNode } | string {
  const computed = new Set([probs]);
  const post = new Set<OnnxNode>();
  let pv: OnnxNode | null = null;
  const stack = [probs];
  while (stack.length) {
    for (const c of index.consumers.get(stack.pop() as string) ?? []) {
      if (post.has(c) || c === pv) continue;
      if (c.opType === "MatMul" && c.domain === "" && computed.has(c.inputs[0]) && !computed.has(c.inputs[1])) {
        if (pv) return "its probabilities reach more than one ·V MatMul";
        pv = c;
      } else if (PROB_ELEMENTWISE.has(c.opType) && c.domain === "" && c.outputs.length === 1 && post.size < 8) {
        post.add(c);
        computed.add(c.outputs[0]);
        stack.push(c.outputs[0]);
      } else return `its probabilities are read by a ${c.opType}, not only element-wise ops and one ·V MatMul`;
    }
  }
  if (!pv) return "no ·V MatMul reads its probabilities";
  return { post: index.order.filter((n) => post.has(n)), pv };
}

/** One lazy site to write per head: its Softmax node's label (as sites name it) and its head count. */
export interface PerHeadSite {
  site: string;
  softmax: string;
  heads: number;
}

/** The edit for every site (found in this graph) that can run per head, and each site's outcome. */
export function perHeadEdit(
  index: GraphIndex,
  opset: number,
  sites: readonly PerHeadSite[],
  keep: ReadonlySet<string>,
): { replace: Map<number, NodeSpec[]>; initializers: TensorSpec[]; outcome: Map<string, string> } {
  const byLabel = new Map<string, OnnxNode>();
  for (const n of index.graph.nodes) if (n.opType === "Softmax") byLabel.set(n.name || `Softmax(${n.outputs[0]})`, n);
  const replace = new Map<number, NodeSpec[]>();
  const initializers: TensorSpec[] = [];
  const outcome = new Map<string, string>();
  for (const s of sites) {
    const softmax = byLabel.get(s.softmax);
    // Not in this graph: a fused op's site, which onnxruntime's kernel already runs without whole maps.
    if (!softmax) continue;
    const plan = perHeadScores(index, opset, softmax, s.heads, keep);
    if (plan.kind === "as-exported") {
      outcome.set(s.site, plan.reason);
      continue;
    }
    if ([plan.at, ...plan.remove].some((i) => replace.has(i))) {
      outcome.set(s.site, "its score path shares nodes with another site's");
      continue;
    }
    replace.set(plan.at, plan.nodes);
    for (const i of plan.remove) replace.set(i, []);
    initializers.push(...plan.initializers);
    outcome.set(s.site, "per-head");
  }
  return { replace, initializers, outcome };
}
