/**
 * The geometry of one site inside the graph — the twin of metrics/geometry.ts, as small tensors
 * built from the map's shape and the feeds' masks (nothing here is [B, H, T, S]):
 *   valid targets and sources, the causal flag as the host reads it from the data
 *   (result/causality.ts, falling back to the discovered flag), the visible sources of each row,
 *   the position pᵢ of each target on the source axis (i + S − T, or the scaled diagonal of a
 *   cross site), and the segment each target belongs to.
 */

import { readsTextFeeds } from "../../result/textFeeds";
import type { GraphEmitter } from "../onnx/emitter";
import { DataType } from "../onnx/schema";
import type { AttentionSite } from "../sites/types";
import type { GraphInputs, StreamInputs } from "./streams";

export interface GraphGeometry {
  /** [4] int64: B, H, T, S. */
  shape: string;
  /** Each a 1-element int64 vector. */
  batch: string;
  heads: string;
  targets: string;
  sources: string;
  /** [1] bool: the site is causal (data-derived, as in result/causality.ts). */
  causal: string;
  /** j − pᵢ, float, broadcastable to [B, 1, T, S]. */
  offsets: string;
  /** 1 where source j is visible to row i (valid, and j ≤ pᵢ on causal self sites), [B, 1, T, S]. */
  visible: string;
  /** nᵢ, the number of visible sources, [B, 1, T] float. */
  visibleCount: string;
  /** Valid target rows, [B, 1, T] bool. */
  targetValid: string;
  /** pᵢ as int64 [T] (self sites; the row index on cross sites, where it is not used). */
  selfIndex: string;
  /** First valid source per sample, [B] int64 (S when there is none). */
  firstSource: string;
  /** 1 where source j is in row i's segment, [B, 1, T, S], and rows with a segment, [B, 1, T] bool. */
  segment?: { same: string; known: string };
}

/**
 * 0/1 float mask of the stream's last `length` positions, [B, length]; all ones without a mask
 * input. A mask shorter than `length` counts the missing leading positions as valid rather than
 * failing: onnxruntime runs these nodes on every run, `run()` included.
 */
function validity(e: GraphEmitter, stream: StreamInputs, batch: string, length: string): string {
  const ones = e.filled(e.concat([batch, length], 0), 1);
  if (!stream.mask) return ones;
  const mask = e.toFloat(e.cast(stream.mask, DataType.BOOL));
  return e.slice(e.concat([ones, mask], 1), e.op("Neg", [length]), null, 1);
}

/**
 * The data-derived causal flag: no weight above 1e-6 past pᵢ = i + S − T on a valid target row
 * (looksCausal), else the static one. Padded rows are left out with Where, not Mul: a fully masked
 * row may hold NaN, and NaN · 0 would reach the max.
 */
function causalFlag(
  e: GraphEmitter,
  map: string,
  future: string,
  targetValid: string,
  site: AttentionSite,
  t: string,
  s: string,
): string {
  const checked = e.op("Mul", [future, e.unsqueeze(targetValid, [1, 3])]); // [B, 1, T, S]
  // (Reducing over heads first would read less, but onnxruntime's CPU reductions over a middle axis are ~10× slower.)
  const futureMax = e.reduce(
    "ReduceMax",
    e.op("Where", [e.op("Greater", [checked, e.f32(0)]), map, e.f32(0)]),
    null,
    false,
  );
  const looks = e.op("Not", [e.op("Greater", [futureMax, e.f32(1e-6)])]);
  // As in looksCausal: nothing to go on (T < 2, S < T, or no valid row with a later source) keeps the static flag.
  const anyChecked = e.op("Greater", [e.reduce("ReduceMax", checked, null, false), e.f32(0)]);
  const shaped = e.op("And", [e.op("Not", [e.op("Less", [t, e.i64([2])])]), e.op("Not", [e.op("Less", [s, t])])]);
  const applicable = e.op("And", [shaped, anyChecked]);
  return e.op("Or", [e.op("And", [applicable, looks]), e.op("And", [e.op("Not", [applicable]), e.bool(site.causal)])]);
}

/**
 * The scaled diagonal: the r-th valid target sits at rank q = r·(nₛ − 1)/(nₜ − 1) among the valid
 * sources, interpolated between the positions of ranks ⌊q⌋ and ⌊q⌋ + 1. [B, T] float.
 */
