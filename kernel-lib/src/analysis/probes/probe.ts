/**
 * The declarative probe API:
 *   probe(result).from("it").to("animal").atLeast(0.3)
 *   probe(result).from("it").to("animal").moreThan("street")
 *   probe(result).inSites("encoder.self.5").sample(0).from(3).to({ word: "the", occurrence: 2 }).atMost(0.1)
 *   probe([result1, result2, …]).from("it").to("animal").moreThan("street")   // many sentences
 * Each step returns a new Probe (they can be shared and branched); a rule evaluates it across
 * every chosen site, sample and head and returns the heads where it holds, each with its chance
 * level, effect size and a permutation p-value over positions (Holm-corrected over the heads
 * searched), and per head the fraction of sentences where it holds with a Wilson interval and a
 * sign-flip permutation p-value over the sentences (Holm-corrected over the heads).
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult, SiteAttention } from "../../result/types";
import type { MetricsOptions } from "../metrics/types";
import { type EvaluatedHead, evaluateHeads, type ProbeScope } from "./evaluate";
import { headRates, sentenceDifference } from "./rates";
import { describeSelector, type TokenSelector } from "./select";
import { DEFAULT_SEED, holm, permutationTest, type Statistic } from "./stats";
import { summarize } from "./summary";
import type { ProbeMatch, ProbeResult, ProbeRule, ProbeTest } from "./types";

/**
 * Default margin for moreThan / lessThan: "chance", the weight one source gets from uniform
 * attention (1 / sources the from-word sees). A fixed 0.01 called 0.088 vs 0.055 a preference
 * where chance is 1/16 = 0.0625.
 */
export const COMPARISON_MARGIN = "chance" as const;

/** Probe options: the metrics options (special tokens, tolerance) and the permutation seed. */
export type ProbeOptions = MetricsOptions & { seed?: number };

type Scope = Omit<ProbeScope, "from" | "to" | "other"> & { from?: TokenSelector; to?: TokenSelector; seed: number };

/** The statistic each rule tests (larger = more in the rule's direction). */
const STATISTICS: Record<ProbeRule["kind"], Statistic> = {
  atLeast: (t) => t,
  atMost: (t) => -t,
  moreThan: (t, o) => t - o,
  lessThan: (t, o) => o - t,
};

/**
 * A rule-based question about attention between words, built step by step:
 * `probe(result).from("it").to("animal").atLeast(0.3)`.
 */
export class Probe {
  private readonly results: AttentionResult[];

  constructor(
    result: AttentionResult | AttentionResult[],
    private readonly scope: Scope,
  ) {
    this.results = Array.isArray(result) ? result : [result];
    if (this.results.length === 0) throw new AttnlensError("BAD_INPUT", "probe: give at least one result");
  }

  private with(change: Partial<Scope>): Probe {
    return new Probe(this.results, { ...this.scope, ...change });
  }

  /** The attending token (query side): a word, a token index, or `{ word, occurrence }`. */
  from(selector: TokenSelector): Probe {
    return this.with({ from: selector });
  }

  /** The attended token (key side): a word, a token index, or `{ word, occurrence }`. */
  to(selector: TokenSelector): Probe {
    return this.with({ to: selector });
  }

  /** Only these sites: ids, or a predicate on the site. */
  inSites(...sites: Array<string | ((site: SiteAttention) => boolean)>): Probe {
    const known = new Set(this.results.flatMap((r) => r.sites.map((s) => s.id)));
    const unknown = sites.filter((s): s is string => typeof s === "string" && !known.has(s));
    if (unknown.length > 0)
      throw new AttnlensError("BAD_INPUT", `probe: no site ${unknown.join(", ")}; sites are: ${[...known].join(", ")}`);
    const test = (site: SiteAttention) => sites.some((s) => (typeof s === "string" ? s === site.id : s(site)));
    return this.with({ sites: test });
  }

  /** Only these heads. */
  inHeads(...heads: number[]): Probe {
    return this.with({ heads });
  }

  /** Only sample b of the batch. */
  sample(b: number): Probe {
    return this.with({ sample: b });
  }

  /** Every evaluated head with its weight, strongest first (no rule; `p` tests the weight as atLeast does). */
  weights(): ProbeMatch[] {
    return this.score({ kind: "atLeast", value: 0 })
      .map((s) => s.match)
      .sort((a, b) => b.weight - a.weight);
  }

  /** Heads whose weight from `from` to `to` is at least `value` (a probability in [0, 1]). */
  atLeast(value: number): ProbeResult {
    return this.apply({ kind: "atLeast", value });
  }

  /** Heads whose weight from `from` to `to` is at most `value` (a probability in [0, 1]). */
  atMost(value: number): ProbeResult {
    return this.apply({ kind: "atMost", value });
  }

  /**
   * Heads giving the `to` word more weight than the `other` word, by more than `margin`: by default
   * "chance", one source's share under uniform attention (1 / sources the from-word sees), so a
   * difference uniform-ish attention produces is not a preference; a number is a fixed margin.
   */
  moreThan(other: TokenSelector, margin: number | "chance" = COMPARISON_MARGIN): ProbeResult {
    return this.apply({ kind: "moreThan", other, margin });
  }

