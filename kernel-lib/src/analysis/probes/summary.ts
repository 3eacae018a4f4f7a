/** The readable summary of a probe result. */
import type { ProbeMatch } from "./types";

const SHOWN = 10;

function line(m: ProbeMatch, samples: boolean): string {
  const other = m.other === null ? "" : ` (vs ${m.other.toFixed(3)})`;
  return `  ${m.site} head ${m.head}${samples ? ` sample ${m.sample}` : ""}: ${m.weight.toFixed(3)}${other}`;
}

export function summarize(rule: string, matches: ProbeMatch[], checked: number): string {
  const samples = new Set(matches.map((m) => m.sample)).size > 1 || matches.some((m) => m.sample > 0);
  const head = `${rule}: ${matches.length} of ${checked} heads`;
  if (matches.length === 0) return `${head}.`;
  const more = matches.length > SHOWN ? `\n  … and ${matches.length - SHOWN} more` : "";
  return `${head}:\n${matches
    .slice(0, SHOWN)
    .map((m) => line(m, samples))
    .join("\n")}${more}`;
}
