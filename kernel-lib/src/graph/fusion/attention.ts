/**
 * com.microsoft.Attention (BERT, GPT-2 after onnxruntime's optimizer) and its int8 twin
 * QAttention, in standard ops. Attention = one packed projection input·W + b split into Q | K | V,
 * optional past state (2, B, N, P, H) concatenated in front of K and V, a mask_index in any of its
 * formats, `unidirectional` causality, an additive attention_bias.
 */
import type { GraphEmitter } from "../onnx/emitter";
import { attrFloat, attrInt, attrInts, type OnnxNode } from "../onnx/model";
import { DataType } from "../onnx/schema";
import { attend, splitHeads } from "./core";
import type { FusedContext } from "./fusedContext";
import { causalMask, indexMask, rawMask } from "./masks";
import { staticRank } from "./rank";

export function decomposeAttention(e: GraphEmitter, node: OnnxNode, ctx: FusedContext): string | null {
  const [input, weights, bias, maskIndex, past, attentionBias, pastLength] = node.inputs;
  const unsupported = commonChecks(node, pastLength);
  if (unsupported) return unsupported;
  const sizes = qkvSizes(node, ctx, weights);
  if (typeof sizes === "string") return sizes;
  let proj = e.op("MatMul", [input, weights]);
  if (bias) proj = e.op("Add", [proj, bias]);
  return fromProjection(e, node, ctx, proj, sizes, { input, maskIndex, past, attentionBias });
}

/** QAttention: the projection is MatMulInteger on quantized input and weights, rescaled to float. */
export function decomposeQAttention(e: GraphEmitter, node: OnnxNode, ctx: FusedContext): string | null {
  const [input, weights, bias, inputScale, weightScale, maskIndex, inputZero, weightZero, past] = node.inputs;
  const unsupported = commonChecks(node, undefined);
  if (unsupported) return unsupported;
  const sizes = qkvSizes(node, ctx, weights);
  if (typeof sizes === "string") return sizes;
  const acc = e.op("MatMulInteger", [input, weights, inputZero ?? "", weightZero ?? ""]);
  const scaled = e.op("Mul", [
    e.op("Cast", [acc], { to: { i: DataType.FLOAT } }),
    e.op("Mul", [inputScale, weightScale]),
  ]);
  const proj = e.op("Add", [scaled, bias]);
  return fromProjection(e, node, ctx, proj, sizes, { input, maskIndex, past, attentionBias: undefined });
}

function commonChecks(node: OnnxNode, pastLength: string | undefined): string | null {
  if (!attrInt(node, "num_heads", 0)) return "it has no num_heads attribute";
  if (attrInt(node, "do_rotary", 0))
    return "it applies rotary embeddings inside the op (do_rotary=1), which attnlens does not decompose";
  if (attrInt(node, "past_present_share_buffer", 0) || pastLength) {
    return "it shares past/present buffers (past_present_share_buffer), whose valid length is only known at run time";
  }
  return null;
}

/** Hidden sizes of Q, K, V: the qkv_hidden_sizes attribute, or a third each of the weights' columns. */
function qkvSizes(node: OnnxNode, ctx: FusedContext, weights: string): [number, number, number] | string {
  const attr = attrInts(node, "qkv_hidden_sizes");
  if (attr && attr.length === 3) return [attr[0], attr[1], attr[2]];
  const w = ctx.index.constant(weights);
  const cols = w?.dims[w.dims.length - 1];
  if (!cols || cols % 3 !== 0) {
    return "its weights are not a constant tensor and qkv_hidden_sizes is not set, so the Q/K/V split is unknown";
  }
  return [cols / 3, cols / 3, cols / 3];
}

interface Extras {
  input: string;
  maskIndex?: string;
  past?: string;
  attentionBias?: string;
}

function fromProjection(
  e: GraphEmitter,
  node: OnnxNode,
  ctx: FusedContext,
  proj: string,
  [dq, dk, dv]: [number, number, number],
  extras: Extras,
): string | null {
  const heads = attrInt(node, "num_heads", 0);
  const part = (from: number, to: number) => e.slice(proj, from, to, 2);
  const q = splitHeads(e, part(0, dq), heads);
  let k = splitHeads(e, part(dq, dq + dk), heads);
  let v = splitHeads(e, part(dq + dk, dq + dk + dv), heads);
  if (extras.past) {
    const pastK = e.op("Gather", [extras.past, e.i64([0], true)], { axis: { i: 0 } });
    const pastV = e.op("Gather", [extras.past, e.i64([1], true)], { axis: { i: 0 } });
    k = e.op("Concat", [pastK, k], { axis: { i: 2 } });
    v = e.op("Concat", [pastV, v], { axis: { i: 2 } });
  }
  if (node.outputs[1]) {
    e.op("Concat", [e.unsqueeze(k, [0]), e.unsqueeze(v, [0])], { axis: { i: 0 } }, node.outputs[1]);
  }
  const additive: string[] = [];
  const fill = attrFloat(node, "mask_filter_value") ?? -10000;
  if (extras.maskIndex) {
    const rank = staticRank(ctx.index, extras.maskIndex);
    if (rank === 1) additive.push(indexMask(e, extras.maskIndex, extras.input, k, fill));
    else if (rank === 2 || rank === 3) additive.push(rawMask(e, extras.maskIndex, rank, fill));
    else if (rank === 4)
      return "its mask_index is 4-D (Megatron-style), a format onnxruntime's CPU kernel does not run either";
    else
      return "the rank of its mask_index cannot be told from the graph, so its format (lengths, 2-D or 3-D mask) is unknown";
  }
  if (attrInt(node, "unidirectional", 0)) additive.push(causalMask(e, q, k));
  if (extras.attentionBias) additive.push(extras.attentionBias);
  const scale = attrFloat(node, "scale") || 1 / Math.sqrt(dq / heads);
  attend(e, q, k, v, { scale, additive }, node.outputs[0]);
  return null;
}
