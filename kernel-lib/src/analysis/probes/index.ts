export { COMPARISON_MARGIN, Probe, type ProbeOptions, probe } from "./probe";
export { headRates } from "./rates";
export { runProbeSuite, type SuiteGroup, type SuiteModel, type SuiteOptions, type SuiteTable } from "./runSuite";
export type { TokenSelector } from "./select";
export { holm, permutationTest, wilson } from "./stats";
export { agreementSuite, type ProbeSuite, pronounSuite, type SuiteCase } from "./suites";
export { suiteSpec } from "./suiteView";
export type { ProbeHeadRate, ProbeMatch, ProbeResult, ProbeRule, ProbeTest } from "./types";
export { type Word, wordsOf } from "./words";
