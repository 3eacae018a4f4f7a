/**
 * The same views as a Jupyter widget (`@jupyter-widgets/base`): a model whose `payload` trait holds
 * the attnlens payload, and a DOMWidgetView over `widgets.render`. With the attnlens kernel (comms)
 * it is live: clicks set `selection` (synced to the kernel's `view.selection`), the text box sends
 * its text as a custom message `{event: "run", text}` and the kernel answers with a new payload;
 * the kernel's `error` field is shown above the drawing. Zooming into a long input's overview asks
 * the kernel for the window's exact weights (`{event: "tile", id, …}`, answered with a float32 buffer;
 * see tileRequests.ts). When the kernel dies or restarts, the last
 * drawing stays with a notice. `@jupyter-widgets/html-manager` renders its saved state in static pages.
 */
import { DOMWidgetModel, DOMWidgetView } from "@jupyter-widgets/base";
import { TileRequests } from "./tileRequests";
import { type MountedView, mountView } from "./view";

/** The widget module name and version, as they appear in `_model_module` / `_view_module`. */
export const MODULE_NAME = "@attnlens/labextension";
export const MODULE_VERSION = "0.1.0";

/**
 * The widget model. Its wire name stays "AttentionModel" (saved widget state and reports refer to it);
 * the class is named apart from kernel-lib's `AttentionModel` (an ONNX model with exposed attention).
 */
export class AttentionWidgetModel extends DOMWidgetModel {
  defaults() {
    return {
      ...super.defaults(),
      _model_name: "AttentionModel",
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: "AttentionView",
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION,
      payload: null,
      /** RenderOptions less the theme: the view tab and first selection. */
      options: {},
      /** What the user last clicked: {site, layer, head, token, sample}; written here, read by the kernel. */
      selection: null,
      /** The text the payload came from (the text box's content). */
      text: "",
      /** Whether the kernel can run new text (the widget was made with a model). */
      can_run: false,
      /** True while the kernel runs a text. */
      busy: false,
      /** The kernel's last complaint about a message from this view, or null. */
      error: null,
    };
  }

  static model_name = "AttentionModel";
  static model_module = MODULE_NAME;
  static model_module_version = MODULE_VERSION;
  static view_name = "AttentionView";
  static view_module = MODULE_NAME;
  static view_module_version = MODULE_VERSION;
}

export class AttentionView extends DOMWidgetView {
  private mounted: MountedView | null = null;
  private readonly drawing = document.createElement("div");
  private readonly status = document.createElement("div");
  private textBox: HTMLFormElement | null = null;
  private readonly tiles = new TileRequests(
    (content) => this.send(content),
    () => this.live(),
  );

  render(): void {
    this.el.classList.add("attnlens-widget");
    this.status.className = "attnlens-widget-status";
    this.status.setAttribute("role", "status");
    // No stylesheet ships with the extension: JupyterLab's theme variables, with plain fallbacks.
    this.status.style.cssText =
      "white-space:pre-wrap;margin:4px 0;padding:4px 8px;font-size:12px;" +
      "border-left:3px solid var(--jp-warn-color1,#e0a030);background:var(--jp-layout-color2,#f3f3f3);" +
      "color:var(--jp-ui-font-color1,#222)";
    this.el.append(this.textForm(), this.status, this.drawing);
    this.drawing.addEventListener("attnlens:select", (e) => this.selected(e as CustomEvent));
    // The corpus overview's "open an input": the kernel (corpusWidget) runs it and answers with `opened`.
    this.drawing.addEventListener("attnlens:run", (e) => this.runInput(e as CustomEvent));
    this.draw();
    this.showStatus();
    // A new payload (the kernel's answer) updates the drawing in place; new options draw it anew.
    this.listenTo(this.model, "change:payload", this.showPayload);
    this.listenTo(this.model, "change:options", this.draw);
    this.listenTo(this.model, "change:error change:busy change:can_run", this.showStatus);
    this.listenTo(this.model, "change:text", this.showText);
    // The widget manager marks models not live when the kernel dies or restarts: keep the drawing.
    this.listenTo(this.model, "comm_live_update", this.showStatus);
    this.listenTo(this.model, "msg:custom", (content: unknown, buffers?: (ArrayBuffer | ArrayBufferView)[]) =>
      this.tiles.received(content, buffers ?? []),
    );
  }

