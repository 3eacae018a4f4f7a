/** The readable summary of a probe result: matches with effect size and p-value, the test, per-head rates. */
import type { ProbeHeadRate, ProbeMatch, ProbeSampleTest, ProbeTest } from "./types";

const SHOWN = 10;

/** A p-value as text: three decimals, or scientific below 0.001. */
export const pText = (p: number): string => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));

function line(m: ProbeMatch, samples: boolean, inputs: boolean): string {
  const other = m.other === null ? "" : ` (vs ${m.other.toFixed(3)})`;
  const where = `${inputs ? ` sentence ${m.input}` : ""}${samples ? ` sample ${m.sample}` : ""}`;
  const effect = `${m.ratio.toFixed(1)}× chance ${m.chance.toFixed(3)}`;
  return `  ${m.site} head ${m.head}${where}: ${m.weight.toFixed(3)}${other}, ${effect}, p ${pText(m.p)} (Holm ${pText(m.pAdjusted)})`;
}

function testLine(t: ProbeTest): string {
  const perms = t.exact
    ? `exact, up to ${t.permutations} arrangements`
    : `${t.permutations} permutations, seed ${t.seed}`;
  return `  p: one-sided permutation test over positions (${perms} per head); Holm correction over ${t.comparisons} comparisons`;
}

function rateLine(r: ProbeHeadRate): string {
  const ci = `95% CI ${r.low.toFixed(2)}–${r.high.toFixed(2)}`;
  const effect = `mean difference ${r.meanDifference.toFixed(3)}, p ${pText(r.p)} (Holm ${pText(r.pAdjusted)})`;
  return `  ${r.site} head ${r.head}: holds in ${r.holds}/${r.total} (${r.fraction.toFixed(2)}, ${ci}); ${effect}`;
}

/** The test across sentences in one line (exported for the suite table's text). */
export function sampleTestLine(t: ProbeSampleTest): string {
  const perms = t.exact
    ? `exact, up to ${t.permutations} sign patterns`
    : `${t.permutations} sign patterns, seed ${t.seed}`;
  return `p: one-sided sign-flip permutation test of ${t.statistic} over up to ${t.sentences} sentences (${perms} per head); Holm correction over ${t.comparisons} heads`;
}

export function summarize(
  rule: string,
  matches: ProbeMatch[],
  checked: number,
  test: ProbeTest,
  rates: ProbeHeadRate[],
  sampleTest: ProbeSampleTest,
  inputs: number,
): string {
  const samples = new Set(matches.map((m) => m.sample)).size > 1 || matches.some((m) => m.sample > 0);
  const head = `${rule}: ${matches.length} of ${checked} heads`;
  const perHead =
    inputs > 1 || rates.some((r) => r.total > 1)
      ? `\n  per head over sentences:\n${rates
          .slice(0, SHOWN)
          .map((r) => `  ${rateLine(r)}`)
          .join("\n")}\n  ${sampleTestLine(sampleTest)}`
      : "";
  if (matches.length === 0) return `${head}.\n${testLine(test)}${perHead}`;
  const more = matches.length > SHOWN ? `\n  … and ${matches.length - SHOWN} more` : "";
  return `${head}:\n${matches
    .slice(0, SHOWN)
    .map((m) => line(m, samples, inputs > 1))
    .join("\n")}${more}\n${testLine(test)}${perHead}`;
}
