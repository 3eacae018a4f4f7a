/**
 * Tokenization from hand-written tokenizer.json files (WordPiece, byte-level BPE, Unigram): the
 * tokens, ids, token types and words the Python reference implementations give, plus offsets,
 * special-token flags, truncation and words of generated ids.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { TextTokenizer } from "../src";

const REAL = path.join(__dirname, "fixtures", "real");
const load = (name: string) =>
  TextTokenizer.fromFile(path.join(REAL, name, "tokenizer.json"), path.join(REAL, name, "tokenizer_config.json"));
const reference = (name: string) => JSON.parse(readFileSync(path.join(REAL, name, "reference.json"), "utf8"));

interface Sample {
  text: string;
  pair?: string | null;
  tokens: string[];
  ids: number[];
  type_ids?: number[];
  words: (number | null)[];
}

describe.each(["bert", "gpt2", "bart_split"])("tokenizer.json of %s", (name) => {
  const tok = load(name);
  const samples: Sample[] = reference(name).tokenizer_samples;

  it.each(samples.map((s) => [s.text, s] as const))(
    "%s: tokens, ids, types and words as the Python reference",
    (_, s) => {
      const enc = tok.encode(s.text, { pair: s.pair });
      expect(enc.tokens.map((t) => t.text)).toEqual(s.tokens);
      expect(enc.ids).toEqual(s.ids);
      if (s.type_ids) expect(enc.typeIds).toEqual(s.type_ids);
      // The Python side counts words per text; specials have none.
      expect(enc.tokens.map((t) => t.word)).toEqual(
        s.words.map((w, i) => (w == null && !enc.tokens[i].special ? null : w)),
      );
    },
  );

  it("marks exactly the tokenizer's template tokens as special", () => {
    for (const s of samples) {
      const enc = tok.encode(s.text, { pair: s.pair });
      for (const t of enc.tokens) expect(t.special, t.text).toBe(t.word === null);
    }
  });

  it("finds every token's text in the input (offsets)", () => {
    for (const s of samples) {
      const enc = tok.encode(s.text, { pair: s.pair });
      for (const t of enc.tokens) {
        if (!t.offsets) continue;
        const src = t.segment === 0 ? s.text : (s.pair as string);
        const [a, b] = t.offsets;
        expect(a).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThanOrEqual(src.length);
        expect(src.slice(a, b).trim().length).toBeGreaterThan(0);
      }
    }
  });
});

describe("WordPiece details (BERT-like)", () => {
  const tok = load("bert");
  const text = "The cat sat, on the Café mat!";

  it("maps pieces of a word to its characters, accents and case folded", () => {
    const enc = tok.encode(text);
    const at = (t: { offsets?: [number, number] }) => (t.offsets ? text.slice(...t.offsets) : undefined);
    const cafe = enc.tokens.filter((t) => t.word === 6);
    expect(cafe.map((t) => t.text)).toEqual(["c", "##a", "##f", "##e"]);
    expect(cafe.map(at)).toEqual(["C", "a", "f", "é"]);
    expect(at(enc.tokens[1])).toBe("The");
    const unk = enc.tokens.find((t) => t.text === "[UNK]");
    expect(unk && at(unk)).toBe("!");
    expect(unk?.special).toBe(false);
  });

  it("labels sentence pairs with segments and token types, words continuing into B", () => {
    const enc = tok.encode("the cat", { pair: "on mats" });
    expect(enc.tokens.map((t) => `${t.text}/${t.segment}`)).toEqual([
      "[CLS]/0",
      "the/0",
      "cat/0",
      "[SEP]/0",
      "on/1",
      "mat/1",
      "##s/1",
      "[SEP]/1",
    ]);
    expect(enc.typeIds).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(enc.tokens.map((t) => t.word)).toEqual([null, 0, 1, null, 2, 3, 3, null]);
    expect(enc.tokens.map((t) => t.offsets)).toEqual([
      undefined,
      [0, 3],
      [4, 7],
      undefined,
      [0, 2],
      [3, 6],
      [6, 7],
      undefined,
    ]);
  });

  it("finds a special token typed in the text", () => {
    const enc = tok.encode("a [MASK] b");
    const mask = enc.tokens[2];
    expect(mask).toMatchObject({ text: "[MASK]", id: 4, special: true, word: null, offsets: [2, 8] });
  });

  it("truncates the longer segment first, keeping the special tokens", () => {
    const enc = tok.encode("the cat sat on the mat", { pair: "on the mat", maxLength: 8 });
    // Hugging Face's longest_first: cut A while it is longer, then B on a tie.
    expect(enc.tokens.map((t) => t.text)).toEqual(["[CLS]", "the", "cat", "sat", "[SEP]", "on", "the", "[SEP]"]);
    expect(enc.fullLength).toBe(12);
    expect(tok.vocabSize).toBe(64);
  });
});

describe("byte-level BPE and Unigram details", () => {
  it("byte-level: offsets exclude the Ġ space and words are the pre-tokenizer's", () => {
    const tok = load("gpt2");
    const text = "the cat sat";
    const enc = tok.encode(text);
    expect(enc.tokens.map((t) => (t.offsets ? text.slice(...t.offsets) : null))).toEqual(["the", "cat", "sat"]);
    expect(enc.tokens.every((t) => !t.special)).toBe(true);
  });

  it("Unigram + Metaspace: words start at ▁, </s> is special", () => {
    const tok = load("bart_split");
    const enc = tok.encode("The cats sat");
    expect(enc.tokens.map((t) => [t.text, t.word, t.special])).toEqual([
      ["▁the", 0, false],
      ["▁cat", 1, false],
      ["s", 1, false],
      ["▁sat", 2, false],
      ["</s>", null, true],
    ]);
    expect(enc.tokens.slice(0, 4).map((t) => (t.offsets ? "The cats sat".slice(...t.offsets) : null))).toEqual([
      "The",
      "cat",
      "s",
      "sat",
    ]);
  });

  it("tokens of generated ids get words from their markers", () => {
    const tok = load("gpt2");
    const ids = tok.encode("the cat sat on").ids;
    expect(tok.tokensOf(ids).map((t) => t.word)).toEqual([0, 1, 2, 3]);
    expect(tok.decode(ids)).toBe("the cat sat on");
  });
});
