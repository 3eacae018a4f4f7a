/**
 * A Llama-architecture decoder with seeded random weights, for the long-context benchmark and
 * tests: token embeddings, RMSNorm, rotary position embeddings (rotate-half, as transformers'
 * Llama), grouped-query attention (query heads share key/value heads), a SwiGLU MLP and a final
 * RMSNorm + LM head. Attention is written either as com.microsoft.GroupQueryAttention with
 * do_rotary (how onnxruntime's transformer optimizer and onnxruntime-genai export Llama; its CPU
 * kernel never holds a [heads, T, T] map) or decomposed (Reshape/Transpose, RoPE in standard ops,
 * repeat-KV, MatMul → Softmax → MatMul with a causal mask, as optimum's eager exports).
 *
 * Sizes: the defaults are Llama-2-7B's attention (32 query heads, 8 KV heads as in Llama-3 /
 * Mistral, head size 128, hidden 4096), but a small vocabulary (1,024) and a small MLP
 * (1,024 wide, not 11,008): a real 4096 × 11008 layer holds 0.7 GB of weights, and the vocabulary
 * 0.5 GB, neither of which changes what attention costs. Prompt-only: no past key/value inputs.
 */
import { DataType } from "../../graph/onnx/encode";
import { seededRandom } from "../../util/random";
import { GraphBuilder, randomWeights } from "./graphBuilder";

/** Sizes and form of a Llama-like decoder (see `LLAMA_ATTENTION`). */
export interface LlamaLikeShape {
  layers: number;
  /** Query heads. */
  heads: number;
  /** Key/value heads; `heads` must be a multiple. */
  kvHeads: number;
  headSize: number;
  /** Residual width (= heads × headSize in Llama). */
  hidden: number;
  /** SwiGLU width (11,008 in Llama-2-7B; small by default, see the file comment). */
  intermediate: number;
  vocab: number;
  /** Longest input: the rotary cos/sin tables have this many rows. */
  maxPositions: number;
  /** RoPE base frequency θ. */
  ropeTheta?: number;
  rmsEps?: number;
  seed?: number;
  /** "gqa": com.microsoft.GroupQueryAttention (default); "decomposed": MatMul → Softmax → MatMul. */
  attention?: "gqa" | "decomposed";
}

/** Llama-2-7B attention shapes with grouped KV heads (Llama-3 / Mistral style), 2 layers, small MLP and vocabulary. */
export const LLAMA_ATTENTION: LlamaLikeShape = {
  layers: 2,
  heads: 32,
  kvHeads: 8,
  headSize: 128,
  hidden: 4096,
  intermediate: 1024,
  vocab: 1024,
  maxPositions: 8192,
};

/**
 * Writes an ONNX Llama-like decoder with seeded random weights: bytes for onnxruntime or `openModel`.
 * Inputs input_ids and attention_mask (int64 [batch, sequence], right padding), output logits.
 * The same shape and seed give the same weights in both attention forms.
 */
