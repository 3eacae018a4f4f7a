/**
 * Static detection of a causal mask on an attention site: somewhere behind the masks added to the
 * scores there is a triangle — a Trilu op, a constant lower-triangular buffer (GPT-2's `bias`),
 * or a comparison of two position ranges (i ≥ j). Run-time data confirms it (see result/causality).
 */
import type { GraphIndex } from "../onnx/graphIndex";
import { tensorValues } from "../onnx/tensorValues";

const COMPARISONS = new Set(["Less", "LessOrEqual", "Greater", "GreaterOrEqual"]);
/** Do not walk into other layers' computation: masks are built from inputs and constants. */
const STOP = new Set(["MatMul", "Gemm", "Softmax", "Einsum", "LayerNormalization"]);
const MAX_NODES = 400;

export function hasCausalMask(index: GraphIndex, sideInputs: readonly string[]): boolean {
  const seen = new Set<string>();
  const stack = [...sideInputs];
  let visited = 0;
  while (stack.length && visited < MAX_NODES) {
    const v = stack.pop() as string;
    if (seen.has(v)) continue;
    seen.add(v);
    visited++;
    const c = index.constant(v);
    if (c) {
      if (isTriangularConstant(c.dims, tensorValues(c))) return true;
      continue;
    }
    const n = index.producer.get(v);
    if (!n || STOP.has(n.opType)) continue;
    if (n.opType === "Trilu") return true;
    if (COMPARISONS.has(n.opType) && n.inputs.every((i) => derivesFromRange(index, i))) return true;
    for (const i of n.inputs) if (i) stack.push(i);
  }
  return false;
}

function derivesFromRange(index: GraphIndex, value: string, depth = 0): boolean {
  if (depth > 8) return false;
  const n = index.producer.get(value);
  if (!n) return false;
  if (n.opType === "Range" || n.opType === "CumSum") return true;
  return n.inputs.some((i) => i && !index.constant(i) && derivesFromRange(index, i, depth + 1));
}

/** A square (last two dims) constant whose first matrix is a lower- or upper-triangular 0/1 or 0/−∞ mask. */
export function isTriangularConstant(dims: readonly number[], values: number[] | null): boolean {
  if (!values || dims.length < 2) return false;
  const n = dims[dims.length - 1];
  if (n < 2 || dims[dims.length - 2] !== n || values.length < n * n) return false;
  const at = (i: number, j: number) => values[i * n + j];
  const below = at(n - 1, 0);
  const above = at(0, n - 1);
  if (below === above) return false;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j < i && at(i, j) !== below) return false;
      if (j > i && at(i, j) !== above) return false;
    }
  }
  return true;
}
