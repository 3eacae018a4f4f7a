/**
 * The standard ONNX Attention op (opset 23, torch's dynamo export of SDPA) in the layouts and options
 * attnlens decomposes, checked against onnxruntime's own kernel. Where the op's qk_matmul_output is
 * asked for in mode 3 it holds the kernel's probabilities, so they are compared too.
 */
import * as ort from "onnxruntime-node";
import { DataType, encodeModel, type NodeSpec, type ValueSpec } from "../src/graph/onnx/encode";
import { B, type FusedCase, f32, floatTensor, H, LENGTHS, N, S } from "./fusedGraphs";

interface Spec {
  name: string;
  /** 3: Q/K/V as [B, S, heads·H] with head-count attributes; 4: [B, heads, S, H]. */
  rank: 3 | 4;
  kvHeads?: number;
  past?: number;
  mask?: "bool" | "float";
  attrs?: NodeSpec["attributes"];
  /** Ask for qk_matmul_output in mode 3 (the probabilities). */
  probs?: boolean;
}

function onnxAttention(spec: Spec): FusedCase {
  const kv = spec.kvHeads ?? N;
  const past = spec.past ?? 0;
  const total = past + S;
  const dims = (heads: number, len: number) => (spec.rank === 4 ? [B, heads, len, H] : [B, len, heads * H]);
  const inputs: ValueSpec[] = [f32("q", dims(N, S)), f32("k", dims(kv, S)), f32("v", dims(kv, S))];
  const feeds: FusedCase["feeds"] = {
    q: floatTensor(31, dims(N, S)),
    k: floatTensor(32, dims(kv, S)),
    v: floatTensor(33, dims(kv, S)),
  };
  const nodeInputs = ["q", "k", "v", "", "", ""];
  if (spec.mask) {
    // Right padding as a key mask [B, 1, S, T] (onnxruntime wants the query axis spelled out): sample 1
    // sees only its first LENGTHS[1] new keys.
    const valid = Array.from({ length: B * S }, (_, r) =>
      Array.from({ length: total }, (_, j) => j < past + LENGTHS[Math.floor(r / S)]),
    ).flat();
    const shape = [B, 1, S, total];
    inputs.push({ name: "mask", elemType: spec.mask === "bool" ? DataType.BOOL : DataType.FLOAT, shape });
    feeds.mask =
      spec.mask === "bool"
        ? new ort.Tensor("bool", Uint8Array.from(valid, Number), shape)
        : new ort.Tensor(
            "float32",
            Float32Array.from(valid, (ok, j) => (ok ? 0.1 * (j % 3) : -1e4)),
            shape,
          );
    nodeInputs[3] = "mask";
  }
  if (past) {
    const pastDims = [B, kv, past, H];
    inputs.push(f32("past_k", pastDims), f32("past_v", pastDims));
    feeds.past_k = floatTensor(34, pastDims);
    feeds.past_v = floatTensor(35, pastDims);
    nodeInputs[4] = "past_k";
    nodeInputs[5] = "past_v";
  }
  const outputs = ["y", past ? "present_k" : "", past ? "present_v" : "", spec.probs ? "qk" : ""];
  const heads = spec.rank === 3 ? { q_num_heads: { i: N }, kv_num_heads: { i: kv } } : {};
  const node: NodeSpec = {
    name: "attention",
    opType: "Attention",
    inputs: nodeInputs.slice(0, nodeInputs.findLastIndex(Boolean) + 1),
    outputs: outputs.slice(0, outputs.findLastIndex(Boolean) + 1),
    attributes: { ...heads, ...(spec.probs ? { qk_matmul_output_mode: { i: 3 } } : {}), ...spec.attrs },
  };
  const rankOf: Record<string, number> = { y: spec.rank, present_k: 4, present_v: 4, qk: 4 };
  const model = encodeModel(
    {
      name: spec.name,
      nodes: [node],
      inputs,
      outputs: outputs.filter(Boolean).map((name) => ({
        name,
        elemType: DataType.FLOAT,
        shape: Array(rankOf[name]).fill(null),
      })),
      initializers: [],
    },
    { "": 23 },
    10,
  );
  return { name: `ONNX Attention, ${spec.name}`, model, feeds, probsOutput: spec.probs ? "qk" : undefined };
}

export function onnxAttentionCases(): FusedCase[] {
  return [
    onnxAttention({ name: "4-D, bool key mask, probabilities asked for", rank: 4, mask: "bool", probs: true }),
    onnxAttention({ name: "3-D, 4 q / 2 kv heads, causal", rank: 3, kvHeads: 2, attrs: { is_causal: { i: 1 } } }),
    onnxAttention({
      name: "4-D, past of 3, float mask, causal, scale 0.2",
      rank: 4,
      past: 3,
      mask: "float",
      probs: true,
      attrs: { is_causal: { i: 1 }, scale: { f: 0.2 } },
    }),
    onnxAttention({
      name: "4-D, 4 q / 1 kv head, softcap",
      rank: 4,
      kvHeads: 1,
      probs: true,
      attrs: { softcap: { f: 1.5 } },
    }),
  ];
}
