/**
 * Site discovery: find every attention block in a graph and label it.
 *
 *   Softmax nodes ─► keep those fed by QKᵀ and feeding ·V ─► orient queries/keys by the softmax axis
 *   ─► streams (self/cross, encoder/decoder) ─► causal mask? heads? ─► layer order ─► ids
 *
 * Graph outputs that already hold attentions (optimum's `attentions.N`, …) are reused, and named
 * outputs with no Softmax behind them become sites of their own.
 */
import { fusedAttentionOp, fusedOpLabel } from "../fusion/fusedOps";
import { GraphIndex } from "../onnx/graphIndex";
import { attrInt, defaultOpset, type OnnxModel, type OnnxNode } from "../onnx/model";
import { rankOf } from "../onnx/shapeEval";
import { hasCausalMask } from "./causal";
import { staticHeads } from "./heads";
import { namedAttentionOutput } from "./namedOutputs";
import { findExistingOutput, findScorePath, findValueProduct } from "./scorePath";
import { CACHE_INPUT, labelStreams, type StreamFacts } from "./streams";
import type { AttentionSite, RejectedSoftmax, SiteDiscovery } from "./types";

export interface DiscoverOptions {
  /** Stack to assume when a single-stack graph gives no clue (loaders pass it from file names). */
  stackHint?: "encoder" | "decoder";
}

interface Candidate extends StreamFacts {
  softmax: OnnxNode;
  sourceIsLast: boolean;
  order: number;
  heads: number;
  axis: number;
  legacy: boolean;
}

export function discoverSites(model: OnnxModel, options: DiscoverOptions = {}): SiteDiscovery {
  const index = new GraphIndex(model.graph);
  const opset = defaultOpset(model);
  const rejected: RejectedSoftmax[] = [];
  const unexposable: RejectedSoftmax[] = [];
  const candidates: Candidate[] = [];
  const ranks = new Map<string, number | null>();

  index.order.forEach((node, order) => {
    if (fusedAttentionOp(node)) {
      unexposable.push({
        node: nodeName(node),
        reason: `fused ${fusedOpLabel(node)} computes attention internally and does not output its probabilities`,
      });
      return;
    }
    if (node.opType !== "Softmax" || node.domain !== "") return;
    const path = findScorePath(index, node.inputs[0]);
    if (!path) {
      rejected.push({
        node: nodeName(node),
        reason: "its input is not a product of two activations (no QKᵀ behind it)",
      });
      return;
    }
    if (!findValueProduct(index, node.outputs[0])) {
      rejected.push({ node: nodeName(node), reason: "its output is not multiplied with values (no ·V after it)" });
      return;
    }
    const legacy = opset > 0 && opset < 13;
    const axis = attrInt(node, "axis", legacy ? 1 : -1);
    const rank = rankOf(index, node.inputs[0], ranks);
    const sourceIsLast = rank == null ? axis === -1 || axis === 3 : (axis < 0 ? axis + rank : axis) === rank - 1;
    const [a, b] = path.product.inputs;
    const [q, k] = sourceIsLast ? [a, b] : [b, a];
    candidates.push({
      softmax: node,
      order,
      queryRoots: index.roots(q),
      keyRoots: index.roots(k),
      causal: hasCausalMask(index, path.sideInputs),
      heads: staticHeads(index, [q, k]),
      axis,
      legacy,
      sourceIsLast,
    });
  });

  const labels = labelStreams(index, candidates, options.stackHint);
  const counters = new Map<string, number>();
  const sites: AttentionSite[] = candidates.map((c, i) => {
    const { stack, kind } = labels[i];
    const key = `${stack}.${kind}`;
    const layer = counters.get(key) ?? 0;
    counters.set(key, layer + 1);
    const existing = findExistingOutput(index, c.softmax.outputs[0], c.sourceIsLast);
    return {
      id: `${key}.${layer}`,
      stack,
      kind,
      layer,
      heads: c.heads,
      causal: c.causal,
      node: nodeName(c.softmax),
      inputs: index.inputsIn(c.queryRoots).filter((name) => !CACHE_INPUT.test(name)),
      output: existing ?? c.softmax.outputs[0],
      existingOutput: existing != null,
      // Through a Reshape only the last axis is known to survive; it is the source axis then.
      softmaxAxis: existing && c.sourceIsLast ? -1 : c.axis,
      legacySoftmax: c.legacy,
    };
  });

  addNamedOutputSites(index, sites);
  sites.sort(siteOrder);
  return { sites, rejected, unexposable };
}

/** Graph outputs named like optimum's attentions whose Softmax was not found (e.g. hidden by fusion). */
function addNamedOutputSites(index: GraphIndex, sites: AttentionSite[]): void {
  const used = new Set(sites.map((s) => s.output));
  const ids = new Set(sites.map((s) => s.id));
  for (const out of index.graph.outputs) {
    if (used.has(out.name)) continue;
    const named = namedAttentionOutput(out.name, sites.length > 0 && sites.every((s) => s.stack === "decoder"));
    if (!named) continue;
    const id = `${named.stack}.${named.kind}.${named.layer}`;
    if (ids.has(id)) continue;
    const producer = index.producer.get(out.name);
    sites.push({
      id,
      ...named,
      heads: 0,
      node: producer ? nodeName(producer) : out.name,
      output: out.name,
      existingOutput: true,
      softmaxAxis: -1,
      legacySoftmax: false,
    });
  }
}

const STACK_ORDER = { encoder: 0, decoder: 1 };
const KIND_ORDER = { self: 0, cross: 1 };

export function siteOrder(a: AttentionSite, b: AttentionSite): number {
  return STACK_ORDER[a.stack] - STACK_ORDER[b.stack] || a.layer - b.layer || KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
}

function nodeName(n: OnnxNode): string {
  return n.name || `${n.opType}(${n.outputs[0]})`;
}
