// Lazy maps (issue 14) on the BERT-base-shaped model: the cost of exposing queries, keys and masks
// instead of the maps (runLazy vs plain onnxruntime, same model bytes, alternating runs, one
// onnxruntime thread each; the ratio is of process CPU time, which other jobs on a shared machine
// disturb less than wall time), and at 4,096 tokens the bytes held against the full maps' and the
// time of an exact 512 × 512 tile.
import { createRequire } from "node:module";
import { bertFeeds, median, plainSessionOptions, timed } from "./common.mjs";

const require = createRequire(import.meta.url);
const RUNS = { 128: 9, 512: 5 };
const LONG = 4096;

/** Process CPU time (all threads) and wall time of `await f()`, in ms. */
async function cpuTimed(f) {
  const cpu = process.cpuUsage();
  const wall = await timed(f);
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / 1000, wall };
}

export default async function run() {
  const ort = require("onnxruntime-node");
  const { bertLikeModel, BERT_BASE } = require("attnlens/testing");
  const { openModel } = require("attnlens");
  const bytes = bertLikeModel({ ...BERT_BASE, maxPositions: LONG });
  const single = { intraOpNumThreads: 1, interOpNumThreads: 1 };
  const plain = await ort.InferenceSession.create(bytes, plainSessionOptions(single));
  const lazyOne = await openModel(bytes, { providers: ["cpu"], maps: "lazy", sessionOptions: single });
  const rows = [];
  const ratios = [];
  for (const tokens of [128, 512]) {
    const feeds = bertFeeds(ort, tokens);
    await plain.run(feeds);
    await (await lazyOne.runLazy(feeds)).release();
    const a = [];
    const b = [];
    for (let i = 0; i < RUNS[tokens]; i++) {
      a.push(await cpuTimed(() => plain.run(feeds)));
      b.push(await cpuTimed(async () => (await lazyOne.runLazy(feeds)).release()));
    }
    const [ca, cb] = [median(a.map((x) => x.cpu)), median(b.map((x) => x.cpu))];
    rows.push({ name: `${tokens} tokens: plain inference, 1 thread`, value: ca, unit: "ms CPU (median)" });
    rows.push({ name: `${tokens} tokens: runLazy (Q, K, mask to host), 1 thread`, value: cb, unit: "ms CPU (median)" });
    ratios.push({ name: `runLazy/plain at ${tokens} tokens (CPU time)`, value: cb / ca, target: 1.05 });
    const [wa, wb] = [median(a.map((x) => x.wall)), median(b.map((x) => x.wall))];
    ratios.push({ name: `runLazy/plain at ${tokens} tokens (wall time)`, value: wb / wa, target: null });
  }
  await plain.release();
  await lazyOne.release();
  const model = await openModel(bytes, { providers: ["cpu"], maps: "lazy" });
  const feeds = bertFeeds(ort, LONG);
  let result;
  const runMs = await timed(async () => {
    result = await model.runLazy(feeds);
  });
  rows.push({ name: `${LONG} tokens: runLazy`, value: runMs, unit: "ms" });
  rows.push({ name: `${LONG} tokens: bytes held (Q, K, mask)`, value: result.bytes / 2 ** 20, unit: "MiB" });
  rows.push({ name: `${LONG} tokens: full maps would be`, value: result.fullBytes / 2 ** 20, unit: "MiB" });
  const site = result.sites[5].id;
  const tiles = [];
  for (const [head, r0, c0] of [
    [0, 0, 0],
    [3, 1024, 2048],
    [7, 3584, 512],
    [11, 2048, 3584],
    [5, 512, 1024],
  ]) {
    tiles.push(await timed(() => result.tile({ site, batch: 0, head, rows: [r0, r0 + 512], cols: [c0, c0 + 512] })));
  }
  // The first tile also creates the replay session: report both.
  rows.push({ name: "512 × 512 tile, first (creates the replay session)", value: tiles[0], unit: "ms" });
  rows.push({ name: "512 × 512 tile", value: median(tiles.slice(1)), unit: "ms (median of 4)" });
  ratios.push({ name: "512 × 512 tile / 50 ms", value: median(tiles.slice(1)) / 50, target: 1 });
  ratios.push({ name: `held/full bytes at ${LONG} tokens`, value: result.bytes / result.fullBytes, target: null });
  await result.release();
  await model.release();
  return { title: "Lazy maps: BERT-base shape, CPU", rows, ratios };
}
