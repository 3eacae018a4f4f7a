/**
 * The bootstrap keeps the totals of the tallies no resample can move (frozen.ts). Reference: the
 * bootstrap written out in full here — every tally of every resample summed from its blocks
 * (Tally.resampleInto), every resample labelled again by labelHead — on heads of every kind:
 * null maps, designed patterns and mixtures with sinks at noise levels that put scores near the
 * thresholds (supports below 1), padded batches. Support and interval must be equal, not close.
 */
import { describe, expect, it } from "vitest";
import { testSite } from "../../../test/randomSites";
import type { AttentionResult, SiteAttention, TokenInfo } from "../../result/types";
import { dirichletSite, shuffledSite } from "../../testing/nullMaps";
import { designedSite, randomSite } from "../../testing/syntheticMaps";
import { seededRandom } from "../../util/random";
import { siteGeometry } from "../metrics/geometry";
import { scanSite } from "../metrics/scan";
import { labelHead, minimumRows } from "./classify";
import { type HeadEvidence, headEvidence, type PatternTallies } from "./evidence";
import { type FrozenSet, frozenTallies } from "./frozen";
import { TALLY_BLOCKS, type Tally, TallySummary } from "./tally";
import { BOOTSTRAP_RESAMPLES, WINDOW_MAX } from "./thresholds";
import { labelUncertainty } from "./uncertainty";

function resultOf(site: SiteAttention, tokens?: TokenInfo[][]): AttentionResult {
  return {
    sites: [site],
    provider: "cpu",
    fallbacks: [],
    masks: {},
    outputs: {},
    ...(tokens ? { tokens: { source: tokens, target: tokens } } : {}),
  };
}

function tokensOf(ids: number[], specials: Record<number, string>): TokenInfo[] {
  return ids.map((id, j) => ({ text: specials[j] ?? `t${id}`, id, word: j, special: specials[j] !== undefined }));
}

function evidenceOf(result: AttentionResult): HeadEvidence[] {
  const site = result.sites[0];
  const geo = siteGeometry(result, site, {});
  return headEvidence(site, geo, scanSite(site, geo, 1e-3, WINDOW_MAX));
}

/** labelUncertainty as it reads: each resample sums every tally from its blocks, then relabels. */
function fullBootstrap(ev: HeadEvidence, seed: number): { support: number; interval: [number, number] } {
  const core = labelHead(ev);
  if (ev.rows === 0) return { support: 0, interval: [core.confidence, core.confidence] };
  const near = (t: Tally) => t.logLikelihoodRatio() >= 0.125;
  if (ev.windows.some(near) || ev.rest.windows.some(near)) ev.fillRings();
  const rand = seededRandom(0x9e3779b9 ^ seed);
  const times = new Float64Array(TALLY_BLOCKS);
  const pairs: [Tally, TallySummary][] = [];
  const copy = (t: Tally) => {
    const s = new TallySummary();
    pairs.push([t, s]);
    return s;
  };
  const view = (v: PatternTallies): PatternTallies<TallySummary> => ({
    tallies: {
      diagonal: copy(v.tallies.diagonal),
      previous: copy(v.tallies.previous),
      next: copy(v.tallies.next),
      induction: copy(v.tallies.induction),
      block: copy(v.tallies.block),
    },
    windows: v.windows.map(copy),
    rings: v.rings.map(copy),
  });
  const raw = view(ev);
  const scratch: HeadEvidence<TallySummary> = {
    ...ev,
    tallies: { ...raw.tallies, vertical: copy(ev.tallies.vertical) },
    windows: raw.windows,
    rings: raw.rings,
    rest: ev.rest.windows === ev.windows ? raw : view(ev.rest),
    sparseTally: copy(ev.sparseTally),
    sparseShortTally: copy(ev.sparseShortTally),
    fillRings: () => {},
  };
  let same = 0;
  const scores: number[] = [];
  for (let k = 0; k < BOOTSTRAP_RESAMPLES; k++) {
    times.fill(0);
    for (let d = 0; d < ev.blocks; d++) times[Math.floor(rand() * ev.blocks)]++;
    for (const [t, s] of pairs) t.resampleInto(s, times);
    const again = labelHead(scratch);
    if (again.label === core.label) same++;
    const s = again.label === core.label ? again.confidence : core.label === "mixed" ? null : again.scores[core.label];
    if (s !== null && Number.isFinite(s)) scores.push(s);
  }
  scores.sort((a, b) => a - b);
  const q = (p: number) => {
    const x = p * (scores.length - 1);
    const lo = Math.floor(x);
    const hi = Math.min(scores.length - 1, lo + 1);
    return scores[lo] + (x - lo) * (scores[hi] - scores[lo]);
  };
  const interval: [number, number] = scores.length > 0 ? [q(0.025), q(0.975)] : [core.confidence, core.confidence];
  return { support: same / BOOTSTRAP_RESAMPLES, interval };
}

/** Σ_k weight_k · map_k into head h (maps of one head each). */
function mixInto(into: SiteAttention, h: number, parts: [number, Float32Array][]): void {
  const [, , T, S] = into.dims;
  for (let i = 0; i < T * S; i++) into.data[h * T * S + i] = parts.reduce((s, [w, m]) => s + w * m[i], 0);
}

