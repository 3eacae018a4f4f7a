/**
 * Graph surgery: make every site's probabilities a graph output (those already exported are left
 * alone). Each added output is typed (element type and rank, dims unnamed) as ONNX requires.
 */
import { elemTypeOf } from "../onnx/elemType";
import { editModel, type GraphEdit, type ValueSpec } from "../onnx/encode";
import { GraphIndex } from "../onnx/graphIndex";
import type { OnnxModel } from "../onnx/model";
import { DataType } from "../onnx/schema";
import { rankOf } from "../onnx/shapeEval";
import type { AttentionSite } from "../sites/types";

/** `arena`: a buffer holding model.bytes that the edit may reuse (see editModel). */
export function exposeSites(
  model: OnnxModel,
  sites: readonly AttentionSite[],
  extra: GraphEdit = {},
  arena?: Uint8Array,
): Uint8Array {
  const existing = new Set(model.graph.outputs.map((o) => o.name));
  const index = new GraphIndex(model.graph);
  const addOutputs = sites.filter((s) => !existing.has(s.output)).map((s) => typedOutput(index, s.output));
  return editModel(model, { ...extra, addOutputs: [...addOutputs, ...(extra.addOutputs ?? [])] }, arena);
}

/** A graph output declared with its element type and rank; dims stay unnamed (they vary per run). */
export function typedOutput(index: GraphIndex, name: string): ValueSpec {
  const rank = rankOf(index, name);
  return {
    name,
    elemType: elemTypeOf(index, name) ?? DataType.FLOAT,
    shape: rank == null ? undefined : Array<null>(rank).fill(null),
  };
}
