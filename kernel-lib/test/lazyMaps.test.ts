/**
 * Lazy maps on the reference exports (refmodels): every site's rows() and random tiles from a
 * `maps: "lazy"` model equal the same model's full run() maps (which refmodelsMatrix checks
 * against transformers' own) within 1e-5; fused ops stay fused in the lazy graph.
 */
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { caseFiles, refCase, refFeeds } from "../../test/refmodels/refModels";
import { decodeModel } from "../src/graph/onnx/decode";
import { attentionGraphOf } from "../src/graph/surgery/attentionGraph";
import type { LazyResult } from "../src/result/lazy";
import type { AttentionResult } from "../src/result/types";
import { openModel } from "../src/run/openModel";
import { seededRandom } from "../src/util/random";

const TOLERANCE = 1e-5;
const CASES = [
  "bert",
  "gpt2",
  "llama",
  "mistral",
  "bloom",
  "t5",
  "deberta-v2",
  "minilm-fused-attention",
  "minilm-fused-mha",
  "gpt2-kv",
  "gpt2-merged",
  "qwen2",
  "gemma2",
  "marian",
  "bert-dynamo-opset23",
  "minilm-int8",
];
/** Sites expected held full, with what their reason must say. */
const FULL: Record<string, RegExp> = { "deberta-v2": /score bias .* computed from a MatMul of activations/ };

/** max |Δ| where both are numbers; rows that are NaN in both (fully masked padding) count as equal. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    const d = Math.abs(a[i] - b[i]);
    m = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(m, d);
  }
  return m;
}

/** One sample's rows [r0, r1) of the listed heads, cut from a full [B, H, T, S] map. */
function cut(
  full: AttentionResult["sites"][number],
  b: number,
  heads: number[],
  r0: number,
  r1: number,
  c0 = 0,
  c1?: number,
) {
  const [, h, t, s] = full.dims;
  const end = c1 ?? s;
  const out: number[] = [];
  for (const hi of heads)
    for (let r = r0; r < r1; r++) for (let c = c0; c < end; c++) out.push(full.data[((b * h + hi) * t + r) * s + c]);
  return out;
}

const toRelease: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const r of toRelease) await r();
});

describe.each(CASES)("lazy maps: %s", (name) => {
  const c = refCase(name);
  for (const file of caseFiles(c)) {
    const p = path.join(c.dir, "onnx", file);
    it(`${file}: rows and tiles equal run()'s maps`, async () => {
      const full = await openModel(p, { providers: ["cpu"] });
      const lazy = await openModel(p, { providers: ["cpu"], maps: "lazy" });
      toRelease.push(
        () => full.release(),
        () => lazy.release(),
      );
      const random = seededRandom(7);
      for (const run of c.runs.filter((r) => r.feeds[file])) {
        const feeds = refFeeds(c, run, file);
        const want = await full.run(feeds);
        const got: LazyResult = await lazy.runLazy(feeds);
        expect(got.sites.map((s) => s.id)).toEqual(want.sites.map((s) => s.id));
        for (const site of got.sites) {
          const ref = want.sites.find((s) => s.id === site.id) as AttentionResult["sites"][number];
          expect(site.dims).toEqual(ref.dims);
          if (FULL[name]) expect(site.reason).toMatch(FULL[name]);
          else expect(site.mode, `${site.id}: ${site.reason}`).toBe("lazy");
          const [b, h, t, s] = site.dims;
          const heads = Array.from({ length: h }, (_, i) => i);
          for (let bi = 0; bi < b; bi++) {
            const block = await got.rows(site.id, bi, [0, t]);
            expect(maxDiff(block.data, cut(ref, bi, heads, 0, t)), `${site.id} batch ${bi}`).toBeLessThanOrEqual(
              TOLERANCE,
            );
          }
          for (let k = 0; k < 3; k++) {
            const [r0, c0] = [Math.floor(random() * t), Math.floor(random() * s)];
            const [r1, c1] = [r0 + 1 + Math.floor(random() * (t - r0)), c0 + 1 + Math.floor(random() * (s - c0))];
            const [bi, hi] = [Math.floor(random() * b), Math.floor(random() * h)];
            const tile = await got.tile({ site: site.id, batch: bi, head: hi, rows: [r0, r1], cols: [c0, c1] });
            expect(maxDiff(tile.data, cut(ref, bi, [hi], r0, r1, c0, c1))).toBeLessThanOrEqual(TOLERANCE);
          }
        }
        expect(got.fullBytes).toBe(want.sites.reduce((n, s) => n + s.data.byteLength, 0));
        await got.release();
      }
    });
  }
});

describe("lazy graphs of fused exports keep the fused op", () => {
  it.each(["minilm-fused-attention", "minilm-fused-mha"])("%s: no Softmax, the fused nodes still there", (name) => {
    const c = refCase(name);
    const graph = attentionGraphOf(path.join(c.dir, "onnx", "model.onnx"), { maps: "lazy" });
    const nodes = decodeModel(graph.bytes).graph.nodes;
    expect(nodes.filter((n) => n.opType === "Softmax")).toEqual([]);
    expect(nodes.filter((n) => n.opType === "Attention" || n.opType === "MultiHeadAttention").length).toBe(
      graph.sites.length,
    );
    expect(graph.capture?.sites.every((s) => s.mode === "lazy")).toBe(true);
  });
});
