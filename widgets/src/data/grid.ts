/** Payload → the head grid's thumbnails (layers × heads) and the metric overview's cells. */

import type { AttentionPayload } from "../payload/types";
import { rasterUrl } from "../spec/raster";
import { blockMatrix } from "./matrix";
import { type AttentionType, type MetricName, sitesOf } from "./selection";

export interface GridCell {
  layer: number;
  head: number;
  /** Viridis PNG data URL, scaled to the map's own maximum. */
  url: string;
}

export interface GridData {
  type: AttentionType;
  layers: number[];
  heads: number;
  cells: GridCell[];
  /** True when the thumbnails come from pooled overviews. */
  pooled: boolean;
  /** Cells along the longer side of the largest thumbnail map. */
  resolution: number;
}

/** One thumbnail per (layer, head) of one attention type and sample, from the overview when there is one. */
export function gridData(payload: AttentionPayload, type: AttentionType, sample: number): GridData {
  const sites = sitesOf(payload, type);
  const cells: GridCell[] = [];
  let pooled = false;
  let resolution = 1;
  for (const site of sites) {
    const maps = site.overview ?? site.maps;
    if (!maps) continue;
    pooled ||= maps.bin[0] > 1 || maps.bin[1] > 1;
    for (let h = 0; h < site.heads; h++) {
      const m = blockMatrix(payload, site, maps, sample, h, false);
      resolution = Math.max(resolution, m.R, m.C);
      cells.push({ layer: site.layer, head: h, url: rasterUrl(m.values, m.R, m.C, m.max) });
    }
  }
  return {
    type,
    layers: sites.map((s) => s.layer),
    heads: Math.max(0, ...sites.map((s) => s.heads)),
    cells,
    pooled,
    resolution,
  };
}

export interface MetricCell {
  layer: number;
  head: number;
  /** The metric's value (null when undefined for that head). */
  value: number | null;
  pattern: string | null;
  /** The pattern label's score in [0, 1]. */
  patternScore: number | null;
}

export const METRIC_TITLES: Record<MetricName, string> = {
  entropy: "entropy (nats)",
  distance: "mean distance (tokens)",
  confidence: "confidence (max weight)",
  pattern: "pattern",
};

/** Per-head metric cells of one attention type; empty when the payload has no metrics. */
export function metricCells(payload: AttentionPayload, type: AttentionType, metric: MetricName): MetricCell[] {
  const out: MetricCell[] = [];
  for (const site of sitesOf(payload, type)) {
    if (!site.metrics && !site.patterns) continue;
    for (let h = 0; h < site.heads; h++) {
      const value = metric === "pattern" ? null : (site.metrics?.[metric]?.[h] ?? null);
      const p = site.patterns?.[h];
      out.push({
        layer: site.layer,
        head: h,
        value,
        pattern: p ? (p.combined ?? p.label) : null,
        patternScore: p?.confidence ?? null,
      });
    }
  }
  return out;
}
