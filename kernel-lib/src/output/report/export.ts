/**
 * `exportReport(results, path)`: AttentionResult(s) → payloads → one self-contained HTML file.
 * The standalone format inlines the widgets bundle and calls `attnlensWidgets.render` per section;
 * the widget-state format stores the same payloads as Jupyter widget state, rendered by the standard
 * `@jupyter-widgets/html-manager` embedding (bundled with the attnlens widget classes).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { AttentionPayload } from "@attnlens/widgets";
import type { SuiteTable } from "../../analysis/probes/runSuite";
import { AttnlensError } from "../../errors";
import type { AttentionResult } from "../../result/types";
import { renderOptions } from "../display/static";
import { checkSuiteTable, suiteFigure, suiteSvg, suiteTableHtml } from "../display/suite";
import type { DisplayView } from "../display/types";
import { encodePayload, type PayloadOptions } from "../payload";
import { tiledPayloadFrom } from "../tiles/encode";
import { isFullResult, type LongInput } from "../widget/tiles";
import { embedBundle, widgetsBundle } from "./assets";
import { escapeHtml, type ReportSection, reportHtml, scriptJson, scriptSource, WIDGET_PAGE_CSP } from "./html";
import { isLongInput, type LongInputOptions, longInputPayload, zoomNotes } from "./long";
import { WIDGET_STATE_MIME, WIDGET_VIEW_MIME, widgetState } from "./widgetState";

/** One result to report: a bare result, a result with its own title/options, a ready payload, or a probe suite's table. */
export type ReportInput =
  | AttentionResult
  | { result: AttentionResult; title?: string; options?: PayloadOptions }
  | { payload: object; title?: string; notes?: string[] }
  | { suite: SuiteTable; title?: string };

/**
 * Options of `exportReport` and `reportDocument`: page title, format, first view, the payload options,
 * and how long inputs are reported (an overview with zoom tiles within `tileBytes`).
 */
export interface ReportOptions extends PayloadOptions, LongInputOptions {
  /** Page title (default "attnlens report"). */
  title?: string;
  /** "standalone" (default): widgets bundle + render(); "widget-state": Jupyter widget state + html-manager. */
  format?: "standalone" | "widget-state";
  /** The view each section opens on, and its first selection (as for `show`). */
  view?: DisplayView;
  site?: string;
  head?: number | "mean" | "max";
  sample?: number;
}

/** The report written by `exportReport`: its path, size in bytes and number of sections. */
export interface ReportFile {
  path: string;
  bytes: number;
  sections: number;
}

const VERSION: string = require("../../../package.json").version;

function isResult(x: ReportInput): x is AttentionResult {
  return Array.isArray((x as AttentionResult).sites) && "provider" in x;
}

/** Suite heatmaps rendered ahead of the (synchronous) page build: the SVG, or why it is left out. */
export type SuiteViews = ReadonlyMap<SuiteTable, { svg: string } | { note: string }>;

/** Renders the heatmap of every suite among the inputs (vega renders asynchronously). */
export async function renderSuiteViews(inputs: ReportInput[]): Promise<SuiteViews> {
  const views = new Map<SuiteTable, { svg: string } | { note: string }>();
  for (const input of inputs) {
    if (!("suite" in input) || !input.suite || views.has(input.suite)) continue;
    checkSuiteTable(input.suite, "exportReport");
    views.set(input.suite, await suiteSvg(input.suite));
  }
  return views;
}

/** A suite's section: its heatmap (when rendered) above the per-head table; the SVG is inline, no script draws it. */
function suiteSection(input: { suite: SuiteTable; title?: string }, views: SuiteViews): ReportSection {
  checkSuiteTable(input.suite, "exportReport");
  const notes = [`probe suite · ${input.suite.groups.length} groups`];
  const view = views.get(input.suite);
  if (!view) notes.push("heatmap left out: reportDocument builds the page synchronously; exportReport draws it");
  else if ("note" in view) notes.push(view.note);
  const figure = view && "svg" in view ? suiteFigure(view.svg) : "";
  return { title: input.title ?? input.suite.suite, payload: null, notes, html: figure + suiteTableHtml(input.suite) };
}

/**
 * The sections of a report: each input encoded (with the report's payload options under its own);
 * suites with their heatmap when `views` has it (exportReport renders them first).
 */
