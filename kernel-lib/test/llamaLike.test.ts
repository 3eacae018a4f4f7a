/**
 * The Llama-like decoder (testing/construct/llamaLike.ts) against independent references:
 * its GroupQueryAttention form and its decomposed form give the same logits in onnxruntime
 * (the fused kernel is onnxruntime's own), and both match a numpy re-implementation of
 * transformers' Llama equations (llamaReference.py) run on the same weights; openModel finds
 * one causal site per layer in either form, with layer 0's maps equal to numpy's.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { runPython } from "../../test/pythonEnv";
import { openModel } from "../src";
import { type LlamaLikeShape, llamaLikeModel } from "../src/testing";

const SHAPE: LlamaLikeShape = {
  layers: 2,
  heads: 4,
  kvHeads: 2,
  headSize: 16,
  hidden: 64,
  intermediate: 96,
  vocab: 50,
  maxPositions: 32,
  seed: 7,
};
const IDS = [3, 17, 42, 8, 8, 0, 49, 23, 5, 11, 30];
const T = IDS.length;
const dir = mkdtempSync(path.join(tmpdir(), "attnlens-llama-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function feeds(ids: readonly number[]): Record<string, ort.Tensor> {
  return {
    input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
  };
}

async function logitsOf(bytes: Uint8Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["cpu"] });
  const out = await session.run(feeds(IDS));
  await session.release();
  expect(out.logits.dims).toEqual([1, T, SHAPE.vocab]);
  return out.logits.data as Float32Array;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const gqa = llamaLikeModel({ ...SHAPE, attention: "gqa" });
const decomposed = llamaLikeModel({ ...SHAPE, attention: "decomposed" });
const gqaPath = path.join(dir, "gqa.onnx");
writeFileSync(gqaPath, gqa);
const reference = JSON.parse(
  runPython(readFileSync(path.join(__dirname, "llamaReference.py"), "utf8"), [
    gqaPath,
    JSON.stringify(SHAPE),
    JSON.stringify(IDS),
  ]),
) as {
  logits: number[];
  probs: number[];
};

describe("llamaLikeModel", () => {
  it("writes the same weights in both attention forms, and the forms agree in onnxruntime", async () => {
    const a = await logitsOf(gqa);
    const b = await logitsOf(decomposed);
    const scale = Math.max(...Array.from(a, Math.abs));
    expect(scale).toBeGreaterThan(0.1); // not a degenerate all-zero output
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-4 * scale);
  });

  it("matches a numpy re-implementation of Llama's equations (RMSNorm, RoPE, grouped KV, SwiGLU)", async () => {
    for (const bytes of [gqa, decomposed]) {
      const logits = await logitsOf(bytes);
      const scale = Math.max(...reference.logits.map(Math.abs));
      expect(maxAbsDiff(logits, reference.logits)).toBeLessThan(1e-4 * scale);
    }
  });

  it("opens in attnlens with one causal site per layer, in both forms, with numpy's maps", async () => {
    for (const bytes of [gqa, decomposed]) {
      const model = await openModel(bytes, { providers: ["cpu"] });
      try {
        expect(model.sites.map((s) => s.layer)).toEqual([0, 1]);
        const result = await model.run(feeds(IDS));
        for (const site of result.sites) {
          expect(site.dims).toEqual([1, SHAPE.heads, T, T]);
          expect(site.causal).toBe(true);
        }
        expect(maxAbsDiff(result.sites[0].data, reference.probs)).toBeLessThan(1e-5);
      } finally {
        await model.release();
      }
    }
  });

  it("refuses inconsistent head counts", () => {
    expect(() => llamaLikeModel({ ...SHAPE, kvHeads: 3 })).toThrow(/multiple of kvHeads/);
  });
});
