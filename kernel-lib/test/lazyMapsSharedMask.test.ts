/**
 * Fused GroupQueryAttention layers each build their causal mask in their decomposition; a lazy
 * capture holds it once (graph/lazy/sharedSides.ts). Checked against the full run's maps (the
 * decomposition with every layer's own mask, which lazyMapsFused checks against the fused kernel):
 * every lazy row within 1e-5, and every site reads the first layer's mask.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { openModel } from "../src";
import { DataType, encodeModel } from "../src/graph/onnx/encode";
import { attentionGraph } from "../src/graph/surgery/attentionGraph";
import { seededRandom } from "../src/util/random";

const [LAYERS, N, KV, HS, T] = [3, 4, 2, 8, 24];

/** Each layer's output is the next one's query; keys, values and sequence lengths are shared inputs. */
function gqaLayers(): Uint8Array {
  const nodes = [];
  let q = "q";
  for (let l = 0; l < LAYERS; l++) {
    nodes.push({
      name: `layer${l}/gqa`,
      opType: "GroupQueryAttention",
      domain: "com.microsoft",
      inputs: [q, "k", "v", "", "", "seqlens_k", "total"],
      outputs: [`out${l}`, `present_k${l}`, `present_v${l}`],
      attributes: { num_heads: { i: N }, kv_num_heads: { i: KV } },
    });
    q = `out${l}`;
  }
  const f32 = (name: string, width: number) => ({ name, elemType: DataType.FLOAT, shape: [1, "s", width] });
  const i32 = (name: string) => ({ name, elemType: DataType.INT32, shape: [1] });
  return encodeModel(
    {
      name: "gqa_layers",
      nodes,
      inputs: [f32("q", N * HS), f32("k", KV * HS), f32("v", KV * HS), i32("seqlens_k"), i32("total")],
      outputs: [{ name: q, elemType: DataType.FLOAT }],
      initializers: [],
    },
    { "": 17, "com.microsoft": 1 },
  );
}

describe("a mask shared by fused layers", () => {
  it("is captured once, and every layer's lazy rows equal the full run's maps", async () => {
    const model = gqaLayers();
    const capture = attentionGraph(model, { maps: "lazy" }).capture;
    const masks = capture?.sites.map((c) => c.inputs?.filter((i) => i.role === "side").map((i) => i.value));
    expect(masks?.length).toBe(LAYERS);
    for (const m of masks ?? []) expect(m).toEqual(masks?.[0]);
    for (const c of capture?.sites.slice(1) ?? []) expect(c.sameShapes?.length).toBeGreaterThan(0);

    const random = seededRandom(3);
    const noise = (n: number) => Float32Array.from({ length: n }, () => random() - 0.5);
    const feeds = {
      q: new ort.Tensor("float32", noise(T * N * HS), [1, T, N * HS]),
      k: new ort.Tensor("float32", noise(T * KV * HS), [1, T, KV * HS]),
      v: new ort.Tensor("float32", noise(T * KV * HS), [1, T, KV * HS]),
      seqlens_k: new ort.Tensor("int32", Int32Array.of(T - 1), [1]),
      total: new ort.Tensor("int32", Int32Array.of(T), [1]),
    };
    const full = await openModel(model, { providers: ["cpu"] });
    const lazy = await openModel(model, { providers: ["cpu"], maps: "lazy" });
    try {
      const want = await full.run(feeds);
      const got = await lazy.runLazy(feeds);
      expect(got.sites.map((s) => s.mode)).toEqual(Array(LAYERS).fill("lazy"));
      for (const [i, site] of got.sites.entries()) {
        const ref = want.sites[i];
        expect(site.dims).toEqual(ref.dims);
        const block = await got.rows(site.id, 0, [0, T]);
        let worst = 0;
        block.data.forEach((x, j) => {
          worst = Math.max(worst, Math.abs(x - ref.data[j]));
        });
        expect(worst, site.id).toBeLessThanOrEqual(1e-5);
      }
      // The mask ([T, S] floats) is held once, not per layer.
      const perLayer = (N * T * HS + N * T * HS) * 4;
      expect(got.bytes).toBeLessThan(LAYERS * (perLayer + T * T * 4));
      await got.release();
    } finally {
      await full.release();
      await lazy.release();
    }
  });
});
