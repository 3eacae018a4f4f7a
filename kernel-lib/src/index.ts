/**
 * attnlens (kernel side): load → find sites → surgery → run → result → metrics → payload → view.
 * This file only re-exports the public surface.
 */

export { Tensor } from "onnxruntime-node";
export { AttnlensError, type ErrorCode } from "./errors";
export { AttentionModel, type RunOptions } from "./model/attentionModel";
export { type Feeds, type InputSpec, type JsonFeed, tensorFromJson } from "./model/feeds";
export { type OpenOptions, openModel } from "./model/openModel";
export type * from "./result/types";
export { DEFAULT_PROVIDERS, KNOWN_PROVIDERS, type ProviderName } from "./runtime/providers";
export type { AttentionSite } from "./sites/types";
export * from "./metrics";
export * from "./patterns";
export * from "./probes";
export {
  type ConstructedModel,
  type ConstructedSpec,
  constructedModel,
} from "./construct/constructedModel";
export type { HeadDesign } from "./construct/designedHeads";
export { BERT_BASE, type BertLikeShape, bertLikeModel } from "./construct/bertLike";
