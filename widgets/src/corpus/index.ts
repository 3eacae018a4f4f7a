export {
  type ClusterLeaf,
  CORPUS_METRIC_TITLES,
  type CorpusBox,
  type CorpusCell,
  clusterLeaves,
  corpusBoxes,
  corpusCells,
  type ExampleRow,
  headExamples,
  inputCells,
  metricTitle,
  type PatternShare,
  patternShares,
} from "./data";
export { type CorpusSpecOptions, clusterStripSpec, corpusBoxSpec, corpusGridSpec, patternBarsSpec } from "./spec";
export type * from "./types";
export { decodeCorpusPayload, isCorpusPayload } from "./validate";
export { type CorpusRenderOptions, type MountedCorpusView, mountCorpus } from "./view";
