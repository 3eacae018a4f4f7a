/**
 * Surgery does not change what a model computes: for every torch-exported fixture, the model as
 * attnlens opens it (fused ops decomposed, sites exposed; and with in-graph metrics added) gives
 * torch's own outputs (outputN.npy) within 1e-5.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { openModel } from "../src";
import { decodeNpy } from "../src/output/files/npy";
import { toFloat32 } from "../src/result/layout";
import { fixtureNames, loadFixture } from "./fixtureFiles";

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each(fixtureNames())("fixture %s after surgery", (name) => {
  const fx = loadFixture(name);

  it.each([false, true])("gives torch's outputs (in-graph metrics: %s)", async (inGraphMetrics) => {
    expect(fx.expected.outputs.length).toBeGreaterThan(0);
    const model = await openModel(fx.modelPath, { providers: ["cpu"], inGraphMetrics });
    try {
      const result = await model.run(fx.feeds);
      for (const want of fx.expected.outputs) {
        // Outputs the model already exported as attentions (optimum style) are read as sites.
        const site = model.sites.findIndex((s) => s.output === want.name);
        const got =
          site >= 0
            ? { dims: result.sites[site].dims, data: result.sites[site].data }
            : { dims: result.outputs[want.name]?.dims, data: toFloat32(result.outputs[want.name]) };
        expect([...got.dims], want.name).toEqual(want.shape);
        const ref = decodeNpy(readFileSync(path.join(fx.dir, want.file))).data;
        expect(maxDiff(got.data, ref), `${want.name} max |Δ|`).toBeLessThanOrEqual(1e-5);
      }
    } finally {
      await model.release();
    }
  });
});
