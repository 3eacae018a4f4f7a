/**
 * The onnxruntime nodes of host rollout, shared by the per-layer graphs (rolloutHost.ts,
 * rolloutStep.ts) and the one-run graph (rolloutRun.ts), which chains the same nodes layer by
 * layer. `at` names a layer's values: the identity in a one-layer graph, a layer suffix in the
 * one-run graph.
 */
import type { NodeSpec } from "../../../graph/onnx/encode";

const INT64 = 7;

export type Namer = (name: string) => string;

export const sameName: Namer = (name) => name;

/** An int64 vector initializer (axes, shapes). */
export function ints(name: string, v: number[]) {
  return { name, dataType: INT64, dims: [v.length], data: BigInt64Array.from(v, BigInt) };
}

/**
 * The row checks' reads of map x [B, H, T, S], each one multi-threaded read: at("sums"), the
 * product with the source columns ([B, 1, S, C]: the row's total, then its masked mass when C = 2);
 * at("rowMin"), each row's minimum; with `rowHidden`, at("masked"), the mass on the sources the
 * hidden indicator marks (a causal row's future, which varies row by row). Reads initializer axis3.
 */
export function checkNodes(x: string, at: Namer, rowHidden: boolean): NodeSpec[] {
  const nodes: NodeSpec[] = [
    { name: at("sums"), opType: "MatMul", inputs: [x, "columns"], outputs: [at("sums")] },
    {
      name: at("rowMin"),
      opType: "ReduceMin",
      inputs: [x],
      outputs: [at("rowMin")],
      attributes: { axes: { ints: [3] }, keepdims: { i: 0 } },
    },
  ];
  if (rowHidden) {
    nodes.push(
      { name: at("hide"), opType: "Mul", inputs: [x, "hidden"], outputs: [at("xh")] },
      {
        name: at("masked"),
        opType: "ReduceSum",
        inputs: [at("xh"), "axis3"],
        outputs: [at("masked")],
        attributes: { keepdims: { i: 0 } },
      },
    );
  }
  return nodes;
}

/** The heads of map x summed with weights headWeights [1, H]: at("fused"), [B, 1, T·S]. Reads initializer bhn. */
export function headSumNodes(x: string, at: Namer): NodeSpec[] {
  return [
    { name: at("flat"), opType: "Reshape", inputs: [x, "bhn"], outputs: [at("flat")] },
    { name: at("fuse"), opType: "MatMul", inputs: ["headWeights", at("flat")], outputs: [at("fused")] },
  ];
}

/**
 * One rollout layer from m (the heads' sum, hidden sources zeroed), rows summing over the last
 * axis: at("rowSums"), s = keep / rowSums, then `out` = s ⊙ (m·prev) + r·prev, or for the first
 * layer (prev null) s ⊙ m + ri, with ri = r·I. Reads initializer axisLast.
 */
export function stepNodes(m: string, prev: string | null, ri: string, out: string, at: Namer): NodeSpec[] {
  const nodes: NodeSpec[] = [
    {
      name: at("rowSum"),
      opType: "ReduceSum",
      inputs: [m, "axisLast"],
      outputs: [at("rowSums")],
      attributes: { keepdims: { i: 1 } },
    },
    { name: at("scale"), opType: "Div", inputs: ["keep", at("rowSums")], outputs: [at("scale")] },
  ];
  if (prev === null) {
    nodes.push(
      { name: at("sm"), opType: "Mul", inputs: [m, at("scale")], outputs: [at("sm")] },
      { name: at("add"), opType: "Add", inputs: [at("sm"), ri], outputs: [out] },
    );
  } else {
    nodes.push(
      { name: at("mm"), opType: "MatMul", inputs: [m, prev], outputs: [at("p")] },
      { name: at("sp"), opType: "Mul", inputs: [at("p"), at("scale")], outputs: [at("sp")] },
      { name: at("rr"), opType: "Mul", inputs: [prev, "residual"], outputs: [at("rr")] },
      { name: at("add"), opType: "Add", inputs: [at("sp"), at("rr")], outputs: [out] },
    );
  }
  return nodes;
}
