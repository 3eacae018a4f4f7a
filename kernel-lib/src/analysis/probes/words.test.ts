import { describe, expect, it } from "vitest";
import type { TokenInfo } from "../../result/types";
import { wordsOf } from "./words";

const toks = (texts: string[], words?: (number | null)[]): TokenInfo[] =>
  texts.map((text, id) => ({ text, id, word: words ? words[id] : null, special: /^(\[.*\]|<.*>)$/.test(text) }));

describe("word grouping", () => {
  it("merges BERT ## pieces", () => {
    const w = wordsOf(toks(["[CLS]", "the", "tire", "##d", "dog", ".", "[SEP]"]));
    expect(w.map((x) => x.text)).toEqual(["[CLS]", "the", "tired", "dog", ".", "[SEP]"]);
    expect(w[2].pieces).toEqual([2, 3]);
  });

  it("merges GPT-2 pieces at Ġ and keeps punctuation apart", () => {
    const w = wordsOf(toks(["The", "Ġanim", "al", ",", "Ġit", "Ġwas"]));
    expect(w.map((x) => x.text)).toEqual(["The", "animal", ",", "it", "was"]);
    expect(w[1].pieces).toEqual([1, 2]);
  });

  it("merges SentencePiece pieces at ▁", () => {
    const w = wordsOf(toks(["▁Un", "believ", "able", "▁news", "</s>"]));
    expect(w.map((x) => x.text)).toEqual(["Unbelievable", "news", "</s>"]);
  });

  it("prefers TokenInfo.word and leaves padding out", () => {
    const w = wordsOf(toks(["[CLS]", "play", "ing", "ball", "[PAD]"], [null, 0, 0, 1, null]), [1, 1, 1, 1, 0]);
    expect(w.map((x) => x.text)).toEqual(["[CLS]", "playing", "ball"]);
    expect(w[1].pieces).toEqual([1, 2]);
  });
});
