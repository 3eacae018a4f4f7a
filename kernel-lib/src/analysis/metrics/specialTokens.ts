/**
 * Positions of [CLS], [SEP]/EOS and punctuation tokens in one sample's token list.
 * Defaults cover BERT, RoBERTa/BART, T5 and GPT-2 vocabularies; pass `specialTokens` to
 * override (token text, exact, or token id). Punctuation = a non-special token whose text,
 * without sub-word markers (##, Ġ, ▁), is only Unicode punctuation.
 */
import type { TokenInfo } from "../../result/types";
import type { SpecialTokenRules } from "./types";

export const DEFAULT_CLS = ["[CLS]", "<s>", "<cls>"];
export const DEFAULT_SEP = ["[SEP]", "</s>", "<sep>", "<eos>", "<|endoftext|>"];

const PUNCTUATION = /^\p{P}+$/u;
const MARKERS = /^(##|Ġ|▁)/;

export interface SpecialPositions {
  cls: Int32Array;
  sep: Int32Array;
  punctuation: Int32Array;
}

/** The token text without its sub-word marker. */
export function bareText(text: string): string {
  return text.replace(MARKERS, "");
}

function matcher(rules: Array<string | number>): (t: TokenInfo) => boolean {
  const texts = new Set(rules.filter((r): r is string => typeof r === "string"));
  const ids = new Set(rules.filter((r): r is number => typeof r === "number"));
  return (t) => ids.has(t.id) || texts.has(t.text);
}

export function isPunctuation(t: TokenInfo): boolean {
  const bare = bareText(t.text);
  return !t.special && bare.length > 0 && PUNCTUATION.test(bare);
}

export function specialPositions(
  tokens: TokenInfo[],
  valid: Uint8Array,
  rules: SpecialTokenRules = {},
): SpecialPositions {
  const isCls = matcher(rules.cls ?? DEFAULT_CLS);
  const isSep = matcher(rules.sep ?? DEFAULT_SEP);
  const cls: number[] = [];
  const sep: number[] = [];
  const punctuation: number[] = [];
  tokens.forEach((t, j) => {
    if (!valid[j]) return;
    if (isCls(t)) cls.push(j);
    else if (isSep(t)) sep.push(j);
    else if (isPunctuation(t)) punctuation.push(j);
  });
  return { cls: Int32Array.from(cls), sep: Int32Array.from(sep), punctuation: Int32Array.from(punctuation) };
}

/**
 * Segment ids from [SEP]/EOS boundaries: a segment ends with (and includes) each separator.
 * Returns null when that gives fewer than two segments with valid tokens (no block structure).
 */
export function segmentsFromSeparators(tokens: TokenInfo[], valid: Uint8Array, sep: Int32Array): Int32Array | null {
  const ids = new Int32Array(tokens.length);
  const isSep = new Uint8Array(tokens.length);
  for (const j of sep) isSep[j] = 1;
  let segment = 0;
  let lastValid = -1;
  for (let j = 0; j < tokens.length; j++) {
    ids[j] = segment;
    if (valid[j]) lastValid = j;
    if (isSep[j]) segment++;
  }
  const used = lastValid >= 0 ? ids[lastValid] + 1 : 0;
  return used >= 2 ? ids : null;
}
