/**
 * The masks fused attention ops apply, as additive float tensors broadcastable to [B, N, S, T]:
 * padding (0 → mask_filter_value, as onnxruntime's PrepareMask converts it), causal (keys after the
 * query's own position get the lowest float, so their probability is exactly 0) and local windows.
 */
import type { GraphEmitter } from "../onnx/emitter";
import { DataType } from "../onnx/schema";

const LOWEST = -3.4028234663852886e38;

/** Where(valid, 0, fill): an additive mask from a boolean "may attend" tensor. */
function additive(e: GraphEmitter, valid: string, fill: number): string {
  return e.op("Where", [valid, e.f32(0), e.f32(fill)]);
}

/** Raw 0/1 mask [B, T] (2-D) or [B, S, T] (3-D) → [B, 1, 1, T] or [B, 1, S, T]. */
export function rawMask(e: GraphEmitter, mask: string, rank: 2 | 3, fill: number): string {
  const valid = e.op("Greater", [e.toInt64(mask), e.i64([0], true)]);
  return e.unsqueeze(additive(e, valid, fill), rank === 2 ? [1, 2] : [1]);
}

/**
 * 1-D mask_index: B end positions (right padding), or 2·B values, ends then starts (left padding).
 * Which of the two is only known at run time, so the starts are read from [mask, zeros(B)][B:2B].
 */
export function indexMask(e: GraphEmitter, mask: string, batchOf: string, keysOf: string, fill: number): string {
  const m = e.toInt64(mask);
  const b = e.dim(batchOf, 0);
  const padded = e.op("Concat", [m, e.op("ConstantOfShape", [b], { value: { t: int64Zero() } })], { axis: { i: 0 } });
  const ends = e.unsqueeze(e.slice(padded, 0, b, 0), [1]);
  const starts = e.unsqueeze(e.slice(padded, b, e.op("Add", [b, b]), 0), [1]);
  const keys = e.unsqueeze(e.range(e.scalarDim(keysOf, 2)), [0]); // [1, T]
  const valid = e.op("And", [e.op("Less", [keys, ends]), e.op("Not", [e.op("Less", [keys, starts])])]);
  return e.unsqueeze(additive(e, valid, fill), [1, 2]);
}

function int64Zero() {
  return { name: "", dataType: DataType.INT64, dims: [1], data: BigInt64Array.of(0n) };
}

/**
 * Causal (and optionally local-window) mask: query i of q ([B, N, S, H]) may see key j of k
 * ([B, N, T, H]) when j ≤ i + offset, and j > i + offset − window when window > 0. `offset` is an
 * int64 scalar (past length T − S, the default) or a [B] vector (per-sample past lengths).
 */
export function causalMask(e: GraphEmitter, q: string, k: string, offset?: { perSample: string }, window = 0): string {
  const rows = e.unsqueeze(e.range(e.scalarDim(q, 2)), [1]); // [S, 1]
  const cols = e.range(e.scalarDim(k, 2)); // [T]
  const shift = offset
    ? e.unsqueeze(offset.perSample, [1, 2, 3]) // [B, 1, 1, 1]
    : e.op("Sub", [e.scalarDim(k, 2), e.scalarDim(q, 2)]);
  const limit = e.op("Add", [rows, shift]); // [S, 1] or [B, 1, S, 1]
  let hidden = e.op("Greater", [cols, limit]);
  if (window > 0) {
    // The window holds `window` keys, the query's own position included (onnxruntime 1.30).
    const first = e.op("Sub", [limit, e.i64([window - 1], true)]);
    hidden = e.op("Or", [hidden, e.op("Less", [cols, first])]);
  }
  return e.op("Where", [hidden, e.f32(LOWEST), e.f32(0)]);
}
