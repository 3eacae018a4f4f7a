/**
 * The token-role table the Ray engine ships: one code per vocabulary id, decided here by
 * tokenRoles.ts's rules (the one place that decides roles), so the Python workers compute the
 * [CLS], [SEP], punctuation and sink masses exactly as `attnlens metrics` does without a copy of the rules.
 *
 * Code bits: 0–1 the role of the id inside a text (0 word, 1 cls, 2 sep, 3 punct); bit 2 (4) set
 * when the id may be a causal stream's start token (special, or spelled like [CLS]/[SEP]/EOS).
 * Positions the tokenizer's post-processor adds (special_tokens_mask) are special whatever the id.
 */
import { tokenRoles } from "../../analysis/metrics/tokenRoles";
import type { TextTokenizer } from "../../text/textTokenizer";

/** Role codes, as corpus_ray/bundle.py reads them. */
export const ROLE_CODES = { word: 0, cls: 1, sep: 2, punct: 3 } as const;
/** Bit set on ids that may be a causal stream's start token. */
export const STARTABLE = 4;

/** One role code per id in [0, vocabSize), read with each id's own text and special flag. */
export function vocabularyRoles(tokenizer: TextTokenizer): number[] {
  const codes: number[] = [];
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    const token = tokenizer.tokensOf([id])[0];
    const inText = tokenRoles([token])[0];
    const asStart = tokenRoles([token], { causal: true })[0];
    // Sink rules are not shipped: with the default rules only a causal start token is a sink.
    const role = inText === "cls" || inText === "sep" || inText === "punct" ? ROLE_CODES[inText] : ROLE_CODES.word;
    codes.push(role | (asStart === "start" ? STARTABLE : 0));
  }
  return codes;
}
