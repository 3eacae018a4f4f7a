/**
 * Attention rollout in graph, with mean head fusion — the twin of metrics/rollout.ts:
 *   Āℓ = heads summed over the visible sources, rows renormalized (uniform over the visible
 *        sources when a row has no mass; padding rows 0), as metrics/aggregate.ts;
 *   Âℓ = normalize(0.5·Āℓ + 0.5·I);  R = Â_top · … · Â_first.
 * A decoder with cross sites also carries the share routed through the encoder:
 *   self layer: R_dd ← Â·R_dd, R_de ← Â·R_de;  cross layer: R_dd ← 0.5·R_dd,
 *   R_de ← 0.5·R_de + 0.5·Ā_cross·R_enc, with R_enc the encoder's own rollout.
 * Matrices are [B, T, S]; the products are batched MatMuls, so only [B, T, T] leaves the graph.
 * An encoder stack that holds two towers (CLIP) gets no rollout. Each chain also leaves a 0/1
 * `ok` output: 0 when its layers' maps differ in shape (Swin's stages), where the host refuses it.
 */

import { readsTextFeeds } from "../../result/textFeeds";
import type { Stack } from "../../result/types";
import type { GraphEmitter } from "../onnx/emitter";
import { DataType } from "../onnx/schema";
import type { AttentionSite } from "../sites/types";
import type { GraphGeometry } from "./geometry";

export interface RolloutInput {
  site: AttentionSite;
  /** map ⊙ visible, [B, H, T, S]. */
  weights: string;
  geometry: GraphGeometry;
}

export interface RolloutOutputs {
  stack: Stack;
  /** Layers of the stack's self sites, in order. */
  layers: number[];
  /** [B, T, T] graph output. */
  data: string;
  /** int64 scalar graph output: 1 when every layer's map had the shape of the product below it (else `data` means nothing). */
  ok: string;
  /** Decoder with cross sites: [B, T, S] share over encoder tokens, and the encoder layers used. */
  cross?: { data: string; encoderLayers: number[] };
}

/** Āℓ, [B, T, S]. */
function fusedMean(e: GraphEmitter, x: RolloutInput): string {
  // Σ over heads as ones[1, H] · weights[B, H, T·S]: a GEMM reads the map once, where
  // onnxruntime's CPU ReduceSum over a middle axis is ~10× slower.
  const g = x.geometry;
  const ones = e.filled(e.concat([e.i64([1]), g.heads], 0), 1);
  const flat = e.op("Reshape", [x.weights, e.concat([g.batch, g.heads, e.i64([-1])], 0)]);
  const summed = e.op("Reshape", [e.op("MatMul", [ones, flat]), e.concat([g.batch, g.targets, g.sources], 0)]);
  const total = e.reduce("ReduceSum", summed, [2], true);
  const visible = e.squeeze(g.visible, [1]);
  const uniform = e.op("Div", [visible, e.reduce("ReduceSum", visible, [2], true)]);
  const fused = e.op("Where", [e.op("Greater", [total, e.f32(0)]), e.op("Div", [summed, total]), uniform]);
  const validRow = e.op("Transpose", [g.targetValid], { perm: { ints: [0, 2, 1] } });
  return e.op("Where", [validRow, fused, e.f32(0)]);
}

function identity(e: GraphEmitter, n: string): string {
  const i = e.range(e.squeeze(n, [0]));
  return e.toFloat(e.op("Equal", [e.unsqueeze(i, [1]), e.unsqueeze(i, [0])]));
}

/** Âℓ = normalize(0.5·Āℓ + 0.5·I), [B, T, T]. */
function residualAdjusted(e: GraphEmitter, x: RolloutInput): string {
  const half = e.f32(0.5);
  const v = e.op("Add", [e.op("Mul", [fusedMean(e, x), half]), e.op("Mul", [identity(e, x.geometry.targets), half])]);
  return e.op("Div", [v, e.reduce("ReduceSum", v, [2], true)]);
}

/**
 * Âℓ cut or zero-padded to the shape of the product so far (`r`; Âℓ as is on the first layer),
 * with whether the two shapes agreed (an int64 0/1) pushed to `checks`. Layers whose maps differ
 * in shape (Swin's stages, where batch·windows changes) do not chain, and a MatMul of the two
 * would fail every run, since onnxruntime runs every node whatever is fetched; the chain's `ok`
 * output tells the host not to use such a rollout.
 */
