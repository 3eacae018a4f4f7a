/**
 * Text → tokens for attention views: ids and token type ids exactly as `@huggingface/tokenizers`
 * encodes them, plus what the library does not report — which tokens are special, which word each
 * piece belongs to, where each token sits in the text, and which segment (A/B) of a pair it is in.
 */
import { existsSync, readFileSync } from "node:fs";
import { AttnlensError } from "../errors";
import type { TokenInfo } from "../result/types";
import { createHfTokenizer, type HfTokenizer, type TokenizerJson } from "./hfTokenizer";
import { tokenOffsets } from "./offsets";
import { type SurfaceRules, surfaceRules } from "./surface";
import { fromMarkers, type Segmented, segmentWords } from "./words";

/** A token of one input, with the segment of a sentence pair it belongs to. */
export interface TextToken extends TokenInfo {
  /** 0 for the text (segment A), 1 for the pair (segment B); offsets are relative to that string. */
  segment: 0 | 1;
}

/** Options of `TextTokenizer.encode`. */
export interface EncodeOptions {
  /** Second text of a sentence pair (segment B), for BERT-like models. */
  pair?: string | null;
  /** Add the tokenizer's special tokens ([CLS] … [SEP], <s> … </s>); default true. */
  addSpecialTokens?: boolean;
  /** Keep at most this many tokens, specials included, cutting the longer segment first. */
  maxLength?: number;
}

/** One encoded text: token ids, segment ids and a `TextToken` (text, word index, special flag) per id. */
export interface EncodedText {
  ids: number[];
  /** Token type ids (segment ids) as the tokenizer's post-processor gives them; zeros without one. */
  typeIds: number[];
  tokens: TextToken[];
  /** Token count before truncation (equal to ids.length when nothing was cut). */
  fullLength: number;
}

/** The special tokens tokenizer_config.json can name (`bos_token`, …). */
export type SpecialName = "bos" | "eos" | "pad" | "unk" | "cls" | "sep" | "mask";

/**
 * A Hugging Face `tokenizer.json` tokenizer that also says which word each token belongs to and which tokens
 * are special.
 */
export class TextTokenizer {
  private readonly hf: HfTokenizer;
  private readonly rules: SurfaceRules;
  private readonly specialTexts: Set<string>;
  /** Highest token id the tokenizer can produce, plus one. */
  readonly vocabSize: number;

  constructor(
    readonly json: TokenizerJson,
    readonly config: Record<string, unknown> = {},
    /** Where it was read from, for messages. */
    readonly source = "tokenizer.json",
  ) {
    try {
      this.hf = createHfTokenizer(json, config);
    } catch (e) {
      throw new AttnlensError("BAD_TOKENIZER", `${source} is not a usable tokenizer: ${(e as Error).message}`);
    }
    this.rules = surfaceRules(json);
    this.specialTexts = new Set((json.added_tokens ?? []).filter((t) => t.special).map((t) => t.content));
    this.vocabSize = maxId(json) + 1;
  }

  /** Reads tokenizer.json (and tokenizer_config.json next to it, when there is one). */
  static fromFile(tokenizerPath: string, configPath?: string): TextTokenizer {
    const json = readJson(tokenizerPath, "BAD_TOKENIZER") as TokenizerJson;
    const config =
      configPath && existsSync(configPath) ? (readJson(configPath, "BAD_TOKENIZER") as Record<string, unknown>) : {};
    return new TextTokenizer(json, config, tokenizerPath);
  }

  /** Encodes one text (and an optional pair) into ids, segment ids and tokens with their words. */
  encode(text: string, options: EncodeOptions = {}): EncodedText {
    const pair = options.pair ?? null;
    const a = segmentWords(this.hf, this.json, this.rules, text);
    const b = pair != null ? segmentWords(this.hf, this.json, this.rules, pair) : null;
    const addSpecial = options.addSpecialTokens ?? true;
    const fullLength = a.tokens.length + (b?.tokens.length ?? 0) + (addSpecial ? this.specialCount(b != null) : 0);
    if (options.maxLength != null && fullLength > options.maxLength) {
      truncate(a, b, fullLength - options.maxLength);
    }
    const processed =
      addSpecial && this.hf.post_processor
        ? this.hf.post_processor(a.tokens, b ? b.tokens : null, true)
        : { tokens: [...a.tokens, ...(b?.tokens ?? [])] };
    const offsetsA = tokenOffsets(text, a);
    const offsetsB = b && pair != null ? tokenOffsets(pair, b) : [];
    const tokens = this.label(processed.tokens, a, b, offsetsA, offsetsB);
    return {
      ids: tokens.map((t) => t.id),
      typeIds: processed.token_type_ids ?? tokens.map(() => 0),
      tokens,
      fullLength,
    };
  }

