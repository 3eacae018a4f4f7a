/**
 * Norm-based attention on grouped-query decoders (Llama, Mistral, Qwen2, Gemma) and DeBERTa-v2: ‖v_j W_O^h‖ per head
 * and source equals the one transformers' modules give (refmodels/cases/decoders.py records it from
 * v_proj, repeated over each key/value head's query heads, and o_proj's weight). Compared on real
 * sources: a padded token's value after the first layer comes from its own masked row, noise in both.
 * DeBERTa-v2 (disentangled attention, heads folded into the batch by run-time sizes) is compared the
 * same way; torch's dynamo export (the opset-23 Attention op) against optimum's of the same weights.
 */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openModel } from "../../kernel-lib/src/run/openModel";
import { onnxPath, REFMODELS, refCase, refFeeds } from "./refModels";

const FILE = "model.onnx";

const cases = readdirSync(REFMODELS)
  .filter((d) => !d.endsWith(".tmp"))
  .map(refCase)
  .filter((c) => c.runs.some((r) => r.extra.value_norms));

describe.each(cases.map((c) => [c.case, c] as const))("value norms: %s", (_, c) => {
  it("equal the norms of transformers' own value and output projections, per head and source", async () => {
    const model = await openModel(onnxPath(c, FILE), { providers: ["cpu"], valueNorms: true });
    for (const run of c.runs.filter((r) => r.extra.value_norms)) {
      const want = run.extra.value_norms as number[][][][]; // [layer][batch][head][source]
      const feeds = refFeeds(c, run, FILE);
      const mask = Array.from(feeds.attention_mask.data as BigInt64Array, Number);
      const result = await model.run(feeds);
      expect(result.valueNorms?.map((n) => n.kind)).toEqual(want.map(() => "transformed"));
      for (const [layer, w] of want.entries()) {
        const got = result.valueNorms![layer];
        const flat = w.flat(2);
        expect(got.dims).toEqual([w.length, w[0].length, w[0][0].length]);
        let rel = 0;
        const [B, H, S] = got.dims;
        for (let i = 0; i < flat.length; i++) {
          const b = Math.floor(i / (H * S));
          if (mask[b * S + (i % S)]) rel = Math.max(rel, Math.abs(got.data[i] - flat[i]) / flat[i]);
        }
        expect(B * H * S).toBe(flat.length);
        expect(rel, `${c.case} layer ${layer}: max relative |Δ|`).toBeLessThanOrEqual(1e-5);
      }
    }
    await model.release();
  });
});

describe("torch's dynamo export (the opset-23 Attention op, decomposed by attnlens)", () => {
  it("gives the value norms of optimum's export of the same weights, on the same feeds", async () => {
    const dynamo = refCase("bert-dynamo-opset23");
    const optimum = refCase("bert");
    const a = await openModel(onnxPath(dynamo, FILE), { providers: ["cpu"], valueNorms: true });
    const b = await openModel(onnxPath(optimum, FILE), { providers: ["cpu"], valueNorms: true });
    try {
      for (const [k, run] of dynamo.runs.entries()) {
        const got = await a.run(refFeeds(dynamo, run, FILE));
        const want = await b.run(refFeeds(optimum, optimum.runs[k], FILE));
        expect(got.valueNormsMissing).toBeUndefined();
        expect(got.valueNorms?.map((n) => n.kind)).toEqual(["transformed", "transformed"]);
        got.valueNorms?.forEach((n, layer) => {
          const w = want.valueNorms?.[layer] as (typeof got.valueNorms)[number];
          expect(n.dims).toEqual(w.dims);
          n.data.forEach((v, i) =>
            expect(Math.abs(v - w.data[i]), `${run.name} layer ${layer} [${i}]`).toBeLessThan(1e-5),
          );
        });
      }
    } finally {
      await a.release();
      await b.release();
    }
  });
});
