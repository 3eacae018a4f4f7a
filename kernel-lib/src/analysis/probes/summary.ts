/** The readable summary of a probe result: matches with effect size and p-value, the test, per-head rates. */
import type { ProbeHeadRate, ProbeMatch, ProbeTest } from "./types";

const SHOWN = 10;

const pText = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));

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
  return `  ${r.site} head ${r.head}: holds in ${r.holds}/${r.total} (${r.fraction.toFixed(2)}, ${ci})`;
}

export function summarize(
  rule: string,
  matches: ProbeMatch[],
  checked: number,
  test: ProbeTest,
  rates: ProbeHeadRate[],
  inputs: number,
): string {
  const samples = new Set(matches.map((m) => m.sample)).size > 1 || matches.some((m) => m.sample > 0);
  const head = `${rule}: ${matches.length} of ${checked} heads`;
  const perHead =
    inputs > 1 || rates.some((r) => r.total > 1)
      ? `\n  per head over sentences:\n${rates
          .slice(0, SHOWN)
          .map((r) => `  ${rateLine(r)}`)
          .join("\n")}`
      : "";
  if (matches.length === 0) return `${head}.\n${testLine(test)}${perHead}`;
  const more = matches.length > SHOWN ? `\n  … and ${matches.length - SHOWN} more` : "";
  return `${head}:\n${matches
    .slice(0, SHOWN)
    .map((m) => line(m, samples, inputs > 1))
    .join("\n")}${more}\n${testLine(test)}${perHead}`;
}
