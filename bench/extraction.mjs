// Extraction cost on a BERT-base-shaped model (12 layers × 12 heads, hidden 768, random weights
// made here, not committed): plain inference vs. inference with all 144 maps exposed and copied
// to the host, at 128 and 512 tokens. Runs alternate between the two sessions so machine noise
// hits both alike; peak RSS is measured in separate processes. Also: model.run with `reuse` (each
// run writes into the previous result's buffers: no fresh pages for the maps).
// Targets (issue 14): exposed/plain ≤ 1.05 at 128 tokens, ≤ 1.15 at 512, on the default path.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { bertFeeds, median, timed } from "./common.mjs";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const RUNS = { 128: 9, 512: 7 };
const TARGET = { 128: 1.05, 512: 1.15 };

export default async function run() {
  const ort = require("onnxruntime-node");
  const { bertLikeModel, BERT_BASE } = require("attnlens/testing");
  const { openModel } = require("attnlens");
  const bytes = bertLikeModel(BERT_BASE);
  const plain = await ort.InferenceSession.create(bytes, { executionProviders: ["cpu"] });
  const model = await openModel(bytes, { providers: ["cpu"] });
  const rows = [];
  const ratios = [];
  for (const tokens of [128, 512]) {
    const feeds = bertFeeds(ort, tokens);
    await plain.run(feeds);
    await model.run(feeds);
    let previous = await model.run(feeds);
    const a = [];
    const b = [];
    const c = [];
    for (let i = 0; i < RUNS[tokens]; i++) {
      a.push(await timed(() => plain.run(feeds)));
      b.push(await timed(() => model.run(feeds)));
      c.push(await timed(async () => (previous = await model.run(feeds, { reuse: previous }))));
    }
    const ma = median(a);
    const mb = median(b);
    const mc = median(c);
    rows.push({ name: `${tokens} tokens: plain inference`, value: ma, unit: "ms (median)" });
    rows.push({ name: `${tokens} tokens: + 144 maps to host`, value: mb, unit: "ms (median)" });
    rows.push({
      name: `${tokens} tokens: + 144 maps into the previous result's buffers`,
      value: mc,
      unit: "ms (median)",
    });
    ratios.push({ name: `exposed/plain at ${tokens} tokens`, value: mb / ma, target: TARGET[tokens] });
    ratios.push({ name: `exposed with reuse/plain at ${tokens} tokens`, value: mc / ma, target: null });
    previous = undefined;
  }
  await plain.release();
  await model.release();
  for (const mode of ["plain", "exposed"]) {
    const r = spawnSync(process.execPath, [path.join(here, "extraction-worker.mjs"), mode, "512"], {
      encoding: "utf8",
    });
    const rss = Number(r.stdout.trim());
    rows.push({ name: `peak RSS, ${mode}, 512 tokens`, value: rss / 2 ** 20, unit: "MiB" });
  }
  return { title: "Extraction: BERT-base shape, CPU", rows, ratios };
}
