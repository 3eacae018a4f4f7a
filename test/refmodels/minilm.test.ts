/**
 * The pretrained all-MiniLM-L6-v2 (refmodels/cases/pretrained.py), opened as a user opens an export:
 * `loadModel(dir).run(text)`. The tokens are the Python tokenizer's; the fp32 export's maps are
 * transformers' own; the quantized and fused exports stay within the distance from fp32 that
 * docs/real-models.md states (measured there, asserted here with the same bounds).
 */
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../kernel-lib/src/load/loadModel";
import type { AttentionResult } from "../../kernel-lib/src/result/types";
import { type MapDistance, mapDistance, worstDistance } from "./mapDistance";
import { maxDiffOnQueries, type RefCase, refCase, refFeeds, refMap } from "./refModels";

interface Extra {
  texts: { source: string[]; pair: (string | null)[] };
  tokens: { ids: number[]; strings: string[] }[];
}

const FP32 = "minilm-fp32";

/** Worst layer's distance from the fp32 export, per variant (docs/real-models.md, "Distance from fp32"). */
const BOUNDS: Record<string, Pick<MapDistance, "maxAbs" | "meanAbs" | "meanJs">> = {
  "minilm-int8": { maxAbs: 0.6, meanAbs: 5e-3, meanJs: 0.04 },
  "minilm-fused-attention": { maxAbs: 1e-5, meanAbs: 1e-7, meanJs: 1e-9 },
  "minilm-fused-mha": { maxAbs: 1e-5, meanAbs: 1e-7, meanJs: 1e-9 },
  "minilm-fused-int8": { maxAbs: 0.6, meanAbs: 5e-3, meanJs: 0.04 },
};

const results = new Map<string, AttentionResult>();
const dirOf = (c: RefCase) => path.join(c.dir, "onnx");

async function runCase(name: string): Promise<AttentionResult> {
  const c = refCase(name);
  const extra = c.runs[0].extra as unknown as Extra;
  const model = await loadModel(dirOf(c), { providers: ["cpu"] });
  try {
    return await model.run({ source: extra.texts.source, pair: extra.texts.pair });
  } finally {
    await model.release();
  }
}

beforeAll(async () => {
  for (const name of [FP32, ...Object.keys(BOUNDS)]) results.set(name, await runCase(name));
}, 120_000);
afterAll(() => results.clear());

describe("all-MiniLM-L6-v2, loadModel(dir).run(text)", () => {
  it.each([FP32, ...Object.keys(BOUNDS)])("%s: tokens are the Python tokenizer's, ids and strings", (name) => {
    const extra = refCase(name).runs[0].extra as unknown as Extra;
    const tokens = results.get(name)?.tokens?.source ?? [];
    expect(tokens).toHaveLength(extra.tokens.length);
    for (const [b, want] of extra.tokens.entries()) {
      const real = tokens[b].slice(0, want.ids.length);
      expect(real.map((t) => t.id)).toEqual(want.ids);
      expect(real.map((t) => t.text)).toEqual(want.strings);
      // the rest of the row is padding
      expect(tokens[b].slice(want.ids.length).every((t) => t.id === 0)).toBe(true);
    }
  });

  it("fp32: every layer's maps equal transformers' within 1e-4 on the real tokens", () => {
    const c = refCase(FP32);
    const run = c.runs[0];
    const got = results.get(FP32) as AttentionResult;
    expect(got.sites.map((s) => s.id)).toEqual(run.sites["model.onnx"].map((s) => s.id));
    for (const [i, want] of run.sites["model.onnx"].entries()) {
      const site = got.sites[i];
      expect(site.dims).toEqual(want.shape);
      const d = maxDiffOnQueries(site.data, refMap(c, want), site.dims, run.query_mask.encoder);
      expect(d, want.id).toBeLessThanOrEqual(1e-4);
    }
  });

  it.each([FP32, ...Object.keys(BOUNDS)])(
    "%s: the exposed graph still computes the export's own output (onnxruntime on the untouched file)",
    async (name) => {
      const c = refCase(name);
      const plain = await ort.InferenceSession.create(path.join(dirOf(c), "model.onnx"), { logSeverityLevel: 3 });
      const want = (await plain.run(refFeeds(c, c.runs[0], "model.onnx"))).last_hidden_state;
      await plain.release();
      const got = results.get(name)?.outputs?.last_hidden_state;
      expect(got?.dims).toEqual([...want.dims]);
      const a = got?.data as Float32Array;
      const b = want.data as Float32Array;
      let d = 0;
      for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
      expect(d).toBeLessThanOrEqual(1e-4);
    },
  );

  it.each(Object.keys(BOUNDS))("%s: distance from fp32 within the documented bound", (name) => {
    const fp32 = results.get(FP32) as AttentionResult;
    const got = results.get(name) as AttentionResult;
    const mask = refCase(FP32).runs[0].query_mask.encoder;
    expect(got.sites.map((s) => s.id)).toEqual(fp32.sites.map((s) => s.id));
    const d = worstDistance(got.sites.map((s, i) => mapDistance(s.data, fp32.sites[i].data, s.dims, mask)));
    console.log(
      `${name} vs fp32: max |Δ| ${d.maxAbs.toExponential(2)}, mean |Δ| ${d.meanAbs.toExponential(2)}, mean JS ${d.meanJs.toExponential(2)}, max JS ${d.maxJs.toExponential(2)}`,
    );
    const bound = BOUNDS[name];
    expect(d.maxAbs).toBeLessThanOrEqual(bound.maxAbs);
    expect(d.meanAbs).toBeLessThanOrEqual(bound.meanAbs);
    expect(d.meanJs).toBeLessThanOrEqual(bound.meanJs);
    // and it is a different graph, not the fp32 file again: int8 moves the maps, fusion keeps them
    if (name.endsWith("int8")) expect(d.maxAbs).toBeGreaterThan(1e-3);
  });
});
