/**
 * The toolbar: sample, attention type, layer, head, aggregation, hide-special toggle, metric, and
 * the view tabs. It reads the state to show and reports changes; it holds no state of its own.
 */
import { METRIC_TITLES } from "../data/grid";
import { attentionTypes, METRICS, type Selection, siteFor, sitesOf, TYPE_NAMES } from "../data/selection";
import type { AttentionPayload } from "../payload/types";
import { el, selectBox } from "./dom";

export type ViewName = "heatmap" | "lines" | "rollout";
export const VIEWS: ViewName[] = ["heatmap", "lines", "rollout"];

export interface Controls {
  root: HTMLElement;
  /** The metric chooser, placed by the metric overview. */
  metric: HTMLElement;
  show(sel: Selection, view: ViewName): void;
  /** A new payload: the choices offered follow it from the next `show`. */
  setPayload(payload: AttentionPayload): void;
}

function samplePreview(payload: AttentionPayload, b: number): string {
  const stream = payload.tokens.source ?? payload.tokens.target;
  const words = (stream?.text[b] ?? []).slice(0, 6).join(" ");
  return `sample ${b}${words ? `: ${words.length > 40 ? `${words.slice(0, 40)}…` : words}` : ""}`;
}

export function createControls(
  payload: AttentionPayload,
  onSelect: (change: Partial<Selection>) => void,
  onView: (view: ViewName) => void,
): Controls {
  const root = el("div", "attnlens-toolbar");
  const sample = selectBox("sample", "sample", (v) => onSelect({ sample: Number(v) }));
  const type = selectBox("attention", "type", (v) => onSelect({ type: v as Selection["type"] }));
  const layer = selectBox("layer", "layer", (v) => onSelect({ layer: Number(v) }));
  const head = selectBox("head", "head", (v) => onSelect({ head: Number(v) }));
  const agg = selectBox("heads", "aggregate", (v) => onSelect({ head: v === "one" ? 0 : (v as "mean" | "max") }));
  const metric = selectBox("metric", "metric", (v) => onSelect({ metric: v as Selection["metric"] }));
  const special = el("label");
  const box = el("input");
  box.type = "checkbox";
  box.name = "hideSpecial";
  box.addEventListener("change", () => onSelect({ hideSpecial: box.checked }));
  special.append(box, document.createTextNode(" hide special tokens"));
  const tabs = el("span");
  const buttons = VIEWS.map((v) => {
    const b = el("button", undefined, v);
    b.type = "button";
    b.name = `view-${v}`;
    b.addEventListener("click", () => onView(v));
    return b;
  });
  tabs.append(...buttons);
  root.append(tabs, sample.root, type.root, layer.root, agg.root, head.root, special);
  const offer = (p: AttentionPayload) => {
    payload = p;
    metric.root.hidden = !p.sites.some((s) => s.metrics || s.patterns);
    buttons[2].disabled = !(p.probes?.rollout || p.probes?.flow);
  };
  offer(payload);
  return {
    root,
    metric: metric.root,
    setPayload: offer,
    show(sel, view) {
      sample.set(
        Array.from({ length: payload.samples }, (_, b) => ({ value: String(b), text: samplePreview(payload, b) })),
        String(sel.sample),
      );
      type.set(
        attentionTypes(payload).map((t) => ({ value: t, text: TYPE_NAMES[t] })),
        sel.type,
      );
      layer.set(
        sitesOf(payload, sel.type).map((s) => ({ value: String(s.layer), text: String(s.layer) })),
        String(sel.layer),
      );
      const H = siteFor(payload, sel)?.heads ?? 0;
      head.set(
        Array.from({ length: H }, (_, h) => ({ value: String(h), text: String(h) })),
        typeof sel.head === "number" ? String(sel.head) : "",
      );
      head.select.disabled = typeof sel.head !== "number" || H < 2;
      agg.set(
        [
          { value: "one", text: "one head" },
          { value: "mean", text: "mean of heads" },
          { value: "max", text: "max of heads" },
        ],
        typeof sel.head === "number" ? "one" : sel.head,
      );
      metric.set(
        METRICS.map((m) => ({ value: m, text: METRIC_TITLES[m] })),
        sel.metric,
      );
      box.checked = sel.hideSpecial;
      buttons.forEach((b, i) => b.setAttribute("aria-pressed", String(VIEWS[i] === view)));
    },
  };
}
