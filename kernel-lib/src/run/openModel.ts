/**
 * openModel: bytes or a path in, a ready AttentionModel out.
 *
 *   read ─► graph stage (decode, decompose fused attention, discover sites, expose their outputs;
 *   graph/surgery/attentionGraph.ts) ─► session (provider fallback)
 *
 * Memory: besides onnxruntime's own copy, at most one extra copy of the model bytes is alive at
 * a time, and none is kept once the session exists.
 */
import * as path from "node:path";
import type * as ort from "onnxruntime-node";
import { AttnlensError } from "../errors";
import type { InGraphOptions } from "../graph/ingraph/types";
import { type AttentionGraph, attentionGraphOf, type MapsMode } from "../graph/surgery/attentionGraph";
import { AttentionModel } from "./attentionModel";
import { inputSpecs } from "./feeds";
import { normalizeProviders } from "./providers";
import { createSession, withSessionConfig } from "./session";

/** Options of `openModel`: execution providers, onnxruntime session options, and how to read the graph. */
export interface OpenOptions {
  /** Execution providers to try in order (default: cuda, webgpu, cpu). */
  providers?: readonly string[];
  /** Passed to onnxruntime (threads, graph optimization level, …). */
  sessionOptions?: ort.InferenceSession.SessionOptions;
  /** Stack to assume for a single-stack graph with no other clue (e.g. an optimum decoder file). */
  stackHint?: "encoder" | "decoder";
  /** Refuse runs whose attention maps would exceed this many bytes (default 2 GiB). */
  maxAttentionBytes?: number;
  /** Append per-head metrics and rollout as ONNX subgraphs, read by `model.measure()` (see ingraph/). */
  inGraphMetrics?: boolean | InGraphOptions;
  /**
   * Also output each site's value-vector norms ‖f(x_j)‖ per head and source, for norm-based
   * attention (`result.valueNorms`, `normWeighted(result)`; Kobayashi et al. 2020).
   */
  valueNorms?: boolean;
  /**
   * How attention maps are held (issue 14). "full" (default): every map is a graph output, for
   * `run()`. "lazy": queries, keys and side tensors are output instead, fused attention ops stay
   * fused, and only `runLazy()` works (maps recomputed per row block or tile on demand). "auto":
   * both `run()` (refused with a pointer to `runLazy` when the maps would not fit) and `runLazy()`.
   */
  maps?: MapsMode;
}

/**
 * Opens an ONNX model (path or bytes), finds every attention site, makes their probabilities graph outputs
 * and starts a session on the first execution provider that works. Feeds in, attention out:
 * `model.run(feeds)`.
 */
export async function openModel(source: string | Uint8Array, options: OpenOptions = {}): Promise<AttentionModel> {
  const what = typeof source === "string" ? source : "the model bytes";
  const graph = attentionGraphOf(source, {
    stackHint: options.stackHint,
    inGraphMetrics: options.inGraphMetrics,
    valueNorms: options.valueNorms,
    maps: options.maps,
    what,
  });
  let sessionOptions = { ...options.sessionOptions };
  if (typeof source === "string" && graph.externalData) {
    // The edited model is loaded from memory; tell onnxruntime where its weight files live.
    sessionOptions = withSessionConfig(
      sessionOptions,
      { model_external_initializers_file_folder_path: path.dirname(path.resolve(source)) },
      true,
    );
  }
  return openAttentionGraph(graph, { ...options, sessionOptions });
}

/**
 * The session stage alone, on a model already through the graph stage: for callers that read
 * the model themselves (load/openFiles.ts checks the embedding first, in the same arena).
 */
export async function openAttentionGraph(graph: AttentionGraph, options: OpenOptions = {}): Promise<AttentionModel> {
  const providers = normalizeProviders(options.providers);
  const edited = graph.bytes;
  graph.bytes = new Uint8Array(0); // onnxruntime makes its own copy: keep no second one after the session exists
  let opened: Awaited<ReturnType<typeof createSession>>;
  try {
    opened = await createSession(edited, providers, options.sessionOptions);
  } catch (e) {
    const cpu = e instanceof AttnlensError && providers.includes("cpu") ? /cpu: (.*)/.exec(e.message)?.[1] : undefined;
    if (cpu) throw new AttnlensError("BAD_MODEL", `onnxruntime cannot load this model: ${cpu}`);
    throw e;
  }
  return new AttentionModel(
    graph.sites,
    inputSpecs(graph.inputs),
    graph.outputs.map((o) => o.name),
    opened,
    graph.skipped,
    options.maxAttentionBytes,
    graph.inGraph,
    graph.checks,
    graph.valueNorms?.sites,
    graph.capture ? { maps: graph.maps, capture: graph.capture, sessionOptions: options.sessionOptions } : undefined,
  );
}
