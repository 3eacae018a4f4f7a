/**
 * AttentionResult → one display bundle: the payload under the attnlens MIME type (a JSON object),
 * a static SVG for hosts without the extension, and a text/plain summary. Sizes are checked before
 * any encoding work (encodePayload's budget), and the encoded payload is measured too: a result too
 * large for a notebook output becomes a short notice naming the limit and the ways out (pool, or
 * write a report file), or is pooled to fit when `pool: true`.
 */

import { ATTNLENS_MIME } from "@attnlens/widgets/dist/mime";
import { analyzeResult } from "../../analysis/metrics/analyze";
import { rollout } from "../../analysis/metrics/rollout";
import { AttnlensError } from "../../errors";
import type { AttentionResult } from "../../result/types";
import { formatBytes } from "../../util/bytes";
import { encodePayload, type PayloadOptions } from "../payload";
import { jsonBytes, utf8Bytes } from "../payload/budget";
import { renderOptions, staticSvg } from "./static";
import { EXTENSION_HINT, summarize } from "./summary";
import { DISPLAY_VIEWS, type DisplayBundle, type DisplayView, type ShowOptions } from "./types";

/**
 * The payload's MIME type, `application/vnd.attnlens.v1+json`: one constant, defined by
 * @attnlens/widgets (its renderers register it). Its module has no dependencies, so kernel-lib
 * loads it without the views.
 */
export { ATTNLENS_MIME };

/**
 * Default payload limit in a notebook output: UTF-8 bytes of its JSON text. jupyter_server drops iopub data above
 * 1 MB/s averaged over 3 s (iopub_data_rate_limit, rate_limit_window): about 3 MB per output.
 */
export const DISPLAY_MAX_BYTES = 2 * 1024 * 1024;

/** The static SVG is left out above this size (the extension then writes a PNG into the output). */
export const STATIC_MAX_BYTES = 512 * 1024;

function checkResult(result: AttentionResult, fn: string): void {
  if (!result || !Array.isArray(result.sites) || result.sites.length === 0) {
    throw new AttnlensError("BAD_INPUT", `${fn}: expected an AttentionResult with sites (what model.run returns)`);
  }
}

function checkView(view: string): asserts view is DisplayView {
  if (!DISPLAY_VIEWS.includes(view as DisplayView)) {
    throw new AttnlensError("BAD_INPUT", `unknown view "${view}"; views are: ${DISPLAY_VIEWS.join(", ")}`);
  }
}

function splitOptions(options: ShowOptions): { payloadOptions: PayloadOptions; rest: ShowOptions } {
  const { view, site, head, sample, maxBytes, pool, fallback, ...payloadOptions } = options;
  return { payloadOptions, rest: { view, site, head, sample, maxBytes, pool, fallback } };
}

/** Thrown when the encoded payload is over the limit (the budget estimate can miss some parts). */
function tooLarge(bytes: number, limit: number): AttnlensError {
  return new AttnlensError(
    "TOO_LARGE",
    `the payload is ${formatBytes(bytes)}, above the limit of ${formatBytes(limit)} (maxBytes); lower it with maxTokens, sites, samples or tokenRange`,
  );
}

/** encodePayload under a limit: its budget check first (cheap), then the measured size. */
function encodeWithin(result: AttentionResult, options: PayloadOptions, limit: number) {
  const payload = encodePayload(result, { ...options, maxBytes: limit });
  const bytes = jsonBytes(payload);
  if (bytes > limit) throw tooLarge(bytes, limit);
  return payload;
}

/**
 * Pools the maps into ever fewer token bins until the payload fits. Metrics and rollout are
 * computed once, on the full maps, and reused by every attempt.
 */
