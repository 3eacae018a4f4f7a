/**
 * The graph stage in one call: ONNX bytes in, the attention-exposing model's bytes and its sites
 * out. Shared by openModel (which hands the bytes to onnxruntime) and exposeModel (which writes
 * them to a file).
 *
 *   decode ─► [inline a merged decoder's with-past branch] ─► decompose fused attention ─► discover sites ─► [plan in-graph metrics]
 *   ─► [plan value norms] ─► expose
 *
 * Memory: given an arena (a file read by openModel/exposeModel), every edit rewrites the model
 * inside it, so the model's bytes exist once. Given only bytes (the caller's, left untouched),
 * each edit makes one copy, and the previous one is referenced no more.
 */
import { AttnlensError } from "../../errors";
import { readModelArena } from "../../load/modelFile";
import { decomposeFusedAttention } from "../fusion/decompose";
import { type InGraphPlan, planInGraphMetrics } from "../ingraph/plan";
import type { InGraphOptions } from "../ingraph/types";
import { type CapturePlan, planCapture } from "../lazy/capture";
import { lazyGraphBytes } from "../lazy/lazyGraph";
import { shareSides } from "../lazy/sharedSides";
import { decodeModel, OnnxFormatError } from "../onnx/decode";
import type { GraphEdit } from "../onnx/encode";
import { GraphIndex } from "../onnx/graphIndex";
import type { OnnxModel, ValueInfo } from "../onnx/model";
import { discoverSites } from "../sites/discover";
import { type GraphChecks, graphChecks } from "../sites/graphChecks";
import type { AttentionSite, RejectedSoftmax, SiteDiscovery } from "../sites/types";
import { exposeSites } from "./exposeSites";
import { checkBranchesAgree, inlineCacheBranch } from "./mergedDecoder";
import { describeSiteOutputs, type SiteOutputLayout } from "./siteOutputs";
import { planValueNorms, type ValueNormPlan } from "./valueNorms";

export interface AttentionGraphOptions {
  /** Stack to assume for a single-stack graph with no other clue (e.g. an optimum decoder file). */
  stackHint?: "encoder" | "decoder";
  /** Append per-head metrics and rollout as ONNX subgraphs (see ingraph/). */
  inGraphMetrics?: boolean | InGraphOptions;
  /** Append each site's value-vector norms for norm-based attention (valueNorms.ts). */
  valueNorms?: boolean;
  /** How messages name the model (a path, or "the model bytes"). */
  what?: string;
  /**
   * A buffer the caller owns holding `source` with free room in front (load/modelFile.ts
   * readModelArena): the edits then reuse it instead of copying the model. It is overwritten.
   */
  arena?: Uint8Array;
  /**
   * "full" (default): every site's map is an output. "lazy": what recomputes the maps (queries,
   * keys, side tensors; graph/lazy/) is output instead and fused ops stay fused. "auto": both.
   */
  maps?: MapsMode;
}

/** How an opened model holds attention maps: all as outputs, recomputed on demand, or both. */
export type MapsMode = "full" | "lazy" | "auto";

export interface AttentionGraph {
  /** The model with every site's probabilities (and in-graph metrics, when asked) as graph outputs. */
  bytes: Uint8Array;
  sites: AttentionSite[];
  /** How each site's output is laid out (axes, element type), in site order. */
  siteOutputs: SiteOutputLayout[];
  /** Softmax nodes judged not to be attention, then fused nodes that cannot be exposed. */
  skipped: RejectedSoftmax[];
  /** The model's own inputs and outputs (before surgery). */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  inGraph?: InGraphPlan;
  /** The value-norm outputs per site, when asked. */
  valueNorms?: ValueNormPlan;
  /** Whether initializers live in external data files (beside the source model). */
  externalData: boolean;
  /** What `run` checks feeds against before onnxruntime sees them (embedding sizes, declared site shapes). */
  checks: GraphChecks;
  /** With `maps: "lazy" | "auto"`: how each site is recomputed, and the values the graph outputs for it. */
  capture?: CapturePlan;
  /** The maps mode the bytes were made for. */
  maps: MapsMode;
}

/**
 * attentionGraph on a path or bytes. A file is read into an arena (load/modelFile.ts) that the
 * edits reuse, and only the result's bytes (a view of it) outlive this call; bytes given by the
 * caller are left untouched.
 */
export function attentionGraphOf(source: string | Uint8Array, options: AttentionGraphOptions = {}): AttentionGraph {
  if (typeof source !== "string") return attentionGraph(source, options);
  const { arena, bytes } = readModelArena(source);
  return attentionGraph(bytes, { ...options, arena, what: source });
}

