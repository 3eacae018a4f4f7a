/** Compiling specs with vega-lite (collecting warnings) and rendering them with vega in Node. */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { VlSpec } from "../src/spec/theme";

export function compile(spec: VlSpec): { vg: vega.Spec; warnings: string[] } {
  const warnings: string[] = [];
  const record = (...a: unknown[]) => {
    warnings.push(a.join(" "));
    return logger;
  };
  const logger = { level: () => logger, warn: record, info: () => logger, debug: () => logger, error: record };
  const out = vl.compile(spec as unknown as vl.TopLevelSpec, { logger: logger as unknown as vl.LoggerInterface });
  return { vg: out.spec, warnings };
}

/** Renders to SVG text with vega's headless view, the way kernel-lib's static fallback does. */
export async function toSvg(spec: VlSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).vg), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** The top-level layers of a spec, by name. */
export function layers(spec: VlSpec): Record<string, VlSpec> {
  return Object.fromEntries(((spec.layer as VlSpec[]) ?? []).map((l) => [l.name as string, l]));
}
