/**
 * A synthetic AttentionResult for payload tests, demos and the widgets benchmark: `layers` ×
 * `heads` encoder self-attention sites over `tokens` positions, each head a designed pattern
 * (previous, identity, first, window, next) with noise or a seeded random map, and word tokens
 * framed by [CLS] … [SEP]. Optionally a decoder with self and cross sites (encoder–decoder).
 */

import type { AttentionResult, SiteAttention, Stack, TokenInfo } from "../../result/types";
import { type DesignedPattern, designedSite, randomAttention } from "../../testing/syntheticMaps";

export interface SampleOptions {
  layers?: number;
  heads?: number;
  tokens?: number;
  batch?: number;
  /** Valid positions per sample (right padding); default all. */
  lengths?: number[];
  /** Decoder tokens: adds decoder self (causal) and cross sites per layer. */
  decoderTokens?: number;
  seed?: number;
  /** Token texts to use instead of the generated words (cycled). */
  words?: string[];
  /** Head patterns, cycled over heads and layers (default: previous, identity, first, window, random, next). */
  patterns?: (DesignedPattern | "random")[];
}

const PATTERNS: (DesignedPattern | "random")[] = ["previous", "identity", "first", "window", "random", "next"];
const WORDS = "the quick brown fox jumps over a lazy dog while seven tiny birds sing in old green trees".split(" ");

function sampleTokens(T: number, B: number, lengths: number[], words: string[], decoder: boolean): TokenInfo[][] {
  return Array.from({ length: B }, (_, b) =>
    Array.from({ length: T }, (_, i): TokenInfo => {
      const n = lengths[b];
      if (i >= n) return { text: "[PAD]", id: 0, word: null, special: true };
      if (i === 0) return { text: decoder ? "<s>" : "[CLS]", id: 1, word: null, special: true };
      if (i === n - 1 && !decoder) return { text: "[SEP]", id: 2, word: null, special: true };
      const text = words[(i - 1 + b) % words.length];
      return { text, id: 10 + ((i + b) % words.length), word: i - 1, special: false };
    }),
  );
}

function sampleSite(
  stack: Stack,
  kind: "self" | "cross",
  layer: number,
  dims: [number, number, number, number],
  lengths: number[],
  seed: number,
  patterns: (DesignedPattern | "random")[],
): SiteAttention {
  const [B, H, T, S] = dims;
  const data = new Float32Array(B * H * T * S);
  const causal = stack === "decoder" && kind === "self";
  for (let h = 0; h < H; h++) {
    const pattern = patterns[(h + layer) % patterns.length];
    const one =
      pattern === "random" || kind === "cross"
        ? randomAttention({ dims: [B, 1, T, S], seed: seed + 7919 * h, lengths, causal })
        : designedSite(pattern, { lengths, length: T, window: 2, noise: 0.05, causal }).site.data;
    for (let b = 0; b < B; b++) data.set(one.subarray(b * T * S, (b + 1) * T * S), (b * H + h) * T * S);
  }
  return { id: `${stack}.${kind}.${layer}`, stack, kind, layer, heads: H, causal, node: "sample", data, dims };
}

function maskOf(lengths: number[], T: number) {
  const data = new Uint8Array(lengths.length * T);
  lengths.forEach((n, b) => data.fill(1, b * T, b * T + n));
  return { data, dims: [lengths.length, T] as [number, number] };
}

export function sampleResult(o: SampleOptions = {}): AttentionResult {
  const L = o.layers ?? 2;
  const H = o.heads ?? 4;
  const T = o.tokens ?? 8;
  const B = o.batch ?? o.lengths?.length ?? 1;
  const lengths = o.lengths ?? Array(B).fill(T);
  const seed = o.seed ?? 1;
  const patterns = o.patterns ?? PATTERNS;
  const sites: SiteAttention[] = [];
  for (let l = 0; l < L; l++) sites.push(sampleSite("encoder", "self", l, [B, H, T, T], lengths, seed + l, patterns));
  const words = o.words ?? WORDS;
  const result: AttentionResult = {
    sites,
    provider: "cpu",
    fallbacks: [],
    masks: { encoder: maskOf(lengths, T) },
    outputs: {},
    tokens: { source: sampleTokens(T, B, lengths, words, false) },
  };
  const D = o.decoderTokens;
  if (D) {
    const dl = Array(B).fill(D);
    for (let l = 0; l < L; l++) {
      sites.push(sampleSite("decoder", "self", l, [B, H, D, D], dl, seed + 100 + l, patterns));
      sites.push(sampleSite("decoder", "cross", l, [B, H, D, T], lengths, seed + 200 + l, patterns));
    }
    result.masks.decoder = maskOf(dl, D);
    result.tokens!.target = sampleTokens(D, B, dl, words.slice(3).concat(words.slice(0, 3)), true);
  }
  return result;
}
