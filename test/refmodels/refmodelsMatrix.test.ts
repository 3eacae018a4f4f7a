/**
 * Every harness case: attnlens on optimum's export equals transformers' own eager attentions, site by site.
 */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openModel } from "../../kernel-lib/src/run/openModel";
import { maxDiffOnQueries, onnxPath, REFMODELS, refCase, refFeeds, refMap, stackOf } from "./refModels";

const cases = readdirSync(REFMODELS).filter((d) => !d.endsWith(".tmp"));

describe.each(cases)("refmodels %s", (name) => {
  it("attnlens' maps equal transformers' on every run and site", async () => {
    const c = refCase(name);
    for (const file of Object.keys(c.expected_sites)) {
      const model = await openModel(onnxPath(c, file), { providers: ["cpu"] });
      expect(model.sites.map((s) => s.id)).toEqual(c.expected_sites[file]);
      for (const run of c.runs) {
        const result = await model.run(refFeeds(c, run, file));
        const want = run.sites[file];
        expect(result.sites.map((s) => s.id)).toEqual(want.map((s) => s.id));
        for (const [i, w] of want.entries()) {
          const got = result.sites[i];
          expect(got.dims).toEqual(w.shape);
          const d = maxDiffOnQueries(got.data, refMap(c, w), got.dims, run.query_mask[stackOf(w.id)]);
          expect(d, `${name} ${run.name} ${w.id}`).toBeLessThanOrEqual(c.tolerance);
          if (w.id.startsWith("decoder.self")) expect(got.causal, `${w.id} causal`).toBe(true);
        }
      }
    }
  });
});
