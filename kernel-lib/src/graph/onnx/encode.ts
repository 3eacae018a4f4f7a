/**
 * Writing ONNX: new nodes, values and tensors, either as a whole model (the constructed-model
 * builder) or spliced into an existing model's bytes (surgery), which copies the original once
 * and never re-encodes its weights.
 */
import type { OnnxModel } from "./model";
import {
  AttributeField,
  AttributeType,
  DataType,
  DimField,
  GraphField,
  ModelField,
  NodeField,
  OpsetField,
  ShapeField,
  TensorField,
  TensorTypeField,
  TypeField,
  ValueInfoField,
} from "./schema";
import { ProtoWriter } from "./wire";

export type AttrSpec =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { t: TensorSpec };

export interface NodeSpec {
  name: string;
  opType: string;
  domain?: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Record<string, AttrSpec>;
}

export interface ValueSpec {
  name: string;
  /** Element type (DataType); omitted for outputs whose type onnxruntime infers. */
  elemType?: number;
  shape?: readonly (number | string | null)[];
}

export interface TensorSpec {
  name: string;
  dataType: number;
  dims: readonly number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array | Float64Array;
}

export function encodeTensor(t: TensorSpec): Uint8Array {
  const w = new ProtoWriter();
  if (t.dims.length) w.packedVarints(TensorField.dims, t.dims);
  w.int(TensorField.dataType, t.dataType);
  if (t.name) w.string(TensorField.name, t.name);
  // raw_data is little-endian; typed arrays on x86/ARM hosts are too.
  w.bytes(TensorField.rawData, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return w.finish();
}

function encodeAttribute(name: string, a: AttrSpec): Uint8Array {
  const w = new ProtoWriter().string(AttributeField.name, name);
  if ("i" in a) w.int(AttributeField.i, a.i).int(AttributeField.type, AttributeType.INT);
  else if ("f" in a) w.float(AttributeField.f, a.f).int(AttributeField.type, AttributeType.FLOAT);
  else if ("s" in a) w.string(AttributeField.s, a.s).int(AttributeField.type, AttributeType.STRING);
  else if ("ints" in a) {
    for (const v of a.ints) w.int(AttributeField.ints, v);
    w.int(AttributeField.type, AttributeType.INTS);
  } else if ("floats" in a) {
    for (const v of a.floats) w.float(AttributeField.floats, v);
    w.int(AttributeField.type, AttributeType.FLOATS);
  } else w.bytes(AttributeField.t, encodeTensor(a.t)).int(AttributeField.type, AttributeType.TENSOR);
  return w.finish();
}

export function encodeNode(n: NodeSpec): Uint8Array {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(NodeField.input, i);
  for (const o of n.outputs) w.string(NodeField.output, o);
  w.string(NodeField.name, n.name).string(NodeField.opType, n.opType);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.bytes(NodeField.attribute, encodeAttribute(k, v));
  if (n.domain) w.string(NodeField.domain, n.domain);
  return w.finish();
}

export function encodeValueInfo(v: ValueSpec): Uint8Array {
  const w = new ProtoWriter().string(ValueInfoField.name, v.name);
  if (v.elemType != null) {
    w.message(ValueInfoField.type, (tw) =>
      tw.message(TypeField.tensorType, (tt) => {
        tt.int(TensorTypeField.elemType, v.elemType as number);
        if (v.shape) {
          tt.message(TensorTypeField.shape, (sw) => {
            for (const d of v.shape ?? []) {
              sw.message(ShapeField.dim, (dw) => {
                if (typeof d === "number") dw.int(DimField.value, d);
                else if (typeof d === "string") dw.string(DimField.param, d);
              });
            }
          });
        }
      }),
    );
  }
  return w.finish();
}

function encodeOpset(domain: string, version: number): Uint8Array {
  const w = new ProtoWriter();
  if (domain) w.string(OpsetField.domain, domain);
  return w.int(OpsetField.version, version).finish();
}

export interface GraphSpec {
  name: string;
  nodes: readonly NodeSpec[];
  inputs: readonly ValueSpec[];
  outputs: readonly ValueSpec[];
  initializers: readonly TensorSpec[];
}

/** Encodes a whole model (used by the constructed-model builder and tests). */
export function encodeModel(graph: GraphSpec, opsets: Record<string, number> = { "": 17 }, irVersion = 8): Uint8Array {
  const w = new ProtoWriter().int(ModelField.irVersion, irVersion).string(ModelField.producerName, "attnlens");
  w.message(ModelField.graph, (g) => {
    for (const n of graph.nodes) g.bytes(GraphField.node, encodeNode(n));
    g.string(GraphField.name, graph.name);
    for (const t of graph.initializers) g.bytes(GraphField.initializer, encodeTensor(t));
    for (const v of graph.inputs) g.bytes(GraphField.input, encodeValueInfo(v));
    for (const v of graph.outputs) g.bytes(GraphField.output, encodeValueInfo(v));
  });
  for (const [d, v] of Object.entries(opsets)) w.bytes(ModelField.opsetImport, encodeOpset(d, v));
  return w.finish();
}

/** Changes to an existing model's graph. */
export interface GraphEdit {
  addNodes?: readonly NodeSpec[];
  addOutputs?: readonly ValueSpec[];
  addInitializers?: readonly TensorSpec[];
  /** Indices (OnnxNode.index) of nodes to drop. */
  removeNodes?: ReadonlySet<number>;
  /**
   * Nodes written in place of the node at an index (OnnxNode.index), e.g. a fused op's
   * decomposition: in place, so graph.node keeps the topological order ONNX requires.
   */
  replaceNodes?: ReadonlyMap<number, readonly NodeSpec[]>;
  /** Opsets the new nodes need (e.g. com.microsoft); existing imports are kept. */
  addOpsets?: Record<string, number>;
}

/**
 * Applies an edit by splicing bytes (inside `arena` when given: a buffer the caller owns that
 * holds model.bytes with free room before them, which the edit may overwrite — model is stale after): the graph payload is copied (minus removed nodes, replaced
 * ones rewritten where they stood) and the new fields appended — repeated protobuf fields may
 * appear anywhere, so appending is adding. Added nodes go after every existing node, so they may
 * read any existing value.
 */
export function editModel(model: OnnxModel, edit: GraphEdit, arena?: Uint8Array): Uint8Array {
  const { bytes } = model;
  const [tagStart, payloadStart, graphEnd] = model.graphField;
  const g = new ProtoWriter();
  let cursor = payloadStart;
  const replaced = edit.replaceNodes ?? new Map<number, readonly NodeSpec[]>();
  const cut = [...new Set([...(edit.removeNodes ?? []), ...replaced.keys()])].sort((a, b) => a - b);
  for (const idx of cut) {
    const [s, e] = model.graph.nodes[idx].span;
    g.raw(bytes.subarray(cursor, s));
    if (!edit.removeNodes?.has(idx)) for (const n of replaced.get(idx) ?? []) g.bytes(GraphField.node, encodeNode(n));
    cursor = e;
  }
  g.raw(bytes.subarray(cursor, graphEnd));
  for (const n of edit.addNodes ?? []) g.bytes(GraphField.node, encodeNode(n));
  for (const t of edit.addInitializers ?? []) g.bytes(GraphField.initializer, encodeTensor(t));
  for (const v of edit.addOutputs ?? []) g.bytes(GraphField.output, encodeValueInfo(v));
  // The graph is nested unfinished, so the whole model is copied once (by out.finish) and the
  // result is the only copy of the model's bytes this edit adds.
  const out = new ProtoWriter();
  out.raw(bytes.subarray(0, tagStart));
  out.nested(ModelField.graph, g);
  out.raw(bytes.subarray(graphEnd));
  for (const [d, v] of Object.entries(edit.addOpsets ?? {})) {
    if (!model.opsets.has(d)) out.bytes(ModelField.opsetImport, encodeOpset(d, v));
  }
  return (arena && out.finishInPlace(arena)) || out.finish();
}

export { DataType };
