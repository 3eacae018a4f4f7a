/**
 * Checking DIR/metrics.json as read from disk (it may be stale, edited or damaged): the sites and
 * heads the report copies from it have the shape `attnlens metrics` writes, or one BAD_INPUT error
 * names the file and the field. Metric values may be null (NaN is written as null).
 */
import type { MetricsJson } from "../../analysis/metrics/analyze";
import { at, list, name, object, type Place, string } from "./jsonFields";

export function checkMetricsJson(json: unknown, file: string): MetricsJson {
  const top: Place = { file, field: "" };
  const m = object(top, json);
  const sites = list(at(top, "sites"), m.sites).map((s, i) => {
    const place = at(at(top, "sites"), i);
    const site = object(place, s);
    name(at(place, "id"), site.id);
    list(at(place, "heads"), site.heads).forEach((h, k) => {
      const head = object(at(at(place, "heads"), k), h);
      if (head.pattern !== undefined && head.pattern !== null)
        object(at(at(at(place, "heads"), k), "pattern"), head.pattern);
    });
    return site;
  });
  const warnings =
    m.warnings === undefined
      ? undefined
      : list(at(top, "warnings"), m.warnings).map((w, i) => string(at(at(top, "warnings"), i), w));
  return { sites, ...(warnings ? { warnings } : {}) } as unknown as MetricsJson;
}
