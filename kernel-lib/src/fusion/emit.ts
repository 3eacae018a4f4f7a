/**
 * Writing the standard-op replacement of one fused node: fresh value and node names under the
 * fused node's name (so sites keep its module path), constants as initializers, and the few ops
 * whose signature changed across opsets (Unsqueeze/Squeeze axes became an input in opset 13).
 */
import type { AttrSpec, NodeSpec, TensorSpec } from "../onnx/encode";
import { DataType } from "../onnx/schema";

export class Emitter {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: TensorSpec[] = [];
  private count = 0;

  constructor(
    /** Name of the fused node; every new name starts with it. */
    private readonly prefix: string,
    /** The model's ai.onnx opset. */
    readonly opset: number,
  ) {}

  private fresh(hint: string): string {
    return `${this.prefix}/attnlens/${hint}_${this.count++}`;
  }

  /** Adds a node; returns its output names (fresh ones unless `outputs` names them). */
  op(
    opType: string,
    inputs: readonly string[],
    attributes?: Record<string, AttrSpec>,
    outputs?: readonly string[],
    domain?: string,
  ): string[] {
    const name = this.fresh(opType);
    const outs = outputs ? [...outputs] : [`${name}:0`];
    this.nodes.push({ name, opType, inputs, outputs: outs, attributes, domain });
    return outs;
  }

  one(opType: string, inputs: readonly string[], attributes?: Record<string, AttrSpec>, output?: string): string {
    return this.op(opType, inputs, attributes, output ? [output] : undefined)[0];
  }

  private constant(hint: string, dataType: number, dims: number[], data: TensorSpec["data"]): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType, dims, data });
    return name;
  }

  /** An int64 vector (or a scalar when `scalar`). */
  i64(values: readonly number[], scalar = false): string {
    return this.constant("i64", DataType.INT64, scalar ? [] : [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  /** A float32 scalar. */
  f32(value: number): string {
    return this.constant("f32", DataType.FLOAT, [], Float32Array.of(value));
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    return this.opset >= 13
      ? this.one("Unsqueeze", [x, this.i64(axes)])
      : this.one("Unsqueeze", [x], { axes: { ints: axes } });
  }

  squeeze(x: string, axes: readonly number[]): string {
    return this.opset >= 13
      ? this.one("Squeeze", [x, this.i64(axes)])
      : this.one("Squeeze", [x], { axes: { ints: axes } });
  }

  slice(x: string, starts: string, ends: string, axes: readonly number[]): string {
    return this.one("Slice", [x, starts, ends, this.i64(axes)]);
  }

  /** Dimension `axis` of x's shape as a 1-element int64 vector. */
  dim(x: string, axis: number): string {
    return this.slice(this.one("Shape", [x]), this.i64([axis]), this.i64([axis + 1]), [0]);
  }

  /** Dimension `axis` of x's shape as an int64 scalar (for Range). */
  scalarDim(x: string, axis: number): string {
    return this.squeeze(this.dim(x, axis), [0]);
  }

  toFloat(x: string): string {
    return this.one("Cast", [x], { to: { i: DataType.FLOAT } });
  }

  toInt64(x: string): string {
    return this.one("Cast", [x], { to: { i: DataType.INT64 } });
  }

  /** [0, 1, …, n-1] as int64, n an int64 scalar value. */
  range(n: string): string {
    return this.one("Range", [this.i64([0], true), n, this.i64([1], true)]);
  }
}
