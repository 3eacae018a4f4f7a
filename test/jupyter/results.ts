/**
 * Attention results for the display and report tests, built directly (no model run): softmax rows
 * of a seeded random walk, so every run of the tests sees the same maps.
 */
import type { AttentionResult, SiteAttention, TokenInfo } from "attnlens";

export interface SyntheticOptions {
  samples?: number;
  heads?: number;
  layers?: number;
  tokens?: number;
  /** Token strings (default: none, so positions are labelled by index). */
  text?: string[];
  /** Adds a decoder with self and cross sites (encoder–decoder model). */
  decoder?: boolean;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function site(
  stack: "encoder" | "decoder",
  kind: "self" | "cross",
  layer: number,
  dims: SiteAttention["dims"],
  seed: number,
): SiteAttention {
  const [B, H, T, S] = dims;
  const data = new Float32Array(B * H * T * S);
  const rand = rng(seed);
  for (let r = 0; r < B * H * T; r++) {
    const t = r % T;
    const causal = stack === "decoder" && kind === "self";
    let sum = 0;
    for (let s = 0; s < S; s++) {
      const v = causal && s > t ? 0 : Math.exp(4 * rand() + (s === t ? 2 : 0));
      data[r * S + s] = v;
      sum += v;
    }
    for (let s = 0; s < S; s++) data[r * S + s] /= sum;
  }
  return {
    id: `${stack}.${kind}.${layer}`,
    stack,
    kind,
    layer,
    heads: H,
    causal: stack === "decoder" && kind === "self",
    node: `/${stack}/layer.${layer}/${kind}/Softmax`,
    data,
    dims,
  };
}

export function syntheticResult(o: SyntheticOptions = {}): AttentionResult {
  const B = o.samples ?? 1;
  const H = o.heads ?? 2;
  const L = o.layers ?? 2;
  const T = o.text?.length ?? o.tokens ?? 6;
  const sites: SiteAttention[] = [];
  for (let l = 0; l < L; l++) sites.push(site("encoder", "self", l, [B, H, T, T], 11 + l));
  if (o.decoder) {
    for (let l = 0; l < L; l++) {
      sites.push(site("decoder", "self", l, [B, H, T, T], 31 + l));
      sites.push(site("decoder", "cross", l, [B, H, T, T], 51 + l));
    }
  }
  const result: AttentionResult = { sites, provider: "cpu", fallbacks: [], masks: {}, outputs: {} };
  if (o.text) {
    const row = (): TokenInfo[] => o.text!.map((text, i) => ({ text, id: i, word: i, special: /^\[.*\]$/.test(text) }));
    result.tokens = {
      source: Array.from({ length: B }, row),
      ...(o.decoder ? { target: Array.from({ length: B }, row) } : {}),
    };
  }
  return result;
}

/** Strings that must stay text everywhere they are shown. */
export const HOSTILE_TOKENS = [
  "[CLS]",
  "<img src=x onerror=alert(1)>",
  '"><script>window.pwned=1</script>',
  "&amp;",
  "it's",
  "</script>",
  "[SEP]",
];
