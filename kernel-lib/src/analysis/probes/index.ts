export { COMPARISON_MARGIN, Probe, type ProbeOptions, probe } from "./probe";
export { headRates } from "./rates";
export type { TokenSelector } from "./select";
export { holm, mulberry32, permutationTest, wilson } from "./stats";
export type { ProbeHeadRate, ProbeMatch, ProbeResult, ProbeRule, ProbeTest } from "./types";
export { type Word, wordsOf } from "./words";
