/**
 * Image input for vision models, against transformers' own image processors (Pillow underneath) on real
 * PNG and JPEG files written by Pillow in this test, and run end to end on the harness's ViT / CLIP / Swin
 * exports (.cache/refmodels, built by `.venv/bin/python -m refmodels build --only vit,clip,swin`).
 *
 * Differences are measured in 8-bit levels (|Δ| · 255 · std: one level of the input image). Measured with
 * Pillow 13.0 (printed by this test): PNG → pixel_values equal the Python processor's exactly, except
 * where Pillow runs the vertical pass first (it picks the order itself, e.g. for a 29×61 → 32×32
 * bilinear resize): then some pixels differ by one level (max 1, mean 0.2); attnlens always runs the
 * horizontal pass first. JPEG also differs by the decoder (jpeg-js vs libjpeg's IDCT and chroma
 * upsampling) on these noisy pictures: max 15 (ViT, bilinear) to 27 (CLIP, bicubic) levels, mean 1.6–2.9.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPython } from "../../test/pythonEnv";
import { loadModel } from "../src";
import { decodeImage } from "../src/image/decode";
import { preprocessImage } from "../src/image/preprocess";
import { readImageProcessor } from "../src/image/runImage";
import { windowLabels } from "../src/image/windows";
import { decodeNpy } from "../src/output/files/npy";
import { failure } from "./expectError";

const REFMODELS = path.resolve(__dirname, "..", "..", ".cache", "refmodels");
function caseDir(name: string): string {
  const dir = path.join(REFMODELS, name, "onnx");
  if (!existsSync(dir)) throw new Error(`no ${dir}: run .venv/bin/python -m refmodels build --only ${name}`);
  return dir;
}

// Pillow writes the images (real encoders), then the Python processors make the reference pixel_values.
const PYTHON = `
import sys, numpy as np
from PIL import Image
from transformers import AutoImageProcessor
out, vit, clip = sys.argv[1:4]
rng = np.random.default_rng(7)
def picture(w, h, alpha=False):
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 / w, y * 255 / h, (x + y) * 127 / (w + h) + 60], -1)
    img = np.clip(base + rng.normal(0, 25, base.shape), 0, 255).astype(np.uint8)
    if alpha:
        img = np.concatenate([img, rng.integers(0, 256, (h, w, 1), dtype=np.uint8)], -1)
    return Image.fromarray(img)
files = {"wide.png": picture(53, 37), "tall_rgba.png": picture(29, 61, alpha=True), "photo.jpg": picture(70, 45),
         "small.png": picture(12, 20)}
for name, img in files.items():
    img.save(f"{out}/{name}", quality=90) if name.endswith(".jpg") else img.save(f"{out}/{name}")
for tag, d in (("vit", vit), ("clip", clip)):
    proc = AutoImageProcessor.from_pretrained(d, use_fast=False)
    for name in files:
        img = Image.open(f"{out}/{name}").convert("RGB")
        pv = proc(images=img, return_tensors="np")["pixel_values"].astype(np.float32)
        np.save(f"{out}/{tag}_{name}.npy", pv)
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "attnlens-image-"));
  runPython(PYTHON, [dir, caseDir("vit"), caseDir("clip")]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** max and mean |a − b|; with `std` (per channel of [*, 3, H, W]), in 8-bit levels of the input image. */
function diff(a: Float32Array, b: Float32Array, std?: number[]): { max: number; mean: number } {
  expect(a.length).toBe(b.length);
  const plane = a.length / 3;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) * (std ? 255 * std[Math.floor(i / plane) % 3] : 1);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

describe.each(["vit", "clip"])("%s image processor", (tag) => {
  it.each(["wide.png", "tall_rgba.png", "small.png"])(
    "PNG %s: pixel_values equal the Python processor's (±1 level)",
    (file) => {
      const config = readImageProcessor(caseDir(tag));
      expect(config).not.toBeNull();
      const got = preprocessImage(decodeImage(readFileSync(path.join(dir, file))), config!);
      const want = decodeNpy(readFileSync(path.join(dir, `${tag}_${file}.npy`)));
      expect([1, 3, got.height, got.width]).toEqual(want.shape);
      const d = diff(got.data, want.data, config!.normalize!.std);
      console.log(`${tag} ${file}: max |Δ| ${d.max.toFixed(3)} levels, mean ${d.mean.toFixed(3)}`);
      expect(d.max).toBeLessThanOrEqual(1.001);
      expect(d.mean).toBeLessThanOrEqual(0.25);
    },
  );

  it("JPEG: pixel_values within the decoders' difference of the Python processor's", () => {
    const config = readImageProcessor(caseDir(tag))!;
    const got = preprocessImage(decodeImage(readFileSync(path.join(dir, "photo.jpg"))), config);
    const want = decodeNpy(readFileSync(path.join(dir, `${tag}_photo.jpg.npy`)));
    const d = diff(got.data, want.data, config.normalize!.std);
    console.log(`${tag} photo.jpg: max |Δ| ${d.max.toFixed(3)} levels, mean ${d.mean.toFixed(3)}`);
    expect(d.max).toBeLessThanOrEqual(32);
    expect(d.mean).toBeLessThanOrEqual(4);
  });
});

