export { Probe, probe } from "./probe";
export type { TokenSelector } from "./select";
export type { ProbeMatch, ProbeResult, ProbeRule } from "./types";
export { type Word, wordsOf } from "./words";
