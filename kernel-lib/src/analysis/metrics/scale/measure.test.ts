import { describe, expect, it } from "vitest";
import { AttnlensError } from "../../../errors";
import type { RowSource } from "../../../result/lazy";
import { rowSourceOf } from "../../../result/rowSource";
import type { AttentionResult, SiteAttention, TokenInfo } from "../../../result/types";
import { seededRandom } from "../../../util/random";
import { analyzeResult } from "../analyze";
import { ROW_METRIC_KEYS, type SiteMetrics } from "../types";
import { measureSource, streamSiteMetrics } from "./measure";

const CLOSE = 1e-5;
const H = 3;

/** 0/1 mask rows [B, T]: sample b has `valid[b]` real tokens, padded on the left or the right. */
function maskOf(valid: number[], T: number, side: "left" | "right"): Uint8Array {
  const m = new Uint8Array(valid.length * T);
  valid.forEach((n, b) => m.fill(1, b * T + (side === "left" ? T - n : 0), b * T + (side === "left" ? T : n)));
  return m;
}

/** Random rows over each target's valid visible sources (padding target rows: uniform junk, as some exports give). */
function randomMap(
  B: number,
  T: number,
  S: number,
  target: Uint8Array,
  source: Uint8Array,
  causal: boolean,
  seed: number,
) {
  const rand = seededRandom(seed);
  const data = new Float32Array(B * H * T * S);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < T; i++) {
        const base = ((b * H + h) * T + i) * S;
        const visible = (j: number) => source[b * S + j] === 1 && (!causal || j <= i + S - T);
        let sum = 0;
        for (let j = 0; j < S; j++) {
          const v = !target[b * T + i] ? 1 : visible(j) ? rand() ** 3 : 0;
          data[base + j] = v;
          sum += v;
        }
        for (let j = 0; j < S; j++) data[base + j] = sum > 0 ? data[base + j] / sum : 0;
      }
  return data;
}

const site = (
  stack: "encoder" | "decoder",
  kind: "self" | "cross",
  layer: number,
  causal: boolean,
  dims: number[],
  data: Float32Array,
): SiteAttention => ({
  id: `${stack}.${kind}.${layer}`,
  stack,
  kind,
  layer,
  heads: H,
  causal,
  node: "n",
  dims: dims as [number, number, number, number],
  data,
});

const WORDS = ["the", "cat", ",", "sat", "on", "mat", ".", "and", "##s", "slept", "!"];

/** Tokens for one sample: [CLS] … [SEP] … [SEP] over the valid positions, [PAD] elsewhere. */
function tokensOf(mask: Uint8Array, b: number, T: number, start: string): TokenInfo[] {
  const valid = Array.from(mask.subarray(b * T, (b + 1) * T));
  const first = valid.indexOf(1);
  const last = valid.lastIndexOf(1);
  return valid.map((v, j): TokenInfo => {
    const text = !v ? "[PAD]" : j === first ? start : j === last || j === first + 4 ? "[SEP]" : WORDS[j % WORDS.length];
    return { text, id: 1000 + WORDS.indexOf(text), word: null, special: text.startsWith("[") || text.startsWith("<") };
  });
}

/** An encoder–decoder result: encoder right-padded with segments, causal decoder left-padded, a cross site. */
function seq2seqResult(): AttentionResult {
  const B = 3;
  const S = 11;
  const T = 9;
  const enc = maskOf([11, 7, 4], S, "right");
  const dec = maskOf([9, 6, 2], T, "left");
  return {
    sites: [
      site("encoder", "self", 0, false, [B, H, S, S], randomMap(B, S, S, enc, enc, false, 1)),
      site("encoder", "self", 1, false, [B, H, S, S], randomMap(B, S, S, enc, enc, false, 2)),
      site("decoder", "self", 0, true, [B, H, T, T], randomMap(B, T, T, dec, dec, true, 3)),
      site("decoder", "cross", 0, false, [B, H, T, S], randomMap(B, T, S, dec, enc, false, 4)),
    ],
    provider: "cpu",
    fallbacks: [],
    outputs: {},
    masks: { encoder: { data: enc, dims: [B, S] }, decoder: { data: dec, dims: [B, T] } },
    tokens: {
      source: [0, 1, 2].map((b) => tokensOf(enc, b, S, "[CLS]")),
      target: [0, 1, 2].map((b) => tokensOf(dec, b, T, "<s>")),
    },
  };
}

