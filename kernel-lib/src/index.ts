/**
 * attnlens (kernel side): load → find sites → surgery → run → result → metrics → payload → view.
 * This file only re-exports the public surface.
 */

export { Tensor } from "onnxruntime-node";
export { BERT_BASE, type BertLikeShape, bertLikeModel } from "./construct/bertLike";
export {
  type ConstructedModel,
  type ConstructedSpec,
  constructedModel,
} from "./construct/constructedModel";
export type { HeadDesign } from "./construct/designedHeads";
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
} from "./display";
export { AttnlensError, type ErrorCode } from "./errors";
export { type Decomposition, decomposeFusedAttention } from "./fusion/decompose";
export * from "./ingraph";
export type { ModelConfig } from "./loading/config";
export { type DemoHead, type DemoModel, demoModelsDir, listDemoModels } from "./loading/demoModels";
export type { Family } from "./loading/engine";
export type { DownloadProgress } from "./loading/hub/download";
export { fetchHubModel, type HubOptions } from "./loading/hub/hubModel";
export type { ModelFiles } from "./loading/layout";
export { type LoadOptions, loadModel } from "./loading/loadModel";
export type { GenerateOptions, GenerationResult } from "./loading/textGenerate";
export type { TextInput, TextPair } from "./loading/textInput";
export { type ModelInfo, TextModel, type TextRunOptions } from "./loading/textModel";
export * from "./metrics";
export { AttentionModel, type RunOptions } from "./model/attentionModel";
export { type Feeds, type InputSpec, type JsonFeed, tensorFromJson } from "./model/feeds";
export { type OpenOptions, openModel } from "./model/openModel";
export * from "./patterns";
export { encodePayload, PAYLOAD_MAX_BYTES, type PayloadOptions } from "./payload";
export * from "./probes";
export {
  exportReport,
  type ReportFile,
  type ReportInput,
  type ReportOptions,
  readExtraction,
  reportDocument,
  widgetState,
} from "./report";
export type * from "./result/types";
export { DEFAULT_PROVIDERS, KNOWN_PROVIDERS, type ProviderName } from "./runtime/providers";
export type { AttentionSite } from "./sites/types";
export { type EncodedText, type EncodeOptions, type TextToken, TextTokenizer } from "./tokenize/textTokenizer";
export { seededRandom } from "./util/random";
