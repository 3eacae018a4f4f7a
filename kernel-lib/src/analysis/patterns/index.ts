export { classifyHead } from "./classify";
export { type HeadEvidence, headEvidence } from "./evidence";
export { classifyScan, headPatterns } from "./headPatterns";
export * from "./thresholds";
export type { HeadPattern, PatternLabel, PatternName, PatternScores, PositionalPattern } from "./types";
