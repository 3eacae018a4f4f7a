/**
 * Resolving what a probe names: a word (case-insensitive, optionally its n-th occurrence) or a
 * token index. Errors list the words that are there.
 */
import { AttnlensError } from "../../errors";
import type { Word } from "./words";

/** A word's text, the n-th (1-based) occurrence of a word, or a token index. */
export type TokenSelector = string | number | { word: string; occurrence: number };

export function describeSelector(s: TokenSelector): string {
  if (typeof s === "number") return `token ${s}`;
  if (typeof s === "string") return `"${s}"`;
  return `"${s.word}" #${s.occurrence}`;
}

function available(words: Word[]): string {
  const list = words.map((w) => w.text).join(" ");
  return list.length > 400 ? `${list.slice(0, 400)}…` : list;
}

/** Token positions the selector names in one sample, or null when the word is missing there. */
export function resolve(s: TokenSelector, words: Word[], length: number, where: string): number[] | null {
  if (typeof s === "number") {
    if (!Number.isInteger(s) || s < 0 || s >= length) {
      throw new AttnlensError("BAD_INPUT", `${where}: token index ${s} is outside [0, ${length})`);
    }
    return [s];
  }
  const text = (typeof s === "string" ? s : s.word).toLowerCase();
  const hits = words.filter((w) => w.text.toLowerCase() === text);
  if (hits.length === 0) return null;
  if (typeof s === "string" && hits.length > 1) {
    const at = hits.map((w) => w.pieces[0]).join(", ");
    throw new AttnlensError(
      "BAD_INPUT",
      `${where}: "${s}" occurs ${hits.length} times (at tokens ${at}); name one: { word: "${s}", occurrence: 1..${hits.length} } or a token index. Words: ${available(words)}`,
    );
  }
  const n = typeof s === "string" ? 1 : s.occurrence;
  if (n < 1 || n > hits.length) {
    throw new AttnlensError(
      "BAD_INPUT",
      `${where}: "${text}" occurs ${hits.length} time(s), not ${n}. Words: ${available(words)}`,
    );
  }
  return hits[n - 1].pieces;
}

export function missingError(s: TokenSelector, where: string, words: Word[]): Error {
  return new AttnlensError("BAD_INPUT", `${describeSelector(s)} is not a word of ${where}. Words: ${available(words)}`);
}