/** Designed heads mixed with a sink column and uniform noise at several strengths (scores near the margins). */
function mixtures(T: number, causal: boolean): AttentionResult {
  const half = T / 2;
  const ids = Array.from({ length: T }, (_, j) => (j < half ? 10 + j : 10 + j - half));
  const rows = (p: Parameters<typeof designedSite>[0], window?: number) =>
    designedSite(p, { lengths: [T], causal, tokenIds: [Int32Array.from(ids)], window }).site.data;
  const sink = new Float32Array(T * T);
  for (let i = 0; i < T; i++) sink[i * T + (causal ? 0 : T - 1)] = 1;
  const designs = [rows("identity"), rows("previous"), rows("next"), rows("induction"), rows("window", 3)];
  const noises = [0.25, 0.45, 0.6];
  const heads = designs.length * noises.length * 2;
  const site = testSite(false, causal, new Float32Array(heads * T * T), [1, heads, T, T]);
  let h = 0;
  for (const d of designs) {
    for (const noise of noises) {
      mixInto(site, h++, [
        [1 - noise, d],
        [noise, rows("uniform")],
      ]);
      mixInto(site, h++, [
        [0.55 * (1 - noise), d],
        [0.45 * (1 - noise), sink],
        [noise, rows("uniform")],
      ]);
    }
  }
  const specials: Record<number, string> = causal ? { 0: "<|endoftext|>" } : { 0: "[CLS]", [T - 1]: "[SEP]" };
  return resultOf(site, [tokensOf(ids, specials)]);
}

function inputs(): [string, AttentionResult][] {
  const out: [string, AttentionResult][] = [];
  for (const causal of [false, true]) {
    for (const T of [8, 24, 64]) {
      for (const alpha of [0.1, 0.3, 1, 3]) {
        const specials: Record<number, string> = causal ? { 0: "<|endoftext|>" } : { 0: "[CLS]", [T - 1]: "[SEP]" };
        const ids = Array.from({ length: T }, (_, j) => 1000 + (j % 5));
        const site = dirichletSite(alpha, { heads: 4, length: T, causal, seed: T + alpha * 10 });
        out.push([`dirichlet α=${alpha} T=${T} causal=${causal}`, resultOf(site, [tokensOf(ids, specials)])]);
      }
      out.push([
        `shuffled T=${T} causal=${causal}`,
        resultOf(shuffledSite("rows", { heads: 4, length: T, causal, seed: T })),
      ]);
    }
    for (const T of [24, 48]) out.push([`mixtures T=${T} causal=${causal}`, mixtures(T, causal)]);
  }
  const batch = randomSite("encoder", "self", 0, { dims: [3, 6, 40, 40], seed: 2, lengths: [40, 31, 9], sharpness: 6 });
  out.push(["random padded batch", resultOf(batch)]);
  return out;
}

describe("the bootstrap's frozen tallies", () => {
  it("give the support and interval of the full bootstrap on every head", () => {
    let heads = 0;
    let all = 0;
    let partial = 0;
    let unsure = 0;
    for (const [name, result] of inputs()) {
      evidenceOf(result).forEach((ev, h) => {
        const core = labelHead(ev);
        const expected = fullBootstrap(ev, h);
        const frozen = frozenTallies(ev, core.label, minimumRows(ev.rows));
        if (frozen === "all") all++;
        else if (frozen.size > 0) partial++;
        if (expected.support < 1) unsure++;
        heads++;
        expect(labelUncertainty(ev, core, h), `${name}, head ${h} (${core.label})`).toEqual(expected);
      });
    }
    // The inputs exercise all three paths: no resampling, some tallies resampled, labels that move.
    expect(heads).toBe(246);
    expect(all).toBeGreaterThanOrEqual(10);
    expect(partial).toBeGreaterThanOrEqual(100);
    expect(unsure).toBeGreaterThanOrEqual(30);
  });

  it("keep every tally of a head no resample can relabel, and none of a mixed head", () => {
    const T = 64;
    const uniform = designedSite("uniform", { lengths: [T] }).site;
    const [flat] = evidenceOf(resultOf(uniform));
    expect(labelHead(flat).label).toBe("broad");
    expect(frozenTallies(flat, "broad", minimumRows(flat.rows))).toBe("all");
    expect(frozenTallies(flat, "mixed", minimumRows(flat.rows))).toMatchObject({ size: 0 });
    // A previous-token head: its own tally is resampled, the far-off ones (next, induction) are kept.
    const previous = designedSite("previous", { lengths: [T], noise: 0.3 }).site;
    const [ev] = evidenceOf(resultOf(previous));
    const frozen = frozenTallies(ev, labelHead(ev).label, minimumRows(ev.rows));
    expect(labelHead(ev).label).toBe("previous");
    expect(frozen).not.toBe("all");
    const kept = frozen as FrozenSet;
    expect(kept.has(ev.tallies.previous)).toBe(false);
    expect(kept.has(ev.tallies.next)).toBe(true);
    expect(kept.has(ev.sparseTally)).toBe(true);
  });
});
