/**
 * The corpus overview: a metric selector; the layers × heads grid (mean, spread) and the heads in
 * cluster order; for the chosen site, quantile glyphs and pattern frequencies per head; for the
 * chosen head, its corpus numbers and the inputs where it is most and least typical. Opening an
 * input shows its text and its values for every head; the host receives "attnlens:run" {input,
 * text} (a live widget runs the model on it and answers with `opened`, drawn below with the
 * attention views). All text goes in through textContent.
 */
import type { ThemeName, VlSpec } from "../spec/theme";
import { el, selectBox } from "../view/dom";
import { type MountedPayloadView, mount as mountAttention } from "../view/render";
import { widgetCss } from "../view/styles";
import { createVegaHost, type VegaHost } from "../view/vegaHost";
import { clusterLeaves, corpusBoxes, corpusCells, headExamples, inputCells, metricTitle, patternShares } from "./data";
import { clusterStripSpec, corpusBoxSpec, corpusGridSpec, patternBarsSpec } from "./spec";
import type { CorpusPayload, CorpusStats } from "./types";
import { decodeCorpusPayload } from "./validate";

export interface CorpusRenderOptions {
  theme: ThemeName;
  /** First metric shown (default: entropy when present). */
  metric?: string;
  /** First head selected (default: the first site's head 0). */
  selection?: { site?: string; head?: number };
}

export interface MountedCorpusView {
  update(payload: CorpusPayload): Promise<void>;
  dispose(): void;
}

const CORPUS_CSS = `
.attnlens-corpus-row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; margin: 6px 0; }
.attnlens-corpus-lists { display: flex; flex-wrap: wrap; gap: 24px; }
.attnlens-corpus-lists ol { margin: 4px 0; padding-left: 22px; max-width: 520px; }
.attnlens-corpus-example button { text-align: left; max-width: 500px; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; cursor: pointer; }
.attnlens-corpus-text { white-space: pre-wrap; word-break: break-word; max-width: 900px; margin: 4px 0; }
`;

function fmt(x: number | null | undefined): string {
  return typeof x === "number" ? x.toFixed(4) : "–";
}

function statsLine(s: CorpusStats | null): string {
  if (!s) return "no input defined this metric for this head";
  const [q05, q25, q50, q75, q95] = s.q.map(fmt);
  return (
    `mean ${fmt(s.mean)} ± ${fmt(s.std)} (95 % CI ${fmt(s.ci95[0])}–${fmt(s.ci95[1])}, n = ${s.n}) · ` +
    `quantiles 5 % ${q05} · 25 % ${q25} · 50 % ${q50} · 75 % ${q75} · 95 % ${q95} · range ${fmt(s.min)}–${fmt(s.max)}`
  );
}

