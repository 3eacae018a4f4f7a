/**
 * `attnlens/testing`: what tests, benchmarks and tutorials build attention from, kept out of the
 * main entry. ONNX models written in code (heads designed to show known patterns, the benchmark's
 * BERT-base shape), attention maps with known structure, and the seeded random source they use.
 *
 * @module attnlens/testing
 */

// For benchmarks: which per-row metrics kernel this process uses ("native", "wasm" or "js").
export { defaultKernel } from "../analysis/metrics/rowAccumulators";
// Reproducible randomness for the above.
export { seededRandom } from "../util/random";
// ONNX models written in code.
export { BERT_BASE, type BertLikeShape, bertLikeModel } from "./construct/bertLike";
export { type ConstructedModel, type ConstructedSpec, constructedModel } from "./construct/constructedModel";
export type { HeadDesign, StreamLayout } from "./construct/designedHeads";
export { LLAMA_ATTENTION, type LlamaLikeShape, llamaLikeModel } from "./construct/llamaLike";
// Attention maps with known structure.
export {
  type DesignedOptions,
  type DesignedPattern,
  designedSite,
  type RandomOptions,
  randomAttention,
  type SyntheticSite,
} from "./syntheticMaps";
