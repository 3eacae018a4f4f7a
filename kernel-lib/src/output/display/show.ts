/**
 * `show(result)` and one function per view: build the display bundle and send it to the notebook
 * through the running tslab kernel. Outside a kernel there is nowhere to draw: say so, and how to
 * get a report file instead.
 */
import type { SuiteTable } from "../../analysis/probes/runSuite";
import type { AttentionResult } from "../../result/types";
import { ATTNLENS_MIME, displayBundle, noImage } from "./bundle";
import { type DisplayChannel, kernelChannel } from "./channel";
import { type SuiteShowOptions, suiteBundle } from "./suite";
import type { DisplayBundle, ShowOptions } from "./types";

export const NO_KERNEL_MESSAGE =
  "attnlens: show() draws in a Jupyter notebook (tslab kernel), and this is not one.\n" +
  '  For a file to open in a browser: await attnlens.exportReport(result, "attention.html")\n' +
  "  From a shell: attnlens extract MODEL.onnx --feeds FEEDS.json --out DIR && attnlens report DIR -o report.html\n";

function send(channel: DisplayChannel, bundle: DisplayBundle): void {
  if (channel.kind === "bundle") {
    channel.send({ data: bundle.data, metadata: bundle.metadata, transient: {} });
    return;
  }
  // tslab's public display.raw: one MIME type, as a string. The renderer parses the JSON text.
  if (bundle.tooLarge) channel.send("text/plain", bundle.data["text/plain"] as string);
  // A bundle without the attnlens payload (a suite table): its HTML, which any notebook shows.
  else if (!(ATTNLENS_MIME in bundle.data)) channel.send("text/html", bundle.data["text/html"] as string);
  else channel.send(ATTNLENS_MIME, JSON.stringify(bundle.data[ATTNLENS_MIME]));
}

/**
 * Shows `result` in the notebook: the interactive views (with the attnlens extension), a static
 * picture and a text summary (elsewhere). Await it: the picture is rendered asynchronously.
 */
export async function show(result: AttentionResult, options: ShowOptions = {}): Promise<void> {
  // Taken before any await: the output then belongs to the calling cell.
  const channel = kernelChannel();
  if (!channel) {
    process.stderr.write(NO_KERNEL_MESSAGE);
    return;
  }
  send(channel, await displayBundle(result, options));
}

/** Options of the one-view displays: those of `show`, less the view. */
export type ViewOptions = Omit<ShowOptions, "view">;

/** One site's map for one head (or heads fused), with token labels. */
export function showHeatmap(result: AttentionResult, options: ViewOptions = {}): Promise<void> {
  return show(result, { ...options, view: "heatmap" });
}

/** All heads of a layer as small multiples; click one to open it. */
export function showHeadGrid(result: AttentionResult, options: ViewOptions = {}): Promise<void> {
  return show(result, { ...options, view: "headGrid" });
}

/** Per-head metrics (entropy, distance, confidence, pattern) across layers. */
export function showMetrics(result: AttentionResult, options: ViewOptions = {}): Promise<void> {
  return show(result, { ...options, view: "metrics" });
}

/** Token-to-token lines between the two sides (bertviz-style). */
export function showLines(result: AttentionResult, options: ViewOptions = {}): Promise<void> {
  return show(result, { ...options, view: "lines" });
}

/** Attention rollout / flow from output tokens to input tokens. */
export function showFlow(result: AttentionResult, options: ViewOptions = {}): Promise<void> {
  return show(result, { ...options, view: "flow" });
}

/** Vision models: a head's attention from [CLS] (or a chosen patch) over the image's patch grid. */
export async function showPatches(result: AttentionResult, options: ViewOptions = {}): Promise<void> {
  if (!result.image) throw noImage("showPatches");
  return show(result, { ...options, view: "patches" });
}

/**
 * A probe suite's per-head table (what runProbeSuite returns): the table and a heatmap of the
 * fraction of sentences each head gets right, per group.
 */
export async function showSuite(table: SuiteTable, options: SuiteShowOptions = {}): Promise<void> {
  const channel = kernelChannel();
  if (!channel) {
    process.stderr.write(NO_KERNEL_MESSAGE);
    return;
  }
  send(channel, await suiteBundle(table, options));
}