export function mountCorpus(host: HTMLElement, first: CorpusPayload, options: CorpusRenderOptions): MountedCorpusView {
  let p = decodeCorpusPayload(first);
  const { theme } = options;
  const root = el("div", "attnlens attnlens-corpus");
  root.dataset.theme = theme;
  const style = el("style");
  style.textContent = widgetCss(theme) + CORPUS_CSS;
  const header = el("div", "attnlens-header");
  const toolbar = el("div", "attnlens-toolbar");
  const metricBox = selectBox("metric", "metric", (m) => {
    metric = m;
    void settle(refresh());
  });
  toolbar.append(metricBox.root);
  const boxes = (n: number) => Array.from({ length: n }, () => el("div", "attnlens-panel"));
  const [gridBox, clusterBox, distBox, patternBox, inputGridBox] = boxes(5);
  const topRow = el("div", "attnlens-corpus-row");
  topRow.append(gridBox, clusterBox);
  const siteRow = el("div", "attnlens-corpus-row");
  siteRow.append(distBox, patternBox);
  const headPanel = el("div", "attnlens-corpus-head");
  const headCaption = el("div", "attnlens-caption");
  const headStats = el("div", "attnlens-subcaption");
  const lists = el("div", "attnlens-corpus-lists");
  headPanel.append(headCaption, headStats, lists);
  const openPanel = el("div", "attnlens-corpus-open");
  openPanel.hidden = true;
  const openCaption = el("div", "attnlens-caption");
  const openText = el("div", "attnlens-corpus-text");
  const openNote = el("div", "attnlens-subcaption");
  const liveBox = el("div", "attnlens-corpus-live");
  openPanel.append(openCaption, openText, openNote, inputGridBox, liveBox);
  root.append(style, header, toolbar, topRow, siteRow, headPanel, openPanel);
  host.append(root);

  const hosts: VegaHost[] = [gridBox, clusterBox, distBox, patternBox, inputGridBox].map((b) =>
    createVegaHost(b, theme),
  );
  const [gridHost, clusterHost, distHost, patternHost, inputHost] = hosts;
  let metric = options.metric && p.metrics.includes(options.metric) ? options.metric : defaultMetric(p);
  let row = Math.max(
    0,
    p.sites.findIndex((s) => s.id === options.selection?.site),
  );
  let head = clampHead(options.selection?.head ?? 0);
  let opened: number | null = null;
  let live: MountedPayloadView | null = null;
  let disposed = false;
  let updates = 0;

  function defaultMetric(q: CorpusPayload): string {
    return q.metrics.includes("entropy") ? "entropy" : q.metrics[0];
  }
  function clampHead(h: number): number {
    return Number.isInteger(h) && h >= 0 && h < p.sites[row].heads ? h : 0;
  }

  function showHeader(): void {
    const bits = [`${p.inputs} inputs`, `${p.skipped} skipped`];
    if (p.truncated) bits.push(`${p.truncated} truncated`);
    if (p.model) bits.push(`model ${p.model}`);
    if (p.data) bits.push(`data ${p.data}`);
    if (p.engine) bits.push(`engine ${p.engine}`);
    header.replaceChildren(
      ...(p.title ? [el("div", "attnlens-title", p.title)] : []),
      el("div", "attnlens-notes", bits.join(" · ")),
      ...(p.notes ?? []).map((n) => el("div", "attnlens-notes", n)),
    );
  }

  /** Clicks on any chart's head marks select that head (its site, too). */
  function clickable(spec: VlSpec, target: VegaHost): Promise<void> {
    return target.embed(spec).then((embedded) => {
      embedded?.view.addEventListener("click", (_e, item) => {
        const d = item?.datum as { site?: unknown; head?: unknown } | undefined;
        const name = item?.mark?.name ?? "";
        if (!name.startsWith("corpus_") || typeof d?.head !== "number" || typeof d.site !== "string") return;
        const r = p.sites.findIndex((s) => s.id === d.site);
        if (r < 0) return;
        row = r;
        head = clampHead(d.head);
        void settle(refresh());
      });
    });
  }

  function showHead(): void {
    const site = p.sites[row];
    const stats = Object.hasOwn(site.stats, metric) ? (site.stats[metric][head] ?? null) : null;
    headPanel.dataset.head = `${site.id}:${head}`;
    headCaption.textContent = `${site.id} head ${head}: ${metricTitle(metric)}`;
    headStats.textContent = statsLine(stats);
    const ex = headExamples(p, row, head, metric);
    if (!ex) {
      lists.replaceChildren(
        el(
          "div",
          "attnlens-message",
          "No typical inputs in this payload: they need DIR/inputs.jsonl and room under maxBytes (see the notes above).",
        ),
      );
      return;
    }
    const list = (title: string, side: "typical" | "atypical") => {
      const box = el("div", `attnlens-corpus-${side}`);
      const ol = el("ol");
      for (const r of ex[side]) {
        const li = el("li", "attnlens-corpus-example");
        li.dataset.input = String(r.input);
        const button = el("button", undefined, r.text);
        button.type = "button";
        button.title = `input ${r.input}: ${metric} ${fmt(r.value)}, score ${r.score.toFixed(2)}`;
        button.addEventListener("click", () => open(r.index));
        li.append(
          button,
          el("span", "attnlens-subcaption", ` ${metric} ${fmt(r.value)} · score ${r.score.toFixed(2)}`),
        );
        ol.append(li);
      }
      box.append(el("div", "attnlens-caption", title), ol);
      return box;
    };
    lists.replaceChildren(list("most typical inputs", "typical"), list("least typical inputs", "atypical"));
  }

  function open(index: number): void {
    const input = p.examples?.inputs[index];
    if (!input) return;
    opened = index;
    void settle(showOpened());
    host.dispatchEvent(new CustomEvent("attnlens:run", { detail: { input: input.input, text: input.text } }));
  }

  async function showOpened(): Promise<void> {
    if (opened === null) return;
    const input = p.examples?.inputs[opened];
    if (!input) return;
    openPanel.hidden = false;
    openPanel.dataset.input = String(input.input);
    openCaption.textContent = `input ${input.input}`;
    openText.textContent = input.text;
    const spec = corpusGridSpec(inputCells(p, opened, metric), metric, {
      theme,
      title: `input ${input.input}: ${metricTitle(metric)} per head`,
      single: true,
      selected: { site: p.sites[row].id, head },
    });
    const wasLive = p.opened?.input === input.input;
    openNote.textContent = wasLive
      ? "the model's attention on this input (run by the kernel):"
      : "values of this input for every head (with a live kernel, its attention views open below)";
    live?.dispose();
    live = null;
    liveBox.replaceChildren();
    if (wasLive && p.opened) live = mountAttention(liveBox, p.opened.payload, { theme });
    await inputHost.embed(spec);
  }

  async function refresh(): Promise<void> {
    const site = p.sites[row];
    metricBox.set(
      p.metrics.map((m) => ({ value: m, text: metricTitle(m) })),
      metric,
    );
    root.dataset.metric = metric;
    const selected = { site: site.id, head };
    const jobs = [
      clickable(corpusGridSpec(corpusCells(p, metric), metric, { theme, selected }), gridHost),
      clickable(corpusBoxSpec(corpusBoxes(p, row, metric), site.id, metric, { theme, selected }), distHost),
    ];
    const leaves = clusterLeaves(p);
    if (leaves.length > 0 && p.clusters)
      jobs.push(clickable(clusterStripSpec(leaves, p.clusters.method, { theme, selected }), clusterHost));
    else clusterHost.clear();
    const shares = patternShares(p, row);
    if (shares.length > 0) jobs.push(clickable(patternBarsSpec(shares, site.id, { theme }), patternHost));
    else patternHost.clear();
    showHead();
    if (opened !== null) jobs.push(showOpened());
    await Promise.all(jobs);
  }

  async function settle(work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (e) {
      if (disposed) return;
      root.prepend(el("div", "attnlens-message", `attnlens: ${(e as Error).message}`));
      return;
    }
    if (disposed) return;
    root.dataset.updates = String(++updates);
    host.dispatchEvent(new CustomEvent("attnlens:update", { detail: { updates } }));
  }

  showHeader();
  const ready = settle(refresh()).then(() => {
    if (disposed) return;
    root.dataset.ready = "true";
    host.dispatchEvent(new CustomEvent("attnlens:ready"));
  });
  void ready;

  return {
    async update(next) {
      if (disposed) return;
      p = decodeCorpusPayload(next);
      if (!p.metrics.includes(metric)) metric = defaultMetric(p);
      if (row >= p.sites.length) row = 0;
      head = clampHead(head);
      // The kernel's answer to "open": show the input it ran.
      if (p.opened && p.examples) {
        const i = p.examples.inputs.findIndex((x) => x.input === p.opened?.input);
        if (i >= 0) opened = i;
      }
      showHeader();
      await settle(refresh());
    },
    dispose() {
      disposed = true;
      live?.dispose();
      for (const h of hosts) h.dispose();
      root.remove();
    },
  };
}
