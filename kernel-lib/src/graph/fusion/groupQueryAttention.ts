/**
 * com.microsoft.GroupQueryAttention (Llama/Mistral/Phi exports) in standard ops: N query heads
 * share N/Nkv key/value heads; attention is causal from each sample's own past length
 * (seqlens_k + 1 − S, or 0 on the first prompt), optionally limited to a local window and
 * soft-capped; rotary embeddings, when the op applies them, run as com.microsoft.RotaryEmbedding
 * on Q and K before the product, as the fused kernel does.
 */
import type { GraphEmitter } from "../onnx/emitter";
import { attrFloat, attrInt, type OnnxNode } from "../onnx/model";
import { attend, repeatKv, splitHeads, withCache } from "./core";
import type { FusedContext } from "./fusedContext";
import { causalMask } from "./masks";

const UNSUPPORTED_INPUTS: [number, string][] = [
  [10, "an attention_bias"],
  [11, "head_sink smoothing"],
  [12, "a quantized KV cache (k_scale)"],
  [13, "a quantized KV cache (v_scale)"],
  [14, "per-head Q/K RMS norms"],
  [15, "per-head Q/K RMS norms"],
];

export function decomposeGroupQueryAttention(e: GraphEmitter, node: OnnxNode, _ctx: FusedContext): string | null {
  const [query, key, value, pastKey, pastValue, seqlensK, totalLength, cosCache, sinCache, positionIds] = node.inputs;
  const heads = attrInt(node, "num_heads", 0);
  const kvHeads = attrInt(node, "kv_num_heads", 0);
  if (!heads || !kvHeads || heads % kvHeads !== 0)
    return "its num_heads/kv_num_heads attributes are missing or inconsistent";
  for (const [i, what] of UNSUPPORTED_INPUTS)
    if (node.inputs[i]) return `it takes ${what}, which attnlens does not decompose`;
  if (attrInt(node, "smooth_softmax", 0)) return "it uses smooth softmax, which attnlens does not decompose";
  if (attrInt(node, "causal", 1) === 0) return "it is non-causal (causal=0), which attnlens does not decompose";
  if (attrInt(node, "sliding_window_cache", 0))
    return "its KV cache is a sliding window buffer, whose layout depends on run-time eviction";
  if (!seqlensK || !totalLength) return "it lacks seqlens_k or total_sequence_length";

  let [q, k, v] = key ? [query, key, value] : unpackQkv(e, query, heads, kvHeads);
  // Per-sample past length: 0 on the first prompt (S = total_sequence_length), else seqlens_k + 1 − S.
  const s = e.scalarDim(q, 1);
  const total = e.toInt64(totalLength);
  const past = e.op("Sub", [e.op("Add", [e.toInt64(seqlensK), e.i64([1], true)]), s]);
  const first = e.op("Equal", [s, e.squeeze(e.op("Reshape", [total, e.i64([1])]), [0])]);
  const offset = e.op("Where", [first, e.i64([0], true), past]); // [B]

  if (attrInt(node, "do_rotary", 0)) {
    if (!cosCache || !sinCache) return "it applies rotary embeddings but has no cos/sin cache inputs";
    const positions = positionIds || e.op("Add", [e.unsqueeze(offset, [1]), e.unsqueeze(e.range(s), [0])]);
    const rotary = (x: string, n: number) =>
      e.op(
        "RotaryEmbedding",
        [x, positions, cosCache, sinCache],
        { interleaved: { i: attrInt(node, "rotary_interleaved", 0) }, num_heads: { i: n } },
        undefined,
        "com.microsoft",
      );
    q = rotary(q, heads);
    k = rotary(k, kvHeads);
  }
  let kh = splitHeads(e, k, kvHeads);
  let vh = splitHeads(e, v, kvHeads);
  [kh, vh] = withCache(e, node, kh, vh, pastKey, pastValue);
  const qh = splitHeads(e, q, heads);
  const groups = heads / kvHeads;
  const window = attrInt(node, "local_window_size", -1);
  const mask = causalMask(e, qh, kh, { perSample: offset }, Math.max(window, 0));
  const done = attend(
    e,
    qh,
    repeatKv(e, kh, groups),
    repeatKv(e, vh, groups),
    { scale: attrFloat(node, "scale") || null, softcap: attrFloat(node, "softcap") ?? 0, additive: [mask] },
    node.outputs[0],
  );
  if (node.outputs[3]) {
    const mode = attrInt(node, "qk_output", 0);
    e.op("Identity", [mode === 2 ? done.probs : done.scores], undefined, node.outputs[3]);
  }
  return null;
}

/** Packed [B, S, (N + 2·Nkv)·H] → Q [B, S, N·H], K and V [B, S, Nkv·H]. */
function unpackQkv(e: GraphEmitter, packed: string, heads: number, kvHeads: number): [string, string, string] {
  const split = e.op("Reshape", [packed, e.i64([0, 0, heads + 2 * kvHeads, -1])]);
  const part = (from: number, to: number) => e.op("Reshape", [e.slice(split, from, to, 2), e.i64([0, 0, -1])]);
  return [part(0, heads), part(heads, heads + kvHeads), part(heads + kvHeads, heads + 2 * kvHeads)];
}
