/**
 * One mask for all layers. A fused layer's decomposition builds its own causal / padding mask
 * ([B, 1, T, S]: 256 MiB at 8,192 tokens), from the layer's own query and key shapes and the
 * model's shared inputs (seqlens_k, total length, attention_mask). Every layer's mask is then the
 * same values, but each would be a separate output of the lazy session.
 *
 * Two side tensors are the same when their producing subgraphs are the same ops, attributes and
 * constant values down to graph inputs, reading activations only through Shape. Where those Shape
 * leaves read different tensors (layer 3's queries, not layer 0's), the capture keeps the first
 * layer's mask and names the pairs of Shape outputs that must agree; runLazy fetches them (a few
 * int64 each), compares them before any mask is used, and refuses the run (never a wrong mask)
 * if they differ.
 */
import { createHash } from "node:crypto";
import type { GraphIndex } from "../onnx/graphIndex";
import type { CapturePlan } from "./capture";
import { nodeSpecOf, tensorSpecOf } from "./nodeSpecs";

const MAX_NODES = 400;

interface Signature {
  key: string;
  /** The Shape nodes' outputs (small int64 vectors), in the order the walk met them. */
  shapeOf: string[];
}

/** Merges equal side tensors of lazy sites into the first one's value (in place), recomputing the plan's outputs. */
export function shareSides(index: GraphIndex, plan: CapturePlan): void {
  const first = new Map<string, { value: string; shapeOf: string[] }>();
  const memo = new Map<string, Signature | null>();
  for (const c of plan.sites) {
    if (c.mode !== "lazy") continue;
    for (const input of c.inputs ?? []) {
      if (input.role !== "side" || input.constant) continue;
      const sig = signature(index, input.value, memo);
      if (!sig || sig.shapeOf.length === 0) continue; // no Shape leaves: the graph already shares it
      const seen = first.get(sig.key);
      if (!seen) {
        first.set(sig.key, { value: input.value, shapeOf: sig.shapeOf });
        continue;
      }
      if (seen.value === input.value) continue;
      // Differing Shape leaves are fetched (a few int64 each) and compared before the shared mask is trusted.
      const pairs: [string, string][] = [];
      sig.shapeOf.forEach((x, i) => {
        if (x !== seen.shapeOf[i]) pairs.push([x, seen.shapeOf[i]]);
      });
      input.value = seen.value;
      c.sameShapes = [...(c.sameShapes ?? []), ...pairs];
    }
  }
  const outputs = new Set<string>();
  for (const c of plan.sites) {
    if (c.mode !== "lazy") continue;
    for (const i of c.inputs ?? []) if (!i.constant) outputs.add(i.value);
    for (const [a, b] of c.sameShapes ?? []) outputs.add(a).add(b);
  }
  plan.outputs = [...outputs];
}

/** Ops whose output is not a function of their inputs: two of them never give the same values. */
const RANDOM = new Set([
  "RandomNormal",
  "RandomUniform",
  "RandomNormalLike",
  "RandomUniformLike",
  "Multinomial",
  "Dropout",
]);

/** The structure of a value's producing subgraph (null when it reads activations other than through Shape). */
function signature(index: GraphIndex, value: string, memo: Map<string, Signature | null>): Signature | null {
  let count = 0;
  const walk = (v: string): Signature | null => {
    if (memo.has(v)) return memo.get(v) ?? null;
    if (++count > MAX_NODES) return null;
    let sig: Signature | null;
    const constant = index.constant(v);
    const node = index.producer.get(v);
    if (constant && !node) {
      const spec = tensorSpecOf(constant);
      sig = spec ? { key: `const:${spec.dataType}:${spec.dims}:${digest(spec.data)}`, shapeOf: [] } : null;
    } else if (!node) sig = { key: `input:${v}`, shapeOf: [] };
    else if (RANDOM.has(node.opType)) sig = null;
    else if (node.opType === "Shape" && node.domain === "") {
      const spec = nodeSpecOf(node);
      sig = typeof spec === "string" ? null : { key: `Shape${JSON.stringify(spec.attributes)}`, shapeOf: [v] };
    } else {
      const spec = nodeSpecOf(node);
      const parts = typeof spec === "string" ? null : node.inputs.map((i) => (i ? walk(i) : { key: "", shapeOf: [] }));
      sig =
        typeof spec === "string" || !parts || parts.some((p) => !p)
          ? null
          : {
              key: `${node.domain}:${node.opType}#${node.outputs.indexOf(v)}${JSON.stringify(spec.attributes, bigints)}(${(parts as Signature[]).map((p) => p.key).join(",")})`,
              shapeOf: (parts as Signature[]).flatMap((p) => p.shapeOf),
            };
      // Keys grow with the subgraph: hash them so equal masks compare in constant space.
      if (sig) sig = { key: createHash("sha1").update(sig.key).digest("hex"), shapeOf: sig.shapeOf };
    }
    memo.set(v, sig);
    return sig;
  };
  return walk(value);
}

function digest(data: ArrayBufferView): string {
  return createHash("sha1")
    .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    .digest("hex");
}

function bigints(_key: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}
