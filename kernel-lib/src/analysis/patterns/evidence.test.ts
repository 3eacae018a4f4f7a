/**
 * The evidence pass's raw tallies against a naive loop written here from tally.ts's formula: for
 * each valid row with n ≥ 2 visible sources whose pattern set covers u = count / n of them
 * (0 < u < 1) and whose mass m is a number, gain += m − u, room += 1 − u, rows += 1,
 * llr += clamp(m)·ln((1 − ε)/u + ε) + (1 − clamp(m))·ln ε, mass += m; the weights read from the map
 * itself. Also when the metric pass's masses disagree with the geometry (a NaN where a number is
 * expected): that head is then tallied row by row, with the same formula.
 */
import { describe, expect, it } from "vitest";
import type { AttentionResult, PositionMask, SiteAttention } from "../../result/types";
import { dirichletSite } from "../../testing/nullMaps";
import { designedSite, randomSite } from "../../testing/syntheticMaps";
import { type SiteGeometry, siteGeometry } from "../metrics/geometry";
import { type SiteScan, scanSite } from "../metrics/scan";
import { classifyHead } from "./classify";
import { headEvidence } from "./evidence";
import { headPatterns } from "./headPatterns";
import { SiteMixtures } from "./mixture/fitMixture";
import type { TallySummary } from "./tally";
import { PATTERN_SMOOTHING, WINDOW_MAX } from "./thresholds";

const EPS = PATTERN_SMOOTHING;

interface Totals {
  gain: number;
  room: number;
  chance: number;
  rows: number;
  llr: number;
  mass: number;
}

/** Totals of one pattern of head h, naively: `set(i, p, limit)` lists the row's sources in the set. */
function naive(
  site: SiteAttention,
  geo: SiteGeometry,
  h: number,
  set: (p: number, limit: number) => number[],
  skip: (b: number, i: number) => boolean = () => false,
  float32 = false,
): Totals {
  const [B, H, T, S] = geo.dims;
  const out: Totals = { gain: 0, room: 0, chance: 0, rows: 0, llr: 0, mass: 0 };
  for (let b = 0; b < B; b++) {
    const g = geo.samples[b];
    for (let i = 0; i < T; i++) {
      if (!g.targetValid[i]) continue;
      const limit = geo.causal ? Math.min(S, i + geo.offset + 1) : S;
      let n = 0;
      for (let j = 0; j < limit; j++) n += g.sourceValid[j];
      if (n < 2 || skip(b, i)) continue;
      const sources = set(i + geo.offset, limit).filter((j) => j >= 0 && j < limit && g.sourceValid[j]);
      const u = sources.length / n;
      if (!(u > 0 && u < 1)) continue;
      const base = ((b * H + h) * T + i) * S;
      const sum = sources.reduce((s, j) => s + site.data[base + j], 0);
      // The metric pass keeps window masses as float32 (scan.windows).
      const m = float32 ? Math.fround(sum) : sum;
      const c = Math.min(1, Math.max(0, m));
      out.gain += m - u;
      out.room += 1 - u;
      out.chance += u;
      out.rows++;
      out.llr += c * Math.log((1 - EPS) / u + EPS) + (1 - c) * Math.log(EPS);
      out.mass += m;
    }
  }
  return out;
}

