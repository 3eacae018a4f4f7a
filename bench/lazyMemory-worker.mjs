// Child process for bench/lazyMemory.mjs: one lazy run (runLazy, then one 512 × 512 tile) and its
// peak RSS (VmHWM of /proc/self/status), in a process of its own so nothing else counts.
//   node lazyMemory-worker.mjs bert <model.onnx> <tokens>   BERT-base shape, all-ones mask
//   node lazyMemory-worker.mjs llama <layers> <tokens>      fused GroupQueryAttention layers, 32 query
//                                                           heads, 8 KV heads, head size 128
// Prints {runMs, held, full, rss} as JSON (bytes and ms).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const require = createRequire(import.meta.url);
const ort = require("onnxruntime-node");
const { openModel } = require("attnlens");
// The model writer is not public: read it from the build beside the package's entry.
const { encodeModel } = require(path.join(path.dirname(require.resolve("attnlens")), "graph/onnx/encode.js"));

const [shape, arg, tokens] = process.argv.slice(2);
const T = Number(tokens);
const FLOAT = 1;
const INT32 = 6;

function noise(n, seed) {
  const a = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    a[i] = x / 2147483648 - 0.5;
  }
  return a;
}

/** Llama-shaped attention: each layer's output is the next layer's query; one set of sequence lengths. */
function llamaAttention(layers) {
  const [N, KV, HS] = [32, 8, 128];
  const nodes = [];
  let q = "q";
  for (let l = 0; l < layers; l++) {
    nodes.push({
      name: `layer${l}/gqa`,
      opType: "GroupQueryAttention",
      domain: "com.microsoft",
      inputs: [q, "k", "v", "", "", "seqlens_k", "total"],
      outputs: [`out${l}`, `present_k${l}`, `present_v${l}`],
      attributes: { num_heads: { i: N }, kv_num_heads: { i: KV } },
    });
    q = `out${l}`;
  }
  const input = (name, elemType, dims) => ({ name, elemType, shape: dims });
  const bytes = encodeModel(
    {
      name: "llama_attention",
      nodes,
      inputs: [
        input("q", FLOAT, [1, "s", N * HS]),
        input("k", FLOAT, [1, "s", KV * HS]),
        input("v", FLOAT, [1, "s", KV * HS]),
        input("seqlens_k", INT32, [1]),
        input("total", INT32, [1]),
      ],
      outputs: [{ name: q, elemType: FLOAT }],
      initializers: [],
    },
    { "": 17, "com.microsoft": 1 },
  );
  const feeds = {
    q: new ort.Tensor("float32", noise(T * N * HS, 1), [1, T, N * HS]),
    k: new ort.Tensor("float32", noise(T * KV * HS, 2), [1, T, KV * HS]),
    v: new ort.Tensor("float32", noise(T * KV * HS, 3), [1, T, KV * HS]),
    seqlens_k: new ort.Tensor("int32", Int32Array.of(T - 1), [1]),
    total: new ort.Tensor("int32", Int32Array.of(T), [1]),
  };
  return { bytes, feeds };
}

function bertFeeds() {
  const ids = BigInt64Array.from({ length: T }, (_, i) => BigInt(101 + ((i * 7919) % 29000)));
  return {
    input_ids: new ort.Tensor("int64", ids, [1, T]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(T).fill(1n), [1, T]),
  };
}

const { bytes, feeds } = shape === "llama" ? llamaAttention(Number(arg)) : { bytes: arg, feeds: bertFeeds() };
const model = await openModel(bytes, { providers: ["cpu"], maps: "lazy" });
const start = Date.now();
const result = await model.runLazy(feeds);
const runMs = Date.now() - start;
const site = result.sites[result.sites.length - 1].id;
await result.tile({ site, batch: 0, head: 5, rows: [T - 512, T], cols: [0, 512] });
const rss = Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))[1]) * 1024;
console.log(JSON.stringify({ runMs, held: result.bytes, full: result.fullBytes, rss }));