function pooledToFit(result: AttentionResult, options: PayloadOptions, limit: number, notes: string[]) {
  const longest = Math.max(...result.sites.flatMap((s) => [s.dims[2], s.dims[3]]));
  const shared: PayloadOptions = { ...options };
  if (shared.metrics === undefined) shared.metrics = attempt(() => analyzeResult(result)) ?? false;
  if (shared.rollout === undefined) shared.rollout = attempt(() => rollout(result)) ?? false;
  let maxTokens = 2 ** Math.floor(Math.log2(Math.max(2, (options.maxTokens ?? longest) - 1)));
  for (; maxTokens >= 8; maxTokens /= 2) {
    try {
      const payload = encodeWithin(result, { ...shared, maxTokens }, limit);
      notes.push(`pooled to ${maxTokens} cells per axis to fit the notebook limit of ${formatBytes(limit)}`);
      return payload;
    } catch (e) {
      if (!(e instanceof AttnlensError && e.code === "TOO_LARGE")) throw e;
    }
  }
  return null;
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** The patch-grid view needs the picture a vision run records. */
export function noImage(what: string): AttnlensError {
  return new AttnlensError(
    "BAD_INPUT",
    `${what}: the result has no image; run a vision model on { image } or { pixel_values } first`,
  );
}

/** The notice sent instead of a view that does not fit. */
export function tooLargeBundle(reason: string, limit: number): DisplayBundle {
  const lines = [
    `attnlens: this result is too large for a notebook output (limit ${formatBytes(limit)}).`,
    reason.replace(/^encodePayload: /, ""),
    "Options:",
    "  • pool the maps to fit:          await attnlens.show(result, { pool: true })   (or { maxTokens: 64 })",
    '  • write a report file instead:   await attnlens.exportReport(result, "attention.html")',
    "  • show fewer maps:               { sites: [...], samples: [0], tokenRange: [0, 128] }",
    `  • raise the limit (risky: Jupyter drops outputs above ~3 MB): { maxBytes: ${4 * 1024 * 1024} }`,
  ];
  const text = lines.join("\n");
  const html = `<pre class="attnlens-too-large">${text.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c] as string)}</pre>`;
  return { data: { "text/plain": text, "text/html": html }, metadata: {}, tooLarge: true, notes: [reason] };
}

/** Builds the bundle `show` sends (exported for hosts and tests that send it themselves). */
export async function displayBundle(result: AttentionResult, options: ShowOptions = {}): Promise<DisplayBundle> {
  checkResult(result, "show");
  const { payloadOptions, rest } = splitOptions(options);
  const view = rest.view;
  if (view !== undefined) checkView(view);
  if (view === "patches" && !result.image) throw noImage("the patches view");
  const limit = rest.maxBytes ?? DISPLAY_MAX_BYTES;
  const notes: string[] = [];
  let payload: ReturnType<typeof encodePayload> | null;
  try {
    payload = encodeWithin(result, payloadOptions, limit);
  } catch (e) {
    if (!(e instanceof AttnlensError && e.code === "TOO_LARGE")) throw e;
    payload = rest.pool ? pooledToFit(result, payloadOptions, limit, notes) : null;
    if (!payload) return tooLargeBundle(e.message, limit);
  }
  const selection = { view, site: rest.site, head: rest.head, sample: rest.sample };
  const text = [summarize(result, view ?? "views", payloadOptions.title), ...notes, EXTENSION_HINT].join("\n");
  const data: Record<string, unknown> = { [ATTNLENS_MIME]: payload, "text/plain": text };
  if (rest.fallback !== false) {
    try {
      const svg = await staticSvg(payload, selection);
      const svgBytes = svg ? utf8Bytes(svg) : 0;
      if (svg && svgBytes <= STATIC_MAX_BYTES) data["image/svg+xml"] = svg;
      else if (svg) notes.push(`static image left out (${formatBytes(svgBytes)} > ${formatBytes(STATIC_MAX_BYTES)})`);
    } catch (e) {
      notes.push(`static image left out: ${(e as Error).message}`);
    }
  }
  return { data, metadata: { [ATTNLENS_MIME]: renderOptions(payload, selection) }, notes };
}
