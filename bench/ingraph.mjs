// In-graph metrics (issue 3 item 7) on the BERT-base-shaped model (12 layers × 12 heads, random
// weights made here) at 512 tokens, CPU provider: `measure()` — per-row metrics, per-head means
// and rollout computed by appended ONNX subgraphs, only small tensors fetched — against `run()`
// (all 144 maps, 151 MB, copied to the host) followed by the TypeScript analyzeResult (+ rollout).
// Both sessions built from the same bytes; runs interleaved, median of RUNS. Also: the bytes that
// cross to the host, what the opt-in subgraphs add to a plain `run()`, and the largest |Δ| between
// the two at this length (float32 sums over 512 sources in the graph, float64 in the reference).
// Targets: on the CPU provider the graph's ~11 memory-bound passes per site (and a Log per
// weight) cost about what the host's single-pass scan does, so time parity (≤ 1.2) is the target;
// the gain is the bytes (≤ 5 %), the rollout (batched MatMul instead of JS loops), and on GPU
// providers the 151 MB that never cross the bus.
// Imports the compiled library: build kernel-lib first.
import { createRequire } from "node:module";
import { bertFeeds, median, timed } from "./common.mjs";

const require = createRequire(import.meta.url);
const TOKENS = 512;
const RUNS = 5;

export default async function run() {
  const ort = require("onnxruntime-node");
  const lib = require("attnlens");
  const { bertLikeModel, BERT_BASE } = require("attnlens/testing");
  const bytes = bertLikeModel(BERT_BASE);
  const plain = await lib.openModel(bytes, { providers: ["cpu"] });
  const inGraph = await lib.openModel(bytes, { providers: ["cpu"], inGraphMetrics: true });
  const feeds = bertFeeds(ort, TOKENS);

  const hostPath = async (withRollout) => {
    const result = await plain.run(feeds);
    const metrics = lib.analyzeResult(result);
    const r = withRollout ? lib.rollout(result, { stack: "encoder" }) : null;
    return { result, metrics, rollout: r };
  };
  // Warm-up, and the agreement check at this length.
  const host = await hostPath(true);
  const measured = await inGraph.measure(feeds, { rollout: true });
  const agreement = lib.metricsAgreement(measured, host.metrics);
  const rolloutAgreement = lib.rolloutAgreement(measured.rollout.encoder, host.rollout);
  await inGraph.run(feeds);

  const t = { host: [], hostRollout: [], measure: [], measureRollout: [], plainRun: [], inGraphRun: [] };
  for (let i = 0; i < RUNS; i++) {
    t.host.push(await timed(() => hostPath(false)));
    t.measure.push(await timed(() => inGraph.measure(feeds)));
    t.hostRollout.push(await timed(() => hostPath(true)));
    t.measureRollout.push(await timed(() => inGraph.measure(feeds, { rollout: true })));
    t.plainRun.push(await timed(() => plain.run(feeds)));
    t.inGraphRun.push(await timed(() => inGraph.run(feeds)));
  }
  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
  const mapBytes = host.result.sites.reduce((n, s) => n + s.data.byteLength, 0);
  const outputBytes = Object.values(host.result.outputs).reduce((n, o) => n + o.data.byteLength, 0);
  const hostBytes = mapBytes + outputBytes;
  const headsOnly = await inGraph.measure(feeds, { rows: false });
  await plain.release();
  await inGraph.release();
  const mib = (b) => b / 2 ** 20;
  const rows = [
    { name: "run() + analyzeResult", value: m.host, unit: "ms (median)" },
    { name: "measure()", value: m.measure, unit: "ms (median)" },
    { name: "run() + analyzeResult + rollout", value: m.hostRollout, unit: "ms (median)" },
    { name: "measure({ rollout: true })", value: m.measureRollout, unit: "ms (median)" },
    { name: "run(), plain session", value: m.plainRun, unit: "ms (median)" },
    { name: "run(), session with metric subgraphs", value: m.inGraphRun, unit: "ms (median)" },
    { name: "to host: run() (maps + model output)", value: mib(hostBytes), unit: "MiB" },
    { name: "to host: measure()", value: mib(measured.transfer.bytes - rolloutBytes(measured)), unit: "MiB" },
    { name: "to host: measure({ rollout: true })", value: mib(measured.transfer.bytes), unit: "MiB" },
    { name: "to host: measure({ rows: false })", value: headsOnly.transfer.bytes / 1024, unit: "KiB" },
    {
      name: "max |Δ| vs reference, row metrics",
      value: agreement.maxDiff,
      unit: `(${agreement.mismatches.length} NaN mismatches)`,
    },
    { name: "max |Δ| / max(1, |ref|), row metrics", value: agreement.maxRelative, unit: "" },
    { name: "max |Δ| vs reference, rollout", value: rolloutAgreement.maxDiff, unit: "" },
  ];
  const ratios = [
    { name: "measure / (run + analyzeResult) time", value: m.measure / m.host, target: 1.2 },
    { name: "measure / (run + analyzeResult + rollout) time", value: m.measureRollout / m.hostRollout, target: 1 },
    { name: "measure / run bytes to host", value: measured.transfer.bytes / hostBytes, target: 0.05 },
  ];
  return { title: `In-graph metrics: BERT-base shape, ${TOKENS} tokens, CPU`, rows, ratios };
}

function rolloutBytes(measured) {
  return measured.rollout?.encoder ? measured.rollout.encoder.data.byteLength : 0;
}
