/**
 * The per-row metrics of one site, in graph — the definitions of metrics/types.ts RowMetrics and
 * metrics/scan.ts, over the visible sources of each valid row:
 *   entropy −Σ a ln a, normalized entropy (NaN when nᵢ = 1), distance Σ a·|j − pᵢ|, signed
 *   distance Σ a·(j − pᵢ), confidence max a, the masses at pᵢ, pᵢ ± 1 and the first valid
 *   source (gathered, NaN where that source is not visible or the site is cross), and the mass on
 *   the row's own segment (NaN without segment ids).
 * Padding rows are NaN throughout. Per head, each metric's mean over the rows that define it.
 * Only the full-size passes that a metric needs touch the [B, H, T, S] map; the rest is [B, 1, T, S].
 */
import { MAP_ROW_METRICS } from "../../analysis/metrics/types";
import type { GraphEmitter } from "../onnx/emitter";
import { DataType } from "../onnx/schema";
import type { GraphGeometry } from "./geometry";

/** The order of the metrics along the leading axis of the `rows` and `heads` outputs. */
export const ROW_METRICS = [...MAP_ROW_METRICS, "segment"] as const;

/** Keeps a·ln a finite at a = 0 (0·ln 0 = 0); far below any float32 weight that matters. */
const TINY = 1e-30;

export interface SiteOutputs {
  /** [K, B, H, T] float, K = ROW_METRICS.length. */
  rows: string;
  /** [K, H] float: per-head means over the rows that define each metric (NaN when none). */
  heads: string;
  /** [B, T] int32: nᵢ on valid rows, 0 on padding rows. */
  sources: string;
  /** [5] int64: B, H, T, S and the causal flag (0/1). */
  info: string;
}

/** Masses at pᵢ, pᵢ − 1, pᵢ + 1 and the first valid source, [B, H, T, 4]; NaN where not visible. */
function gatheredMasses(e: GraphEmitter, map: string, g: GraphGeometry, self: boolean): string {
  const bt1 = e.concat([g.batch, e.i64([1]), g.targets, e.i64([1])], 0);
  const p = e.unsqueeze(g.selfIndex, [0, 1, 3]);
  const column = (x: string) => e.op("Expand", [x, bt1]);
  const first = e.op("Reshape", [g.firstSource, e.i64([-1, 1, 1, 1])]);
  const index = e.concat(
    [column(p), column(e.op("Sub", [p, e.i64([1], true)])), column(e.op("Add", [p, e.i64([1], true)])), column(first)],
    3,
  );
  const inRange = e.op("And", [
    e.op("Not", [e.op("Less", [index, e.i64([0], true)])]),
    e.op("Less", [index, g.sources]),
  ]);
  const safe = e.op("Where", [inRange, index, e.i64([0], true)]);
  const visibleAt = e.op("GatherElements", [g.visible, safe], { axis: { i: 3 } });
  // Self, previous and next exist on self sites only; the first source on both kinds.
  const kinds = e.bools([self, self, self, true]);
  const defined = e.op("And", [e.op("And", [inRange, e.op("Greater", [visibleAt, e.f32(0.5)])]), kinds]);
  const everyHead = e.op("Expand", [safe, e.concat([g.batch, g.heads, g.targets, e.i64([4])], 0)]);
  const weights = e.op("GatherElements", [map, everyHead], { axis: { i: 3 } });
  return e.orNaN(defined, weights);
}

/**
 * Appends the row metrics of one site. `weights` = map ⊙ visible, the input of every sum here
 * and of the rollout's head fusion.
 */
export function rowMetrics(
  e: GraphEmitter,
  map: string,
  g: GraphGeometry,
  self: boolean,
  outputNames: SiteOutputs,
): { weights: string } {
  const weights = e.op("Mul", [map, g.visible]);
  const rowSum = (x: string) => e.reduce("ReduceSum", x, [3], false);
  const plogp = e.op("Mul", [weights, e.op("Log", [e.op("Max", [weights, e.f32(TINY)])])]);
  const entropy = e.op("Neg", [rowSum(plogp)]);
  const n = g.visibleCount;
  const normalized = e.orNaN(e.op("Greater", [n, e.f32(1)]), e.op("Div", [entropy, e.op("Log", [n])]));
  // One product for both: weights are ≥ 0, so Σ|a·(j − pᵢ)| = Σ a·|j − pᵢ|. (Abs + ReduceSum rather
  // than ReduceL1: onnxruntime's CPU ReduceL1 sums naively, ~8× the rounding error at 512 sources.)
  const moments = e.op("Mul", [weights, g.offsets]);
  const distance = rowSum(e.op("Abs", [moments]));
  const signed = rowSum(moments);
  const confidence = e.reduce("ReduceMax", weights, [3], false);
  const masses = e.op("Transpose", [gatheredMasses(e, map, g, self)], { perm: { ints: [3, 0, 1, 2] } });
  const segment = g.segment
    ? e.op("Where", [g.segment.known, rowSum(e.op("Mul", [weights, g.segment.same])), e.f32(Number.NaN)])
    : e.op("Expand", [e.f32(Number.NaN), e.op("Shape", [entropy])]);
  const lead = (x: string) => e.unsqueeze(x, [0]);
  const all = e.concat(
    [lead(entropy), lead(normalized), lead(distance), lead(signed), lead(confidence), masses, lead(segment)],
    0,
  );
  const rows = e.op("Where", [g.targetValid, all, e.f32(Number.NaN)], undefined, outputNames.rows);

  // Per-head means over the rows where the metric is defined (metrics/headMetrics.ts headMean),
  // summed in float64 as the reference does: float32 sums of 512 distances (~250 each) drift by
  // several ulps. The tensor is small; a provider without float64 runs these few nodes on CPU.
  const defined = e.op("Not", [e.op("IsNaN", [rows])]);
  const wide = e.cast(e.op("Where", [defined, rows, e.f32(0)]), DataType.DOUBLE);
  const total = e.reduce("ReduceSum", wide, [1, 3], false);
  const count = e.reduce("ReduceSum", e.cast(defined, DataType.DOUBLE), [1, 3], false);
  e.op("Cast", [e.op("Div", [total, count])], { to: { i: DataType.FLOAT } }, outputNames.heads);

  const counted = e.op("Where", [g.targetValid, n, e.f32(0)]);
  e.op("Cast", [e.squeeze(counted, [1])], { to: { i: DataType.INT32 } }, outputNames.sources);
  e.op("Concat", [g.shape, e.cast(g.causal, DataType.INT64)], { axis: { i: 0 } }, outputNames.info);
  return { weights };
}
