/**
 * A probe suite's table (runProbeSuite) as a notebook output and a report section: the per-head
 * table as escaped HTML, the suite's Vega-Lite heatmap (suiteSpec) rendered to a static SVG, and
 * the text table. Group, suite and site names come from the user's suite and model: all escaped.
 */
import type { SuiteTable } from "../../analysis/probes/runSuite";
import { suiteSpec } from "../../analysis/probes/suiteView";
import { pText, sampleTestLine } from "../../analysis/probes/summary";
import { AttnlensError } from "../../errors";
import { escapeHtml } from "../report/html";
import { STATIC_MAX_BYTES } from "./bundle";
import { specSvg } from "./static";
import type { DisplayBundle } from "./types";

/** Options of showSuite / suiteBundle: heads listed per group in the table, and the static picture. */
export interface SuiteShowOptions {
  /** Heads listed per group in the HTML table, best first (default 8; the picture shows all). */
  shown?: number;
  /** The heatmap: an SVG, also inline in the HTML (default), or none. */
  fallback?: "svg" | false;
}

export function checkSuiteTable(table: SuiteTable, fn: string): void {
  if (!table || typeof table.suite !== "string" || !Array.isArray(table.groups)) {
    throw new AttnlensError("BAD_INPUT", `${fn}: expected a suite table (what runProbeSuite returns)`);
  }
}

/** The per-head table as HTML: one table per group, best heads first; every name escaped. */
export function suiteTableHtml(table: SuiteTable, shown = 8): string {
  const f = (x: number | null, digits: number) => (x === null ? "" : x.toFixed(digits));
  const margin = escapeHtml(String(table.margin));
  const groups = table.groups.map((g) => {
    const rows = g.heads
      .slice(0, shown)
      .map(
        (r) =>
          `<tr><td>${escapeHtml(r.site)}</td><td>${r.head}</td><td>${r.holds}/${r.total}</td>` +
          `<td>${f(r.fraction, 2)}</td><td>${f(r.low, 2)}–${f(r.high, 2)}</td>` +
          `<td>${f(r.meanWeight, 3)}</td><td>${f(r.meanOther, 3)}</td>` +
          `<td>${pText(r.p)}</td><td>${pText(r.pAdjusted)}</td></tr>`,
      );
    return [
      `<h3>${escapeHtml(g.group)} · ${g.sentences} sentences</h3>`,
      '<table class="attnlens-suite"><thead><tr><th>site</th><th>head</th><th>holds</th><th>fraction</th>' +
        "<th>95% CI</th><th>weight</th><th>other</th><th>p</th><th>Holm p</th></tr></thead>",
      `<tbody>${rows.join("")}</tbody></table>`,
      `<p class="attnlens-notes">${escapeHtml(sampleTestLine(g.test))}</p>`,
    ].join("\n");
  });
  return [
    `<div class="attnlens-suite-table"><p>${escapeHtml(table.suite)}: a head holds where it prefers the right word by more than ${margin}.</p>`,
    ...groups,
    "</div>",
  ].join("\n");
}

/**
 * The suite's heatmap (suiteSpec) rendered to a static SVG, or why not (too large, vega failed).
 * Vega's SVG renderer escapes every text it draws, so user names stay text.
 */
export async function suiteSvg(table: SuiteTable): Promise<{ svg: string } | { note: string }> {
  try {
    const svg = await specSvg(suiteSpec(table));
    if (Buffer.byteLength(svg) <= STATIC_MAX_BYTES) return { svg };
    return { note: "static image left out (too large)" };
  } catch (e) {
    return { note: `static image left out: ${(e as Error).message}` };
  }
}

/** The rendered heatmap as HTML: the SVG inline (no script draws it), on a light ground in dark themes too. */
export function suiteFigure(svg: string): string {
  return `<figure class="attnlens-suite-view" style="margin:8px 0;overflow-x:auto;background:#fff">${svg}</figure>\n`;
}

/**
 * The display bundle of a suite table: HTML (the heatmap inline above the table: notebooks prefer
 * HTML to SVG, so a picture only in image/svg+xml would not show), the static SVG heatmap, and text.
 */
export async function suiteBundle(table: SuiteTable, options: SuiteShowOptions = {}): Promise<DisplayBundle> {
  checkSuiteTable(table, "showSuite");
  const notes: string[] = [];
  const view = options.fallback !== false ? await suiteSvg(table) : null;
  if (view && "note" in view) notes.push(view.note);
  const svg = view && "svg" in view ? view.svg : null;
  const data: Record<string, unknown> = {
    "text/plain": String(table),
    "text/html": (svg ? suiteFigure(svg) : "") + suiteTableHtml(table, options.shown),
  };
  if (svg) data["image/svg+xml"] = svg;
  return { data, metadata: {}, notes };
}
