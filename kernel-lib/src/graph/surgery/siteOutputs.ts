/**
 * How a site's graph output is laid out, for those who read it without attnlens (the `expose`
 * manifest): its axes by symbolic name and its element type. attnlens itself brings any layout
 * to [batch, heads, target, source] after a run (result/layout.ts); this says the same statically.
 */
import { GraphIndex } from "../onnx/graphIndex";
import type { OnnxModel } from "../onnx/model";
import { DataType, dataTypeName } from "../onnx/schema";
import { rankOf } from "../onnx/shapeEval";
import type { AttentionSite } from "../sites/types";

export interface SiteOutputLayout {
  /** The graph output's name. */
  output: string;
  /**
   * Symbolic axes in output order: "batch", "heads", "target", "source", or "batch*heads" when a
   * rank-3 map folds them; null when the rank cannot be told before a run.
   */
  axes: string[] | null;
  /** Element type ("float32", "float16", …): declared, or else the type of the model's float weights. */
  dtype: string;
}

const FLOATS = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, DataType.BFLOAT16]);

export function describeSiteOutputs(model: OnnxModel, sites: readonly AttentionSite[]): SiteOutputLayout[] {
  const index = new GraphIndex(model.graph);
  const floatType = modelFloatType(model);
  return sites.map((site) => {
    const declared = model.graph.outputs.find((o) => o.name === site.output) ?? model.graph.valueInfo.get(site.output);
    const rank = declared?.shape?.length ?? rankOf(index, site.output);
    return {
      output: site.output,
      axes: rank == null ? null : axesOf(rank, site.softmaxAxis),
      dtype: dataTypeName(declared?.elemType ?? floatType),
    };
  });
}

/** The rows' axes in order, with "source" (the softmax axis) where the Softmax normalized. */
function axesOf(rank: number, softmaxAxis: number): string[] | null {
  const rows = rank === 4 ? ["batch", "heads", "target"] : rank === 3 ? ["batch*heads", "target"] : ["target"];
  if (rank < 2 || rank > 4) return null;
  const axis = softmaxAxis < 0 ? softmaxAxis + rank : softmaxAxis;
  return [...rows.slice(0, axis), "source", ...rows.slice(axis)];
}

function modelFloatType(model: OnnxModel): number {
  for (const t of model.graph.initializers.values()) if (FLOATS.has(t.dataType)) return t.dataType;
  return DataType.FLOAT;
}
