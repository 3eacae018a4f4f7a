/**
 * optimum's merged decoder (transformers.js's `decoder_model_merged.onnx`): the whole decoder sits
 * twice inside one `If` on the boolean input `use_cache_branch` — a branch that reads the past
 * keys/values and one that does not. Softmax nodes inside a sub-graph cannot become graph outputs
 * without threading them out of both branches, and the two branches are the same layers, so each
 * site would be found twice. Instead the `If` is replaced by its with-past branch: with an empty
 * cache (past length 0) that branch computes exactly what the no-past branch computes, and with a
 * cache it is the branch that runs. Sites are then found, exposed and labelled once.
 *
 * `use_cache_branch` stays a model input (callers keep feeding it); it no longer selects anything.
 */
import { AttnlensError } from "../../errors";
import { readGraph } from "../onnx/decode";
import { encodeNode } from "../onnx/encode";
import type { OnnxGraph, OnnxModel, OnnxNode } from "../onnx/model";
import { GraphField, ModelField } from "../onnx/schema";
import { ProtoReader, ProtoWriter, WireType } from "../onnx/wire";

/** The If nodes of a merged decoder: their condition is a graph input (`use_cache_branch`). */
export function mergedDecoderIfs(model: OnnxModel): OnnxNode[] {
  const inputs = new Set(model.graph.inputs.map((v) => v.name));
  return model.graph.nodes.filter((n) => n.opType === "If" && inputs.has(n.inputs[0]) && /cache/i.test(n.inputs[0]));
}

/**
 * The model with every merged-decoder `If` replaced by its with-past branch (or, for checking, its
 * no-past branch); null when it has none.
 */
export function inlineCacheBranch(
  model: OnnxModel,
  what: string,
  keep: "with-past" | "no-past" = "with-past",
): Uint8Array | null {
  const ifs = mergedDecoderIfs(model);
  if (ifs.length === 0) return null;
  const pastInputs = new Set(model.graph.inputs.map((v) => v.name).filter((n) => /(^|[._])past/.test(n)));
  const { bytes } = model;
  const [tagStart, payloadStart, graphEnd] = model.graphField;
  const g = new ProtoWriter();
  const appended: Uint8Array[] = [];
  let cursor = payloadStart;
  for (const node of ifs) {
    const branch = chooseBranch(model, node, pastInputs, what, keep);
    const [s, e] = node.span;
    g.raw(bytes.subarray(cursor, s));
    const fields = branchFields(bytes, branch.span);
    // Nodes stand where the If stood (topological order); the branch's outputs become the If's names.
    for (const n of fields.nodes) g.raw(n);
    branch.graph.outputs.forEach((o, i) => {
      const name = node.outputs[i];
      if (name && name !== o.name)
        g.bytes(
          GraphField.node,
          encodeNode({ name: `${name}_from_branch`, opType: "Identity", inputs: [o.name], outputs: [name] }),
        );
    });
    appended.push(...fields.rest);
    cursor = e;
  }
  g.raw(bytes.subarray(cursor, graphEnd));
  for (const f of appended) g.raw(f);
  const out = new ProtoWriter();
  out.raw(bytes.subarray(0, tagStart));
  out.nested(ModelField.graph, g);
  out.raw(bytes.subarray(graphEnd));
  return out.finish();
}

interface Branch {
  graph: OnnxGraph;
  span: [number, number];
}

/**
 * The sites of both branches must be the same (ids, heads, causality): the with-past branch's are
 * the ones exposed and labelled, and they stand for the other's. `sitesOf` lists a model's sites.
 */
export function checkBranchesAgree(
  model: OnnxModel,
  withPast: string[],
  sitesOf: (bytes: Uint8Array) => string[],
  what: string,
): void {
  const noPast = inlineCacheBranch(model, what, "no-past");
  if (!noPast) return;
  const other = sitesOf(noPast);
  if (other.join() !== withPast.join()) {
    throw new AttnlensError(
      "BAD_MODEL",
      `${what}: the merged decoder's branches hold different attention (with the cache: ${withPast.join(", ") || "none"}; ` +
        `without: ${other.join(", ") || "none"}). Open the decoder exported without merging (decoder_model.onnx)`,
    );
  }
}

/** The branch that reads the past keys/values, or the other (optimum puts it under then_branch; do not rely on it). */
function chooseBranch(
  model: OnnxModel,
  node: OnnxNode,
  past: Set<string>,
  what: string,
  keep: "with-past" | "no-past",
): Branch {
  const branches: (Branch & { readsPast: boolean })[] = [];
  for (const key of ["then_branch", "else_branch"]) {
    const span = node.attributes.get(key)?.graphSpan;
    if (!span) continue;
    const graph = readGraph(model.bytes, span[0], span[1]);
    const readsPast = graph.nodes.some((n) => n.inputs.some((i) => past.has(i)));
    branches.push({ graph, span, readsPast });
  }
  const reading = branches.filter((b) => b.readsPast);
  if (branches.length !== 2 || reading.length !== 1) {
    throw new AttnlensError(
      "BAD_MODEL",
      `${what}: the If node "${node.name}" on ${node.inputs[0]} is not optimum's merged decoder ` +
        `(expected two branches, exactly one reading the past key/value inputs; found ${branches.length} branches, ` +
        `${reading.length} reading past inputs). Open decoder_model.onnx or decoder_with_past_model.onnx instead`,
    );
  }
  const withPast = reading[0];
  const noPast = branches.find((b) => !b.readsPast) as Branch;
  // Safe only when the with-past branch reads every input the other reads: an encoder–decoder's
  // with-past branch takes the cross keys from the cache instead of encoder_hidden_states.
  const outer = new Set(model.graph.inputs.map((v) => v.name));
  const reads = (g: OnnxGraph) => new Set(g.nodes.flatMap((n) => n.inputs).filter((i) => outer.has(i)));
  const read = reads(withPast.graph);
  const unread = [...reads(noPast.graph)].filter((i) => !read.has(i));
  if (unread.length > 0) {
    throw new AttnlensError(
      "BAD_MODEL",
      `${what}: the merged decoder's with-past branch does not read ${unread.join(", ")}, which its no-past branch reads ` +
        "(an encoder–decoder's cross-attention keys come from the cache), so attnlens cannot replace the If by it. " +
        "Export the decoder without merging (optimum-cli export onnx --no-post-process …) and open decoder_model.onnx",
    );
  }
  return keep === "with-past" ? withPast : noPast;
}

/** A sub-graph's raw fields: its nodes (tag included, in order), and initializers / value infos to append. */
function branchFields(bytes: Uint8Array, [start, end]: [number, number]): { nodes: Uint8Array[]; rest: Uint8Array[] } {
  const r = new ProtoReader(bytes, start, end);
  const nodes: Uint8Array[] = [];
  const rest: Uint8Array[] = [];
  while (!r.done) {
    const at = r.pos;
    const [f, w] = r.tag();
    r.skip(w);
    if (w !== WireType.LengthDelimited) continue;
    const field = bytes.subarray(at, r.pos);
    if (f === GraphField.node) nodes.push(field);
    else if (f === GraphField.initializer || f === GraphField.valueInfo || f === SPARSE_INITIALIZER) rest.push(field);
  }
  return { nodes, rest };
}

/** GraphProto.sparse_initializer. */
const SPARSE_INITIALIZER = 15;
