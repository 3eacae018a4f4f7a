/**
 * The external-data files an ONNX model names (TensorProto.external_data "location" of its
 * initializers and attribute tensors, sub-graphs included: a merged decoder's If branches), as
 * repository paths beside the model file. Only these are downloaded with the model: not every file
 * that merely starts with the model's name.
 */
import { AttnlensError } from "../../errors";
import { readTensor } from "../../graph/onnx/decode";
import type { TensorInfo } from "../../graph/onnx/model";
import { AttributeField, GraphField, NodeField } from "../../graph/onnx/schema";
import { ProtoReader, WireType } from "../../graph/onnx/wire";
import { decode } from "../../graph/surgery/attentionGraph";
import { readModelArena } from "../modelFile";
import { unsafeName } from "./cacheLayout";

/** AttributeProto's repeated tensors and graphs (onnx.proto fields 10 and 11). */
const ATTRIBUTE_TENSORS = 10;
const ATTRIBUTE_GRAPHS = 11;

/** `rel` is the model's repository path (e.g. onnx/model.onnx); `file` where it is on disk. */
export function externalDataFiles(file: string, rel: string): string[] {
  const model = decode(readModelArena(file).bytes, file); // checks the file is an ONNX model first
  const tensors: TensorInfo[] = [];
  try {
    graphTensors(model.bytes, model.graphField[1], model.graphField[2], tensors);
  } catch (e) {
    // A sub-graph decode() did not read: its tensors are malformed or name data outside the folder.
    throw new AttnlensError("BAD_MODEL", `${file}: not a valid ONNX model: ${(e as Error).message}`);
  }
  const dir = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
  const out = new Set<string>();
  for (const t of tensors) {
    if (!t.external) continue;
    const location = t.external.location;
    const why = unsafeName(location);
    if (why) {
      throw new AttnlensError(
        "HUB_REFUSED",
        `${rel} keeps tensor ${t.name} in ${JSON.stringify(location)}, which is refused: ${why}; an external-data file must sit beside the model`,
      );
    }
    out.add(dir ? `${dir}/${location}` : location);
  }
  return [...out].sort();
}

/** Every TensorProto of a GraphProto: initializers, and those in node attributes, recursively. */
function graphTensors(buf: Uint8Array, start: number, end: number, out: TensorInfo[]): void {
  const r = new ProtoReader(buf, start, end);
  while (!r.done) {
    const [field, wire] = r.tag();
    if (wire !== WireType.LengthDelimited) {
      r.skip(wire);
      continue;
    }
    const [s, e] = r.span();
    if (field === GraphField.initializer) out.push(readTensor(buf, s, e));
    else if (field === GraphField.node) nodeTensors(buf, s, e, out);
  }
}

function nodeTensors(buf: Uint8Array, start: number, end: number, out: TensorInfo[]): void {
  const r = new ProtoReader(buf, start, end);
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field !== NodeField.attribute || wire !== WireType.LengthDelimited) {
      r.skip(wire);
      continue;
    }
    const [s, e] = r.span();
    const a = new ProtoReader(buf, s, e);
    while (!a.done) {
      const [f, w] = a.tag();
      if (w !== WireType.LengthDelimited) {
        a.skip(w);
        continue;
      }
      const [as, ae] = a.span();
      if (f === AttributeField.t || f === ATTRIBUTE_TENSORS) out.push(readTensor(buf, as, ae));
      else if (f === AttributeField.g || f === ATTRIBUTE_GRAPHS) graphTensors(buf, as, ae, out);
    }
  }
}
