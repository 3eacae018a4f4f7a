/**
 * A lazy session computes a decomposed export's score path one head at a time
 * (graph/lazy/perHeadScores.ts), so no Softmax in it reads a whole layer's scores. The model's own
 * outputs from that session must equal the untouched model's (plain onnxruntime on the same file,
 * same feeds) within 1e-4; lazyMaps.test.ts checks its rows against run()'s maps.
 */
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { caseFiles, refCase, refFeeds } from "../../test/refmodels/refModels";
import { decodeModel } from "../src/graph/onnx/decode";
import { attentionGraph, attentionGraphOf } from "../src/graph/surgery/attentionGraph";
import { bertLikeModel } from "../src/testing/construct/bertLike";

const TOLERANCE = 1e-4;
/** Exports whose every site's score chain is the standard one (scale, mask/bias, Softmax, ·V). */
const PER_HEAD = ["bert", "bert-sdpa", "llama", "mistral", "gemma2", "falcon", "t5", "whisper", "clip", "opt"];
/** Exports kept as exported, with what the reason must say. */
const AS_EXPORTED: Record<string, RegExp> = {
  distilbert: /also read outside the chain/,
  bloom: /Reshape between its scores and Softmax is not element-wise/,
};

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(Number(a[i]) - Number(b[i])));
  return m;
}

/** Runs both models' bytes on the same feeds and compares every output of the original. */
async function sameOutputs(original: Uint8Array | string, lazy: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const a = await ort.InferenceSession.create(original as Uint8Array, { executionProviders: ["cpu"] });
  const b = await ort.InferenceSession.create(lazy, { executionProviders: ["cpu"] });
  try {
    const want = await a.run(feeds);
    const got = await b.run(feeds, [...a.outputNames]);
    for (const name of a.outputNames) {
      const [x, y] = [want[name], got[name]];
      expect(y.dims, name).toEqual(x.dims);
      if (x.type === "float32")
        expect(maxDiff(y.data as Float32Array, x.data as Float32Array), name).toBeLessThan(TOLERANCE);
      else expect(Array.from(y.data as ArrayLike<unknown>), name).toEqual(Array.from(x.data as ArrayLike<unknown>));
    }
  } finally {
    await a.release();
    await b.release();
  }
}

describe.each(PER_HEAD)("per-head score paths: %s", (name) => {
  const c = refCase(name);
  for (const file of caseFiles(c)) {
    const p = path.join(c.dir, "onnx", file);
    it(`${file}: every Softmax is one head's, outputs equal the untouched model's`, async () => {
      const graph = attentionGraphOf(p, { maps: "lazy" });
      const lazySites = graph.capture?.sites.filter((s) => s.mode === "lazy") ?? [];
      for (const s of lazySites) expect(s.modelPath, s.site).toEqual({ perHead: true });
      const softmaxes = decodeModel(graph.bytes).graph.nodes.filter((n) => n.opType === "Softmax");
      const original = new Set(graph.sites.map((s) => s.node));
      expect(softmaxes.filter((n) => original.has(n.name))).toEqual([]);
      expect(softmaxes.every((n) => n.name.includes("/attnlens_head/"))).toBe(true);
      expect(softmaxes.length).toBe(graph.sites.reduce((n, s) => n + s.heads, 0));
      for (const run of c.runs.filter((r) => r.feeds[file])) await sameOutputs(p, graph.bytes, refFeeds(c, run, file));
    });
  }
});

describe.each(Object.keys(AS_EXPORTED))("score paths kept as exported: %s", (name) => {
  const c = refCase(name);
  const file = caseFiles(c)[0];
  const p = path.join(c.dir, "onnx", file);
  it(`${file}: the reason is named and the outputs still equal the untouched model's`, async () => {
    const graph = attentionGraphOf(p, { maps: "lazy" });
    for (const s of graph.capture?.sites ?? []) {
      expect(s.modelPath?.perHead, s.site).toBe(false);
      expect(s.modelPath && !s.modelPath.perHead && s.modelPath.reason).toMatch(AS_EXPORTED[name]);
    }
    const run = c.runs.find((r) => r.feeds[file]);
    if (run) await sameOutputs(p, graph.bytes, refFeeds(c, run, file));
  });
});

describe("a BERT-shaped decomposed export", () => {
  it("has no whole-layer Softmax in its lazy session, and the same outputs with a padded batch", async () => {
    const bytes = bertLikeModel({ layers: 2, heads: 4, hidden: 32, intermediate: 64, vocab: 50, maxPositions: 16 });
    const graph = attentionGraph(bytes, { maps: "lazy" });
    const softmaxes = decodeModel(graph.bytes).graph.nodes.filter((n) => n.opType === "Softmax");
    expect(softmaxes.length).toBe(2 * 4);
    expect(softmaxes.every((n) => n.name.includes("/attnlens_head/"))).toBe(true);
    // Two samples, the second padded: the additive mask differs per sample and broadcasts over heads.
    const ids = BigInt64Array.from({ length: 2 * 9 }, (_, i) => BigInt((i * 7) % 50));
    const mask = BigInt64Array.from({ length: 2 * 9 }, (_, i) => (i < 9 || i % 9 < 5 ? 1n : 0n));
    await sameOutputs(bytes, graph.bytes, {
      input_ids: new ort.Tensor("int64", ids, [2, 9]),
      attention_mask: new ort.Tensor("int64", mask, [2, 9]),
    });
  });
});
