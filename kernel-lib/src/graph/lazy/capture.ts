/**
 * Capture surgery, the planning half: for each site, what recomputes its probabilities instead of
 * the map itself. From the score path (QKᵀ product ─► scale/mask/bias nodes ─► Softmax) it keeps
 * the product's two inputs (queries after RoPE, keys as the graph multiplies them) and the side
 * inputs (masks, ALiBi, relative-position bias; constants stay constants), and a replay chain
 * (the same nodes, renamed canonically so equal chains share one replay session).
 *
 * A site is held "full" (its map is fetched) when the replay could not reproduce it row block by
 * row block; the reason says why.
 */

import { encodeModel, type NodeSpec, type TensorSpec } from "../onnx/encode";
import { GraphIndex } from "../onnx/graphIndex";
import { attrInt, defaultOpset, type OnnxModel, type OnnxNode } from "../onnx/model";
import { DataType } from "../onnx/schema";
import { rankOf } from "../onnx/shapeEval";
import { findScorePath, SCORE_ELEMENTWISE, SCORE_RESHAPES } from "../sites/scorePath";
import type { AttentionSite } from "../sites/types";
import { nodeSpecOf, tensorSpecOf } from "./nodeSpecs";

/** A value the replay is fed: a fetched graph value, or a constant's values (shapes the replay adjusts). */
export interface ReplayInput {
  /** Name in the replay graph ("q", "k", "side0", …). */
  slot: string;
  /** The value in the model graph that feeds it (fetched from the lazy session). */
  value: string;
  /** "query" is sliced along rows; "shape" is a Reshape/Expand target whose row entry follows the block. */
  role: "query" | "key" | "side" | "shape";
  /** Set for a constant shape: its values (no fetch needed). */
  constant?: number[];
}

/** One site's capture: lazy with a replay model, or full with the reason. */
export interface SiteCapture {
  site: string;
  mode: "lazy" | "full";
  reason?: string;
  /** The replay chain (canonical names: equal chains give equal models); typed when first fed (replayModel). */
  replay?: ReplayChain;
  inputs?: ReplayInput[];
  /**
   * For a site the export decomposed, how the lazy session computes the model's own outputs: its
   * score path one head at a time, or as exported (the reason says why; that layer then holds all
   * its heads' scores while it runs).
   */
  modelPath?: { perHead: true } | { perHead: false; reason: string };
  /**
   * Set where a side tensor is shared with an earlier site's (graph/lazy/sharedSides.ts): pairs of
   * graph values whose shapes must agree at run time for the shared tensor to be this site's.
   */
  sameShapes?: [string, string][];
}

/** A score chain to replay: product ─► between ─► Softmax ("probs"), inputs named by ReplayInput.slot. */
export interface ReplayChain {
  nodes: NodeSpec[];
  initializers: TensorSpec[];
  opsets: Record<string, number>;
  irVersion: number;
}

/** The replay chain as a model whose inputs have the fed tensors' element types. */
export function replayModel(chain: ReplayChain, inputs: readonly { name: string; elemType: number }[]): Uint8Array {
  return encodeModel(
    {
      name: "attnlens_replay",
      nodes: chain.nodes,
      initializers: chain.initializers,
      inputs,
      outputs: [{ name: "probs" }],
    },
    chain.opsets,
    chain.irVersion,
  );
}

/** The capture of every site, and the graph values the lazy session must output. */
export interface CapturePlan {
  sites: SiteCapture[];
  /** Values to add as graph outputs (queries, keys, side tensors), deduplicated. */
  outputs: string[];
}

/** Ops a replay can run on a row block: they keep the last two axes (target, source) where they are. */
const ROW_SAFE: ReadonlySet<string> = new Set([...SCORE_ELEMENTWISE, ...SCORE_RESHAPES]);
const PRODUCTS = new Set(["MatMul", "Einsum", "FusedMatMul", "MatMulInteger", "Gemm"]);

export function planCapture(model: OnnxModel, sites: readonly AttentionSite[]): CapturePlan {
  const index = new GraphIndex(model.graph);
  const opset = defaultOpset(model);
  const outputs = new Set<string>();
  const captures = sites.map((site) => {
    const got = captureSite(index, opset, model, site);
    if (got.mode === "lazy") for (const i of got.inputs ?? []) if (!i.constant) outputs.add(i.value);
    return got;
  });
  return { sites: captures, outputs: [...outputs] };
}

function full(site: AttentionSite, reason: string): SiteCapture {
  return { site: site.id, mode: "full", reason };
}

