/**
 * Corpus payload v1: what the corpus overview shows, in one JSON object. kernel-lib encodes it from
 * a corpus run's DIR/summary.json (+ DIR/inputs.jsonl) with `encodeCorpusPayload`; hosts pass it
 * through under the same MIME type as payload v1, told apart by `kind: "corpus"`.
 *
 * A head is (site, head). Metric values are per-input means over the input's valid query rows
 * (the definitions of `attnlens metrics`), summarized over the corpus. Every string is data.
 */
import type { AttentionKind, AttentionPayload, Stack } from "../payload/types";

/** The summary of one metric of one head over the corpus (from summary.json). */
export interface CorpusStats {
  /** Inputs that defined the value. */
  n: number;
  mean: number;
  /** Sample standard deviation (0 when n < 2). */
  std: number;
  /** 95 % confidence interval of the mean (normal approximation): [mean − 1.96·std/√n, mean + 1.96·std/√n]. */
  ci95: [number, number];
  min: number;
  max: number;
  /** Quantiles 0.05, 0.25, 0.5, 0.75, 0.95 (sketch estimates, relative accuracy ~0.5 %). */
  q: [number, number, number, number, number];
}

/** One attention site's heads over the corpus. */
export interface CorpusSite {
  id: string;
  stack: Stack;
  kind: AttentionKind;
  layer: number;
  heads: number;
  /** Per metric name, one entry per head (null: no input defined it). */
  stats: Record<string, (CorpusStats | null)[]>;
  /** Per head: pattern label → number of inputs labelled so. */
  patterns?: Record<string, number>[];
  /** Per head: its cluster number in `clusters` (absent without clusters). */
  cluster?: number[];
}

/** Heads clustered over the corpus (UPGMA on standardized distribution summaries). */
export interface CorpusClusters {
  /** What the heads were compared on, in words. */
  method: string;
  /** Number of clusters the dendrogram was cut into. */
  k: number;
  /** Every head as [site index, head], in dendrogram leaf order (similar heads side by side). */
  order: [number, number][];
}

/** One input embedded for the typical / atypical lists (at most `perHead` per head and side). */
export interface CorpusInput {
  /** 0-based index of the input in the corpus (as in inputs.jsonl). */
  input: number;
  /** Its text (possibly shortened, see `CorpusExamples.maxChars`). */
  text: string;
  /** Per site id, per metric: the input's value for each head (null: undefined for this input). */
  values: Record<string, Record<string, (number | null)[]>>;
}

/** Per head, the inputs where it is most and least typical. */
export interface CorpusExamples {
  /** How typicality was measured, in words. */
  method: string;
  /** Metrics the typicality score combines. */
  metrics: string[];
  perHead: number;
  maxChars: number;
  inputs: CorpusInput[];
  /**
   * Per site id, per head: indices into `inputs`, most typical first and least typical first,
   * with each input's score (mean squared z-score over `metrics`; 0 = the head's mean).
   */
  heads: Record<string, { typical: [number, number][]; atypical: [number, number][] }[]>;
}

export interface CorpusPayload {
  v: 1;
  kind: "corpus";
  title?: string;
  /** Model and data as the run named them. */
  model?: string;
  data?: string;
  engine?: string;
  inputs: number;
  skipped: number;
  truncated?: number;
  /** Metric names present in `stats`, in the order the selector lists them. */
  metrics: string[];
  sites: CorpusSite[];
  clusters?: CorpusClusters;
  examples?: CorpusExamples;
  /** A live widget's answer to "open": the attention views of one input. */
  opened?: { input: number; text: string; payload: AttentionPayload };
  notes?: string[];
}
