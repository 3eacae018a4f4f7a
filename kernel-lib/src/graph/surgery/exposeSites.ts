/** Graph surgery: make every site's probabilities a graph output (those already exported are left alone). */
import { editModel, type GraphEdit } from "../onnx/encode";
import type { OnnxModel } from "../onnx/model";
import type { AttentionSite } from "../sites/types";

export function exposeSites(model: OnnxModel, sites: readonly AttentionSite[], extra: GraphEdit = {}): Uint8Array {
  const existing = new Set(model.graph.outputs.map((o) => o.name));
  const addOutputs = sites.filter((s) => !existing.has(s.output)).map((s) => ({ name: s.output }));
  return editModel(model, { ...extra, addOutputs: [...addOutputs, ...(extra.addOutputs ?? [])] });
}
