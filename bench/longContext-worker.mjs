// Child process for bench/longContext.mjs: one measurement in a fresh process, so its peak RSS is
// its own. argv: <model: bert|llama> <tokens> <mode: plain|exposeQK|lazy> <model.onnx>
// (exposeQK: plain inference and runLazy interleaved in this process, medians of 5). Prints one JSON line:
// {rss (bytes, process peak), steps: {name: ms}, unavailable?: reason}.
import { createRequire } from "node:module";
import { bertFeeds, plainSessionOptions } from "./common.mjs";

const require = createRequire(import.meta.url);
const [which, tokensArg, mode, modelFile] = process.argv.slice(2);
const tokens = Number(tokensArg);
const ort = require("onnxruntime-node");
const testing = require("attnlens/testing");
const attnlens = require("attnlens");

// The parent wrote the model to a file (as a user's model would be): building it costs nothing here.
const feeds = bertFeeds(ort, tokens, which === "llama" ? testing.LLAMA_ATTENTION.vocab : undefined);
const steps = {};
const timedStep = async (name, f) => {
  const t = performance.now();
  const value = await f();
  steps[name] = performance.now() - t;
  return value;
};
const print = (o) =>
  process.stdout.write(`${JSON.stringify({ rss: process.resourceUsage().maxRSS * 1024, steps, ...o })}\n`);

if (mode === "plain") {
  const session = await ort.InferenceSession.create(modelFile, { executionProviders: ["cpu"] });
  await timedStep("inference", () => session.run(feeds));
  print({});
} else {
  // maps: "lazy" (the lazy-maps option): queries and keys are captured instead of the maps.
  const model = await attnlens.openModel(modelFile, { providers: ["cpu"], maps: "lazy" });
  if (typeof model.runLazy !== "function") {
    print({ unavailable: "AttentionModel.runLazy does not exist yet" });
    process.exit(0);
  }
  if (mode === "exposeQK") {
    // Plain inference and runLazy, warmed up, then interleaved: medians of 5 each.
    const plain = await ort.InferenceSession.create(modelFile, plainSessionOptions());
    await plain.run(feeds);
    await (await model.runLazy(feeds)).release();
    const times = { plain: [], lazy: [] };
    for (let i = 0; i < 5; i++) {
      let t = performance.now();
      await plain.run(feeds);
      times.plain.push(performance.now() - t);
      t = performance.now();
      const lazy = await model.runLazy(feeds);
      times.lazy.push(performance.now() - t);
      await lazy.release();
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    steps.inference = median(times.plain);
    steps.runLazy = median(times.lazy);
    print({});
    process.exit(0);
  }
  const lazy = await timedStep("runLazy", () => model.runLazy(feeds));
  if (mode === "lazy") {
    // Metrics for every head, streamed by row blocks (measureSource; measureRows in the brief).
    const measure = attnlens.measureSource ?? attnlens.measureRows;
    if (typeof measure === "function")
      await timedStep("metrics", () => measure(lazy, lazy)); // the lazy result is its own row context
    else steps.metrics = null;
    // Rollout and the zoomable view are part of BERT's target only (the Llama target names metrics
    // and a head's map); rollout streams one layer's head mean at a time, the view is the report's
    // pooled overview plus its zoom tiles within the 20 MB budget.
    if (which === "bert") {
      if (typeof attnlens.rolloutSource === "function")
        await timedStep("rollout", () => attnlens.rolloutSource(lazy, lazy));
      else steps.rollout = null;
      if (typeof attnlens.tiledPayloadFrom === "function")
        await timedStep("zoomable view", () => attnlens.tiledPayloadFrom(lazy, { metrics: false }));
      else steps["zoomable view"] = null;
    }
    const site = lazy.sites[lazy.sites.length - 1].id;
    // One head's whole map on demand, then a 512 × 512 tile of it.
    await timedStep("one head's map", () => lazy.rows(site, 0, [0, tokens], [0]));
    const start = Math.max(0, Math.floor(tokens / 2) - 256);
    const request = { site, batch: 0, head: 0, rows: [start, start + 512], cols: [0, 512] };
    await lazy.tile(request); // the first tile pays for session warm-up; the second (another head) is the figure
    const other = Math.min(1, lazy.sites[lazy.sites.length - 1].dims[1] - 1);
    await timedStep("512 × 512 tile", () => lazy.tile({ ...request, head: other }));
  }
  await lazy.release();
  await model.release();
  print({});
}
