/**
 * A small writer for whole ONNX graphs built in code: the benchmark's BERT-base-shaped model and
 * the constructed models whose heads have designed weights. Nodes and constants come from the
 * shared emitter (onnx/emitter.ts); names are generated, so callers only wire values together.
 */
import { GraphEmitter } from "../../graph/onnx/emitter";
import { DataType, encodeModel, type ValueSpec } from "../../graph/onnx/encode";

export class GraphBuilder extends GraphEmitter {
  private inputs: ValueSpec[] = [];
  private outputs: ValueSpec[] = [];

  constructor(
    private readonly name = "attnlens_constructed",
    opset = 17,
    /** Other operator sets the graph uses, e.g. { "com.microsoft": 1 }. */
    private readonly domains: Record<string, number> = {},
  ) {
    super(opset, { fresh: (_kind, hint, n) => `${hint}_${n}`, output: (node, i) => `${node}_output_${i}` });
  }

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

  build(): Uint8Array {
    return encodeModel(
      {
        name: this.name,
        nodes: this.nodes,
        inputs: this.inputs,
        outputs: this.outputs,
        initializers: this.initializers,
      },
      { "": this.opset, ...this.domains },
    );
  }
}

/** Uniform(−scale, scale) weights. */
export function randomWeights(n: number, scale: number, rand: () => number): Float32Array {
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = (rand() * 2 - 1) * scale;
  return w;
}
