/**
 * The slice of `@huggingface/tokenizers` attnlens uses, typed here. The package is ESM-typed, and a
 * CommonJS module (this one) cannot import its declarations without TypeScript 5.3 syntax that the
 * notebook kernel's TypeScript 5.0 cannot read; its CommonJS build is required at run time instead.
 */

/** A callable pipeline stage (normalizer, pre-tokenizer, model) as the library exposes it. */
type Stage<A, R> = ((input: A, options?: unknown) => R) | null;

export interface HfTokenizer {
  normalizer: Stage<string, string>;
  pre_tokenizer: Stage<string, string[]>;
  model: ((words: string[]) => string[]) & { vocab: string[]; unk_token_id?: number };
  post_processor:
    | ((a: string[], b: string[] | null, addSpecial: boolean) => { tokens: string[]; token_type_ids?: number[] })
    | null;
  tokenize(text: string, options?: { text_pair?: string | null; add_special_tokens?: boolean }): string[];
  encode(
    text: string,
    options?: { text_pair?: string | null; add_special_tokens?: boolean; return_token_type_ids?: boolean },
  ): { ids: number[]; tokens: string[]; token_type_ids?: number[] };
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
  token_to_id(token: string): number | undefined;
  id_to_token(id: number): string | undefined;
}

interface HfModule {
  Tokenizer: new (tokenizerJson: object, tokenizerConfig: object) => HfTokenizer;
}

let loaded: HfModule | null = null;

export function createHfTokenizer(tokenizerJson: object, tokenizerConfig: object): HfTokenizer {
  loaded ??= require("@huggingface/tokenizers") as HfModule;
  return new loaded.Tokenizer(tokenizerJson, tokenizerConfig);
}

/** The parts of tokenizer.json read directly (the library keeps them private). */
export interface TokenizerJson {
  added_tokens?: {
    id: number;
    content: string;
    special?: boolean;
    lstrip?: boolean;
    rstrip?: boolean;
    normalized?: boolean;
  }[];
  normalizer?: { type: string } | null;
  pre_tokenizer?:
    | ({ type: string; pretokenizers?: { type: string }[]; replacement?: string } & Record<string, unknown>)
    | null;
  decoder?: ({ type: string; decoders?: { type: string }[]; replacement?: string } & Record<string, unknown>) | null;
  post_processor?: { type: string } | null;
  padding?: { pad_id?: number; pad_token?: string } | null;
  truncation?: { max_length?: number } | null;
  model?: {
    type?: string;
    vocab?: Record<string, number> | [string, number][];
    continuing_subword_prefix?: string | null;
    end_of_word_suffix?: string | null;
    unk_token?: string | null;
    unk_id?: number | null;
  };
}
