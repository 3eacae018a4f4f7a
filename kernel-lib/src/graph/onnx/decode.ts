/**
 * ModelProto bytes → OnnxModel. Walks the message once; initializer data is kept as views
 * into the input so large models are not copied.
 */

import { checkTensor, TensorFormatError } from "./checkTensor";
import type { Attribute, OnnxGraph, OnnxModel, OnnxNode, TensorInfo, ValueInfo } from "./model";
import {
  AttributeField,
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
import { ProtoError, ProtoReader, utf8, WireType } from "./wire";

/** Raised for bytes that are not a usable ONNX model; the message says what was wrong. */
export class OnnxFormatError extends Error {}

export function decodeModel(bytes: Uint8Array): OnnxModel {
  if (bytes.length === 0) throw new OnnxFormatError("the file is empty (0 bytes): expected an ONNX model (ModelProto)");
  try {
    return readModel(bytes);
  } catch (e) {
    if (e instanceof ProtoError) {
      throw new OnnxFormatError(
        `not a valid ONNX model: the protobuf data is corrupt or truncated (${e.message}); ` +
          "re-export the model or check that the download completed",
      );
    }
    if (e instanceof TensorFormatError) throw new OnnxFormatError(`not a valid ONNX model: ${e.message}`);
    throw e;
  }
}

function readModel(bytes: Uint8Array): OnnxModel {
  const r = new ProtoReader(bytes);
  let irVersion = 0;
  let producer = "";
  const opsets = new Map<string, number>();
  let graphField: [number, number, number] | null = null;
  while (!r.done) {
    const tagStart = r.pos;
    const [field, wire] = r.tag();
    if (field === ModelField.irVersion && wire === WireType.Varint) irVersion = r.varint();
    else if (field === ModelField.producerName && wire === WireType.LengthDelimited) producer = r.string();
    else if (field === ModelField.opsetImport && wire === WireType.LengthDelimited) {
      const [s, e] = r.span();
      const [domain, version] = readOpset(bytes, s, e);
      opsets.set(domain, version);
    } else if (field === ModelField.graph && wire === WireType.LengthDelimited) {
      const [s, e] = r.span();
      graphField = [tagStart, s, e];
    } else r.skip(wire);
  }
  if (!graphField || irVersion === 0) {
    throw new OnnxFormatError(
      `not an ONNX model: ${!graphField ? "no graph" : "no ir_version"} found in the protobuf message ` +
        "(is this an ONNX file? PyTorch .pt/.bin or TensorFlow files must be exported to ONNX first)",
    );
  }
  const graph = readGraph(bytes, graphField[1], graphField[2]);
  return { bytes, irVersion, opsets, producer, graph, graphField };
}

function readOpset(buf: Uint8Array, start: number, end: number): [string, number] {
  const r = new ProtoReader(buf, start, end);
  let domain = "";
  let version = 0;
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === OpsetField.domain && w === WireType.LengthDelimited) domain = r.string();
    else if (f === OpsetField.version && w === WireType.Varint) version = r.varint();
    else r.skip(w);
  }
  return [domain, version];
}

export function readGraph(buf: Uint8Array, start: number, end: number): OnnxGraph {
  const r = new ProtoReader(buf, start, end);
  const graph: OnnxGraph = {
    name: "",
    nodes: [],
    inputs: [],
    outputs: [],
    valueInfo: new Map(),
    initializers: new Map(),
  };
  while (!r.done) {
    const tagStart = r.pos;
    const [f, w] = r.tag();
    if (w !== WireType.LengthDelimited) {
      r.skip(w);
      continue;
    }
    const [s, e] = r.span();
    switch (f) {
      case GraphField.node:
        graph.nodes.push(readNode(buf, s, e, graph.nodes.length, [tagStart, e]));
        break;
      case GraphField.name:
        graph.name = utf8.decode(buf.subarray(s, e));
        break;
      case GraphField.initializer: {
        const t = readTensor(buf, s, e);
        graph.initializers.set(t.name, t);
        break;
      }
      case GraphField.input:
        graph.inputs.push(readValueInfo(buf, s, e));
        break;
      case GraphField.output:
        graph.outputs.push(readValueInfo(buf, s, e));
        break;
      case GraphField.valueInfo: {
        const v = readValueInfo(buf, s, e);
        graph.valueInfo.set(v.name, v);
        break;
      }
    }
  }
  // IR < 4 lists initializers among the inputs; they are weights, not feeds.
  graph.inputs = graph.inputs.filter((v) => !graph.initializers.has(v.name));
  return graph;
}

