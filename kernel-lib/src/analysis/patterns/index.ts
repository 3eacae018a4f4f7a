export { classifyHead, labelHead } from "./classify";
export { type HeadEvidence, headEvidence } from "./evidence";
export { classifyScan, headPatterns } from "./headPatterns";
export * from "./thresholds";
export type {
  HeadPattern,
  PatternComponent,
  PatternLabel,
  PatternName,
  PatternScores,
  PositionalPattern,
} from "./types";
