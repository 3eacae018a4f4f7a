import { describe, expect, it } from "vitest";
import type { AttentionResult, SiteAttention, TokenInfo } from "../../result/types";
import { designedSite } from "../../testing/syntheticMaps";
import { siteMetrics } from "./headMetrics";
import { validateResult } from "./validateResult";

function resultOf(site: SiteAttention, extra: Partial<AttentionResult> = {}): AttentionResult {
  return { sites: [site], provider: "cpu", fallbacks: [], masks: {}, ...extra };
}

function fresh() {
  return designedSite(["uniform", "identity"], { lengths: [6, 4], length: 6 });
}

describe("input validation", () => {
  it("accepts clean maps, padding rows full of NaN included", () => {
    const { site, mask } = fresh();
    site.data.fill(Number.NaN, ((1 * 2 + 0) * 6 + 5) * 6, ((1 * 2 + 0) * 6 + 6) * 6); // sample 1, head 0, padding row 5
    expect(() => validateResult(resultOf(site, { masks: { encoder: mask } }))).not.toThrow();
    const m = siteMetrics(resultOf(site, { masks: { encoder: mask } }), site);
    expect(m.heads[0].entropy).toBeCloseTo((6 * Math.log(6) + 4 * Math.log(4)) / 10, 5);
  });

  it("names site, sample, head and row for NaN", () => {
    const { site, mask } = fresh();
    site.data[((0 * 2 + 1) * 6 + 3) * 6 + 2] = Number.NaN;
    expect(() => validateResult(resultOf(site, { masks: { encoder: mask } }))).toThrow(
      /site encoder\.self\.0, sample 0, head 1, target row 3: the weights contain NaN or Infinity/,
    );
  });

  it("rejects Infinity in a masked column of a valid row", () => {
    const { site, mask } = fresh();
    site.data[((1 * 2 + 0) * 6 + 1) * 6 + 5] = Number.POSITIVE_INFINITY;
    expect(() => validateResult(resultOf(site, { masks: { encoder: mask } }))).toThrow(
      /sample 1, head 0, target row 1: .*NaN or Infinity/,
    );
  });

  it("rejects rows that do not sum to 1 and says the tolerance", () => {
    const { site } = fresh();
    site.data[0] += 0.01;
    expect(() => validateResult(resultOf(site))).toThrow(/sum to 1\.01.*not 1 ± 0\.001.*raise options\.tolerance/);
    expect(() => validateResult(resultOf(site), { tolerance: 0.02 })).not.toThrow();
  });

  it("rejects negative weights", () => {
    const { site } = fresh();
    site.data[1] = -0.1; // uniform row of 1/6: keep the sum at 1
    site.data[2] = 1 / 6 + 1 / 6 + 0.1;
    expect(() => validateResult(resultOf(site))).toThrow(/negative/);
  });

  it("rejects mass on masked or future sources", () => {
    const { site } = designedSite("uniform", { lengths: [5] });
    expect(() => validateResult(resultOf({ ...site, causal: true }))).toThrow(
      /target row 0: 0\.8000 of the mass sits on masked or future sources/,
    );
  });

  it("rejects dims that do not match the data", () => {
    const { site } = fresh();
    expect(() => validateResult(resultOf({ ...site, dims: [2, 2, 6, 5] }))).toThrow(
      /dims \[2, 2, 6, 5\] need 120 weights but data has 144/,
    );
    expect(() => validateResult(resultOf({ ...site, heads: 3 }))).toThrow(/says 3 heads but dims\[1\] is 2/);
  });

  it("rejects masks and tokens of the wrong size", () => {
    const { site } = fresh();
    expect(() =>
      validateResult(resultOf(site, { masks: { encoder: { data: new Uint8Array(10), dims: [2, 5] } } })),
    ).toThrow(/mask has dims \[2, 5\].*needs \[2, 6\]/);
    const tok = (n: number): TokenInfo[] =>
      Array.from({ length: n }, (_, id) => ({ text: `w${id}`, id, word: id, special: false }));
    expect(() => validateResult(resultOf(site, { tokens: { source: [tok(6), tok(4)] } }))).toThrow(
      /sample 1: 4 source tokens but the map has 6 source positions/,
    );
    expect(() => validateResult(resultOf(site, { tokens: { source: [tok(6)] } }))).toThrow(
      /1 source token lists for a batch of 2/,
    );
  });

  it("rejects duplicate site ids", () => {
    const { site } = fresh();
    expect(() => validateResult({ sites: [site, site], provider: "cpu", fallbacks: [], masks: {} })).toThrow(
      /appears twice/,
    );
  });
});