/** A left-padded causal decoder alone (one stream), with caller-named sink tokens. */
function decoderResult(): AttentionResult {
  const B = 2;
  const T = 13;
  const mask = maskOf([13, 8], T, "left");
  return {
    sites: [0, 1].map((l) =>
      site("decoder", "self", l, true, [B, H, T, T], randomMap(B, T, T, mask, mask, true, 10 + l)),
    ),
    provider: "cpu",
    fallbacks: [],
    outputs: {},
    masks: { decoder: { data: mask, dims: [B, T] } },
    tokens: { target: [0, 1].map((b) => tokensOf(mask, b, T, "<s>")) },
  };
}

function expectSame(got: SiteMetrics, want: SiteMetrics): void {
  expect(got.site).toEqual(want.site);
  expect(got.dims).toEqual(want.dims);
  expect(Array.from(got.rows.sources)).toEqual(Array.from(want.rows.sources));
  for (const key of ROW_METRIC_KEYS) {
    const a = got.rows[key];
    const b = want.rows[key];
    for (let r = 0; r < b.length; r++) {
      if (Number.isNaN(b[r])) expect(a[r], `${got.site.id} ${key}[${r}]`).toBeNaN();
      else expect(Math.abs(a[r] - b[r]), `${got.site.id} ${key}[${r}]`).toBeLessThanOrEqual(CLOSE);
    }
  }
  got.heads.forEach((h, k) => {
    const w = want.heads[k];
    expect(h.rows).toBe(w.rows);
    const flat = (x: object): (number | null)[] =>
      Object.values(x).flatMap((v) => (typeof v === "object" && v !== null ? flat(v) : [v]));
    const [a, b] = [flat(h), flat(w)];
    b.forEach((v, i) => {
      if (v === null) expect(a[i]).toBeNull();
      else expect(Math.abs((a[i] as number) - v)).toBeLessThanOrEqual(CLOSE);
    });
  });
}

/** The source with every request recorded: [site, batch, r0, r1]. */
function counting(source: RowSource) {
  const asked: [string, number, number, number][] = [];
  const wrapped: RowSource = {
    sites: source.sites,
    rows: (id, b, rows, heads) => {
      asked.push([id, b, rows[0], rows[1]]);
      return source.rows(id, b, rows, heads);
    },
    tile: (r) => source.tile(r),
  };
  return { wrapped, asked };
}

