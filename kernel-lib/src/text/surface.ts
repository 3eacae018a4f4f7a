/**
 * What text a token stands for: `##ing` → "ing" (WordPiece), `Ġthe` → " the" (byte-level BPE),
 * `▁the` → " the" (SentencePiece Metaspace). Used to find tokens in the input text (offsets) and
 * to tell where a new word starts when the pre-tokenizer cannot say.
 */
import type { TokenizerJson } from "./hfTokenizer";

export interface SurfaceRules {
  byteLevel: boolean;
  /** Metaspace's replacement character (usually ▁), or null. */
  metaspace: string | null;
  /** Prefix of word-continuing pieces (WordPiece `##`), or "". */
  continuing: string;
  /** Suffix of word-final pieces (`</w>`), or "". */
  endOfWord: string;
}

function stageTypes(
  stage: TokenizerJson["pre_tokenizer"] | TokenizerJson["decoder"],
): { type: string; replacement?: unknown }[] {
  if (!stage) return [];
  const nested = (stage.pretokenizers ?? stage.decoders ?? []) as { type: string; replacement?: unknown }[];
  return [stage, ...nested];
}

export function surfaceRules(json: TokenizerJson): SurfaceRules {
  const stages = [...stageTypes(json.pre_tokenizer), ...stageTypes(json.decoder)];
  const meta = stages.find((s) => s.type === "Metaspace");
  const modelType = json.model?.type ?? (json.model && "unk_id" in json.model ? "Unigram" : "");
  const defaultPrefix = modelType === "WordPiece" ? "##" : "";
  return {
    byteLevel: stages.some((s) => s.type === "ByteLevel"),
    metaspace: meta ? (typeof meta.replacement === "string" ? meta.replacement : "▁") : null,
    continuing: json.model?.continuing_subword_prefix ?? defaultPrefix,
    endOfWord: json.model?.end_of_word_suffix ?? "",
  };
}

/** The readable text of one token (bytes decoded, markers removed); may start with a space. */
export function surfaceOf(token: string, rules: SurfaceRules): string {
  let t = token;
  if (rules.continuing && t.startsWith(rules.continuing) && t.length > rules.continuing.length) {
    t = t.slice(rules.continuing.length);
  }
  if (rules.endOfWord && t.endsWith(rules.endOfWord)) t = `${t.slice(0, -rules.endOfWord.length)} `;
  return readableText(t, rules);
}

/** A pre-token or piece as text: byte-level characters decoded, Metaspace's ▁ back to a space. */
export function readableText(s: string, rules: SurfaceRules): string {
  let t = rules.byteLevel ? decodeByteLevel(s) : s;
  if (rules.metaspace) t = t.split(rules.metaspace).join(" ");
  return t;
}

/** Whether a token begins a new word, judged from its markers alone (no pre-tokenizer). */
export function startsWord(token: string, previous: string | null, rules: SurfaceRules): boolean {
  if (previous == null) return true;
  if (rules.continuing) return !token.startsWith(rules.continuing);
  if (rules.endOfWord) return previous.endsWith(rules.endOfWord);
  const text = surfaceOf(token, rules);
  if (/^\s/.test(text)) return true;
  // Punctuation after a word is a word of its own (as BERT's and GPT-2's pre-tokenizers split it).
  const isPunct = (s: string) => /^[^\p{L}\p{N}\s]+$/u.test(s);
  return isPunct(text) !== isPunct(surfaceOf(previous, rules).trim());
}

let byteDecoder: Map<string, number> | null = null;

/** GPT-2's bytes_to_unicode table, inverted: printable stand-in character → byte. */
function byteTable(): Map<string, number> {
  if (byteDecoder) return byteDecoder;
  const bytes: number[] = [];
  for (let b = 33; b <= 126; b++) bytes.push(b);
  for (let b = 161; b <= 172; b++) bytes.push(b);
  for (let b = 174; b <= 255; b++) bytes.push(b);
  const chars = [...bytes];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(256 + n++);
    }
  }
  byteDecoder = new Map(bytes.map((b, i) => [String.fromCharCode(chars[i]), b]));
  return byteDecoder;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** `Ġcaf` `Ã©` → " café": map stand-in characters back to bytes, then decode UTF-8. */
export function decodeByteLevel(token: string): string {
  const table = byteTable();
  const out: number[] = [];
  for (const ch of token) {
    const b = table.get(ch);
    if (b === undefined) return token; // not byte-level text (an added token, say)
    out.push(b);
  }
  return utf8.decode(Uint8Array.from(out));
}
