/**
 * Rollout's host work on onnxruntime's CPU kernels (MLAS: multi-threaded, AVX2/AVX-512 GEMM and
 * reductions), through the synchronous sessions of ortSync.ts. Same results as the reference path
 * (scanSite + fuseWithGeometry + multiplyJs) within float32 rounding; null wherever onnxruntime is
 * not there, and the caller takes the reference path.
 *
 * One graph per site makes the row checks and the head fusion, reading the maps in place:
 *   row sum Σⱼ a, min over j, masked mass Σⱼ a·hidden   (per head row: the checks scanSite makes)
 *   fused = Σ / max / min over the chosen heads         (then masked sources zeroed, rows renormalized here)
 */
import type { GraphSpec, NodeSpec } from "../../../graph/onnx/encode";
import type { SiteAttention } from "../../../result/types";
import { chosenHeads, type Fusion, writeRenormalized } from "../aggregate";
import { type SampleGeometry, type SiteGeometry, visibleLimit } from "../geometry";
import { rowError, rowPlace } from "../validate";
import { syncSession } from "./ortSync";
import { checkNodes, headSumNodes, ints, sameName } from "./rolloutNodes";

const FLOAT = 1;
const INT64 = 7;
const REDUCER: Record<Fusion, string> = { mean: "ReduceSum", max: "ReduceMax", min: "ReduceMin" };

/** C = A·B for row-major float32 A [n×k], B [k×m] on onnxruntime's MatMul; null where unavailable. */
export function ortMultiply(a: Float32Array, b: Float32Array, n: number, k: number, m: number): Float32Array | null {
  const s = syncSession("matmul", () => ({
    name: "matmul",
    nodes: [{ name: "mm", opType: "MatMul", inputs: ["a", "b"], outputs: ["c"] }],
    inputs: [
      { name: "a", elemType: FLOAT, shape: ["n", "k"] },
      { name: "b", elemType: FLOAT, shape: ["k", "m"] },
    ],
    outputs: [{ name: "c", elemType: FLOAT, shape: ["n", "m"] }],
    initializers: [],
  }));
  return s?.run({ a: { data: a, dims: [n, k] }, b: { data: b, dims: [k, m] } })?.c ?? null;
}

/**
 * The graph of one site's checks and fusion. Each value is one multi-threaded read of the maps:
 * a product with [1, invalid] per source gives row sums and masked mass together, or with [1] alone
 * when no source is masked (a product with one column reads the maps faster than with two); a
 * future source of a causal row is hidden row by row, so there a product with the hidden
 * indicator, `rowHidden`, gives it; the mean over heads is a product with the head weights (chosen
 * heads 1, others 0).
 */
function fuseCheckGraph(fusion: Fusion, rowHidden: boolean): GraphSpec {
  const nodes: NodeSpec[] = checkNodes("x", sameName, rowHidden);
  if (fusion === "mean") {
    nodes.push(...headSumNodes("x", sameName));
  } else {
    nodes.push(
      { name: "heads", opType: "Gather", inputs: ["x", "heads"], outputs: ["xs"], attributes: { axis: { i: 1 } } },
      {
        name: "fuse",
        opType: REDUCER[fusion],
        inputs: ["xs"],
        outputs: ["fused"],
        attributes: { axes: { ints: [1] }, keepdims: { i: 0 } },
      },
    );
  }
  const outputs = ["sums", "rowMin", ...(rowHidden ? ["masked"] : []), "fused"];
  return {
    name: "fuse_check",
    nodes,
    inputs: [
      { name: "x", elemType: FLOAT, shape: ["B", "H", "T", "S"] },
      { name: "columns", elemType: FLOAT, shape: ["B", 1, "S", "C"] },
      ...(rowHidden ? [{ name: "hidden", elemType: FLOAT, shape: ["B", 1, "T", "S"] }] : []),
      fusion === "mean"
        ? { name: "headWeights", elemType: FLOAT, shape: [1, "H"] }
        : { name: "heads", elemType: INT64, shape: ["K"] },
    ],
    outputs: outputs.map((name) => ({ name, elemType: FLOAT })),
    initializers: [...(rowHidden ? [ints("axis3", [3])] : []), ...(fusion === "mean" ? [ints("bhn", [0, 0, -1])] : [])],
  };
}

