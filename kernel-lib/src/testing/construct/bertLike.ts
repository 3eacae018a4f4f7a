/**
 * A BERT-shaped encoder with random weights, written op for op the way torch.onnx.export writes
 * BERT (Gather embeddings, LayerNormalization, MatMul+Add projections, Reshape [B,T,H,d] +
 * Transpose, MatMul/Div/Add-mask/Softmax/MatMul, Erf GELU). Used by the benchmark, so its cost
 * matches a real export's.
 */
import { DataType } from "../../graph/onnx/encode";
import { seededRandom } from "../../util/random";
import { GraphBuilder, randomWeights } from "./graphBuilder";

/** Sizes of a BERT-like encoder: layers, heads, hidden and feed-forward widths, vocabulary and positions. */
export interface BertLikeShape {
  layers: number;
  heads: number;
  hidden: number;
  intermediate: number;
  vocab: number;
  maxPositions: number;
  seed?: number;
  /** Graph input names (default input_ids, attention_mask): other names test what must not rely on them. */
  inputNames?: { ids: string; mask: string };
}

/** BERT-base's sizes: 12 layers × 12 heads, hidden 768, 512 positions. */
export const BERT_BASE: BertLikeShape = {
  layers: 12,
  heads: 12,
  hidden: 768,
  intermediate: 3072,
  vocab: 30522,
  maxPositions: 512,
};

/** Writes an ONNX BERT-like encoder with seeded random weights (the benchmarks' model): bytes for `openModel`. */
export function bertLikeModel(shape: BertLikeShape): Uint8Array {
  const { layers, heads, hidden, intermediate, vocab, maxPositions } = shape;
  const rand = seededRandom(shape.seed ?? 1);
  const g = new GraphBuilder("bert_like");
  const w = (prefix: string, rows: number, cols: number) =>
    g.floats(prefix, randomWeights(rows * cols, Math.sqrt(3 / rows), rand), [rows, cols]);
  const bias = (prefix: string, n: number) => g.floats(prefix, randomWeights(n, 0.02, rand), [n]);
  const ones = (prefix: string, n: number) => g.floats(prefix, new Float32Array(n).fill(1), [n]);

  const names = shape.inputNames ?? { ids: "input_ids", mask: "attention_mask" };
  const ids = g.input(names.ids, DataType.INT64, ["batch", "sequence"]);
  const mask = g.input(names.mask, DataType.INT64, ["batch", "sequence"]);

  // Embeddings: word + position (positions 0..T-1 via Shape/Range, as torch exports them).
  const seqLen = g.op("Gather", [g.op("Shape", [ids]), g.ints("one", [1], [])], { axis: { i: 0 } });
  const positions = g.op("Range", [g.ints("zero", [0], []), seqLen, g.ints("step", [1], [])]);
  const words = g.op("Gather", [w("word_embeddings", vocab, hidden), ids]);
  const pos = g.op("Gather", [w("position_embeddings", maxPositions, hidden), positions]);
  const layerNorm = (x: string, name: string) =>
    g.op("LayerNormalization", [x, ones(`${name}.weight`, hidden), bias(`${name}.bias`, hidden)], {
      axis: { i: -1 },
      epsilon: { f: 1e-12 },
    });
  let h = layerNorm(g.op("Add", [words, pos]), "/embeddings/LayerNorm");

  // Additive mask (1 − mask)·min, broadcast to [B, 1, 1, T].
  const m4 = g.op("Unsqueeze", [g.op("Cast", [mask], { to: { i: DataType.FLOAT } }), g.ints("axes", [1, 2])]);
  const additive = g.op("Mul", [
    g.op("Sub", [g.floats("one_f", [1], []), m4]),
    g.floats("min", [-3.4028234663852886e38], []),
  ]);

  const headDim = hidden / heads;
  const splitShape = g.ints("split_shape", [0, 0, heads, headDim]);
  const mergeShape = g.ints("merge_shape", [0, 0, hidden]);
  const scale = g.floats("sqrt_d", [Math.sqrt(headDim)], []);
  for (let l = 0; l < layers; l++) {
    const p = `/encoder/layer.${l}/attention/self`;
    const proj = (name: string) =>
      g.op("Add", [g.op("MatMul", [h, w(`${p}/${name}.weight`, hidden, hidden)]), bias(`${p}/${name}.bias`, hidden)]);
    const split = (x: string, perm: number[]) =>
      g.op("Transpose", [g.named(`${p}/Reshape`, "Reshape", [x, splitShape])], { perm: { ints: perm } });
    const q = split(proj("query"), [0, 2, 1, 3]);
    const kT = split(proj("key"), [0, 2, 3, 1]);
    const v = split(proj("value"), [0, 2, 1, 3]);
    const scores = g.op("Add", [g.op("Div", [g.named(`${p}/MatMul`, "MatMul", [q, kT]), scale]), additive]);
    const probs = g.named(`${p}/Softmax`, "Softmax", [scores], { axis: { i: -1 } });
    const context = g.op("Transpose", [g.named(`${p}/MatMul_1`, "MatMul", [probs, v])], {
      perm: { ints: [0, 2, 1, 3] },
    });
    const merged = g.op("Reshape", [context, mergeShape]);
    const attnOut = g.op("Add", [
      g.op("MatMul", [merged, w(`${p}/output.weight`, hidden, hidden)]),
      bias(`${p}/output.bias`, hidden),
    ]);
    h = layerNorm(g.op("Add", [attnOut, h]), `/encoder/layer.${l}/attention/output/LayerNorm`);
    // GELU(x) = 0.5·x·(1 + erf(x/√2)), as torch exports it.
    const up = g.op("Add", [
      g.op("MatMul", [h, w(`/encoder/layer.${l}/intermediate.weight`, hidden, intermediate)]),
      bias(`/encoder/layer.${l}/intermediate.bias`, intermediate),
    ]);
    const erf = g.op("Erf", [g.op("Div", [up, g.floats("sqrt2", [Math.SQRT2], [])])]);
    const gelu = g.op("Mul", [
      g.op("Mul", [up, g.op("Add", [erf, g.floats("one_g", [1], [])])]),
      g.floats("half", [0.5], []),
    ]);
    const down = g.op("Add", [
      g.op("MatMul", [gelu, w(`/encoder/layer.${l}/output.weight`, intermediate, hidden)]),
      bias(`/encoder/layer.${l}/output.bias`, hidden),
    ]);
    h = layerNorm(g.op("Add", [down, h]), `/encoder/layer.${l}/output/LayerNorm`);
  }
  const last = g.op("Identity", [h], {}, "last_hidden_state");
  g.output(last, DataType.FLOAT, ["batch", "sequence", hidden]);
  return g.build();
}
