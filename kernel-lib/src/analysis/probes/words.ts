/**
 * Words from tokens: pieces merged into the words a reader sees. With TokenInfo.word (the
 * tokenizer's word index) pieces sharing an index form one word. Without it, piece conventions:
 * BERT `##x` continues the previous word; GPT-2 `Ġx` and SentencePiece `▁x` start a new one (a
 * piece without the marker continues). Special tokens and punctuation are always words of their
 * own; padding positions are left out.
 */

import type { TokenInfo } from "../../result/types";
import { bareText, isPunctuation } from "../metrics/specialTokens";

export interface Word {
  /** The word as written (pieces joined, markers removed). */
  text: string;
  /** Token positions of its pieces. */
  pieces: number[];
}

type Convention = "bert" | "marker" | "none";

function convention(tokens: TokenInfo[]): Convention {
  if (tokens.some((t) => t.text.startsWith("##"))) return "bert";
  if (tokens.some((t) => /^[Ġ▁]/.test(t.text))) return "marker";
  return "none";
}

function startsWord(t: TokenInfo, k: number, style: Convention, previous: TokenInfo | undefined): boolean {
  if (k === 0 || !previous || t.special || previous.special || isPunctuation(t) || isPunctuation(previous)) return true;
  if (style === "bert") return !t.text.startsWith("##");
  if (style === "marker") return /^[Ġ▁]/.test(t.text);
  return true;
}

export function wordsOf(tokens: TokenInfo[], valid?: ArrayLike<number>): Word[] {
  const useIndex = tokens.some((t) => !t.special && t.word !== null);
  const style = convention(tokens);
  const words: Word[] = [];
  let previous: TokenInfo | undefined;
  let k = 0;
  tokens.forEach((t, j) => {
    if (valid && !valid[j]) return;
    const fresh = useIndex
      ? t.special || t.word === null || previous?.word !== t.word || previous.special
      : startsWord(t, k, style, previous);
    if (fresh || words.length === 0) words.push({ text: bareText(t.text), pieces: [j] });
    else {
      const w = words[words.length - 1];
      w.text += bareText(t.text);
      w.pieces.push(j);
    }
    previous = t;
    k++;
  });
  return words;
}