export function reportSections(
  inputs: ReportInput[],
  options: ReportOptions = {},
  views: SuiteViews = new Map(),
): ReportSection[] {
  const { title: _t, format: _f, view, site, head, sample, ...payloadOptions } = options;
  const withView = (section: ReportSection): ReportSection => {
    if (view === undefined && site === undefined && head === undefined && sample === undefined) return section;
    return { ...section, render: renderOptions(section.payload as AttentionPayload, { view, site, head, sample }) };
  };
  return inputs.map((input, i) => {
    if ("suite" in input && input.suite) return suiteSection(input, views);
    if ("payload" in input && input.payload) {
      return withView({ title: input.title ?? `Result ${i + 1}`, payload: input.payload, notes: input.notes });
    }
    const entry = isResult(input)
      ? { result: input }
      : (input as { result: AttentionResult; title?: string; options?: PayloadOptions });
    if (!entry.result || !Array.isArray(entry.result.sites)) {
      throw new AttnlensError(
        "BAD_INPUT",
        `exportReport: input ${i} is not an AttentionResult (from model.run) or {result} / {payload}`,
      );
    }
    const merged = { ...payloadOptions, ...entry.options };
    const long = isLongInput(entry.result, merged);
    const payload = long ? longInputPayload(entry.result, merged) : encodePayload(entry.result, merged);
    const title = entry.title ?? payload.title ?? (inputs.length === 1 ? "Attention" : `Result ${i + 1}`);
    const notes = [`${entry.result.sites.length} attention sites · provider ${entry.result.provider}`];
    if (long) notes.push(...zoomNotes(payload));
    return withView({ title, payload, notes });
  });
}

/**
 * The report page's HTML text. Synchronous, so a probe suite's section has its table only;
 * `exportReport` also draws the suite's heatmap (rendered before the page is built).
 */
export function reportDocument(inputs: ReportInput | ReportInput[], options: ReportOptions = {}): string {
  return pageOf(inputs, options, new Map());
}

function pageOf(inputs: ReportInput | ReportInput[], options: ReportOptions, views: SuiteViews): string {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (list.length === 0) throw new AttnlensError("BAD_INPUT", "exportReport: nothing to report (no results given)");
  const sections = reportSections(list, options, views);
  const title = options.title ?? "attnlens report";
  const generator = `attnlens ${VERSION}`;
  if (options.format === "widget-state") return widgetStateHtml(title, sections, generator);
  if (options.format && options.format !== "standalone") {
    throw new AttnlensError(
      "BAD_INPUT",
      `exportReport: format must be "standalone" or "widget-state", got ${options.format}`,
    );
  }
  return reportHtml({ title, sections, widgetsScript: widgetsBundle(), generator });
}

/** Writes the report; returns where, how big, and how many sections. */
export async function exportReport(
  results: ReportInput | LongInput | (ReportInput | LongInput)[],
  file: string,
  options: ReportOptions = {},
): Promise<ReportFile> {
  if (typeof file !== "string" || file === "")
    throw new AttnlensError("BAD_INPUT", 'exportReport: give the output path, e.g. "report.html"');
  // Lazy results (RowSources) are read here, asynchronously, into ready payloads.
  const list = await Promise.all((Array.isArray(results) ? results : [results]).map((r) => readLazy(r, options)));
  // Suite heatmaps are rendered here, asynchronously, so the page shows them without any script.
  const html = pageOf(list, options, await renderSuiteViews(list));
  const out = path.resolve(file);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, html);
  return { path: out, bytes: Buffer.byteLength(html), sections: list.length };
}

/** A lazy result (a RowSource without maps) as a ready payload section; other inputs as they are. */
async function readLazy(input: ReportInput | LongInput, options: ReportOptions): Promise<ReportInput> {
  const x = input as Partial<LongInput>;
  if (!(typeof x.tile === "function" && typeof x.rows === "function" && Array.isArray(x.sites)))
    return input as ReportInput;
  if (isFullResult(x as LongInput)) return input as ReportInput;
  const payload = await tiledPayloadFrom(x as LongInput, {
    title: options.title,
    samples: options.samples,
    quantization: options.quantization,
    metrics: options.metrics || undefined,
    maxBytes: options.tileBytes,
  });
  return {
    payload,
    title: payload.title ?? "Attention",
    notes: [`${x.sites.length} attention sites (lazy)`, ...zoomNotes(payload)],
  };
}

/** The same sections as saved Jupyter widget state, drawn by @jupyter-widgets/html-manager. */
function widgetStateHtml(title: string, sections: ReportSection[], generator: string): string {
  const drawn = sections.filter((s) => s.html === undefined);
  const { state, views } = widgetState(
    drawn.map((s) => s.payload),
    drawn.map((s) => s.render ?? {}),
  );
  const body = sections.map((s) => {
    const inner = s.html ?? `<script type="${WIDGET_VIEW_MIME}">${scriptJson(views[drawn.indexOf(s)])}</script>`;
    return `<section><h2>${escapeHtml(s.title)}</h2>\n${inner}\n</section>`;
  });
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${WIDGET_PAGE_CSP}">`,
    `<meta name="generator" content="${escapeHtml(generator)}">`,
    `<title>${escapeHtml(title)}</title>`,
    "<style>body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:12px 24px}</style>",
    `<script type="${WIDGET_STATE_MIME}">${scriptJson(state)}</script>`,
    "</head>",
    "<body>",
    `<h1>${escapeHtml(title)}</h1>`,
    ...body,
    `<script>${scriptSource(embedBundle())}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
