/**
 * attnlens (kernel side): load → find sites → surgery → run → result → metrics → payload → view.
 * This file only re-exports the public surface.
 */

export { Tensor } from "onnxruntime-node";
export * from "./analysis/metrics";
export * from "./analysis/patterns";
export * from "./analysis/probes";
export { AttnlensError, type ErrorCode } from "./errors";
export { type Decomposition, decomposeFusedAttention } from "./graph/fusion/decompose";
export * from "./graph/ingraph";
export type { AttentionSite } from "./graph/sites/types";
export type { ModelConfig } from "./load/config";
export { type DemoHead, type DemoModel, demoModelsDir, listDemoModels } from "./load/demoModels";
export type { DownloadProgress } from "./load/hub/download";
export { fetchHubModel, type HubOptions } from "./load/hub/hubModel";
export type { ModelFiles } from "./load/layout";
export { type LoadOptions, loadModel } from "./load/loadModel";
export {
  ATTNLENS_MIME,
  DISPLAY_MAX_BYTES,
  type DisplayBundle,
  displayBundle,
  flow,
  headGrid,
  heatmap,
  lines,
  metrics,
  type ShowOptions,
  show,
  type ViewName,
} from "./output/display";
export { encodePayload, PAYLOAD_MAX_BYTES, type PayloadOptions } from "./output/payload";
export {
  exportReport,
  type ReportFile,
  type ReportInput,
  type ReportOptions,
  readExtraction,
  reportDocument,
  widgetState,
} from "./output/report";
export type * from "./result/types";
export { AttentionModel, type RunOptions } from "./run/attentionModel";
export type { Family } from "./run/engine";
export { type Feeds, type InputSpec, type JsonFeed, tensorFromJson } from "./run/feeds";
export type { GenerateOptions, GenerationResult } from "./run/generate/textGenerate";
export { type OpenOptions, openModel } from "./run/openModel";
export { DEFAULT_PROVIDERS, KNOWN_PROVIDERS, type ProviderName } from "./run/providers";
export { type ModelInfo, TextModel, type TextRunOptions } from "./run/textModel";
export { BERT_BASE, type BertLikeShape, bertLikeModel } from "./testing/construct/bertLike";
export {
  type ConstructedModel,
  type ConstructedSpec,
  constructedModel,
} from "./testing/construct/constructedModel";
export type { HeadDesign } from "./testing/construct/designedHeads";
export type { TextInput, TextPair } from "./text/textInput";
export { type EncodedText, type EncodeOptions, type TextToken, TextTokenizer } from "./text/textTokenizer";
export { seededRandom } from "./util/random";
