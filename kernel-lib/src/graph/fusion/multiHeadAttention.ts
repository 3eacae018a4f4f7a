/**
 * com.microsoft.MultiHeadAttention in standard ops. Its inputs come in several layouts, told apart
 * by rank: query [B, S, D] with key/value [B, L, D] (optionally a packed Q|K|V bias), key/value
 * already split into heads [B, N, L, H], packed K/V in `key` [B, L, N, 2, H], or packed Q/K/V in
 * `query` [B, L, N, 3, H]. past_key/past_value [B, N, P, H] go in front of the new keys and values.
 */
import type { GraphEmitter } from "../onnx/emitter";
import { attrFloat, attrInt, type OnnxNode } from "../onnx/model";
import { attend, splitHeads, withCache } from "./core";
import type { FusedContext } from "./fusedContext";
import { causalMask, indexMask, rawMask } from "./masks";
import { staticRank } from "./rank";

export function decomposeMultiHeadAttention(e: GraphEmitter, node: OnnxNode, ctx: FusedContext): string | null {
  const [query, key, value, bias, keyPadding, attentionBias, pastKey, pastValue, pastLength, cacheIndirection] =
    node.inputs;
  const heads = attrInt(node, "num_heads", 0);
  if (!heads) return "it has no num_heads attribute";
  if (pastLength || cacheIndirection) {
    return "it uses shared past/present buffers or beam-search cache indirection, whose valid keys are only known at run time";
  }
  const rank = (x: string | undefined, fallback: number) => (x ? (staticRank(ctx.index, x) ?? fallback) : 0);
  // Without a declared rank, the input combination decides: no key means packed Q/K/V, no value packed K/V.
  const qRank = rank(query, key ? 3 : 5);
  const kRank = rank(key, value ? 3 : 5);
  let q: string;
  let k: string;
  let v: string;
  if (qRank === 5) {
    if (key || bias)
      return "it packs Q/K/V in `query` together with separate key or bias inputs, an unsupported combination";
    [q, k, v] = [0, 1, 2].map((i) => unpack(e, query, i));
  } else if (kRank === 5) {
    if (bias) return "it packs K/V in `key` together with a bias input, an unsupported combination";
    q = splitHeads(e, query, heads);
    [k, v] = [0, 1].map((i) => unpack(e, key, i));
  } else if (kRank === 4) {
    if (bias)
      return "its key/value are already split into heads ([B, N, L, H]) and it also has a bias, an unsupported combination";
    q = splitHeads(e, query, heads);
    k = key;
    v = value;
  } else if (qRank === 3 && kRank === 3) {
    const [qb, kb, vb] = bias ? splitBias(e, bias, query, key, value) : [query, key, value];
    q = splitHeads(e, qb, heads);
    k = splitHeads(e, kb, heads);
    v = splitHeads(e, vb, heads);
  } else {
    return `its query/key ranks (${qRank}/${kRank}) match none of the documented layouts`;
  }
  [k, v] = withCache(e, node, k, v, pastKey, pastValue);

  const additive: string[] = [];
  const fill = attrFloat(node, "mask_filter_value") ?? -10000;
  if (keyPadding) {
    const mRank = staticRank(ctx.index, keyPadding);
    if (mRank === 1) additive.push(indexMask(e, keyPadding, query, k, fill));
    else if (mRank === 2 || mRank === 3) additive.push(rawMask(e, keyPadding, mRank, fill));
    else return "the rank of its key_padding_mask cannot be told from the graph, so its format is unknown";
  }
  if (attrInt(node, "unidirectional", 0)) additive.push(causalMask(e, q, k));
  if (attentionBias) additive.push(attentionBias);
  const done = attend(e, q, k, v, { scale: attrFloat(node, "scale") || null, additive }, node.outputs[0]);
  // The optional `qk` output holds the scaled, masked scores before the softmax.
  if (node.outputs[3]) e.op("Identity", [done.scores], undefined, node.outputs[3]);
  return null;
}

/** Packed [B, L, N, c, H] → the i-th of its c tensors as [B, N, L, H]. */
function unpack(e: GraphEmitter, packed: string, i: number): string {
  const one = e.op("Gather", [packed, e.i64([i], true)], { axis: { i: 3 } });
  return e.op("Transpose", [one], { perm: { ints: [0, 2, 1, 3] } });
}

/** bias = [bq | bk | bv] added to query, key, value; the split points are their hidden sizes. */
function splitBias(e: GraphEmitter, bias: string, query: string, key: string, value: string): [string, string, string] {
  const dq = e.dim(query, 2);
  const dqk = e.op("Add", [dq, e.dim(key, 2)]);
  const end = e.i64([Number.MAX_SAFE_INTEGER]);
  return [
    e.op("Add", [query, e.slice(bias, 0, dq, 0)]),
    e.op("Add", [key, e.slice(bias, dq, dqk, 0)]),
    e.op("Add", [value, e.slice(bias, dqk, end, 0)]),
  ];
}
