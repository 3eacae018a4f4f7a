/**
 * Attention flow (Abnar & Zuidema 2020). The layered graph has a node per (layer, token), layer 0
 * being the input tokens; node (ℓ, i) has an edge to (ℓ−1, j) of capacity Âℓ[i, j], the
 * residual-adjusted fused map of the ℓ-th chosen layer (residual.ts). F[i, j] = the maximum flow
 * from top node (L, i) to input node (0, j); each row is then divided by its sum, as in the
 * paper's code. One max-flow per (i, j) pair, by Dinic (maxflow.ts).
 *
 * `tokens` picks rows of that flow: the max-flows run on the whole graph, so the rows equal those
 * of the full flow. `cutTokens` is a different, cheaper quantity: the flow of the graph cut down
 * to a token range (every layer keeps only those tokens), which drops the paths through other
 * tokens and so is not a slice of the full flow.
 *
 * Size limit: L·n² edges per sample (n = valid tokens in the graph) must stay ≤ maxEdges
 * (default FLOW_MAX_EDGES); the work grows as rows·n·L·n² (a max-flow per pair).
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult, Stack } from "../../result/types";
import type { Fusion } from "./aggregate";
import { defaultStack, type LayerRange, stackSites } from "./layers";
import { FlowNetwork } from "./maxflow";
import { residualAdjusted } from "./residual";
import { fusedLayers } from "./rollout";
import { streamData } from "./streams";
import type { MetricsOptions } from "./types";
import { checkSample } from "./validate";

/** Default edge limit: 12 layers × 32 tokens or 6 layers × 45 (about 1 s of max-flows here). */
export const FLOW_MAX_EDGES = 12_288;

export interface FlowOptions extends MetricsOptions, LayerRange {
  stack?: Stack;
  fusion?: Fusion;
  heads?: number[];
  /** Only this sample (default: every sample). */
  sample?: number;
  /** Only the rows of top tokens in [start, end); they equal those rows of the full flow. */
  tokens?: [number, number];
  /**
   * Flow on the graph cut down to tokens in [start, end) (every layer keeps only them): cheaper,
   * but paths through the other tokens are dropped, so it is not a slice of the full flow.
   */
  cutTokens?: [number, number];
  maxEdges?: number;
}

/**
 * Attention flow of one stack: max-flow from each top-layer token to each input token through the layer
 * graph, row-normalized.
 */
export interface AttentionFlow {
  stack: Stack;
  layers: number[];
  fusion: Fusion;
  /**
   * Shape `[B, T, T]` of `data`: row-normalized flow from top token i to input token j; rows outside
   * `tokens`, and rows and columns outside `cutTokens`, are 0.
   */
  dims: [number, number, number];
  data: Float32Array;
  /** Edges of the largest per-sample graph built. */
  edges: number;
}

function sizeError(b: number, layers: number, n: number, limit: number): Error {
  return new AttnlensError(
    "TOO_LARGE",
    `attention flow on sample ${b} needs ${layers} layers × ${n}² tokens = ${layers * n * n} edges, above the limit of ${limit}; ` +
      "choose fewer layers (fromLayer/toLayer), raise maxEdges, or take the flow of a graph cut down to a token range (cutTokens: [start, end), not a slice of the full flow)",
  );
}

function checkRange(name: string, range: [number, number] | undefined, T: number): void {
  if (range === undefined) return;
  const [a, b] = range;
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b <= a || a >= T)
    throw new AttnlensError(
      "BAD_INPUT",
      `attentionFlow: ${name} must be [start, end) with 0 ≤ start < end, start < ${T} tokens; got [${a}, ${b}]`,
    );
}

/**
 * Attention flow (Abnar & Zuidema 2020); refuses graphs above `maxEdges` (default FLOW_MAX_EDGES) with a
 * TOO_LARGE error.
 */
export function attentionFlow(result: AttentionResult, options: FlowOptions = {}): AttentionFlow {
  const stack = options.stack ?? defaultStack(result);
  const sites = stackSites(result, stack, "self", options);
  const [B, , T, S] = sites[0].dims;
  if (T !== S)
    throw new AttnlensError(
      "BAD_INPUT",
      `site ${sites[0].id}: attention flow needs square self-attention maps, got T=${T}, S=${S}`,
    );
  const limit = options.maxEdges ?? FLOW_MAX_EDGES;
  const [from, to] = options.cutTokens ?? [0, T];
  const [rowFrom, rowTo] = options.tokens ?? [0, T];
  const L = sites.length;
  checkSample("attentionFlow", options.sample, B);
  checkRange("tokens", options.tokens, T);
  checkRange("cutTokens", options.cutTokens, T);
  const samples = options.sample === undefined ? Array.from({ length: B }, (_, b) => b) : [options.sample];
  const mask = streamData(result, stack).mask;
  const keep = (b: number) => {
    const ks: number[] = [];
    for (let t = Math.max(0, from); t < Math.min(T, to); t++) if (!mask || mask.data[b * mask.dims[1] + t]) ks.push(t);
    return ks;
  };
  for (const b of samples) {
    const n = keep(b).length;
    if (L * n * n > limit) throw sizeError(b, L, n, limit);
  }
  const maps = fusedLayers(result, sites, options);
  const out = new Float32Array(B * T * T);
  let edges = 0;
  for (const b of samples) {
    const tokens = keep(b);
    const n = tokens.length;
    const net = new FlowNetwork((L + 1) * n);
    maps.forEach((fused, l) => {
      const a = residualAdjusted(fused, b, T);
      for (let x = 0; x < n; x++) {
        for (let y = 0; y < n; y++) {
          const c = a[tokens[x] * T + tokens[y]];
          if (c > 0) net.addEdge((l + 1) * n + x, l * n + y, c);
        }
      }
    });
    edges = Math.max(edges, net.edges);
    for (let x = 0; x < n; x++) {
      if (tokens[x] < rowFrom || tokens[x] >= rowTo) continue;
      const row = new Float64Array(n);
      let sum = 0;
      for (let y = 0; y < n; y++) sum += row[y] = net.maxFlow(L * n + x, y);
      for (let y = 0; y < n; y++) out[(b * T + tokens[x]) * T + tokens[y]] = sum > 0 ? row[y] / sum : 0;
    }
  }
  return {
    stack,
    layers: sites.map((s) => s.layer),
    fusion: options.fusion ?? "mean",
    dims: [B, T, T],
    data: out,
    edges,
  };
}
