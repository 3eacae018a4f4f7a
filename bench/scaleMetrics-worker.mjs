// Child process for bench/scaleMetrics.mjs: every per-head metric (measureSource) and rollout
// (rolloutSource) of a BERT-base-shaped map set (12 layers × 12 heads) at `tokens` tokens, read
// from a lazily computed RowSource: no map is ever held whole (12 × 12 × 4,096² float32 would be
// 9.7 GB). Prints {metricsMs, rolloutMs, rss} as JSON; rss is the process's peak RSS in bytes.
//
// Row i of head (l, h) is a fixed template shifted to the diagonal, tmpl[j − i + T − 1], divided
// by its sum: peaked near the diagonal with seeded noise, a different template per head, and a
// block is a copy and a scale per row (the source costs about what copying the maps would).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { measureSource, rolloutSource } = require("attnlens");
const { seededRandom } = require("attnlens/testing");

const T = Number(process.argv[2] ?? 4096);
const rolloutLayers = Number(process.argv[3] ?? 12);
const L = 12;
const H = 12;

function templates(seed) {
  const rand = seededRandom(seed);
  return Array.from({ length: L * H }, (_, k) => {
    const width = 2 + (k % 7) * 3;
    const tmpl = new Float32Array(2 * T - 1);
    for (let d = 0; d < tmpl.length; d++) tmpl[d] = Math.exp(-Math.abs(d - T + 1) / width) + 0.01 * rand();
    tmpl[0] += 1; // weight on token 0 for every row near the end: a sink-like column
    const prefix = new Float64Array(tmpl.length + 1);
    for (let d = 0; d < tmpl.length; d++) prefix[d + 1] = prefix[d] + tmpl[d];
    return { tmpl, prefix };
  });
}

const heads = templates(7);
const sites = Array.from({ length: L }, (_, l) => ({
  id: `encoder.self.${l}`,
  stack: "encoder",
  kind: "self",
  layer: l,
  heads: H,
  causal: false,
  node: `/encoder/layer.${l}/attention/Softmax`,
  dims: [1, H, T, T],
  mode: "lazy",
  bytes: 0,
}));

const source = {
  sites,
  async rows(id, batch, [r0, r1]) {
    const l = Number(id.split(".")[2]);
    const R = r1 - r0;
    const data = new Float32Array(H * R * T);
    for (let h = 0; h < H; h++) {
      const { tmpl, prefix } = heads[l * H + h];
      for (let i = r0; i < r1; i++) {
        const from = T - 1 - i;
        const scale = 1 / (prefix[from + T] - prefix[from]);
        const out = (h * R + i - r0) * T;
        for (let j = 0; j < T; j++) data[out + j] = tmpl[from + j] * scale;
      }
    }
    return { site: id, batch, rows: [r0, r1], heads: [...Array(H).keys()], data, dims: [1, H, R, T] };
  },
  async tile() {
    throw new Error("not used");
  },
};

// The context model.run(text) builds: mask, ids, tokens with [CLS] … [SEP], segments.
const ids = Int32Array.from({ length: T }, (_, i) => (i === 0 ? 101 : i === T - 1 ? 102 : 1000 + ((i * 7919) % 29000)));
const text = (id) => (id === 101 ? "[CLS]" : id === 102 ? "[SEP]" : id % 11 === 0 ? "." : `w${id}`);
const context = {
  masks: { encoder: { data: new Uint8Array(T).fill(1), dims: [1, T] } },
  inputIds: { encoder: [ids] },
  segments: { encoder: [new Int32Array(T)] },
  tokens: {
    source: [Array.from(ids, (id, i) => ({ id, text: text(id), word: i, special: id === 101 || id === 102 }))],
  },
};

let t = performance.now();
const metrics = await measureSource(source, context);
const metricsMs = performance.now() - t;
if (metrics.sites.length !== L) throw new Error("measureSource: wrong site count");
t = performance.now();
await rolloutSource(source, context, { toLayer: rolloutLayers - 1 });
const rolloutMs = performance.now() - t;
process.stdout.write(`${JSON.stringify({ metricsMs, rolloutMs, rss: process.resourceUsage().maxRSS * 1024 })}\n`);