  /** Tokens for ids that did not come from text (generated ids): words read from token markers. */
  tokensOf(ids: readonly number[]): TextToken[] {
    const texts = ids.map((id) => this.hf.id_to_token(id) ?? `<${id}>`);
    const seg = fromMarkers(texts, this.rules, this.specialTexts);
    return texts.map((text, i) => ({ text, id: ids[i], word: seg.word[i], special: seg.special[i], segment: 0 }));
  }

  /** Turns ids back into text; special tokens are left out unless `skipSpecialTokens` is false. */
  decode(ids: readonly number[], skipSpecialTokens = true): string {
    return ids.length ? this.hf.decode([...ids], { skip_special_tokens: skipSpecialTokens }) : "";
  }

  /** The id of a token's text in the vocabulary, if it has one. */
  idOf(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  /** A special token's id from tokenizer_config.json (`pad_token`, …), if it names one in the vocabulary. */
  specialId(name: SpecialName): number | undefined {
    const v = this.config[`${name}_token`];
    const text =
      typeof v === "string" ? v : v && typeof v === "object" ? (v as { content?: string }).content : undefined;
    if (text) return this.idOf(text);
    if (name === "pad" && this.json.padding?.pad_id != null) return this.json.padding.pad_id;
    return undefined;
  }

  /** Whether an id is one of the tokenizer's special tokens. */
  isSpecial(id: number): boolean {
    const t = this.hf.id_to_token(id);
    return t != null && this.specialTexts.has(t);
  }

  /** How many tokens the post-processor adds around one text (or a pair). */
  private specialCount(pair: boolean): number {
    if (!this.hf.post_processor) return 0;
    const probe = this.hf.post_processor(["a"], pair ? ["b"] : null, true);
    return probe.tokens.length - (pair ? 2 : 1);
  }

  /** Matches the post-processed tokens back to the two segments' content tokens. */
  private label(
    all: readonly string[],
    a: Segmented,
    b: Segmented | null,
    offsetsA: readonly ([number, number] | undefined)[],
    offsetsB: readonly ([number, number] | undefined)[],
  ): TextToken[] {
    const wordsInA = a.words.length;
    const content: { seg: Segmented; i: number; segment: 0 | 1 }[] = [
      ...a.tokens.map((_, i) => ({ seg: a, i, segment: 0 as const })),
      ...(b ? b.tokens.map((_, i) => ({ seg: b, i, segment: 1 as const })) : []),
    ];
    let p = 0;
    let segment: 0 | 1 = 0;
    const unk = this.hf.model.unk_token_id;
    return all.map((text) => {
      const id = this.hf.token_to_id(text) ?? unk ?? -1;
      const c = content[p];
      if (c && c.seg.tokens[c.i] === text) {
        p++;
        segment = c.segment;
        const w = c.seg.word[c.i];
        const offsets = (c.segment === 0 ? offsetsA : offsetsB)[c.i];
        return {
          text,
          id,
          word: w == null ? null : w + (c.segment === 1 ? wordsInA : 0),
          special: c.seg.special[c.i],
          segment,
          ...(offsets ? { offsets } : {}),
        };
      }
      // A template token ([CLS], [SEP], <s>): it belongs with the segment that precedes it.
      return { text, id, word: null, special: true, segment };
    });
  }
}

/** Drops tokens from the end of the longer segment until `excess` are gone (Hugging Face's longest_first). */
function truncate(a: Segmented, b: Segmented | null, excess: number): void {
  for (let left = excess; left > 0; left--) {
    const seg = b && b.tokens.length >= a.tokens.length ? b : a;
    if (seg.tokens.length === 0) break;
    seg.tokens.pop();
    seg.word.pop();
    seg.special.pop();
  }
}

function maxId(json: TokenizerJson): number {
  let max = -1;
  const vocab = json.model?.vocab;
  if (Array.isArray(vocab)) max = vocab.length - 1;
  else if (vocab) for (const id of Object.values(vocab)) if (id > max) max = id;
  for (const t of json.added_tokens ?? []) if (t.id > max) max = t.id;
  return max;
}

function readJson(file: string, code: "BAD_TOKENIZER"): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new AttnlensError(code, `cannot read ${file}: ${why}`);
  }
}
