/**
 * Encoder-only (BERT-like) models from directories: optimum layout, transformers.js layout,
 * dynamic int8 quantization, and onnxruntime-fused Attention — text in, torch's probabilities and
 * labelled tokens out.
 */
import { describe, expect, it } from "vitest";
import { loadModel } from "../src";
import { expectRowsSumToOne, expectSitesMatch, real, reference, refMap } from "./realFixtures";

const meanDiff = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + Math.abs(x - b[i]), 0) / a.length;

const ref = reference("bert");
const [batchRun, pairRun] = ref.runs;

describe("BERT-like directory (model.onnx + tokenizer.json + config.json)", () => {
  it("loads as an encoder with its sites, tokenizer and limits", async () => {
    const model = await loadModel(real("bert"), { providers: ["cpu"] });
    expect(model.family).toBe("encoder");
    expect(model.info.files).toMatchObject({
      kind: "single",
      model: "model.onnx",
      tokenizer: "tokenizer.json",
      quantized: false,
    });
    expect(model.sites.map((s) => s.id)).toEqual(["encoder.self.0", "encoder.self.1"]);
    expect(model.info.maxPositions).toBe(32);
    expect(model.info.padId).toBe(0);
    await model.release();
  });

  it("run([texts]) gives torch's maps, tokens per sample (padding included) and the mask", async () => {
    const model = await loadModel(real("bert"), { providers: ["cpu"] });
    const result = await model.run(batchRun.source);
    expectSitesMatch(result, "bert", batchRun.sites);
    const width = batchRun.input_ids[0].length;
    expect(result.tokens?.source?.map((r) => r.length)).toEqual([width, width]);
    expect(result.tokens?.source?.map((r, i) => r.slice(0, batchRun.tokens[i].length).map((t) => t.text))).toEqual(
      batchRun.tokens,
    );
    const pad = result.tokens?.source?.[0].at(-1); // the first text is the shorter one
    expect(pad).toMatchObject({ text: "[PAD]", special: true, word: null });
    expect(Array.from(result.masks.encoder?.data ?? [])).toEqual(batchRun.attention_mask.flat());
    expect(result.tokens?.target).toBeUndefined();
    await model.release();
  });

  it("run({ source, pair }) feeds token types for segment B", async () => {
    const model = await loadModel(real("bert"), { providers: ["cpu"] });
    const result = await model.run({ source: pairRun.source, pair: pairRun.pair });
    expectSitesMatch(result, "bert", pairRun.sites);
    const tokens = result.tokens?.source?.[0] ?? [];
    expect(tokens.map((t) => t.text)).toEqual(pairRun.tokens[0]);
    expect(Array.from(result.segments?.encoder?.[0] ?? [])).toEqual(pairRun.token_type_ids[0]);
    await model.release();
  });
});

describe("transformers.js layout and quantized exports", () => {
  it("finds onnx/model.onnx and gives the same maps", async () => {
    const model = await loadModel(real("bert_tfjs"), { providers: ["cpu"] });
    expect(model.info.files.model).toBe("onnx/model.onnx");
    expectSitesMatch(await model.run(batchRun.source), "bert", batchRun.sites);
    await model.release();
  });

  it("quantized: true picks onnx/model_quantized.onnx (DynamicQuantizeLinear + MatMulInteger)", async () => {
    const model = await loadModel(real("bert_tfjs"), { providers: ["cpu"], quantized: true });
    expect(model.info.files).toMatchObject({ model: "onnx/model_quantized.onnx", quantized: true });
    const result = await model.run(batchRun.source);
    expect(result.sites.map((s) => s.id)).toEqual(["encoder.self.0", "encoder.self.1"]);
    for (const site of result.sites) {
      expectRowsSumToOne(site);
      // int8 weights move the probabilities a little, not the pattern.
      const fp = refMap(
        "bert",
        batchRun.sites.find((s: { id: string }) => s.id === site.id),
      );
      expect(meanDiff(site.data, fp)).toBeLessThan(0.03);
    }
    await model.release();
  });

  it("a model whose attention products are quantized too still shows its attention", async () => {
    const model = await loadModel(real("bert_quant_all"), { providers: ["cpu"] });
    const result = await model.run(batchRun.source);
    expect(result.sites.map((s) => s.id)).toEqual(["encoder.self.0", "encoder.self.1"]);
    for (const site of result.sites) expectRowsSumToOne(site);
    await model.release();
  });
});

describe("onnxruntime-fused BERT (com.microsoft.Attention)", () => {
  it("decomposes Attention and returns torch's probabilities", async () => {
    const model = await loadModel(real("fused_bert"), { providers: ["cpu"] });
    expect(model.skipped.filter((r) => /fused/.test(r.reason))).toEqual([]);
    expect(model.sites.map((s) => [s.id, s.heads])).toEqual([
      ["encoder.self.0", 4],
      ["encoder.self.1", 4],
    ]);
    expect(model.sites[0].node).toMatch(/^\/encoder\/layer\.0\/attention\/Attention.*\/attnlens\/Softmax/);
    expectSitesMatch(await model.run(batchRun.source), "bert", batchRun.sites);
    expectSitesMatch(await model.run({ source: pairRun.source, pair: pairRun.pair }), "bert", pairRun.sites);
    await model.release();
  });
});
