/**
 * Symbolic evaluation of the small integer subgraphs exporters emit to compute Reshape targets
 * (Shape → Gather → Unsqueeze → Concat, with Mul by the head count). Unknown runtime sizes are
 * kept as "unknown × factor", which is how a head count folded into the batch
 * ([batch·heads, T, d]) shows up.
 */
import type { GraphIndex } from "./graphIndex";
import { attrInts } from "./model";
import { tensorValues } from "./tensorValues";

/** A known integer, or an unknown runtime size multiplied by a known factor. */
export type SymDim = number | { factor: number };
/** A 1-D integer tensor (or scalar, as length 1); "list" is a list of unknown length (a Shape). */
export type SymValue = SymDim[] | "list" | null;

const MAX_DEPTH = 24;

export function evaluateInts(index: GraphIndex, name: string, depth = 0): SymValue {
  if (depth > MAX_DEPTH) return null;
  const c = index.constant(name);
  if (c) {
    const v = tensorValues(c);
    return v && v.length <= 64 ? v : null;
  }
  const n = index.producer.get(name);
  if (n?.domain !== "") return null;
  const arg = (i: number) => (n.inputs[i] ? evaluateInts(index, n.inputs[i], depth + 1) : null);
  switch (n.opType) {
    case "Shape":
      return "list";
    case "Cast":
    case "Identity":
    case "Floor":
    case "Ceil":
    case "Squeeze":
      return arg(0);
    case "Unsqueeze": {
      const a = arg(0);
      return a === "list" ? null : a;
    }
    case "Gather": {
      const data = arg(0);
      const idx = arg(1);
      if (!Array.isArray(idx) || idx.some((x) => typeof x !== "number")) return null;
      if (data === "list") return idx.map(() => ({ factor: 1 }));
      if (!Array.isArray(data)) return null;
      return (idx as number[]).map((i) => data[i < 0 ? data.length + i : i] ?? { factor: 1 });
    }
    case "Concat": {
      const parts = n.inputs.map((_, i) => arg(i));
      if (parts.some((p) => !Array.isArray(p))) return null;
      return (parts as SymDim[][]).flat();
    }
    case "Slice": {
      const data = arg(0);
      const starts = arg(1);
      const ends = arg(2);
      if (!Array.isArray(data) || !Array.isArray(starts) || !Array.isArray(ends)) return null;
      const s = starts[0];
      const e = ends[0];
      if (typeof s !== "number" || typeof e !== "number") return null;
      return data.slice(s, Math.min(e, data.length));
    }
    case "Mul":
    case "Div":
    case "Add":
    case "Sub":
      return elementwise(n.opType, arg(0), arg(1));
    case "Constant":
      return null;
    default:
      return null;
  }
}

function elementwise(op: string, a: SymValue, b: SymValue): SymValue {
  if (!Array.isArray(a) || !Array.isArray(b)) return null;
  const len = Math.max(a.length, b.length);
  if (a.length !== len && a.length !== 1) return null;
  if (b.length !== len && b.length !== 1) return null;
  const out: SymDim[] = [];
  for (let i = 0; i < len; i++) out.push(combine(op, a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]));
  return out;
}

function combine(op: string, x: SymDim, y: SymDim): SymDim {
  if (typeof x === "number" && typeof y === "number") {
    if (op === "Mul") return x * y;
    if (op === "Add") return x + y;
    if (op === "Sub") return x - y;
    return y === 0 ? { factor: 1 } : Math.trunc(x / y);
  }
  if (op === "Mul") {
    if (typeof x === "number") return { factor: x * (y as { factor: number }).factor };
    if (typeof y === "number") return { factor: x.factor * y };
  }
  if (op === "Div" && typeof x !== "number" && typeof y === "number" && y !== 0 && x.factor % y === 0) {
    return { factor: x.factor / y };
  }
  return { factor: 1 };
}

/**
 * The rank of a value, from declared types or by following the ops that produced it;
 * null when it cannot be told statically.
 */
export function rankOf(
  index: GraphIndex,
  name: string,
  memo = new Map<string, number | null>(),
  depth = 0,
): number | null {
  if (memo.has(name)) return memo.get(name) ?? null;
  const r = computeRank(index, name, memo, depth);
  memo.set(name, r);
  return r;
}

