/**
 * TextModel.runLazy on reference exports loaded from their directories: the same tokens and masks
 * as run(text), and rows equal to run()'s maps within 1e-5 — a fused one-file model and T5 split
 * into encoder and decoder files (its two lazy results joined, encoder sites first).
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { refCase } from "../../test/refmodels/refModels";
import { loadModel } from "../src/load/loadModel";
import type { TextInput } from "../src/text/textInput";

const CASES: [string, TextInput][] = [
  ["minilm-fused-mha", ["Lazy maps are recomputed on demand.", "A second, longer sentence to pad the first one."]],
  ["t5", { source: ["translate English to German: The house is small."], target: ["Das Haus ist klein."] }],
];

describe.each(CASES)("runLazy(text): %s", (name, text) => {
  it("tokens, masks and every site's rows match run(text)", async () => {
    const dir = path.join(refCase(name).dir, "onnx");
    const full = await loadModel(dir, { providers: ["cpu"] });
    const lazy = await loadModel(dir, { providers: ["cpu"], maps: "lazy" });
    try {
      const want = await full.run(text);
      const got = await lazy.runLazy(text);
      expect(got.tokens).toEqual(want.tokens);
      expect(got.masks).toEqual(want.masks);
      expect(got.sites.map((s) => s.id)).toEqual(want.sites.map((s) => s.id));
      for (const site of got.sites) {
        const ref = want.sites.find((s) => s.id === site.id);
        expect(site.dims).toEqual(ref?.dims);
        const [b, h, t, s] = site.dims;
        for (let bi = 0; bi < b; bi++) {
          const block = await got.rows(site.id, bi, [0, t]);
          let worst = 0;
          for (let i = 0; i < h * t * s; i++) {
            const w = ref?.data[bi * h * t * s + i] as number;
            if (!(Number.isNaN(w) && Number.isNaN(block.data[i]))) worst = Math.max(worst, Math.abs(block.data[i] - w));
          }
          expect(worst, `${site.id} batch ${bi}`).toBeLessThanOrEqual(1e-5);
        }
      }
      await got.release();
    } finally {
      await full.release();
      await lazy.release();
    }
  });
});
