/**
 * ONNX transformers whose heads have designed weights, so the true pattern of every head is
 * known: the ground truth for the pattern classifier, the probes and the teaching notebooks.
 * Attention-only layers on a one-hot residual stream (see designedHeads.ts); a layer-0
 * previous-token head writes the previous token into the stream, which an induction head reads.
 */
import { DataType } from "../../graph/onnx/encode";
import { designedHead, type HeadDesign, type StreamLayout, streamLayout } from "./designedHeads";
import { GraphBuilder } from "./graphBuilder";

/** The model `constructedModel` writes: the pattern of each head, layer by layer, and its sizes. */
export interface ConstructedSpec {
  /** Patterns per layer, one per head; every layer has the same number of heads. */
  layers: HeadDesign[][];
  vocab?: number;
  /** Longest input the model accepts (one-hot positions). */
  maxPositions?: number;
  /** Causal (decoder) self-attention; required for induction heads to be meaningful. */
  causal?: boolean;
  /** Half-width of "window" heads. */
  window?: number;
  /** Score of a matching pair, before softmax (higher = sharper). */
  strength?: number;
}

/**
 * A constructed model: its ONNX bytes, the designed pattern of every head (the ground truth), and the
 * residual stream layout.
 */
export interface ConstructedModel {
  bytes: Uint8Array;
  /** The designed pattern of each head, by site id (`encoder.self.L` or `decoder.self.L`). */
  truth: { site: string; head: number; pattern: HeadDesign }[];
  layout: StreamLayout;
  window: number;
}

/**
 * Writes an ONNX transformer whose heads have designed weights, so each head's pattern is known: for tests,
 * benchmarks and tutorials.
 */