describe("measureSource: analyzeResult's metrics, one row block at a time", () => {
  const cases = [
    ["encoder–decoder: right-padded encoder with segments, left-padded causal decoder, cross site", seq2seqResult, {}],
    [
      "causal decoder, left padding, sinks excluded and a named sink token",
      decoderResult,
      { excludeSinks: true, specialTokens: { sink: ["."] } },
    ],
    ["the JavaScript row kernel", seq2seqResult, { kernel: "js" as const }],
  ] as const;
  for (const [name, make, options] of cases) {
    it(`${name}: equal to analyzeResult on the full maps, blocks of 4 rows`, async () => {
      const result = make();
      const want = analyzeResult(result, options);
      const H_S = (s: SiteAttention) => s.dims[1] * s.dims[3] * 4;
      // a budget of 4 rows of the widest site: 11 and 13 rows split 4 + 4 + 3 (+ 1)
      const blockBytes = 4 * Math.max(...result.sites.map(H_S));
      const { wrapped, asked } = counting(rowSourceOf(result));
      const got = await measureSource(wrapped, result, { ...options, blockBytes });
      expect(got.sites.map((s) => s.site.id)).toEqual(result.sites.map((s) => s.id));
      got.sites.forEach((s, k) => expectSame(s, want.sites[k]));
      // the token and segment masses are measured here, not all undefined
      const mass = want.sites[0].heads[0].mass;
      for (const m of [mass.cls, mass.sep, mass.punctuation, mass.sink]) expect(m).not.toBeNull();
      if (make === seq2seqResult) expect(mass.segment).not.toBeNull();
      // bounded: never more than the budget at once, and every row asked exactly once
      for (const [id, , r0, r1] of asked) {
        const s = result.sites.find((x) => x.id === id) as SiteAttention;
        expect((r1 - r0) * H_S(s)).toBeLessThanOrEqual(blockBytes);
      }
      for (const s of result.sites) {
        const rows = asked.filter(([id]) => id === s.id).reduce((n, [, , r0, r1]) => n + r1 - r0, 0);
        expect(rows).toBe(s.dims[0] * s.dims[2]);
      }
    });
  }

  it("one row per block when the budget is smaller than a row; the same numbers", async () => {
    const result = decoderResult();
    const { wrapped, asked } = counting(rowSourceOf(result));
    const got = await measureSource(wrapped, result, { blockBytes: 1 });
    expect(asked.every(([, , r0, r1]) => r1 - r0 === 1)).toBe(true);
    got.sites.forEach((s, k) => expectSame(s, analyzeResult(result).sites[k]));
  });

  it("yields site after site, and measures only the sites asked for", async () => {
    const result = seq2seqResult();
    const ids: string[] = [];
    for await (const s of streamSiteMetrics(rowSourceOf(result), result, {
      sites: ["decoder.cross.0", "encoder.self.1"],
    }))
      ids.push(s.site.id);
    expect(ids).toEqual(["encoder.self.1", "decoder.cross.0"]);
    await expect(measureSource(rowSourceOf(result), result, { sites: ["encoder.self.9"] })).rejects.toThrow(
      "measureSource: no site encoder.self.9; sites are: encoder.self.0, encoder.self.1, decoder.self.0, decoder.cross.0",
    );
  });

  it("warns about samples without valid positions, as analyzeResult does", async () => {
    const result = decoderResult();
    result.masks.decoder?.data.fill(0, 13, 26);
    for (const s of result.sites) s.data.fill(0, 3 * 13 * 13); // sample 1: every row masked
    const got = await measureSource(rowSourceOf(result), result, { blockBytes: 1000 });
    expect(got.warnings).toEqual(analyzeResult(result).warnings);
    expect(got.warnings?.length).toBe(2);
  });

  it("names a bad row by its place in the whole site, as analyzeResult does", async () => {
    const result = seq2seqResult();
    const s = result.sites[0];
    const [, , T, S] = s.dims;
    s.data[((1 * H + 2) * T + 6) * S + 3] += 0.5; // sample 1, head 2, row 6: sums to 1.5
    const message = (() => {
      try {
        analyzeResult(result);
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(message).toMatch(/^site encoder.self.0, sample 1, head 2, target row 6: the weights sum to 1.5/);
    const e = await measureSource(rowSourceOf(result), result, { blockBytes: 4 * H * S * 4 }).catch((x) => x);
    expect(e).toBeInstanceOf(AttnlensError);
    expect(e.message).toBe(message);
  });

  it("refuses a budget that is not a positive number of bytes", async () => {
    const result = decoderResult();
    await expect(measureSource(rowSourceOf(result), result, { blockBytes: 0 })).rejects.toThrow(
      "blockBytes must be a positive number of bytes, got 0",
    );
  });

  it("refuses a row source whose blocks do not match its sites' dims", async () => {
    const result = decoderResult();
    const source = rowSourceOf(result);
    const short: RowSource = {
      sites: source.sites,
      rows: async (id, b, rows) => ({ ...(await source.rows(id, b, rows)), data: new Float32Array(5) }),
      tile: source.tile,
    };
    await expect(measureSource(short, result)).rejects.toThrow(
      "site decoder.self.0: the row source answered sample 0, rows [0, 13) with 3 heads and 5 weights; expected 3 heads and 507",
    );
  });
});
