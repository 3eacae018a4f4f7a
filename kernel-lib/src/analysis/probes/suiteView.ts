/**
 * The view of a suite's table: a Vega-Lite heatmap per group, sites × heads coloured by the
 * fraction of sentences where the head prefers the right word, tooltips with the interval and
 * weights. Schema and theme are the widgets'.
 */
import { type ThemeName, themeConfig, VL_SCHEMA, type VlSpec } from "@attnlens/widgets/dist/spec/theme";
import type { SuiteTable } from "./runSuite";

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
    })),
  );
  return {
    $schema: VL_SCHEMA,
    title: table.suite,
    data: { values },
    facet: { column: { field: "group", type: "nominal", title: null } },
    spec: {
      mark: { type: "rect", tooltip: true },
      width: { step: 22 },
      height: { step: 22 },
      encoding: {
        x: { field: "head", type: "ordinal", title: "head" },
        y: { field: "site", type: "ordinal", title: "site", sort: { field: "layer" } },
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
        ],
      },
    },
    config: themeConfig(options.theme ?? "light"),
  };
}
