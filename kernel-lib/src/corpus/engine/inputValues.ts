/**
 * One input's per-head values from its own analysis (batch 1): exactly `attnlens metrics`' per-head
 * numbers (headSummary: the mean over the input's valid query rows), plus its pattern label and
 * mixture components.
 */
import type { SiteAnalysis } from "../../analysis/metrics/analyze";
import type { HeadMetrics } from "../../analysis/metrics/types";
import type { CorpusMetric, HeadValues } from "../aggregate/headAggregate";

/** A head measured on no row defines nothing (metrics.json writes null for it). */
export function headValues(h: HeadMetrics): HeadValues {
  if (h.rows === 0) return {};
  const v: Record<CorpusMetric, number | null> = {
    entropy: h.entropy,
    normalizedEntropy: h.normalizedEntropy,
    distance: h.distance,
    confidence: h.confidence,
    self: h.mass.self,
    previous: h.mass.previous,
    next: h.mass.next,
    first: h.mass.first,
    cls: h.mass.cls,
    sep: h.mass.sep,
    sink: h.mass.sink,
    punctuation: h.mass.punctuation,
  };
  return v;
}

export interface InputHead {
  values: HeadValues;
  /** Pattern label and mixture components; undefined when patterns are not classified. */
  label?: string;
  components?: string[];
}

/** A site's heads for one input; `patterns` null when the classifier did not run (patterns: false). */
export function inputHeads(
  site: Omit<SiteAnalysis, "patterns"> & { patterns: SiteAnalysis["patterns"] | null },
): InputHead[] {
  return site.heads.map((h, k) => {
    const p = site.patterns?.[k];
    return p
      ? { values: headValues(h), label: p.label, components: p.components.map((c) => c.pattern) }
      : { values: headValues(h) };
  });
}
