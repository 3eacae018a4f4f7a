/**
 * Extraction against torch: for every fixture exported by torch.onnx.export, the probabilities
 * attnlens reads out of the ONNX graph equal the ones captured inside the torch modules.
 */
import { describe, expect, it } from "vitest";
import { openModel } from "../src";
import { fixtureNames, loadFixture } from "./fixtureFiles";

const names = fixtureNames();

describe.each(names)("fixture %s", (name) => {
  const fx = loadFixture(name);

  it("finds exactly the attention sites, labelled and in order", async () => {
    const model = await openModel(fx.modelPath, { providers: ["cpu"] });
    const got = model.sites.map((s) => ({ stack: s.stack, kind: s.kind, layer: s.layer, causal: s.causal }));
    const want = fx.expected.sites.map((s) => ({ stack: s.stack, kind: s.kind, layer: s.layer, causal: s.causal }));
    expect(got).toEqual(want);
    for (const [i, s] of model.sites.entries()) {
      expect(s.id).toBe(`${s.stack}.${s.kind}.${s.layer}`);
      if (s.heads) expect(s.heads).toBe(fx.expected.sites[i].heads);
    }
    await model.release();
  });

  it("returns torch's probabilities (max |Δ| ≤ 1e-5) as [B, H, T, S]", async () => {
    const model = await openModel(fx.modelPath, { providers: ["cpu"] });
    const result = await model.run(fx.feeds);
    expect(result.provider).toBe("cpu");
    expect(result.sites.length).toBe(fx.expected.sites.length);
    for (const [i, want] of fx.expected.sites.entries()) {
      const site = result.sites[i];
      expect(site.dims).toEqual(want.shape);
      expect(site.heads).toBe(want.heads);
      expect(site.causal).toBe(want.causal);
      const ref = fx.reference(want);
      expect(site.data.length).toBe(ref.length);
      let maxDiff = 0;
      for (let k = 0; k < ref.length; k++) maxDiff = Math.max(maxDiff, Math.abs(site.data[k] - ref[k]));
      expect(maxDiff, `${site.id} max |Δ|`).toBeLessThanOrEqual(1e-5);
    }
    await model.release();
  });

  it("gives the same maps on a second run, which writes into pre-allocated outputs", async () => {
    const model = await openModel(fx.modelPath, { providers: ["cpu"] });
    const first = await model.run(fx.feeds);
    const second = await model.run(fx.feeds);
    for (const [i, s] of second.sites.entries()) {
      expect(s.dims).toEqual(first.sites[i].dims);
      expect(Array.from(s.data)).toEqual(Array.from(first.sites[i].data));
    }
    await model.release();
  });

  it("keeps each result's maps its own when later runs write into the kept scratch outputs", async () => {
    const model = await openModel(fx.modelPath, { providers: ["cpu"] });
    await model.run(fx.feeds); // learns the output dims, so the next runs pre-allocate
    const earlier = await model.run(fx.feeds);
    for (const s of earlier.sites) s.data.fill(Number.NaN);
    const later = await model.run(fx.feeds);
    for (const [i, want] of fx.expected.sites.entries()) {
      expect(earlier.sites[i].data.every(Number.isNaN), `${want.layer}: earlier map untouched`).toBe(true);
      const ref = fx.reference(want);
      const got = later.sites[i].data;
      let maxDiff = 0;
      for (let k = 0; k < ref.length; k++) maxDiff = Math.max(maxDiff, Math.abs(got[k] - ref[k]));
      expect(maxDiff, `${later.sites[i].id} max |Δ|`).toBeLessThanOrEqual(1e-5);
    }
    await model.release();
  });

  it("returns torch's maps from runs on some sites between full runs (the scratch of the others kept)", async () => {
    const model = await openModel(fx.modelPath, { providers: ["cpu"] });
    await model.run(fx.feeds); // learns every output's dims
    const last = model.sites[model.sites.length - 1].id;
    const some = await model.run(fx.feeds, { sites: [last] });
    expect(some.sites.map((s) => s.id)).toEqual([last]);
    const full = await model.run(fx.feeds); // pre-allocated again for every site
    for (const [i, want] of fx.expected.sites.entries()) {
      const ref = fx.reference(want);
      const got = full.sites[i].data;
      expect(got.length).toBe(ref.length);
      let maxDiff = 0;
      for (let k = 0; k < ref.length; k++) maxDiff = Math.max(maxDiff, Math.abs(got[k] - ref[k]));
      expect(maxDiff, `${full.sites[i].id} max |Δ|`).toBeLessThanOrEqual(1e-5);
    }
    const ref = fx.reference(fx.expected.sites[fx.expected.sites.length - 1]);
    let maxDiff = 0;
    for (let k = 0; k < ref.length; k++) maxDiff = Math.max(maxDiff, Math.abs(some.sites[0].data[k] - ref[k]));
    expect(maxDiff, `${last} alone max |Δ|`).toBeLessThanOrEqual(1e-5);
    await model.release();
  });

  it("gives maps whose rows sum to 1, causal maps zero above the diagonal, padding ~0", async () => {
    const model = await openModel(fx.modelPath, { providers: ["cpu"] });
    const result = await model.run(fx.feeds);
    for (const site of result.sites) {
      const [b, h, t, s] = site.dims;
      const sourceMask = site.kind === "cross" ? result.masks.encoder : result.masks[site.stack];
      for (let m = 0; m < b * h; m++) {
        const batch = Math.floor(m / h);
        for (let i = 0; i < t; i++) {
          const row = site.data.subarray((m * t + i) * s, (m * t + i + 1) * s);
          const sum = row.reduce((a, x) => a + x, 0);
          expect(Math.abs(sum - 1)).toBeLessThan(1e-4);
          if (site.causal) for (let j = i + 1 + (s - t); j < s; j++) expect(row[j]).toBeLessThan(1e-6);
          if (sourceMask) {
            for (let j = 0; j < s; j++) if (sourceMask.data[batch * s + j] === 0) expect(row[j]).toBeLessThan(1e-6);
          }
        }
      }
    }
    await model.release();
  });
});
