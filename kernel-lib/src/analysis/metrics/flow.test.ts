import { describe, expect, it } from "vitest";
import type { AttentionResult, SiteAttention } from "../../result/types";
import { randomAttention, randomSite } from "../../testing/syntheticMaps";
import { seededRandom } from "../../util/random";
import { attentionFlow } from "./flow";
import { FlowNetwork } from "./maxflow";

/** Independent reference: Edmonds–Karp on a dense capacity matrix. */
function edmondsKarp(cap: number[][], s: number, t: number): number {
  const n = cap.length;
  const r = cap.map((row) => [...row]);
  let flow = 0;
  for (;;) {
    const parent = new Array<number>(n).fill(-1);
    parent[s] = s;
    const queue = [s];
    while (queue.length && parent[t] < 0) {
      const u = queue.shift() as number;
      for (let v = 0; v < n; v++) {
        if (parent[v] < 0 && r[u][v] > 1e-12) {
          parent[v] = u;
          queue.push(v);
        }
      }
    }
    if (parent[t] < 0) return flow;
    let push = Number.POSITIVE_INFINITY;
    for (let v = t; v !== s; v = parent[v]) push = Math.min(push, r[parent[v]][v]);
    for (let v = t; v !== s; v = parent[v]) {
      r[parent[v]][v] -= push;
      r[v][parent[v]] += push;
    }
    flow += push;
  }
}

describe("Dinic max-flow", () => {
  it("agrees with Edmonds–Karp on random graphs", () => {
    const rand = seededRandom(7);
    for (let trial = 0; trial < 60; trial++) {
      const n = 3 + Math.floor(rand() * 10);
      const cap = Array.from({ length: n }, () => new Array<number>(n).fill(0));
      const net = new FlowNetwork(n);
      for (let u = 0; u < n; u++)
        for (let v = 0; v < n; v++)
          if (u !== v && rand() < 0.35) {
            const c = rand() < 0.3 ? Math.floor(rand() * 5) : rand();
            cap[u][v] += c;
            net.addEdge(u, v, c);
          }
      const s = Math.floor(rand() * n);
      const t = (s + 1 + Math.floor(rand() * (n - 1))) % n;
      expect(net.maxFlow(s, t)).toBeCloseTo(edmondsKarp(cap, s, t), 9);
    }
  });
});

/** The layered graph built independently as a dense matrix. */
function naiveFlow(sites: SiteAttention[], b: number, i: number, j: number, keep?: (t: number) => boolean): number {
  const [, H, T] = sites[0].dims;
  const L = sites.length;
  const N = (L + 1) * T;
  const cap = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  sites.forEach((s, l) => {
    for (let x = 0; x < T; x++) {
      const row = Array.from({ length: T }, (_, y) => {
        let m = 0;
        for (let h = 0; h < H; h++) m += s.data[((b * H + h) * T + x) * T + y];
        return 0.5 * (m / H) + (x === y ? 0.5 : 0);
      });
      const sum = row.reduce((p, q) => p + q, 0);
      row.forEach((v, y) => {
        if (keep && !(keep(x) && keep(y))) return;
        cap[(l + 1) * T + x][l * T + y] = v / sum;
      });
    }
  });
  return edmondsKarp(cap, L * T + i, j);
}

