/**
 * The manifest written beside an exposed model (`attnlens expose`): what each added graph output
 * holds, so Python onnxruntime, a server or another runtime can read the attention maps (and the
 * in-graph metrics) without attnlens. Plain JSON; `version` changes when a field changes meaning.
 */
import type { SiteLabel } from "../../result/types";
import type { InGraphPlan } from "../ingraph/plan";
import { ROW_METRICS } from "../ingraph/rowMetrics";
import type { ValueInfo } from "../onnx/model";
import { dataTypeName } from "../onnx/schema";
import type { AttentionGraph } from "./attentionGraph";

/** The manifest's `format` field: what kind of JSON file this is. */
export const MANIFEST_FORMAT = "attnlens.exposed-model";
/** The manifest's `version`: raised when a field changes meaning. */
export const MANIFEST_VERSION = 1;

/** A model input or output as declared in the graph. */
export interface ManifestValue {
  /** The graph input or output name. */
  name: string;
  /** Element type: float32, int64, … */
  dtype: string;
  /** Declared dims: sizes, symbolic names, or null where the model leaves one unnamed. */
  dims: (number | string | null)[] | null;
}

/** One attention site's probabilities as a graph output. */
export interface ManifestAttention {
  /** The graph output with the probabilities (the model's own when it already exported it). */
  output: string;
  /** The site: id, stack, kind, layer, heads, causal, node. */
  site: SiteLabel;
  /** Axes by name ("batch", "heads", "target", "source", "batch*heads"); rows over "source" sum to 1. */
  dims: string[] | null;
  /** Element type of the output (float32). */
  dtype: string;
  /** True when the model exported this output itself (nothing was added for it). */
  existing: boolean;
}

/** The in-graph metric and rollout outputs (`--ingraph-metrics`). */
export interface ManifestMetrics {
  /** Metric names, in the order of the leading axis of `rows` and `heads`. */
  metrics: string[];
  /** Per site: the names of its metric outputs. */
  sites: {
    /** The site id, e.g. `encoder.self.0`. */
    site: string;
    /** [metric, batch, heads, target] float32 per-row metrics. */
    rows: string;
    /** [metric, heads] float32 per-head means (NaN where no row defines the metric). */
    heads: string;
    /** [batch, target] int32: number of visible sources per row, 0 on padding rows. */
    sources: string;
    /** [5] int64: batch, heads, target, source and the causal flag (0/1). */
    info: string;
  }[];
  /** Attention rollout per stack: [batch, target, target] float32 over the listed layers. */
  rollout: { stack: string; layers: number[]; output: string; cross?: { output: string; encoderLayers: number[] } }[];
}

/** One site's value-vector norms as a graph output (`--value-norms`). */
export interface ManifestValueNorms {
  /** The site id, as in `attention`. */
  site: string;
  /** The graph output with the norms; null where the site has none (see `note`). */
  output: string | null;
  /** Always ["batch", "heads", "source"]: N[b, h, j] is the norm of source j's vector through head h. */
  dims: ["batch", "heads", "source"];
  /** Element type of the output (float32). */
  dtype: "float32";
  /**
   * "transformed": ‖(x_j W_V + b_V) W_O^h‖, the value through head h's slice of the output projection;
   * "value": ‖v_j‖ alone, where the projection was not found; null where the site has no norms.
   */
  kind: "transformed" | "value" | null;
  /** Why `kind` is "value" or null. */
  note?: string;
}

/** The JSON file written beside an exposed model: what each added output holds. */
export interface ExposedManifest {
  /** Always {@link MANIFEST_FORMAT}. */
  format: typeof MANIFEST_FORMAT;
  /** {@link MANIFEST_VERSION} of the writer. */
  version: number;
  /** The model file this was made from, as named on the command line (or "bytes"). */
  source: string;
  /** The exposed model's file name (in the manifest's folder). */
  model: string;
  /** The model's inputs, as declared. */
  inputs: ManifestValue[];
  /** The model's own outputs, unchanged by surgery. */
  outputs: ManifestValue[];
  /** One entry per attention site, in site order. */
  attention: ManifestAttention[];
  /** Present when the model was exposed with in-graph metrics. */
  inGraphMetrics?: ManifestMetrics;
  /** Present when the model was exposed with value norms: one entry per site, in site order. */
  valueNorms?: ManifestValueNorms[];
}

export function buildManifest(graph: AttentionGraph, source: string, model: string): ExposedManifest {
  const manifest: ExposedManifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    source,
    model,
    inputs: graph.inputs.map(value),
    outputs: graph.outputs.map(value),
    attention: graph.sites.map((s, i) => ({
      output: s.output,
      site: { id: s.id, stack: s.stack, kind: s.kind, layer: s.layer, heads: s.heads, causal: s.causal, node: s.node },
      dims: graph.siteOutputs[i].axes,
      dtype: graph.siteOutputs[i].dtype,
      existing: s.existingOutput,
    })),
  };
  if (graph.inGraph) manifest.inGraphMetrics = metrics(graph.inGraph);
  if (graph.valueNorms) {
    manifest.valueNorms = graph.valueNorms.sites.map((p) => ({
      site: p.site,
      output: p.output,
      dims: ["batch", "heads", "source"],
      dtype: "float32",
      kind: p.kind,
      ...(p.note ? { note: p.note } : {}),
    }));
  }
  return manifest;
}

function value(v: ValueInfo): ManifestValue {
  return { name: v.name, dtype: dataTypeName(v.elemType), dims: v.shape };
}

function metrics(plan: InGraphPlan): ManifestMetrics {
  return {
    metrics: [...ROW_METRICS],
    sites: plan.sites.map(({ site, outputs }) => ({ site: site.id, ...outputs })),
    rollout: plan.rollout.map((r) => ({
      stack: r.stack,
      layers: r.layers,
      output: r.data,
      ...(r.cross ? { cross: { output: r.cross.data, encoderLayers: r.cross.encoderLayers } } : {}),
    })),
  };
}