export function llamaLikeModel(shape: LlamaLikeShape): Uint8Array {
  const { layers, heads, kvHeads, headSize: d, hidden, intermediate, vocab, maxPositions } = shape;
  if (heads % kvHeads !== 0) throw new Error(`heads (${heads}) must be a multiple of kvHeads (${kvHeads})`);
  if (d % 2 !== 0) throw new Error(`headSize (${d}) must be even for rotary embeddings`);
  const gqa = (shape.attention ?? "gqa") === "gqa";
  const eps = shape.rmsEps ?? 1e-5;
  const rand = seededRandom(shape.seed ?? 1);
  const g = new GraphBuilder("llama_like", 17, gqa ? { "com.microsoft": 1 } : {});
  const w = (name: string, rows: number, cols: number) =>
    g.floats(name, randomWeights(rows * cols, Math.sqrt(3 / rows), rand), [rows, cols]);
  const gain = (name: string) =>
    g.floats(
      name,
      Float32Array.from(randomWeights(hidden, 0.1, rand), (x) => 1 + x),
      [hidden],
    );

  const ids = g.input("input_ids", DataType.INT64, ["batch", "sequence"]);
  const mask = g.input("attention_mask", DataType.INT64, ["batch", "sequence"]);
  let h = g.op("Gather", [
    g.floats("embed_tokens.weight", randomWeights(vocab * hidden, 1, rand), [vocab, hidden]),
    ids,
  ]);

  // RMSNorm(x) = x / sqrt(mean(x²) + ε) · g (transformers' LlamaRMSNorm, in float32).
  const rmsNorm = (x: string, name: string) => {
    const meanSquare = g.op("ReduceMean", [g.op("Mul", [x, x])], { axes: { ints: [-1] }, keepdims: { i: 1 } });
    const inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [meanSquare, g.floats("eps", [eps], [])])])]);
    return g.op("Mul", [g.op("Mul", [x, inv]), gain(name)]);
  };

  // Rotary tables: angle[p, i] = p · θ^(−2i/d), i < d/2 (the half-size cos/sin caches GQA reads).
  const theta = shape.ropeTheta ?? 10000;
  const half = d / 2;
  const cos = new Float32Array(maxPositions * half);
  const sin = new Float32Array(maxPositions * half);
  for (let p = 0; p < maxPositions; p++)
    for (let i = 0; i < half; i++) {
      const angle = p * theta ** ((-2 * i) / d);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  const cosCache = g.floats("cos_cache", cos, [maxPositions, half]);
  const sinCache = g.floats("sin_cache", sin, [maxPositions, half]);

  const seqLen = g.op("Gather", [g.op("Shape", [ids]), g.ints("one", [1], [])], { axis: { i: 0 } });
  const attention = gqa
    ? gqaAttention(g, mask, cosCache, sinCache, heads, kvHeads)
    : decomposedAttention(g, mask, seqLen, cosCache, sinCache, heads, kvHeads, d);

  for (let l = 0; l < layers; l++) {
    const p = `/model/layers.${l}`;
    const x = rmsNorm(h, `${p}/input_layernorm.weight`);
    const q = g.op("MatMul", [x, w(`${p}/self_attn/q_proj.weight`, hidden, heads * d)]);
    const k = g.op("MatMul", [x, w(`${p}/self_attn/k_proj.weight`, hidden, kvHeads * d)]);
    const v = g.op("MatMul", [x, w(`${p}/self_attn/v_proj.weight`, hidden, kvHeads * d)]);
    const context = attention(q, k, v, p); // [B, T, heads·d]
    h = g.op("Add", [h, g.op("MatMul", [context, w(`${p}/self_attn/o_proj.weight`, heads * d, hidden)])]);
    const y = rmsNorm(h, `${p}/post_attention_layernorm.weight`);
    const gate = g.op("MatMul", [y, w(`${p}/mlp/gate_proj.weight`, hidden, intermediate)]);
    const up = g.op("MatMul", [y, w(`${p}/mlp/up_proj.weight`, hidden, intermediate)]);
    const silu = g.op("Mul", [gate, g.op("Sigmoid", [gate])]);
    h = g.op("Add", [
      h,
      g.op("MatMul", [g.op("Mul", [silu, up]), w(`${p}/mlp/down_proj.weight`, intermediate, hidden)]),
    ]);
  }
  const logits = g.op("MatMul", [rmsNorm(h, "/model/norm.weight"), w("lm_head.weight", hidden, vocab)], {}, "logits");
  g.output(logits, DataType.FLOAT, ["batch", "sequence", vocab]);
  return g.build();
}

type Attention = (q: string, k: string, v: string, prefix: string) => string;

/** GroupQueryAttention with rotary applied by the op, as onnxruntime-genai writes it (seqlens_k = tokens − 1). */
function gqaAttention(
  g: GraphBuilder,
  mask: string,
  cosCache: string,
  sinCache: string,
  heads: number,
  kvHeads: number,
): Attention {
  const seqlensK = g.op(
    "Cast",
    [g.op("Sub", [g.op("ReduceSum", [mask, g.ints("axis1", [1])], { keepdims: { i: 0 } }), g.ints("one_k", [1], [])])],
    {
      to: { i: DataType.INT32 },
    },
  );
  const total = g.op("Cast", [g.op("Gather", [g.op("Shape", [mask]), g.ints("one_t", [1], [])], { axis: { i: 0 } })], {
    to: { i: DataType.INT32 },
  });
  return (q, k, v, prefix) => {
    const name = `${prefix}/attn/GroupQueryAttention`;
    const out = `${name}_output_0`;
    g.nodes.push({
      name,
      opType: "GroupQueryAttention",
      domain: "com.microsoft",
      inputs: [q, k, v, "", "", seqlensK, total, cosCache, sinCache],
      outputs: [out, `${name}_present_key`, `${name}_present_value`],
      attributes: { num_heads: { i: heads }, kv_num_heads: { i: kvHeads }, do_rotary: { i: 1 } },
    });
    return out;
  };
}

