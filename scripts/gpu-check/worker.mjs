// One benchmark on one execution provider, in its own process (scripts/gpu-check/bench.mjs starts
// it with a time limit, so a provider that hangs or aborts costs one row, not the check).
//
//   node worker.mjs <app-dir> <provider> <extraction|ingraph> <tokens,…> <reps> <layers>
//
// <app-dir> holds node_modules/attnlens (the bundle's app/, or the repository root). Prints one JSON
// object per line on stdout: {"kind":"row", …} per token count as soon as it is measured, then
// {"kind":"done"}; {"kind":"stage"} lines say how far it got; a failure prints
// {"kind":"error","reason":…} and exits 1. The model is made here (BERT-base shape, seeded random
// weights), never shipped.
import { createRequire } from "node:module";
import * as path from "node:path";
import { bertFeeds, median, timed } from "../../bench/common.mjs";

const [appDir, provider, bench, tokensArg, repsArg, layersArg] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(appDir), "package.json"));
const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
/** Where the worker is, so a part stopped at its time limit says how far it got. */
const stage = (what) => emit({ kind: "stage", what });

try {
  const ort = require("onnxruntime-node");
  const lib = require("attnlens");
  const { bertLikeModel, BERT_BASE } = require("attnlens/testing");
  const shape = { ...BERT_BASE, layers: Number(layersArg) };
  stage("building the model");
  const bytes = bertLikeModel(shape);
  const tokens = tokensArg.split(",").map(Number);
  const reps = Number(repsArg);
  const common = { provider, bench, layers: shape.layers, heads: shape.heads };
  if (bench === "extraction") await extraction(ort, lib, bytes, tokens, reps, common);
  else if (bench === "ingraph") await inGraph(ort, lib, bytes, tokens, reps, common);
  else throw new Error(`unknown benchmark "${bench}" (extraction or ingraph)`);
  emit({ kind: "done" });
} catch (e) {
  emit({ kind: "error", provider, bench, reason: oneLine(e) });
  process.exitCode = 1;
}

/**
 * Plain inference against inference with every map exposed and copied to the host, same provider;
 * and analyzeResult (metrics and pattern labels, on the CPU) on each run's maps against plain inference.
 */
async function extraction(ort, lib, bytes, tokens, reps, common) {
  stage("creating sessions");
  let t0 = performance.now();
  // Strict: only the provider under test, so a failure is this row's reason, not a silent CPU run.
  const plain = await ort.InferenceSession.create(bytes, { executionProviders: [provider], logSeverityLevel: 4 });
  const model = await lib.openModel(bytes, { providers: [provider] });
  const startS = (performance.now() - t0) / 1000;
  stage(`sessions ready in ${startS.toFixed(1)} s`);
  for (const T of tokens) {
    const feeds = bertFeeds(ort, T);
    stage(`first runs at ${T} tokens`);
    t0 = performance.now();
    await plain.run(feeds);
    const first = await model.run(feeds);
    const firstS = (performance.now() - t0) / 1000;
    stage(`timing ${reps} runs at ${T} tokens (first run ${firstS.toFixed(1)} s)`);
    const a = [];
    const b = [];
    const c = [];
    for (let i = 0; i < reps; i++) {
      // Interleaved, so machine noise hits both alike.
      a.push(await timed(() => plain.run(feeds)));
      let result;
      b.push(await timed(async () => (result = await model.run(feeds))));
      // Issue 12's figure: the analysis of the maps just extracted, on this machine's CPU cores.
      c.push(await timed(() => lib.analyzeResult(result)));
    }
    const mapBytes = first.sites.reduce((n, s) => n + s.data.byteLength, 0);
    emit({
      kind: "row",
      ...common,
      tokens: T,
      ran: first.provider,
      fallbacks: first.fallbacks,
      sessionStartS: startS,
      firstRunS: firstS,
      plainMs: median(a),
      exposedMs: median(b),
      ratio: median(b) / median(a),
      analyzeMs: median(c),
      analysisShare: median(c) / median(a),
      maps: first.sites.length,
      mapMiB: mapBytes / 2 ** 20,
      reps,
    });
  }
  await plain.release();
  await model.release();
}

/** `measure()` (metrics and rollout computed in the graph) against `run()` + host `analyzeResult`. */
async function inGraph(ort, lib, bytes, tokens, reps, common) {
  stage("creating sessions");
  let t0 = performance.now();
  const maps = await lib.openModel(bytes, { providers: [provider] });
  const graph = await lib.openModel(bytes, { providers: [provider], inGraphMetrics: true });
  const startS = (performance.now() - t0) / 1000;
  stage(`sessions ready in ${startS.toFixed(1)} s`);
  for (const T of tokens) {
    const feeds = bertFeeds(ort, T);
    stage(`first runs at ${T} tokens`);
    t0 = performance.now();
    const result = await maps.run(feeds);
    const host = lib.analyzeResult(result);
    const measured = await graph.measure(feeds, { rollout: true });
    const firstS = (performance.now() - t0) / 1000;
    stage(`timing ${reps} runs at ${T} tokens (first runs ${firstS.toFixed(1)} s)`);
    const agreement = lib.metricsAgreement(measured, host);
    const mapBytes = result.sites.reduce((n, s) => n + s.data.byteLength, 0);
    const t = { host: [], measure: [], measureRollout: [] };
    for (let i = 0; i < reps; i++) {
      t.host.push(await timed(async () => lib.analyzeResult(await maps.run(feeds))));
      t.measure.push(await timed(() => graph.measure(feeds)));
      t.measureRollout.push(await timed(() => graph.measure(feeds, { rollout: true })));
    }
    emit({
      kind: "row",
      ...common,
      tokens: T,
      ran: measured.provider,
      fallbacks: measured.fallbacks,
      sessionStartS: startS,
      firstRunS: firstS,
      hostMs: median(t.host),
      measureMs: median(t.measure),
      measureRolloutMs: median(t.measureRollout),
      ratio: median(t.measure) / median(t.host),
      toHostMiB: measured.transfer.bytes / 2 ** 20,
      mapMiB: mapBytes / 2 ** 20,
      maxDiff: agreement.maxDiff,
      nanMismatches: agreement.mismatches.length,
      reps,
    });
  }
  await maps.release();
  await graph.release();
}

/** The error on one line, without onnxruntime's source locations or attnlens's advice to add "cpu". */
function oneLine(e) {
  return (e instanceof Error ? e.message : String(e))
    .replace(/\s+/g, " ")
    .replace(/^no execution provider could run this model: \w+: /, "")
    .replace(/ add "cpu" to the providers list.*$/, "")
    .replace(/\/onnxruntime_src\/\S+ .*? was false\. /, "")
    .trim()
    .slice(0, 400);
}
