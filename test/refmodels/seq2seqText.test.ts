/**
 * Encoder–decoder exports end to end through loadModel: the folder optimum wrote (encoder_model.onnx +
 * decoder_model.onnx, and with past the extra decoder files) is chained encoder → decoder from text, with the
 * tokenizer the harness saved; tokens equal the Python tokenizer's and every site equals transformers' map.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../kernel-lib/src/load/loadModel";
import { maxDiffOnQueries, refCase, refMap, stackOf } from "./refModels";

interface TextExtra {
  sources: string[];
  targets: string[];
  source_tokens: string[][];
  target_tokens: string[][];
  greedy_ids: number[][];
  greedy_steps: number;
}

describe.each(["t5", "t5_with_past", "bart", "marian"])("%s through loadModel(dir).run({ source, target })", (name) => {
  it("chains encoder → decoder: tokens as Python's, maps as transformers'", async () => {
    const c = refCase(name);
    const run = c.runs[0];
    const extra = run.extra as unknown as TextExtra;
    const model = await loadModel(path.join(c.dir, "onnx"), { providers: ["cpu"] });
    expect(model.family).toBe("encoder-decoder");
    expect(model.info.files).toMatchObject({
      kind: "split",
      encoder: "encoder_model.onnx",
      decoder: "decoder_model.onnx",
    });
    const result = await model.run({ source: extra.sources, target: extra.targets });
    expect(result.tokens?.source?.map((row) => row.map((t) => t.text))).toEqual(extra.source_tokens);
    expect(result.tokens?.target?.map((row) => row.map((t) => t.text))).toEqual(extra.target_tokens);
    const want = [...run.sites["encoder_model.onnx"], ...run.sites["decoder_model.onnx"]];
    expect(result.sites.map((s) => s.id)).toEqual(want.map((s) => s.id));
    for (const [i, w] of want.entries()) {
      const got = result.sites[i];
      expect(got.dims).toEqual(w.shape);
      const d = maxDiffOnQueries(got.data, refMap(c, w), got.dims, run.query_mask[stackOf(w.id)]);
      expect(d, `${name} ${w.id}`).toBeLessThanOrEqual(c.tolerance);
    }
    await model.release();
  });

  it("without a target, generates greedily from each source as Python's arg-max loop does", async () => {
    const c = refCase(name);
    const extra = c.runs[0].extra as unknown as TextExtra;
    const model = await loadModel(path.join(c.dir, "onnx"), { providers: ["cpu"] });
    const result = await model.run({ source: extra.sources }, { maxNewTokens: extra.greedy_steps });
    expect("generated" in result && result.generated.ids).toEqual(extra.greedy_ids);
    await model.release();
  });
});
