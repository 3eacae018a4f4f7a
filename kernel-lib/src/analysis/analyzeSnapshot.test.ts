/**
 * analyzeResult's full answer (labels, confidences, every score, mixture components, bootstrap
 * support and intervals, strips, per-head metrics, a digest of the per-row metrics) on a fixed set
 * of inputs — demo models, Dirichlet maps with [CLS]/[SEP] or a start token, null maps, designed
 * mixtures with sinks, a padded batch — against a snapshot taken from the classifier before it was
 * made faster (issue #12's figure). Optimizations must not change results: strings, labels and
 * counts must match exactly; numbers within 1e-9 (a faster pass may sum the same float64 row
 * statistics in another order, which moves the last bits; a real change moves them by far more).
 *
 *   UPDATE_ANALYZE_SNAPSHOT=1 npx vitest run kernel-lib/src/analysis/analyzeSnapshot.test.ts
 * rewrites the snapshot: only when a result change is intended, and say why in the commit.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { loadModel } from "../load/loadModel";
import type { AttentionResult, SiteAttention, TokenInfo } from "../result/types";
import { dirichletSite, shuffledSite } from "../testing/nullMaps";
import { designedSite, randomSite } from "../testing/syntheticMaps";
import { analyzeResult, type ResultMetrics } from "./metrics/analyze";
import { nativeAddon } from "./metrics/native/nativeKernel";
import type { MetricsKernel } from "./metrics/types";

const SNAPSHOT = path.join(__dirname, "analyzeSnapshot.json.gz");
const TOLERANCE = 1e-9;

function tokensOf(T: number, specials: Record<number, string>): TokenInfo[] {
  return Array.from({ length: T }, (_, j) => ({
    text: specials[j] ?? `w${j % 7}`,
    id: specials[j] ? 100 + j : 1000 + (j % 7),
    word: j,
    special: specials[j] !== undefined,
  }));
}

function resultOf(sites: SiteAttention[], tokens?: TokenInfo[][]): AttentionResult {
  return {
    sites,
    provider: "cpu",
    fallbacks: [],
    masks: {},
    outputs: {},
    ...(tokens ? { tokens: { source: tokens, target: tokens } } : {}),
  };
}

/** Σ_k weight_k · map_k of one-head designed maps, written into head h of `into`. */
function mixInto(into: SiteAttention, h: number, parts: [number, Float32Array][]): void {
  const [, , T, S] = into.dims;
  for (let i = 0; i < T * S; i++) into.data[h * T * S + i] = parts.reduce((s, [w, m]) => s + w * m[i], 0);
}

/** δ on column c (rows that cannot see it: on their own position). */
function column(c: number, T: number, causal: boolean): Float32Array {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) m[i * T + (causal && c > i ? i : c)] = 1;
  return m;
}

function designedRows(p: Parameters<typeof designedSite>[0], T: number, causal: boolean, ids?: number[]) {
  return designedSite(p, { lengths: [T], causal, tokenIds: ids ? [Int32Array.from(ids)] : undefined }).site.data;
}

