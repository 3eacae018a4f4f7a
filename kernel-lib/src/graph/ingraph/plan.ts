/**
 * Surgery for in-graph metrics: for every site, its map brought to [B, H, T, S] (layout.ts), its
 * geometry (geometry.ts) and row metrics (rowMetrics.ts), then the rollout of each stack
 * (rollout.ts) — appended as new nodes and graph outputs. The plan remembers the output names
 * `measure` fetches. onnxruntime runs every node of a session whatever is fetched, so these
 * subgraphs also run under `run()`: they are opt-in.
 */
import { AttnlensError } from "../../errors";
import type { Stack } from "../../result/types";
import { GraphEmitter } from "../onnx/emitter";
import type { GraphEdit } from "../onnx/encode";
import { GraphIndex } from "../onnx/graphIndex";
import { defaultOpset, type OnnxModel } from "../onnx/model";
import { DataType } from "../onnx/schema";
import type { AttentionSite } from "../sites/types";
import { graphGeometry } from "./geometry";
import { bhtsInGraph } from "./layout";
import { type RolloutInput, type RolloutOutputs, rolloutOutputs } from "./rollout";
import { rowMetrics, type SiteOutputs } from "./rowMetrics";
import { graphInputs } from "./streams";
import type { InGraphOptions } from "./types";

const PREFIX = "attnlens.ingraph";

/** Lowest opset the builders support (Range, CumSum, GatherElements, float Equal). */
export const MIN_OPSET = 11;

/**
 * The emitter of the metric subgraphs: names no exporter writes (`${prefix}/op/…`, `${prefix}/const/…`)
 * and constants shared by value. Only standard ai.onnx ops of opset ≥ MIN_OPSET are written, so
 * the model's own opset import is kept as it is.
 */
export function metricEmitter(opset: number, prefix = PREFIX): GraphEmitter {
  return new GraphEmitter(opset, { fresh: (kind, hint, n) => `${prefix}/${kind}/${hint}_${n}`, shareConstants: true });
}

export interface InGraphPlan {
  sites: { site: AttentionSite; outputs: SiteOutputs }[];
  rollout: RolloutOutputs[];
  /** The nodes, constants and outputs to splice into the model (with the exposed sites). */
  edit: GraphEdit;
}

function hasPastKeys(model: OnnxModel): boolean {
  return model.graph.inputs.some((v) => /past/i.test(v.name));
}

export function planInGraphMetrics(
  model: OnnxModel,
  sites: readonly AttentionSite[],
  options: InGraphOptions = {},
): InGraphPlan {
  const opset = defaultOpset(model);
  if (opset < MIN_OPSET) {
    throw new AttnlensError(
      "BAD_MODEL",
      `inGraphMetrics needs an ai.onnx opset ≥ ${MIN_OPSET}, and this model imports opset ${opset}; ` +
        "open it without inGraphMetrics and measure on the host (analyzeResult(await model.run(feeds)))",
    );
  }
  const e = metricEmitter(opset);
  const index = new GraphIndex(model.graph);
  const inputs = graphInputs(model.graph.inputs, sites);
  const planned: InGraphPlan["sites"] = [];
  const rolloutInputs: RolloutInput[] = [];
  for (const site of sites) {
    const outputs: SiteOutputs = {
      rows: `${PREFIX}/${site.id}/rows`,
      heads: `${PREFIX}/${site.id}/heads`,
      sources: `${PREFIX}/${site.id}/sources`,
      info: `${PREFIX}/${site.id}/info`,
    };
    const map = bhtsInGraph(e, index, site, inputs.batch);
    const geometry = graphGeometry(e, map, site, inputs);
    const { weights } = rowMetrics(e, map, geometry, site.kind === "self", outputs);
    planned.push({ site, outputs });
    rolloutInputs.push({ site, weights, geometry });
  }
  const rollout =
    (options.rollout ?? !hasPastKeys(model))
      ? rolloutOutputs(
          e,
          rolloutInputs,
          (stack: Stack, part) => `${PREFIX}/rollout/${stack}${part === "data" ? "" : `/${part}`}`,
        )
      : [];
  // Typed as ONNX requires of graph outputs (rowMetrics.ts and rollout.ts give the layouts).
  const typed = (name: string, elemType: number, rank: number) => ({ name, elemType, shape: Array(rank).fill(null) });
  const addOutputs = [
    ...planned.flatMap(({ outputs: o }) => [
      typed(o.rows, DataType.FLOAT, 4),
      typed(o.heads, DataType.FLOAT, 2),
      typed(o.sources, DataType.INT32, 2),
      typed(o.info, DataType.INT64, 1),
    ]),
    ...rollout.flatMap((r) => [
      typed(r.data, DataType.FLOAT, 3),
      typed(r.ok, DataType.INT64, 0),
      ...(r.cross ? [typed(r.cross.data, DataType.FLOAT, 3)] : []),
    ]),
  ];
  return {
    sites: planned,
    rollout,
    edit: { addNodes: e.nodes, addInitializers: e.initializers, addOutputs },
  };
}