function captureSite(index: GraphIndex, opset: number, model: OnnxModel, site: AttentionSite): SiteCapture {
  const softmax = index.order.find((n) => n.opType === "Softmax" && n.outputs[0] && nodeLabel(n) === site.node);
  if (!softmax)
    return full(site, "its probabilities are a graph output of the model with no Softmax found behind them");
  const path = findScorePath(index, softmax.inputs[0]);
  if (!path) return full(site, "no QKᵀ product was found behind its Softmax");
  const { product } = path;
  const rank = rankOf(index, softmax.inputs[0]);
  const axis = attrInt(softmax, "axis", opset < 13 ? 1 : -1);
  if (rank == null && axis !== -1)
    return full(site, "the rank of its scores is unknown, so the Softmax axis cannot be checked");
  if (rank != null && (axis < 0 ? axis + rank : axis) !== rank - 1)
    return full(site, `its Softmax runs over axis ${axis}, not the last (source) axis the replay slices rows against`);
  if (product.opType !== "MatMul" && !(product.opType === "FusedMatMul" && !attrInt(product, "transA", 0)))
    return full(
      site,
      `its score product is ${product.opType}; the replay recomputes MatMul (and FusedMatMul without transA) products`,
    );
  const bad = path.between.find((n) => !ROW_SAFE.has(n.opType) || n.domain !== "");
  if (bad)
    return full(site, `a ${bad.opType} between its scores and Softmax may move the target axis the replay slices`);

  const slots = new Map<string, ReplayInput>();
  const initializers: TensorSpec[] = [];
  const rename = new Map<string, string>();
  const slot = (value: string, role: ReplayInput["role"], constant?: number[]) => {
    const existing = slots.get(value);
    if (existing) return existing.slot;
    const name = role === "query" ? "q" : role === "key" ? "k" : `side${slots.size}`;
    slots.set(value, { slot: name, value, role, ...(constant ? { constant } : {}) });
    return name;
  };
  const [qName, kName] = product.inputs;
  rename.set(qName, slot(qName, "query"));
  rename.set(kName, slot(kName, "key"));
  for (const extra of product.inputs.slice(2))
    if (extra) return full(site, `its ${product.opType} product has extra inputs`);

  const shapeInputs = new Set(
    path.between.filter((n) => n.opType === "Reshape" || n.opType === "Expand").map((n) => n.inputs[1]),
  );
  for (const side of path.sideInputs) {
    if (rename.has(side)) continue;
    const constant = index.constant(side);
    if (shapeInputs.has(side)) {
      const values = constant ? constantInts(constant) : null;
      rename.set(side, slot(side, "shape", values ?? undefined));
      if (constant && !values)
        return full(site, `the shape ${side} of a Reshape between its scores and Softmax cannot be read`);
      continue;
    }
    if (constant) {
      const spec = tensorSpecOf(constant, `c${initializers.length}`);
      if (!spec) return full(site, `its score constant ${side} cannot be copied (external or of an unusual type)`);
      initializers.push(spec);
      rename.set(side, spec.name);
      continue;
    }
    const big = mapSizedBias(index, side);
    if (big)
      return full(
        site,
        `its score bias ${side} is computed from ${big} (position terms per layer, as large as the map itself)`,
      );
    rename.set(side, slot(side, "side"));
  }

  // The chain in forward order, every value renamed: v0, v1, … and the probabilities "probs".
  const chain = [product, ...[...path.between].reverse(), softmax];
  const nodes: NodeSpec[] = [];
  for (const [i, n] of chain.entries()) {
    const spec = nodeSpecOf(n);
    if (typeof spec === "string") return full(site, spec);
    const out = n === softmax ? "probs" : `v${i}`;
    rename.set(n.outputs[0], out);
    nodes.push({
      ...spec,
      name: `n${i}`,
      inputs: spec.inputs.map((x) => (x ? (rename.get(x) ?? x) : x)),
      outputs: [out],
    });
  }
  const missing = nodes.flatMap((n) => n.inputs).find((x) => x && !isReplayName(x, initializers));
  if (missing) return full(site, `its score chain reads ${missing}, which the replay cannot provide`);

  const inputs = [...slots.values()];
  const opsets: Record<string, number> = { "": opset };
  if (chain.some((n) => n.domain === "com.microsoft")) opsets["com.microsoft"] = model.opsets.get("com.microsoft") ?? 1;
  const replay: ReplayChain = { nodes, initializers, opsets, irVersion: Math.max(7, Math.min(model.irVersion, 10)) };
  return { site: site.id, mode: "lazy", replay, inputs };
}

function isReplayName(x: string, initializers: TensorSpec[]): boolean {
  return /^(q|k|side\d+|v\d+|probs)$/.test(x) || initializers.some((t) => t.name === x);
}

function constantInts(t: Parameters<typeof tensorSpecOf>[0]): number[] | null {
  const spec = tensorSpecOf(t);
  if (!spec || spec.dataType !== DataType.INT64) return null;
  const d = spec.data;
  const b =
    d instanceof Uint8Array ? new BigInt64Array(d.buffer, d.byteOffset, d.byteLength / 8) : (d as BigInt64Array);
  return Array.from(b, (v) => Number(v));
}

/**
 * DeBERTa's content-to-position and position-to-content terms are products of each layer's
 * projected hidden states, [B, H, T, S]: holding them costs what the map does. Masks, ALiBi and
 * T5's bucketed bias are built from positions and ids only, with no product of activations. Sizes are not followed (Shape/Size read no values).
 */
function mapSizedBias(index: GraphIndex, side: string): string | null {
  const seen = new Set<string>();
  const stack = [side];
  while (stack.length && seen.size < 400) {
    const v = stack.pop() as string;
    if (seen.has(v)) continue;
    seen.add(v);
    const n = index.producer.get(v);
    if (!n || n.opType === "Shape" || n.opType === "Size") continue;
    if (PRODUCTS.has(n.opType) && n.inputs.some((i) => i && index.isActivation(i)))
      return `a ${n.opType} of activations (${n.name || n.outputs[0]})`;
    for (const i of n.inputs) if (i && index.isActivation(i)) stack.push(i);
  }
  return null;
}

export function nodeLabel(n: OnnxNode): string {
  return n.name || `${n.opType}(${n.outputs[0]})`;
}
