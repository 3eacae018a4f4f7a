/** Decoded nodes and constants back into the writer's specs, for copying them into a new graph. */
import type { AttrSpec, NodeSpec, TensorSpec } from "../onnx/encode";
import type { Attribute, OnnxNode, TensorInfo } from "../onnx/model";
import { AttributeType, DataType } from "../onnx/schema";
import { elementCount } from "../onnx/tensorValues";

/** The node as a NodeSpec, or the reason it cannot be copied (sub-graphs, string lists). */
export function nodeSpecOf(n: OnnxNode): NodeSpec | string {
  const attributes: Record<string, AttrSpec> = {};
  for (const [name, a] of n.attributes) {
    const spec = attrSpecOf(a);
    if (!spec) return `${n.opType} node ${n.name || n.outputs[0]} has an attribute "${name}" the replay cannot copy`;
    attributes[name] = spec;
  }
  return { name: n.name, opType: n.opType, domain: n.domain, inputs: n.inputs, outputs: n.outputs, attributes };
}

function attrSpecOf(a: Attribute): AttrSpec | null {
  switch (a.type) {
    case AttributeType.INT:
      return { i: a.i ?? 0 };
    case AttributeType.FLOAT:
      return { f: a.f ?? 0 };
    case AttributeType.STRING:
      return { s: new TextDecoder().decode(a.s ?? new Uint8Array(0)) };
    case AttributeType.INTS:
      return { ints: a.ints ?? [] };
    case AttributeType.FLOATS:
      return { floats: a.floats ?? [] };
    case AttributeType.TENSOR: {
      const t = a.t && tensorSpecOf(a.t);
      return t ? { t } : null;
    }
    default:
      return null;
  }
}

/** A constant's values as a TensorSpec (raw bytes kept as they are); null for external or odd types. */
export function tensorSpecOf(t: TensorInfo, name = t.name): TensorSpec | null {
  if (t.external) return null;
  const n = elementCount(t.dims);
  const dims = t.dims;
  if (t.raw) {
    // Copy into an aligned buffer: raw may sit at any offset of the model bytes.
    const raw = Uint8Array.from(t.raw);
    return { name, dataType: t.dataType, dims, data: raw };
  }
  switch (t.dataType) {
    case DataType.FLOAT:
      return { name, dataType: t.dataType, dims, data: Float32Array.from(t.floatData ?? []) };
    case DataType.DOUBLE:
      return { name, dataType: t.dataType, dims, data: Float64Array.from(t.doubleData ?? []) };
    case DataType.INT64:
      return { name, dataType: t.dataType, dims, data: BigInt64Array.from(t.int64Data ?? [], (v) => BigInt(v)) };
    case DataType.INT32:
      return { name, dataType: t.dataType, dims, data: Int32Array.from(t.int32Data ?? []) };
    case DataType.BOOL:
    case DataType.UINT8:
      return { name, dataType: t.dataType, dims, data: Uint8Array.from(t.int32Data ?? []) };
    default:
      return n === 0 ? { name, dataType: t.dataType, dims, data: new Uint8Array(0) } : null;
  }
}
