/**
 * The bundled demo models (kernel-lib/models/, trained by models/train_demo_models.py) load by
 * name and reproduce the torch attention recorded in their reference.json.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { demoModelsDir, listDemoModels, loadModel } from "../src";
import type { AttentionResult } from "../src/result/types";

const DIR = demoModelsDir(); // kernel-lib/models, or $ATTNLENS_MODELS_DIR
const probe = (name: string) => JSON.parse(readFileSync(path.join(DIR, name, "reference.json"), "utf8")).probe;

/** Site `id` of sample 0 against torch's [head][query][key] (rounded to 5 decimals). */
function expectMap(result: AttentionResult, id: string, want: number[][][]) {
  const site = result.sites.find((s) => s.id === id);
  expect(site, id).toBeDefined();
  const [, h, t, s] = site?.dims ?? [0, 0, 0, 0];
  expect([h, t, s], id).toEqual([want.length, want[0].length, want[0][0].length]);
  let diff = 0;
  want.forEach((rows, head) =>
    rows.forEach((row, i) =>
      row.forEach((p, j) => {
        diff = Math.max(diff, Math.abs((site?.data[(head * t + i) * s + j] ?? 0) - p));
      }),
    ),
  );
  expect(diff, `${id} max |Δ|`).toBeLessThan(2e-5);
}

describe("bundled demo models", () => {
  it("are listed with their family, task and measured heads", () => {
    const models = listDemoModels();
    expect(models.map((m) => [m.name, m.family])).toEqual([
      ["tiny-agreement-bert", "encoder"],
      ["tiny-induction-gpt", "decoder"],
      ["tiny-reverse-encdec", "encoder-decoder"],
    ]);
    for (const m of models) expect(m.summary.length, m.name).toBeGreaterThan(20);
  });

  it("tiny-agreement-bert: loads by name, torch's attention on the probe sentence", async () => {
    const p = probe("tiny-agreement-bert");
    const model = await loadModel("tiny-agreement-bert", { providers: ["cpu"] });
    const result = await model.run(p.text);
    expect(result.tokens?.source?.[0].map((t) => t.text)).toEqual(p.tokens);
    p.attention.forEach((a: number[][][], l: number) => expectMap(result, `encoder.self.${l}`, a));
    await model.release();
  });

  it("tiny-induction-gpt: loads by name, torch's attention on the repeated sequence", async () => {
    const p = probe("tiny-induction-gpt");
    const model = await loadModel("tiny-induction-gpt", { providers: ["cpu"] });
    const result = await model.run(p.text);
    expect(result.tokens?.source?.[0].map((t) => t.id)).toEqual(p.input_ids);
    p.attention.forEach((a: number[][][], l: number) => expectMap(result, `decoder.self.${l}`, a));
    await model.release();
  });

  it("tiny-reverse-encdec: greedy generation gives torch's output and attention", async () => {
    const p = probe("tiny-reverse-encdec");
    const model = await loadModel("tiny-reverse-encdec", { providers: ["cpu"] });
    expect(model.family).toBe("encoder-decoder");
    const result = await model.generate(p.source_text, { maxNewTokens: p.generated_ids.length });
    expect(result.generated.ids[0]).toEqual(p.generated_ids.slice(0, result.generated.ids[0].length));
    expect(result.tokens?.target?.[0].map((t) => t.id)).toEqual(p.decoder_input_ids);
    p.encoder_attention.forEach((a: number[][][], l: number) => expectMap(result, `encoder.self.${l}`, a));
    p.decoder_self_attention.forEach((a: number[][][], l: number) => expectMap(result, `decoder.self.${l}`, a));
    p.cross_attention.forEach((a: number[][][], l: number) => expectMap(result, `decoder.cross.${l}`, a));
    await model.release();
  });
});