/** The synthetic inputs: name → result. */
function syntheticCases(): [string, AttentionResult][] {
  const cases: [string, AttentionResult][] = [];
  for (const causal of [false, true]) {
    for (const T of [8, 20, 64]) {
      for (const alpha of [0.3, 1]) {
        const site = dirichletSite(alpha, { heads: 6, length: T, causal, seed: 11 + T });
        const specials = causal
          ? { 0: "<|endoftext|>" }
          : { 0: "[CLS]", [Math.floor(T / 2)]: "[SEP]", [T - 1]: "[SEP]" };
        cases.push([`dirichlet a=${alpha} T=${T} causal=${causal}`, resultOf([site], [tokensOf(T, specials)])]);
      }
    }
    for (const by of ["rows", "columns"] as const) {
      cases.push([
        `shuffled ${by} causal=${causal}`,
        resultOf([shuffledSite(by, { heads: 6, length: 32, causal, seed: 5 })]),
      ]);
    }
    // Designed heads and mixtures with sinks (the examples), one head each of one site.
    const T = 24;
    const ids = Array.from({ length: T }, (_, j) => (j < 12 ? 10 + j : 10 + j - 12));
    const site: SiteAttention = {
      id: "encoder.self.0",
      stack: "encoder",
      kind: "self",
      layer: 0,
      heads: 8,
      causal,
      node: "mix",
      data: new Float32Array(8 * T * T),
      dims: [1, 8, T, T],
    };
    const uni = designedRows("uniform", T, causal);
    const diag = designedRows("identity", T, causal);
    const prev = designedRows("previous", T, causal);
    const ind = designedRows("induction", T, causal, ids);
    const first = column(0, T, causal);
    const sep = column(causal ? 0 : T - 1, T, causal);
    mixInto(site, 0, [
      [0.45, diag],
      [0.45, sep],
      [0.1, uni],
    ]);
    mixInto(site, 1, [
      [0.4, diag],
      [0.5, sep],
      [0.1, uni],
    ]);
    mixInto(site, 2, [
      [0.5, ind],
      [0.4, first],
      [0.1, uni],
    ]);
    mixInto(site, 3, [
      [0.5, prev],
      [0.4, first],
      [0.1, uni],
    ]);
    mixInto(site, 4, [
      [0.9, prev],
      [0.1, uni],
    ]);
    mixInto(site, 5, [
      [0.98, uni],
      [0.02, first],
    ]);
    mixInto(site, 6, [
      [0.6, designedRows("window", T, causal)],
      [0.4, uni],
    ]);
    mixInto(site, 7, [
      [0.7, designedRows("first", T, causal)],
      [0.3, uni],
    ]);
    const specials: Record<number, string> = causal
      ? { 0: "<|endoftext|>" }
      : { 0: "[CLS]", 11: "[SEP]", [T - 1]: "[SEP]" };
    const tokens = tokensOf(T, specials).map((t, j) => ({ ...t, id: ids[j], text: specials[j] ?? `t${ids[j]}` }));
    cases.push([`designed mixtures causal=${causal}`, resultOf([site], [tokens])]);
  }
  // A padded batch of two samples, 12 heads, 96 positions (BERT-like shape, random sharp maps).
  const batch = randomSite("encoder", "self", 0, { dims: [2, 12, 96, 96], seed: 3, lengths: [96, 70], sharpness: 4 });
  cases.push(["random batch padded", resultOf([batch])]);
  const gptBatch = randomSite("decoder", "self", 1, { dims: [2, 4, 40, 40], seed: 9, causal: true, lengths: [40, 33] });
  cases.push(["random causal batch padded", resultOf([gptBatch])]);
  return cases;
}

const BERT_TEXTS = [
  "The animal didn't cross the street because it was too tired.",
  "The keys that the man lost were on the table.",
];
const GPT_TEXT = "the cat sat on the mat and the cat sat on the mat again";

async function demoCases(): Promise<[string, AttentionResult][]> {
  const out: [string, AttentionResult][] = [];
  for (const [name, texts] of [
    ["tiny-agreement-bert", BERT_TEXTS],
    ["tiny-induction-gpt", [GPT_TEXT]],
  ] as const) {
    const model = await loadModel(name, { providers: ["cpu"] });
    try {
      out.push([`demo ${name}`, await model.run(texts.length === 1 ? texts[0] : [...texts])]);
    } finally {
      await model.release();
    }
  }
  return out;
}

/** A digest of a typed array's exact bytes (the per-row metrics are float32: compared bit for bit). */
function digest(a: ArrayBufferView): string {
  return createHash("sha1")
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest("hex")
    .slice(0, 16);
}

/** The answer as plain JSON: per-row arrays by digest, everything else as is. */
function plain(m: ResultMetrics): unknown {
  return JSON.parse(
    JSON.stringify(m, (_k, v) => {
      if (ArrayBuffer.isView(v)) return `rows:${digest(v)}`;
      if (typeof v === "number" && !Number.isFinite(v)) return `num:${v}`;
      return v;
    }),
  );
}