/** The same attention in standard ops: RoPE (rotate-half), repeat-KV, scaled scores + causal and padding mask, Softmax. */
function decomposedAttention(
  g: GraphBuilder,
  mask: string,
  seqLen: string,
  cosCache: string,
  sinCache: string,
  heads: number,
  kvHeads: number,
  d: number,
): Attention {
  // Positions 0..T−1; cos/sin rows [T, d/2] doubled to [T, d] (cat(freqs, freqs) in transformers).
  const positions = g.op("Range", [g.ints("zero", [0], []), seqLen, g.ints("step", [1], [])]);
  const doubled = (cache: string) => {
    const rows = g.op("Gather", [cache, positions]);
    return g.op("Concat", [rows, rows], { axis: { i: -1 } });
  };
  const cos = doubled(cosCache);
  const sin = doubled(sinCache);
  const rotate = (x: string) => {
    const a = g.op("Slice", [x, g.ints("h0", [0]), g.ints("h1", [d / 2]), g.ints("ax", [-1])]);
    const b = g.op("Slice", [x, g.ints("h1b", [d / 2]), g.ints("h2", [d]), g.ints("axb", [-1])]);
    const rotated = g.op("Concat", [g.op("Neg", [b]), a], { axis: { i: -1 } });
    return g.op("Add", [g.op("Mul", [x, cos]), g.op("Mul", [rotated, sin])]);
  };
  // Causal + padding mask, additive, [B, 1, T, T]: allowed where j ≤ i and key j is a real token.
  const rows = g.op("Unsqueeze", [positions, g.ints("ax1", [1])]);
  const cols = g.op("Unsqueeze", [positions, g.ints("ax0", [0])]);
  const causal = g.op("Cast", [g.op("LessOrEqual", [cols, rows])], { to: { i: DataType.FLOAT } }); // [T, T]
  const keys = g.op("Cast", [g.op("Unsqueeze", [mask, g.ints("axes12", [1, 2])])], { to: { i: DataType.FLOAT } });
  const allowed = g.op("Mul", [causal, keys]);
  const additive = g.op("Mul", [
    g.op("Sub", [g.floats("one_f", [1], []), allowed]),
    g.floats("min", [-3.4028234663852886e38], []),
  ]);
  const group = heads / kvHeads;
  const scale = g.floats("sqrt_d", [Math.sqrt(d)], []);
  return (q, k, v, prefix) => {
    const split = (x: string, n: number) =>
      g.op("Transpose", [g.op("Reshape", [x, g.ints("split", [0, 0, n, d])])], { perm: { ints: [0, 2, 1, 3] } });
    // repeat_kv: [B, kv, T, d] → [B, kv, group, T, d] → [B, heads, T, d] (head h reads KV head h / group).
    const repeat = (x: string) =>
      group === 1
        ? x
        : g.op("Reshape", [
            g.op("Expand", [g.op("Unsqueeze", [x, g.ints("ax2", [2])]), g.ints("rep", [1, 1, group, 1, 1])]),
            g.ints("merge_kv", [0, heads, -1, d]),
          ]);
    const qh = rotate(split(q, heads));
    const kh = repeat(rotate(split(k, kvHeads)));
    const vh = repeat(split(v, kvHeads));
    const kT = g.op("Transpose", [kh], { perm: { ints: [0, 1, 3, 2] } });
    const scores = g.op("Add", [
      g.op("Div", [g.named(`${prefix}/self_attn/MatMul`, "MatMul", [qh, kT]), scale]),
      additive,
    ]);
    const probs = g.named(`${prefix}/self_attn/Softmax`, "Softmax", [scores], { axis: { i: -1 } });
    const context = g.op("Transpose", [g.named(`${prefix}/self_attn/MatMul_1`, "MatMul", [probs, vh])], {
      perm: { ints: [0, 2, 1, 3] },
    });
    return g.op("Reshape", [context, g.ints("merge", [0, 0, heads * d])]);
  };
}