function crossPositions(e: GraphEmitter, tv: string, sv: string, validUpTo: string): string {
  const axis1 = e.i64([1], true);
  const one = e.f32(1);
  const rank = e.op("Sub", [e.op("CumSum", [tv, axis1]), one]);
  const nt = e.reduce("ReduceSum", tv, [1], true);
  const ns = e.reduce("ReduceSum", sv, [1], true);
  const lastSource = e.op("Sub", [ns, one]);
  const q = e.op("Where", [
    e.op("Greater", [nt, one]),
    e.op("Div", [e.op("Mul", [rank, lastSource]), e.op("Max", [e.op("Sub", [nt, one]), one])]),
    e.f32(0),
  ]);
  const lo = e.op("Floor", [q]);
  const hi = e.op("Min", [e.op("Add", [lo, one]), lastSource]);
  // Position of the k-th valid source = #{j : valid sources up to j ≤ k}.
  const sourceAt = (k: string) =>
    e.reduce(
      "ReduceSum",
      e.toFloat(e.op("Less", [e.unsqueeze(validUpTo, [1]), e.unsqueeze(e.op("Add", [k, e.f32(0.5)]), [2])])),
      [2],
      false,
    );
  const atLo = sourceAt(lo);
  return e.op("Add", [atLo, e.op("Mul", [e.op("Sub", [q, lo]), e.op("Sub", [sourceAt(hi), atLo])])]);
}

/** Row i's segment is that of source pᵢ; sources count when their segment id equals it. */
function segments(e: GraphEmitter, input: string, b: string, t: string, s: string, selfIndex: string) {
  // Padded in front with −1 (no segment) so a short input cannot fail the run, as in validity().
  const none = e.op("Expand", [e.i64([-1], true), e.concat([b, s], 0)]);
  const seg = e.slice(e.concat([none, e.cast(input, DataType.INT64)], 1), e.op("Neg", [s]), null, 1);
  const at = e.op("Expand", [e.unsqueeze(selfIndex, [0]), e.concat([b, t], 0)]);
  const own = e.op("GatherElements", [seg, at], { axis: { i: 1 } });
  const same = e.toFloat(e.op("Equal", [e.unsqueeze(seg, [1]), e.unsqueeze(own, [2])]));
  const known = e.unsqueeze(e.op("Not", [e.op("Less", [own, e.i64([0], true)])]), [1]);
  return { same: e.unsqueeze(same, [1]), known };
}

export function graphGeometry(e: GraphEmitter, map: string, site: AttentionSite, inputs: GraphInputs): GraphGeometry {
  const self = site.kind === "self";
  const shape = e.op("Shape", [map]);
  const [b, h, t, s] = [0, 1, 2, 3].map((i) => e.slice(shape, i, i + 1, 0));
  // An image or audio tower's self site (CLIP's vision tower): the text's mask and segments are not its own.
  const targetStream = self && !readsTextFeeds(site) ? {} : inputs.streams[site.stack];
  const sourceStream = self ? targetStream : inputs.streams.encoder;
  const tv = validity(e, targetStream, b, t);
  const sv = validity(e, sourceStream, b, s);

  const j = e.toFloat(e.range(e.squeeze(s, [0])));
  const rowIndex = e.range(e.squeeze(t, [0]));
  const selfIndex = e.op("Add", [rowIndex, e.op("Sub", [s, t])]);
  const selfOffsets = e.op("Sub", [e.unsqueeze(j, [0]), e.unsqueeze(e.toFloat(selfIndex), [1])]); // [T, S]
  const future = e.toFloat(e.op("Greater", [selfOffsets, e.f32(0)]));
  const causal = causalFlag(e, map, future, tv, site, t, s);

  const validUpTo = e.op("CumSum", [sv, e.i64([1], true)]);
  const sv4 = e.unsqueeze(sv, [1, 2]); // [B, 1, 1, S]
  let offsets: string;
  let visible: string;
  if (self) {
    offsets = selfOffsets;
    const causalSeen = e.op("Where", [causal, e.op("Sub", [e.f32(1), future]), e.f32(1)]);
    visible = e.op("Mul", [sv4, causalSeen]);
  } else {
    const p = crossPositions(e, tv, sv, validUpTo);
    offsets = e.unsqueeze(e.op("Sub", [e.unsqueeze(j, [0, 1]), e.unsqueeze(p, [2])]), [1]);
    visible = e.op("Expand", [sv4, e.concat([b, e.i64([1]), t, s], 0)]);
  }
  const firstSource = e.cast(
    e.reduce("ReduceSum", e.toFloat(e.op("Less", [validUpTo, e.f32(0.5)])), [1], false),
    DataType.INT64,
  );
  const segmentInput = self ? targetStream.segments : undefined;
  return {
    shape,
    batch: b,
    heads: h,
    targets: t,
    sources: s,
    causal,
    offsets,
    visible,
    visibleCount: e.reduce("ReduceSum", visible, [3], false),
    targetValid: e.unsqueeze(e.cast(tv, DataType.BOOL), [1]),
    selfIndex: self ? selfIndex : rowIndex,
    firstSource,
    segment: segmentInput ? segments(e, segmentInput, b, t, s, selfIndex) : undefined,
  };
}