function readNode(buf: Uint8Array, start: number, end: number, index: number, span: [number, number]): OnnxNode {
  const r = new ProtoReader(buf, start, end);
  const node: OnnxNode = {
    index,
    name: "",
    opType: "",
    domain: "",
    inputs: [],
    outputs: [],
    attributes: new Map(),
    span,
  };
  while (!r.done) {
    const [f, w] = r.tag();
    if (w !== WireType.LengthDelimited) {
      r.skip(w);
      continue;
    }
    if (f === NodeField.input) node.inputs.push(r.string());
    else if (f === NodeField.output) node.outputs.push(r.string());
    else if (f === NodeField.name) node.name = r.string();
    else if (f === NodeField.opType) node.opType = r.string();
    else if (f === NodeField.domain) node.domain = r.string();
    else if (f === NodeField.attribute) {
      const [s, e] = r.span();
      const a = readAttribute(buf, s, e);
      node.attributes.set(a.name, a);
    } else r.skip(w);
  }
  if (!node.opType) throw new ProtoError(`node #${index} has no op_type`);
  if (node.domain === "ai.onnx") node.domain = "";
  return node;
}

function readAttribute(buf: Uint8Array, start: number, end: number): Attribute {
  const r = new ProtoReader(buf, start, end);
  const a: Attribute = { name: "", type: 0 };
  while (!r.done) {
    const [f, w] = r.tag();
    switch (f) {
      case AttributeField.name:
        a.name = r.string();
        break;
      case AttributeField.type:
        a.type = r.varint();
        break;
      case AttributeField.f:
        if (w === WireType.Fixed32) a.f = r.float32();
        else r.skip(w);
        break;
      case AttributeField.i:
        a.i = r.varint();
        break;
      case AttributeField.s:
        a.s = r.bytes();
        break;
      case AttributeField.t: {
        const [s, e] = r.span();
        a.t = readTensor(buf, s, e);
        break;
      }
      case AttributeField.g:
        a.hasGraph = true;
        if (w === WireType.LengthDelimited) a.graphSpan = r.span();
        else r.skip(w);
        break;
      case AttributeField.tensors: {
        if (w !== WireType.LengthDelimited) {
          r.skip(w);
          break;
        }
        const [s, e] = r.span();
        (a.tensors ??= []).push(readTensor(buf, s, e));
        break;
      }
      case AttributeField.graphs:
        if (w === WireType.LengthDelimited) (a.graphSpans ??= []).push(r.span());
        else r.skip(w);
        break;
      case AttributeField.floats:
        r.floats(w, (a.floats ??= []));
        break;
      case AttributeField.ints:
        r.varints(w, (a.ints ??= []));
        break;
      case AttributeField.strings:
        (a.strings ??= []).push(r.bytes());
        break;
      default:
        r.skip(w);
    }
  }
  return a;
}

