/**
 * openModel: bytes or a path in, a ready AttentionModel out.
 *
 *   read ─► decode ModelProto ─► decompose fused attention ─► discover sites ─► expose their outputs
 *   ─► session (provider fallback)
 */
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import type * as ort from "onnxruntime-node";
import { AttnlensError } from "../errors";
import { decomposeFusedAttention } from "../graph/fusion/decompose";
import { planInGraphMetrics } from "../graph/ingraph/plan";
import type { InGraphOptions } from "../graph/ingraph/types";
import { decodeModel, OnnxFormatError } from "../graph/onnx/decode";
import type { OnnxModel } from "../graph/onnx/model";
import { discoverSites } from "../graph/sites/discover";
import type { RejectedSoftmax, SiteDiscovery } from "../graph/sites/types";
import { exposeSites } from "../graph/surgery/exposeSites";
import { AttentionModel } from "./attentionModel";
import { inputSpecs } from "./feeds";
import { graphChecks } from "./graphChecks";
import { normalizeProviders } from "./providers";
import { createSession } from "./session";

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
}

/**
 * Opens an ONNX model (path or bytes), finds every attention site, makes their probabilities graph outputs
 * and starts a session on the first execution provider that works. Feeds in, attention out:
 * `model.run(feeds)`.
 */
export async function openModel(source: string | Uint8Array, options: OpenOptions = {}): Promise<AttentionModel> {
  const providers = normalizeProviders(options.providers);
  const bytes = typeof source === "string" ? readModelFile(source) : source;
  const { model, unexposable } = withoutFusedAttention(
    decode(bytes, typeof source === "string" ? source : "the model bytes"),
  );
  const found = discoverSites(model, { stackHint: options.stackHint });
  found.unexposable = mergeReasons(unexposable, found.unexposable);
  if (found.sites.length === 0) throw noAttention(found, model, typeof source === "string" ? source : "the model");
  const inGraph = options.inGraphMetrics
    ? planInGraphMetrics(model, found.sites, options.inGraphMetrics === true ? {} : options.inGraphMetrics)
    : undefined;
  const edited = exposeSites(model, found.sites, inGraph?.edit);
  const sessionOptions = { ...options.sessionOptions };
  if (typeof source === "string" && usesExternalData(model)) {
    // The edited model is loaded from memory; tell onnxruntime where its weight files live.
    sessionOptions.extra = {
      ...sessionOptions.extra,
      session: { model_external_initializers_file_folder_path: path.dirname(path.resolve(source)) },
    };
  }
  let opened: Awaited<ReturnType<typeof createSession>>;
  try {
    opened = await createSession(edited, providers, sessionOptions);
  } catch (e) {
    const cpu = e instanceof AttnlensError && providers.includes("cpu") ? /cpu: (.*)/.exec(e.message)?.[1] : undefined;
    if (cpu) throw new AttnlensError("BAD_MODEL", `onnxruntime cannot load this model: ${cpu}`);
    throw e;
  }
  const ownOutputs = model.graph.outputs.map((o) => o.name);
  return new AttentionModel(
    found.sites,
    inputSpecs(model.graph.inputs),
    ownOutputs,
    opened,
    [...found.rejected, ...found.unexposable],
    options.maxAttentionBytes,
    inGraph,
    graphChecks(model, found.sites),
  );
}

/** Fused attention ops (com.microsoft Attention, MultiHeadAttention, …) rewritten in standard ops. */
function withoutFusedAttention(model: OnnxModel): { model: OnnxModel; unexposable: RejectedSoftmax[] } {
  const fused = decomposeFusedAttention(model);
  return { model: fused.bytes ? decode(fused.bytes, "the decomposed model") : model, unexposable: fused.unexposable };
}

/** The specific reasons from decomposition replace discovery's generic ones for the same nodes. */
function mergeReasons(specific: RejectedSoftmax[], generic: RejectedSoftmax[]): RejectedSoftmax[] {
  const named = new Set(specific.map((r) => r.node));
  return [...specific, ...generic.filter((r) => !named.has(r.node))];
}

function readModelFile(file: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) {
      throw new AttnlensError(
        "BAD_MODEL",
        `${file} is a directory; give the .onnx file inside it (or use loadModel for model directories)`,
      );
    }
    size = st.size;
  } catch (e) {
    if (e instanceof AttnlensError) throw e;
    throw new AttnlensError(
      "BAD_MODEL",
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
  }
  if (size === 0) throw new AttnlensError("BAD_MODEL", `${file} is empty (0 bytes): expected an ONNX model`);
  return readFileSync(file);
}

export function decode(bytes: Uint8Array, what: string): OnnxModel {
  try {
    return decodeModel(bytes);
  } catch (e) {
    if (e instanceof OnnxFormatError) throw new AttnlensError("BAD_MODEL", `${what}: ${e.message}`);
    throw e;
  }
}

function usesExternalData(model: OnnxModel): boolean {
  for (const t of model.graph.initializers.values()) if (t.external) return true;
  return false;
}

function noAttention(found: SiteDiscovery, model: OnnxModel, what: string): AttnlensError {
  const lines = [
    `no attention found in ${what}.`,
    "attnlens looks for: Softmax nodes fed by a product of two activations (QKᵀ, possibly scaled/masked) whose output multiplies values (·V);",
    "graph outputs named attentions.N / encoder_attentions.N / decoder_attentions.N / cross_attentions.N.",
    `the graph has ${model.graph.nodes.length} nodes and ${found.rejected.length} Softmax node(s).`,
  ];
  for (const r of [...found.rejected, ...found.unexposable].slice(0, 10)) lines.push(`  ${r.node}: ${r.reason}`);
  return new AttnlensError("NO_ATTENTION", lines.join("\n"));
}