export function attentionGraph(source: Uint8Array, options: AttentionGraphOptions = {}): AttentionGraph {
  const what = options.what ?? "the model bytes";
  const original = decode(source, what);
  let model: OnnxModel = original;
  const inlined = inlineCacheBranch(model, what);
  if (inlined) model = decode(inlined, "the merged decoder's with-past branch");
  // The arena holds the source; the inlined copy lives outside it, so later edits copy instead.
  const maps = options.maps ?? "full";
  // A lazy graph is the pre-decomposition model plus outputs: it must outlive the decomposition's edit.
  const arena = inlined || maps === "lazy" ? undefined : options.arena;
  const beforeFusion = model;
  const fused = decomposeFusedAttention(model, arena);
  if (fused.bytes) model = decode(fused.bytes, "the decomposed model");
  fused.bytes = null;
  const found = discoverSites(model, { stackHint: options.stackHint });
  if (inlined) checkMergedBranches(original, found.sites, options.stackHint, what);
  found.unexposable = mergeReasons(fused.unexposable, found.unexposable);
  if (found.sites.length === 0) throw noAttention(found, model, what === "the model bytes" ? "the model" : what);
  const inGraph = options.inGraphMetrics
    ? planInGraphMetrics(model, found.sites, options.inGraphMetrics === true ? {} : options.inGraphMetrics)
    : undefined;
  // Read everything that looks at tensors before the last edit, which may overwrite them in the arena.
  const siteOutputs = describeSiteOutputs(model, found.sites);
  const checks = graphChecks(model, found.sites);
  const externalData = [...model.graph.initializers.values()].some((t) => t.external);
  const valueNorms = options.valueNorms ? planValueNorms(model, found.sites) : undefined;
  const capture = maps === "full" ? undefined : planCapture(model, found.sites);
  // Layers whose decompositions build the same mask hold it once.
  if (capture) shareSides(new GraphIndex(model.graph), capture);
  let bytes: Uint8Array;
  if (maps === "lazy") {
    if (inGraph || valueNorms)
      throw new AttnlensError(
        "BAD_INPUT",
        'inGraphMetrics and valueNorms read the maps in the graph: open with maps: "full" or "auto"',
      );
    const maps = new Set(found.sites.map((s) => s.output));
    const plan = capture as CapturePlan;
    const lazySites = new Set(plan.sites.filter((c) => c.mode === "lazy").map((c) => c.site));
    const perHead = found.sites
      .filter((s) => lazySites.has(s.id))
      .map((s) => ({ site: s.id, softmax: s.node, heads: s.heads }));
    const lazy = lazyGraphBytes(beforeFusion, model, lazyOutputs(found.sites, plan), maps, perHead);
    bytes = lazy.bytes;
    for (const c of plan.sites) {
      const outcome = lazy.perHead.get(c.site);
      if (outcome) c.modelPath = outcome === "per-head" ? { perHead: true } : { perHead: false, reason: outcome };
    }
  } else {
    const lazyEdit: GraphEdit = capture ? { addOutputs: lazyOutputSpecs(model, found.sites, capture) } : {};
    bytes = exposeSites(model, found.sites, joinEdits(joinEdits(inGraph?.edit, valueNorms?.edit), lazyEdit), arena);
  }
  if (inGraph) inGraph.edit = {}; // its nodes and constants are in the bytes now
  if (valueNorms) valueNorms.edit = {};
  return {
    bytes,
    sites: found.sites,
    siteOutputs,
    skipped: [...found.rejected, ...found.unexposable],
    inputs: model.graph.inputs,
    outputs: model.graph.outputs,
    inGraph,
    valueNorms,
    externalData,
    checks,
    capture,
    maps,
  };
}

/** What a lazy session outputs: the captured values, and the maps of sites held full. */
function lazyOutputs(sites: readonly AttentionSite[], capture: CapturePlan): string[] {
  const fullSites = new Set(capture.sites.filter((c) => c.mode === "full").map((c) => c.site));
  return [...new Set([...capture.outputs, ...sites.filter((s) => fullSites.has(s.id)).map((s) => s.output)])];
}

