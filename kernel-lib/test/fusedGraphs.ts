/**
 * One-op ONNX graphs around com.microsoft attention ops, in every input layout the decomposition
 * handles, with seeded random weights and feeds. Each graph's outputs are run once as written
 * (onnxruntime's fused kernel) and once decomposed by attnlens; they must agree.
 */
import * as ort from "onnxruntime-node";
import { DataType, encodeModel, type NodeSpec, type TensorSpec, type ValueSpec } from "../src/graph/onnx/encode";
import { seededRandom } from "../src/util/random";

export const B = 2;
export const S = 5;
export const N = 4;
export const H = 8;
export const D = N * H;

/** Deterministic uniform(-1, 1) numbers. */
export function random(seed: number): () => number {
  const r = seededRandom(seed);
  return () => r() * 2 - 1;
}

export function floats(seed: number, n: number, scale = 1): Float32Array {
  const r = random(seed);
  return Float32Array.from({ length: n }, () => r() * scale);
}

export interface FusedCase {
  name: string;
  model: Uint8Array;
  feeds: Record<string, ort.Tensor>;
  /** The same computation in a form onnxruntime's CPU kernel runs, when `model` uses one it does not. */
  reference?: Uint8Array;
  /** An output of the fused kernel that holds its probabilities: attnlens' site must equal it. */
  probsOutput?: string;
  /** Query rows whose probabilities are defined (padded query rows of GQA prompts are not). */
  validRows?: (b: number, i: number) => boolean;
}

interface GraphParts {
  node: NodeSpec;
  inputs: ValueSpec[];
  outputs: string[];
  initializers?: TensorSpec[];
  extraNodes?: NodeSpec[];
  opset?: number;
}

/** Ranks of the fused ops' outputs, declared as ONNX requires of graph outputs (dims unnamed). */
const OUTPUT_RANKS: Record<string, number> = { out: 3, present: 5, present_k: 4, present_v: 4, qk: 4 };

export function oneOpModel(p: GraphParts): Uint8Array {
  return encodeModel(
    {
      name: p.node.name,
      nodes: [...(p.extraNodes ?? []), p.node],
      inputs: p.inputs,
      outputs: p.outputs.map((name) => ({
        name,
        elemType: DataType.FLOAT,
        shape: Array(OUTPUT_RANKS[name]).fill(null),
      })),
      initializers: p.initializers ?? [],
    },
    { "": p.opset ?? 17, "com.microsoft": 1 },
  );
}

export const f32 = (name: string, dims: (number | string)[]): ValueSpec => ({
  name,
  elemType: DataType.FLOAT,
  shape: dims,
});
export const i32 = (name: string, dims: (number | string)[]): ValueSpec => ({
  name,
  elemType: DataType.INT32,
  shape: dims,
});

export function floatTensor(seed: number, dims: number[], scale = 1): ort.Tensor {
  return new ort.Tensor(
    "float32",
    floats(
      seed,
      dims.reduce((a, b) => a * b, 1),
      scale,
    ),
    dims,
  );
}

export function int32Tensor(values: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor("int32", Int32Array.from(values), dims);
}

export function weight(name: string, seed: number, dims: number[], scale = 0.3): TensorSpec {
  return {
    name,
    dataType: DataType.FLOAT,
    dims,
    data: floats(
      seed,
      dims.reduce((a, b) => a * b, 1),
      scale,
    ),
  };
}

/** Right padding: sample 0 full, sample 1 of length 3. */
export const LENGTHS = [S, 3];

export function rawMask(lengths: number[], width: number): number[] {
  return lengths.flatMap((l) => Array.from({ length: width }, (_, j) => (j < l ? 1 : 0)));
}
