/**
 * Writing the metric subgraphs: fresh names under one prefix, constants as shared initializers,
 * and the ops whose signature changed across opsets, so the builders read the same at every
 * opset: axes became an input of ReduceSum, Unsqueeze and Squeeze in opset 13, and of
 * ReduceMax / ReduceProd in 18. Only standard ai.onnx ops of opset ≥ 11 are written, so the
 * model's own opset import is kept as it is.
 */
import type { AttrSpec, NodeSpec, TensorSpec } from "../onnx/encode";
import { DataType } from "../onnx/schema";

/** Lowest opset the builders support (Range, CumSum, GatherElements, float Equal). */
export const MIN_OPSET = 11;

/** Above any dimension: the open end of a Slice. */
const OPEN_END = 2 ** 53 - 1;

export class MetricEmitter {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: TensorSpec[] = [];
  private count = 0;
  private readonly constants = new Map<string, string>();

  constructor(
    /** The model's ai.onnx opset. */
    readonly opset: number,
    private readonly prefix = "attnlens.ingraph",
  ) {}

  /** A name no exporter writes, under `scope` (a site id, a stack). */
  fresh(scope: string, hint: string): string {
    return `${this.prefix}/${scope}/${hint}_${this.count++}`;
  }

  op(opType: string, inputs: readonly string[], attributes?: Record<string, AttrSpec>, output?: string): string {
    const name = this.fresh("op", opType);
    const out = output ?? `${name}:0`;
    this.nodes.push({ name, opType, inputs, outputs: [out], attributes });
    return out;
  }

  private constant(key: string, dataType: number, dims: number[], data: TensorSpec["data"]): string {
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh("const", key.split(":")[0]);
    this.initializers.push({ name, dataType, dims, data });
    this.constants.set(key, name);
    return name;
  }

  /** An int64 vector, or a scalar when `scalar`. */
  i64(values: readonly number[], scalar = false): string {
    const dims = scalar ? [] : [values.length];
    return this.constant(
      `i64:${dims.length}:${values.join(",")}`,
      DataType.INT64,
      dims,
      BigInt64Array.from(values.map(BigInt)),
    );
  }

  /** A float32 scalar (NaN allowed). */
  f32(value: number): string {
    return this.constant(`f32:${value}`, DataType.FLOAT, [], Float32Array.of(value));
  }

  /** A bool scalar. */
  bool(value: boolean): string {
    return this.constant(`bool:${value}`, DataType.BOOL, [], Uint8Array.of(value ? 1 : 0));
  }

  /** A bool vector. */
  bools(values: readonly boolean[]): string {
    const data = Uint8Array.from(values, (v) => (v ? 1 : 0));
    return this.constant(`bools:${data.join(",")}`, DataType.BOOL, [values.length], data);
  }

  /** ReduceSum / ReduceMax / ReduceProd over `axes` (null: every axis). */
  reduce(
    opType: "ReduceSum" | "ReduceMax" | "ReduceProd",
    x: string,
    axes: readonly number[] | null,
    keepdims: boolean,
  ): string {
    const asInput = opType === "ReduceSum" ? this.opset >= 13 : this.opset >= 18;
    const keep = { keepdims: { i: keepdims ? 1 : 0 } };
    if (axes === null) return this.op(opType, [x], keep);
    return asInput
      ? this.op(opType, [x, this.i64(axes)], keep)
      : this.op(opType, [x], { ...keep, axes: { ints: axes } });
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    return this.opset >= 13
      ? this.op("Unsqueeze", [x, this.i64(axes)])
      : this.op("Unsqueeze", [x], { axes: { ints: axes } });
  }

  squeeze(x: string, axes: readonly number[]): string {
    return this.opset >= 13
      ? this.op("Squeeze", [x, this.i64(axes)])
      : this.op("Squeeze", [x], { axes: { ints: axes } });
  }

  /** x[start:] along `axis`; `start` a 1-element int64 tensor name. */
  sliceFrom(x: string, start: string, axis: number): string {
    return this.op("Slice", [x, start, this.i64([OPEN_END]), this.i64([axis])]);
  }

  /** x[from:to] along `axis` with constant bounds (negative counts from the end). */
  slice(x: string, from: number, to: number | null, axis: number): string {
    return this.op("Slice", [x, this.i64([from]), this.i64([to ?? OPEN_END]), this.i64([axis])]);
  }

  /** Dimension `axis` of x (negative counts from the end) as a 1-element int64 vector. */
  dim(x: string, axis: number): string {
    return this.slice(this.op("Shape", [x]), axis, axis === -1 ? null : axis + 1, 0);
  }

  cast(x: string, to: number): string {
    return this.op("Cast", [x], { to: { i: to } });
  }

  toFloat(x: string): string {
    return this.cast(x, DataType.FLOAT);
  }

  /** 0, 1, …, n − 1 as int64, `n` a 1-element int64 vector. */
  range(n: string): string {
    return this.op("Range", [this.i64([0], true), this.squeeze(n, [0]), this.i64([1], true)]);
  }

  /** A float tensor of `shape` (an int64 vector name) filled with `value`. */
  filled(shape: string, value: number): string {
    const t: TensorSpec = { name: "value", dataType: DataType.FLOAT, dims: [1], data: Float32Array.of(value) };
    return this.op("ConstantOfShape", [shape], { value: { t } });
  }

  /** Where(cond, x, NaN): the reference's "undefined" marker. */
  orNaN(cond: string, x: string): string {
    return this.op("Where", [cond, x, this.f32(Number.NaN)]);
  }

  concat(parts: readonly string[], axis: number): string {
    return parts.length === 1 ? parts[0] : this.op("Concat", parts, { axis: { i: axis } });
  }
}
