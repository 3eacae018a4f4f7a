/**
 * What the payload carries besides the maps: per-head metrics and pattern labels (from
 * `analyzeResult`), and the rollout / attention-flow probes. Each is computed on the whole run;
 * when one cannot be computed the payload says why in `notes` instead of failing.
 */
import type { EncodedMaps, HeadMetricsTable, HeadPatternLabel, MapDtype, PayloadProbe } from "@attnlens/widgets";
import { analyzeResult, type ResultMetrics } from "../../analysis/metrics/analyze";
import { type AttentionFlow, attentionFlow } from "../../analysis/metrics/flow";
import { type Rollout, rollout } from "../../analysis/metrics/rollout";
import type { AttentionResult } from "../../result/types";
import { cropMaps } from "./pool";
import { quantizeMaps } from "./quantize";
import { STREAM_OF } from "./tokens";

const finite = (x: number | null | undefined): number | null =>
  typeof x === "number" && Number.isFinite(x) ? x : null;

export function siteTables(
  metrics: ResultMetrics,
  id: string,
): { metrics?: HeadMetricsTable; patterns?: HeadPatternLabel[] } {
  const site = metrics.sites.find((s) => s.site.id === id);
  if (!site) return {};
  // A head measured on no row (no sample with valid positions) has no value, not 0.
  const value = (h: { rows: number }, x: number) => (h.rows > 0 ? finite(x) : null);
  return {
    metrics: {
      entropy: site.heads.map((h) => value(h, h.entropy)),
      distance: site.heads.map((h) => value(h, h.distance)),
      confidence: site.heads.map((h) => value(h, h.confidence)),
    },
    patterns: site.patterns?.map((p) => ({
      label: p.label,
      confidence: finite(p.confidence) ?? 0,
      combined: p.combined,
      support: p.support,
      components: p.components,
    })),
  };
}

/** The metrics to show: given, computed, or none (with the reason in notes). */
export function resolveMetrics(
  result: AttentionResult,
  given: ResultMetrics | false | undefined,
  notes: string[],
): ResultMetrics | undefined {
  if (given === false) return undefined;
  if (given) {
    notes.push(...(given.warnings ?? []));
    return given;
  }
  try {
    const computed = analyzeResult(result);
    notes.push(...(computed.warnings ?? []));
    return computed;
  } catch (e) {
    notes.push(`metrics left out: ${(e as Error).message}`);
    return undefined;
  }
}

function computeOr<T>(notes: string[], what: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    notes.push(`${what} left out: ${(e as Error).message}`);
    return undefined;
  }
}

export interface ProbeCut {
  samples: number[];
  rows: [number, number];
  cols: [number, number];
  dtype: MapDtype;
}

function block(data: Float32Array, dims: [number, number, number], cut: ProbeCut, cols = cut.cols): EncodedMaps {
  const c = cropMaps(data, [dims[0], 1, dims[1], dims[2]], cut.samples, cut.rows, cols);
  return quantizeMaps(c.data, c.dims, cut.dtype);
}

export function rolloutProbe(
  result: AttentionResult,
  given: Rollout | false | undefined,
  cut: (stream: "source" | "target") => ProbeCut,
  notes: string[],
): PayloadProbe | undefined {
  if (given === false) return undefined;
  const r = given ?? computeOr(notes, "rollout", () => rollout(result));
  if (!r) return undefined;
  const stream = STREAM_OF[r.stack];
  const probe: PayloadProbe = {
    method: "rollout",
    stack: r.stack,
    layers: r.layers,
    fusion: r.fusion,
    rows: stream,
    cols: stream,
    maps: block(r.data, r.dims, cut(stream)),
  };
  if (r.cross) probe.cross = block(r.cross.data, r.cross.dims, cut(stream), cut("source").cols);
  return probe;
}

export function flowProbe(
  result: AttentionResult,
  given: AttentionFlow | boolean | undefined,
  cut: (stream: "source" | "target") => ProbeCut,
  notes: string[],
): PayloadProbe | undefined {
  if (!given) return undefined;
  const f = given === true ? computeOr(notes, "attention flow", () => attentionFlow(result)) : given;
  if (!f) return undefined;
  const stream = STREAM_OF[f.stack];
  return {
    method: "flow",
    stack: f.stack,
    layers: f.layers,
    fusion: f.fusion,
    rows: stream,
    cols: stream,
    maps: block(f.data, f.dims, cut(stream)),
  };
}
