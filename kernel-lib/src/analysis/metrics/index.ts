export { type FusedMap, type FuseOptions, type Fusion, fuseHeads } from "./aggregate";
export {
  type AnalyzeOptions,
  analyzeResult,
  type MetricsJson,
  metricsJson,
  type ResultMetrics,
  type SiteAnalysis,
} from "./analyze";
export { clusterOrder, type Merge } from "./clustering";
export { type AttentionFlow, attentionFlow, FLOW_MAX_EDGES, type FlowOptions } from "./flow";
export { type SampleGeometry, type SiteGeometry, siteGeometry, visibleLimit } from "./geometry";
export { siteMetrics, summarizeHeads } from "./headMetrics";
export type { LayerRange } from "./layers";
export { FlowNetwork } from "./maxflow";
export { type NormWeightOptions, normWeighted } from "./normWeighted";
export { receivedMass } from "./receivedMass";
export { type Rollout, type RolloutOptions, rollout } from "./rollout";
export { defaultKernel } from "./rowAccumulators";
export { type BlockOptions, DEFAULT_BLOCK_BYTES, type RowContext } from "./scale/blocks";
export { measureSource, type SourceMetrics, type StreamedMetricsOptions, streamSiteMetrics } from "./scale/measure";
export { rolloutSource, type StreamedRolloutOptions } from "./scale/rollout";
export { type SiteScan, scanSite } from "./scan";
export { type HeadSimilarity, headSimilarity, type SimilarityOptions } from "./similarity";
export { DEFAULT_CLS, DEFAULT_SEP } from "./specialTokens";
export { type TokenRole, type TokenRoleOptions, tokenRoles } from "./tokenRoles";
export type {
  HeadMetrics,
  MetricsKernel,
  MetricsOptions,
  RowMetrics,
  SiteMetrics,
  SpecialTokenRules,
} from "./types";
export { DEFAULT_TOLERANCE } from "./validate";
export { validateResult } from "./validateResult";
