/**
 * The external-data files an ONNX model names (TensorProto.external_data "location" of its
 * initializers and attribute tensors, sub-graphs included: a merged decoder's If branches), as
 * repository paths beside the model file. Only these are downloaded with the model: not every file
 * that merely starts with the model's name.
 */
import { AttnlensError } from "../../errors";
import { readGraph } from "../../graph/onnx/decode";
import type { OnnxGraph, TensorInfo } from "../../graph/onnx/model";
import { decode } from "../../graph/surgery/attentionGraph";
import { readModelArena } from "../modelFile";
import { unsafeName } from "./cacheLayout";

/** `rel` is the model's repository path (e.g. onnx/model.onnx); `file` where it is on disk. */
export function externalDataFiles(file: string, rel: string): string[] {
  const model = decode(readModelArena(file).bytes, file); // checks the file is an ONNX model first
  const tensors: TensorInfo[] = [];
  try {
    graphTensors(model.bytes, model.graph, tensors);
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

/** Every TensorProto of a graph: initializers, and those in node attributes, sub-graphs included. */
function graphTensors(buf: Uint8Array, graph: OnnxGraph, out: TensorInfo[]): void {
  out.push(...graph.initializers.values());
  for (const node of graph.nodes)
    for (const a of node.attributes.values()) {
      if (a.t) out.push(a.t);
      if (a.tensors) out.push(...a.tensors);
      for (const [s, e] of [...(a.graphSpan ? [a.graphSpan] : []), ...(a.graphSpans ?? [])])
        graphTensors(buf, readGraph(buf, s, e), out);
    }
}
