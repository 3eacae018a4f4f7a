/**
 * What openModel reads from the graph so that `run` can refuse feeds before onnxruntime sees them:
 * the embedding table behind each integer input (ids past its end crash or print native errors)
 * and the declared shapes of each site's output and of the model's outputs (for the size guard).
 */

import { tokenEmbedding } from "../../load/embedding";
import type { OnnxModel } from "../onnx/model";
import { dataTypeName } from "../onnx/schema";
import type { AttentionSite } from "./types";

/** A declared shape: sizes, symbolic names ("batch", "sequence") or null where unnamed. */
export type DeclaredDims = readonly (number | string | null)[];

/** An integer input whose values index the rows of an embedding table. */
export interface IdTable {
  input: string;
  /** Rows of the table: valid ids are 0 … rows − 1. */
  rows: number;
  /** The table's initializer, for messages. */
  table: string;
}

export interface GraphChecks {
  idTables: readonly IdTable[];
  /** Declared shape of a site output, by output name, where the model declares one. */
  siteShapes: ReadonlyMap<string, DeclaredDims>;
  /** Declared shape of each of the model's own outputs (the encoder's states give its length). */
  outputShapes: ReadonlyMap<string, DeclaredDims>;
}

export const NO_GRAPH_CHECKS: GraphChecks = { idTables: [], siteShapes: new Map(), outputShapes: new Map() };

export function graphChecks(model: OnnxModel, sites: readonly AttentionSite[]): GraphChecks {
  const idTables: IdTable[] = [];
  for (const input of model.graph.inputs) {
    const type = input.elemType == null ? "" : dataTypeName(input.elemType);
    if (type !== "int64" && type !== "int32") continue;
    const embedding = tokenEmbedding(model, input.name);
    if (embedding) idTables.push({ input: input.name, rows: embedding.rows, table: embedding.name });
  }
  const declared = new Map<string, DeclaredDims>();
  for (const v of [...model.graph.valueInfo.values(), ...model.graph.outputs])
    if (v.shape) declared.set(v.name, v.shape);
  const siteShapes = new Map<string, DeclaredDims>();
  for (const s of sites) {
    const shape = declared.get(s.output);
    if (shape) siteShapes.set(s.output, shape);
  }
  const outputShapes = new Map<string, DeclaredDims>();
  for (const v of model.graph.outputs) if (v.shape) outputShapes.set(v.name, v.shape);
  return { idTables, siteShapes, outputShapes };
}
