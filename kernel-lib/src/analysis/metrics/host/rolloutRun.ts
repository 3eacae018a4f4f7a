/**
 * A self stack's rollout in one onnxruntime run, where the heads are fused by their mean and every
 * target row of every sample is valid: per layer the row checks' sums, the heads' sum and the
 * product, all in one graph. The fused maps and the running product stay inside onnxruntime; only
 * R and the checks' small outputs come back. (onnxruntime-node copies each output it returns into
 * fresh memory, about 0.3 ms for a 1 MB map; the per-layer path returned two such maps a layer.)
 *   Â·R = s ⊙ (m·R) + r·R,   s = (1 − r) / rowsum(m),   m = the heads' sum with hidden sources zeroed;
 *   first layer: Â = s ⊙ m + r·I.
 * The rows are checked after the run, layer by layer, with scanSite's error for the first bad row.
 */
import type { GraphSpec, NodeSpec } from "../../../graph/onnx/encode";
import type { SiteAttention } from "../../../result/types";
import type { SiteGeometry } from "../geometry";
import { type SessionGroup, syncSession } from "./ortSync";
import { checkRows, headWeights, hiddenSources, sourceColumns } from "./rolloutHost";
import { checkNodes, headSumNodes, ints, stepNodes } from "./rolloutNodes";
import { visibleOf } from "./rolloutStep";

const FLOAT = 1;
const INT64 = 7;
/** One graph per layer count (and form): the two used last are kept, each with its working memory. */
export const ONE_RUN_SESSIONS: SessionGroup = { name: "rollout-one-run", keep: 2 };

/**
 * The graph for L layers: each layer the per-layer graphs' nodes (rolloutNodes.ts), its values
 * suffixed with its index. `hiddenMass`: causal rows, whose hidden mass is a product with the
 * hidden indicator (else the columns give it); `masked`: some row does not see every source, so
 * m is zeroed there before its row sums.
 */
function oneRunGraph(L: number, hiddenMass: boolean, masked: boolean): GraphSpec {
  const nodes: NodeSpec[] = [{ name: "ri", opType: "Mul", inputs: ["eye", "residual"], outputs: ["ri"] }];
  const outputs: string[] = [];
  for (let l = 0; l < L; l++) {
    const x = `x${l}`;
    const at = (name: string) => `${name}${l}`;
    const m = masked ? at("m") : at("map");
    nodes.push(
      ...checkNodes(x, at, hiddenMass),
      ...headSumNodes(x, at),
      { name: at("toMap"), opType: "Reshape", inputs: [at("fused"), "bts"], outputs: [at("map")] },
      ...(masked ? [{ name: at("hideMap"), opType: "Mul", inputs: [at("map"), "visible"], outputs: [m] }] : []),
      ...stepNodes(m, l === 0 ? null : `R${l - 1}`, "ri", l === L - 1 ? "rollout" : at("R"), at),
    );
    outputs.push(at("sums"), at("rowMin"), ...(hiddenMass ? [at("masked")] : []), at("rowSums"));
  }
  outputs.push("rollout");
  return {
    name: "rollout_one_run",
    nodes,
    inputs: [
      ...Array.from({ length: L }, (_, l) => ({ name: `x${l}`, elemType: FLOAT, shape: ["B", "H", "T", "T"] })),
      { name: "columns", elemType: FLOAT, shape: ["B", 1, "T", "C"] },
      { name: "headWeights", elemType: FLOAT, shape: [1, "H"] },
      ...(hiddenMass ? [{ name: "hidden", elemType: FLOAT, shape: ["B", 1, "T", "T"] }] : []),
      ...(masked ? [{ name: "visible", elemType: FLOAT, shape: ["B", "T", "T"] }] : []),
      { name: "bts", elemType: INT64, shape: [3] },
      { name: "eye", elemType: FLOAT, shape: ["T", "T"] },
      { name: "keep", elemType: FLOAT, shape: [1] },
      { name: "residual", elemType: FLOAT, shape: [1] },
    ],
    outputs: outputs.map((name) => ({ name, elemType: FLOAT })),
    // an initializer no node reads makes onnxruntime print a warning on every load
    initializers: [ints("bhn", [0, 0, -1]), ints("axisLast", [-1]), ...(hiddenMass ? [ints("axis3", [3])] : [])],
  };
}

/** 1 where target row i of sample b sees source j, [B, T, S] (visibleOf's sample masks); null when every row sees every source. */
function visibleSources(geo: SiteGeometry): Float32Array | null {
  const [B, , T, S] = geo.dims;
  const masks = geo.samples.map((_, b) => visibleOf(geo, b));
  if (masks.every((mask) => mask === null)) return null;
  const out = new Float32Array(B * T * S).fill(1);
  masks.forEach((mask, b) => {
    if (mask) out.set(mask, b * T * S);
  });
  return out;
}

/**
 * R of the self layers `sites` (square, one geometry `geo` for all: same masks and causality;
 * layers of different head counts are left to the per-layer path), [B, T, T]; the rows checked as scanSite checks them (its error for the first bad
 * row, layers in order). Null where this form does not apply (a padding target row, a row sum of
 * m that is not positive) or onnxruntime fails: then the per-layer path.
 */
export function rolloutInOneRun(
  sites: SiteAttention[],
  geo: SiteGeometry,
  tolerance: number,
  heads: number[] | undefined,
  residual: number,
): Float32Array | null {
  const [B, H, T] = geo.dims;
  if (geo.samples.some((g) => g.validTargets !== T)) return null;
  if (sites.some((s) => s.dims[1] !== H)) return null; // pruned heads: layers of different widths
  const hidden = hiddenSources(geo);
  const visible = visibleSources(geo);
  const L = sites.length;
  const session = syncSession(
    `oneRun:${L}:${hidden ? 1 : 0}:${visible ? 1 : 0}`,
    () => oneRunGraph(L, hidden !== null, visible !== null),
    ONE_RUN_SESSIONS,
  );
  if (!session) return null;
  const columns = sourceColumns(geo, hidden !== null);
  const eye = new Float32Array(T * T);
  for (let i = 0; i < T; i++) eye[i * T + i] = 1;
  const feeds: Parameters<typeof session.run>[0] = {
    columns: { data: columns.data, dims: [B, 1, T, columns.C] },
    headWeights: { data: headWeights(sites[0], H, heads), dims: [1, H] },
    bts: { data: BigInt64Array.of(BigInt(B), BigInt(T), BigInt(T)), dims: [3] },
    eye: { data: eye, dims: [T, T] },
    keep: { data: Float32Array.of(1 - residual), dims: [1] },
    residual: { data: Float32Array.of(residual), dims: [1] },
  };
  sites.forEach((s, l) => {
    feeds[`x${l}`] = { data: s.data, dims: [B, H, T, T] };
  });
  if (hidden) feeds.hidden = { data: hidden, dims: [B, 1, T, T] };
  if (visible) feeds.visible = { data: visible, dims: [B, T, T] };
  const got = session.run(feeds);
  if (!got) return null;
  sites.forEach((s, l) => {
    checkRows(s, geo, tolerance, {
      sums: got[`sums${l}`],
      C: columns.C,
      rowMin: got[`rowMin${l}`],
      masked: got[`masked${l}`],
    });
  });
  for (let l = 0; l < L; l++) if (!got[`rowSums${l}`].every((v) => v > 0 && v < Number.POSITIVE_INFINITY)) return null;
  return got.rollout;
}
