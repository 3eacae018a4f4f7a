/**
 * Surgery for norm-based attention (Kobayashi et al. 2020, "Attention is not only a weight"):
 * per site, ‖f(x_j)‖ with f(x_j) = (x_j W_V + b_V) W_O^h, head h's value vector j carried through
 * its slice of the output projection, computed in the graph so only [B, H, S] floats reach the
 * host:
 *
 *   V [B, H, S, d] ─► MatMul with W_O reshaped [H, d, D] ─► [B, H, S, D] ─► ReduceL2(last) ─► Cast float
 *
 * Where the projection is not found the norms are ‖v_j‖ alone (Kobayashi's ‖αv‖ variant), and the
 * plan says so per site. V of rank 3 ([B·H, S, d], BART-style) is first split to [B, H, S, d].
 */

import { metricEmitter } from "../ingraph/plan";
import type { GraphEmitter } from "../onnx/emitter";
import type { GraphEdit } from "../onnx/encode";
import { GraphIndex } from "../onnx/graphIndex";
import { defaultOpset, type OnnxModel } from "../onnx/model";
import { DataType } from "../onnx/schema";
import { rankOf } from "../onnx/shapeEval";
import type { AttentionSite } from "../sites/types";
import { findValuePath, type OutputProjection } from "../sites/valuePath";

/** What the norms of a site are: of the transformed vectors f(x_j), of the values alone, or none. */
export type ValueNormKind = "transformed" | "value";

export interface SiteValueNormPlan {
  /** The site id. */
  site: string;
  /** Graph output with the norms, [batch, heads, source] float32; null when the site has none. */
  output: string | null;
  /** null when the site has no norms. */
  kind: ValueNormKind | null;
  /** Why the norms are of the values alone, or missing. */
  note?: string;
}

export interface ValueNormPlan {
  sites: SiteValueNormPlan[];
  edit: GraphEdit;
}

const PREFIX = "attnlens.valuenorms";

export function planValueNorms(model: OnnxModel, sites: readonly AttentionSite[]): ValueNormPlan {
  const index = new GraphIndex(model.graph);
  const e = metricEmitter(defaultOpset(model), PREFIX);
  const planned = sites.map((site) => planSite(index, e, site));
  const addOutputs = planned
    .filter((p) => p.output)
    .map((p) => ({ name: p.output as string, elemType: DataType.FLOAT, shape: [null, null, null] }));
  return { sites: planned, edit: { addNodes: e.nodes, addInitializers: e.initializers, addOutputs } };
}

function planSite(index: GraphIndex, e: GraphEmitter, site: AttentionSite): SiteValueNormPlan {
  const none = (note: string): SiteValueNormPlan => ({ site: site.id, output: null, kind: null, note });
  const path = findValuePath(index, site);
  if (!path.value) return none(path.reason ?? "no values found");
  const H = site.heads;
  // A value reshaped by sizes read at run time (the opset-23 Attention op's decomposition repeats
  // it per head) has no static rank; the probabilities it multiplies may: [B, H, T, S] times
  // values of the same rank, [B, H, S, d], in every export seen.
  const probabilitiesRank = path.probabilities ? rankOf(index, path.probabilities) : null;
  const rank = rankOf(index, path.value) ?? (probabilitiesRank === 4 ? 4 : null);
  let v = path.value;
  if (rank === 3) {
    if (H <= 0) return none("the values fold batch and heads, and the head count is not known before a run");
    v = e.op("Reshape", [v, e.concat([e.i64([-1, H]), e.slice(e.op("Shape", [v]), 1, 3, 0)], 0)]);
  } else if (rank !== 4) {
    return none(`the values have rank ${rank ?? "unknown"}, not [batch, heads, source, head size]`);
  }
  const output = `${PREFIX}/${site.id}`;
  const p = path.projection;
  // Rank 4: W_O splits into heads of V's own size d, read at run time, whatever the static count says
  // (0 when unknown; GQA graphs hide it behind repeated keys). Multi-query V ([B, 1, S, d]) broadcasts
  // against the H heads of W_O in the MatMul, as it does against the probabilities in the model.
  const usable = p && (rank === 4 || (H > 0 && p.width % H === 0));
  let x = v;
  if (usable) {
    const w = p.transposed ? e.op("Transpose", [p.weight], { perm: { ints: [1, 0] } }) : p.weight;
    // [H·d, D] → [H, d, D]: head h's rows of W_O, which multiply its d value components.
    const shape = () => e.op("Shape", [v]);
    const heads =
      rank === 4
        ? e.concat([e.i64([-1]), e.slice(shape(), 3, 4, 0), e.i64([outputWidth(index, p)])], 0)
        : e.i64([H, p.width / H, -1]);
    x = e.op("MatMul", [v, e.op("Reshape", [w, heads])]);
  }
  e.op("Cast", [l2(e, x)], { to: { i: DataType.FLOAT } }, output);
  if (usable) return { site: site.id, output, kind: "transformed" };
  const why = p
    ? `the output projection's width ${p.width} does not split into ${H || "an unknown number of"} heads`
    : (path.reason ?? "no output projection");
  return { site: site.id, output, kind: "value", note: `‖v_j‖ only: ${why}` };
}

/** D, the projection's output width: W_O is [H·d, D], or [D, H·d] when transposed. */
function outputWidth(index: GraphIndex, p: OutputProjection): number {
  const dims = index.graph.initializers.get(p.weight)?.dims ?? [];
  return Number(p.transposed ? dims[0] : dims[1]);
}

/** ‖x‖₂ over the last axis, that axis dropped (axes became an input of ReduceL2 in opset 18). */
function l2(e: GraphEmitter, x: string): string {
  const keep = { keepdims: { i: 0 } };
  return e.opset >= 18
    ? e.op("ReduceL2", [x, e.i64([-1])], keep)
    : e.op("ReduceL2", [x], { ...keep, axes: { ints: [-1] } });
}