  /** Heads giving the `to` word less weight than the `other` word, by more than `margin` (default "chance"). */
  lessThan(other: TokenSelector, margin: number | "chance" = COMPARISON_MARGIN): ProbeResult {
    return this.apply({ kind: "lessThan", other, margin });
  }

  /** Evaluates every chosen head of every result, with chance, effect and permutation p-values. */
  private score(
    rule: ProbeRule,
  ): Array<{ match: ProbeMatch; holds: boolean; difference: number; permutations: number; exact: boolean }> {
    const { from, to } = this.scope;
    if (from === undefined || to === undefined) {
      throw new AttnlensError("BAD_INPUT", 'probe: name both words first, e.g. probe(result).from("it").to("animal")');
    }
    const other = "other" in rule ? rule.other : undefined;
    const heads: Array<EvaluatedHead & { input: number }> = [];
    this.results.forEach((result, input) => {
      heads.push(...evaluateHeads(result, { ...this.scope, from, to, other }).heads.map((e) => ({ ...e, input })));
    });
    // A NaN compares false everywhere: both tests would count too few extreme arrangements (NaN
    // observed: p = 0). The row holds every visible source, the named words included.
    const bad = heads.find((e) => !e.row.every(Number.isFinite) || !Number.isFinite(e.match.weight));
    if (bad) {
      const { site, head, sample } = bad.match;
      const where = `${this.results.length > 1 ? `result ${bad.input}, ` : ""}site ${site} head ${head} sample ${sample}`;
      throw new AttnlensError(
        "BAD_INPUT",
        `probe: ${where} has a non-finite attention weight (NaN or ∞); check the maps with validateResult(result) before probing`,
      );
    }
    const tests = heads.map((e) => permutationTest(e.row, e.target, e.other, STATISTICS[rule.kind], this.scope.seed));
    const adjusted = holm(tests.map((t) => t.p));
    return heads.map((e, i) => {
      const chance = e.target.length / e.row.length;
      const m = e.match;
      const match: ProbeMatch = {
        ...m,
        input: e.input,
        chance,
        ratio: m.weight / chance,
        excess: m.weight - chance,
        difference: m.other === null ? null : m.weight - m.other,
        p: tests[i].p,
        pAdjusted: adjusted[i],
      };
      const margin = "margin" in rule ? (rule.margin === "chance" ? 1 / e.row.length : rule.margin) : 0;
      const o = m.other ?? 0;
      const holds =
        rule.kind === "atLeast"
          ? m.weight >= rule.value
          : rule.kind === "atMost"
            ? m.weight <= rule.value
            : rule.kind === "moreThan"
              ? m.weight - o > margin
              : o - m.weight > margin;
      const difference = sentenceDifference(rule.kind, m.weight, m.other, chance);
      return { match, holds, difference, permutations: tests[i].permutations, exact: tests[i].exact };
    });
  }

  private apply(rule: ProbeRule): ProbeResult {
    if ("value" in rule && !(rule.value >= 0 && rule.value <= 1)) {
      throw new AttnlensError("BAD_INPUT", `probe: ${rule.kind}(${rule.value}) needs a weight in [0, 1]`);
    }
    if ("margin" in rule && rule.margin !== "chance" && !(rule.margin >= 0 && rule.margin < 1)) {
      throw new AttnlensError("BAD_INPUT", `probe: ${rule.kind} margin ${rule.margin} must be in [0, 1) or "chance"`);
    }
    const scored = this.score(rule);
    const matches = scored
      .filter((s) => s.holds)
      .map((s) => s.match)
      .sort((a, b) => b.weight - a.weight);
    const test: ProbeTest = {
      method: "permutation over positions",
      permutations: scored.reduce((most, s) => Math.max(most, s.permutations), 0),
      exact: scored.every((s) => s.exact),
      seed: this.scope.seed,
      correction: "holm",
      comparisons: scored.length,
    };
    const { heads, test: sampleTest } = headRates(scored, rule.kind, this.scope.seed);
    const text = ruleText(this.scope.from as TokenSelector, this.scope.to as TokenSelector, rule);
    const summary = summarize(text, matches, scored.length, test, heads, sampleTest, this.results.length);
    return {
      rule: text,
      matches,
      checked: scored.length,
      test,
      heads,
      sampleTest,
      summary,
      toString: () => summary,
    };
  }
}

function ruleText(from: TokenSelector, to: TokenSelector, rule: ProbeRule): string {
  const head = `from ${describeSelector(from)} to ${describeSelector(to)}`;
  if ("value" in rule) return `${head} ${rule.kind === "atLeast" ? "≥" : "≤"} ${rule.value}`;
  return `${head} ${rule.kind === "moreThan" ? ">" : "<"} to ${describeSelector(rule.other)}`;
}

/**
 * Starts a probe on a result, or on several (one per sentence: per-head rates with Wilson
 * intervals); options as for the metrics (special tokens, tolerance) plus the permutation `seed`.
 */
export function probe(result: AttentionResult | AttentionResult[], options: ProbeOptions = {}): Probe {
  const { seed = DEFAULT_SEED, ...metrics } = options;
  return new Probe(result, { options: metrics, seed });
}