/** Paths where `actual` differs from `expected` (numbers: by more than TOLERANCE). */
function differences(actual: unknown, expected: unknown, at: string, out: string[]): void {
  if (out.length > 20) return;
  if (typeof expected === "number" && typeof actual === "number") {
    if (!(Math.abs(actual - expected) <= TOLERANCE)) out.push(`${at}: ${actual} ≠ ${expected}`);
    return;
  }
  if (expected === null || typeof expected !== "object" || actual === null || typeof actual !== "object") {
    if (actual !== expected) out.push(`${at}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`);
    return;
  }
  const ka = Object.keys(actual as object);
  const ke = Object.keys(expected as object);
  if (ka.join() !== ke.join()) out.push(`${at}: keys ${ka.join()} ≠ ${ke.join()}`);
  for (const k of ke) differences((actual as never)[k], (expected as never)[k], `${at}.${k}`, out);
}

async function snapshotOf(kernel: MetricsKernel): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, result] of [...syntheticCases(), ...(await demoCases())]) {
    try {
      out[name] = plain(analyzeResult(result, { kernel }));
    } catch (e) {
      throw new Error(`${name}: ${e}`);
    }
  }
  return out;
}

const KERNELS = ["wasm", "js"] as const;

describe("analyzeResult gives the snapshot's answers (optimizations change no result)", () => {
  it("matches on every input with both row kernels", async () => {
    const now: Record<string, Record<string, unknown>> = {};
    for (const kernel of KERNELS) now[kernel] = await snapshotOf(kernel);
    if (process.env.UPDATE_ANALYZE_SNAPSHOT) writeFileSync(SNAPSHOT, gzipSync(JSON.stringify(now)));
    expect(existsSync(SNAPSHOT), `${SNAPSHOT} missing: run with UPDATE_ANALYZE_SNAPSHOT=1`).toBe(true);
    const expected = JSON.parse(gunzipSync(readFileSync(SNAPSHOT)).toString("utf8"));
    for (const kernel of KERNELS) {
      expect(Object.keys(now[kernel])).toEqual(Object.keys(expected[kernel]));
      for (const name of Object.keys(expected[kernel])) {
        const diffs: string[] = [];
        differences(now[kernel][name], expected[kernel][name], `${kernel}: ${name}`, diffs);
        expect(diffs, name).toEqual([]);
      }
    }
    // Not vacuous: the inputs give structured labels, sinks and intervals to compare.
    const labels = JSON.stringify(expected.wasm).match(/"combined":"[a-z+]+"/g) ?? [];
    expect(new Set(labels).size).toBeGreaterThanOrEqual(6);
  }, 300_000);

  it("matches the WebAssembly kernel's answers on the native kernel: to the bit at 4 weights a step, every label at the widest", async () => {
    const addon = nativeAddon();
    expect(addon, "the native kernel (npm run build)").not.toBeNull();
    if (!addon) return;
    const expected = JSON.parse(gunzipSync(readFileSync(SNAPSHOT)).toString("utf8")).wasm;
    const widest = addon.lanes();
    try {
      addon.lanes(4);
      const four = await snapshotOf("native");
      for (const name of Object.keys(expected)) {
        const diffs: string[] = [];
        differences(four[name], expected[name], `native, 4 lanes: ${name}`, diffs);
        expect(diffs, name).toEqual([]);
      }
    } finally {
      addon.lanes(widest);
    }
    // Wider vectors sum each row's float32 terms in other groups (within 1e-6 of float64,
    // nativeKernel.test.ts): the per-row metrics move in their last bits, the labels must not.
    const wide = JSON.stringify(await snapshotOf("native"));
    const labelsOf = (json: string) => json.match(/"(label|combined)":"[a-z+ [\]A-Z0-9.]*"/g) ?? [];
    expect(labelsOf(wide)).toEqual(labelsOf(JSON.stringify(expected)));
    expect(labelsOf(wide).length).toBeGreaterThan(100);
  }, 300_000);
});
