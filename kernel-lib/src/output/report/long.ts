/**
 * Long inputs in reports: a report has no kernel to ask for tiles, so an input longer than
 * `longTokens` positions is encoded as a pooled overview plus a tile pyramid precomputed within
 * `tileBytes` (output/tiles). The section's notes say what the finest zoom level is.
 */
import type { AttentionPayload } from "@attnlens/widgets";
import type { AttentionResult } from "../../result/types";
import type { PayloadOptions } from "../payload";
import { tiledPayload } from "../tiles/encode";
import { TILED_PAYLOAD_MAX_BYTES } from "../tiles/plan";

/** Inputs with more positions than this are reported as overviews with zoom tiles (default). */
export const LONG_INPUT_TOKENS = 1024;

/** How a report treats long inputs. */
export interface LongInputOptions {
  /** Inputs with more positions than this get an overview with zoom tiles (default 1,024). */
  longTokens?: number;
  /** Size budget of one long input's section (overview + tiles), bytes (default 20 MB). */
  tileBytes?: number;
}

/** True when `result` is reported as an overview with tiles (the user chose no pooling or token range). */
export function isLongInput(result: AttentionResult, options: PayloadOptions & LongInputOptions): boolean {
  if (options.maxTokens !== undefined || options.tokenRange !== undefined) return false;
  const longest = Math.max(0, ...result.sites.map((s) => Math.max(s.dims[2], s.dims[3])));
  return longest > (options.longTokens ?? LONG_INPUT_TOKENS);
}

/** The long input's payload; `sites` keeps only those sites. */
export function longInputPayload(
  result: AttentionResult,
  options: PayloadOptions & LongInputOptions,
): AttentionPayload {
  const chosen = options.sites ? new Set(options.sites) : null;
  const kept = chosen ? { ...result, sites: result.sites.filter((s) => chosen.has(s.id)) } : result;
  const payload = tiledPayload(kept, {
    title: options.title,
    samples: options.samples,
    quantization: options.quantization,
    metrics: options.metrics,
    maxBytes: options.tileBytes ?? TILED_PAYLOAD_MAX_BYTES,
  });
  // Rollout and flow are T × T maps of their own, with no tiles: not drawn for long inputs.
  if (options.rollout !== false || options.flow)
    payload.notes = [...(payload.notes ?? []), "rollout and flow left out for long inputs (no zoom tiles for them)"];
  return payload;
}

/** The payload notes a report repeats under the section's heading (the zoom levels). */
export function zoomNotes(payload: AttentionPayload): string[] {
  return (payload.notes ?? []).filter((n) => n.startsWith("finest zoom level") || n.startsWith("zoom levels left out"));
}
