/**
 * Probe evaluation: for every chosen site, sample and head, the attention from one word to
 * another. FROM a word = the mean over its pieces (rows); TO a word = the sum over its pieces
 * (mass). For self sites both words come from the site's stream; for cross sites `from` is a
 * decoder word and `to` an encoder word. Sites or samples where a word does not occur are
 * skipped; if it occurs nowhere the probe fails with the list of words. Each head also keeps its
 * mean from-row over the sources the from-word sees: the chance level and the permutation test's pool.
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult, SiteAttention } from "../../result/types";
import { type SiteGeometry, siteGeometry, visibleLimit } from "../metrics/geometry";
import type { MetricsOptions } from "../metrics/types";
import { missingError, resolve, type TokenSelector } from "./select";
import type { ProbeMatch } from "./types";
import { type Word, wordsOf } from "./words";

export interface ProbeScope {
  from: TokenSelector;
  to: TokenSelector;
  other?: TokenSelector;
  sites?: (site: SiteAttention) => boolean;
  sample?: number;
  heads?: number[];
  options?: MetricsOptions;
}

function weight(site: SiteAttention, b: number, h: number, rows: number[], cols: number[], offset: number): number {
  const [, H, T, S] = site.dims;
  let total = 0;
  for (const p of rows) {
    const base = ((b * H + h) * T + (p - offset)) * S;
    for (const q of cols) total += site.data[base + q];
  }
  return total / rows.length;
}

/** What the statistics need of one evaluated head: its mean from-row over the visible sources. */
export interface EvaluatedHead {
  match: Omit<ProbeMatch, "chance" | "ratio" | "excess" | "difference" | "p" | "pAdjusted">;
  /** Mean over from-rows of the weights on `pool` positions. */
  row: Float64Array;
  /** Indexes into `row` of the `to` word's pieces and the comparison word's pieces. */
  target: number[];
  other: number[];
}

/**
 * Sources every from-row can see (valid, and not in the future for causal sites), plus the named
 * words' pieces: chance is 1 / this count per piece, and the permutation test shuffles within it.
 */
function visiblePool(geo: SiteGeometry, valid: Uint8Array, fromRows: number[], named: number[]): number[] {
  const limit = Math.min(...fromRows.map((i) => visibleLimit(geo, i)));
  const pool = new Set<number>(named);
  for (let j = 0; j < limit; j++) if (valid[j]) pool.add(j);
  return [...pool].sort((a, b) => a - b);
}

function meanRow(site: SiteAttention, b: number, h: number, rows: number[], pool: number[]): Float64Array {
  const [, H, T, S] = site.dims;
  const out = new Float64Array(pool.length);
  for (const i of rows) {
    const base = ((b * H + h) * T + i) * S;
    pool.forEach((q, k) => {
      out[k] += site.data[base + q];
    });
  }
  return out.map((v) => v / rows.length);
}

/** Every chosen site, sample and head: its weights and what the statistics need. */
export function evaluateHeads(result: AttentionResult, scope: ProbeScope): { heads: EvaluatedHead[]; checked: number } {
  const sites = result.sites.filter((s) => scope.sites?.(s) ?? true);
  if (sites.length === 0)
    throw new AttnlensError(
      "BAD_INPUT",
      `probe: no site matches; sites are: ${result.sites.map((s) => s.id).join(", ")}`,
    );
  const weights: EvaluatedHead[] = [];
  let checked = 0;
  let example: { where: string; words: Word[]; missing: TokenSelector } | null = null;
  for (const site of sites) {
    const geo = siteGeometry(result, site, scope.options);
    const [B, H, T, S] = site.dims;
    const { target, source } = geo.streams;
    const needsWords = [scope.from, scope.to, scope.other].some((s) => s !== undefined && typeof s !== "number");
    const targetTokens = geo.self ? source.tokens : target.tokens;
    if (needsWords && (!source.tokens || !targetTokens)) {
      throw new AttnlensError(
        "BAD_INPUT",
        `site ${site.id}: the result has no tokens for the ${target.stream} stream; name tokens by index instead of by word`,
      );
    }
    if (scope.sample !== undefined && !(scope.sample >= 0 && scope.sample < B)) {
      throw new AttnlensError("BAD_INPUT", `probe: sample ${scope.sample} is outside the batch [0, ${B})`);
    }
    const samples = scope.sample === undefined ? Array.from({ length: B }, (_, b) => b) : [scope.sample];
    for (const b of samples) {
      const g = geo.samples[b];
      const fromValid = geo.self ? g.sourceValid : g.targetValid;
      const fromWords = targetTokens ? wordsOf(targetTokens[b], fromValid) : [];
      const toWords = source.tokens ? wordsOf(source.tokens[b], g.sourceValid) : [];
      const where = `site ${site.id}, sample ${b}`;
      const rows = resolve(scope.from, fromWords, geo.self ? S : T, `${where} (from)`);
      const cols = resolve(scope.to, toWords, S, `${where} (to)`);
      const others = scope.other === undefined ? [] : resolve(scope.other, toWords, S, `${where} (to)`);
      const missing = !rows ? scope.from : !cols ? scope.to : !others ? scope.other : undefined;
      if (missing !== undefined) {
        example ??= { where: `${where}`, words: missing === scope.from ? fromWords : toWords, missing };
        continue;
      }
      const offset = geo.self ? geo.offset : 0;
      const fromRows = (rows as number[]).filter((p) => p - offset >= 0 && p - offset < T);
      if (fromRows.length === 0) continue;
      const named = [...(cols as number[]), ...(others ?? [])];
      const pool = visiblePool(
        geo,
        g.sourceValid,
        fromRows.map((p) => p - offset),
        named,
      );
      const at = (positions: number[]) => positions.map((q) => pool.indexOf(q));
      for (const h of scope.heads ?? Array.from({ length: H }, (_, k) => k)) {
        if (h < 0 || h >= H) continue;
        const w = weight(site, b, h, fromRows, cols as number[], offset);
        const o = scope.other === undefined ? null : weight(site, b, h, fromRows, others as number[], offset);
        weights.push({
          row: meanRow(
            site,
            b,
            h,
            fromRows.map((p) => p - offset),
            pool,
          ),
          target: at(cols as number[]),
          other: at(others ?? []),
          match: {
            site: site.id,
            stack: site.stack,
            kind: site.kind,
            layer: site.layer,
            head: h,
            sample: b,
            input: 0,
            weight: w,
            other: o,
          },
        });
        checked++;
      }
    }
  }
  if (checked === 0 && example) throw missingError(example.missing, example.where, example.words);
  return { heads: weights, checked };
}
