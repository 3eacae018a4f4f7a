/** The fused-op variants checked against onnxruntime's own kernels (see fusedGraphs.ts). */
import { DataType } from "../src/graph/onnx/encode";
import {
  B,
  D,
  type FusedCase,
  f32,
  floatTensor,
  H,
  i32,
  int32Tensor,
  LENGTHS,
  N,
  oneOpModel,
  rawMask,
  S,
  weight,
} from "./fusedGraphs";

const MS = "com.microsoft";
const x = () => floatTensor(1, [B, S, D]);

function attentionCase(
  name: string,
  attrs: Record<string, { i: number } | { f: number } | { ints: number[] }>,
  mask?: {
    dims: number[];
    values: number[];
  },
  extra: { past?: boolean; bias?: boolean; vSize?: number } = {},
): FusedCase {
  const dv = extra.vSize ?? D;
  const inputs = [f32("x", ["batch", "seq", D])];
  const feeds: FusedCase["feeds"] = { x: x() };
  const nodeInputs = ["x", "w", "b", mask ? "mask" : ""];
  if (mask) {
    inputs.push(
      i32(
        "mask",
        mask.dims.map((d, i) => (i === 0 && mask.dims.length > 1 ? "batch" : d)),
      ),
    );
    feeds.mask = int32Tensor(mask.values, mask.dims);
  }
  const outputs = ["out"];
  if (extra.past) {
    inputs.push(f32("past", [2, "batch", N, "past", H]));
    feeds.past = floatTensor(7, [2, B, N, 3, H]);
    nodeInputs.push("past");
    outputs.push("present");
  }
  if (extra.bias) {
    while (nodeInputs.length < 5) nodeInputs.push("");
    nodeInputs.push("attn_bias");
    inputs.push(f32("attn_bias", [1, N, S, "total"]));
    feeds.attn_bias = floatTensor(9, [1, N, S, S + (extra.past ? 3 : 0)], 2);
  }
  return {
    name,
    feeds,
    model: oneOpModel({
      node: {
        name: "attn",
        opType: "Attention",
        domain: MS,
        inputs: nodeInputs,
        outputs,
        attributes: { num_heads: { i: N }, ...attrs },
      },
      inputs,
      outputs,
      initializers: [weight("w", 2, [D, 2 * D + dv]), weight("b", 3, [2 * D + dv], 0.1)],
    }),
  };
}

export function attentionCases(): FusedCase[] {
  return [
    attentionCase("Attention, no mask", {}),
    attentionCase("Attention, 2-D raw mask", {}, { dims: [B, S], values: rawMask(LENGTHS, S) }),
    attentionCase("Attention, 1-D lengths (right padding)", {}, { dims: [B], values: LENGTHS }),
    attentionCase("Attention, 1-D ends+starts (left padding)", {}, { dims: [2 * B], values: [S, S, 0, 2] }),
    attentionCase("Attention, 3-D mask", {}, { dims: [B, S, S], values: rawMask([S, 4, 2, 5, 3, S, 1, 2, 3, 4], S) }),
    attentionCase(
      "Attention, unidirectional + 2-D mask",
      { unidirectional: { i: 1 } },
      { dims: [B, S], values: rawMask(LENGTHS, S) },
    ),
    attentionCase(
      "Attention, past state + present",
      { unidirectional: { i: 1 } },
      { dims: [B, S + 3], values: rawMask([S + 3, 6], S + 3) },
      { past: true },
    ),
    attentionCase("Attention, attention_bias + scale", { scale: { f: 0.2 } }, undefined, { bias: true }),
    attentionCase(
      "Attention, qkv_hidden_sizes with a wider V",
      { qkv_hidden_sizes: { ints: [D, D, 2 * D] } },
      undefined,
      { vSize: 2 * D },
    ),
  ];
}

/**
 * What onnxruntime's BERT optimizer emits (model_type bert, the default MaskIndexEnd): EmbedLayerNormalization
 * turns the 2-D attention_mask into its second output, the [B] count of real tokens, which feeds Attention.
 * Nothing declares that output's rank or type: attnlens must know them from the op.
 */
export function embedLayerNormCase(): FusedCase {
  const ids = (name: string) => i32(name, ["batch", "seq"]);
  const tokens = [3, 7, 1, 9, 4, 2, 8, 5, 0, 0];
  return {
    name: "Attention after EmbedLayerNormalization (1-D mask_index, as the BERT optimizer fuses)",
    feeds: {
      input_ids: int32Tensor(tokens, [B, S]),
      segment_ids: int32Tensor([0, 0, 0, 1, 1, 0, 0, 0, 0, 0], [B, S]),
      mask: int32Tensor(rawMask(LENGTHS, S), [B, S]),
    },
    model: oneOpModel({
      extraNodes: [
        {
          name: "embed",
          opType: "EmbedLayerNormalization",
          domain: MS,
          inputs: ["input_ids", "segment_ids", "word", "position", "segment", "gamma", "beta", "mask"],
          outputs: ["emb", "mask_index"],
          attributes: { epsilon: { f: 1e-12 } },
        },
      ],
      node: {
        name: "attn",
        opType: "Attention",
        domain: MS,
        inputs: ["emb", "w", "b", "mask_index"],
        outputs: ["out"],
        attributes: { num_heads: { i: N } },
      },
      inputs: [ids("input_ids"), ids("segment_ids"), ids("mask")],
      outputs: ["out"],
      initializers: [
        weight("word", 11, [10, D]),
        weight("position", 12, [S, D]),
        weight("segment", 13, [2, D]),
        weight("gamma", 14, [D], 1),
        weight("beta", 15, [D], 0.1),
        weight("w", 2, [D, 3 * D]),
        weight("b", 3, [3 * D], 0.1),
      ],
    }),
  };
}

export function qAttentionCase(): FusedCase {
  const inputs = [f32("x", ["batch", "seq", D]), i32("mask", ["batch", "seq"])];
  const wq = Int8Array.from(weight("w", 2, [D, 3 * D]).data as Float32Array, (v) => Math.round(v * 300));
  return {
    name: "QAttention (dynamic int8)",
    feeds: { x: x(), mask: int32Tensor(rawMask(LENGTHS, S), [B, S]) },
    model: oneOpModel({
      extraNodes: [{ name: "dql", opType: "DynamicQuantizeLinear", inputs: ["x"], outputs: ["xq", "xs", "xz"] }],
      node: {
        name: "qattn",
        opType: "QAttention",
        domain: MS,
        inputs: ["xq", "wq", "b", "xs", "ws", "mask", "xz", "wz"],
        outputs: ["out"],
        attributes: { num_heads: { i: N } },
      },
      inputs,
      outputs: ["out"],
      initializers: [
        { name: "wq", dataType: DataType.INT8, dims: [D, 3 * D], data: new Uint8Array(wq.buffer) },
        weight("b", 3, [3 * D], 0.1),
        { name: "ws", dataType: DataType.FLOAT, dims: [], data: Float32Array.of(1 / 300) },
        { name: "wz", dataType: DataType.INT8, dims: [], data: new Uint8Array(1) },
      ],
    }),
  };
}
