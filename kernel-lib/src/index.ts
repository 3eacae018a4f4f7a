/**
 * attnlens: the public API, in the order data flows.
 *
 *   load → graph → text → run → result → analysis → output
 *
 * Only what users call and the types they need to call it; everything else is internal. Models and
 * maps built in code for tests and benchmarks live in `attnlens/testing`. The list of names is
 * pinned by `kernel-lib/api/public-names.txt` (checked by `kernel-lib/test/publicNames.test.ts`).
 *
 * @module attnlens
 */
// biome-ignore-all assist/source/organizeImports: the exports read in pipeline order, one section per stage

export { AttnlensError, type ErrorCode } from "./errors";

// ── load: model sources (files, directories, the Hugging Face Hub, bundled demo models) ──────────
export type { ModelConfig } from "./load/config";
export { type DemoHead, type DemoModel, demoModelsDir, listDemoModels } from "./load/demoModels";
export type { DownloadProgress } from "./load/hub/download";
export { fetchHubModel, type HubOptions } from "./load/hub/hubModel";
export type { ModelFiles } from "./load/layout";
export { type LoadOptions, loadModel } from "./load/loadModel";

// ── graph: attention sites found in the ONNX graph; metrics computed inside the graph ─────────────
export type { AttentionSite, RejectedSoftmax } from "./graph/sites/types";
export type { InGraphOptions, MeasuredSite, MeasureOptions, MeasureResult } from "./graph/ingraph/types";
export { type Agreement, metricsAgreement, rolloutAgreement } from "./graph/ingraph/agreement";
export { type ExposedModel, type ExposeOptions, exposeModel } from "./graph/surgery/exposeModel";
export {
  type ExposedManifest,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  type ManifestAttention,
  type ManifestMetrics,
  type ManifestValue,
  type ManifestValueNorms,
} from "./graph/surgery/manifest";

// ── text: tokenizer.json, words and offsets ──────────────────────────────────────────────────────
export type { TextInput, TextPair } from "./text/textInput";
export type { ImageInput } from "./image/imageInput";
export type { NestedPixels } from "./image/pixelValues";
export { type WindowLabels, windowLabels } from "./image/windows";
export {
  type EncodedText,
  type EncodeOptions,
  type SpecialName,
  type TextToken,
  TextTokenizer,
} from "./text/textTokenizer";

// ── audio: log-mel features in, encoder positions as frames with times ──────────────────────────
export type { AudioInput, NestedFeatures } from "./audio/audioInput";
export type { AudioSpec } from "./audio/audioSpec";

// ── run: execution providers, sessions, feeds, text models, generation ───────────────────────────
export { Tensor } from "onnxruntime-node";
export { type OpenOptions, openModel } from "./run/openModel";
export type { MapsMode } from "./graph/surgery/attentionGraph";
export { AttentionModel, type RunOptions } from "./run/attentionModel";
export { type Feeds, type InputSpec, type JsonFeed, tensorFromJson } from "./run/feeds";
export { DEFAULT_PROVIDERS, KNOWN_PROVIDERS, type ProviderName } from "./run/providers";
export { type ModelInfo, TextModel, type TextRunOptions } from "./run/textModel";
export type { Family } from "./run/engine";
export type { GenerateOptions, GenerationResult } from "./run/generate/textGenerate";

// ── result: attention maps [batch, heads, target, source] with their tokens ──────────────────────
export type {
  AttentionKind,
  AttentionResult,
  ImageLayout,
  ModelOutput,
  PositionMask,
  ProviderFallback,
  SiteAttention,
  SiteLabel,
  SiteValueNorms,
  Stack,
  TokenInfo,
} from "./result/types";
// Lazy maps (issue 14): row blocks and tiles recomputed on demand from queries and keys.
export type { LazyMode, LazyResult, LazySite, RowBlock, RowSource, Tile, TileRequest } from "./result/lazy";
export { rowSourceOf } from "./result/rowSource";

