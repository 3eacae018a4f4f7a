/** A hand-built vision payload: [CLS] + rows×cols patches over a flat grey picture. */
import type { AttentionPayload, PayloadSite } from "../src/payload/types";
import { indexedPng, pngDataUrl } from "../src/spec/png";
import { block } from "./makePayload";

/** Query 0 ([CLS]) of layer l, head h puts `peak` on patch (l + h) mod P; every other row is uniform. */
export function hotPatch(layer: number, head: number, patches: number): number {
  return (layer + head) % patches;
}

export function patchPayload(rows = 3, cols = 4, layers = 2, H = 2, peak = 0.8): AttentionPayload {
  const P = rows * cols;
  const n = P + 1;
  const sites: PayloadSite[] = Array.from({ length: layers }, (_, l) => {
    const w = new Float32Array(H * n * n).fill(1 / n);
    for (let h = 0; h < H; h++) {
      const row = w.subarray(h * n * n, h * n * n + n);
      row.fill((1 - peak) / (n - 1));
      row[1 + hotPatch(l, h, P)] = peak;
    }
    return {
      id: `encoder.self.${l}`,
      stack: "encoder",
      kind: "self",
      layer: l,
      heads: H,
      causal: false,
      rows: "source",
      cols: "source",
      dims: [1, H, n, n],
      maps: block(w, [1, H, n, n]),
    };
  });
  const width = cols * 16;
  const height = rows * 16;
  const grey = indexedPng(width, height, new Uint8Array(width * height), Uint8Array.of(128, 128, 128));
  const text = ["[CLS]", ...Array.from({ length: P }, (_, p) => `patch (${Math.floor(p / cols)}, ${p % cols})`)];
  return {
    v: 1,
    samples: 1,
    tokens: { source: { start: 0, text: [text], special: [[0]], padding: [[]] } },
    sites,
    image: { urls: [pngDataUrl(grey)], width, height, rows, cols, prefix: 1 },
  };
}
