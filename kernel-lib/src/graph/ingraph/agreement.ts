/**
 * How far in-graph metrics are from the TypeScript reference computed from the full maps
 * (analyzeResult / rollout on `run()`): the largest |Δ| over every value both define, and where
 * exactly one side is undefined (NaN / null) — there should be none. For tests, and for checking
 * a new execution provider on one's own model.
 */
import type { ResultMetrics, SiteAnalysis } from "../../analysis/metrics/analyze";
import type { Rollout } from "../../analysis/metrics/rollout";
import { ROW_METRIC_KEYS } from "../../analysis/metrics/types";
import type { MeasuredSite, MeasureResult } from "./types";

/** How far two metric computations differ: largest absolute and relative differences, and any structural mismatch. */
export interface Agreement {
  /** Largest |Δ| where both are defined. */
  maxDiff: number;
  /** Largest |Δ| / max(1, |reference|): float32 sums over long rows lose digits on large values (distance). */
  maxRelative: number;
  /** `site.metric[index]` where exactly one side is NaN / null, or the values differ in kind. */
  mismatches: string[];
}

function note(out: Agreement, got: number, want: number): void {
  const d = Math.abs(got - want);
  out.maxDiff = Math.max(out.maxDiff, d);
  out.maxRelative = Math.max(out.maxRelative, d / Math.max(1, Math.abs(want)));
}

function compareArrays(where: string, a: ArrayLike<number>, b: ArrayLike<number>, out: Agreement): void {
  if (a.length !== b.length) {
    out.mismatches.push(`${where}: length ${a.length} vs ${b.length}`);
    return;
  }
  for (let k = 0; k < a.length; k++) {
    const x = a[k];
    const y = b[k];
    if (Number.isNaN(x) !== Number.isNaN(y)) out.mismatches.push(`${where}[${k}]: ${x} vs ${y}`);
    else if (!Number.isNaN(x)) note(out, x, y);
  }
}

function compareValue(where: string, a: number | null, b: number | null, out: Agreement): void {
  if ((a === null) !== (b === null)) out.mismatches.push(`${where}: ${a} vs ${b}`);
  else if (a !== null && b !== null) note(out, a, b);
}

function compareSite(got: MeasuredSite, want: SiteAnalysis, out: Agreement): void {
  const id = want.site.id;
  if (got.site.id !== id) out.mismatches.push(`site order: ${got.site.id} vs ${id}`);
  if (JSON.stringify(got.dims) !== JSON.stringify(want.dims)) out.mismatches.push(`${id}.dims`);
  if (got.site.causal !== want.site.causal)
    out.mismatches.push(`${id}.causal: ${got.site.causal} vs ${want.site.causal}`);
  if (got.rows) {
    for (const key of ROW_METRIC_KEYS) compareArrays(`${id}.${key}`, got.rows[key], want.rows[key], out);
    compareArrays(`${id}.sources`, got.rows.sources, want.rows.sources, out);
  }
  want.heads.forEach((w, h) => {
    const g = got.heads[h];
    const at = `${id}.head${h}`;
    if (g.rows !== w.rows) out.mismatches.push(`${at}.rows: ${g.rows} vs ${w.rows}`);
    for (const key of ["entropy", "normalizedEntropy", "distance", "signedDistance", "confidence"] as const) {
      compareValue(`${at}.${key}`, g[key], w[key], out);
    }
    for (const key of Object.keys(w.mass) as (keyof typeof w.mass)[]) {
      compareValue(`${at}.mass.${key}`, g.mass[key], w.mass[key], out);
    }
  });
}

/** Compares in-graph metrics (`model.measure`) with host metrics (`analyzeResult`) of the same input. */
export function metricsAgreement(got: MeasureResult, want: ResultMetrics): Agreement {
  const out: Agreement = { maxDiff: 0, maxRelative: 0, mismatches: [] };
  if (got.sites.length !== want.sites.length) out.mismatches.push(`${got.sites.length} vs ${want.sites.length} sites`);
  want.sites.forEach((w, k) => compareSite(got.sites[k], w, out));
  return out;
}

/** Compares two rollouts of the same stack (in-graph against host). */
export function rolloutAgreement(got: Rollout, want: Rollout): Agreement {
  const out: Agreement = { maxDiff: 0, maxRelative: 0, mismatches: [] };
  if (JSON.stringify(got.dims) !== JSON.stringify(want.dims)) out.mismatches.push(`dims ${got.dims} vs ${want.dims}`);
  if (JSON.stringify(got.layers) !== JSON.stringify(want.layers)) out.mismatches.push("layers");
  compareArrays(`${want.stack}.data`, got.data, want.data, out);
  if (want.cross || got.cross) {
    if (!want.cross || !got.cross) out.mismatches.push("cross part on one side only");
    else compareArrays(`${want.stack}.cross`, got.cross.data, want.cross.data, out);
  }
  return out;
}
