// Greedy generation with the key/value cache against re-running the prefix at every step (issue 11
// item 5), on optimum's with-past GPT-2 export from the reference harness (refmodels case
// gpt2-kv-long: random weights, 2 layers × 4 heads, 512 positions), CPU provider. Each step of the
// cached path runs one new token and returns [1, H, 1, S] maps; a re-run step runs every token so
// far and returns [1, H, T, T] maps, of which generation keeps only the last row. Both paths
// produce the same ids and the same stitched maps (test/refmodels/kvCache.test.ts); here: median
// wall time of one whole generation, runs interleaved, at two prompt lengths.
// Imports the compiled library: build kernel-lib first; build the case with
// `.venv/bin/python -m refmodels build --only gpt2-kv-long`.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { median, timed } from "./common.mjs";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const MODEL = path.join(here, "..", ".cache", "refmodels", "gpt2-kv-long", "onnx", "model.onnx");
const PROMPTS = [64, 256];
const NEW_TOKENS = 32;
const RUNS = 5;

export default async function run() {
  if (!existsSync(MODEL))
    throw new Error(`${MODEL} is missing: run .venv/bin/python -m refmodels build --only gpt2-kv-long`);
  const lib = require("attnlens");
  const { SingleFileEngine } = require("../kernel-lib/dist/run/engine.js");
  const { greedyCausal } = require("../kernel-lib/dist/run/generate/greedy.js");
  const model = await lib.openModel(MODEL, { providers: ["cpu"] });
  const engine = new SingleFileEngine(model, "decoder", "gpt2-kv-long");
  const rows = [];
  const ratios = [];
  for (const n of PROMPTS) {
    const prompt = Array.from({ length: n }, (_, i) => 3 + ((i * 37) % 117));
    const o = { maxNewTokens: NEW_TOKENS, eos: new Set() };
    const generate = (cache) => greedyCausal(engine, prompt, { ...o, cache });
    const [a, b] = [await generate(true), await generate(false)]; // warm-up, and the agreement check
    if (a.generated.join() !== b.generated.join()) throw new Error(`prompt ${n}: cached and re-run ids differ`);
    const t = { cached: [], rerun: [] };
    for (let i = 0; i < RUNS; i++) {
      t.cached.push(await timed(() => generate(true)));
      t.rerun.push(await timed(() => generate(false)));
    }
    const cached = median(t.cached);
    const rerun = median(t.rerun);
    rows.push({ name: `prompt ${n} + ${NEW_TOKENS} new: with the KV cache`, value: cached, unit: "ms (median)" });
    rows.push({ name: `prompt ${n} + ${NEW_TOKENS} new: re-running the prefix`, value: rerun, unit: "ms (median)" });
    ratios.push({ name: `cached / re-run at prompt ${n}`, value: cached / rerun, target: 1 });
  }
  await model.release();
  return { title: `greedy generation, KV cache vs re-run (GPT-2 with past, CPU, ${RUNS} runs)`, rows, ratios };
}
