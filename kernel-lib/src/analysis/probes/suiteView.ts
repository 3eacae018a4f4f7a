/**
 * The view of a suite's table: a Vega-Lite heatmap per group, sites × heads coloured by the
 * fraction of sentences where the head prefers the right word, a star on the heads whose
 * preference across sentences is significant (sign-flip test, Holm over the group's heads), and
 * tooltips with the interval, weights and p-values. Schema and theme are the widgets'.
 */
import { type ThemeName, themeConfig, VL_SCHEMA, type VlSpec } from "@attnlens/widgets/dist/spec/theme";
import type { SuiteTable } from "./runSuite";

/** Family-wise level at which the view stars a head (Holm-adjusted p below it). */
export const SUITE_ALPHA = 0.05;

/** The glyph the view draws on a significant head. */
export const SIGNIFICANT_MARK = "*";

/** A Vega-Lite spec of the suite's per-head table (one panel per group). */
export function suiteSpec(table: SuiteTable, options: { theme?: ThemeName } = {}): VlSpec {
  const values = table.groups.flatMap((g) =>
    g.heads.map((r) => ({
      group: g.group,
      site: r.site,
      layer: r.layer,
      head: r.head,
      fraction: r.fraction,
      holds: `${r.holds}/${r.total}`,
      interval: `${r.low.toFixed(2)}–${r.high.toFixed(2)}`,
      weight: r.meanWeight,
      other: r.meanOther,
      difference: r.meanDifference,
      p: r.p,
      pAdjusted: r.pAdjusted,
      mark: r.pAdjusted < SUITE_ALPHA ? SIGNIFICANT_MARK : "",
    })),
  );
  const position = {
    x: { field: "head", type: "ordinal", title: "head", axis: { labelAngle: 0 } },
    y: { field: "site", type: "ordinal", title: "site", sort: { field: "layer" } },
  };
  return {
    $schema: VL_SCHEMA,
    title: {
      text: table.suite,
      subtitle: `${SIGNIFICANT_MARK} prefers the right word across sentences: sign-flip test, Holm p < ${SUITE_ALPHA} over each group's heads`,
    },
    data: { values },
    // One panel per group, stacked, the group's name above its panel: side by side, long group
    // names (wider than a 4-head panel) ran into each other.
    facet: {
      row: {
        field: "group",
        type: "nominal",
        title: null,
        header: {
          labelAngle: 0,
          labelOrient: "top",
          labelAnchor: "start",
          labelAlign: "left",
          labelFontWeight: "bold",
        },
      },
    },
    spec: {
      width: { step: 22 },
      height: { step: 22 },
      layer: [
        {
          mark: { type: "rect", tooltip: true },
          encoding: {
            ...position,
            color: {
              field: "fraction",
              type: "quantitative",
              scale: { scheme: "viridis", domain: [0, 1] },
              title: "holds in",
            },
            tooltip: [
              { field: "site" },
              { field: "head" },
              { field: "holds", title: "sentences" },
              { field: "interval", title: "95% CI" },
              { field: "weight", format: ".3f" },
              { field: "other", format: ".3f" },
              { field: "difference", title: "mean weight − other", format: ".3f" },
              { field: "p", title: "p (sign-flip)", format: ".2g" },
              { field: "pAdjusted", title: "Holm p", format: ".2g" },
            ],
          },
        },
        {
          transform: [{ filter: "datum.mark !== ''" }],
          mark: { type: "text", fontSize: 14, fontWeight: "bold", baseline: "middle" },
          encoding: {
            ...position,
            text: { field: "mark" },
            // viridis runs from dark (0) to light (1): dark glyphs on the light half
            color: { condition: { test: "datum.fraction > 0.6", value: "#000000" }, value: "#ffffff" },
          },
        },
      ],
    },
    config: themeConfig(options.theme ?? "light"),
  };
}
