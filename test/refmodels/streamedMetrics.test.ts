/**
 * Metrics at scale on real exports: per-head metrics and rollout streamed from a RowSource, one
 * row block at a time (blocks that do not divide the 9 tokens), against analyzeResult and rollout
 * on the full maps of the same run, and the streamed metrics of transformers' own attentions
 * (output_attentions) against those of the maps attnlens extracted. BERT (right padding, token
 * pairs with segments) and GPT-2 (causal, left padding, sinks excluded).
 */
import type * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeResult } from "../../kernel-lib/src/analysis/metrics/analyze";
import { rollout } from "../../kernel-lib/src/analysis/metrics/rollout";
import type { StreamedMetricsOptions } from "../../kernel-lib/src/analysis/metrics/scale/measure";
import { measureSource } from "../../kernel-lib/src/analysis/metrics/scale/measure";
import { rolloutSource } from "../../kernel-lib/src/analysis/metrics/scale/rollout";
import { ROW_METRIC_KEYS, type SiteMetrics } from "../../kernel-lib/src/analysis/metrics/types";
import type { RowSource } from "../../kernel-lib/src/result/lazy";
import { rowSourceOf } from "../../kernel-lib/src/result/rowSource";
import type { AttentionResult, TokenInfo } from "../../kernel-lib/src/result/types";
import type { AttentionModel } from "../../kernel-lib/src/run/attentionModel";
import { openModel } from "../../kernel-lib/src/run/openModel";
import { onnxPath, refCase, refFeeds, refMap } from "./refModels";

const CLOSE = 1e-5;
const FILE = "model.onnx";

/** Tokens from the ids the model was fed: every fifth id a comma (punctuation), the rest words. */
function tokensFrom(ids: Int32Array[]): TokenInfo[][] {
  return ids.map((row) =>
    Array.from(row, (id) => ({ id, text: id % 5 === 0 ? "," : `w${id}`, word: null, special: false })),
  );
}

function expectClose(got: SiteMetrics, want: SiteMetrics, bound: number): void {
  expect(got.site.id).toBe(want.site.id);
  expect(Array.from(got.rows.sources)).toEqual(Array.from(want.rows.sources));
  let compared = 0;
  for (const key of ROW_METRIC_KEYS) {
    want.rows[key].forEach((w, r) => {
      const g = got.rows[key][r];
      if (Number.isNaN(w)) expect(g, `${key}[${r}]`).toBeNaN();
      else {
        expect(Math.abs(g - w), `${got.site.id} ${key}[${r}]`).toBeLessThanOrEqual(bound);
        compared++;
      }
    });
  }
  expect(compared).toBeGreaterThan(0);
  got.heads.forEach((h, k) => {
    expect(h.rows).toBe(want.heads[k].rows);
    expect(Math.abs(h.entropy - want.heads[k].entropy)).toBeLessThanOrEqual(bound);
    expect(Math.abs(h.distance - want.heads[k].distance)).toBeLessThanOrEqual(bound);
  });
}

const cases: { name: string; run: string; options: StreamedMetricsOptions }[] = [
  { name: "bert", run: "padded", options: { specialTokens: { cls: [58, 39], sep: [99, 33] } } },
  { name: "bert", run: "pair", options: { specialTokens: { cls: [58, 39], sep: [99, 33] } } },
  { name: "gpt2", run: "left_padded", options: { excludeSinks: true, specialTokens: { sink: [7] } } },
];

const models = new Map<string, AttentionModel>();
afterAll(async () => {
  for (const m of models.values()) await m.release();
});

async function extract(name: string, run: string): Promise<AttentionResult> {
  const c = refCase(name);
  let model = models.get(name);
  if (!model) {
    model = await openModel(onnxPath(c, FILE), { providers: ["cpu"] });
    models.set(name, model);
  }
  const feeds = refFeeds(c, c.runs.find((r) => r.name === run) ?? c.runs[0], FILE);
  const result = await model.run(feeds as Record<string, ort.Tensor>);
  const stack = name === "gpt2" ? "target" : "source";
  const ids = result.inputIds?.[name === "gpt2" ? "decoder" : "encoder"] ?? [];
  expect(ids.length).toBe(2);
  return { ...result, tokens: { [stack]: tokensFrom(ids) } };
}

/** transformers' own maps (the reference harness's .npy files) as a RowSource over the same sites. */
function referenceSource(name: string, run: string, result: AttentionResult): RowSource {
  const c = refCase(name);
  const refRun = c.runs.find((r) => r.name === run) ?? c.runs[0];
  const sites = result.sites.map((s) => {
    const ref = refRun.sites[FILE].find((r) => r.id === s.id);
    if (!ref) throw new Error(`no reference map for ${s.id}`);
    return { ...s, data: refMap(c, ref) };
  });
  return rowSourceOf({ ...result, sites });
}

describe("streamed metrics and rollout on real exports", () => {
  for (const { name, run, options } of cases) {
    it(`${name} (${run}): equal to analyzeResult and rollout on the full maps, blocks of 4 of 9 rows`, async () => {
      const result = await extract(name, run);
      const [, H, , S] = result.sites[0].dims;
      const blockBytes = 4 * H * S * 4;
      const got = await measureSource(rowSourceOf(result), result, { ...options, blockBytes });
      const want = analyzeResult(result, options);
      expect(got.sites).toHaveLength(2);
      got.sites.forEach((s, k) => expectClose(s, want.sites[k], CLOSE));
      const streamed = await rolloutSource(rowSourceOf(result), result, { blockBytes });
      const full = rollout(result);
      let d = 0;
      streamed.data.forEach((v, k) => {
        d = Math.max(d, Math.abs(v - full.data[k]));
      });
      expect(d).toBeLessThanOrEqual(CLOSE);
    });

    it(`${name} (${run}): streamed from transformers' own maps, the metrics of the extracted ones`, async () => {
      const result = await extract(name, run);
      const [, H, T, S] = result.sites[0].dims;
      const got = await measureSource(referenceSource(name, run, result), result, {
        ...options,
        blockBytes: 3 * H * S * 4,
      });
      const want = analyzeResult(result, options);
      // maps agree within the case's tolerance; a distance weighs each by at most T tokens
      const bound = refCase(name).tolerance * T;
      got.sites.forEach((s, k) => expectClose(s, want.sites[k], bound));
    });
  }
});
