/** A layers × heads table of pattern labels, for the terminal. */
import type { ResultMetrics } from "../analysis/metrics/analyze";

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

export function patternTable(metrics: ResultMetrics): string {
  const heads = Math.max(...metrics.sites.map((s) => s.patterns.length));
  const width = Math.max(...metrics.sites.map((s) => s.site.id.length));
  const header = `${"site".padEnd(width)}  ${Array.from({ length: heads }, (_, h) => `h${h}`.padEnd(7)).join("")}`;
  const rows = metrics.sites.map(
    (s) => `${s.site.id.padEnd(width)}  ${s.patterns.map((p) => (SHORT[p.label] ?? p.label).padEnd(7)).join("")}`,
  );
  return [header, ...rows].join("\n");
}