/**
 * Per sample and source, [1, 1 if the source is masked]: [B, 1, S, C] with C = 2; C = 1 (the ones
 * alone) when the masked mass comes from elsewhere (`hiddenElsewhere`: the hidden indicator) or no
 * sample has a masked source (then it is 0).
 */
export function sourceColumns(geo: SiteGeometry, hiddenElsewhere: boolean): { data: Float32Array; C: number } {
  const [B, , , S] = geo.dims;
  const C = hiddenElsewhere || geo.samples.every((g) => g.validBefore[S] === S) ? 1 : 2;
  const out = new Float32Array(B * S * C);
  for (let b = 0; b < B; b++) {
    const valid = geo.samples[b].sourceValid;
    for (let j = 0; j < S; j++) {
      out[(b * S + j) * C] = 1;
      if (C === 2) out[(b * S + j) * 2 + 1] = valid[j] ? 0 : 1;
    }
  }
  return { data: out, C };
}

/**
 * Each geometry's hidden-source indicator: sites that share their samples' geometry (rollout's
 * layers, sharedGeometry) share it, and it is made once, not once per layer.
 */
const hiddenMasks = new WeakMap<SampleGeometry[], { key: string; mask: Float32Array | null }>();

/** 1 where a source is hidden from a row (masked, or in the future of a causal row), [B, 1, T, S]; null when no row sees less than the valid sources. */
export function hiddenSources(geo: SiteGeometry): Float32Array | null {
  const key = `${geo.dims.join(",")}|${geo.causal}|${geo.offset}`;
  const known = hiddenMasks.get(geo.samples);
  if (known?.key === key) return known.mask;
  const mask = hiddenIndicator(geo);
  hiddenMasks.set(geo.samples, { key, mask });
  return mask;
}

function hiddenIndicator(geo: SiteGeometry): Float32Array | null {
  const [B, , T, S] = geo.dims;
  if (!geo.causal || visibleLimit(geo, 0) >= S) return null;
  const out = new Float32Array(B * T * S);
  for (let b = 0; b < B; b++) {
    const valid = geo.samples[b].sourceValid;
    for (let i = 0; i < T; i++) {
      const at = (b * T + i) * S;
      const limit = visibleLimit(geo, i);
      for (let j = 0; j < S; j++) out[at + j] = j < limit && valid[j] ? 0 : 1;
    }
  }
  return out;
}

/**
 * The checks scanSite makes on every row of the site (each valid target row, every head, sums to 1
 * within `tolerance`, no negative weight, no mass on hidden sources), then the heads fused as
 * fuseWithGeometry fuses them: [B, T, S]. Throws the error scanSite would throw for the first bad
 * row; null where onnxruntime is unavailable.
 */
export function fuseAndCheckOnOrt(
  site: SiteAttention,
  geo: SiteGeometry,
  tolerance: number,
  fusion: Fusion = "mean",
  heads?: number[],
): Float32Array | null {
  const raw = checkedHeadSums(site, geo, tolerance, fusion, heads);
  return raw && renormalized(raw, geo);
}

/** The mean fusion's weight of each head, [H]: chosen heads 1, others 0, a head listed twice counted twice (as in fuseWithGeometry). */
export function headWeights(site: { id: string }, H: number, heads?: number[]): Float32Array {
  const weights = new Float32Array(H);
  for (const h of chosenHeads(site, H, heads)) weights[h] += 1;
  return weights;
}

/**
 * fuseAndCheckOnOrt before renormalization: the heads' sum (mean), max or min, [B, T, S], rows
 * checked. residualAdjustedOf turns it into rollout's Â in one pass.
 */
export function checkedHeadSums(
  site: SiteAttention,
  geo: SiteGeometry,
  tolerance: number,
  fusion: Fusion = "mean",
  heads?: number[],
): Float32Array | null {
  const [B, H, T, S] = geo.dims;
  const chosen = chosenHeads(site, H, heads);
  const hidden = hiddenSources(geo);
  const session = syncSession(`fuse:${fusion}:${hidden ? 1 : 0}`, () => fuseCheckGraph(fusion, hidden !== null));
  if (!session) return null;
  const columns = sourceColumns(geo, hidden !== null);
  const feeds: Parameters<typeof session.run>[0] = {
    x: { data: site.data, dims: [B, H, T, S] },
    columns: { data: columns.data, dims: [B, 1, S, columns.C] },
  };
  if (hidden) feeds.hidden = { data: hidden, dims: [B, 1, T, S] };
  if (fusion === "mean") feeds.headWeights = { data: headWeights(site, H, heads), dims: [1, H] };
  else feeds.heads = { data: BigInt64Array.from(chosen, (h) => BigInt(h)), dims: [chosen.length] };
  const got = session.run(feeds);
  if (!got) return null;
  const { sums, rowMin, masked, fused } = got;
  checkRows(site, geo, tolerance, { sums, C: columns.C, rowMin, masked });
  return fused;
}

