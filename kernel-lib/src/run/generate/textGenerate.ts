/**
 * Text generation for attention views: each source (or prompt) is decoded greedily on its own,
 * the steps' attention assembled (generate/), and the samples stacked into one padded batch whose
 * target tokens are what the decoder read: the start token (or prompt) and the generated tokens.
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult, TokenInfo } from "../../result/types";
import type { EncodedBatch } from "../../text/batch";
import type { TextTokenizer } from "../../text/textTokenizer";
import type { Engine } from "../engine";
import type { ModelInfo } from "../textModel";
import { stackResults } from "./assemble";
import { greedyCausal, greedySeq2Seq } from "./greedy";

/** Options of `TextModel.generate` (greedy decoding). */
export interface GenerateOptions {
  /** Most new tokens per sample (default: the config's max_length, else 20). */
  maxNewTokens?: number;
  /** Cut sources/prompts longer than the model's positions instead of refusing them. */
  truncate?: boolean;
  /**
   * Step a decoder-only export that takes past key/values with its cache (default true): each step
   * runs only the new token. false re-runs every token so far at each step (same ids and maps).
   */
  cache?: boolean;
}

export interface GenerationResult extends AttentionResult {
  /** Per sample: the generated ids (a final end-of-sequence token included) and their text. */
  generated: { ids: number[][]; text: string[] };
}

type Encode = (texts: readonly string[], o: { truncate?: boolean }) => EncodedBatch;

const DEFAULT_NEW_TOKENS = 20;

export async function generateText(
  engine: Engine,
  info: ModelInfo,
  tokenizer: TextTokenizer,
  sources: readonly string[],
  options: GenerateOptions,
  encode: Encode,
): Promise<GenerationResult> {
  const maxNewTokens = options.maxNewTokens ?? info.config.maxLength ?? DEFAULT_NEW_TOKENS;
  if (!(maxNewTokens >= 1))
    throw new AttnlensError("BAD_INPUT", `maxNewTokens must be at least 1 (got ${maxNewTokens})`);
  const results: AttentionResult[] = [];
  const ids: number[][] = [];
  for (const text of sources) {
    const source = encode([text], { truncate: options.truncate });
    const prompt = source.batch.ids[0];
    const greedy = { maxNewTokens, eos: info.eos, maxPositions: info.maxPositions };
    if (engine.family === "encoder-decoder") {
      if (info.decoderStartId == null) {
        throw new AttnlensError(
          "BAD_MODEL",
          `${info.name}: config.json names no decoder_start_token_id, so generation cannot start`,
        );
      }
      const g = await greedySeq2Seq(engine, await engine.encode(source.batch), info.decoderStartId, greedy);
      const target = tokenizer.tokensOf(g.fed).map((t, i) => (i === 0 ? { ...t, word: null, special: true } : t));
      results.push({ ...g.result, tokens: { source: source.tokens, target: [target] } });
      ids.push(g.generated);
    } else {
      const g = await greedyCausal(engine, prompt, { ...greedy, cache: options.cache });
      const fedTokens = [...source.tokens[0], ...continuation(tokenizer, g.fed.slice(prompt.length), source.tokens[0])];
      results.push({ ...g.result, tokens: { source: [fedTokens], target: [fedTokens] } });
      ids.push(g.generated);
    }
  }
  const pad = tokenizer.tokensOf([info.padId])[0];
  const padToken: TokenInfo = { ...pad, word: null, special: true };
  const stacked = stackResults(results, { source: padToken, target: padToken });
  return { ...stacked, generated: { ids, text: ids.map((g) => tokenizer.decode(g)) } };
}

/** Generated tokens after a prompt: their word indices continue the prompt's. */
function continuation(tokenizer: TextTokenizer, generated: number[], prompt: readonly TokenInfo[]): TokenInfo[] {
  const offset = Math.max(-1, ...prompt.map((t) => t.word ?? -1)) + 1;
  return tokenizer.tokensOf(generated).map((t) => ({ ...t, word: t.word == null ? null : t.word + offset }));
}
