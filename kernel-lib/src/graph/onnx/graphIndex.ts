/** Lookups over a decoded graph: who produces a value, who consumes it, which values are constant. */
import type { OnnxGraph, OnnxNode, TensorInfo } from "./model";

const SHAPE_ONLY = new Set(["Shape", "Size"]);

export class GraphIndex {
  readonly producer = new Map<string, OnnxNode>();
  readonly consumers = new Map<string, OnnxNode[]>();
  readonly graphInputs: string[];
  readonly graphOutputs: Set<string>;
  /** Nodes in a topological order (ties keep file order); not every exporter writes sorted graphs. */
  readonly order: OnnxNode[];
  private readonly inputBit = new Map<string, number>();
  private rootsCache: Map<string, bigint> | null = null;

  constructor(readonly graph: OnnxGraph) {
    for (const n of graph.nodes) {
      for (const o of n.outputs) if (o) this.producer.set(o, n);
      for (const i of n.inputs) {
        if (!i) continue;
        let list = this.consumers.get(i);
        if (!list) this.consumers.set(i, (list = []));
        list.push(n);
      }
    }
    this.graphInputs = graph.inputs.map((v) => v.name);
    this.graphInputs.forEach((name, i) => this.inputBit.set(name, i));
    this.graphOutputs = new Set(graph.outputs.map((v) => v.name));
    this.order = this.topologicalOrder();
  }

  private topologicalOrder(): OnnxNode[] {
    const nodes = this.graph.nodes;
    const pending = new Map<OnnxNode, number>();
    const ready: OnnxNode[] = [];
    for (const n of nodes) {
      let deps = 0;
      for (const i of n.inputs) if (i && this.producer.has(i)) deps++;
      pending.set(n, deps);
      if (deps === 0) ready.push(n);
    }
    const out: OnnxNode[] = [];
    // Kahn's algorithm with a min-index queue keeps already-sorted graphs in file order.
    const heap = new MinIndexHeap(ready);
    while (heap.size) {
      const n = heap.pop();
      out.push(n);
      for (const o of n.outputs) {
        if (!o) continue;
        for (const c of this.consumersOf(o)) {
          const left = (pending.get(c) ?? 0) - c.inputs.filter((i) => i === o).length;
          pending.set(c, left);
          if (left === 0) heap.push(c);
        }
      }
    }
    // Cycles (invalid graphs) leave nodes behind; keep them in file order rather than drop them.
    if (out.length < nodes.length) {
      const seen = new Set(out);
      for (const n of nodes) if (!seen.has(n)) out.push(n);
    }
    return out;
  }

  /** The constant tensor behind a value: an initializer or a Constant node's `value`. */
  constant(name: string): TensorInfo | null {
    const init = this.graph.initializers.get(name);
    if (init) return init;
    const p = this.producer.get(name);
    if (p && p.opType === "Constant" && p.domain === "") return p.attributes.get("value")?.t ?? null;
    return null;
  }

  consumersOf(name: string): OnnxNode[] {
    return this.consumers.get(name) ?? [];
  }

  /**
   * The set of graph inputs a value depends on, as a bitmask over `graphInputs`. Constants have
   * none; this is what tells activations from weights, and queries' streams from keys' streams.
   */
  roots(name: string): bigint {
    if (!this.rootsCache) this.rootsCache = this.computeRoots();
    return this.rootsCache.get(name) ?? 0n;
  }

  private computeRoots(): Map<string, bigint> {
    const roots = new Map<string, bigint>();
    for (const [name, bit] of this.inputBit) roots.set(name, 1n << BigInt(bit));
    for (const n of this.order) {
      let r = 0n;
      // A Shape's value is the input's size, not its contents: shape arithmetic (e.g. a key
      // reshaped with the query's batch size) must not tie the two streams together.
      if (SHAPE_ONLY.has(n.opType) && n.domain === "") {
        for (const o of n.outputs) if (o) roots.set(o, 0n);
        continue;
      }
      for (const i of n.inputs) if (i) r |= roots.get(i) ?? 0n;
      for (const o of n.outputs) if (o) roots.set(o, r);
    }
    return roots;
  }

  /** Names of the graph inputs in a roots bitmask. */
  inputsIn(mask: bigint): string[] {
    return this.graphInputs.filter((_, i) => (mask >> BigInt(i)) & 1n);
  }

  isActivation(name: string): boolean {
    return this.roots(name) !== 0n;
  }
}

class MinIndexHeap {
  private items: OnnxNode[] = [];
  constructor(initial: OnnxNode[]) {
    for (const n of initial) this.push(n);
  }
  get size(): number {
    return this.items.length;
  }
  push(n: OnnxNode): void {
    const a = this.items;
    a.push(n);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].index <= a[i].index) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): OnnxNode {
    const a = this.items;
    const top = a[0];
    const last = a.pop() as OnnxNode;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].index < a[m].index) m = l;
        if (r < a.length && a[r].index < a[m].index) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