  /** Settles when the current drawing is done; lets hosts and tests wait for it. */
  get ready(): Promise<void> {
    return this.mounted?.ready ?? Promise.resolve();
  }

  private draw(): void {
    this.mounted?.dispose();
    const options = { ...(this.model.get("options") ?? {}) };
    const kept = keptSelection(this.model.get("selection"));
    if (kept) options.selection = { ...(options.selection ?? {}), ...kept };
    options.requestTile = this.tiles.request;
    this.mounted = mountView(this.drawing, this.model.get("payload"), options);
  }

  private showPayload(): void {
    if (this.mounted) this.mounted.update(this.model.get("payload"));
    else this.draw();
  }

  private selected(e: CustomEvent): void {
    if (!this.live()) return;
    this.model.set("selection", e.detail);
    this.touch();
  }

  private runInput(e: CustomEvent): void {
    const d = e.detail as { text?: unknown; input?: unknown } | null;
    if (this.live() && typeof d?.text === "string" && Number.isInteger(d.input))
      this.send({ event: "run", text: d.text, input: d.input });
  }

  private live(): boolean {
    return (this.model as unknown as { comm_live?: boolean }).comm_live !== false;
  }

  private textForm(): HTMLElement {
    const form = document.createElement("form");
    form.className = "attnlens-widget-text";
    const input = document.createElement("input");
    input.type = "text";
    input.name = "text";
    input.placeholder = "Type a sentence and press Enter to run it through the model";
    input.setAttribute("aria-label", "text to run through the model");
    const run = document.createElement("button");
    run.type = "submit";
    run.textContent = "Run";
    input.style.cssText = "width:60%;min-width:24ch;margin-right:4px";
    form.style.margin = "4px 0";
    form.append(input, run);
    const submit = () => {
      const text = input.value.trim();
      if (text && this.live()) this.send({ event: "run", text });
    };
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      submit();
    });
    // JupyterLab's notebook shortcuts see keys typed in outputs and cancel Enter's form submission:
    // keys stay in the box (as ipywidgets' text box does) and Enter runs the text itself.
    input.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Enter" && !e.isComposing) {
        e.preventDefault();
        submit();
      }
    });
    this.textBox = form;
    this.showText();
    return form;
  }

  private showText(): void {
    const input = this.textBox?.querySelector("input");
    if (input && document.activeElement !== input) input.value = String(this.model.get("text") ?? "");
  }

  private showStatus(): void {
    const live = this.live();
    if (this.textBox) this.textBox.hidden = !this.model.get("can_run");
    const error = this.model.get("error");
    const lines: string[] = [];
    if (!live) lines.push("attnlens: the kernel is gone; this is the last drawing (run the cell again to bind it).");
    else if (this.model.get("busy")) lines.push("attnlens: running…");
    if (typeof error === "string" && error) lines.push(`attnlens: ${error}`);
    // textContent: the kernel's message may quote what a front end sent.
    this.status.textContent = lines.join("\n");
    this.status.hidden = lines.length === 0;
    this.el.classList.toggle("attnlens-widget-dead", !live);
    this.drawing.style.opacity = live ? "" : "0.55";
    for (const c of this.textBox?.elements ?? []) (c as HTMLInputElement).disabled = !live;
  }

  remove(): this {
    this.tiles.dispose();
    this.mounted?.dispose();
    this.mounted = null;
    return super.remove();
  }
}

/** The kernel-side selection {site, layer, head, sample} as the views' selection (type from the site id). */
function keptSelection(s: unknown): Record<string, unknown> | null {
  if (!s || typeof s !== "object") return null;
  const { site, layer, head, sample } = s as Record<string, unknown>;
  const type = typeof site === "string" ? site.split(".").slice(0, 2).join(".") : undefined;
  if (!type || typeof layer !== "number") return null;
  return { type, layer, head, ...(typeof sample === "number" ? { sample } : {}) };
}

/** What a widget manager's `loadClass` expects from this module. */
export const widgetExports = { AttentionModel: AttentionWidgetModel, AttentionView };