/** What the check graphs give per head row: sums (C per row: total, then masked mass when C = 2), minimum, hidden mass. */
export interface RowSums {
  sums: Float32Array;
  C: number;
  rowMin: Float32Array;
  /** Mass on hidden sources when the hidden indicator gave it (causal rows), else undefined. */
  masked?: Float32Array;
}

/**
 * scanSite's checks on every valid target row of every head (sums to 1 within `tolerance`, no
 * negative weight, no mass on hidden sources), from the check graph's outputs; throws scanSite's
 * error for the first bad row.
 */
export function checkRows(site: SiteAttention, geo: SiteGeometry, tolerance: number, got: RowSums): void {
  const [B, H, T] = geo.dims;
  const { sums, C, rowMin, masked } = got;
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        if (!g.targetValid[i]) continue;
        const r = (b * H + h) * T + i;
        const total = sums[C * r];
        const hiddenMass = masked ? masked[r] : C === 2 ? sums[2 * r + 1] : 0;
        const negative = rowMin[r] < 0;
        if (!(Math.abs(total - 1) <= tolerance) || negative || hiddenMass > tolerance) {
          const place = rowPlace(site.id, b + (geo.origin?.sample ?? 0), h, i + (geo.origin?.row ?? 0));
          throw rowError(place, total, negative, hiddenMass, tolerance);
        }
      }
    }
  }
}

/**
 * Â = normalize((1 − r)·Ā + r·I) of sample b (as residualAdjusted over renormalized fusion), straight
 * from checkedHeadSums' raw rows: Ā's rows sum to 1, so Â = (1 − r)·raw/Σ_visible raw + r·I.
 * Rows whose visible sum is 0 take the reference steps (uniform fusion row, then normalize).
 */
export function residualAdjustedOf(raw: Float32Array, geo: SiteGeometry, b: number, residual: number): Float32Array {
  const [, , T, S] = geo.dims;
  const g = geo.samples[b];
  const valid = g.sourceValid;
  const allValid = g.validBefore[S] === S;
  const out = new Float32Array(T * S);
  const keep = 1 - residual;
  for (let i = 0; i < T; i++) {
    const at = (b * T + i) * S;
    const row = i * S;
    const limit = visibleLimit(geo, i);
    let sum = 0;
    if (g.targetValid[i]) {
      if (allValid) for (let j = 0; j < limit; j++) sum += raw[at + j];
      else for (let j = 0; j < limit; j++) if (valid[j]) sum += raw[at + j];
    }
    if (sum > 0) {
      const scale = keep / sum;
      if (allValid) for (let j = 0; j < limit; j++) out[row + j] = raw[at + j] * scale;
      else for (let j = 0; j < limit; j++) out[row + j] = valid[j] ? raw[at + j] * scale : 0;
      out[row + i] += residual;
      continue;
    }
    // padding target (Ā row 0) or nothing visible: Ā row as renormalized makes it, then normalize
    const n = g.validBefore[limit];
    let total = 0;
    for (let j = 0; j < S; j++) {
      const fusedValue = g.targetValid[i] && j < limit ? valid[j] / n : 0;
      total += out[row + j] = keep * fusedValue + (i === j ? residual : 0);
    }
    if (total === 0) out[row + i] = total = 1;
    for (let j = 0; j < S; j++) out[row + j] /= total;
  }
  return out;
}

/** Hidden sources zeroed, each valid row scaled to sum 1 (uniform over its visible sources when all 0); padding rows 0. */
function renormalized(raw: Float32Array, geo: SiteGeometry): Float32Array {
  const [B, , T, S] = geo.dims;
  const data = new Float32Array(B * T * S);
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    const valid = g.sourceValid;
    for (let i = 0; i < T; i++) {
      if (!g.targetValid[i]) continue;
      const limit = visibleLimit(geo, i);
      const at = (b * T + i) * S;
      writeRenormalized(raw, at, valid, limit, g.validBefore[limit], data, at);
    }
  }
  return data;
}