describe("run() with an image", () => {
  it("ViT: an image file gives the maps of the Python processor's pixel_values, patches labelled", async () => {
    const model = await loadModel(caseDir("vit"), { providers: ["cpu"] });
    const fromFile = await model.run({ image: path.join(dir, "wide.png") });
    const npy = decodeNpy(readFileSync(path.join(dir, "vit_wide.png.npy")));
    const fromPython = await model.run({ pixel_values: npy.data, dims: npy.shape });
    expect(fromFile.sites.map((s) => s.dims)).toEqual([
      [1, 4, 17, 17],
      [1, 4, 17, 17],
    ]);
    for (const [i, s] of fromFile.sites.entries())
      expect(diff(s.data, fromPython.sites[i].data).max).toBeLessThan(1e-5);
    const text = fromFile.tokens?.source?.[0].map((t) => t.text);
    expect(text?.slice(0, 3)).toEqual(["[CLS]", "patch (0, 0)", "patch (0, 1)"]);
    expect(text?.[16]).toBe("patch (3, 3)");
    expect(fromFile.image).toMatchObject({ rows: 4, cols: 4, prefix: 1, patch: 8, window: null });
    expect(fromFile.image?.pictures[0]).toMatchObject({ width: 32, height: 32 });
    await model.release();
  });

  it("ViT: nested arrays are read as [batch][channel][row][col]", async () => {
    const model = await loadModel(caseDir("vit"), { providers: ["cpu"] });
    const npy = decodeNpy(readFileSync(path.join(dir, "vit_small.png.npy")));
    const nested = [
      [0, 1, 2].map((c) =>
        Array.from({ length: 32 }, (_, y) => Array.from(npy.data.subarray((c * 32 + y) * 32, (c * 32 + y + 1) * 32))),
      ),
    ];
    const a = await model.run({ pixel_values: nested });
    const b = await model.run({ pixel_values: npy.data, dims: npy.shape });
    expect(diff(a.sites[1].data, b.sites[1].data).max).toBe(0);
    await model.release();
  });

  it("CLIP: image and text feed both towers; vision sites alone get patch tokens", async () => {
    const model = await loadModel(caseDir("clip"), { providers: ["cpu"] });
    const e = await failure(model.run({ image: path.join(dir, "wide.png") }));
    expect(e.code).toBe("BAD_INPUT");
    expect(e.message).toContain("also has a text tower (inputs input_ids, attention_mask): pass { image, text }");
    const both = await model.run({ image: path.join(dir, "wide.png"), text: ["w5 w7 w9", "w4"] });
    // encoder.self.0-1: vision tower (1 image, [CLS] + 16 patches); 2-3: text tower (2 texts, 5 tokens, causal).
    expect(both.sites.map((s) => [s.id, s.dims, s.causal])).toEqual([
      ["encoder.self.0", [1, 4, 17, 17], false],
      ["encoder.self.1", [1, 4, 17, 17], false],
      ["encoder.self.2", [2, 4, 5, 5], true],
      ["encoder.self.3", [2, 4, 5, 5], true],
    ]);
    expect(both.tokens).toBeUndefined(); // two towers, two lengths: no one token axis
    expect(both.image).toMatchObject({ rows: 4, cols: 4, prefix: 1 });
    const vision = await model.run(
      { image: path.join(dir, "wide.png"), text: "w5" },
      { sites: ["encoder.self.0", "encoder.self.1"] },
    );
    expect(vision.sites.map((s) => s.id)).toEqual(["encoder.self.0", "encoder.self.1"]);
    expect(vision.tokens?.source?.[0][0].text).toBe("[CLS]");
    expect(vision.tokens?.source?.[0][16].text).toBe("patch (3, 3)");
    for (const [i, s] of vision.sites.entries()) expect(diff(s.data, both.sites[i].data).max).toBe(0);
    await model.release();
  });

  it("Swin: per-window maps, the grid and window size reported", async () => {
    const model = await loadModel(caseDir("swin"), { providers: ["cpu"] });
    const r = await model.run({ image: [path.join(dir, "wide.png"), path.join(dir, "photo.jpg")] });
    // 8×8 patches in 4×4 windows: 4 windows per image in stage 1, 1 in stage 2 (2×2 merged patches of 4×4).
    expect(r.sites.map((s) => s.dims[0])).toEqual([8, 8, 2, 2]);
    expect(r.image).toMatchObject({ rows: 8, cols: 8, prefix: 0, window: 4 });
    expect(r.tokens).toBeUndefined();
    await model.release();
  });

  it("wrong pixel_values: one error naming the expected shape", async () => {
    const model = await loadModel(caseDir("vit"), { providers: ["cpu"] });
    const want = "[batch, 3, 32, 32] (float32, channels first)";
    const cases: [unknown, string][] = [
      [{ pixel_values: new Float32Array(2 * 3 * 16 * 16), dims: [2, 3, 16, 16] }, "got [2, 3, 16, 16]"],
      [{ pixel_values: new Float32Array(32 * 32 * 3), dims: [1, 32, 32, 3] }, "channels last?"],
      [{ pixel_values: new Float32Array(10), dims: [1, 3, 32, 32] }, "the array 10"],
      [{ pixel_values: new Float32Array(3 * 32 * 32) }, "needs dims"],
      [{ pixel_values: [[[1, 2], [3]]] }, "ragged arrays"],
    ];
    for (const [input, detail] of cases) {
      const e = await failure(model.run(input as never));
      expect(e.code).toBe("BAD_INPUT");
      expect(e.message).toContain(want);
      expect(e.message).toContain(detail);
    }
    const bad = path.join(dir, "not-an-image.png");
    writeFileSync(bad, "hello");
    const e = await failure(model.run({ image: bad }));
    expect(e.message).toMatch(/neither PNG nor JPEG/);
    await model.release();
  });
});