export function readTensor(buf: Uint8Array, start: number, end: number): TensorInfo {
  const r = new ProtoReader(buf, start, end);
  const t: TensorInfo = { name: "", dataType: 0, dims: [] };
  let externalEntries: [string, string][] | null = null;
  while (!r.done) {
    const [f, w] = r.tag();
    switch (f) {
      case TensorField.dims:
        r.varints(w, t.dims);
        break;
      case TensorField.dataType:
        t.dataType = r.varint();
        break;
      case TensorField.name:
        t.name = r.string();
        break;
      case TensorField.rawData:
        t.raw = r.bytes();
        break;
      case TensorField.floatData:
        r.floats(w, (t.floatData ??= []));
        break;
      case TensorField.int32Data:
        r.varints(w, (t.int32Data ??= []));
        break;
      case TensorField.int64Data:
        r.varints(w, (t.int64Data ??= []));
        break;
      case TensorField.doubleData:
        readDoubles(r, w, (t.doubleData ??= []));
        break;
      case TensorField.externalData: {
        const [s, e] = r.span();
        (externalEntries ??= []).push(readStringPair(buf, s, e));
        break;
      }
      default:
        r.skip(w);
    }
  }
  if (externalEntries) {
    const kv = new Map(externalEntries);
    t.external = {
      location: kv.get("location") ?? "",
      offset: Number(kv.get("offset") ?? 0),
      length: kv.has("length") ? Number(kv.get("length")) : null,
    };
  }
  checkTensor(t);
  return t;
}

function readDoubles(r: ProtoReader, w: WireType, into: number[]): void {
  const read = (s: number) => new DataView(r.buf.buffer, r.buf.byteOffset + s, 8).getFloat64(0, true);
  if (w === WireType.LengthDelimited) {
    const [s, e] = r.span();
    if ((e - s) % 8 !== 0)
      throw new ProtoError(`packed double_data of ${e - s} bytes is not a whole number of doubles`);
    for (let p = s; p < e; p += 8) into.push(read(p));
  } else if (w === WireType.Fixed64) {
    const at = r.pos;
    r.skip(w); // checks that the 8 bytes are there before they are read
    into.push(read(at));
  } else throw new ProtoError(`double_data has wire type ${w}; expected fixed64 or packed`);
}

function readStringPair(buf: Uint8Array, start: number, end: number): [string, string] {
  const r = new ProtoReader(buf, start, end);
  let k = "";
  let v = "";
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === WireType.LengthDelimited) k = r.string();
    else if (f === 2 && w === WireType.LengthDelimited) v = r.string();
    else r.skip(w);
  }
  return [k, v];
}

function readValueInfo(buf: Uint8Array, start: number, end: number): ValueInfo {
  const r = new ProtoReader(buf, start, end);
  const v: ValueInfo = { name: "", elemType: null, shape: null };
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === ValueInfoField.name && w === WireType.LengthDelimited) v.name = r.string();
    else if (f === ValueInfoField.type && w === WireType.LengthDelimited) {
      const [s, e] = r.span();
      readType(buf, s, e, v);
    } else r.skip(w);
  }
  return v;
}

function readType(buf: Uint8Array, start: number, end: number, v: ValueInfo): void {
  const r = new ProtoReader(buf, start, end);
  while (!r.done) {
    const [f, w] = r.tag();
    if (f !== TypeField.tensorType || w !== WireType.LengthDelimited) {
      r.skip(w);
      continue;
    }
    const [s, e] = r.span();
    const tr = new ProtoReader(buf, s, e);
    while (!tr.done) {
      const [tf, tw] = tr.tag();
      if (tf === TensorTypeField.elemType && tw === WireType.Varint) v.elemType = tr.varint();
      else if (tf === TensorTypeField.shape && tw === WireType.LengthDelimited) {
        const [ss, se] = tr.span();
        v.shape = readShape(buf, ss, se);
      } else tr.skip(tw);
    }
  }
}

function readShape(buf: Uint8Array, start: number, end: number): (number | string | null)[] {
  const r = new ProtoReader(buf, start, end);
  const dims: (number | string | null)[] = [];
  while (!r.done) {
    const [f, w] = r.tag();
    if (f !== ShapeField.dim || w !== WireType.LengthDelimited) {
      r.skip(w);
      continue;
    }
    const [s, e] = r.span();
    const dr = new ProtoReader(buf, s, e);
    let d: number | string | null = null;
    while (!dr.done) {
      const [df, dw] = dr.tag();
      if (df === DimField.value && dw === WireType.Varint) d = dr.varint();
      else if (df === DimField.param && dw === WireType.LengthDelimited) d = dr.string();
      else dr.skip(dw);
    }
    dims.push(d);
  }
  return dims;
}
