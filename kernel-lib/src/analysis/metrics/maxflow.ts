/**
 * Maximum flow by Dinic's algorithm on a network with real capacities: BFS levels over the
 * residual graph, then blocking flows by DFS with per-node edge cursors. O(V²E) worst case and
 * far less on the layered attention graphs, where every path has the same length.
 * Residual capacities below EPSILON count as saturated (the capacities are float weights).
 */
import { AttnlensError } from "../../errors";

const EPSILON = 1e-12;

export class FlowNetwork {
  readonly nodes: number;
  private heads: number[];
  private next: number[] = [];
  private to: number[] = [];
  private cap: number[] = [];
  private packed: { first: Int32Array; next: Int32Array; to: Int32Array; cap: Float64Array } | null = null;

  constructor(nodes: number) {
    this.nodes = nodes;
    this.heads = new Array<number>(nodes).fill(-1);
  }

  /** A directed edge u → v; edge 2k is forward, 2k + 1 its residual twin. */
  addEdge(u: number, v: number, capacity: number): void {
    if (!(capacity >= 0) || u < 0 || v < 0 || u >= this.nodes || v >= this.nodes) {
      throw new AttnlensError(
        "BAD_INPUT",
        `FlowNetwork.addEdge(${u}, ${v}, ${capacity}): nodes must be in [0, ${this.nodes}) and capacity ≥ 0`,
      );
    }
    for (const [a, b, c] of [
      [u, v, capacity],
      [v, u, 0],
    ]) {
      this.to.push(b);
      this.cap.push(c);
      this.next.push(this.heads[a]);
      this.heads[a] = this.to.length - 1;
    }
    this.packed = null;
  }

  get edges(): number {
    return this.to.length / 2;
  }

  private pack() {
    this.packed ??= {
      first: Int32Array.from(this.heads),
      next: Int32Array.from(this.next),
      to: Int32Array.from(this.to),
      cap: Float64Array.from(this.cap),
    };
    return this.packed;
  }

  /** The value of a maximum flow from source to sink (the network is left unchanged). */
  maxFlow(source: number, sink: number): number {
    if (source === sink) return 0;
    const { first, next, to, cap } = this.pack();
    const residual = Float64Array.from(cap);
    const level = new Int32Array(this.nodes);
    const cursor = new Int32Array(this.nodes);
    const queue = new Int32Array(this.nodes);
    const bfs = (): boolean => {
      level.fill(-1);
      level[source] = 0;
      let head = 0;
      let tail = 0;
      queue[tail++] = source;
      while (head < tail) {
        const u = queue[head++];
        for (let e = first[u]; e >= 0; e = next[e]) {
          if (residual[e] > EPSILON && level[to[e]] < 0) {
            level[to[e]] = level[u] + 1;
            queue[tail++] = to[e];
          }
        }
      }
      return level[sink] >= 0;
    };
    const push = (u: number, limit: number): number => {
      if (u === sink) return limit;
      for (; cursor[u] >= 0; cursor[u] = next[cursor[u]]) {
        const e = cursor[u];
        const v = to[e];
        if (residual[e] <= EPSILON || level[v] !== level[u] + 1) continue;
        const got = push(v, Math.min(limit, residual[e]));
        if (got > 0) {
          residual[e] -= got;
          residual[e ^ 1] += got;
          return got;
        }
      }
      return 0;
    };
    let flow = 0;
    while (bfs()) {
      cursor.set(first);
      for (let got = push(source, Number.POSITIVE_INFINITY); got > 0; got = push(source, Number.POSITIVE_INFINITY))
        flow += got;
    }
    return flow;
  }
}
