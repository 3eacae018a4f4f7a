/**
 * `attnlens.widget(result)`: the attnlens views as a live Jupyter widget, bound to the kernel. One
 * output carries the widget view (application/vnd.jupyter.widget-view+json) and, for hosts without a
 * widget manager (nbconvert, GitHub, a Lab without jupyterlab_widgets), the same bundle `show` sends:
 * the attnlens MIME payload, the static picture and the text summary. In a kernel without comms
 * (plain tslab) the output is that bundle alone, and `update` replaces it through its display id.
 */
import { AttnlensError } from "../../errors";
import { currentCommManager } from "../../kernel/comms";
import { rowSourceOf } from "../../result/rowSource";
import type { AttentionResult } from "../../result/types";
import { ATTNLENS_MIME, displayBundle } from "../display/bundle";
import { type DisplayChannel, kernelChannel } from "../display/channel";
import { NO_KERNEL_MESSAGE } from "../display/show";
import type { DisplayBundle, ShowOptions } from "../display/types";
import { isLongInput } from "../report/long";
import { checkSelection, checkText, type WidgetSelection } from "./fields";
import { WidgetModel } from "./protocol";
import { isFullResult, type LongInput, longInputBundle, TileAnswerer, type TileSource, tileSourceOf } from "./tiles";

/** What a widget shows: a full result, or a long input held as a RowSource (a LazyResult from `runLazy`). */
export type WidgetInput = AttentionResult | LongInput;

/**
 * The bundle of either kind of input. A full result longer than 1,024 positions (and no `maxTokens`
 * or `tokenRange` chosen) is shown as a long input too: an overview whose zooms the kernel answers.
 */
function bundleOf(input: WidgetInput, options: ShowOptions): Promise<DisplayBundle> {
  if (!isFullResult(input)) return longInputBundle(input, options);
  if (input.sites.length > 0 && isLongInput(input, options))
    return longInputBundle({ ...input, ...rowSourceOf(input) }, options);
  return displayBundle(input, options);
}

export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";
/** The labextension's model and view (labextension/src/widget.ts). */
const MODULE = { name: "@attnlens/labextension", version: "0.1.0" };

export const NO_COMMS_NOTE =
  "attnlens: this kernel has no comms, so the view is a snapshot (clicks stay in the page). " +
  'For a live widget, pick the "TypeScript (attnlens)" kernel (node scripts/setup-jupyter.mjs registers it).\n';

/** What can turn the text box's text into a new result: a model from `loadModel`, or any runner. */
export interface TextRunner {
  /** The attention result for one text (what `TextModel.run` returns). */
  run(text: string): Promise<AttentionResult>;
}

export interface WidgetOptions extends ShowOptions {
  /** Runs the text typed into the widget; without it the widget has no text box. */
  model?: TextRunner;
  /** The text the result came from, shown in the text box. */
  text?: string;
}

/** What `AttentionWidget.on` listens to: the user's clicks, and the errors shown in the view. */
export interface WidgetEvents {
  /** The user clicked a head in the grid or a token in the heatmap. */
  select: (selection: WidgetSelection) => void;
  /** The view shows an error (a refused message, a failed text run). */
  error: (message: string) => void;
}
type Events = WidgetEvents;

/** A displayed widget: its selection follows the user's clicks; `update` redraws the same output. */
export class AttentionWidget {
  /** What the user last clicked (site, layer, head, token), or null before any click. */
  selection: WidgetSelection | null = null;
  private readonly listeners: { [K in keyof Events]: Events[K][] } = { select: [], error: [] };
  private pendingText: string | null = null;
  private running: Promise<void> | null = null;
  private source: TileSource | null = null;
  /** @internal Answers the front end's `{event: "tile"}` requests from the shown input. */
  readonly tiles = new TileAnswerer(
    () => {
      if (!this.source) throw new Error("this widget holds no maps");
      return this.source;
    },
    (content, buffers) => this.model?.sendCustom(content, buffers),
  );

  /** @internal `widget()` makes these. */
  constructor(
    /** The widget model, or null when the kernel has no comms (the output is a snapshot). */
    private readonly model: WidgetModel | null,
    private readonly channel: DisplayChannel | null,
    private readonly displayId: string,
    private options: WidgetOptions,
  ) {}

  /** True when the output is bound to this kernel (clicks arrive, updates redraw in place). */
  get live(): boolean {
    return this.model?.isOpen ?? false;
  }

  /** The model id the front end knows the widget by (null without comms). */
  get modelId(): string | null {
    return this.model?.id ?? null;
  }

  /** Calls `listener` on each click ("select") or each error shown in the view ("error"). */
  on<K extends keyof Events>(event: K, listener: Events[K]): this {
    this.listeners[event].push(listener);
    return this;
  }

  /** @internal The input zoom requests read from. */
  hold(input: WidgetInput): void {
    this.source = tileSourceOf(input);
  }

