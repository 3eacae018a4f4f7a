/**
 * The three halves of long-input support meeting on real exports: a lazy run (run/lazy) measured
 * by the streamed metric pass and rollout (analysis/metrics/scale) and drawn as a tiled payload
 * (output/tiles) must give what the full run gives through analyzeResult, rollout and
 * tiledPayload — the reference is the same model's full maps, computed by onnxruntime.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { refCase, refFeeds } from "../../test/refmodels/refModels";
import { analyzeResult } from "../src/analysis/metrics/analyze";
import { rollout } from "../src/analysis/metrics/rollout";
import { measureSource } from "../src/analysis/metrics/scale/measure";
import { rolloutSource } from "../src/analysis/metrics/scale/rollout";
import { tiledPayload, tiledPayloadFrom } from "../src/output/tiles/encode";
import { openModel } from "../src/run/openModel";

/** Every run of these cases (padded batches, pairs, left padding) as the harness fed transformers. */
const CASES = ["bert", "gpt2", "llama"];

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst;
}

describe.each(CASES)("lazy run → streamed metrics, rollout and tiles: %s", (name) => {
  it("equal the full run's analyzeResult, rollout and tiled payload", async () => {
    const c = refCase(name);
    const file = "model.onnx";
    const full = await openModel(path.join(c.dir, "onnx", file), { providers: ["cpu"] });
    const lazy = await openModel(path.join(c.dir, "onnx", file), { providers: ["cpu"], maps: "lazy" });
    try {
      for (const run of c.runs) {
        const feeds = refFeeds(c, run, file);
        const want = await full.run(feeds);
        const got = await lazy.runLazy(feeds);
        // A small block budget, so every site is read in several row blocks.
        const blockBytes = 4 * 1024;
        const streamed = await measureSource(got, got, { blockBytes });
        const reference = analyzeResult(want);
        expect(streamed.sites.map((s) => s.site.id)).toEqual(reference.sites.map((s) => s.site.id));
        for (const [k, site] of streamed.sites.entries()) {
          const ref = reference.sites[k];
          expect(site.rows && ref.rows, "both passes keep per-row metrics").toBeTruthy();
          for (const key of ["entropy", "distance", "confidence", "first", "previous"] as const)
            expect(maxDiff(site.rows?.[key] ?? [], ref.rows?.[key] ?? []), `${site.site.id} ${key}`).toBeLessThan(1e-5);
          site.heads.forEach((h, i) => {
            expect(h.entropy ?? Number.NaN).toBeCloseTo(ref.heads[i].entropy ?? Number.NaN, 5);
            for (const [k, v] of Object.entries(h.mass))
              expect(v ?? -1, `${site.site.id} head ${i} ${k} mass`).toBeCloseTo(
                ref.heads[i].mass[k as keyof typeof h.mass] ?? -1,
                5,
              );
          });
        }
        const wantRollout = rollout(want);
        const gotRollout = await rolloutSource(got, got, { blockBytes });
        expect(gotRollout.dims).toEqual(wantRollout.dims);
        expect(maxDiff(gotRollout.data, wantRollout.data)).toBeLessThan(1e-5);

        // Force the long-input path on short inputs: a 4-cell overview and 4-cell tiles.
        const options = { cells: 4, tileCells: 4, metrics: false as const, maxBytes: 1 << 20 };
        const tiledFull = tiledPayload(want, options);
        const tiledLazy = await tiledPayloadFrom(got, options);
        const shape = (p: typeof tiledFull) => p.tiles?.levels.map((l) => [l.bin, l.tiles.length]);
        expect(shape(tiledFull)?.length).toBeGreaterThan(0);
        expect(shape(tiledLazy)).toEqual(shape(tiledFull));
        expect(tiledLazy.sites.map((s) => s.id)).toEqual(tiledFull.sites.map((s) => s.id));
        await got.release();
      }
    } finally {
      await full.release();
      await lazy.release();
    }
  });
});
