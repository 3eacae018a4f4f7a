/** The corpus engine's options, progress events and summary (DIR/summary.json, docs/corpus.md). */

import type { Probe } from "../../analysis/probes/probe";
import type { ProbeResult } from "../../analysis/probes/types";
import type { CorpusCounts, CorpusSiteSummary } from "../aggregate/corpusAggregate";
import type { CorpusFields } from "../read/types";
import type { CorpusTooLong } from "./tokenLimit";

/** Options of `analyzeCorpus`. */
export interface CorpusOptions {
  /** Inputs per model run (padded to the longest; padding masked). Default 16. */
  batch?: number;
  /** Token limit (specials included); default and ceiling: the model's positions. */
  maxTokens?: number;
  /** Inputs over the limit: "skip" (default) or "truncate"; counted either way. */
  tooLong?: CorpusTooLong;
  /** Stop after this many records of DATA (skipped ones included). */
  limit?: number;
  /** Fields (JSON lines) or columns (Parquet, Arrow) of the text, pair and target; default text "text". */
  fields?: CorpusFields;
  /**
   * Output directory: DIR/state.json is checkpointed there and a rerun resumes from it; DIR/summary.json is
   * written at the end. Without it nothing is written and nothing resumes.
   */
  out?: string;
  /** Checkpoint every N batches (default 20). */
  checkpointEvery?: number;
  /** Start over even if DIR/state.json holds a checkpoint. */
  restart?: boolean;
  /** Also write one row per input × head to DIR/rows.parquet (needs `out`). */
  rows?: boolean;
  /**
   * Classify each input's heads (pattern and mixture counts). Default true; false skips the classifier,
   * most of the analysis time on small models (bench/corpus.mjs), and leaves `patterns` empty.
   */
  patterns?: boolean;
  /**
   * Probe rules to count per head, by name: each is run on every input alone, e.g.
   * `{ "it→animal": (p) => p.from("it").to("animal").atLeast(0.3) }`; a head's `probes[name]` counts the
   * inputs where the rule holds (`pass`) of those where its words exist (`n`).
   */
  probes?: Record<string, (probe: Probe) => ProbeResult>;
  /** The model's name in the summary (default: the name it was loaded by). */
  modelName?: string;
}

/** One progress event: after every batch, and a last one carrying the summary. */
export interface CorpusProgress {
  /** Inputs measured so far (checkpointed ones included). */
  done: number;
  /** Inputs skipped so far. */
  skipped: number;
  truncated: number;
  /** Records read from DATA so far. */
  consumed: number;
  batches: number;
  /** Inputs measured per second in this run. */
  rate: number;
  /** Seconds left, when the share of DATA read is known. */
  eta: number | null;
  /** Share of DATA read, in [0, 1], when known. */
  fraction: number | null;
  /** Seconds since this run started. */
  elapsed: number;
  /** Records already done by an earlier run this one resumed (0 for a fresh run). */
  resumedFrom: number;
  /** On the last event only: the summary (also in DIR/summary.json). */
  summary?: CorpusSummary;
}

/** DIR/summary.json: what a corpus run measured, per site and head (format in docs/corpus.md). */
export interface CorpusSummary extends CorpusCounts {
  version: 1;
  engine: "local" | "ray";
  /** The model source as given. */
  model: string;
  /** The data file as given ("(iterable)" for inputs passed in code). */
  data: string;
  sites: CorpusSiteSummary[];
}