function fittedTo(e: GraphEmitter, a: string, r: string | null, checks: string[]): string {
  if (!r) return a;
  const shapeA = e.op("Shape", [a]);
  const shapeR = e.op("Shape", [r]);
  const pads = e.concat([e.i64([0, 0, 0]), e.op("Sub", [shapeR, shapeA])], 0);
  checks.push(e.reduce("ReduceProd", e.cast(e.op("Equal", [shapeA, shapeR]), DataType.INT64), [0], false));
  return e.op("Pad", [a, pads]);
}

/** 1 when every check is 1 (int64 scalars; Mul, as Min on integers needs opset 12). */
function allOf(e: GraphEmitter, checks: readonly string[]): string {
  return checks.reduce((all, c) => e.op("Mul", [all, c]), e.i64([1], true));
}

function selfRollout(e: GraphEmitter, layers: readonly RolloutInput[]): { data: string; ok: string } {
  let r: string | null = null;
  const checks: string[] = [];
  for (const x of layers) {
    const a = fittedTo(e, residualAdjusted(e, x), r, checks);
    r = r ? e.op("MatMul", [a, r]) : a;
  }
  return { data: r as string, ok: allOf(e, checks) };
}

const byLayer = (a: RolloutInput, b: RolloutInput) => a.site.layer - b.site.layer;

/** Appends the rollout of each stack that has self sites; `name(stack, part)` names the outputs. */
export function rolloutOutputs(
  e: GraphEmitter,
  inputs: readonly RolloutInput[],
  name: (stack: Stack, part: "data" | "cross" | "ok") => string,
): RolloutOutputs[] {
  const of = (stack: Stack, kind: "self" | "cross") =>
    inputs.filter((x) => x.site.stack === stack && x.site.kind === kind).sort(byLayer);
  // Two towers in one stack (CLIP's vision and text: lengths of their own) are not one chain of
  // layers; like the host's rollout, which asks for one tower's layers, the graph rolls out neither.
  const oneTower = (xs: readonly RolloutInput[]) => new Set(xs.map((x) => readsTextFeeds(x.site))).size <= 1;
  const encoderSelf = of("encoder", "self");
  const encoder = oneTower(encoderSelf) ? encoderSelf : [];
  const decoder = of("decoder", "self");
  const cross = of("decoder", "cross");
  const out: RolloutOutputs[] = [];
  const layers = (xs: readonly RolloutInput[]) => xs.map((x) => x.site.layer);
  const emit = (stack: Stack, xs: readonly RolloutInput[]): RolloutOutputs => {
    const chain = selfRollout(e, xs);
    const data = name(stack, "data");
    const ok = name(stack, "ok");
    e.op("Identity", [chain.data], undefined, data);
    e.op("Identity", [chain.ok], undefined, ok);
    const emitted = { stack, layers: layers(xs), data, ok };
    out.push(emitted);
    return emitted;
  };
  const encoderChain = encoder.length > 0 ? emit("encoder", encoder) : null;
  if (decoder.length === 0) return out;
  if (cross.length === 0) {
    emit("decoder", decoder);
    return out;
  }
  // Cross attention needs the encoder's rollout to route through (the reference refuses without one).
  if (!encoderChain) return out;
  const encoderRollout = encoderChain.data;
  let dd: string | null = null;
  let de: string | null = null;
  const checks: string[] = [];
  const half = e.f32(0.5);
  const steps = [...new Set([...decoder, ...cross].map((x) => x.site.layer))].sort((a, b) => a - b);
  for (const layer of steps) {
    const s = decoder.find((x) => x.site.layer === layer);
    if (s) {
      const a = fittedTo(e, residualAdjusted(e, s), dd, checks);
      dd = dd ? e.op("MatMul", [a, dd]) : a;
      de = de ? e.op("MatMul", [a, de]) : null;
    }
    const c = cross.find((x) => x.site.layer === layer);
    if (c) {
      const joined = e.op("Mul", [e.op("MatMul", [fusedMean(e, c), encoderRollout]), half]);
      dd = e.op("Mul", [dd ?? identity(e, c.geometry.targets), half]);
      de = de ? e.op("Add", [e.op("Mul", [de, half]), joined]) : joined;
    }
  }
  const data = name("decoder", "data");
  const crossData = name("decoder", "cross");
  const ok = name("decoder", "ok");
  e.op("Identity", [dd as string], undefined, data);
  e.op("Identity", [de as string], undefined, crossData);
  // the encoder's own chain must hold too: the decoder routes through it
  e.op("Identity", [e.op("Mul", [allOf(e, checks), encoderChain.ok])], undefined, ok);
  out.push({
    stack: "decoder",
    layers: layers(decoder),
    data,
    ok,
    cross: { data: crossData, encoderLayers: layers(encoder) },
  });
  return out;
}
