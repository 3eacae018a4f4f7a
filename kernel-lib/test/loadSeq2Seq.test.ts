/**
 * Encoder-decoder models split into encoder_model.onnx + decoder_model.onnx (optimum's layout):
 * teacher-forced targets given as text, greedy generation collecting each step's self and cross
 * attention, the cross maps labelled with source and target tokens; and the same model with
 * onnxruntime's MultiHeadAttention fused in.
 */
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../src";
import { FIXTURES } from "./fixtureFiles";
import { expectRowsSumToOne, expectSitesMatch, real, reference, texts } from "./realFixtures";

const ref = reference("bart_split");
const [teacher] = ref.runs;
const gen = ref.generate;
const SITES = [
  "encoder.self.0",
  "encoder.self.1",
  "decoder.self.0",
  "decoder.cross.0",
  "decoder.self.1",
  "decoder.cross.1",
];

describe.each(["bart_split", "fused_bart"])("%s (encoder_model.onnx + decoder_model.onnx)", (name) => {
  it("loads both files as one encoder-decoder model", async () => {
    const model = await loadModel(real(name), { providers: ["cpu"] });
    expect(model.family).toBe("encoder-decoder");
    expect(model.info.files).toMatchObject({
      kind: "split",
      encoder: "encoder_model.onnx",
      decoder: "decoder_model.onnx",
    });
    expect(model.sites.map((s) => s.id)).toEqual(SITES);
    expect(model.info.decoderStartId).toBe(0);
    await model.release();
  });

  it("run({ source, target }): torch's maps; cross attention labelled target × source", async () => {
    const model = await loadModel(real(name), { providers: ["cpu"] });
    const result = await model.run({ source: teacher.source, target: teacher.target });
    expectSitesMatch(result, "bart_split", teacher.sites);
    const source = texts(result.tokens?.source);
    const target = texts(result.tokens?.target);
    expect(source.map((r, i) => r.slice(0, teacher.source_tokens[i].length))).toEqual(teacher.source_tokens);
    expect(target.map((r, i) => r.slice(0, teacher.target_tokens[i].length))).toEqual(teacher.target_tokens);
    const cross = result.sites.find((s) => s.id === "decoder.cross.0");
    expect(cross?.dims.slice(2)).toEqual([target[0].length, source[0].length]);
    expect(result.tokens?.target?.[0][0]).toMatchObject({ text: "<pad>", special: true, word: null });
    expect(Array.from(result.masks.encoder?.data ?? [])).toEqual(teacher.attention_mask.flat());
    expect(result.masks.decoder?.dims).toEqual([2, target[0].length]);
    expect(result.outputs.logits.dims).toEqual([2, target[0].length, 64]);
    expect(result.outputs.encoder_last_hidden_state).toBeDefined();
    await model.release();
  });

  it("run({ source }) without a target generates greedily: torch's tokens and per-step maps", async () => {
    const model = await loadModel(real(name), { providers: ["cpu"] });
    const result = await model.generate(gen.source, { maxNewTokens: gen.max_new_tokens });
    expect(result.generated.ids).toEqual([gen.generated]);
    expectSitesMatch(result, "bart_split", gen.sites);
    expect(result.tokens?.target?.[0].map((t) => t.id)).toEqual([0, ...gen.generated.slice(0, -1)]);
    const viaRun = await model.run({ source: gen.source }, { maxNewTokens: gen.max_new_tokens });
    expectSitesMatch(viaRun, "bart_split", gen.sites);
    await model.release();
  });
});

describe("an encoder-decoder in one file (decoder_input_ids)", () => {
  it("runs source + target text and generates, filling all four inputs by name", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "attnlens-s2s-"));
    copyFileSync(path.join(FIXTURES, "bart_like", "model.onnx"), path.join(dir, "model.onnx"));
    for (const f of ["tokenizer.json", "tokenizer_config.json", "config.json"])
      copyFileSync(real(`bart_split/${f}`), path.join(dir, f));
    const model = await loadModel(dir, { providers: ["cpu"] });
    expect(model.family).toBe("encoder-decoder");
    expect(model.inputs.map((i) => i.name)).toEqual([
      "input_ids",
      "attention_mask",
      "decoder_input_ids",
      "decoder_attention_mask",
    ]);
    const result = await model.run({ source: teacher.source, target: teacher.target });
    expect(result.sites.map((s) => s.id)).toEqual(SITES);
    expect(texts(result.tokens?.target)[0].slice(0, teacher.target_tokens[0].length)).toEqual(teacher.target_tokens[0]);
    const generated = await model.generate("the cat sat", { maxNewTokens: 4 });
    for (const site of generated.sites) expectRowsSumToOne(site);
    expect(generated.sites.find((s) => s.id === "decoder.cross.1")?.dims.slice(2)).toEqual([
      generated.generated.ids[0].length,
      4,
    ]);
    await model.release();
  });
});
