/**
 * One rollout layer on onnxruntime, straight from checkedHeadSums' raw rows (m = the heads' sum,
 * hidden sources zeroed): since Ā = m / rowsum(m) and Â = (1 − r)·Ā + r·I has rows summing to 1,
 *   Â·R = s ⊙ (m·R) + r·R,   s = (1 − r) / rowsum(m)   (first layer: Â = s ⊙ m + r·I).
 * The graph does the row sums, the scaling and the product in one run, so no JavaScript pass over
 * the T×T map remains; where the row sums are already known and every row sees every source,
 * a shorter graph does the product and the scaling alone (knownSumsGraph). Rows it cannot express (padding targets, whose Â row is the identity; a
 * row with nothing visible, from max/min fusion) send the layer to residualAdjustedOf + MatMul.
 */
import type { GraphSpec, NodeSpec } from "../../../graph/onnx/encode";
import { type SampleGeometry, type SiteGeometry, visibleLimit } from "../geometry";
import { syncSession } from "./ortSync";
import { ortMultiply, residualAdjustedOf } from "./rolloutHost";

const FLOAT = 1;
const INT64 = 7;

function stepGraph(chained: boolean, masked: boolean): GraphSpec {
  const m = masked ? "m" : "raw";
  const nodes: NodeSpec[] = [
    ...(masked ? [{ name: "hide", opType: "Mul", inputs: ["raw", "visible"], outputs: ["m"] }] : []),
    { name: "sum", opType: "ReduceSum", inputs: [m, "axis1"], outputs: ["sums"], attributes: { keepdims: { i: 1 } } },
    { name: "scale", opType: "Div", inputs: ["keep", "sums"], outputs: ["scale"] },
  ];
  if (chained) {
    nodes.push(
      { name: "mm", opType: "MatMul", inputs: [m, "prev"], outputs: ["p"] },
      { name: "sp", opType: "Mul", inputs: ["p", "scale"], outputs: ["sp"] },
      { name: "rr", opType: "Mul", inputs: ["prev", "residual"], outputs: ["rr"] },
      { name: "out", opType: "Add", inputs: ["sp", "rr"], outputs: ["out"] },
    );
  } else {
    nodes.push(
      { name: "sm", opType: "Mul", inputs: [m, "scale"], outputs: ["sm"] },
      { name: "eye", opType: "EyeLike", inputs: [m], outputs: ["eye"] },
      { name: "ri", opType: "Mul", inputs: ["eye", "residual"], outputs: ["ri"] },
      { name: "out", opType: "Add", inputs: ["sm", "ri"], outputs: ["out"] },
    );
  }
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
      { name: "sums", elemType: FLOAT },
    ],
    initializers: [{ name: "axis1", dataType: INT64, dims: [1], data: BigInt64Array.of(1n) }],
  };
}

/**
 * The step when every row sees every source and the fused rows' sums M are known (mean fusion,
 * checkedHeadSums' rowMass): with s = (1 − r) / M,
 *   Â = s ⊙ m + r·I = s ⊙ m′,   m′ = m with r·Mᵢ / (1 − r) added to diagonal entry i,
 * so Â·R = s ⊙ (m′·R): the product and one row scaling, with the diagonal set on the host (T
 * values). Three passes over the T×T map fewer than stepGraph (the row sums, r·R, the sum).
 */
function knownSumsGraph(chained: boolean): GraphSpec {
  const nodes: NodeSpec[] = chained
    ? [
        { name: "mm", opType: "MatMul", inputs: ["raw", "prev"], outputs: ["p"] },
        { name: "out", opType: "Mul", inputs: ["p", "scale"], outputs: ["out"] },
      ]
    : [{ name: "out", opType: "Mul", inputs: ["raw", "scale"], outputs: ["out"] }];
  return {
    name: "rollout_step_known_sums",
    nodes,
    inputs: [
      { name: "raw", elemType: FLOAT, shape: ["T", "T"] },
      ...(chained ? [{ name: "prev", elemType: FLOAT, shape: ["T", "N"] }] : []),
      { name: "scale", elemType: FLOAT, shape: ["T", 1] },
    ],
    outputs: [{ name: "out", elemType: FLOAT }],
    initializers: [],
  };
}

/**
 * knownSumsGraph's step for sample b, or null where it does not apply (r = 1, a row sum that is
 * not positive and finite) or onnxruntime fails; raw is left as it was.
 */
function knownSumsStep(
  raw: Float32Array,
  rowMass: Float64Array,
  T: number,
  b: number,
  residual: number,
  prev: Float32Array | null,
): Float32Array | null {
  if (!(residual < 1)) return null;
  const scale = new Float32Array(T);
  const lift = new Float64Array(T);
  for (let i = 0; i < T; i++) {
    const mass = rowMass[b * T + i];
    if (!(mass > 0 && mass < Number.POSITIVE_INFINITY)) return null;
    scale[i] = (1 - residual) / mass;
    lift[i] = (residual * mass) / (1 - residual);
  }
  const session = syncSession(`step-known:${prev ? 1 : 0}`, () => knownSumsGraph(prev !== null));
  if (!session) return null;
  const m = raw.subarray(b * T * T, (b + 1) * T * T);
  const diagonal = new Float32Array(T);
  for (let i = 0; i < T; i++) {
    diagonal[i] = m[i * T + i];
    m[i * T + i] += lift[i];
  }
  try {
    const feeds: Parameters<typeof session.run>[0] = {
      raw: { data: m, dims: [T, T] },
      scale: { data: scale, dims: [T, 1] },
    };
    if (prev) feeds.prev = { data: prev, dims: [T, T] };
    return session.run(feeds)?.out ?? null;
  } finally {
    for (let i = 0; i < T; i++) m[i * T + i] = diagonal[i];
  }
}

const visibleMasks = new WeakMap<SampleGeometry, Float32Array | null>();

/** 1 where row i sees source j (valid, not in its future), [T, S]; null when every row sees every source. */
function visibleOf(geo: SiteGeometry, b: number): Float32Array | null {
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
 * onnxruntime is unavailable. `rowMass`: the fused rows' sums where known (checkedHeadSums).
 */
export function rolloutStepOnOrt(
  raw: Float32Array,
  geo: SiteGeometry,
  b: number,
  residual: number,
  prev: Float32Array | null,
  rowMass: Float64Array | null = null,
): Float32Array | null {
  const [, , T] = geo.dims;
  if (geo.samples[b].validTargets === T) {
    const visible = visibleOf(geo, b);
    const known = rowMass && !visible ? knownSumsStep(raw, rowMass, T, b, residual, prev) : null;
    if (known) return known;
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
    if (got.sums.every((s) => s > 0 && s < Number.POSITIVE_INFINITY)) return got.out;
  }
  const a = residualAdjustedOf(raw, geo, b, residual);
  return prev ? ortMultiply(a, prev, T, T, T) : a;
}
