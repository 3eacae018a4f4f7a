/**
 * Token roles: a causal model's first special token is a start (sink) token, not [CLS]/[SEP];
 * encoders keep [CLS]/[SEP]; the caller's sink tokens; padding.
 */
import { describe, expect, it } from "vitest";
import type { TokenInfo } from "../../result/types";
import { segmentsFromSeparators, specialPositions } from "./specialTokens";
import { tokenRoles } from "./tokenRoles";

const SPECIAL = new Set(["[CLS]", "[SEP]", "<s>", "</s>", "<|endoftext|>", "[PAD]"]);
const toks = (...texts: string[]): TokenInfo[] =>
  texts.map((text, id) => ({ text, id, word: SPECIAL.has(text) ? null : id, special: SPECIAL.has(text) }));

describe("tokenRoles", () => {
  it("GPT-2: <|endoftext|> at position 0 of a causal stream is the start token, later ones are EOS", () => {
    const tokens = toks("<|endoftext|>", "the", "Ġcat", ",", "<|endoftext|>", "Ġsat");
    expect(tokenRoles(tokens, { causal: true })).toEqual(["start", "word", "word", "punct", "sep", "word"]);
    // the same tokens read as a bidirectional stream keep today's [SEP]
    expect(tokenRoles(tokens)[0]).toBe("sep");
  });

  it("Llama's <s> is a start token in a decoder, RoBERTa's <s> is [CLS] in an encoder", () => {
    expect(tokenRoles(toks("<s>", "▁The", "▁cat"), { causal: true })).toEqual(["start", "word", "word"]);
    expect(tokenRoles(toks("<s>", "The", "</s>"))).toEqual(["cls", "word", "sep"]);
  });

  it("BERT: [CLS] and [SEP] as before; a plain first word of a decoder is no start token", () => {
    expect(tokenRoles(toks("[CLS]", "a", "[SEP]", "b", "[SEP]"))).toEqual(["cls", "word", "sep", "word", "sep"]);
    expect(tokenRoles(toks("the", "Ġcat"), { causal: true })).toEqual(["word", "word"]);
  });

  it("left padding: the first valid token is the start token; padding is pad", () => {
    const tokens = toks("[PAD]", "[PAD]", "<|endoftext|>", "hi");
    expect(tokenRoles(tokens, { causal: true, valid: [0, 0, 1, 1] })).toEqual(["pad", "pad", "start", "word"]);
  });

  it("names sink tokens by text or id; they win over punctuation and [SEP]", () => {
    const tokens = toks("[CLS]", "a", ".", "[SEP]");
    expect(tokenRoles(tokens, { rules: { sink: [".", 3] } })).toEqual(["cls", "word", "sink", "sink"]);
  });

  it("the start token starts no segment; [SEP] still does", () => {
    const tokens = toks("<|endoftext|>", "a", "b", "<|endoftext|>", "c");
    const valid = new Uint8Array(5).fill(1);
    const causal = specialPositions(tokens, valid, {}, true);
    expect([...causal.sink]).toEqual([0]);
    expect([...causal.sep]).toEqual([3]);
    expect([...(segmentsFromSeparators(tokens, valid, causal.sep) ?? [])]).toEqual([0, 0, 0, 0, 1]);
    const onlyStart = toks("<|endoftext|>", "a", "b");
    const sp = specialPositions(onlyStart, new Uint8Array(3).fill(1), {}, true);
    expect(segmentsFromSeparators(onlyStart, new Uint8Array(3).fill(1), sp.sep)).toBeNull();
  });
});