// transformers' own partition of a grid of patch numbers (1-based; 0 = padding), block by block.
const SWIN_WINDOWS = `
import json, sys, torch
from transformers import SwinConfig, SwinModel
from transformers.models.swin.modeling_swin import window_partition
cfg = SwinConfig(**json.loads(sys.argv[1]))
model = SwinModel(cfg).eval()
with torch.no_grad():
    model(pixel_values=torch.zeros(1, 3, cfg.image_size, cfg.image_size))  # sets each block's shift and window
out = []
for stage in model.encoder.layers:
    for block in stage.blocks:
        h, w = block.input_resolution
        idx = torch.arange(1, h * w + 1, dtype=torch.float32).view(1, h, w, 1)
        idx, _ = block.maybe_pad(idx, h, w)
        if block.shift_size > 0:
            idx = torch.roll(idx, shifts=(-block.shift_size, -block.shift_size), dims=(1, 2))
        ws = int(block.window_size)
        out.append({"w": w, "windows": window_partition(idx, ws).view(-1, ws * ws).long().tolist()})
print(json.dumps(out))
`;

describe("Swin window labels", () => {
  it.each([
    [
      "the harness's Swin (8×8 patches, window 4)",
      { image_size: 32, patch_size: 4, depths: [2, 2], num_heads: [2, 4], window_size: 4, embed_dim: 16 },
    ],
    [
      "padded, shifted stages (12×12 patches, window 5)",
      { image_size: 48, patch_size: 4, depths: [2, 2], num_heads: [1, 1], window_size: 5, embed_dim: 8 },
    ],
  ])("%s: every window position is the patch transformers puts there", (_, cfg) => {
    const blocks = JSON.parse(runPython(SWIN_WINDOWS, [JSON.stringify(cfg)])) as { w: number; windows: number[][] }[];
    const grid = cfg.image_size / cfg.patch_size;
    const layout = {
      rows: grid,
      cols: grid,
      prefix: 0,
      patch: cfg.patch_size,
      window: cfg.window_size,
      depths: cfg.depths,
      pictures: [],
    };
    expect(blocks).toHaveLength(cfg.depths.reduce((a, b) => a + b, 0));
    for (const [layer, want] of blocks.entries()) {
      const got = windowLabels(layout, { id: `encoder.self.${layer}`, layer });
      const prefix = got.stage === 0 ? "" : `stage ${got.stage} `;
      const names = want.windows.map((win) =>
        win.map((k) => (k === 0 ? "pad" : `${prefix}patch (${Math.floor((k - 1) / want.w)}, ${(k - 1) % want.w})`)),
      );
      expect(got.labels, `block ${layer}`).toEqual(names);
    }
  });

  it("the Swin export's per-window maps have as many windows per image as the labels", async () => {
    const model = await loadModel(caseDir("swin"), { providers: ["cpu"] });
    const r = await model.run({ image: [path.join(dir, "wide.png"), path.join(dir, "photo.jpg")] });
    for (const site of r.sites) {
      const w = windowLabels(r.image!, site);
      expect(site.dims[0]).toBe(2 * w.windows);
      expect(site.dims[2]).toBe(w.window * w.window);
    }
    expect(windowLabels(r.image!, r.sites[1]).shift).toBe(2);
    await model.release();
  });
});
