/**
 * A vision run's payload and display bundle: the pictures travel as PNG data URLs that decode to the very
 * pixels the model saw, and the "patches" view's bundle carries the render options and a static picture.
 * Uses the harness's ViT export (.cache/refmodels/vit, `.venv/bin/python -m refmodels build --only vit`).
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { ATTNLENS_MIME, displayBundle, encodePayload, loadModel, showPatches } from "../src";
import { failure } from "./expectError";

const VIT = path.resolve(__dirname, "..", "..", ".cache", "refmodels", "vit", "onnx");

async function vitResult() {
  if (!existsSync(VIT)) throw new Error(`no ${VIT}: run .venv/bin/python -m refmodels build --only vit`);
  const model = await loadModel(VIT, { providers: ["cpu"] });
  // Two samples of smooth random pixel values in the normalized range.
  const dims = [2, 3, 32, 32];
  const data = Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.37) * 0.9);
  const result = await model.run({ pixel_values: data, dims });
  await model.release();
  return { result, data };
}

describe("vision payload", () => {
  it("embeds each sample's picture as a PNG whose pixels are the de-normalized pixel_values", async () => {
    const { result, data } = await vitResult();
    const payload = encodePayload(result, { metrics: false, rollout: false });
    expect(payload.image).toMatchObject({ width: 32, height: 32, rows: 4, cols: 4, prefix: 1 });
    expect(payload.image?.urls).toHaveLength(2);
    expect(payload.tokens.source?.text[0].slice(0, 2)).toEqual(["[CLS]", "patch (0, 0)"]);
    for (const b of [0, 1]) {
      const url = payload.image!.urls[b];
      const png = PNG.sync.read(Buffer.from(url.replace(/^data:image\/png;base64,/, ""), "base64"));
      // ViT's processor: x = (v/255 − 0.5)/0.5, so v = (x·0.5 + 0.5)·255, rounded.
      for (const [c, y, x] of [
        [0, 0, 0],
        [1, 5, 7],
        [2, 31, 30],
      ]) {
        const want = Math.round((data[((b * 3 + c) * 32 + y) * 32 + x] * 0.5 + 0.5) * 255);
        expect(png.data[(y * 32 + x) * 4 + c]).toBe(want);
      }
    }
    const one = encodePayload(result, { samples: [1], metrics: false, rollout: false });
    expect(one.image?.urls).toEqual([payload.image!.urls[1]]);
  });

  it("the patches view: render options name it, the static picture draws the image and the heat", async () => {
    const { result } = await vitResult();
    const bundle = await displayBundle(result, { view: "patches", metrics: false, rollout: false });
    expect(bundle.metadata[ATTNLENS_MIME]).toMatchObject({ view: "patches" });
    const svg = String(bundle.data["image/svg+xml"] ?? "");
    expect(svg).toContain("data:image/png;base64,");
    expect(svg).toContain("patch_heat");
  });

  it("showPatches refuses a result without an image", async () => {
    const { result } = await vitResult();
    const { image, ...plain } = result;
    const e = await failure(showPatches(plain));
    expect(e.code).toBe("BAD_INPUT");
    expect(e.message).toMatch(/no image/);
  });
});
