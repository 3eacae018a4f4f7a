/**
 * From a head's mixture fit to what it reports: the components (patterns and the sink with weight
 * ≥ COMPONENT_MIN, largest first) and the combined label. Every component must also stand out of
 * the noise: weight ≥ t·(standard error), t the Student quantile at COMPONENT_Z with blocks − 1
 * degrees of freedom (calibrated on null maps like the label's margin, see docs/metrics.md).
 */
import { COMPONENT_MIN, COMPONENT_Z } from "../thresholds";
import type { PatternComponent, PatternLabel } from "../types";
import type { MixtureFit } from "./fitMixture";

/** The reported components of one head (see the file comment). */
export function mixtureComponents(fit: MixtureFit): PatternComponent[] {
  const out: PatternComponent[] = [];
  const bar = studentQuantile(COMPONENT_Z, fit.blocks - 1);
  fit.templates.forEach((t, k) => {
    const weight = fit.weights[k];
    if (weight >= COMPONENT_MIN && weight >= bar * fit.errors[k]) out.push({ pattern: t, weight });
  });
  return out.sort((a, b) => b.weight - a.weight);
}

/**
 * The Student t quantile with ν degrees of freedom at the normal quantile z (Cornish–Fisher, to
 * 1/ν³; at z = 3.5 within 4 % of the exact value for ν ≥ 5, 0.1 % at ν = 15, and below it for
 * ν < 5, where it is still ≥ 14): a standard error from few row blocks is itself uncertain, so the
 * bar is higher than z on short inputs. ν < 1: no bar can be met.
 */
export function studentQuantile(z: number, nu: number): number {
  if (nu < 1) return Number.POSITIVE_INFINITY;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return (
    z +
    (z3 + z) / (4 * nu) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * nu ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * nu ** 3)
  );
}

/** The cells a local window holds (a width-1 window is fitted as these: fitMixture.ts). */
const CELLS = ["diagonal", "previous", "next"];

/**
 * The label with the head's other components, e.g. "previous+next+sink": the label first, then the
 * other patterns by weight, then the sink. The cells inside a "local" head's window are part of
 * the label, except when the window (width 1) was fitted as its cells and several of them passed:
 * such a head, like a "mixed" one, is named by its components ("previous+next"). A "vertical"
 * head's sink is its label.
 */
export function combinedLabel(label: PatternLabel, components: PatternComponent[]): string {
  const patterns = components.filter((c) => c.pattern !== "sink").map((c) => c.pattern as string);
  const cells = patterns.filter((p) => CELLS.includes(p));
  const split = label === "local" && !patterns.includes("local") && cells.length >= 2;
  const inside = label === "local" && !split ? CELLS : [];
  const others = patterns.filter((p) => p !== label && !inside.includes(p));
  const sink = label !== "vertical" && components.some((c) => c.pattern === "sink") ? ["sink"] : [];
  const head = split || (label === "mixed" && others.length > 0) ? [] : [label];
  return [...head, ...others, ...sink].join("+");
}
