/**
 * The sink-free view's window tallies and the offset rings summed by the WebAssembly module
 * (rest_windows, ring_tallies, called from sinkFree.ts) against the JavaScript row-by-row loops
 * they replace: every field of every block of every tally of both views equal to the bit, on heads
 * with strip columns ([CLS] and [SEP], or a start token) and without, in bidirectional, causal and
 * padded batches, several samples per site included.
 */
import { describe, expect, it } from "vitest";
import { testSite } from "../../../test/randomSites";
import type { AttentionResult, SiteAttention, TokenInfo } from "../../result/types";
import { designedSite, randomSite } from "../../testing/syntheticMaps";
import { seededRandom } from "../../util/random";
import { siteGeometry } from "../metrics/geometry";
import { scanSite } from "../metrics/scan";
import { wasmRowKernel } from "../metrics/wasm/kernel";
import { type HeadEvidence, headEvidence } from "./evidence";
import { type Tally, TallyArena } from "./tally";
import { WINDOW_MAX } from "./thresholds";

function tokensOf(T: number, n: number, specials: Record<number, string>): TokenInfo[] {
  return Array.from({ length: T }, (_, j) => ({
    text: j >= n ? "[PAD]" : (specials[j] ?? `t${j % 7}`),
    id: j >= n ? 0 : 100 + (j % 7),
    word: j,
    special: j >= n || specials[j] !== undefined,
  }));
}

/**
 * Heads mixing a designed pattern, sink columns (the first valid source, and the last one when
 * bidirectional) and Dirichlet-like noise, at several strengths; samples of the given lengths,
 * right-padded, with [CLS] … [SEP] (or a start token when causal) as their tokens.
 */
function sinkHeads(lengths: number[], causal: boolean, seed: number): AttentionResult {
  const B = lengths.length;
  const T = Math.max(...lengths);
  const designs = ["identity", "previous", "next", "window", "uniform"] as const;
  // The last leaves the rest 1e-7 of the mass: no sink-free row (keep below 1e-6).
  const sinks = [0.2, 0.45, 0.7, 1 - 1e-7];
  const H = designs.length * sinks.length;
  const site: SiteAttention = testSite(false, causal, new Float32Array(B * H * T * T), [B, H, T, T]);
  const rand = seededRandom(seed);
  const maps = designs.map((d) => designedSite(d, { lengths, causal, window: 3 }).site.data);
  designs.forEach((_, k) => {
    sinks.forEach((sinkShare, s) => {
      const h = k * sinks.length + s;
      for (let b = 0; b < B; b++) {
        const n = lengths[b];
        for (let i = 0; i < T; i++) {
          const limit = i >= n ? n : causal ? i + 1 : n;
          const from = (b * 1 * T + i) * T; // designedSite's maps hold one head
          const to = ((b * H + h) * T + i) * T;
          if (i >= n) {
            for (let j = 0; j < n; j++) site.data[to + j] = 1 / n;
            continue;
          }
          let sum = 0;
          const row = new Float64Array(limit);
          for (let j = 0; j < limit; j++) {
            row[j] = maps[k][from + j] + 0.1 * rand() ** 3;
            sum += row[j];
          }
          // The pattern and noise keep 1 − sinkShare; the sink columns take the rest.
          for (let j = 0; j < limit; j++) row[j] *= (1 - sinkShare) / sum;
          const last = !causal && limit > 1 ? limit - 1 : 0;
          row[0] += last > 0 ? (2 / 3) * sinkShare : sinkShare;
          if (last > 0) row[last] += sinkShare / 3;
          for (let j = 0; j < limit; j++) site.data[to + j] = row[j];
        }
      }
    });
  });
  const specials = (n: number): Record<number, string> => (causal ? { 0: "<s>" } : { 0: "[CLS]", [n - 1]: "[SEP]" });
  const tokens = lengths.map((n) => tokensOf(T, n, specials(n)));
  const valid = Uint8Array.from(lengths.flatMap((n) => Array.from({ length: T }, (_, j) => (j < n ? 1 : 0))));
  return {
    sites: [site],
    provider: "cpu",
    fallbacks: [],
    outputs: {},
    masks: { encoder: { data: valid, dims: [B, T] } },
    tokens: { source: tokens, target: tokens },
  };
}

/** A decoder step with a key/value cache (S > T: pᵢ = i + S − T), half of each row's mass on the start token. */
function cachedStep(): AttentionResult {
  const site = randomSite("decoder", "self", 0, { dims: [2, 3, 12, 40], seed: 9, causal: true, sharpness: 4 });
  const [B, H, T, S] = site.dims;
  for (let r = 0; r < B * H * T; r++) {
    const i = r % T;
    const limit = i + S - T + 1;
    for (let j = 0; j < limit; j++) site.data[r * S + j] *= 0.5;
    site.data[r * S] += 0.5;
  }
  const tokens = Array.from({ length: B }, () => tokensOf(S, S, { 0: "<s>" }));
  return { sites: [site], provider: "cpu", fallbacks: [], outputs: {}, masks: {}, tokens: { source: tokens } };
}

/** Every tally of a head's evidence, both views, rings included, in a fixed order. */
function talliesOf(ev: HeadEvidence): Tally[] {
  const view = (v: HeadEvidence | HeadEvidence["rest"]) => [...Object.values(v.tallies), ...v.windows, ...v.rings];
  return [...view(ev), ...view(ev.rest), ev.sparseTally, ev.sparseShortTally];
}

/** The tally's block sums (private to Tally: read here to compare every field of every block). */
function sumsOf(t: Tally): number[] {
  const { sums, at } = t as unknown as { sums: Float64Array; at: number };
  return Array.from(sums.subarray(at, at + TallyArena.SIZE));
}

describe("the sink-free windows and the rings in the module", () => {
  it("equal the JavaScript loops' to the bit, on heads with strip columns and without", () => {
    expect(wasmRowKernel()).not.toBeNull();
    let withStrip = 0;
    let cachedWithStrip = 0;
    let heads = 0;
    const cases: [string, AttentionResult][] = [
      ["bidirectional, one sample", sinkHeads([40], false, 1)],
      ["causal, one sample", sinkHeads([40], true, 2)],
      ["bidirectional, padded batch", sinkHeads([40, 23, 9], false, 3)],
      ["causal, padded batch", sinkHeads([33, 12], true, 4)],
      ["short", sinkHeads([6], false, 5)],
      ["key/value cache", cachedStep()],
    ];
    for (const [name, result] of cases) {
      const site = result.sites[0];
      const geo = siteGeometry(result, site, {});
      const scan = scanSite(site, geo, 1e-3, WINDOW_MAX, "wasm");
      const inModule = headEvidence(site, geo, scan);
      for (const ev of inModule) ev.fillRings();
      const inJs = headEvidence(site, geo, { ...scan, kernel: "js" });
      for (const ev of inJs) ev.fillRings();
      inModule.forEach((ev, h) => {
        heads++;
        if (ev.rest.windows !== ev.windows) withStrip++;
        if (name === "key/value cache" && ev.rest.windows !== ev.windows) cachedWithStrip++;
        const a = talliesOf(ev).map(sumsOf);
        const b = talliesOf(inJs[h]).map(sumsOf);
        expect(a, `${name}, head ${h}`).toEqual(b);
      });
    }
    // Most of these heads have a sink-free view of their own, so the module summed it.
    expect(heads).toBe(103);
    expect(withStrip).toBeGreaterThanOrEqual(40);
    expect(cachedWithStrip).toBe(3);
  });
});
