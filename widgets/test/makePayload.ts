/** Hand-built payloads for the widgets' unit tests (the widgets do not depend on kernel-lib's encoder). */
import type { AttentionPayload, EncodedMaps, PayloadSite } from "../src/payload/types";

/** uint8 block from weights [B, H, T, S]; bin [1, 1]. */
export function block(data: number[] | Float32Array, dims: [number, number, number, number]): EncodedMaps {
  const [B, H, T, S] = dims;
  const size = T * S;
  const bytes = new Uint8Array(B * H * size);
  const scale: number[] = [];
  for (let m = 0; m < B * H; m++) {
    let max = 0;
    for (let i = 0; i < size; i++) max = Math.max(max, data[m * size + i]);
    scale.push(max);
    for (let i = 0; i < size; i++) bytes[m * size + i] = max ? Math.round((data[m * size + i] / max) * 255) : 0;
  }
  return { dtype: "uint8", dims, bin: [1, 1], scale, data: Buffer.from(bytes).toString("base64") };
}

/** Row-stochastic weights: row t puts `peak` on source (t + shift + h) mod S and spreads the rest. */
export function weights(B: number, H: number, T: number, S: number, peak = 0.7): Float32Array {
  const out = new Float32Array(B * H * T * S);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++)
        for (let s = 0; s < S; s++) {
          const hit = s === (t + h + b) % S;
          out[((b * H + h) * T + t) * S + s] = hit ? peak : (1 - peak) / (S - 1);
        }
  return out;
}

export const TOKENS = ["[CLS]", "the", "cat", "sat", "<img src=x onerror=alert(1)>", "[SEP]"];

/** An encoder with `layers` self sites of H heads over the 6 TOKENS (sample 1 has 2 padding positions). */
export function makePayload(layers = 2, H = 3): AttentionPayload {
  const T = TOKENS.length;
  const sites: PayloadSite[] = Array.from({ length: layers }, (_, l) => ({
    id: `encoder.self.${l}`,
    stack: "encoder",
    kind: "self",
    layer: l,
    heads: H,
    causal: false,
    rows: "source",
    cols: "source",
    dims: [2, H, T, T],
    maps: block(weights(2, H, T, T), [2, H, T, T]),
    metrics: {
      entropy: Array.from({ length: H }, (_, h) => 0.5 + h + l),
      distance: Array.from({ length: H }, (_, h) => h),
      confidence: Array.from({ length: H }, () => 0.7),
    },
    patterns: Array.from({ length: H }, (_, h) => ({ label: h === 0 ? "diagonal" : "mixed", confidence: 0.9 })),
  }));
  return {
    v: 1,
    samples: 2,
    tokens: {
      source: {
        start: 0,
        text: [[...TOKENS], TOKENS.slice(0, 4).concat(["[PAD]", "[PAD]"])],
        special: [
          [0, 5],
          [0, 4, 5],
        ],
        padding: [[], [4, 5]],
      },
    },
    sites,
  };
}