  /**
   * Redraws the same output with another result, full or lazy (same options unless given); zoom
   * requests then read the new one.
   */
  async update(result: WidgetInput, options: WidgetOptions = {}): Promise<void> {
    // Taken before any await: a snapshot's replacement is then sent as the calling cell's message.
    const channel = kernelChannel() ?? this.channel;
    this.options = { ...this.options, ...options };
    const live = this.model?.isOpen ?? false;
    // A live view redraws from the payload alone: no static picture to render (the costly part).
    const bundle = await bundleOf(result, live ? { ...this.options, fallback: false } : this.options);
    this.hold(result);
    if (live && this.model) {
      if (bundle.tooLarge) throw new AttnlensError("TOO_LARGE", bundle.notes.join("; "));
      this.model.set({ payload: bundle.data[ATTNLENS_MIME], options: optionsOf(bundle), error: null });
    } else if (channel?.kind === "bundle") {
      channel.send({ data: bundle.data, metadata: bundle.metadata, transient: { display_id: this.displayId } }, true);
    }
  }

  /** What the widget's text box does: run `text` through the model and redraw. Latest text wins. */
  runText(text: string): Promise<void> {
    this.pendingText = text;
    if (!this.running) {
      this.running = this.drainTexts().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  /** Unbinds the view from the kernel (the drawing stays, as a snapshot). */
  close(): void {
    this.model?.close();
  }

  /** @internal A click arrived from the front end. */
  selected(selection: WidgetSelection): void {
    this.selection = selection;
    for (const listener of this.listeners.select) this.call(() => listener(selection));
  }

  private async drainTexts(): Promise<void> {
    while (this.pendingText !== null) {
      const text = this.pendingText;
      this.pendingText = null;
      const runner = this.options.model;
      if (!runner) {
        this.fail("this widget was made without a model; pass { model } to attnlens.widget to run text");
        return;
      }
      this.model?.set({ busy: true, text });
      try {
        const result = await runner.run(text);
        if (this.pendingText !== null) continue; // a newer text came in meanwhile
        await this.update(result, { text });
        this.model?.set({ busy: false, text });
      } catch (e) {
        this.model?.set({ busy: false });
        this.fail(`cannot run this text: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  /** @internal Shows `message` in the view and tells the "error" listeners. */
  fail(message: string): void {
    if (this.model?.isOpen) this.model.refuse(message);
    for (const listener of this.listeners.error) this.call(() => listener(message));
  }

  /** A user callback's error is the user's: shown in the view and logged, never thrown into the kernel loop. */
  private call(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (this.model?.isOpen) this.model.refuse(`a "select" listener failed: ${(e as Error).message}`);
    }
  }
}

function optionsOf(bundle: DisplayBundle): Record<string, unknown> {
  return (bundle.metadata[ATTNLENS_MIME] as Record<string, unknown> | undefined) ?? {};
}

let displays = 0;

/**
 * Shows `result` as a live widget and returns its handle. Await it: the bundle is built
 * asynchronously. Outside a kernel it writes where to go instead and returns an unbound handle.
 */
export async function widget(result: WidgetInput, options: WidgetOptions = {}): Promise<AttentionWidget> {
  // Taken before any await: the output then belongs to the calling cell.
  const channel = kernelChannel();
  const comms = currentCommManager();
  const displayId = `attnlens-${process.pid}-${++displays}`;
  const bundle = await bundleOf(result, options);
  if (!channel) {
    process.stderr.write(NO_KERNEL_MESSAGE);
    return new AttentionWidget(null, null, displayId, options);
  }
  if (!comms || bundle.tooLarge || channel.kind !== "bundle") {
    if (!comms) process.stderr.write(NO_COMMS_NOTE);
    send(channel, bundle, displayId, null);
    return new AttentionWidget(null, channel, displayId, options);
  }
  let view: AttentionWidget | null = null;
  const model = new WidgetModel(comms, {
    state: {
      _model_name: "AttentionModel",
      _model_module: MODULE.name,
      _model_module_version: MODULE.version,
      _view_name: "AttentionView",
      _view_module: MODULE.name,
      _view_module_version: MODULE.version,
      _dom_classes: [],
      payload: bundle.data[ATTNLENS_MIME],
      options: optionsOf(bundle),
      selection: null,
      text: options.text ?? "",
      can_run: Boolean(options.model),
      busy: false,
      error: null,
    },
    writable: { selection: checkSelection },
    onChange: (changes) => {
      if (changes.selection) view?.selected(changes.selection as WidgetSelection);
    },
    onCustom: (content) => {
      const c = content as { event?: unknown; text?: unknown } | null;
      if (c?.event === "tile") {
        void view?.tiles.answer(c as Record<string, unknown>);
        return;
      }
      if (c?.event !== "run") {
        view?.fail(`refused a custom message (expected { event: "run", text } or { event: "tile", … })`);
        return;
      }
      const problem = checkText(c.text);
      if (problem) view?.fail(problem);
      else void view?.runText(c.text as string);
    },
  });
  view = new AttentionWidget(model, channel, displayId, options);
  view.hold(result);
  send(channel, bundle, displayId, model.id);
  return view;
}

function send(channel: DisplayChannel, bundle: DisplayBundle, displayId: string, modelId: string | null): void {
  if (channel.kind === "raw") {
    if (bundle.tooLarge) channel.send("text/plain", bundle.data["text/plain"] as string);
    else channel.send(ATTNLENS_MIME, JSON.stringify(bundle.data[ATTNLENS_MIME]));
    return;
  }
  const data = { ...bundle.data };
  if (modelId) data[WIDGET_VIEW_MIME] = { version_major: 2, version_minor: 0, model_id: modelId };
  channel.send({ data, metadata: bundle.metadata, transient: { display_id: displayId } });
}
