/**
 * Joining top-level specs into one concat spec: datasets, config and variable params move to the
 * top (Vega-Lite allows them only there), everything else stays with its part.
 */
import { type ThemeName, themeConfig, VL_SCHEMA, type VlSpec } from "./theme";

/** A spec, or specs side by side (hconcat) or stacked (vconcat). */
export type Layout = VlSpec | { hconcat: Layout[] } | { vconcat: Layout[] };

// Each part keeps its own scales and legends (concat would otherwise merge colour scales).
const INDEPENDENT = {
  scale: { x: "independent", y: "independent", color: "independent", opacity: "independent" },
  legend: { color: "independent" },
};

export function concatSpecs(layout: Layout, theme: ThemeName, title?: string): VlSpec {
  const datasets: VlSpec = {};
  const params = new Map<string, VlSpec>();
  const strip = (part: Layout): VlSpec => {
    const spec = part as VlSpec;
    if (Array.isArray(spec.hconcat)) return { hconcat: (spec.hconcat as Layout[]).map(strip), resolve: INDEPENDENT };
    if (Array.isArray(spec.vconcat)) return { vconcat: (spec.vconcat as Layout[]).map(strip), resolve: INDEPENDENT };
    const { $schema: _s, config: _c, datasets: d, params: p, ...rest } = part as VlSpec;
    Object.assign(datasets, d ?? {});
    for (const param of (p as VlSpec[] | undefined) ?? []) params.set(param.name as string, param);
    return rest;
  };
  const body = strip(layout);
  return {
    $schema: VL_SCHEMA,
    ...(title ? { title: { text: title } } : {}),
    params: [...params.values()],
    datasets,
    ...body,
    spacing: 24,
    config: themeConfig(theme),
  };
}
