/**
 * Capture surgery on small constructed attention blocks: what each site is recomputed from
 * (queries, keys, masks; constants kept as constants), when it falls back to full maps and why,
 * and that a lazy run's rows equal the same graph's full run.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { openModel } from "../../run/openModel";
import { GraphBuilder, randomWeights } from "../../testing/construct/graphBuilder";
import { seededRandom } from "../../util/random";
import { decodeModel } from "../onnx/decode";
import { DataType } from "../onnx/schema";
import { discoverSites } from "../sites/discover";
import { planCapture } from "./capture";

type Bias = "mask" | "product-bias" | "transpose";

/** `layers` attention blocks over x [1, T, 8], 2 heads of 4, all reading one additive mask input. */
function attentionBlocks(bias: Bias, layers = 2): Uint8Array {
  const b = new GraphBuilder("lazy_capture");
  const rand = seededRandom(11);
  let x = b.input("x", DataType.FLOAT, [1, "T", 8]);
  const mask = b.input("mask", DataType.FLOAT, [1, 1, "T", "T"]);
  const heads = b.ints("heads", [0, -1, 2, 4]);
  const project = (h: string, perm: number[]) => {
    const w = b.floats("w", randomWeights(64, 0.5, rand), [8, 8]);
    const r = b.op("Reshape", [b.op("MatMul", [h, w]), heads]);
    return b.op("Transpose", [r], { perm: { ints: perm } });
  };
  for (let l = 0; l < layers; l++) {
    const q = project(x, [0, 2, 1, 3]);
    const kT = project(x, [0, 2, 3, 1]);
    const v = project(x, [0, 2, 1, 3]);
    let scores = b.op("Div", [b.op("MatMul", [q, kT]), b.floats("scale", [2], [])]);
    if (bias === "mask") scores = b.op("Add", [scores, mask]);
    if (bias === "product-bias") scores = b.op("Add", [scores, b.op("MatMul", [q, project(x, [0, 2, 3, 1])])]);
    if (bias === "transpose") scores = b.op("Transpose", [scores], { perm: { ints: [0, 1, 3, 2] } });
    const probs = b.op("Softmax", [scores], { axis: { i: -1 } });
    const ctx = b.op("Transpose", [b.op("MatMul", [probs, v])], { perm: { ints: [0, 2, 1, 3] } });
    x = b.op("Add", [x, b.op("Reshape", [ctx, b.ints("flat", [0, -1, 8])])]);
  }
  b.output(x, DataType.FLOAT);
  return b.build();
}

function plan(bias: Bias) {
  const model = decodeModel(attentionBlocks(bias));
  return planCapture(model, discoverSites(model).sites);
}

describe("capture plan", () => {
  it("recomputes from queries, keys and the mask; the scale stays a constant; a shared mask is output once", () => {
    const p = plan("mask");
    expect(p.sites.map((s) => s.mode)).toEqual(["lazy", "lazy"]);
    const [first] = p.sites;
    expect(first.inputs?.map((i) => i.role)).toEqual(["query", "key", "side"]);
    expect(first.inputs?.[2].value).toBe("mask");
    expect(first.replay?.nodes.map((n) => n.opType)).toEqual(["MatMul", "Div", "Add", "Softmax"]);
    expect(first.replay?.initializers.map((t) => [...t.dims])).toEqual([[]]);
    expect(p.outputs.filter((o) => o === "mask")).toEqual(["mask"]);
    expect(p.outputs.length).toBe(5); // q and kᵀ of each layer, and the mask once
  });

  it("holds a site full when its bias is a product of activations (DeBERTa's position terms)", () => {
    const p = plan("product-bias");
    expect(p.sites.every((s) => s.mode === "full")).toBe(true);
    expect(p.sites[0].reason).toMatch(/score bias .* computed from a MatMul of activations .* as large as the map/);
  });

  it("holds a site full when a Transpose between scores and Softmax moves the target axis", () => {
    const p = plan("transpose");
    expect(p.sites[0].mode).toBe("full");
    expect(p.sites[0].reason).toMatch(/a Transpose between its scores and Softmax/);
  });
});

describe("lazy run of a constructed graph", () => {
  it.each<Bias>(["mask", "product-bias"])(
    "%s: rows equal the full run's maps (a shared mask held once)",
    async (bias) => {
      const t = 7;
      const rand = seededRandom(5);
      const x = new ort.Tensor(
        "float32",
        Float32Array.from({ length: t * 8 }, () => rand() * 2 - 1),
        [1, t, 8],
      );
      const m = Float32Array.from({ length: t * t }, (_, i) => (i % t > Math.floor(i / t) ? -1e4 : 0));
      const feeds = { x, mask: new ort.Tensor("float32", m, [1, 1, t, t]) };
      const bytes = attentionBlocks(bias);
      const full = await openModel(bytes, { providers: ["cpu"] });
      const lazy = await openModel(bytes, { providers: ["cpu"], maps: "lazy" });
      const want = await full.run(feeds);
      const got = await lazy.runLazy(feeds);
      for (const [i, site] of got.sites.entries()) {
        const block = await got.rows(site.id, 0, [2, 6]);
        const ref = want.sites[i].data.filter((_, j) => Math.floor(j / t) % t >= 2 && Math.floor(j / t) % t < 6);
        let worst = 0;
        block.data.forEach((v, j) => {
          worst = Math.max(worst, Math.abs(v - ref[j]));
        });
        expect(worst).toBeLessThanOrEqual(1e-6);
      }
      if (bias === "mask") {
        const qk = 2 * (1 * 2 * t * 4 * 4); // q [1,2,T,4] and kᵀ [1,2,4,T], float32
        expect(got.sites.map((s) => s.bytes)).toEqual([qk + t * t * 4, qk]);
      } else expect(got.sites.map((s) => s.mode)).toEqual(["full", "full"]);
      await got.release();
      await full.release();
      await lazy.release();
    },
  );
});
