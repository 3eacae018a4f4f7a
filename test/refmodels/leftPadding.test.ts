/**
 * Causal decoders on left-padded batches, the way generate() batches them (refmodels/cases/decoders.py):
 * a sample's real tokens must give the same answers whether it is padded on the left or run alone.
 * The padded query rows in front hold whatever a fully masked row gives (uniform weight in BLOOM and OPT
 * exports, NaN in Llama's), and nothing attnlens reports may read them: not the causal flag, on the host
 * or in the graph, nor the metrics, patterns, rollout, flow or norm-based attention.
 */
import { readdirSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { analyzeResult } from "../../kernel-lib/src/analysis/metrics/analyze";
import { attentionFlow } from "../../kernel-lib/src/analysis/metrics/flow";
import { rollout } from "../../kernel-lib/src/analysis/metrics/rollout";
import type { AttentionResult } from "../../kernel-lib/src/result/types";
import type { AttentionModel } from "../../kernel-lib/src/run/attentionModel";
import { openModel } from "../../kernel-lib/src/run/openModel";
import { onnxPath, REFMODELS, type RefCase, refCase, refFeeds } from "./refModels";

const RUN = "left_padded";
const FILE = "model.onnx";
const CLOSE = 1e-5;

/** Single-file decoder cases with a left-padded run whose caches start empty. */
const cases = readdirSync(REFMODELS)
  .filter((d) => !d.endsWith(".tmp"))
  .map(refCase)
  .filter(
    (c) =>
      c.expect_error == null &&
      c.files.length === 1 &&
      c.files[0] === FILE &&
      (c.expected_sites[FILE] ?? []).every((id) => id.startsWith("decoder.self")) &&
      c.runs.some((r) => r.name === RUN),
  );

type Feeds = Record<string, ort.Tensor>;

/** Sample b of a batch, its first `drop` positions cut off; empty caches keep their zero length. */
function sample(feeds: Feeds, b: number, drop: number): Feeds {
  const out: Feeds = {};
  for (const [name, t] of Object.entries(feeds)) {
    if (t.dims.length !== 2) {
      expect(t.size, `${name} is an empty cache`).toBe(0);
      out[name] = new ort.Tensor(t.type, new Float32Array(0), [1, ...t.dims.slice(1)]);
      continue;
    }
    const w = t.dims[1];
    const data = t.data as BigInt64Array | Int32Array;
    out[name] = new ort.Tensor(t.type, data.slice(b * w + drop, (b + 1) * w), [1, w - drop]);
  }
  return out;
}

function paddingOf(feeds: Feeds, b: number): number {
  const m = feeds.attention_mask;
  const w = m.dims[1];
  const row = Array.from(m.data as BigInt64Array, Number).slice(b * w, (b + 1) * w);
  return row.indexOf(1);
}

/** The last n entries of each of `rows` rows of `width` (the real block of a left-padded row). */
function tails(data: Float32Array, width: number, n: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < data.length / width; r++) out.push(...data.slice(r * width + width - n, (r + 1) * width));
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  let d = 0;
  for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
  expect(d, what).toBeLessThanOrEqual(CLOSE);
}

/** Every number in a value (objects in key order); null, an undefined metric, as NaN. */
function numbers(x: unknown): number[] {
  if (x === null) return [Number.NaN];
  if (typeof x === "number") return [x];
  if (typeof x === "object") return Object.values(x as object).flatMap(numbers);
  return [];
}

interface SiteSummary {
  id: string;
  causal: boolean;
  patterns?: string[];
  /** Per head, the numbers compared. */
  heads: unknown[];
}

function summary(r: AttentionResult, weighting: "attention" | "norm" = "attention"): SiteSummary[] {
  return analyzeResult(r, { weighting }).sites.map((s) => ({
    id: s.site.id,
    causal: s.site.causal,
    patterns: s.patterns.map((p) => p.label),
    heads: s.heads.map(({ head: _, ...metrics }) => metrics),
  }));
}

function expectSameSites(got: SiteSummary[], want: SiteSummary[], what: string): void {
  expect(
    got.map(({ heads: _, ...s }) => s),
    what,
  ).toEqual(want.map(({ heads: _, ...s }) => s));
  const [a, b] = [numbers(got.map((s) => s.heads)), numbers(want.map((s) => s.heads))];
  expect(a.map(Number.isNaN), `${what}: the same values defined`).toEqual(b.map(Number.isNaN));
  const zeroNaN = (v: number[]) => v.map((x) => (Number.isNaN(x) ? 0 : x));
  expectClose(zeroNaN(a), zeroNaN(b), what);
}

describe.each(cases.map((c) => [c.case, c] as [string, RefCase]))("left padding: %s", (_, c) => {
  const run = c.runs.find((r) => r.name === RUN)!;
  const feeds = refFeeds(c, run, FILE);
  const batch = feeds.input_ids.dims[0];
  const padded = [...Array(batch).keys()].filter((b) => paddingOf(feeds, b) > 0);
  let model: AttentionModel;

  it("the batch has left-padded samples, and every self site reads causal, on the host and in the graph", async () => {
    expect(padded.length, "a sample with padding in front").toBeGreaterThan(0);
    model = await openModel(onnxPath(c, FILE), { providers: ["cpu"], inGraphMetrics: true, valueNorms: true });
    const result = await model.run(feeds);
    for (const s of result.sites) {
      expect(s.causal, `${s.id} causal`).toBe(true);
      // A head count known before the run is the map's (GQA: the query's heads, not the keys').
      const site = model.sites.find((x) => x.id === s.id)!;
      if (site.heads > 0) expect(site.heads, `${s.id} static heads`).toBe(s.dims[1]);
    }
    const measured = await model.measure(feeds);
    expect(measured.sites.map((s) => s.site.causal)).toEqual(result.sites.map(() => true));
  });

  it("each padded sample's metrics, patterns, rollout, flow and norm-based metrics equal the sample run alone", async () => {
    for (const b of padded) {
      const pad = paddingOf(feeds, b);
      const withPad = await model.run(sample(feeds, b, 0));
      const alone = await model.run(sample(feeds, b, pad));
      const n = alone.sites[0].dims[3];
      const what = `${c.case} sample ${b}`;
      expectSameSites(summary(withPad), summary(alone), `${what} metrics and patterns`);
      expectSameSites(summary(withPad, "norm"), summary(alone, "norm"), `${what} norm-based metrics`);
      // Rollout and flow rows of the real tokens: the real block of the padded [T, T] map.
      const width = withPad.sites[0].dims[3];
      const realRows = (d: Float32Array) => tails(d.slice(pad * width), width, n);
      expectClose(realRows(rollout(withPad).data), rollout(alone).data, `${what} rollout`);
      expectClose(realRows(attentionFlow(withPad).data), attentionFlow(alone).data, `${what} flow`);
      // In-graph metrics: the same numbers as the sample alone.
      const [mp, ma] = [await model.measure(sample(feeds, b, 0)), await model.measure(sample(feeds, b, pad))];
      const measured = (m: typeof mp) =>
        m.sites.map((s) => ({ id: s.site.id, causal: s.site.causal, heads: s.heads.map(({ head: _, ...h }) => h) }));
      expectSameSites(measured(mp), measured(ma), `${what} in-graph metrics`);
    }
    await model.release();
  });
});
