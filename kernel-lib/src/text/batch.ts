/**
 * Several texts as one batch: encoded, checked against the model's number of positions (or
 * truncated to it), right-padded with the pad token, with tokens labelling every position.
 */
import { AttnlensError } from "../errors";
import type { TextToken, TextTokenizer } from "./textTokenizer";

/** A padded batch of token rows. */
export interface TokenBatch {
  ids: number[][];
  /** 1 for tokens, 0 for padding. */
  mask: number[][];
  typeIds: number[][];
}

export interface EncodedBatch {
  batch: TokenBatch;
  /** Per sample, one token per position, padding included (special, word null). */
  tokens: TextToken[][];
}

export interface BatchOptions {
  pairs?: readonly (string | null)[] | null;
  /** The model's number of positions; longer texts are refused unless `truncate`. */
  maxPositions?: number | null;
  truncate?: boolean;
  padId: number;
  /** Names the model in messages. */
  model: string;
  /** Post-processes each encoding (the decoder's shift right, say) before padding. */
  adjust?: (tokens: TextToken[], typeIds: number[]) => { tokens: TextToken[]; typeIds: number[] };
}

export function encodeBatch(tokenizer: TextTokenizer, texts: readonly string[], options: BatchOptions): EncodedBatch {
  const max = options.maxPositions ?? undefined;
  const rows = texts.map((text, i) => {
    const pair = options.pairs?.[i] ?? null;
    const enc = tokenizer.encode(text, { pair, maxLength: options.truncate ? max : undefined });
    if (max != null && enc.fullLength > max && !options.truncate)
      throw tooLong(enc.fullLength, max, options.model, texts.length > 1 ? i : null);
    return options.adjust ? options.adjust(enc.tokens, enc.typeIds) : { tokens: enc.tokens, typeIds: enc.typeIds };
  });
  return padRows(rows, options.padId, tokenizer);
}

export function padRows(
  rows: { tokens: TextToken[]; typeIds: number[] }[],
  padId: number,
  tokenizer: TextTokenizer,
): EncodedBatch {
  const width = Math.max(1, ...rows.map((r) => r.tokens.length));
  const padToken = tokenizer.tokensOf([padId])[0];
  const out: EncodedBatch = { batch: { ids: [], mask: [], typeIds: [] }, tokens: [] };
  for (const r of rows) {
    const n = r.tokens.length;
    const segment = r.tokens[n - 1]?.segment ?? 0;
    const padding: TextToken[] = Array.from({ length: width - n }, () => ({
      ...padToken,
      word: null,
      special: true,
      segment,
    }));
    out.tokens.push([...r.tokens, ...padding]);
    out.batch.ids.push([...r.tokens.map((t) => t.id), ...padding.map(() => padId)]);
    out.batch.mask.push(Array.from({ length: width }, (_, j) => (j < n ? 1 : 0)));
    out.batch.typeIds.push([...r.typeIds, ...padding.map(() => 0)]);
  }
  return out;
}

export function tooLong(tokens: number, max: number, model: string, sample: number | null): AttnlensError {
  const which = sample == null ? "the text" : `text #${sample}`;
  return new AttnlensError(
    "TOO_LONG",
    `${which} has ${tokens} tokens (special tokens included) but ${model} has only ${max} positions: ` +
      `shorten it, or pass { truncate: true } (CLI: --truncate) to keep the first ${max} tokens`,
  );
}
