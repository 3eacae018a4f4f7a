/** A layers × heads table of pattern labels, for the terminal. */
import type { ResultMetrics } from "../analysis/metrics/analyze";
import type { HeadPattern } from "../analysis/patterns/types";

const SHORT: Record<string, string> = {
  diagonal: "diag",
  previous: "prev",
  next: "next",
  induction: "induct",
  vertical: "strip",
  local: "local",
  block: "block",
  sparse: "sparse",
  broad: "broad",
  mixed: "·",
};

/** The combined label, shortened: "prev+sink" for a previous-token head with a sink. */
function cell(p: HeadPattern): string {
  return p.combined
    .split("+")
    .map((part) => SHORT[part] ?? part)
    .join("+");
}

const CELL = 12;

export function patternTable(metrics: ResultMetrics): string {
  const heads = Math.max(...metrics.sites.map((s) => s.patterns.length));
  const width = Math.max(...metrics.sites.map((s) => s.site.id.length));
  const header = `${"site".padEnd(width)}  ${Array.from({ length: heads }, (_, h) => `h${h}`.padEnd(CELL)).join("")}`;
  const rows = metrics.sites.map(
    (s) => `${s.site.id.padEnd(width)}  ${s.patterns.map((p) => cell(p).padEnd(CELL)).join("")}`,
  );
  return [header, ...rows].join("\n");
}
