/** The decoded shape of an ONNX model: structure only; weights stay views into the original bytes. */

/** A graph value's declared type: element type and shape (numbers, symbolic names, or null). */
export interface ValueInfo {
  name: string;
  elemType: number | null;
  shape: (number | string | null)[] | null;
}

/** An initializer or constant tensor. Data is a view into the model bytes, never a copy. */
export interface TensorInfo {
  name: string;
  dataType: number;
  dims: number[];
  raw?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  /** Set when the data lives in an external file (ONNX external-data format). */
  external?: { location: string; offset: number; length: number | null };
}

export interface Attribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorInfo;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  /** Sub-graphs (If/Loop bodies) are kept as byte spans; attnlens does not look inside them. */
  hasGraph?: boolean;
  /** [start, end) of the sub-graph's GraphProto payload in the model bytes (graph/surgery/mergedDecoder.ts reads it). */
  graphSpan?: [number, number];
  /** Repeated tensors (TENSORS attributes): read for their external-data locations (load/hub/externalData.ts). */
  tensors?: TensorInfo[];
  /** [start, end) spans of repeated sub-graphs (GRAPHS attributes). */
  graphSpans?: [number, number][];
}

export interface OnnxNode {
  /** Position in graph.node. */
  index: number;
  name: string;
  opType: string;
  /** "" for the default ai.onnx domain. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, Attribute>;
  /** [start, end) of this node's whole field (tag included) in the model bytes. */
  span: [number, number];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  /** Real graph inputs (initializers listed as inputs by old IR versions are left out). */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: Map<string, ValueInfo>;
  initializers: Map<string, TensorInfo>;
}

export interface OnnxModel {
  bytes: Uint8Array;
  irVersion: number;
  /** Opset version per domain; "" is ai.onnx. */
  opsets: Map<string, number>;
  producer: string;
  graph: OnnxGraph;
  /** [tagStart, payloadStart, end) of the ModelProto.graph field in `bytes`. */
  graphField: [number, number, number];
}

/** The ai.onnx opset the model imports (the default domain may be spelled "" or "ai.onnx"). */
export function defaultOpset(model: OnnxModel): number {
  return model.opsets.get("") ?? model.opsets.get("ai.onnx") ?? 0;
}

export function attrInt(node: OnnxNode, name: string, fallback: number): number;
export function attrInt(node: OnnxNode, name: string): number | undefined;
export function attrInt(node: OnnxNode, name: string, fallback?: number): number | undefined {
  return node.attributes.get(name)?.i ?? fallback;
}

export function attrInts(node: OnnxNode, name: string): number[] | undefined {
  return node.attributes.get(name)?.ints;
}

export function attrFloat(node: OnnxNode, name: string): number | undefined {
  return node.attributes.get(name)?.f;
}