export function constructedModel(spec: ConstructedSpec): ConstructedModel {
  const vocab = spec.vocab ?? 16;
  const positions = spec.maxPositions ?? 64;
  const window = spec.window ?? 2;
  const strength = spec.strength ?? 14;
  const heads = spec.layers[0]?.length ?? 0;
  if (!heads || spec.layers.some((l) => l.length !== heads))
    throw new Error("every layer needs the same, non-zero number of heads");
  if (spec.layers.some((l, i) => i === 0 && l.includes("induction")))
    throw new Error("induction heads need a layer-0 previous-token head: put them in layer ≥ 1");
  const s = streamLayout(vocab, positions);
  const n = s.width;
  const g = new GraphBuilder("attnlens_designed_heads");
  const ids = g.input("input_ids", DataType.INT64, ["batch", "sequence"]);
  const mask = g.input("attention_mask", DataType.INT64, ["batch", "sequence"]);
  const segments = g.input("token_type_ids", DataType.INT64, ["batch", "sequence"]);

  // Embeddings: one-hot token (+ the constant channel), position and segment.
  const tokenEmb = new Float32Array(vocab * n);
  for (let v = 0; v < vocab; v++) {
    tokenEmb[v * n + s.token + v] = 1;
    tokenEmb[v * n + s.constant] = 1;
  }
  const posEmb = new Float32Array(positions * n);
  for (let p = 0; p < positions; p++) posEmb[p * n + s.position + p] = 1;
  const segEmb = new Float32Array(2 * n);
  for (let k = 0; k < 2; k++) segEmb[k * n + s.segment + k] = 1;
  const seqLen = g.op("Gather", [g.op("Shape", [ids]), g.ints("one", [1], [])], { axis: { i: 0 } });
  const range = g.op("Range", [g.ints("zero", [0], []), seqLen, g.ints("step", [1], [])]);
  let x = g.op("Add", [
    g.op("Add", [
      g.op("Gather", [g.floats("token_embedding", tokenEmb, [vocab, n]), ids]),
      g.op("Gather", [g.floats("position_embedding", posEmb, [positions, n]), range]),
    ]),
    g.op("Gather", [g.floats("segment_embedding", segEmb, [2, n]), segments]),
  ]);

  // Masks: padding as (1 − mask)·(−1e4) on [B,1,1,S]; causal as a sliced lower-triangular constant.
  const pad = g.op("Mul", [
    g.op("Sub", [
      g.floats("one_f", [1], []),
      g.op("Unsqueeze", [g.op("Cast", [mask], { to: { i: DataType.FLOAT } }), g.ints("axes", [1, 2])]),
    ]),
    g.floats("neg", [-1e4], []),
  ]);
  let causal: string | null = null;
  if (spec.causal) {
    const tril = new Uint8Array(positions * positions);
    for (let i = 0; i < positions; i++) for (let j = 0; j <= i; j++) tril[i * positions + j] = 1;
    const bias = g.floats("causal_bias", Float32Array.from(tril), [1, 1, positions, positions]);
    const zero = g.ints("zero2", [0, 0]);
    const end = g.op(
      "Concat",
      [g.op("Unsqueeze", [seqLen, g.ints("ax0", [0])]), g.op("Unsqueeze", [seqLen, g.ints("ax0b", [0])])],
      { axis: { i: 0 } },
    );
    causal = g.op("Cast", [g.op("Slice", [bias, zero, end, g.ints("axes23", [2, 3])])], { to: { i: DataType.BOOL } });
  }

  const split = g.ints("split_shape", [0, 0, heads, n]);
  const merge = g.ints("merge_shape", [0, 0, heads * n]);
  const scale = g.floats("sqrt_d", [Math.sqrt(n)], []);
  const truth: ConstructedModel["truth"] = [];
  const stack = spec.causal ? "decoder" : "encoder";
  spec.layers.forEach((patterns, l) => {
    const p = `/${stack}/layer.${l}/attention`;
    const wq = new Float32Array(n * heads * n);
    const wk = new Float32Array(n * heads * n);
    const wv = new Float32Array(n * heads * n);
    const wo = new Float32Array(heads * n * n);
    patterns.forEach((pattern, h) => {
      truth.push({ site: `${stack}.self.${l}`, head: h, pattern });
      const { query, key } = designedHead(pattern, s, window, strength);
      placeColumns(wq, query, n, heads, h);
      placeColumns(wk, key, n, heads, h);
      if (l === 0 && pattern === "previous") {
        // Copy the attended token into the previous-token block (read by induction heads).
        const value = new Float32Array(n * n);
        const out = new Float32Array(n * n);
        for (let v = 0; v < vocab; v++) {
          value[(s.token + v) * n + s.token + v] = 1;
          out[(s.token + v) * n + s.previousToken + v] = 1;
        }
        placeColumns(wv, value, n, heads, h);
        wo.set(out, h * n * n);
      }
    });
    const heads4 = (w: Float32Array, name: string, perm: number[]) =>
      g.op("Transpose", [g.op("Reshape", [g.op("MatMul", [x, g.floats(`${p}/${name}`, w, [n, heads * n])]), split])], {
        perm: { ints: perm },
      });
    const q = heads4(wq, "query", [0, 2, 1, 3]);
    const kT = heads4(wk, "key", [0, 2, 3, 1]);
    const v = heads4(wv, "value", [0, 2, 1, 3]);
    let scores = g.op("Add", [g.op("Div", [g.named(`${p}/MatMul`, "MatMul", [q, kT]), scale]), pad]);
    if (causal) scores = g.op("Where", [causal, scores, g.floats("neg_inf", [-1e9], [])]);
    const probs = g.named(`${p}/Softmax`, "Softmax", [scores], { axis: { i: -1 } });
    const context = g.op("Reshape", [
      g.op("Transpose", [g.op("MatMul", [probs, v])], { perm: { ints: [0, 2, 1, 3] } }),
      merge,
    ]);
    x = g.op("Add", [x, g.op("MatMul", [context, g.floats(`${p}/output`, wo, [heads * n, n])])]);
  });
  g.output(g.op("Identity", [x], {}, "hidden_states"), DataType.FLOAT, ["batch", "sequence", n]);
  return { bytes: g.build(), truth, layout: s, window };
}

/** Writes a [n × n] head matrix into columns h·n … (h+1)·n of a [n × heads·n] projection. */
function placeColumns(target: Float32Array, head: Float32Array, n: number, heads: number, h: number): void {
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) target[r * heads * n + h * n + c] = head[r * n + c];
}
