/**
 * Over-long inputs: more tokens (specials included) than the limit — the model's positions, or a
 * smaller --max-tokens — are skipped, or cut to the limit by the tokenizer's own truncation (the
 * longer segment first) and then cut in the text at the last kept token, so the run sees exactly
 * the kept tokens. Either way they are counted.
 */
import type { TextTokenizer } from "../../text/textTokenizer";
import type { CorpusText } from "../read/types";

/** What to do with an input over the token limit. */
export type CorpusTooLong = "truncate" | "skip";

export type LimitVerdict = { ok: true; input: CorpusText; truncated: boolean } | { ok: false; reason: string };

export function applyTokenLimit(
  tokenizer: TextTokenizer,
  input: CorpusText,
  limit: number | null,
  mode: CorpusTooLong,
): LimitVerdict {
  if (limit == null) return { ok: true, input, truncated: false };
  if (input.target != null) {
    const t = tokenizer.encode(input.target).fullLength + 1;
    if (t > limit) return { ok: false, reason: `target has ${t} tokens, over the limit of ${limit}` };
  }
  const full = tokenizer.encode(input.text, { pair: input.pair ?? null });
  if (full.fullLength <= limit) return { ok: true, input, truncated: false };
  const over = `${full.fullLength} tokens, over the limit of ${limit}`;
  if (mode === "skip") return { ok: false, reason: over };
  const kept = tokenizer.encode(input.text, { pair: input.pair ?? null, maxLength: limit }).tokens;
  const end = (segment: 0 | 1) =>
    Math.max(
      0,
      ...kept.filter((t) => !t.special && t.segment === segment && t.offsets).map((t) => t.offsets?.[1] ?? 0),
    );
  const cut: CorpusText = { ...input, text: input.text.slice(0, end(0)) };
  if (input.pair != null) cut.pair = input.pair.slice(0, end(1));
  // Re-tokenizing the cut text can differ at the cut (a word split differently): then it is skipped, not run long.
  if (cut.text.trim() === "" || tokenizer.encode(cut.text, { pair: cut.pair ?? null }).fullLength > limit) {
    return { ok: false, reason: `${over}, and cannot be cut to it at a token boundary` };
  }
  return { ok: true, input: cut, truncated: true };
}
