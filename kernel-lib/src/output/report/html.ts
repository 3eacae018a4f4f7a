/**
 * The report page: one self-contained HTML file. The widgets' browser bundle and every payload are
 * inlined, so it opens from file:// with no network (a Content-Security-Policy forbids any request),
 * and all data stays data: payloads travel as JSON inside <script type="application/json"> with
 * `<`, `>` and `&` escaped, and titles are HTML-escaped, so no token can become markup.
 */

/** One section of a report: a payload (v1) with a heading. */
export interface ReportSection {
  title: string;
  /** Payload v1 as produced by `encodePayload` (any JSON object; the viewer validates it). */
  payload: unknown;
  /** Lines shown under the heading (provider, notes). */
  notes?: string[];
  /** Options for this section's `render` besides the theme (view tab, first selection). */
  render?: Record<string, unknown>;
  /** Ready, escaped HTML shown instead of a payload's view (a probe suite's heatmap as inline SVG, and its table). */
  html?: string;
}

export interface ReportPage {
  title: string;
  sections: ReportSection[];
  /** The widgets' self-contained browser bundle (defines the global `attnlensWidgets`). */
  widgetsScript: string;
  generator?: string;
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** JSON that is safe inside a <script> element: no `<`, `>`, `&` or line separators survive literally. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** JavaScript source that is safe inside a <script> element (no `</script` or `<!--` sequences). */
export function scriptSource(js: string): string {
  return js.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

/**
 * No network at all: scripts and styles only inline, images only from data:/blob: URLs. No
 * 'unsafe-eval' either: the widgets run Vega expressions through vega-interpreter.
 */
export const REPORT_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
  "img-src data: blob:; font-src data:; connect-src 'none'; worker-src blob:; base-uri 'none'; form-action 'none'";

/** The same for widget-state pages: html-manager validates the state with ajv, which compiles with `new Function`. */
export const WIDGET_PAGE_CSP = REPORT_CSP.replace(
  "script-src 'unsafe-inline'",
  "script-src 'unsafe-inline' 'unsafe-eval'",
);

const STYLE = `
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #ffffff; --muted: #666; --rule: #ddd; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e6e6; --bg: #111418; --muted: #9aa; --rule: #333; } }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header, section { max-width: 1200px; margin: 0 auto; padding: 12px 24px; }
header { border-bottom: 1px solid var(--rule); }
h1 { font-size: 20px; margin: 4px 0; } h2 { font-size: 16px; margin: 8px 0 4px; }
.attnlens-meta, .attnlens-notes { color: var(--muted); font-size: 12px; margin: 2px 0; }
.attnlens-notes { padding-left: 18px; }
.attnlens-view { margin: 8px 0 24px; min-height: 40px; }
.attnlens-error { color: #b00020; white-space: pre-wrap; }
.attnlens-suite { border-collapse: collapse; font-size: 12px; margin: 4px 0 16px; }
.attnlens-suite th, .attnlens-suite td { border-bottom: 1px solid var(--rule); padding: 2px 8px; text-align: right; }
`;

const BOOT = `
(function () {
  "use strict";
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  var theme = dark ? "dark" : "light";
  function fail(el, e) {
    var box = document.createElement("pre");
    box.className = "attnlens-error";
    box.textContent = "attnlens: cannot draw this view: " + (e && e.message ? e.message : String(e));
    el.replaceChildren(box);
  }
  var views = Array.prototype.slice.call(document.querySelectorAll("[data-attnlens-payload]"));
  var done = views.map(function (el) {
    var id = el.getAttribute("data-attnlens-payload");
    try {
      if (!window.attnlensWidgets) throw new Error("the widgets bundle did not load");
      var payload = JSON.parse(document.getElementById(id).textContent);
      var options = JSON.parse(document.getElementById(id + "-options").textContent);
      options.theme = theme;
      var ready = new Promise(function (resolve) {
        el.addEventListener("attnlens:ready", function () { resolve(); }, { once: true });
      });
      window.attnlensWidgets.render(el, payload, options);
      if (el.querySelector(":scope > .attnlens-message")) return Promise.resolve();
      return ready.then(function () { el.setAttribute("data-attnlens-ready", "true"); });
    } catch (e) {
      fail(el, e);
      return Promise.resolve();
    }
  });
  window.attnlensReport = { ready: Promise.all(done).then(function () { return views.length; }) };
})();
`;

export function reportHtml(page: ReportPage): string {
  const sections = page.sections.map((s, i) => {
    const notes = s.notes?.length
      ? `<ul class="attnlens-notes">${s.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`
      : "";
    const head = [
      `<section class="attnlens-report-item" id="section-${i}">`,
      `<h2>${escapeHtml(s.title)}</h2>${notes}`,
    ];
    if (s.html !== undefined) return [...head, s.html, "</section>"].join("\n");
    return [
      ...head,
      `<div class="attnlens-view" data-attnlens-payload="attnlens-payload-${i}"></div>`,
      `<script type="application/json" id="attnlens-payload-${i}">${scriptJson(s.payload)}</script>`,
      `<script type="application/json" id="attnlens-payload-${i}-options">${scriptJson(s.render ?? {})}</script>`,
      "</section>",
    ].join("\n");
  });
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="${escapeHtml(page.generator ?? "attnlens")}">`,
    `<title>${escapeHtml(page.title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    `<header><h1>${escapeHtml(page.title)}</h1>`,
    `<p class="attnlens-meta">${escapeHtml(page.generator ?? "attnlens")} · ${page.sections.length} result${page.sections.length === 1 ? "" : "s"} · works offline</p></header>`,
    ...sections,
    `<script>${scriptSource(page.widgetsScript)}</script>`,
    `<script>${BOOT}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
