/**
 * Decoder-only (GPT-2-like) models: text runs with position_ids built from the session's inputs,
 * greedy generation whose per-step attention equals torch's, and onnxruntime-fused variants
 * (Attention with unidirectional=1, GroupQueryAttention).
 */
import { describe, expect, it } from "vitest";
import { loadModel } from "../src";
import { expectRowsSumToOne, expectSitesMatch, real, reference, texts } from "./realFixtures";

const ref = reference("gpt2");
const [batchRun] = ref.runs;
const gen = ref.generate;

describe("GPT-2-like directory (byte-level BPE)", () => {
  it("runs text: torch's causal maps, tokens as both source and target", async () => {
    const model = await loadModel(real("gpt2"), { providers: ["cpu"] });
    expect(model.family).toBe("decoder");
    expect(model.inputs.map((i) => i.name)).toEqual(["input_ids", "attention_mask", "position_ids"]);
    const result = await model.run(batchRun.source);
    expectSitesMatch(result, "gpt2", batchRun.sites);
    expect(result.sites.every((s) => s.causal)).toBe(true);
    expect(texts(result.tokens?.source).map((r, i) => r.slice(0, batchRun.tokens[i].length))).toEqual(batchRun.tokens);
    expect(result.tokens?.target).toBe(result.tokens?.source);
    // No pad token in this tokenizer: padding uses <|endoftext|>, masked out.
    expect(result.tokens?.source?.[1].at(-1)).toMatchObject({ text: "<|endoftext|>", special: true });
    expect(Array.from(result.masks.decoder?.data ?? [])).toEqual(batchRun.attention_mask.flat());
    await expect(model.run({ source: "the cat", target: "sat" })).rejects.toThrow(
      /target is for encoder-decoder models/,
    );
    await model.release();
  });

  it("generates greedily: torch's tokens, and each step's attention rows", async () => {
    const model = await loadModel(real("gpt2"), { providers: ["cpu"] });
    const result = await model.generate(gen.prompt, { maxNewTokens: gen.max_new_tokens });
    expect(result.generated.ids).toEqual([gen.generated]);
    expect(result.generated.text[0]).toBe(model.tokenizer.decode(gen.generated));
    expectSitesMatch(result, "gpt2", gen.sites);
    const fed = [...gen.prompt_ids, ...gen.generated.slice(0, -1)];
    expect(result.tokens?.target?.[0].map((t) => t.id)).toEqual(fed);
    expect(Array.from(result.inputIds?.decoder?.[0] ?? [])).toEqual(fed);
    await model.release();
  });

  it("generates a batch, one sample at a time, padded into one result", async () => {
    const model = await loadModel(real("gpt2"), { providers: ["cpu"] });
    const result = await model.generate(["the cat", "hello world, the"], { maxNewTokens: 3 });
    expect(result.generated.ids.length).toBe(2);
    const [b, , t] = result.sites[0].dims;
    expect(b).toBe(2);
    expect(result.tokens?.target?.map((r) => r.length)).toEqual([t, t]);
    const lengths = result.generated.ids.map(
      (g, i) => g.length - 1 + model.tokenizer.encode(["the cat", "hello world, the"][i]).ids.length,
    );
    for (const site of result.sites) expectRowsSumToOne(site, (bb, i) => i < lengths[bb]);
    await model.release();
  });
});

describe("onnxruntime-fused decoders", () => {
  it("Attention (unidirectional=1) gives torch's maps", async () => {
    const model = await loadModel(real("fused_gpt2"), { providers: ["cpu"] });
    expect(model.family).toBe("decoder");
    expectSitesMatch(await model.run(batchRun.source), "gpt2", batchRun.sites);
    const result = await model.generate(gen.prompt, { maxNewTokens: gen.max_new_tokens });
    expect(result.generated.ids).toEqual([gen.generated]);
    expectSitesMatch(result, "gpt2", gen.sites);
    await model.release();
  });

  it("GroupQueryAttention (4 query heads, 2 kv heads) exposes 4-head causal maps", async () => {
    const model = await loadModel(real("fused_gqa"), { providers: ["cpu"] });
    expect(model.family).toBe("decoder");
    expect(model.sites.map((s) => s.id)).toEqual(["decoder.self.0", "decoder.self.1"]);
    const result = await model.run(["the cat sat on the mat", "hello"]);
    const lengths = result.tokens?.source?.map((r) => r.filter((t) => !(t.special && t.word === null)).length) ?? [];
    for (const site of result.sites) {
      expect(site.dims.slice(0, 2)).toEqual([2, 4]);
      expect(site.causal).toBe(true);
      expectRowsSumToOne(site, (b, i) => i < lengths[b]);
    }
    await model.release();
  });
});
