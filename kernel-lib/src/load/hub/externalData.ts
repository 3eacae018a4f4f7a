/**
 * The external-data files an ONNX model names (TensorProto.external_data "location" of its
 * initializers and Constant tensors), as repository paths beside the model file. Only these are
 * downloaded with the model: not every file that merely starts with the model's name.
 */
import * as path from "node:path";
import { AttnlensError } from "../../errors";
import type { TensorInfo } from "../../graph/onnx/model";
import { decode } from "../../graph/surgery/attentionGraph";
import { readModelArena } from "../modelFile";
import { unsafeName } from "./cacheLayout";

/** `rel` is the model's repository path (e.g. onnx/model.onnx); `file` where it is on disk. */
export function externalDataFiles(file: string, rel: string): string[] {
  const model = decode(readModelArena(file).bytes, file);
  const tensors: TensorInfo[] = [...model.graph.initializers.values()];
  for (const node of model.graph.nodes) for (const a of node.attributes.values()) if (a.t) tensors.push(a.t);
  const dir = path.posix.dirname(rel);
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
    out.add(dir === "." ? location : `${dir}/${location}`);
  }
  return [...out].sort();
}
