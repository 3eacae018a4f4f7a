/**
 * Static head counts of the query/key layouts transformers' decoders export (torch.onnx shape arithmetic:
 * Shape → Gather → Unsqueeze → Concat), each graph built here and checked against the map it computes.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { openModel } from "../../run/openModel";
import { GraphBuilder, randomWeights } from "../../testing/construct/graphBuilder";
import { seededRandom } from "../../util/random";
import { decodeModel } from "../onnx/decode";
import { DataType } from "../onnx/schema";
import { discoverSites } from "./discover";

const H = 4;
const D = 8;
const WIDTH = H * D;

type Layout = "gqa" | "mqa-fused";

/** Dimension i of x as torch.onnx writes it: a 1-element vector of unknown value. */
function dimOf(g: GraphBuilder, x: string, i: number): string {
  return g.unsqueeze(g.op("Gather", [g.op("Shape", [x]), g.i64([i], true)]), [0]);
}

/**
 * One attention block over x [B, T, WIDTH], returning the probabilities as an output:
 * - "gqa": Llama's `view(B, T, -1, d)` splits of q (4 heads) and k/v (2 heads), the keys and values
 *   repeated to 4 heads by repeat_kv (Unsqueeze → Expand → Reshape to [B, kv·2, T, d]);
 * - "mqa-fused": Falcon's fused QKV `view(B, T, H + 2, d)`, the query sliced to H heads and
 *   reshaped [B, H, T, d], one key/value head broadcast in the products.
 */
function attentionGraph(layout: Layout): Uint8Array {
  const g = new GraphBuilder("heads_test");
  const rand = seededRandom(3);
  const x = g.input("x", DataType.FLOAT, ["batch", "seq", WIDTH]);
  const [b, t] = [dimOf(g, x, 0), dimOf(g, x, 1)];
  const proj = (out: number) => g.op("MatMul", [x, g.floats("w", randomWeights(WIDTH * out, 0.3, rand), [WIDTH, out])]);
  const split = (y: string, heads: number) =>
    g.op("Transpose", [g.op("Reshape", [y, g.concat([b, t, g.i64([heads]), g.i64([D])], 0)])], {
      perm: { ints: [0, 2, 1, 3] },
    });
  let q: string;
  let k: string;
  let v: string;
  if (layout === "gqa") {
    q = split(proj(WIDTH), -1);
    const repeat = (y: string) => {
      const kv = dimOf(g, y, 1);
      const s = dimOf(g, y, 2);
      const expanded = g.op("Expand", [g.unsqueeze(y, [2]), g.concat([b, kv, g.i64([2]), s, g.i64([D])], 0)]);
      return g.op("Reshape", [expanded, g.concat([b, g.op("Mul", [kv, g.i64([2])]), s, g.i64([D])], 0)]);
    };
    k = repeat(split(proj(2 * D), -1));
    v = repeat(split(proj(2 * D), -1));
  } else {
    const fused = g.op("Reshape", [proj((H + 2) * D), g.concat([b, t, g.i64([H + 2]), g.i64([D])], 0)]);
    const part = (from: number, to: number) =>
      g.op("Transpose", [g.slice(fused, from, to, 2)], { perm: { ints: [0, 2, 1, 3] } });
    q = g.op("Reshape", [part(0, H), g.concat([b, g.i64([H]), t, g.i64([D])], 0)]);
    k = part(H, H + 1);
    v = part(H + 1, H + 2);
  }
  const scores = g.op("MatMul", [q, g.op("Transpose", [k], { perm: { ints: [0, 1, 3, 2] } })]);
  const probs = g.op("Softmax", [g.op("Div", [scores, g.f32(Math.sqrt(D))])], { axis: { i: -1 } });
  const merged = g.op("Reshape", [
    g.op("Transpose", [g.op("MatMul", [probs, v])], { perm: { ints: [0, 2, 1, 3] } }),
    g.concat([b, t, g.i64([WIDTH])], 0),
  ]);
  g.op("MatMul", [merged, g.floats("wo", randomWeights(WIDTH * WIDTH, 0.3, rand), [WIDTH, WIDTH])], undefined, "y");
  g.output("y", DataType.FLOAT, ["batch", "seq", WIDTH]);
  return g.build();
}

describe("static head counts", () => {
  it.each<Layout>(["gqa", "mqa-fused"])("%s: the query's heads, as many as the map has", async (layout) => {
    const bytes = attentionGraph(layout);
    const { sites } = discoverSites(decodeModel(bytes));
    expect(sites.map((s) => s.heads)).toEqual([H]);
    // The map attnlens reads from the graph at run time has that many heads.
    const model = await openModel(bytes, { providers: ["cpu"] });
    const x = new ort.Tensor(
      "float32",
      Float32Array.from({ length: 2 * 3 * WIDTH }, (_, i) => Math.sin(i)),
      [2, 3, WIDTH],
    );
    const result = await model.run({ x });
    expect(result.sites[0].dims).toEqual([2, H, 3, 3]);
    await model.release();
  });
});
