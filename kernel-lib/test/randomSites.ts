// Attention sites for tests: testSite and streamMasks, the one-site shell every test builds its
// maps in; and randomCase, random sites for the row kernels' tests: rows of several kinds (peaked,
// uniform, one-hot, ties, sparse, a dominant weight, denormals) over padding, holes, causal and
// KV-cache masks, cross attention, segments and special tokens.

import type { MetricsOptions } from "../src/analysis/metrics/types";
import type { AttentionResult, PositionMask, SiteAttention, TokenInfo } from "../src/result/types";
import { seededRandom } from "../src/util/random";

type Rand = () => number;

export interface Case {
  result: AttentionResult;
  site: SiteAttention;
  options: MetricsOptions;
  label: string;
}

/** How a row spreads its mass; each stresses something (ties, zeros, near-1 weights, tiny weights). */
const ROW_KINDS = ["peaked", "uniform", "oneHot", "twoTies", "sparse", "dominant", "tiny"] as const;

function fillRow(kind: (typeof ROW_KINDS)[number], visible: number[], rand: Rand, out: Float64Array): void {
  const pick = () => visible[Math.floor(rand() * visible.length)];
  for (const j of visible) out[j] = 0;
  switch (kind) {
    case "peaked":
      for (const j of visible) out[j] = rand() ** 4;
      break;
    case "uniform":
      for (const j of visible) out[j] = 1;
      break;
    case "oneHot":
      out[pick()] = 1;
      break;
    case "twoTies": {
      for (const j of visible) out[j] = rand() * 0.5;
      const top = 0.5 + rand();
      out[pick()] = top;
      out[pick()] = top;
      break;
    }
    case "sparse":
      for (const j of visible) out[j] = rand() < 0.2 ? rand() : 0;
      out[pick()] += 1e-3;
      break;
    case "dominant":
      for (const j of visible) out[j] = 1e-7 * rand();
      out[pick()] = 1;
      break;
    case "tiny":
      for (const j of visible) out[j] = rand() < 0.5 ? 1e-39 * rand() : rand() * 1e-30;
      out[pick()] = 1;
      break;
  }
}

function randomMask(length: number, rand: Rand, style: number): Uint8Array {
  const mask = new Uint8Array(length).fill(1);
  if (style === 1) mask.fill(0, Math.max(1, Math.floor(length * (0.5 + 0.5 * rand())))); // right padding
  if (style === 2) mask.fill(0, 0, Math.floor(length * 0.4 * rand())); // left padding
  if (style === 3) for (let j = 0; j < length; j++) if (rand() < 0.25) mask[j] = 0; // holes
  if (!mask.includes(1)) mask[length - 1] = 1;
  return mask;
}

/** S tokens, about a tenth each [CLS], [SEP] and punctuation; the first a start token one time in two. */
function randomTokens(S: number, rand: Rand): TokenInfo[] {
  return Array.from({ length: S }, (_, j) => {
    const r = rand();
    const text = j === 0 && r < 0.5 ? "<|endoftext|>" : r < 0.1 ? "[CLS]" : r < 0.2 ? "[SEP]" : r < 0.3 ? "," : `w${j}`;
    const special = text.startsWith("[") || text.startsWith("<");
    return { text, id: 1000 + j, word: special ? null : j, special };
  });
}

/** Layer 0's site over `data`, [B, H, T, S]: encoder self-attention, or decoder cross-attention when `cross`. */
export function testSite(
  cross: boolean,
  causal: boolean,
  data: Float32Array,
  dims: SiteAttention["dims"],
): SiteAttention {
  return {
    id: cross ? "decoder.cross.0" : "encoder.self.0",
    stack: cross ? "decoder" : "encoder",
    kind: cross ? "cross" : "self",
    layer: 0,
    heads: dims[1],
    causal,
    node: "n",
    data,
    dims,
  };
}

/**
 * The result's masks from per-sample 0/1 masks of the sources (and, for a cross site, the
 * targets): a self site's target rows are its source positions, so its padding targets follow the
 * source mask.
 */
export function streamMasks(
  cross: boolean,
  sources: Uint8Array[],
  targets: Uint8Array[],
  [B, , T, S]: SiteAttention["dims"],
): AttentionResult["masks"] {
  const mask = (masks: Uint8Array[], length: number): PositionMask => ({
    data: Uint8Array.from(masks.flatMap((m) => [...m])),
    dims: [B, length],
  });
  return cross ? { encoder: mask(sources, S), decoder: mask(targets, T) } : { encoder: mask(sources, S) };
}

/** Shape ranges for randomCase: sequence lengths to draw from, and the most samples and heads. */
export interface CaseShapes {
  lengths: number[];
  maxBatch: number;
  maxHeads: number;
}

const SHAPES: CaseShapes = { lengths: [1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 33, 64, 100, 129], maxBatch: 3, maxHeads: 3 };

/** A site of random rows: each valid row a distribution over its visible sources, masked sources 0 or a trace of mass. */
export function randomCase(seed: number, shapes: CaseShapes = SHAPES): Case {
  const rand = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const cross = rand() < 0.2;
  const causal = !cross && rand() < 0.4;
  const { lengths } = shapes;
  const S = lengths[int(0, lengths.length - 1)];
  const T = cross ? lengths[int(0, Math.min(8, lengths.length - 1))] : causal && rand() < 0.3 ? int(1, S) : S; // KV cache: T < S
  const B = int(1, shapes.maxBatch);
  const H = int(1, shapes.maxHeads);
  const style = int(0, 3);
  const sourceMasks = Array.from({ length: B }, () => randomMask(S, rand, style));
  const targetMasks = cross ? Array.from({ length: B }, () => randomMask(T, rand, style)) : null;
  const data = new Float32Array(B * H * T * S);
  const row = new Float64Array(S);
  const trace = rand() < 0.3 ? 1e-6 : 0;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const limit = causal ? Math.min(S, i + S - T + 1) : S;
        const visible: number[] = [];
        for (let j = 0; j < limit; j++) if (sourceMasks[b][j]) visible.push(j);
        const base = ((b * H + h) * T + i) * S;
        if (visible.length === 0) continue; // only padding rows lack visible sources here
        fillRow(ROW_KINDS[int(0, ROW_KINDS.length - 1)], visible, rand, row);
        let sum = 0;
        for (const j of visible) sum += row[j];
        for (let j = 0; j < S; j++) data[base + j] = visible.includes(j) ? row[j] / sum : trace * rand();
      }
    }
  }
  const site = testSite(cross, causal, data, [B, H, T, S]);
  const masks = streamMasks(cross, sourceMasks, targetMasks ?? [], [B, H, T, S]);
  const segments =
    !cross && rand() < 0.5
      ? {
          encoder: sourceMasks.map(() => Int32Array.from({ length: S }, (_, j) => (j < S / 3 ? 0 : j < S / 2 ? 1 : 2))),
        }
      : undefined;
  const result = { sites: [site], provider: "cpu", fallbacks: [], masks, outputs: {} } as AttentionResult;
  // Tokens with [CLS], [SEP], punctuation and (causal) a start token: the special-token masses.
  const specials = rand() < 0.5;
  if (specials) result.tokens = { source: sourceMasks.map(() => randomTokens(S, rand)) };
  const label = `seed ${seed}: ${site.kind}${causal ? " causal" : ""} [${site.dims}] mask style ${style}${segments ? " segments" : ""}${specials ? " specials" : ""}`;
  return { result, site, options: { segments }, label };
}
