/**
 * `attnlens.corpusWidget(dirOrSummary, { model })`: the corpus overview as a live Jupyter widget.
 * Opening an input in the view sends `{event: "run", text, input}`; the kernel runs the model on
 * the text and answers with the same payload plus `opened` (that input's attention views, drawn
 * under the overview). Without comms it is the `showCorpus` bundle.
 */
import type { CorpusPayload } from "@attnlens/widgets";
import { type CommManager, currentCommManager } from "../../kernel/comms";
import { ATTNLENS_MIME } from "../display/bundle";
import { kernelChannel } from "../display/channel";
import { corpusBundle, type ShowCorpusOptions } from "../display/corpus";
import { NO_KERNEL_MESSAGE } from "../display/show";
import { encodePayload } from "../payload";
import { NO_COMMS_NOTE, type TextRunner, WIDGET_VIEW_MIME } from "./attentionWidget";
import { checkText } from "./fields";
import { WidgetModel } from "./protocol";

/** Options of `corpusWidget`: those of `showCorpus`, and the model that runs an opened input. */
export interface CorpusWidgetOptions extends ShowCorpusOptions {
  /** Runs an opened input; without it the view shows the input's stored values only. */
  model?: TextRunner;
}

/** A displayed corpus widget. */
export class CorpusWidget {
  /** @internal `corpusWidget()` makes these. */
  constructor(
    private readonly model: WidgetModel | null,
    /** The payload shown (without an opened input). */
    readonly payload: CorpusPayload,
    private readonly runner: TextRunner | undefined,
  ) {}

  /** The model id the front end knows the widget by (null without comms). */
  get modelId(): string | null {
    return this.model?.id ?? null;
  }

  /** True when the output is bound to this kernel. */
  get live(): boolean {
    return this.model?.isOpen ?? false;
  }

  /**
   * Runs `text` (input number `input` of the corpus) and shows its attention views under the
   * overview. Resolves when the answer is sent.
   */
  async open(text: string, input: number): Promise<void> {
    const problem = checkText(text);
    if (problem) return this.fail(problem);
    if (!this.runner) return this.fail("this widget was made without a model; pass { model } to corpusWidget");
    this.model?.set({ busy: true });
    try {
      const result = await this.runner.run(text);
      const opened = { input, text, payload: encodePayload(result, { title: `input ${input}` }) };
      this.model?.set({ payload: { ...this.payload, opened }, busy: false, error: null });
    } catch (e) {
      this.model?.set({ busy: false });
      this.fail(`cannot run this input: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Unbinds the view from the kernel (the drawing stays, as a snapshot). */
  close(): void {
    this.model?.close();
  }

  private fail(message: string): void {
    if (this.model?.isOpen) this.model.refuse(message);
  }
}

/** Shows the corpus overview as a live widget and returns its handle (await it). */
export async function corpusWidget(source: string | object, options: CorpusWidgetOptions = {}): Promise<CorpusWidget> {
  const channel = kernelChannel();
  const comms = currentCommManager();
  const bundle = await corpusBundle(source, options);
  const payload = bundle.data[ATTNLENS_MIME] as CorpusPayload;
  if (!channel) {
    process.stderr.write(NO_KERNEL_MESSAGE);
    return new CorpusWidget(null, payload, options.model);
  }
  if (!comms || channel.kind !== "bundle") {
    if (!comms) process.stderr.write(NO_COMMS_NOTE);
    if (channel.kind === "bundle") channel.send({ data: bundle.data, metadata: bundle.metadata, transient: {} });
    else channel.send(ATTNLENS_MIME, JSON.stringify(payload));
    return new CorpusWidget(null, payload, options.model);
  }
  const view = bindCorpusWidget(comms, payload, bundle.metadata[ATTNLENS_MIME] ?? {}, options.model);
  const data = { ...bundle.data, [WIDGET_VIEW_MIME]: { version_major: 2, version_minor: 0, model_id: view.modelId } };
  channel.send({ data, metadata: bundle.metadata, transient: {} });
  return view;
}

/**
 * @internal The widget model of a corpus overview on `comms`, and its handle: a front end's
 * `{event: "run", text, input}` runs the text and answers with the payload plus `opened`.
 */
export function bindCorpusWidget(
  comms: CommManager,
  payload: CorpusPayload,
  renderOptions: unknown,
  runner: TextRunner | undefined,
): CorpusWidget {
  let view: CorpusWidget | null = null;
  const model = new WidgetModel(comms, {
    state: {
      _model_name: "AttentionModel",
      _model_module: "@attnlens/labextension",
      _model_module_version: "0.1.0",
      _view_name: "AttentionView",
      _view_module: "@attnlens/labextension",
      _view_module_version: "0.1.0",
      _dom_classes: [],
      payload,
      options: renderOptions,
      selection: null,
      text: "",
      // The view's own text box stays hidden: inputs are opened from the lists.
      can_run: false,
      busy: false,
      error: null,
    },
    writable: {},
    onCustom: (content) => {
      const c = content as { event?: unknown; text?: unknown; input?: unknown } | null;
      const input = c?.input;
      if (c?.event !== "run" || !(Number.isInteger(input) && (input as number) >= 0)) {
        model.refuse(`refused a custom message (expected { event: "run", text, input })`);
        return;
      }
      void view?.open(c.text as string, input as number);
    },
  });
  view = new CorpusWidget(model, payload, runner);
  return view;
}