const UNARY = new Set([
  "Cast",
  "Identity",
  "Dropout",
  "Softmax",
  "LogSoftmax",
  "Relu",
  "Gelu",
  "Erf",
  "Tanh",
  "Sigmoid",
  "Neg",
  "Sqrt",
  "Exp",
  "Log",
  "Abs",
  "Clip",
  "LayerNormalization",
  "SimplifiedLayerNormalization",
  "Slice",
  "Split",
  "Pow",
  "Not",
  "Trilu",
  "CumSum",
]);
const ELEMENTWISE = new Set([
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Where",
  "Max",
  "Min",
  "Equal",
  "Less",
  "Greater",
  "LessOrEqual",
  "GreaterOrEqual",
  "And",
  "Or",
  "MatMul",
]);

/**
 * The length of a 1-D integer tensor, such as a Reshape target, where its values may be unknown:
 * exporters concatenate sizes read at run time (DeBERTa's `view(-1, x.size(1), x.size(-1))`), each
 * an unsqueezed scalar, so the target's length (the output's rank) is known when its values are not.
 */
function lengthOf(index: GraphIndex, name: string, memo: Map<string, number | null>, depth: number): number | null {
  const values = evaluateInts(index, name);
  if (Array.isArray(values)) return values.length;
  const c = index.constant(name);
  if (c) return c.dims.length === 1 ? c.dims[0] : null;
  const n = index.producer.get(name);
  if (n === undefined) return null;
  if (n.domain !== "" || depth > 200) return null;
  switch (n.opType) {
    case "Concat": {
      let total = 0;
      for (const input of n.inputs) {
        const l = input ? lengthOf(index, input, memo, depth + 1) : null;
        if (l == null) return null;
        total += l;
      }
      return total;
    }
    case "Unsqueeze": // a scalar made 1-D
      return rankOf(index, n.inputs[0], memo, depth + 1) === 0 ? 1 : null;
    case "Cast":
    case "Identity":
      return lengthOf(index, n.inputs[0], memo, depth + 1);
    default:
      return null;
  }
}

function computeRank(index: GraphIndex, name: string, memo: Map<string, number | null>, depth: number): number | null {
  if (depth > 200) return null;
  const declared = index.graph.valueInfo.get(name) ?? index.graph.inputs.find((v) => v.name === name);
  if (declared?.shape) return declared.shape.length;
  const c = index.constant(name);
  if (c) return c.dims.length;
  const n = index.producer.get(name);
  if (!n) return null;
  const rank = (i: number) => (n.inputs[i] ? rankOf(index, n.inputs[i], memo, depth + 1) : null);
  if (n.domain !== "" && n.opType !== "FusedMatMul") return null;
  if (UNARY.has(n.opType)) return rank(0);
  if (ELEMENTWISE.has(n.opType) || n.opType === "FusedMatMul") {
    let best: number | null = null;
    for (let i = 0; i < n.inputs.length; i++) {
      const r = rank(i);
      if (r == null) {
        if (n.opType === "MatMul" || n.opType === "FusedMatMul") return null;
        continue;
      }
      best = Math.max(best ?? 0, r);
    }
    return best;
  }
  switch (n.opType) {
    case "Transpose":
      return attrInts(n, "perm")?.length ?? rank(0);
    case "Reshape":
      return lengthOf(index, n.inputs[1], memo, depth + 1);
    case "Unsqueeze":
    case "Squeeze": {
      const axes = attrInts(n, "axes") ?? (n.inputs[1] ? evaluateInts(index, n.inputs[1]) : null);
      const r = rank(0);
      if (r == null || !Array.isArray(axes)) return null;
      return n.opType === "Unsqueeze" ? r + axes.length : r - axes.length;
    }
    case "Gather": {
      const r = rank(0);
      const ri = rank(1);
      return r == null || ri == null ? null : r - 1 + ri;
    }
    case "Concat":
      return rank(0) ?? rank(1);
    case "Expand": {
      const s = evaluateInts(index, n.inputs[1]);
      const r = rank(0);
      return Array.isArray(s) && r != null ? Math.max(r, s.length) : null;
    }
    case "Einsum": {
      const eq = n.attributes.get("equation")?.s;
      if (!eq) return null;
      const out = new TextDecoder().decode(eq).split("->")[1];
      return out == null || out.includes("...") ? null : out.trim().length;
    }
    case "Gemm":
      return 2;
    case "Shape":
      return 1;
    default:
      return null;
  }
}
