/**
 * The role of each token of one sample, decided in one place for metrics, patterns and views:
 *
 * - `pad`: a masked (padding) position;
 * - `start`: the first valid token of a causal (decoder) stream when it is a start token: marked
 *   special by the tokenizer, or spelled like a [CLS]/[SEP]/EOS token (GPT-2's `<|endoftext|>`,
 *   Llama's `<s>`). Decoders use it as an attention sink, not as a separator: it starts no segment;
 * - `sink`: a token the caller named in `specialTokens.sink` (any model; none by default);
 * - `cls`, `sep`: [CLS] and [SEP]/EOS by the rules (defaults cover BERT, RoBERTa/BART, T5, GPT-2);
 * - `punct`: a non-special token whose text, without its sub-word marker, is only punctuation;
 * - `word`: everything else.
 *
 * The first rule that matches wins, in that order. Start and sink tokens are the sink sources of
 * the sink mass and of `excludeSinks`.
 */
import type { TokenInfo } from "../../result/types";
import type { SpecialTokenRules } from "./types";

/** What a token is to the metrics: see tokenRoles.ts. */
export type TokenRole = "cls" | "sep" | "start" | "sink" | "pad" | "punct" | "word";

export const DEFAULT_CLS = ["[CLS]", "<s>", "<cls>"];
export const DEFAULT_SEP = ["[SEP]", "</s>", "<sep>", "<eos>", "<|endoftext|>"];

const PUNCTUATION = /^\p{P}+$/u;
const MARKERS = /^(##|Ġ|▁)/;

/** The token text without its sub-word marker. */
export function bareText(text: string): string {
  return text.replace(MARKERS, "");
}

/** A non-special token whose text, without sub-word markers, is only Unicode punctuation. */
export function isPunctuation(t: TokenInfo): boolean {
  const bare = bareText(t.text);
  return !t.special && bare.length > 0 && PUNCTUATION.test(bare);
}

function matcher(rules: Array<string | number>): (t: TokenInfo) => boolean {
  const texts = new Set(rules.filter((r): r is string => typeof r === "string"));
  const ids = new Set(rules.filter((r): r is number => typeof r === "number"));
  return (t) => ids.has(t.id) || texts.has(t.text);
}

/** How to read one sample's tokens: which positions are valid, and whether the stream is causal. */
export interface TokenRoleOptions {
  /** 1 for a valid position, 0 for padding; default all valid. */
  valid?: ArrayLike<number>;
  /** A causal (decoder) stream: its first token may be a start token. */
  causal?: boolean;
  /** Which tokens are [CLS], [SEP]/EOS and sinks; defaults above. */
  rules?: SpecialTokenRules;
}

/** One role per token of a sample (see the file header for the rules). */
export function tokenRoles(tokens: readonly TokenInfo[], options: TokenRoleOptions = {}): TokenRole[] {
  const rules = options.rules ?? {};
  const isCls = matcher(rules.cls ?? DEFAULT_CLS);
  const isSep = matcher(rules.sep ?? DEFAULT_SEP);
  const isSink = matcher(rules.sink ?? []);
  const valid = (j: number) => options.valid?.[j] !== 0;
  let first = -1;
  for (let j = 0; j < tokens.length && first < 0; j++) if (valid(j)) first = j;
  return tokens.map((t, j): TokenRole => {
    if (!valid(j)) return "pad";
    if (options.causal && j === first && (t.special || isCls(t) || isSep(t))) return "start";
    if (isSink(t)) return "sink";
    if (isCls(t)) return "cls";
    if (isSep(t)) return "sep";
    if (isPunctuation(t)) return "punct";
    return "word";
  });
}
