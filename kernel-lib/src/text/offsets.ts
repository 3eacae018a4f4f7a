/**
 * Character offsets of tokens in the input text. The library does not report them, so each word
 * is searched for in the text, left to right, comparing case- and accent-folded characters
 * (normalizers lowercase and strip accents) and ignoring whitespace. Offsets are JavaScript string
 * indices: `text.slice(start, end)` is the token's text.
 */
import type { Segmented } from "./words";

interface Folded {
  /** The folded text without whitespace. */
  text: string;
  /** For each folded character: [start, end) of the original character it came from. */
  spans: [number, number][];
}

function foldChar(c: string): string {
  return c.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s/gu, "");
}

function fold(s: string): Folded {
  const out: Folded = { text: "", spans: [] };
  let i = 0;
  for (const c of s) {
    const f = foldChar(c);
    for (const ch of f) {
      out.text += ch;
      // Every code unit of a multi-unit folded char maps back to the same original character.
      for (let k = 0; k < ch.length; k++) out.spans.push([i, i + c.length]);
    }
    i += c.length;
  }
  return out;
}

/** Offsets per content token of `seg`, in `seg.tokens` order; undefined where a token is not found. */
export function tokenOffsets(text: string, seg: Segmented): ([number, number] | undefined)[] {
  const original = fold(text);
  let cursor = 0;
  const span = (from: number, to: number): [number, number] => [original.spans[from][0], original.spans[to - 1][1]];
  /** Finds `s` (folded) at or after the cursor and moves past it. */
  const locate = (s: string): number => {
    const at = s ? original.text.indexOf(s, cursor) : -1;
    if (at >= 0) cursor = at + s.length;
    return at;
  };
  const out: ([number, number] | undefined)[] = [];
  let piecesLeft: ([number, number] | undefined)[] = [];
  for (let i = 0; i < seg.tokens.length; i++) {
    const w = seg.word[i];
    if (w == null) {
      // A special token typed in the text ([MASK]) is found literally.
      const f = fold(seg.tokens[i]).text;
      const at = locate(f);
      out.push(at >= 0 ? span(at, at + f.length) : undefined);
      continue;
    }
    if (i === 0 || seg.word[i - 1] !== w) piecesLeft = wordOffsets(seg.words[w], seg.pieces[w], locate, span);
    out.push(piecesLeft.shift());
  }
  return out;
}

function wordOffsets(
  word: string,
  pieces: readonly string[],
  locate: (s: string) => number,
  span: (from: number, to: number) => [number, number],
): ([number, number] | undefined)[] {
  const fw = fold(word).text;
  const at = locate(fw);
  if (at < 0) return pieces.map(() => undefined);
  const folded = pieces.map((p) => fold(p).text);
  // Pieces that do not spell the word ([UNK], split UTF-8 bytes) share the word's span.
  if (folded.join("") !== fw) return pieces.map(() => span(at, at + fw.length));
  let pos = at;
  return folded.map((f) => {
    if (!f) return undefined;
    const s = span(pos, pos + f.length);
    pos += f.length;
    return s;
  });
}
