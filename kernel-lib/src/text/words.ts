/**
 * Words for word-level views. The library returns tokens only, so its pipeline is replayed stage by
 * stage (added tokens split out → normalizer → pre-tokenizer → model, as `Tokenizer.encode_text`
 * does): each pre-token is a word, as in Hugging Face's `word_ids()`. When the replay does not give
 * back exactly the library's tokens, words are read from the tokens' own markers instead.
 */
import type { HfTokenizer, TokenizerJson } from "./hfTokenizer";
import { readableText, type SurfaceRules, startsWord, surfaceOf } from "./surface";

export interface Segmented {
  /** Content tokens (no template specials), exactly as the library produces them. */
  tokens: string[];
  /** Per token: index of its word within this text, null for special tokens. */
  word: (number | null)[];
  /** Per token: an added special token written in the text ([MASK], <|endoftext|>, …). */
  special: boolean[];
  /** Per word: its readable text (normalized, bytes decoded), for locating it in the input. */
  words: string[];
  /** Per word: the readable text of each of its tokens, in order. */
  pieces: string[][];
}

interface Added {
  content: string;
  special: boolean;
  lstrip: boolean;
  rstrip: boolean;
}

export function segmentWords(hf: HfTokenizer, json: TokenizerJson, rules: SurfaceRules, text: string): Segmented {
  const expected = hf.tokenize(text);
  const added = (json.added_tokens ?? [])
    .filter((t) => t.normalized === false || t.special)
    .map((t) => ({ content: t.content, special: !!t.special, lstrip: !!t.lstrip, rstrip: !!t.rstrip }));
  const replayed = replay(hf, rules, text, added);
  if (replayed && sameTokens(replayed.tokens, expected)) return replayed;
  return fromMarkers(expected, rules, new Set(added.filter((a) => a.special).map((a) => a.content)));
}

function sameTokens(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

function replay(hf: HfTokenizer, rules: SurfaceRules, text: string, added: Added[]): Segmented | null {
  const out: Segmented = { tokens: [], word: [], special: [], words: [], pieces: [] };
  const sections = splitAdded(text, added);
  for (const [i, section] of sections.entries()) {
    if (section.added) {
      out.tokens.push(section.text);
      out.special.push(section.added.special);
      if (section.added.special) out.word.push(null);
      else pushWord(out, [section.text], [section.text], section.text);
      continue;
    }
    const normalized = hf.normalizer ? hf.normalizer(section.text) : section.text;
    if (!normalized) continue;
    const preTokens = hf.pre_tokenizer ? hf.pre_tokenizer(normalized, { section_index: i }) : [normalized];
    for (const pre of preTokens) {
      const pieces = hf.model([pre]);
      // A pre-token may hold several words when the pre-tokenizer cannot split (Metaspace here).
      let start = 0;
      for (let k = 1; k <= pieces.length; k++) {
        const boundary = k === pieces.length || (rules.metaspace != null && pieces[k].startsWith(rules.metaspace));
        if (!boundary) continue;
        const group = pieces.slice(start, k);
        out.tokens.push(...group);
        out.special.push(...group.map(() => false));
        const surfaces = group.map((p) => surfaceOf(p, rules));
        // The pre-token itself names the word even when its pieces do not ([UNK]).
        const whole = start === 0 && k === pieces.length ? readableText(pre, rules) : surfaces.join("");
        pushWord(out, group, surfaces, whole);
        start = k;
      }
    }
  }
  return out;
}

function pushWord(out: Segmented, group: string[], surfaces: string[], whole: string): void {
  const index = out.words.length;
  out.words.push(whole);
  out.pieces.push(surfaces);
  for (let i = 0; i < group.length; i++) out.word.push(index);
}

/** Splits out added tokens, longest match first, trimming neighbours as lstrip/rstrip ask. */
function splitAdded(text: string, added: Added[]): { text: string; added?: Added }[] {
  const sorted = [...added].filter((a) => a.content).sort((a, b) => b.content.length - a.content.length);
  const parts: { text: string; added?: Added }[] = [];
  let rest = text;
  while (rest) {
    let best: { at: number; token: Added } | null = null;
    for (const a of sorted) {
      const at = rest.indexOf(a.content);
      if (at >= 0 && (!best || at < best.at)) best = { at, token: a };
    }
    if (!best) {
      parts.push({ text: rest });
      break;
    }
    if (best.at > 0) parts.push({ text: rest.slice(0, best.at) });
    parts.push({ text: best.token.content, added: best.token });
    rest = rest.slice(best.at + best.token.content.length);
  }
  parts.forEach((p, i) => {
    if (!p.added) return;
    if (p.added.lstrip && i > 0 && !parts[i - 1].added) parts[i - 1].text = parts[i - 1].text.trimEnd();
    if (p.added.rstrip && i + 1 < parts.length && !parts[i + 1].added)
      parts[i + 1].text = parts[i + 1].text.trimStart();
  });
  return parts.filter((p) => p.text.length > 0);
}

/** Words from token markers alone (##, Ġ, ▁, </w>), for tokens the replay could not explain. */
export function fromMarkers(tokens: readonly string[], rules: SurfaceRules, specials: ReadonlySet<string>): Segmented {
  const out: Segmented = { tokens: [...tokens], word: [], special: [], words: [], pieces: [] };
  let previous: string | null = null;
  for (const t of tokens) {
    if (specials.has(t)) {
      out.word.push(null);
      out.special.push(true);
      previous = null;
      continue;
    }
    const surface = surfaceOf(t, rules);
    if (startsWord(t, previous, rules) || out.words.length === 0) {
      out.words.push(surface);
      out.pieces.push([surface]);
    } else {
      out.words[out.words.length - 1] += surface;
      out.pieces[out.pieces.length - 1].push(surface);
    }
    out.word.push(out.words.length - 1);
    out.special.push(false);
    previous = t;
  }
  return out;
}
