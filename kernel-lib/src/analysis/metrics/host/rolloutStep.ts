/**
 * One rollout layer on onnxruntime, straight from checkedHeadSums' raw rows (m = the heads' sum,
 * hidden sources zeroed): since Ā = m / rowsum(m) and Â = (1 − r)·Ā + r·I has rows summing to 1,
 *   Â·R = s ⊙ (m·R) + r·R,   s = (1 − r) / rowsum(m)   (first layer: Â = s ⊙ m + r·I).
 * The graph does the row sums, the scaling and the product in one run, so no JavaScript pass over
 * the T×T map remains. Rows it cannot express (padding targets, whose Â row is the identity; a
 * row with nothing visible, from max/min fusion) send the layer to residualAdjustedOf + MatMul.
 */
import type { GraphSpec, NodeSpec } from "../../../graph/onnx/encode";
import { type SampleGeometry, type SiteGeometry, visibleLimit } from "../geometry";
import { syncSession } from "./ortSync";
import { ortMultiply, residualAdjustedOf } from "./rolloutHost";
import { ints, sameName, stepNodes } from "./rolloutNodes";

const FLOAT = 1;

function stepGraph(chained: boolean, masked: boolean): GraphSpec {
  const m = masked ? "m" : "raw";
  const nodes: NodeSpec[] = masked ? [{ name: "hide", opType: "Mul", inputs: ["raw", "visible"], outputs: ["m"] }] : [];
  if (!chained) {
    nodes.push(
      { name: "eye", opType: "EyeLike", inputs: [m], outputs: ["eye"] },
      { name: "ri", opType: "Mul", inputs: ["eye", "residual"], outputs: ["ri"] },
    );
  }
  nodes.push(...stepNodes(m, chained ? "prev" : null, "ri", "out", sameName));
  return {
    name: "rollout_step",
    nodes,
    inputs: [
      { name: "raw", elemType: FLOAT, shape: ["T", "T"] },
      ...(masked ? [{ name: "visible", elemType: FLOAT, shape: ["T", "T"] }] : []),
      ...(chained ? [{ name: "prev", elemType: FLOAT, shape: ["T", "N"] }] : []),
      { name: "keep", elemType: FLOAT, shape: [1] },
      { name: "residual", elemType: FLOAT, shape: [1] },
    ],
    outputs: [
      { name: "out", elemType: FLOAT },
      { name: "rowSums", elemType: FLOAT },
    ],
    initializers: [ints("axisLast", [-1])],
  };
}

const visibleMasks = new WeakMap<SampleGeometry, Float32Array | null>();

/** 1 where row i sees source j (valid, not in its future), [T, S]; null when every row sees every source. */
export function visibleOf(geo: SiteGeometry, b: number): Float32Array | null {
  const g = geo.samples[b];
  const cached = visibleMasks.get(g);
  if (cached !== undefined) return cached;
  const [, , T, S] = geo.dims;
  let mask: Float32Array | null = null;
  if (g.validBefore[S] !== S || (geo.causal && visibleLimit(geo, 0) < S)) {
    mask = new Float32Array(T * S);
    for (let i = 0; i < T; i++) {
      const limit = visibleLimit(geo, i);
      for (let j = 0; j < limit; j++) mask[i * S + j] = g.sourceValid[j];
    }
  }
  visibleMasks.set(g, mask);
  return mask;
}

/**
 * R ← Â·R for sample b of a square self site (R = Â when `prev` is null), [T, T] float32; null where
 * onnxruntime is unavailable.
 */
export function rolloutStepOnOrt(
  raw: Float32Array,
  geo: SiteGeometry,
  b: number,
  residual: number,
  prev: Float32Array | null,
): Float32Array | null {
  const [, , T] = geo.dims;
  if (geo.samples[b].validTargets === T) {
    const visible = visibleOf(geo, b);
    const session = syncSession(`step:${prev ? 1 : 0}:${visible ? 1 : 0}`, () =>
      stepGraph(prev !== null, visible !== null),
    );
    if (!session) return null;
    const feeds: Parameters<typeof session.run>[0] = {
      raw: { data: raw.subarray(b * T * T, (b + 1) * T * T), dims: [T, T] },
      keep: { data: Float32Array.of(1 - residual), dims: [1] },
      residual: { data: Float32Array.of(residual), dims: [1] },
    };
    if (visible) feeds.visible = { data: visible, dims: [T, T] };
    if (prev) feeds.prev = { data: prev, dims: [T, T] };
    const got = session.run(feeds);
    if (!got) return null;
    if (got.rowSums.every((s) => s > 0 && s < Number.POSITIVE_INFINITY)) return got.out;
  }
  const a = residualAdjustedOf(raw, geo, b, residual);
  return prev ? ortMultiply(a, prev, T, T, T) : a;
}
