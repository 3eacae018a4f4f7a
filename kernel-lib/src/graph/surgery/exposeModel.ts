/**
 * exposeModel: an ONNX model in, the same model with every attention site's probabilities (and,
 * when asked, the in-graph metrics and the value-vector norms) as graph outputs, plus the manifest that says what each
 * added output holds. For running the attention-exposing model outside attnlens (Python
 * onnxruntime, a server, another runtime); `attnlens expose` writes both to files.
 */
import * as path from "node:path";
import { AttnlensError } from "../../errors";
import type { InGraphOptions } from "../ingraph/types";
import { attentionGraphOf } from "./attentionGraph";
import { buildManifest, type ExposedManifest } from "./manifest";

/** Options of {@link exposeModel}. */
export interface ExposeOptions {
  /** Append per-head metrics and rollout as ONNX subgraphs (listed in the manifest). */
  inGraphMetrics?: boolean | InGraphOptions;
  /**
   * Also add each site's value-vector norms, [batch, heads, source] float32, for norm-based
   * attention (Kobayashi et al. 2020; listed in the manifest's `valueNorms`).
   */
  valueNorms?: boolean;
  /** Stack to assume for a single-stack graph with no other clue (e.g. an optimum decoder file). */
  stackHint?: "encoder" | "decoder";
  /**
   * Where the exposed model will be written. Needed for models with external weight files: the
   * copy refers to them by relative path, so it must sit in the source model's folder.
   */
  output?: string;
}

/** The attention-exposing model and what its added outputs hold. */
export interface ExposedModel {
  /** The rewritten ONNX model (a valid, topologically sorted ModelProto). */
  bytes: Uint8Array;
  /** Each added output: name, site label, axes, element type (written as OUT.attnlens.json by the CLI). */
  manifest: ExposedManifest;
}

/**
 * The model (a path or bytes) with every attention site's probabilities — and with
 * `inGraphMetrics`, the per-head metrics — as graph outputs, for any ONNX runtime to run.
 */
export function exposeModel(source: string | Uint8Array, options: ExposeOptions = {}): ExposedModel {
  const what = typeof source === "string" ? source : "the model bytes";
  const graph = attentionGraphOf(source, {
    stackHint: options.stackHint,
    inGraphMetrics: options.inGraphMetrics,
    valueNorms: options.valueNorms,
    what,
  });
  if (graph.externalData) checkExternalData(source, options.output);
  const model = options.output ? path.basename(options.output) : "model.onnx";
  return {
    bytes: graph.bytes,
    manifest: buildManifest(graph, typeof source === "string" ? source : "bytes", model),
  };
}

/** External weights are found relative to the model file: the exposed copy must stay beside them. */
function checkExternalData(source: string | Uint8Array, output: string | undefined): void {
  const from = typeof source === "string" ? path.dirname(path.resolve(source)) : null;
  if (from && output && path.dirname(path.resolve(output)) === from) return;
  throw new AttnlensError(
    "BAD_INPUT",
    from
      ? `${source as string} keeps its weights in external data files, which the exposed model refers to by relative path: write it into the model's folder ${from}`
      : "the model keeps its weights in external data files: expose it from its path, not from bytes",
  );
}
