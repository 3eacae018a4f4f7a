/**
 * Both row kernels ("wasm" and "js") against a naive reference written here straight from
 * docs/metrics.md: one loop per row over its visible sources, float64, nothing shared with the
 * kernels (no geometry, pieces, log table or final formulas). rowAccumulators.test.ts holds the
 * kernels to each other; this holds each to the definitions, per row and per head mean.
 */
import { describe, expect, it } from "vitest";
import { streamMasks, testSite } from "../../../test/randomSites";
import type { AttentionResult, SiteAttention, TokenInfo } from "../../result/types";
import { seededRandom } from "../../util/random";
import { siteMetrics } from "./headMetrics";
import { type MetricsKernel, type MetricsOptions, ROW_METRIC_KEYS, type RowMetricKey } from "./types";

type Rand = () => number;

interface Case {
  result: AttentionResult;
  site: SiteAttention;
  options: MetricsOptions;
  /** Valid positions per sample: sources, and targets (the same array on self sites). */
  sourceValid: Uint8Array[];
  targetValid: Uint8Array[];
  sourceTokens?: TokenInfo[][];
  label: string;
}

const WORDS = ["the", "Ġcat", "##s", ",", "Ġ.", "▁!", "sat", "[CLS]", "[SEP]", "?!", "<|endoftext|>", "<s>"];
const SPECIAL = ["[CLS]", "[SEP]", "<|endoftext|>", "<s>"];

function token(text: string, id: number): TokenInfo {
  const special = SPECIAL.includes(text);
  return { text, id, word: special ? null : id, special };
}

function validMask(length: number, rand: Rand, style: number): Uint8Array {
  const mask = new Uint8Array(length).fill(1);
  const cut = Math.floor(length * 0.6 * rand());
  if (style === 1) mask.fill(0, length - cut); // right padding
  if (style === 2) mask.fill(0, 0, cut); // left padding
  if (!mask.includes(1)) mask[length - 1] = 1;
  return mask;
}

/** A seeded random site: self (causal or not) or cross, padded or not, with tokens and segments or without. */
function randomCase(seed: number): Case {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const cross = seed % 4 === 3;
  const causal = !cross && seed % 2 === 1;
  const S = pick([1, 2, 3, 6, 17, 40]);
  const T = cross ? pick([1, 2, 5, 9]) : S;
  const B = 1 + Math.floor(rand() * 2);
  const H = 1 + Math.floor(rand() * 3);
  const style = seed % 3;
  const sourceValid = Array.from({ length: B }, () => validMask(S, rand, style));
  const targetValid = cross ? Array.from({ length: B }, () => validMask(T, rand, style)) : sourceValid;
  const withTokens = rand() < 0.7;
  const sourceTokens = withTokens
    ? sourceValid.map((m) => Array.from(m, (v, j) => token(v ? pick(WORDS) : "[PAD]", j)))
    : undefined;
  const data = new Float32Array(B * H * T * S);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        if (!targetValid[b][i]) continue;
        const visible = [];
        for (let j = 0; j < S; j++) if (sourceValid[b][j] && (!causal || j <= i)) visible.push(j);
        const raw = visible.map(() => (rand() < 0.15 ? 0 : rand() ** 3));
        raw[Math.floor(rand() * raw.length)] += rand() < 0.3 ? 5 : 0.01; // some rows nearly one-hot
        const sum = raw.reduce((x, y) => x + y, 0);
        visible.forEach((j, k) => {
          data[((b * H + h) * T + i) * S + j] = raw[k] / sum;
        });
      }
    }
  }
  const site = testSite(cross, causal, data, [B, H, T, S]);
  const masks = streamMasks(cross, sourceValid, targetValid, [B, H, T, S]);
  const tokens = sourceTokens
    ? {
        source: sourceTokens,
        target: cross ? targetValid.map((m) => Array.from(m, (_, i) => token("x", i))) : undefined,
      }
    : undefined;
  const segments =
    !cross && rand() < 0.5
      ? { encoder: sourceValid.map(() => Int32Array.from({ length: S }, () => Math.floor(rand() * 3))) }
      : undefined;
  // Some cases name a sink token (it then wins over punctuation).
  const specialTokens = rand() < 0.3 ? { sink: ["Ġ."] } : undefined;
  const result = { sites: [site], provider: "cpu", fallbacks: [], masks, tokens, outputs: {} } as AttentionResult;
  const label = `seed ${seed}: ${site.kind}${causal ? " causal" : ""} [${site.dims}] padding ${["none", "right", "left"][style]}${tokens ? " tokens" : ""}${segments ? " segments" : ""}${specialTokens ? " sinks" : ""}${causal && sourceTokens?.some((ts, b) => ts[sourceValid[b].indexOf(1)].special) ? " start" : ""}`;
  return { result, site, options: { segments, specialTokens }, sourceValid, targetValid, sourceTokens, label };
}

