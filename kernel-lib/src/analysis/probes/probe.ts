/**
 * The declarative probe API:
 *   probe(result).from("it").to("animal").atLeast(0.3)
 *   probe(result).from("it").to("animal").moreThan("street")
 *   probe(result).inSites("encoder.self.5").sample(0).from(3).to({ word: "the", occurrence: 2 }).atMost(0.1)
 * Each step returns a new Probe (they can be shared and branched); a rule evaluates it across
 * every chosen site, sample and head and returns the heads where it holds.
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult, SiteAttention } from "../../result/types";
import type { MetricsOptions } from "../metrics/types";
import { evaluateProbe, type ProbeScope } from "./evaluate";
import { describeSelector, type TokenSelector } from "./select";
import { summarize } from "./summary";
import type { ProbeMatch, ProbeResult, ProbeRule } from "./types";

/** Default margin for moreThan / lessThan (probability mass). */
export const COMPARISON_MARGIN = 0.01;

type Scope = Omit<ProbeScope, "from" | "to" | "other"> & { from?: TokenSelector; to?: TokenSelector };

/**
 * A rule-based question about attention between words, built step by step:
 * `probe(result).from("it").to("animal").atLeast(0.3)`.
 */
export class Probe {
  constructor(
    private readonly result: AttentionResult,
    private readonly scope: Scope,
  ) {}

  /** The attending token (query side): a word, a token index, or `{ word, occurrence }`. */
  from(selector: TokenSelector): Probe {
    return new Probe(this.result, { ...this.scope, from: selector });
  }

  /** The attended token (key side): a word, a token index, or `{ word, occurrence }`. */
  to(selector: TokenSelector): Probe {
    return new Probe(this.result, { ...this.scope, to: selector });
  }

  /** Only these sites: ids, or a predicate on the site. */
  inSites(...sites: Array<string | ((site: SiteAttention) => boolean)>): Probe {
    const known = new Set(this.result.sites.map((s) => s.id));
    const unknown = sites.filter((s): s is string => typeof s === "string" && !known.has(s));
    if (unknown.length > 0)
      throw new AttnlensError("BAD_INPUT", `probe: no site ${unknown.join(", ")}; sites are: ${[...known].join(", ")}`);
    const test = (site: SiteAttention) => sites.some((s) => (typeof s === "string" ? s === site.id : s(site)));
    return new Probe(this.result, { ...this.scope, sites: test });
  }

  /** Only these heads. */
  inHeads(...heads: number[]): Probe {
    return new Probe(this.result, { ...this.scope, heads });
  }

  /** Only sample b of the batch. */
  sample(b: number): Probe {
    return new Probe(this.result, { ...this.scope, sample: b });
  }

  /** Every evaluated head with its weight, strongest first (no rule). */
  weights(): ProbeMatch[] {
    return this.run().weights.sort((a, b) => b.weight - a.weight);
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
   * Heads giving the `to` word more weight than the `other` word, by more than `margin`
   * (default 0.01: differences between two near-zero weights are noise, not a preference).
   */
  moreThan(other: TokenSelector, margin = COMPARISON_MARGIN): ProbeResult {
    return this.apply({ kind: "moreThan", other, margin });
  }

  /** Heads giving the `to` word less weight than the `other` word, by more than `margin` (default 0.01). */
  lessThan(other: TokenSelector, margin = COMPARISON_MARGIN): ProbeResult {
    return this.apply({ kind: "lessThan", other, margin });
  }

  private run(other?: TokenSelector) {
    const { from, to } = this.scope;
    if (from === undefined || to === undefined) {
      throw new AttnlensError("BAD_INPUT", 'probe: name both words first, e.g. probe(result).from("it").to("animal")');
    }
    return evaluateProbe(this.result, { ...this.scope, from, to, other });
  }

  private apply(rule: ProbeRule): ProbeResult {
    if ("value" in rule && !(rule.value >= 0 && rule.value <= 1)) {
      throw new AttnlensError("BAD_INPUT", `probe: ${rule.kind}(${rule.value}) needs a weight in [0, 1]`);
    }
    if ("margin" in rule && !(rule.margin >= 0 && rule.margin < 1)) {
      throw new AttnlensError("BAD_INPUT", `probe: ${rule.kind} margin ${rule.margin} must be in [0, 1)`);
    }
    const { weights, checked } = this.run("other" in rule ? rule.other : undefined);
    const holds = (m: ProbeMatch) => {
      if ("value" in rule) return rule.kind === "atLeast" ? m.weight >= rule.value : m.weight <= rule.value;
      const o = m.other ?? 0;
      return rule.kind === "moreThan" ? m.weight - o > rule.margin : o - m.weight > rule.margin;
    };
    const matches = weights.filter(holds).sort((a, b) => b.weight - a.weight);
    const text = ruleText(this.scope.from as TokenSelector, this.scope.to as TokenSelector, rule);
    const summary = summarize(text, matches, checked);
    return { rule: text, matches, checked, summary, toString: () => summary };
  }
}

function ruleText(from: TokenSelector, to: TokenSelector, rule: ProbeRule): string {
  const head = `from ${describeSelector(from)} to ${describeSelector(to)}`;
  if ("value" in rule) return `${head} ${rule.kind === "atLeast" ? "≥" : "≤"} ${rule.value}`;
  return `${head} ${rule.kind === "moreThan" ? ">" : "<"} to ${describeSelector(rule.other)}`;
}

/** Starts a probe on a result; options as for the metrics (special tokens, tolerance). */
export function probe(result: AttentionResult, options: MetricsOptions = {}): Probe {
  return new Probe(result, { options });
}
