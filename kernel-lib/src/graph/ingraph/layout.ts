/**
 * A site's probabilities as a float32 [B, H, T, S] tensor inside the graph, whatever layout the
 * model computed them in — the in-graph twin of result/layout.ts `toBhts`: half/double precision
 * cast, the Softmax axis moved last, heads folded into the batch split out, a [T, S] map given
 * unit batch and head axes.
 */
import type { GraphEmitter } from "../onnx/emitter";
import type { GraphIndex } from "../onnx/graphIndex";
import { DataType } from "../onnx/schema";
import { rankOf } from "../onnx/shapeEval";
import type { AttentionSite } from "../sites/types";

/** The static rank of the site's output, when the graph tells it. */
function siteRank(index: GraphIndex, site: AttentionSite): number | null {
  const declared = index.graph.valueInfo.get(site.output) ?? index.graph.outputs.find((o) => o.name === site.output);
  if (declared?.shape) return declared.shape.length;
  return rankOf(index, site.output);
}

/**
 * Moves the softmax axis last. A known rank gives a static Transpose; an unknown rank with a
 * negative axis folds the leading and trailing dims ([outer, len, inner] → [outer, inner, len]).
 * A positive axis with no known rank is read as discovery does: rank 4.
 */
function sourceAxisLast(
  e: GraphEmitter,
  x: string,
  site: AttentionSite,
  rank: number | null,
): { x: string; rank: number | null } {
  const axis = site.softmaxAxis;
  // Opset < 13 Softmax over a non-last axis is no distribution; toBhts refuses it, so take it as last.
  if (axis === -1 || site.legacySoftmax) return { x, rank };
  const r = rank ?? (axis >= 0 ? 4 : null);
  if (r != null) {
    const a = axis < 0 ? axis + r : axis;
    if (a === r - 1) return { x, rank: r };
    const perm = [...Array.from({ length: r }, (_, i) => i).filter((i) => i !== a), a];
    return { x: e.op("Transpose", [x], { perm: { ints: perm } }), rank: r };
  }
  const shape = e.op("Shape", [x]);
  const len = e.slice(shape, axis, axis + 1, 0);
  const inner = e.reduce("ReduceProd", e.slice(shape, axis + 1, null, 0), [0], true);
  const folded = e.op("Reshape", [x, e.concat([e.i64([-1]), len, inner], 0)]);
  return { x: e.op("Transpose", [folded], { perm: { ints: [0, 2, 1] } }), rank: 3 };
}

export function bhtsInGraph(e: GraphEmitter, index: GraphIndex, site: AttentionSite, batchInput?: string): string {
  const cast = e.cast(site.output, DataType.FLOAT);
  const { x, rank } = sourceAxisLast(e, cast, site, siteRank(index, site));
  if (rank === 4) return x;
  const ts = e.slice(e.op("Shape", [x]), -2, null, 0);
  if (rank === 2) return e.op("Reshape", [x, e.concat([e.i64([1, 1]), ts], 0)]);
  // Same precedence as toBhts: the static head count, else the batch size, else all heads in one sample.
  const lead =
    site.heads > 0
      ? e.i64([-1, site.heads])
      : batchInput
        ? e.concat([e.dim(batchInput, 0), e.i64([-1])], 0)
        : e.i64([1, -1]);
  return e.op("Reshape", [x, e.concat([lead, ts], 0)]);
}
