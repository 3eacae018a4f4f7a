/**
 * The report of an extraction directory (what `attnlens report DIR` writes): the maps, tokens when
 * DIR/tokens.json exists (else positions are labelled by index), and per-head metrics: taken from
 * DIR/metrics.json when present, computed otherwise.
 */

import * as path from "node:path";
import type { AttentionPayload, PayloadSite } from "@attnlens/widgets";
import type { MetricsJson } from "../../analysis/metrics/analyze";
import { AttnlensError } from "../../errors";
import { type Extraction, readExtraction } from "../files/extractionDir";
import { encodePayload, type PayloadOptions } from "../payload";
import type { ReportInput } from "./export";
import { isLongInput, type LongInputOptions, longInputPayload, zoomNotes } from "./long";

/** Copies per-head metrics and pattern labels from metrics.json into the payload's sites. */
export function applyMetricsJson(payload: AttentionPayload, metrics: MetricsJson, file = "metrics.json"): void {
  const byId = new Map(metrics.sites.map((s) => [s.id, s]));
  for (const site of payload.sites as PayloadSite[]) {
    const m = byId.get(site.id);
    if (!m) continue;
    if (m.heads.length !== site.heads) {
      throw new AttnlensError(
        "BAD_INPUT",
        `${file}: site ${site.id} has ${m.heads.length} heads but its map has ${site.heads}; ` +
          "it belongs to another extraction: rerun `attnlens metrics` on this directory",
      );
    }
    const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : null);
    site.metrics = {
      entropy: m.heads.map((h) => num(h.entropy)),
      distance: m.heads.map((h) => num(h.distance)),
      confidence: m.heads.map((h) => num(h.confidence)),
    };
    site.patterns = m.heads.map((h) => ({
      label: String(h.pattern?.label ?? "mixed"),
      confidence: num(h.pattern?.confidence) ?? 0,
      // Written by newer `attnlens metrics` only; older metrics.json files lack them.
      ...(typeof h.pattern?.combined === "string" ? { combined: h.pattern.combined } : {}),
      ...(num(h.pattern?.support) !== null ? { support: num(h.pattern?.support) as number } : {}),
    }));
  }
}

export function extractionReport(
  dir: string,
  options: PayloadOptions & LongInputOptions = {},
): { input: ReportInput; extraction: Extraction } {
  const extraction = readExtraction(dir);
  const { result, metrics } = extraction;
  const chosen = { ...options, ...(metrics ? { metrics: false as const } : {}) };
  const long = isLongInput(result, chosen);
  const payload = long ? longInputPayload(result, chosen) : encodePayload(result, chosen);
  const notes = [`${result.sites.length} attention sites · provider ${result.provider}`];
  if (long) notes.push(...zoomNotes(payload));
  if (metrics) {
    applyMetricsJson(payload, metrics, path.join(dir, "metrics.json"));
    notes.push("metrics from metrics.json", ...(metrics.warnings ?? []));
  } else if (payload.sites.some((s) => s.metrics)) notes.push("metrics computed from the maps");
  else {
    // encodePayload left them out and said why in its notes (e.g. a row that does not sum to 1).
    const why = payload.notes?.find((n) => n.startsWith("metrics left out: "))?.slice("metrics left out: ".length);
    notes.push(`no metrics: the maps did not pass the checks${why ? ` (${why})` : ""}`);
  }
  if (!extraction.hasTokens) notes.push("no tokens.json: positions are labelled by index");
  return { input: { payload, title: options.title ?? dir, notes }, extraction };
}