describe("attention flow", () => {
  for (const causal of [false, true]) {
    it(`matches Edmonds–Karp on random layered graphs (causal: ${causal})`, () => {
      const dims: [number, number, number, number] = [2, 2, 5, 5];
      const sites = [0, 1, 2].map((l) =>
        randomSite("encoder", "self", l, { dims, seed: 50 + l + (causal ? 9 : 0), causal, sharpness: 4 }),
      );
      const result: AttentionResult = { sites, provider: "cpu", fallbacks: [], masks: {} };
      const out = attentionFlow(result);
      for (let b = 0; b < 2; b++)
        for (let i = 0; i < 5; i++) {
          const raw = Array.from({ length: 5 }, (_, j) => naiveFlow(sites, b, i, j));
          const sum = raw.reduce((p, q) => p + q, 0);
          for (let j = 0; j < 5; j++) expect(out.data[(b * 5 + i) * 5 + j]).toBeCloseTo(raw[j] / sum, 6);
        }
    });
  }

  it("refuses graphs above the edge limit, naming the limit and the way out", () => {
    const sites = [0, 1, 2].map((l) =>
      randomSite("encoder", "self", l, { dims: [1, 1, 20, 20], seed: l, causal: false, sharpness: 4 }),
    );
    const result: AttentionResult = { sites, provider: "cpu", fallbacks: [], masks: {} };
    expect(() => attentionFlow(result, { maxEdges: 1000 })).toThrow(
      /3 layers × 20² tokens = 1200 edges, above the limit of 1000; choose fewer layers \(fromLayer\/toLayer\), raise maxEdges, or .*cutTokens/,
    );
    expect(() => attentionFlow(result, { maxEdges: 1000, tokens: [0, 10] })).toThrow(/1200 edges/);
    const cut = attentionFlow(result, { maxEdges: 1000, cutTokens: [0, 10] });
    expect(cut.data[(0 * 20 + 15) * 20 + 3]).toBe(0);
    let sum = 0;
    for (let j = 0; j < 20; j++) sum += cut.data[2 * 20 + j];
    expect(sum).toBeCloseTo(1, 6);
  });

  it("tokens picks rows of the full flow; cutTokens is the flow of the cut-down graph", () => {
    const dims: [number, number, number, number] = [2, 2, 7, 7];
    const sites = [0, 1, 2].map((l) =>
      randomSite("encoder", "self", l, { dims, seed: 30 + l, causal: false, sharpness: 4 }),
    );
    const result: AttentionResult = { sites, provider: "cpu", fallbacks: [], masks: {} };
    const full = attentionFlow(result);
    const rows = attentionFlow(result, { tokens: [2, 5] });
    const cut = attentionFlow(result, { cutTokens: [2, 5] });
    let cutApart = 0;
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 7; i++)
        for (let j = 0; j < 7; j++) {
          const k = (b * 7 + i) * 7 + j;
          expect(rows.data[k]).toBe(i >= 2 && i < 5 ? full.data[k] : 0);
          if (i < 2 || i >= 5 || j < 2 || j >= 5) expect(cut.data[k]).toBe(0);
          else cutApart = Math.max(cutApart, Math.abs(cut.data[k] - full.data[k]));
        }
    // The cut-down graph loses the paths through tokens 0, 1, 5, 6: a different quantity.
    expect(cutApart).toBeGreaterThan(0.01);
    // Its rows are Edmonds–Karp on the layered graph with the edges of tokens 0, 1, 5, 6 removed.
    const keep = (t: number) => t >= 2 && t < 5;
    for (let b = 0; b < 2; b++)
      for (let i = 2; i < 5; i++) {
        const raw = [2, 3, 4].map((j) => naiveFlow(sites, b, i, j, keep));
        const sum = raw.reduce((p, q) => p + q, 0);
        raw.forEach((v, k) => expect(cut.data[(b * 7 + i) * 7 + k + 2]).toBeCloseTo(v / sum, 6));
      }
  });

  it("refuses token ranges that are empty or outside the map", () => {
    const result: AttentionResult = {
      sites: [randomSite("encoder", "self", 0, { dims: [1, 1, 4, 4], seed: 1, causal: false, sharpness: 4 })],
      provider: "cpu",
      fallbacks: [],
      masks: {},
    };
    expect(() => attentionFlow(result, { tokens: [3, 3] })).toThrow(/attentionFlow: tokens must be \[start, end\)/);
    expect(() => attentionFlow(result, { cutTokens: [4, 6] })).toThrow(/cutTokens must be/);
  });

  it("leaves padding tokens out of the graph", () => {
    const dims: [number, number, number, number] = [1, 1, 6, 6];
    const data = randomAttention({ dims, seed: 2, lengths: [4] });
    const s: SiteAttention = {
      ...randomSite("encoder", "self", 0, { dims, seed: 1, causal: false, sharpness: 4 }),
      data,
    };
    const mask = { data: Uint8Array.from([1, 1, 1, 1, 0, 0]), dims: [1, 6] as [number, number] };
    const out = attentionFlow({ sites: [s], provider: "cpu", fallbacks: [], masks: { encoder: mask } });
    expect(out.edges).toBeLessThanOrEqual(16);
    for (let j = 0; j < 6; j++) expect(out.data[5 * 6 + j]).toBe(0);
  });

  it("refuses a sample outside the batch", () => {
    const sites = [randomSite("encoder", "self", 0, { dims: [2, 1, 4, 4], seed: 1, causal: false, sharpness: 4 })];
    expect(() => attentionFlow({ sites, provider: "cpu", fallbacks: [], masks: {} }, { sample: 2 })).toThrow(
      /attentionFlow: sample 2 is outside the batch \[0, 2\)/,
    );
  });
});
