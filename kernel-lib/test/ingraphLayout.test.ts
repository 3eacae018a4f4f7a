/**
 * The in-graph layout step against the host's toBhts, on layouts the torch fixtures do not
 * cover: heads folded with an unknown head count (split by the batch), a single [T, S] map, the
 * softmax axis not last with an unknown rank (negative and positive axis), float16 maps.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { bhtsInGraph } from "../src/graph/ingraph/layout";
import { metricEmitter } from "../src/graph/ingraph/plan";
import { decodeModel } from "../src/graph/onnx/decode";
import { DataType, encodeModel, type ValueSpec } from "../src/graph/onnx/encode";
import { GraphIndex } from "../src/graph/onnx/graphIndex";
import type { AttentionSite } from "../src/graph/sites/types";
import { toBhts, toFloat32 } from "../src/result/layout";

const B = 2;
const T = 3;
const S = 5;
const H = 4;

function site(over: Partial<AttentionSite>): AttentionSite {
  return {
    id: "encoder.self.0",
    stack: "encoder",
    kind: "self",
    layer: 0,
    heads: H,
    causal: false,
    node: "softmax",
    output: "x",
    existingOutput: false,
    softmaxAxis: -1,
    legacySoftmax: false,
    ...over,
  };
}

/** Runs x → bhtsInGraph → output on onnxruntime; returns it with toBhts's answer for the same tensor. */
async function both(s: AttentionSite, x: ort.Tensor, declared: ValueSpec["shape"]) {
  const inputs: ValueSpec[] = [
    { name: "x", elemType: x.type === "float16" ? DataType.FLOAT16 : DataType.FLOAT, shape: declared },
    { name: "input_ids", elemType: DataType.INT64, shape: ["batch", "sequence"] },
  ];
  const spec = { name: "layout", nodes: [], inputs, outputs: [], initializers: [] };
  const e = metricEmitter(17);
  const out = bhtsInGraph(e, new GraphIndex(decodeModel(encodeModel(spec)).graph), s, "input_ids");
  const bytes = encodeModel({ ...spec, nodes: e.nodes, initializers: e.initializers, outputs: [{ name: out }] });
  const session = await ort.InferenceSession.create(bytes);
  const ids = new ort.Tensor("int64", new BigInt64Array(B * T), [B, T]);
  const got = (await session.run({ x, input_ids: ids }))[out] as ort.Tensor;
  await session.release();
  const want = toBhts(s, toFloat32(x), x.dims, B);
  return { got: { dims: [...got.dims], data: Array.from(got.data as Float32Array) }, want };
}

const values = (n: number) => Float32Array.from({ length: n }, (_, k) => (k % 17) / 16);

describe("in-graph layout equals toBhts", () => {
  const cases: { name: string; site: Partial<AttentionSite>; dims: number[]; declared: ValueSpec["shape"] }[] = [
    { name: "[B·H, T, S], heads unknown", site: { heads: 0 }, dims: [B * H, T, S], declared: [null, null, null] },
    { name: "[T, S]", site: { heads: 1 }, dims: [T, S], declared: [T, S] },
    { name: "[B, H, S, T], axis −2, rank unknown", site: { softmaxAxis: -2 }, dims: [B, H, S, T], declared: undefined },
    { name: "[B, H, S, T], axis 2, rank unknown", site: { softmaxAxis: 2 }, dims: [B, H, S, T], declared: undefined },
    { name: "[B·H, S, T], axis 1, rank 3", site: { softmaxAxis: 1 }, dims: [B * H, S, T], declared: [null, S, T] },
  ];
  it.each(cases)("$name", async (c) => {
    const n = c.dims.reduce((a, b) => a * b, 1);
    const { got, want } = await both(site(c.site), new ort.Tensor("float32", values(n), c.dims), c.declared);
    expect(got.dims).toEqual(want.dims);
    expect(got.data).toEqual(Array.from(want.data));
  });

  it("float16 maps are widened to float32", async () => {
    const half = Uint16Array.from({ length: B * H * T * S }, (_, k) => 0x3800 + (k % 64)); // ≈ 0.5 + k·2⁻¹¹
    const { got, want } = await both(site({}), new ort.Tensor("float16", half, [B, H, T, S]), [B, H, T, S]);
    expect(got.dims).toEqual(want.dims);
    expect(got.data).toEqual(Array.from(want.data));
  });
});
