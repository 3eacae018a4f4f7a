/**
 * Positions of [CLS], [SEP]/EOS, start/sink and punctuation tokens in one sample's token list,
 * from the token roles (tokenRoles.ts: the one place that decides them), and the segments that
 * [SEP]/EOS boundaries give. Pass `specialTokens` to override the defaults (token text, exact,
 * or token id).
 */
import type { TokenInfo } from "../../result/types";
import { type TokenRole, tokenRoles } from "./tokenRoles";
import type { SpecialTokenRules } from "./types";

export { bareText, DEFAULT_CLS, DEFAULT_SEP, isPunctuation } from "./tokenRoles";

export interface SpecialPositions {
  roles: TokenRole[];
  cls: Int32Array;
  sep: Int32Array;
  /** Start tokens of causal streams and the caller's sink tokens. */
  sink: Int32Array;
  punctuation: Int32Array;
}

function positionsOf(roles: TokenRole[], ...wanted: TokenRole[]): Int32Array {
  const out: number[] = [];
  roles.forEach((r, j) => wanted.includes(r) && out.push(j));
  return Int32Array.from(out);
}

/** `causal`: the tokens are a causal stream's, whose first token may be a start (sink) token. */
export function specialPositions(
  tokens: TokenInfo[],
  valid: Uint8Array,
  rules: SpecialTokenRules = {},
  causal = false,
): SpecialPositions {
  const roles = tokenRoles(tokens, { valid, causal, rules });
  return {
    roles,
    cls: positionsOf(roles, "cls"),
    sep: positionsOf(roles, "sep"),
    sink: positionsOf(roles, "start", "sink"),
    punctuation: positionsOf(roles, "punct"),
  };
}

/**
 * Segment ids from [SEP]/EOS boundaries: a segment ends with (and includes) each separator.
 * Returns null when that gives fewer than two segments with valid tokens (no block structure).
 * Start tokens are not separators, so a decoder's BOS starts no segment.
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