/** Close, not equal: the pass sums block by block, the naive loop straight through. */
function expectTotals(t: TallySummary, want: Totals, what: string): void {
  expect(t.count(), what).toBe(want.rows);
  if (want.rows === 0) return;
  expect(t.score(), what).toBeCloseTo(Math.min(1, want.gain / want.room), 9);
  expect(t.chance(), what).toBeCloseTo(want.chance / want.rows, 9);
  expect(t.logLikelihoodRatio(), what).toBeCloseTo(want.llr / want.rows, 9);
  expect(t.mass(), what).toBeCloseTo(want.mass / want.rows, 9);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

function prepared(site: SiteAttention, mask?: PositionMask): { geo: SiteGeometry; scan: SiteScan } {
  const masks = mask ? { encoder: mask } : {};
  const result: AttentionResult = { sites: [site], provider: "cpu", fallbacks: [], masks, outputs: {} };
  const geo = siteGeometry(result, site, {});
  // The JavaScript row kernel: its window masses are float64 sums rounded to float32, as the naive loop's.
  return { geo, scan: scanSite(site, geo, 1e-3, WINDOW_MAX, "js") };
}

describe("the evidence pass's raw tallies", () => {
  const padded = (lengths: number[]) =>
    designedSite(["window", "uniform", "previous"], { lengths, length: 30, noise: 0.3, window: 2 });
  const sites: [string, SiteAttention, PositionMask?][] = [
    ["bidirectional Dirichlet", dirichletSite(0.5, { heads: 3, length: 40, causal: false, seed: 4 })],
    ["causal Dirichlet", dirichletSite(0.5, { heads: 3, length: 40, causal: true, seed: 5 })],
    [
      "random batch of three",
      randomSite("encoder", "self", 0, { dims: [3, 3, 30, 30], seed: 6, lengths: [30, 22, 5], sharpness: 5 }),
    ],
    ["padded batch", padded([30, 22, 5]).site, padded([30, 22, 5]).mask],
    // The same shape padded differently: the previous site's geometry tables must not be reused.
    ["padded batch, another padding", padded([30, 21, 5]).site, padded([30, 21, 5]).mask],
  ];
  for (const [name, site, mask] of sites) {
    it(`equal a naive loop over the map (${name})`, () => {
      const { geo, scan } = prepared(site, mask);
      headEvidence(site, geo, scan).forEach((ev, h) => {
        expectTotals(
          ev.tallies.diagonal,
          naive(site, geo, h, (p) => [p]),
          `${name} h${h} diagonal`,
        );
        expectTotals(
          ev.tallies.previous,
          naive(site, geo, h, (p) => [p - 1]),
          `${name} h${h} previous`,
        );
        expectTotals(
          ev.tallies.next,
          naive(site, geo, h, (p) => [p + 1]),
          `${name} h${h} next`,
        );
        for (const w of [1, 2, 5, WINDOW_MAX]) {
          const want = naive(site, geo, h, (p) => range(p - w, p + w), undefined, true);
          expectTotals(ev.windows[w - 1], want, `${name} h${h} window ${w}`);
        }
      });
    });
  }

  it("tally a head row by row, by the same formula, when a mass is NaN where the geometry expects a number", () => {
    const site = dirichletSite(0.5, { heads: 2, length: 24, causal: false, seed: 8 });
    const { geo, scan } = prepared(site);
    const clean = headEvidence(site, geo, scan);
    const T = 24;
    // Head 1, row 7: the metric pass "lost" the previous-token weight.
    scan.rows.previous[T + 7] = Number.NaN;
    const [ev0, ev1] = headEvidence(site, geo, scan);
    const skip = (_b: number, i: number) => i === 7;
    expectTotals(
      ev1.tallies.previous,
      naive(site, geo, 1, (p) => [p - 1], skip),
      "previous without row 7",
    );
    expectTotals(
      ev1.tallies.diagonal,
      naive(site, geo, 1, (p) => [p]),
      "diagonal",
    );
    expectTotals(
      ev1.windows[2],
      naive(site, geo, 1, (p) => range(p - 3, p + 3)),
      "window 3",
      7,
    );
    // The other head and the other patterns are as before, to the bit.
    for (const [a, b] of [
      [ev0.tallies.previous, clean[0].tallies.previous],
      [ev1.tallies.diagonal, clean[1].tallies.diagonal],
      [ev1.windows[2], clean[1].windows[2]],
      [ev1.sparseTally, clean[1].sparseTally],
    ] as const) {
      expect([a.score(), a.logLikelihoodRatio(), a.mass(), a.count()]).toEqual([
        b.score(),
        b.logLikelihoodRatio(),
        b.mass(),
        b.count(),
      ]);
    }
  });
});

describe("evidence in a reused room", () => {
  // classifyScan keeps one buffer and its Tally objects from site to site and call to call
  // (tally.ts, ArenaRoom): sites of other shapes in between must leave no trace in a site's labels.
  function resultOf(site: SiteAttention): AttentionResult {
    return { sites: [site], provider: "cpu", fallbacks: [], masks: {} };
  }
  const sites: SiteAttention[] = [
    designedSite(["previous", "window", "first", "uniform"], { lengths: [20, 14], noise: 0.3, window: 2 }).site,
    dirichletSite(0.3, { heads: 6, length: 48, causal: true, seed: 3 }),
    designedSite(["first", "identity"], { lengths: [9], noise: 0.1 }).site,
  ];

  it("gives every site the labels of evidence made in a room of its own", () => {
    const fresh = sites.map((site) => {
      const result = resultOf(site);
      const geo = siteGeometry(result, site, {});
      const scan = scanSite(site, geo, 1e-3, WINDOW_MAX);
      return headEvidence(site, geo, scan).map((ev, h) => classifyHead(h, ev, new SiteMixtures(site, geo, scan)));
    });
    for (const k of [0, 1, 2, 0, 2, 1, 0]) {
      const result = resultOf(sites[k]);
      expect(headPatterns(result, sites[k]), `site ${k}`).toEqual(fresh[k]);
    }
  });
});
