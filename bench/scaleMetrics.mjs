// Metrics at scale (issue 14, items 2 and 5).
// (a) Host-side rollout at 512 tokens against BERT-base-shaped inference (12 layers × 12 heads,
//     hidden 768, random weights made here): rollout(result) of the maps a run exposed, median of
//     RUNS, alternating with plain inference on the same machine; wall and process CPU time (all
//     threads), target ≤ 0.10 of inference on both. Also the WebAssembly path (kernel "wasm").
//     Also: the same metrics streamed from those maps (measureSource over rowSourceOf, 64 MiB
//     blocks) against analyzeResult's pass on the full maps, and rolloutSource against rollout.
// (b) In a child process (scaleMetrics-worker.mjs): every per-head metric and rollout of a
//     BERT-base-shaped map set at 4,096 tokens from a lazily computed RowSource; peak RSS
//     target ≤ 3 GiB. SCALE_ROLLOUT_LAYERS=n rolls out n layers only (the full 12 take minutes:
//     11 products of 4,096² matrices, 0.8 T multiply-adds); SCALE_SKIP_LONG=1 skips (b).
// Imports the compiled library: build kernel-lib first.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { bertFeeds, median, plainSessionOptions, timed } from "./common.mjs";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const RUNS = 5;
const TOKENS = 512;
const LONG = 4096;

export default async function run() {
  const ort = require("onnxruntime-node");
  const { bertLikeModel, BERT_BASE } = require("attnlens/testing");
  const { openModel, rollout, rolloutSource, analyzeResult, measureSource, rowSourceOf } = require("attnlens");
  const bytes = bertLikeModel(BERT_BASE);
  const plain = await ort.InferenceSession.create(bytes, plainSessionOptions());
  const model = await openModel(bytes, { providers: ["cpu"] });
  const feeds = bertFeeds(ort, TOKENS);
  const result = await model.run(feeds);
  await model.release();
  await plain.run(feeds);
  rollout(result);
  rollout(result, { kernel: "wasm" });
  const times = {
    inference: [],
    inferenceCpu: [],
    rollout: [],
    rolloutCpu: [],
    rolloutWasm: [],
    rolloutWasmCpu: [],
    full: [],
    streamed: [],
    streamedRollout: [],
  };
  // wall and process CPU time (all threads, user + system) of one call; the pause first lets the
  // previous call's onnxruntime pool threads stop spinning, so their CPU time is not charged here
  // (it is charged to no one: inference's CPU time is, if anything, under-counted)
  const both = async (f, wall, cpu) => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const start = process.cpuUsage();
    wall.push(await timed(f));
    const used = process.cpuUsage(start);
    cpu.push((used.user + used.system) / 1000);
  };
  for (let i = 0; i < RUNS; i++) {
    // inference and rollout alternate, so the load of a shared machine hits both alike
    await both(() => plain.run(feeds), times.inference, times.inferenceCpu);
    await both(() => rollout(result), times.rollout, times.rolloutCpu);
    await both(() => rollout(result, { kernel: "wasm" }), times.rolloutWasm, times.rolloutWasmCpu);
    times.full.push(await timed(() => analyzeResult(result)));
    times.streamed.push(await timed(() => measureSource(rowSourceOf(result), result)));
    times.streamedRollout.push(await timed(() => rolloutSource(rowSourceOf(result), result)));
  }
  await plain.release();
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  const rows = [
    { name: `${TOKENS} tokens: plain inference`, value: m.inference, unit: "ms (median)" },
    { name: `${TOKENS} tokens: plain inference, CPU time`, value: m.inferenceCpu, unit: "ms (median)" },
    {
      name: `${TOKENS} tokens: host rollout (12 layers, onnxruntime host path)`,
      value: m.rollout,
      unit: "ms (median)",
    },
    { name: `${TOKENS} tokens: host rollout, CPU time`, value: m.rolloutCpu, unit: "ms (median)" },
    {
      name: `${TOKENS} tokens: host rollout, WebAssembly path (kernel "wasm")`,
      value: m.rolloutWasm,
      unit: "ms (median)",
    },
    {
      name: `${TOKENS} tokens: host rollout, WebAssembly path, CPU time`,
      value: m.rolloutWasmCpu,
      unit: "ms (median)",
    },
    { name: `${TOKENS} tokens: rolloutSource (streamed)`, value: m.streamedRollout, unit: "ms (median)" },
    { name: `${TOKENS} tokens: analyzeResult (full maps)`, value: m.full, unit: "ms (median)" },
    { name: `${TOKENS} tokens: measureSource (streamed)`, value: m.streamed, unit: "ms (median)" },
  ];
  const ratios = [
    { name: `host rollout / inference at ${TOKENS} tokens (wall)`, value: m.rollout / m.inference, target: 0.1 },
    {
      name: `host rollout / inference at ${TOKENS} tokens (CPU time)`,
      value: m.rolloutCpu / m.inferenceCpu,
      target: 0.1,
    },
    { name: `streamed / full metrics at ${TOKENS} tokens`, value: m.streamed / m.full },
  ];
  if (process.env.SCALE_SKIP_LONG === "1") {
    return {
      title: "Metrics at scale: host rollout, streamed metrics (BERT-base shape, CPU; 4,096 tokens skipped)",
      rows,
      ratios,
    };
  }
  const layers = Number(process.env.SCALE_ROLLOUT_LAYERS ?? 12);
  const child = spawnSync(
    process.execPath,
    [path.join(here, "scaleMetrics-worker.mjs"), String(LONG), String(layers)],
    {
      encoding: "utf8",
    },
  );
  if (child.status !== 0) throw new Error(`scaleMetrics-worker failed: ${child.stderr}`);
  const long = JSON.parse(child.stdout.trim());
  rows.push(
    { name: `${LONG} tokens: every per-head metric, streamed`, value: long.metricsMs / 1000, unit: "s" },
    { name: `${LONG} tokens: rollout of ${layers} layers, streamed`, value: long.rolloutMs / 1000, unit: "s" },
    { name: `${LONG} tokens: peak RSS`, value: long.rss / 2 ** 20, unit: "MiB" },
  );
  ratios.push({ name: `peak RSS at ${LONG} tokens / 3 GiB`, value: long.rss / 3 / 2 ** 30, target: 1 });
  return { title: "Metrics at scale: host rollout, streamed metrics (BERT-base shape, CPU)", rows, ratios };
}