// ── analysis: per-head metrics, head similarity, rollout and flow, pattern labels, probes ────────
export {
  type AnalyzeOptions,
  analyzeResult,
  type MetricsJson,
  metricsJson,
  type ResultMetrics,
  type SiteAnalysis,
} from "./analysis/metrics/analyze";
export type {
  HeadMetrics,
  MetricsKernel,
  MetricsOptions,
  RowMetrics,
  SiteMetrics,
  SpecialTokenRules,
} from "./analysis/metrics/types";
export { type TokenRole, type TokenRoleOptions, tokenRoles } from "./analysis/metrics/tokenRoles";
export { siteMetrics } from "./analysis/metrics/headMetrics";
export { receivedMass } from "./analysis/metrics/receivedMass";
export { validateResult } from "./analysis/metrics/validateResult";
export { type FusedMap, type FuseOptions, type Fusion, fuseHeads } from "./analysis/metrics/aggregate";
export { type HeadSimilarity, headSimilarity, type SimilarityOptions } from "./analysis/metrics/similarity";
export type { Merge } from "./analysis/metrics/clustering";
export type { LayerRange } from "./analysis/metrics/layers";
export { type Rollout, type RolloutOptions, rollout } from "./analysis/metrics/rollout";
export type { BlockOptions, RowContext } from "./analysis/metrics/scale/blocks";
export {
  measureSource,
  type SourceMetrics,
  type StreamedMetricsOptions,
  streamSiteMetrics,
} from "./analysis/metrics/scale/measure";
export { rolloutSource, type StreamedRolloutOptions } from "./analysis/metrics/scale/rollout";
export { type AttentionFlow, attentionFlow, FLOW_MAX_EDGES, type FlowOptions } from "./analysis/metrics/flow";
export { type NormWeightOptions, normWeighted } from "./analysis/metrics/normWeighted";
export { headPatterns } from "./analysis/patterns/headPatterns";
export type {
  HeadPattern,
  PatternComponent,
  PatternLabel,
  PatternName,
  PatternScores,
  PositionalPattern,
} from "./analysis/patterns/types";
export { type Probe, type ProbeOptions, probe } from "./analysis/probes/probe";
export type { TokenSelector } from "./analysis/probes/select";
export type {
  ProbeHeadRate,
  ProbeMatch,
  ProbeResult,
  ProbeRule,
  ProbeSampleTest,
  ProbeTest,
} from "./analysis/probes/types";
export { agreementSuite, type ProbeSuite, pronounSuite, type SuiteCase } from "./analysis/probes/suites";
export {
  runProbeSuite,
  type SuiteGroup,
  type SuiteModel,
  type SuiteOptions,
  type SuiteTable,
} from "./analysis/probes/runSuite";
export { suiteSpec } from "./analysis/probes/suiteView";

// ── corpus: per-head statistics over many inputs, streamed, resumable, mergeable ────────────────
export { analyzeCorpus, type CorpusInputs } from "./corpus/engine/analyzeCorpus";
export type { CorpusOptions, CorpusProgress, CorpusSummary } from "./corpus/engine/types";
export type { CorpusTooLong } from "./corpus/engine/tokenLimit";
export type { CorpusInputsMode } from "./corpus/engine/inputsWriter";
export type { CorpusFingerprint, CorpusState } from "./corpus/engine/checkpoint";
export {
  type CorpusAggregateJson,
  type CorpusCounts,
  type CorpusProblem,
  type CorpusSiteLabel,
  type CorpusSiteSummary,
  mergeCorpusAggregates,
} from "./corpus/aggregate/corpusAggregate";
export {
  CORPUS_METRICS,
  type CorpusHeadAggregateJson,
  type CorpusHeadCounts,
  type CorpusHeadSummary,
  type CorpusMetric,
  type CorpusProbeCount,
} from "./corpus/aggregate/headAggregate";
export type { CorpusMetricAggregateJson, CorpusMetricStats } from "./corpus/aggregate/metricAggregate";
export type { CorpusSketchJson } from "./corpus/aggregate/sketch";
export type { CorpusFields, CorpusReader, CorpusRecord, CorpusText, RecordProblem } from "./corpus/read/types";

// ── output: payload, notebook displays, HTML reports, extraction directories ─────────────────────
export { encodePayload, type PayloadOptions } from "./output/payload/encode";
export { PAYLOAD_MAX_BYTES } from "./output/payload/budget";
export {
  type TiledInput,
  TILED_PAYLOAD_MAX_BYTES,
  type TiledPayloadOptions,
  tiledPayload,
  tiledPayloadFrom,
} from "./output/tiles";
export { ATTNLENS_MIME, DISPLAY_MAX_BYTES, displayBundle } from "./output/display/bundle";
export {
  show,
  showFlow,
  showPatches,
  showHeadGrid,
  showHeatmap,
  showLines,
  showMetrics,
  showSuite,
  type ViewOptions,
} from "./output/display/show";
export { type SuiteShowOptions, suiteBundle } from "./output/display/suite";
export type { DisplayBundle, DisplayView, ShowOptions } from "./output/display/types";
export {
  AttentionWidget,
  type TextRunner,
  type LongInput,
  type WidgetEvents,
  type WidgetInput,
  type WidgetOptions,
  type WidgetSelection,
  widget,
} from "./output/widget";
export {
  exportReport,
  type ReportFile,
  type ReportInput,
  type ReportOptions,
  reportDocument,
} from "./output/report/export";
export {
  type WidgetModelState,
  type WidgetState,
  type WidgetView,
  widgetState,
} from "./output/report/widgetState";
export { type Extraction, type ReadOptions, readExtraction } from "./output/files/extractionDir";
export type { CorpusPayloadOptions } from "./output/payload/corpus";
export type { CorpusInputRow } from "./output/corpus/typical";
export { corpusBundle, corpusPayload, type ShowCorpusOptions, showCorpus } from "./output/display/corpus";
export { CorpusWidget, type CorpusWidgetOptions, corpusWidget } from "./output/widget/corpusWidget";
export { type CorpusReportOptions, exportCorpusReport } from "./output/report/corpusReport";