/** pᵢ: i on self sites; on cross sites the r-th valid target at rank r·(nₛ − 1)/(nₜ − 1) among the valid sources, interpolated. */
function position(c: Case, b: number, i: number): number {
  if (c.site.kind === "self") return i;
  const sources = [...c.sourceValid[b].keys()].filter((j) => c.sourceValid[b][j]);
  const targets = [...c.targetValid[b].keys()].filter((t) => c.targetValid[b][t]);
  if (targets.length === 1) return sources[0];
  const rank = (targets.indexOf(i) * (sources.length - 1)) / (targets.length - 1);
  const lo = Math.floor(rank);
  return lo + 1 < sources.length ? sources[lo] + (rank - lo) * (sources[lo + 1] - sources[lo]) : sources[lo];
}

function isPunctuation(t: TokenInfo): boolean {
  const bare = t.text.replace(/^(##|Ġ|▁)/, "");
  return !t.special && bare.length > 0 && /^\p{P}+$/u.test(bare);
}

/** A causal site's first valid token, when special: the start (sink) token, neither [CLS] nor [SEP]. */
function isStart(c: Case, b: number, j: number): boolean {
  const tokens = c.sourceTokens?.[b];
  return c.site.causal && tokens !== undefined && j === c.sourceValid[b].indexOf(1) && tokens[j].special;
}

/** Start tokens and the tokens the case names as sinks. */
function isSinkToken(c: Case, b: number, j: number): boolean {
  const tokens = c.sourceTokens?.[b];
  return tokens !== undefined && (isStart(c, b, j) || (c.options.specialTokens?.sink ?? []).includes(tokens[j].text));
}

/** Segments from [SEP]/EOS boundaries (each ends with its separator); null with fewer than two holding valid tokens. */
function separatorSegments(c: Case, b: number): Int32Array | null {
  const tokens = c.sourceTokens?.[b];
  if (!tokens) return null;
  const ids = new Int32Array(tokens.length);
  let segment = 0;
  tokens.forEach((t, j) => {
    ids[j] = segment;
    const separator = t.text === "[SEP]" || t.text === "<|endoftext|>";
    if (separator && c.sourceValid[b][j] && !isSinkToken(c, b, j)) segment++;
  });
  const lastValid = c.sourceValid[b].lastIndexOf(1);
  return ids[lastValid] + 1 >= 2 ? ids : null;
}

type NaiveRow = Record<RowMetricKey, number> & {
  excluded: { distance: number; signedDistance: number; confidence: number };
};

/** Every row metric of row (b, h, i) from the definitions, and the sink-excluded ones; NaN where undefined. */
function naiveRow(c: Case, b: number, h: number, i: number): NaiveRow {
  const [, H, T, S] = c.site.dims;
  const a = (j: number) => c.site.data[((b * H + h) * T + i) * S + j];
  const self = c.site.kind === "self";
  const visible = (j: number) => j >= 0 && j < S && c.sourceValid[b][j] === 1 && (!c.site.causal || j <= i);
  const p = position(c, b, i);
  let entropy = 0;
  let distance = 0;
  let signed = 0;
  let confidence = 0;
  let n = 0;
  const tokens = c.sourceTokens?.[b];
  const segments = self ? (c.options.segments?.encoder?.[b] ?? separatorSegments(c, b)) : null;
  let cls = 0;
  let sep = 0;
  let punctuation = 0;
  let sink = 0;
  let segment = 0;
  const kept = { mass: 0, distance: 0, signed: 0, max: 0 };
  for (let j = 0; j < S; j++) {
    if (!visible(j)) continue;
    const w = a(j);
    n++;
    if (w > 0) entropy -= w * Math.log(w);
    distance += w * Math.abs(j - p);
    signed += w * (j - p);
    confidence = Math.max(confidence, w);
    const text = tokens?.[j].text ?? "";
    if (isSinkToken(c, b, j)) sink += w;
    else if (text === "[CLS]" || text === "<s>") cls += w;
    else if (text === "[SEP]" || text === "<|endoftext|>") sep += w;
    else if (tokens && isPunctuation(tokens[j])) punctuation += w;
    if (segments && segments[j] === segments[i]) segment += w;
    if (!isSinkToken(c, b, j)) {
      kept.mass += w;
      kept.distance += w * Math.abs(j - p);
      kept.signed += w * (j - p);
      kept.max = Math.max(kept.max, w);
    }
  }
  const renormalised = (x: number) => (kept.mass > 0 ? x / kept.mass : Number.NaN);
  const at = (j: number) => (self && visible(j) ? a(j) : Number.NaN);
  return {
    entropy,
    normalizedEntropy: n > 1 ? entropy / Math.log(n) : Number.NaN,
    distance,
    signedDistance: signed,
    confidence,
    self: at(p),
    previous: at(p - 1),
    next: at(p + 1),
    first: a(c.sourceValid[b].indexOf(1)),
    cls: tokens ? cls : Number.NaN,
    sep: tokens ? sep : Number.NaN,
    punctuation: tokens ? punctuation : Number.NaN,
    sink: tokens ? sink : Number.NaN,
    segment: segments ? segment : Number.NaN,
    excluded: {
      distance: renormalised(kept.distance),
      signedDistance: renormalised(kept.signed),
      confidence: renormalised(kept.max),
    },
  };
}

const KEYS: RowMetricKey[] = [
  "entropy",
  "normalizedEntropy",
  "distance",
  "signedDistance",
  "confidence",
  "self",
  "previous",
  "next",
  "first",
  "cls",
  "sep",
  "punctuation",
  "sink",
  "segment",
];

/** The metrics `excludeSinks` changes. */
const EXCLUDED_KEYS = ["distance", "signedDistance", "confidence"] as const;

/** float32 results against float64 sums: relative 1e-5 of the value's scale (tokens for distances). */
function close(actual: number, expected: number, scale: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  return Math.abs(actual - expected) <= 1e-5 * Math.max(1, scale);
}

function checkKernel(kernel: MetricsKernel, seeds: number[]): number {
  let rowsChecked = 0;
  for (const seed of seeds) {
    const c = randomCase(seed);
    const m = siteMetrics(c.result, c.site, { ...c.options, kernel });
    const excluded = siteMetrics(c.result, c.site, { ...c.options, kernel, excludeSinks: true });
    const [B, H, T, S] = c.site.dims;
    for (let h = 0; h < H; h++) {
      const sums = Object.fromEntries(KEYS.map((k) => [k, { total: 0, count: 0 }]));
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < T; i++) {
          if (!c.targetValid[b][i]) continue;
          const naive = naiveRow(c, b, h, i);
          const r = (b * H + h) * T + i;
          for (const k of KEYS) {
            const scale = k === "distance" || k === "signedDistance" ? S : 1;
            if (!close(m.rows[k][r], naive[k], scale))
              expect.fail(`${kernel}, ${c.label}, b${b} h${h} i${i}: ${k} ${m.rows[k][r]}, by definition ${naive[k]}`);
            if (!Number.isNaN(naive[k])) {
              sums[k].total += naive[k];
              sums[k].count++;
            }
          }
          for (const k of EXCLUDED_KEYS) {
            const scale = k === "confidence" ? 1 : S;
            if (!close(excluded.rows[k][r], naive.excluded[k], scale))
              expect.fail(
                `${kernel}, ${c.label}, b${b} h${h} i${i}: ${k} without sinks ${excluded.rows[k][r]}, by definition ${naive.excluded[k]}`,
              );
          }
          rowsChecked++;
        }
      }
      // per head: the mean over the valid rows that define it, null where none does
      const head = m.heads[h];
      const mean = (k: RowMetricKey) => (sums[k].count > 0 ? sums[k].total / sums[k].count : null);
      const heads: Record<RowMetricKey, number | null> = {
        entropy: head.entropy,
        normalizedEntropy: head.normalizedEntropy,
        distance: head.distance,
        signedDistance: head.signedDistance,
        confidence: head.confidence,
        ...head.mass,
      };
      for (const k of KEYS) {
        const want = mean(k);
        const got = heads[k];
        const scale = k === "distance" || k === "signedDistance" ? S : 1;
        const ok = want === null ? got === null : got !== null && close(got, want, scale);
        if (!ok) expect.fail(`${kernel}, ${c.label}, head ${h}: mean ${k} ${got}, by definition ${want}`);
      }
      expect(head.rows, `${c.label}, head ${h}: rows`).toBe(
        c.targetValid.reduce((n, m) => n + m.reduce((x, y) => x + y, 0), 0),
      );
    }
  }
  return rowsChecked;
}

const SEEDS = Array.from({ length: 120 }, (_, k) => 7000 + k);

describe("the row kernels against the definitions (docs/metrics.md)", () => {
  it("has a definition for every row metric", () => {
    expect([...KEYS].sort()).toEqual([...ROW_METRIC_KEYS].sort());
  });

  it("covers self, causal and cross sites, padding both sides, with and without tokens and segments", () => {
    const labels = SEEDS.map((s) => randomCase(s).label);
    for (const part of [
      " self ",
      " self causal ",
      "sinks",
      "start",
      " cross ",
      "padding none",
      "padding right",
      "padding left",
      "tokens",
      "segments",
    ])
      expect(labels.filter((l) => `${l} `.includes(part)).length, part).toBeGreaterThanOrEqual(5);
  });

  for (const kernel of ["wasm", "js"] as const) {
    it(`"${kernel}": every row metric and head mean of 120 random sites equals the naive per-row sums`, () => {
      expect(checkKernel(kernel, SEEDS)).toBeGreaterThan(1000);
    });
  }
});
