/**
 * Per-head results over sentences: in how many of them a probe's rule holds (Wilson interval), and
 * whether the head does it across sentences more than chance / the distractor (a sign-flip
 * permutation test of the paired differences, Holm-corrected over the heads).
 */
import { signFlipTest } from "./signFlip";
import { DEFAULT_SEED, holm, wilson } from "./stats";
import type { ProbeHeadRate, ProbeMatch, ProbeRule, ProbeSampleTest } from "./types";

/** One evaluated head of one sentence and whether the rule held there. */
export interface HeadOutcome {
  match: Pick<ProbeMatch, "site" | "layer" | "head" | "weight" | "other">;
  holds: boolean;
  /** The sentence's paired difference the test across sentences uses (`sentenceDifference`). */
  difference: number;
}

/** What the test across sentences compares, per rule: the words of `ProbeSampleTest.statistic`. */
export const SENTENCE_STATISTIC: Record<ProbeRule["kind"], string> = {
  moreThan: "weight − other",
  lessThan: "other − weight",
  atLeast: "weight − chance",
  atMost: "chance − weight",
};

/**
 * A sentence's paired difference, oriented so that positive = in the rule's direction: the right
 * word against the distractor for comparisons, the weight against chance for bounds.
 */
export function sentenceDifference(
  kind: ProbeRule["kind"],
  weight: number,
  other: number | null,
  chance: number,
): number {
  const o = other ?? 0;
  return kind === "moreThan"
    ? weight - o
    : kind === "lessThan"
      ? o - weight
      : kind === "atLeast"
        ? weight - chance
        : chance - weight;
}

/**
 * Groups outcomes by site and head (highest fraction first, then highest mean weight), tests each
 * head across its sentences and corrects over the heads (Holm; `test.comparisons` = heads).
 */
export function headRates(
  outcomes: HeadOutcome[],
  kind: ProbeRule["kind"],
  seed = DEFAULT_SEED,
): { heads: ProbeHeadRate[]; test: ProbeSampleTest } {
  const groups = new Map<string, HeadOutcome[]>();
  for (const o of outcomes) {
    const key = `${o.match.site}\u0000${o.match.head}`;
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  const lists = [...groups.values()];
  const tests = lists.map((list) =>
    signFlipTest(
      list.map((o) => o.difference),
      seed,
    ),
  );
  const adjusted = holm(tests.map((t) => t.p));
  const heads = lists.map((list, i): ProbeHeadRate => {
    const { site, layer, head } = list[0].match;
    const holds = list.filter((o) => o.holds).length;
    const total = list.length;
    const mean = (f: (o: HeadOutcome) => number) => list.reduce((s, o) => s + f(o), 0) / total;
    const withOther = list[0].match.other !== null;
    return {
      site,
      layer,
      head,
      holds,
      total,
      fraction: holds / total,
      ...wilson(holds, total),
      meanWeight: mean((o) => o.match.weight),
      meanOther: withOther ? mean((o) => o.match.other ?? 0) : null,
      meanDifference: mean((o) => o.difference),
      p: tests[i].p,
      pAdjusted: adjusted[i],
    };
  });
  const test: ProbeSampleTest = {
    method: "sign-flip permutation over sentences",
    statistic: SENTENCE_STATISTIC[kind],
    sentences: lists.reduce((most, list) => Math.max(most, list.length), 0),
    permutations: tests.reduce((most, t) => Math.max(most, t.permutations), 0),
    exact: tests.every((t) => t.exact),
    seed,
    correction: "holm",
    comparisons: lists.length,
  };
  heads.sort((a, b) => b.fraction - a.fraction || b.meanWeight - a.meanWeight);
  return { heads, test };
}
