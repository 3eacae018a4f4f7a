/** What `model.run` accepts: text in a few shapes, or feeds; normalized to per-sample lists. */
import * as ort from "onnxruntime-node";
import { AttnlensError } from "../errors";
import type { Feeds } from "../run/feeds";

/** Sources, optional sentence pairs (segment B) and optional decoder targets; one string or one per sample. */
export interface TextPair {
  source: string | readonly string[];
  /** Second segment of a sentence pair (BERT-like models), one per source. */
  pair?: string | readonly (string | null)[] | null;
  /** Decoder text of an encoder-decoder model, one per source; without it the model generates. */
  target?: string | readonly string[] | null;
}

/**
 * Text to run: one string, a batch of strings, or source/target texts for encoder–decoder models and sentence
 * pairs.
 */
export type TextInput = string | readonly string[] | TextPair;

export interface NormalizedText {
  source: string[];
  pair: (string | null)[] | null;
  target: string[] | null;
}

export function isFeeds(input: unknown): input is Feeds {
  if (!input || typeof input !== "object" || Array.isArray(input) || "source" in input) return false;
  const values = Object.values(input);
  return (
    values.length > 0 &&
    values.every((v) => v instanceof ort.Tensor || (v && typeof v === "object" && "dims" in v && "type" in v))
  );
}

export function normalizeText(input: TextInput): NormalizedText {
  if (typeof input === "string") return { source: [input], pair: null, target: null };
  if (Array.isArray(input)) return { source: strings(input, "texts"), pair: null, target: null };
  const p = input as TextPair;
  if (p == null || typeof p !== "object" || p.source == null) {
    throw new AttnlensError(
      "BAD_INPUT",
      "run() takes a string, an array of strings, { source, pair?, target? } or feeds",
    );
  }
  const source = typeof p.source === "string" ? [p.source] : strings(p.source, "source");
  const pair = p.pair == null ? null : typeof p.pair === "string" ? [p.pair] : [...p.pair];
  const target = p.target == null ? null : typeof p.target === "string" ? [p.target] : strings(p.target, "target");
  for (const [name, list] of [
    ["pair", pair],
    ["target", target],
  ] as const) {
    if (list && list.length !== source.length) {
      throw new AttnlensError(
        "BAD_INPUT",
        `${name} has ${list.length} entries but source has ${source.length}: give one per source`,
      );
    }
  }
  return { source, pair, target };
}

function strings(list: readonly unknown[], what: string): string[] {
  if (list.length === 0) throw new AttnlensError("BAD_INPUT", `${what} is empty: give at least one text`);
  for (const s of list)
    if (typeof s !== "string") throw new AttnlensError("BAD_INPUT", `${what} must hold strings, got ${typeof s}`);
  return list as string[];
}
