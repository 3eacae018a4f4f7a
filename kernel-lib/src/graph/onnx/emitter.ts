/**
 * Writing ONNX nodes in code, for every subgraph attnlens builds: the standard-op replacement of a
 * fused attention node (fusion/), the in-graph metrics (ingraph/) and the constructed models
 * (construct/). Fresh names from a hint and a running count, constants as initializers (one per
 * distinct value when asked), and the ops whose signature changed across opsets, so callers read
 * the same at every opset: axes became an input of ReduceSum, Unsqueeze and Squeeze in opset 13,
 * and of ReduceMax / ReduceProd in 18.
 */
import type { AttrSpec, NodeSpec, TensorSpec } from "./encode";
import { DataType } from "./schema";

/** Above any dimension: the open end of a Slice. */
const OPEN_END = 2 ** 53 - 1;

export interface EmitterNaming {
  /** Name of a new node ("op") or initializer ("const") from a hint and the running count. */
  fresh(kind: "op" | "const", hint: string, count: number): string;
  /** Name of a node's i-th output when the caller gives none (default `${node}:${i}`). */
  output?(node: string, i: number): string;
  /** One initializer per distinct constant value rather than one per call. */
  shareConstants?: boolean;
}

/** A tensor name, or a constant int64 value written as a 1-element initializer. */
type Bound = string | number;

export class GraphEmitter {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: TensorSpec[] = [];
  private count = 0;
  private readonly shared: Map<string, string> | null;

  constructor(
    /** The model's ai.onnx opset. */
    readonly opset: number,
    private readonly naming: EmitterNaming,
  ) {
    this.shared = naming.shareConstants ? new Map() : null;
  }

  private fresh(kind: "op" | "const", hint: string): string {
    return this.naming.fresh(kind, hint, this.count++);
  }

  private add(hint: string, node: Omit<NodeSpec, "name" | "outputs">, output?: string): string {
    const name = this.fresh("op", hint);
    const out = output ?? (this.naming.output ? this.naming.output(name, 0) : `${name}:0`);
    this.nodes.push({ name, ...node, outputs: [out] });
    return out;
  }

  /** Adds a node; returns its output (named `output` when given, else fresh). */
  op(
    opType: string,
    inputs: readonly string[],
    attributes?: Record<string, AttrSpec>,
    output?: string,
    domain?: string,
  ): string {
    return this.add(opType, { opType, inputs, attributes, domain }, output);
  }

  /** A node whose name starts with `name` (e.g. a module path that site discovery reads), not its op type. */
  named(name: string, opType: string, inputs: readonly string[], attributes?: Record<string, AttrSpec>): string {
    return this.add(name, { opType, inputs, attributes });
  }

  /** A new initializer holding `data`, named after `hint`. */
  tensor(hint: string, dataType: number, dims: number[], data: TensorSpec["data"]): string {
    const name = this.fresh("const", hint);
    this.initializers.push({ name, dataType, dims, data });
    return name;
  }

  private constant(key: string, dataType: number, dims: number[], data: TensorSpec["data"]): string {
    const known = this.shared?.get(key);
    if (known) return known;
    const name = this.tensor(key.split(":")[0], dataType, dims, data);
    this.shared?.set(key, name);
    return name;
  }

  /** An int64 vector, or a scalar when `scalar`. */
  i64(values: readonly number[], scalar = false): string {
    const dims = scalar ? [] : [values.length];
    const key = `i64:${dims.length}:${values.join(",")}`;
    return this.constant(key, DataType.INT64, dims, BigInt64Array.from(values.map(BigInt)));
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

  /**
   * x[from:to] along `axis`. A bound is a 1-element int64 tensor name or a constant (negative
   * counts from the end); `to` null is the open end.
   */
  slice(x: string, from: Bound, to: Bound | null, axis: number): string {
    const bound = (b: Bound) => (typeof b === "number" ? this.i64([b]) : b);
    const start = bound(from);
    const end = to === null ? this.i64([OPEN_END]) : bound(to);
    return this.op("Slice", [x, start, end, this.i64([axis])]);
  }

  /** Dimension `axis` of x (negative counts from the end) as a 1-element int64 vector. */
  dim(x: string, axis: number): string {
    return this.slice(this.op("Shape", [x]), axis, axis === -1 ? null : axis + 1, 0);
  }

  /** Dimension `axis` of x as an int64 scalar (for Range). */
  scalarDim(x: string, axis: number): string {
    return this.squeeze(this.dim(x, axis), [0]);
  }

  cast(x: string, to: number): string {
    return this.op("Cast", [x], { to: { i: to } });
  }

  toFloat(x: string): string {
    return this.cast(x, DataType.FLOAT);
  }

  toInt64(x: string): string {
    return this.cast(x, DataType.INT64);
  }

  /** 0, 1, …, n − 1 as int64, `n` an int64 scalar. */
  range(n: string): string {
    return this.op("Range", [this.i64([0], true), n, this.i64([1], true)]);
  }

  /** A float tensor of `shape` (an int64 vector name) filled with `value`. */
  filled(shape: string, value: number): string {
    const t: TensorSpec = { name: "value", dataType: DataType.FLOAT, dims: [1], data: Float32Array.of(value) };
    return this.op("ConstantOfShape", [shape], { value: { t } });
  }

  /** Where(cond, x, NaN): the metrics' "undefined" marker. */
  orNaN(cond: string, x: string): string {
    return this.op("Where", [cond, x, this.f32(Number.NaN)]);
  }

  concat(parts: readonly string[], axis: number): string {
    return parts.length === 1 ? parts[0] : this.op("Concat", parts, { axis: { i: axis } });
  }
}
