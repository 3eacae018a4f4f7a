/**
 * False-positive rates of the pattern classifier on null maps (see nullMaps.ts): the share of
 * heads that get a structured label, and the share of not-peaked heads (Dirichlet α ≥ 0.3) called
 * "sparse", per length and causality. Shared by the calibration script and the tests.
 */
import { headPatterns } from "../analysis/patterns/headPatterns";
import type { PatternLabel } from "../analysis/patterns/types";
import type { AttentionResult, SiteAttention } from "../result/types";
import { dirichletSite, shuffledSite } from "./nullMaps";

/** Labels that claim positional structure. */
export const STRUCTURED: PatternLabel[] = ["diagonal", "previous", "next", "local", "vertical", "induction", "block"];
export const NULL_ALPHAS = [0.1, 0.3, 1, 3];

export interface NullRate {
  length: number;
  causal: boolean;
  heads: number;
  /** Heads with a structured label, over all null heads. */
  structured: number;
  /** Heads called "sparse", over the Dirichlet α ≥ 0.3 heads. */
  sparse: number;
  /** Counts of every label, for the table. */
  labels: Partial<Record<PatternLabel, number>>;
}

function labels(site: SiteAttention): PatternLabel[] {
  const result: AttentionResult = { sites: [site], provider: "cpu", fallbacks: [], masks: {}, outputs: {} };
  return headPatterns(result, site).map((p) => p.label);
}

/** Rates at one length: `heads` heads per null kind (4 Dirichlet concentrations, shuffled rows, shuffled columns). */
export function nullRate(length: number, causal: boolean, heads: number, seed: number): NullRate {
  const counts: Partial<Record<PatternLabel, number>> = {};
  let structured = 0;
  let total = 0;
  let sparse = 0;
  let flat = 0;
  const tally = (list: PatternLabel[], notPeaked: boolean) => {
    for (const l of list) {
      counts[l] = (counts[l] ?? 0) + 1;
      total++;
      if (STRUCTURED.includes(l)) structured++;
      if (notPeaked) {
        flat++;
        if (l === "sparse") sparse++;
      }
    }
  };
  const o = { heads, length, causal };
  NULL_ALPHAS.forEach((alpha, k) => {
    tally(labels(dirichletSite(alpha, { ...o, seed: seed * 31 + k })), alpha >= 0.3);
  });
  tally(labels(shuffledSite("rows", { ...o, seed: seed * 31 + 7 })), false);
  tally(labels(shuffledSite("columns", { ...o, seed: seed * 31 + 8 })), false);
  return { length, causal, heads: total, structured: structured / total, sparse: sparse / flat, labels: counts };
}
