/**
 * A small fluent writer for ONNX graphs built in code: the benchmark's BERT-base-shaped model and
 * the constructed models whose heads have designed weights. Names are generated, so callers only
 * wire values together.
 */
import { type AttrSpec, DataType, encodeModel, type NodeSpec, type TensorSpec, type ValueSpec } from "../onnx/encode";

export class GraphBuilder {
  private nodes: NodeSpec[] = [];
  private inputs: ValueSpec[] = [];
  private outputs: ValueSpec[] = [];
  private initializers: TensorSpec[] = [];
  private counter = 0;

  constructor(private readonly name = "attnlens_constructed") {}

  input(name: string, elemType: number, shape: (number | string)[]): string {
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  output(name: string, elemType?: number, shape?: (number | string | null)[]): void {
    this.outputs.push({ name, elemType, shape });
  }

  /** A float32 initializer. */
  floats(prefix: string, data: Float32Array | number[], dims: number[]): string {
    return this.tensor(prefix, DataType.FLOAT, dims, data instanceof Float32Array ? data : Float32Array.from(data));
  }

  /** An int64 initializer (shapes, axes, indices). */
  ints(prefix: string, data: number[], dims: number[] = [data.length]): string {
    return this.tensor(
      prefix,
      DataType.INT64,
      dims,
      BigInt64Array.from(data, (v) => BigInt(v)),
    );
  }

  private tensor(prefix: string, dataType: number, dims: number[], data: TensorSpec["data"]): string {
    const name = this.fresh(prefix);
    this.initializers.push({ name, dataType, dims, data });
    return name;
  }

  /** Adds one node; returns its (first) output name. `name` doubles as the node-name prefix. */
  op(opType: string, inputs: string[], attributes: Record<string, AttrSpec> = {}, name = opType): string {
    return this.opN(opType, inputs, 1, attributes, name)[0];
  }

  opN(
    opType: string,
    inputs: string[],
    count: number,
    attributes: Record<string, AttrSpec> = {},
    name = opType,
  ): string[] {
    const node = this.fresh(name);
    const outputs = Array.from({ length: count }, (_, i) => `${node}_output_${i}`);
    this.nodes.push({ name: node, opType, inputs, outputs, attributes });
    return outputs;
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  build(opset = 17): Uint8Array {
    return encodeModel(
      {
        name: this.name,
        nodes: this.nodes,
        inputs: this.inputs,
        outputs: this.outputs,
        initializers: this.initializers,
      },
      { "": opset },
    );
  }
}

/** A seeded PRNG (mulberry32) so built models are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform(−scale, scale) weights. */
export function randomWeights(n: number, scale: number, rand: () => number): Float32Array {
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = (rand() * 2 - 1) * scale;
  return w;
}
