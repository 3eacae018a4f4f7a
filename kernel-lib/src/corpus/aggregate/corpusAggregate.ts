/**
 * The whole corpus's aggregate: per site, per head (HeadAggregate), plus what was read and skipped.
 * Its JSON is DIR/state.json's body and its summary DIR/summary.json (docs/corpus.md); two aggregates
 * of disjoint parts of a corpus merge exactly (Ray shards, or a resumed run's checkpoint).
 */
import type { AttentionKind, Stack } from "../../result/types";
import { type CorpusHeadAggregateJson, type CorpusHeadSummary, HeadAggregate } from "./headAggregate";

/** At most this many problems are kept, those with the lowest line numbers. */
export const MAX_PROBLEMS = 100;

/** An input that was skipped or changed, and why: `line` is 1-based (a row number for Parquet/Arrow). */
export interface CorpusProblem {
  line: number;
  reason: string;
}

/** What identifies a site across runs. */
export interface CorpusSiteLabel {
  id: string;
  stack: Stack;
  kind: AttentionKind;
  layer: number;
}

/** Counts of what was read: measured, skipped (by reason) and truncated inputs, and the first problems. */
export interface CorpusCounts {
  /** Inputs measured. */
  inputs: number;
  /** Inputs read but not measured. */
  skipped: number;
  /** Skipped inputs by reason: empty, tooLong, undecodable, missingField, badJson, badRow. */
  skippedBy: Record<string, number>;
  /** Inputs measured after cutting them to the token limit. */
  truncated: number;
  /** The first MAX_PROBLEMS problems by line number. */
  problems: CorpusProblem[];
}

/** The raw aggregate as JSON (the body of DIR/state.json). */
export interface CorpusAggregateJson extends CorpusCounts {
  sites: (CorpusSiteLabel & { heads: CorpusHeadAggregateJson[] })[];
}

/** The per-head summaries, as in DIR/summary.json. */
export interface CorpusSiteSummary extends CorpusSiteLabel {
  heads: CorpusHeadSummary[];
}

export class CorpusAggregate {
  inputs = 0;
  skipped = 0;
  skippedBy: Record<string, number> = {};
  truncated = 0;
  problems: CorpusProblem[] = [];
  readonly sites = new Map<string, { label: CorpusSiteLabel; heads: HeadAggregate[] }>();

  /** The heads of a site, created on first use. */
  site(label: CorpusSiteLabel, heads: number): HeadAggregate[] {
    let s = this.sites.get(label.id);
    if (!s) {
      s = { label: { id: label.id, stack: label.stack, kind: label.kind, layer: label.layer }, heads: [] };
      this.sites.set(label.id, s);
    }
    while (s.heads.length < heads) s.heads.push(new HeadAggregate(s.heads.length));
    return s.heads;
  }

  skip(line: number, kind: string, reason: string): void {
    this.skipped++;
    this.skippedBy[kind] = (this.skippedBy[kind] ?? 0) + 1;
    this.problem(line, reason);
  }

  problem(line: number, reason: string): void {
    addProblems(this.problems, [{ line, reason }]);
  }

  merge(o: CorpusAggregate): void {
    this.inputs += o.inputs;
    this.skipped += o.skipped;
    this.truncated += o.truncated;
    for (const [k, c] of Object.entries(o.skippedBy)) this.skippedBy[k] = (this.skippedBy[k] ?? 0) + c;
    addProblems(this.problems, o.problems);
    for (const s of o.sites.values()) {
      const mine = this.site(s.label, s.heads.length);
      s.heads.forEach((h, i) => mine[i].merge(h));
    }
  }

  /** Sites in (stack, kind, layer) order: encoder before decoder, self before cross. */
  private orderedSites() {
    const rank = (l: CorpusSiteLabel) => [l.stack === "encoder" ? 0 : 1, l.kind === "self" ? 0 : 1, l.layer];
    return [...this.sites.values()].sort((a, b) => {
      const [x, y] = [rank(a.label), rank(b.label)];
      return x[0] - y[0] || x[2] - y[2] || x[1] - y[1];
    });
  }

  counts(): CorpusCounts {
    const skippedBy: Record<string, number> = {};
    for (const k of Object.keys(this.skippedBy).sort()) skippedBy[k] = this.skippedBy[k];
    return {
      inputs: this.inputs,
      skipped: this.skipped,
      skippedBy,
      truncated: this.truncated,
      problems: this.problems,
    };
  }

  siteSummaries(): CorpusSiteSummary[] {
    return this.orderedSites().map((s) => ({ ...s.label, heads: s.heads.map((h) => h.summary()) }));
  }

  toJSON(): CorpusAggregateJson {
    return {
      ...this.counts(),
      sites: this.orderedSites().map((s) => ({ ...s.label, heads: s.heads.map((h) => h.toJSON()) })),
    };
  }

  static fromJSON(j: CorpusAggregateJson): CorpusAggregate {
    const a = new CorpusAggregate();
    a.inputs = j.inputs;
    a.skipped = j.skipped;
    a.skippedBy = { ...j.skippedBy };
    a.truncated = j.truncated;
    a.problems = [...j.problems];
    for (const s of j.sites) {
      const heads = a.site(s, s.heads.length);
      s.heads.forEach((h, i) => heads[i].merge(HeadAggregate.fromJSON(h)));
    }
    return a;
  }
}

/** Merges raw aggregates (Ray shards, checkpoints) in any order; the result does not depend on it. */
export function mergeCorpusAggregates(parts: readonly CorpusAggregateJson[]): CorpusAggregateJson {
  const all = new CorpusAggregate();
  for (const p of parts) all.merge(CorpusAggregate.fromJSON(p));
  return all.toJSON();
}

/** Keeps the MAX_PROBLEMS lowest (line, reason) pairs, so the kept list does not depend on arrival order. */
function addProblems(into: CorpusProblem[], more: readonly CorpusProblem[]): void {
  if (more.length === 0) return;
  into.push(...more);
  into.sort((a, b) => a.line - b.line || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  if (into.length > MAX_PROBLEMS) into.length = MAX_PROBLEMS;
}
