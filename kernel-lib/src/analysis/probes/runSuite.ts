/**
 * Running a probe suite on a model: each sentence is run and probed (`from` → `to` more than
 * → `other`), and per group every head gets the fraction of sentences where it prefers the right
 * word, with a Wilson interval and the mean weights, and a sign-flip permutation test over the
 * group's sentences of (weight to the right word − weight to the distractor), Holm-corrected over
 * the group's heads — the per-head table of issue #12.
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult } from "../../result/types";
import { COMPARISON_MARGIN, type ProbeOptions, probe } from "./probe";
import { type HeadOutcome, headRates } from "./rates";
import { DEFAULT_SEED } from "./stats";
import type { ProbeSuite } from "./suites";
import { pText, sampleTestLine } from "./summary";
import type { ProbeHeadRate, ProbeSampleTest } from "./types";

/** Anything that turns a text into attention (a loaded model). */
export interface SuiteModel {
  /** The attention of one sentence. */
  run(text: string): Promise<AttentionResult>;
}

/** One group of a suite's table: its sentences, every head's rate and test, best first. */
export interface SuiteGroup {
  group: string;
  sentences: number;
  heads: ProbeHeadRate[];
  /** The sign-flip test of weight − other over the group's sentences; Holm over the group's heads. */
  test: ProbeSampleTest;
}

/** A suite's per-head table. */
export interface SuiteTable {
  suite: string;
  /** The margin a head's preference must exceed ("chance": one source's share under uniform attention). */
  margin: number | "chance";
  groups: SuiteGroup[];
  /** The table as text: per group, the best heads with fraction, 95 % interval and mean weights. */
  toString(): string;
}

/** Options of runProbeSuite: the probe options plus the comparison margin and the rows shown. */
export interface SuiteOptions extends ProbeOptions {
  /** Margin of the moreThan comparison (default "chance"). */
  margin?: number | "chance";
  /** Heads shown per group in toString() (default 8). */
  shown?: number;
}

/** Runs every sentence of the suite through the model and tabulates the heads. */
export async function runProbeSuite(
  model: SuiteModel,
  suite: ProbeSuite,
  options: SuiteOptions = {},
): Promise<SuiteTable> {
  const { margin = COMPARISON_MARGIN, shown = 8, seed = DEFAULT_SEED, ...metrics } = options;
  const probeOptions = { ...metrics, seed };
  if (suite.cases.length === 0) throw new AttnlensError("BAD_INPUT", `probe suite "${suite.name}" has no sentences`);
  const outcomes = new Map<string, HeadOutcome[]>();
  for (const c of suite.cases) {
    const result = await model.run(c.text);
    const found = probe(result, probeOptions).from(c.from).to(c.to).moreThan(c.other, margin);
    const list = outcomes.get(c.group) ?? [];
    // One sentence, one sample: each head's rate is that sentence's outcome.
    for (const h of found.heads) {
      list.push({
        match: { ...h, weight: h.meanWeight, other: h.meanOther },
        holds: h.holds > 0,
        difference: h.meanDifference,
      });
    }
    outcomes.set(c.group, list);
  }
  const groups = [...outcomes].map(([group, list]) => ({
    group,
    sentences: suite.cases.filter((c) => c.group === group).length,
    ...headRates(list, "moreThan", seed),
  }));
  const table = { suite: suite.name, margin, groups };
  return { ...table, toString: () => suiteText(table, shown) };
}

function suiteText(table: Omit<SuiteTable, "toString">, shown: number): string {
  const lines = [`${table.suite} (a head holds where it prefers the right word by more than ${table.margin}):`];
  for (const g of table.groups) {
    lines.push(`  ${g.group}, ${g.sentences} sentences:`);
    lines.push("    head              holds  fraction  95% CI       weight  other  p        Holm p");
    for (const r of g.heads.slice(0, shown)) {
      const name = `${r.site} h${r.head}`.padEnd(17);
      const count = `${r.holds}/${r.total}`.padStart(6);
      const ci = `${r.low.toFixed(2)}–${r.high.toFixed(2)}`;
      lines.push(
        `    ${name} ${count}  ${r.fraction.toFixed(2).padStart(8)}  ${ci.padEnd(11)}  ${r.meanWeight.toFixed(3)}   ${(r.meanOther ?? 0).toFixed(3)}  ${pText(r.p).padEnd(7)}  ${pText(r.pAdjusted)}`,
      );
    }
    lines.push(`    ${sampleTestLine(g.test)}`);
  }
  return lines.join("\n");
}
