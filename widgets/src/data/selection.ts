/**
 * What the user has chosen: sample, attention type, layer, head (or an aggregate over heads),
 * whether special tokens are hidden, and the metric of the overview. Pure functions that list what
 * a payload offers and keep a selection valid for it.
 */
import type { AttentionPayload, PayloadSite } from "../payload/types";

/** Encoder self, decoder self or cross attention: `${stack}.${kind}`. */
export type AttentionType = "encoder.self" | "decoder.self" | "decoder.cross";

/** One head, or all heads fused: element-wise mean or max. */
export type HeadChoice = number | "mean" | "max";

export type MetricName = "entropy" | "distance" | "confidence" | "pattern";

export const METRICS: MetricName[] = ["entropy", "distance", "confidence", "pattern"];

export const TYPE_NAMES: Record<AttentionType, string> = {
  "encoder.self": "encoder self-attention",
  "decoder.self": "decoder self-attention",
  "decoder.cross": "cross-attention",
};

export interface Selection {
  sample: number;
  type: AttentionType;
  layer: number;
  head: HeadChoice;
  /** Hide special tokens ([CLS], [SEP], …) and renormalize each row over the tokens left. */
  hideSpecial: boolean;
  metric: MetricName;
}

export function typeOf(site: PayloadSite): AttentionType {
  return `${site.stack}.${site.kind}` as AttentionType;
}

/** The attention types present, in payload order. */
export function attentionTypes(payload: AttentionPayload): AttentionType[] {
  return [...new Set(payload.sites.map(typeOf))];
}

/** The sites of one type, by layer. */
export function sitesOf(payload: AttentionPayload, type: AttentionType): PayloadSite[] {
  return payload.sites.filter((s) => typeOf(s) === type).sort((a, b) => a.layer - b.layer);
}

export function siteFor(payload: AttentionPayload, sel: Pick<Selection, "type" | "layer">): PayloadSite | undefined {
  return payload.sites.find((s) => typeOf(s) === sel.type && s.layer === sel.layer);
}

/** The payload's first site with full maps (else the first site), head 0 of sample 0. */
export function defaultSelection(payload: AttentionPayload): Selection {
  const site = payload.sites.find((s) => s.maps) ?? payload.sites[0];
  return { sample: 0, type: typeOf(site), layer: site.layer, head: 0, hideSpecial: false, metric: "entropy" };
}

/** Clamps each field to what the payload has (a missing layer falls back to the type's first). */
export function normalizeSelection(payload: AttentionPayload, sel: Partial<Selection>): Selection {
  const base = defaultSelection(payload);
  const types = attentionTypes(payload);
  const type = sel.type && types.includes(sel.type) ? sel.type : base.type;
  const sites = sitesOf(payload, type);
  const site = sites.find((s) => s.layer === sel.layer) ?? sites[0];
  const head = sel.head ?? base.head;
  const validHead = head === "mean" || head === "max" || (Number.isInteger(head) && head >= 0 && head < site.heads);
  const sample = sel.sample ?? 0;
  return {
    sample: Number.isInteger(sample) && sample >= 0 && sample < payload.samples ? sample : 0,
    type,
    layer: site.layer,
    head: validHead ? head : 0,
    hideSpecial: sel.hideSpecial ?? false,
    metric: sel.metric && METRICS.includes(sel.metric) ? sel.metric : base.metric,
  };
}

export function headName(head: HeadChoice): string {
  return typeof head === "number" ? `head ${head}` : `${head} of heads`;
}
