/**
 * The standard ONNX `Attention` op (ai.onnx, opset 23+) in standard ops. torch.onnx.export's dynamo
 * exporter writes it for scaled_dot_product_attention (transformers' "sdpa") from opset 23 on, so such a
 * graph has no Softmax of its own. Semantics from the ONNX reference implementation
 * (onnx/reference/ops/op_attention.py):
 *
 *   Q [B, N, S, H] | [B, S, N·H] (q_num_heads), K/V likewise with kv_num_heads; past_key/past_value
 *   [B, Nkv, P, H] go in front of the new keys → present_key/present_value; scores = QKᵀ·scale
 *   (1/√H by default), softcapped, plus attn_mask (bool: attend where true; float: added) and, when
 *   is_causal, key j hidden from query i when j > i + P; GQA repeats each KV head N/Nkv times.
 *
 * Rows every key is hidden from get zeros in the op and uniform rows here (the mask uses the lowest
 * float, not −∞, as the other decomposers do): such rows are padded queries, meaningless either way.
 */

import { elemTypeOf } from "../onnx/elemType";
import type { GraphEmitter } from "../onnx/emitter";
import { attrFloat, attrInt, type OnnxNode } from "../onnx/model";
import { DataType } from "../onnx/schema";
import { attend, splitHeads, withCache } from "./core";
import type { FusedContext } from "./fusedContext";
import { causalMask } from "./masks";
import { staticRank } from "./rank";

const LOWEST = -3.4028234663852886e38;
const AFTER_SOFTMAX = 3;

export function decomposeOnnxAttention(e: GraphEmitter, node: OnnxNode, ctx: FusedContext): string | null {
  const [query, key, value, attnMask, pastKey, pastValue, nonpadKvSeqlen] = node.inputs;
  if (!query || !key || !value) return "it lacks one of Q, K, V";
  if (nonpadKvSeqlen) return "it takes nonpad_kv_seqlen (an external KV cache), which attnlens does not decompose";
  if (attrInt(node, "left_window_size", -1) >= 0 || attrInt(node, "right_window_size", -1) >= 0)
    return "it uses a sliding window, which attnlens does not decompose";
  const mode = attrInt(node, "qk_matmul_output_mode", 0);
  if (node.outputs[3] && mode !== AFTER_SOFTMAX)
    return `its qk_matmul_output (mode ${mode}) is used, which attnlens does not decompose`;
  for (const x of [query, key, value])
    if (elemTypeOf(ctx.index, x) !== DataType.FLOAT) return "its Q/K/V are not float32";

  const rank = staticRank(ctx.index, query);
  let q = query;
  let k = key;
  let v = value;
  if (rank === 3) {
    const heads = attrInt(node, "q_num_heads", 0);
    const kvHeads = attrInt(node, "kv_num_heads", 0);
    if (!heads || !kvHeads) return "its inputs are [B, S, D] but q_num_heads/kv_num_heads are missing";
    [q, k, v] = [splitHeads(e, query, heads), splitHeads(e, key, kvHeads), splitHeads(e, value, kvHeads)];
  } else if (rank !== 4) return "the rank of its Q cannot be told from the graph, so its layout is unknown";
  [k, v] = withCache(e, node, k, v, pastKey, pastValue);

  const additive: string[] = [];
  if (attnMask) {
    const type = elemTypeOf(ctx.index, attnMask);
    if (type === DataType.BOOL) additive.push(e.op("Where", [attnMask, e.f32(0), e.f32(LOWEST)]));
    else if (type === DataType.FLOAT) additive.push(attnMask);
    else return "the element type of its attn_mask (bool or float) cannot be told from the graph";
  }
  // The causal frontier is the past length P = T − S, causalMask's default offset.
  if (attrInt(node, "is_causal", 0)) additive.push(causalMask(e, q, k));
  const done = attend(
    e,
    q,
    repeatHeads(e, k, q),
    repeatHeads(e, v, q),
    { scale: attrFloat(node, "scale") || null, softcap: attrFloat(node, "softcap") ?? 0, additive },
    node.outputs[0],
    rank === 3 ? "merged" : "heads",
  );
  if (node.outputs[3]) e.op("Identity", [done.probs], undefined, node.outputs[3]);
  return null;
}

/**
 * Grouped-query attention: each of the Nkv heads of x [B, Nkv, T, H] repeated N/Nkv times to match q's
 * N heads, the ratio read at run time (4-D inputs declare no head counts); 1 when N = Nkv.
 */
function repeatHeads(e: GraphEmitter, x: string, q: string): string {
  const groups = e.op("Div", [e.dim(q, 1), e.dim(x, 1)]);
  const reps = e.op("Concat", [e.i64([1, 1]), groups, e.i64([1, 1])], { axis: { i: 0 } });
  const tiled = e.op("Tile", [e.unsqueeze(x, [2]), reps]);
  const shape = e.op("Concat", [e.dim(x, 0), e.i64([-1]), e.dim(x, 2), e.dim(x, 3)], { axis: { i: 0 } });
  return e.op("Reshape", [tiled, shape]);
}
