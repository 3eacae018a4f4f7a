/**
 * The report of an extraction directory (what `attnlens report DIR` writes): the maps, tokens when
 * DIR/tokens.json exists (else positions are labelled by index), and per-head metrics: taken from
 * DIR/metrics.json when present, computed otherwise.
 */
import type { AttentionPayload, PayloadSite } from "@attnlens/widgets";
import type { MetricsJson } from "../../analysis/metrics/analyze";
import { type Extraction, readExtraction } from "../files/extractionDir";
import { encodePayload, type PayloadOptions } from "../payload";
import type { ReportInput } from "./export";

/** Copies per-head metrics and pattern labels from metrics.json into the payload's sites. */
export function applyMetricsJson(payload: AttentionPayload, metrics: MetricsJson): void {
  const byId = new Map(metrics.sites.map((s) => [s.id, s]));
  for (const site of payload.sites as PayloadSite[]) {
    const m = byId.get(site.id);
    if (!m) continue;
    const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : null);
    site.metrics = {
      entropy: m.heads.map((h) => num(h.entropy)),
      distance: m.heads.map((h) => num(h.distance)),
      confidence: m.heads.map((h) => num(h.confidence)),
    };
    site.patterns = m.heads.map((h) => ({
      label: String(h.pattern?.label ?? "mixed"),
      confidence: num(h.pattern?.confidence) ?? 0,
    }));
  }
}

export function extractionReport(
  dir: string,
  options: PayloadOptions = {},
): { input: ReportInput; extraction: Extraction } {
  const extraction = readExtraction(dir);
  const { result, metrics } = extraction;
  const payload = encodePayload(result, { ...options, ...(metrics ? { metrics: false } : {}) });
  const notes = [`${result.sites.length} attention sites · provider ${result.provider}`];
  if (metrics) {
    applyMetricsJson(payload, metrics);
    notes.push("metrics from metrics.json");
  } else notes.push("metrics computed from the maps");
  if (!extraction.hasTokens) notes.push("no tokens.json: positions are labelled by index");
  return { input: { payload, title: options.title ?? dir, notes }, extraction };
}
