/**
 * Value norms when the graph does not state the head count (exports that merge heads with a
 * Reshape to [B, S, -1], as transformers 5's BERT export does): the heads of W_O are then split by
 * V's shape at run time. Here planValueNorms is handed the sites with their head count hidden, and
 * the norms must still equal the numpy reference of the bert_like fixture.
 */
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { AttentionSite } from "../src/graph/sites/types";
import { openModel } from "../src/run/openModel";
import { loadFixture } from "./fixtureFiles";
import { bert, numpyNorms } from "./valueNormReference";

vi.mock("../src/graph/surgery/valueNorms", async (importOriginal) => {
  const real = await importOriginal<typeof import("../src/graph/surgery/valueNorms")>();
  return {
    ...real,
    planValueNorms: (model: Parameters<typeof real.planValueNorms>[0], sites: readonly AttentionSite[]) =>
      real.planValueNorms(
        model,
        sites.map((s) => ({ ...s, heads: 0 })),
      ),
  };
});

const tmp = mkdtempSync(path.join(os.tmpdir(), "attnlens-norms-heads-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("value norms with the head count unknown before the run", () => {
  it("split W_O by V's run-time shape and equal numpy within 1e-5", async () => {
    const fx = loadFixture("bert_like");
    const model = await openModel(fx.modelPath, { providers: ["cpu"], valueNorms: true });
    const result = await model.run(fx.feeds);
    await model.release();
    const norms = result.valueNorms ?? [];
    expect(norms.map((n) => n.kind)).toEqual(["transformed", "transformed"]);
    const ref = numpyNorms(
      fx,
      [bert(0), bert(1)],
      norms.map((n) => n.dims),
      tmp,
    );
    norms.forEach((n, i) => {
      let maxDiff = 0;
      ref[i].forEach((v, k) => {
        maxDiff = Math.max(maxDiff, Math.abs(n.data[k] - v));
      });
      expect(maxDiff, `${n.site} max |Δ|`).toBeLessThanOrEqual(1e-5);
    });
  });
});
