/**
 * A long input on a constructed BERT-like encoder: run() refuses it before any allocation (naming
 * the figure, the limit and runLazy); runLazy() serves it holding far less than the maps; its
 * tiles equal the probabilities a full run of that one site returns. Bad requests fail with one
 * clear line each.
 */
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AttnlensError } from "../src";
import type { LazyResult } from "../src/result/lazy";
import type { AttentionModel } from "../src/run/attentionModel";
import { openModel } from "../src/run/openModel";
import { bertLikeModel } from "../src/testing/construct/bertLike";
import { failure } from "./expectError";

const T = 2048;
// 12 layers × 12 heads × 2048² × 4 bytes = 2.4 GB of maps (BERT-base's count): over the default 2 GiB limit.
const SHAPE = { layers: 12, heads: 12, hidden: 96, intermediate: 192, vocab: 100, maxPositions: T, seed: 3 };

function feedsOf(t: number): Record<string, ort.Tensor> {
  const ids = BigInt64Array.from({ length: t }, (_, i) => BigInt((i * 7919) % 100));
  const mask = BigInt64Array.from({ length: t }, (_, i) => (i < t - 100 ? 1n : 0n)); // padded tail
  return { input_ids: new ort.Tensor("int64", ids, [1, t]), attention_mask: new ort.Tensor("int64", mask, [1, t]) };
}

let model: AttentionModel;
let result: LazyResult;
beforeAll(async () => {
  model = await openModel(bertLikeModel(SHAPE), { providers: ["cpu"], maps: "auto" });
  result = await model.runLazy(feedsOf(T));
}, 120_000);
afterAll(async () => {
  await result?.release();
  await model?.release();
});

describe("a 2,048-token input", () => {
  it("run() refuses it before running, naming the figure, the limit and runLazy", async () => {
    const e = await failure(model.run(feedsOf(T)));
    expect(e.code).toBe("TOO_LARGE");
    expect(e.message).toMatch(/2.25 GiB of attention maps \(12 sites, batch 1\)/);
    expect(e.message).toMatch(/over the 2.00 GiB limit/);
    expect(e.message).toMatch(/runLazy/);
  });

  it("runLazy() holds a small fraction of the maps", () => {
    expect(result.fullBytes).toBe(12 * 12 * T * T * 4);
    expect(result.sites.every((s) => s.mode === "lazy")).toBe(true);
    expect(result.bytes).toBeLessThan(result.fullBytes / 100);
    expect(result.sites[0].dims).toEqual([1, 12, T, T]);
  });

  it("tiles equal the map a full run of that one site returns", async () => {
    const site = result.sites[2].id;
    const full = await model.run(feedsOf(T), { sites: [site] });
    const map = full.sites[0];
    for (const [head, r0, c0] of [
      [0, 0, 0],
      [5, 1500, 1900],
      [11, 2000, 17],
    ]) {
      const tile = await result.tile({ site, batch: 0, head, rows: [r0, r0 + 40], cols: [c0, c0 + 48] });
      let worst = 0;
      for (let r = 0; r < 40; r++)
        for (let c = 0; c < 48; c++) {
          const want = map.data[(head * T + r0 + r) * T + c0 + c];
          worst = Math.max(worst, Math.abs(tile.data[r * 48 + c] - want));
        }
      expect(worst).toBeLessThanOrEqual(1e-5);
    }
  }, 60_000);
});

describe("bad requests to a lazy result", () => {
  const oneLine = (e: AttnlensError) => expect(e.message).not.toContain("\n");

  it("an unknown site", async () => {
    const e = await failure(result.rows("encoder.self.99", 0, [0, 4]));
    expect(e.message).toMatch(/no site "encoder.self.99".*sites are: encoder.self.0/);
    oneLine(e);
  });

  it("rows out of range", async () => {
    const e = await failure(result.rows("encoder.self.0", 0, [2000, T + 1]));
    expect(e.message).toMatch(/rows \[2000, 2049\) are out of range .* 2048 target rows/);
    oneLine(e);
    oneLine(await failure(result.rows("encoder.self.0", 1, [0, 4])));
    oneLine(await failure(result.tile({ site: "encoder.self.0", batch: 0, head: 12, rows: [0, 4], cols: [0, 4] })));
    oneLine(await failure(result.tile({ site: "encoder.self.0", batch: 0, head: 0, rows: [0, 4], cols: [5, 5] })));
  });

  it("a row block whose replay would not fit", async () => {
    const small = await openModel(bertLikeModel({ ...SHAPE, maxPositions: 64 }), {
      providers: ["cpu"],
      maps: "lazy",
      maxAttentionBytes: 64 * 64 * 4 * 4,
    });
    try {
      const r = await small.runLazy(feedsOf(64));
      const e = await failure(r.rows("encoder.self.0", 0, [0, 64]));
      expect(e.code).toBe("TOO_LARGE");
      expect(e.message).toMatch(
        /rows \[0, 64\) of site encoder.self.0 would take 192 KiB, over the 64.0 KiB limit: ask for fewer rows/,
      );
      oneLine(e);
      expect((await r.rows("encoder.self.0", 0, [0, 16])).dims).toEqual([1, 12, 16, 64]);
    } finally {
      await small.release();
    }
  });

  it("a released result", async () => {
    const other = await model.runLazy(feedsOf(16));
    await other.release();
    const e = await failure(other.tile({ site: "encoder.self.0", batch: 0, head: 0, rows: [0, 4], cols: [0, 4] }));
    expect(e.message).toMatch(/released/);
    oneLine(e);
  });

  it("runLazy on a model opened without the capture, run on one opened lazy", async () => {
    const plain = await openModel(bertLikeModel({ ...SHAPE, maxPositions: 32 }), { providers: ["cpu"] });
    const lazyOnly = await openModel(bertLikeModel({ ...SHAPE, maxPositions: 32 }), {
      providers: ["cpu"],
      maps: "lazy",
    });
    try {
      expect((await failure(plain.runLazy(feedsOf(16)))).message).toMatch(/maps: "lazy"/);
      expect((await failure(lazyOnly.run(feedsOf(16)))).message).toMatch(/use runLazy/);
    } finally {
      await plain.release();
      await lazyOnly.release();
    }
  });
});