/** The captured values as typed outputs, beside the maps ("auto"); those the graph outputs already are left out. */
function lazyOutputSpecs(model: OnnxModel, sites: readonly AttentionSite[], capture: CapturePlan) {
  const taken = new Set([...model.graph.outputs.map((o) => o.name), ...sites.map((s) => s.output)]);
  // Untyped: onnxruntime infers them (a guessed type would be wrong for an int64 mask or shape).
  return capture.outputs.filter((o) => !taken.has(o)).map((o) => ({ name: o }));
}

export function decode(bytes: Uint8Array, what: string): OnnxModel {
  try {
    return decodeModel(bytes);
  } catch (e) {
    if (e instanceof OnnxFormatError) throw new AttnlensError("BAD_MODEL", `${what}: ${e.message}`);
    throw e;
  }
}

/** A merged decoder's no-past branch must hold the same sites: the with-past branch's stand for both. */
function checkMergedBranches(
  merged: OnnxModel,
  sites: AttentionSite[],
  stackHint: AttentionGraphOptions["stackHint"],
  what: string,
): void {
  const label = (s: AttentionSite) => `${s.id} (${s.heads} heads${s.causal ? ", causal" : ""})`;
  const sitesOf = (bytes: Uint8Array) => {
    let m = decode(bytes, "the merged decoder's no-past branch");
    const f = decomposeFusedAttention(m);
    if (f.bytes) m = decode(f.bytes, "the decomposed no-past branch");
    return discoverSites(m, { stackHint }).sites.map(label);
  };
  checkBranchesAgree(merged, sites.map(label), sitesOf, what);
}

/** Two appended subgraphs as one edit (both only add nodes, constants and outputs). */
function joinEdits(a: GraphEdit = {}, b: GraphEdit = {}): GraphEdit {
  return {
    ...a,
    addNodes: [...(a.addNodes ?? []), ...(b.addNodes ?? [])],
    addInitializers: [...(a.addInitializers ?? []), ...(b.addInitializers ?? [])],
    addOutputs: [...(a.addOutputs ?? []), ...(b.addOutputs ?? [])],
  };
}

/** The specific reasons from decomposition replace discovery's generic ones for the same nodes. */
function mergeReasons(specific: RejectedSoftmax[], generic: RejectedSoftmax[]): RejectedSoftmax[] {
  const named = new Set(specific.map((r) => r.node));
  return [...specific, ...generic.filter((r) => !named.has(r.node))];
}

function noAttention(found: SiteDiscovery, model: OnnxModel, what: string): AttnlensError {
  const lines = [
    `no attention found in ${what}${fusedSummary(found.unexposable) || unknownSummary(model, found)}.`,
    "attnlens looks for: Softmax nodes fed by a product of two activations (QKᵀ, possibly scaled/masked) whose output multiplies values (·V);",
    "graph outputs named attentions.N / encoder_attentions.N / decoder_attentions.N / cross_attentions.N.",
    `the graph has ${model.graph.nodes.length} nodes and ${found.rejected.length} Softmax node(s).`,
  ];
  for (const r of [...found.rejected, ...found.unexposable].slice(0, 10)) lines.push(`  ${r.node}: ${r.reason}`);
  return new AttnlensError("NO_ATTENTION", lines.join("\n"));
}

/**
 * When fused nodes hold the attention, the first line says so and what to do: the probabilities exist
 * only in an export made before fusion, or with eager attention.
 */
function fusedSummary(fused: readonly RejectedSoftmax[]): string {
  if (fused.length === 0) return "";
  // Every reason of a fused node starts "fused <op label>" (fusion/decompose.ts, sites/discover.ts).
  const ops = [...new Set(fused.map((r) => /^fused ([^\s:]+)/.exec(r.reason)?.[1] ?? r.node))];
  return (
    `: ${fused.length} fused attention node(s) (${ops.join(", ")}) keep their probabilities inside; ` +
    "use the export from before onnxruntime's transformer optimizer (or packing conversion), " +
    'or re-export it with attn_implementation="eager"'
  );
}

/**
 * No Softmax at all, but ops named like attention that attnlens does not know (a custom or flash kernel):
 * their probabilities never exist as a tensor, which the first line says, with the fix.
 */
function unknownSummary(model: OnnxModel, found: SiteDiscovery): string {
  if (found.rejected.length > 0) return "";
  const ops = new Set<string>();
  for (const n of model.graph.nodes) if (/attention/i.test(n.opType)) ops.add(`${n.domain || "ai.onnx"}.${n.opType}`);
  if (ops.size === 0) return "";
  return (
    `: it has no Softmax, and ${[...ops].join(", ")} (unknown to attnlens) computes attention inside one op; ` +
    're-export the model with attn_implementation="eager"'
  );
}
