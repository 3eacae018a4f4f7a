// Where analyzeResult's time goes (the profile behind issue 12's figure, see analysisShare.mjs):
// on the same 144 maps of the BERT-base shape, each stage of analyzeResult timed on its own, per
// site, medians over runs, next to the model's plain inference: the metric pass (the default row
// kernel + checks, and each kernel on one thread), the head means, the pattern evidence pass, the labels with their bootstrap, and
// the mixture fit (every head over all templates, patterns/mixture/; analyzeResult runs it inside
// classifyHead, timed apart here). Beside them, the floor of the WebAssembly metric pass on this machine: the
// copy of every map into the row kernel's memory (WebAssembly reads only its own memory, and
// onnxruntime-node cannot write its outputs into shared memory) and the row kernel alone on the
// rows just copied, each timed on its own on one thread.
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { bertFeeds, median, plainSessionOptions, timed } from "./common.mjs";

const require = createRequire(import.meta.url);
const DIST = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "kernel-lib", "dist", "analysis");
const RUNS = { 128: 9, 512: 5 };
const WINDOW_MAX = 16;

export default async function run() {
  const ort = require("onnxruntime-node");
  const { bertLikeModel, BERT_BASE, defaultKernel } = require("attnlens/testing");
  const { openModel } = require("attnlens");
  const { siteGeometry } = require(path.join(DIST, "metrics", "geometry.js"));
  const { scanSite } = require(path.join(DIST, "metrics", "scan.js"));
  const { summarizeHeads } = require(path.join(DIST, "metrics", "headMetrics.js"));
  const { headEvidence } = require(path.join(DIST, "patterns", "evidence.js"));
  const { classifyHead, labelHead, mixtureRequest } = require(path.join(DIST, "patterns", "classify.js"));
  const { SiteMixtures } = require(path.join(DIST, "patterns", "mixture", "fitMixture.js"));
  const { mixtureComponents } = require(path.join(DIST, "patterns", "mixture", "components.js"));
  const { CHUNK_BYTES } = require(path.join(DIST, "metrics", "rowAccumulators.js"));
  const { wasmRowKernel } = require(path.join(DIST, "metrics", "wasm", "kernel.js"));
  const { sampleTables } = require(path.join(DIST, "metrics", "wasm", "pieces.js"));
  const bytes = bertLikeModel(BERT_BASE);
  const plain = await ort.InferenceSession.create(bytes, plainSessionOptions());
  const model = await openModel(bytes, { providers: ["cpu"] });
  const rows = [];
  // analyzeResult's evidence buffer, reused from site to site (patterns/headPatterns.ts).
  const room = { buffer: null };
  let sink = 0;
  for (const tokens of [128, 512]) {
    const feeds = bertFeeds(ort, tokens);
    const result = await model.run(feeds);
    await plain.run(feeds);
    const t = {
      inference: [],
      "metric pass (scanSite, default kernel and threads)": [],
      "metric pass, native kernel, one thread": [],
      "metric pass, WebAssembly kernel, one thread": [],
      "head means": [],
      "pattern evidence": [],
      "labels + bootstrap": [],
      "mixture fit": [],
      "floor: every map copied into the row kernel's memory": [],
      "floor: the row kernel alone, on the rows just copied": [],
    };
    for (let r = 0; r <= RUNS[tokens]; r++) {
      const part = {
        scan: 0,
        native: 0,
        oneThread: 0,
        heads: 0,
        evidence: 0,
        labels: 0,
        mixture: 0,
        copy: 0,
        kernel: 0,
      };
      // The metric pass of every site first, back to back, as analyzeResult runs it: with the
      // default threads (the machine's cores) and on one thread, first by turns (the second
      // reads maps the first left in cache).
      const geos = result.sites.map((site) => siteGeometry(result, site, {}));
      let scans;
      const oneThread = (kernel) =>
        timed(() =>
          result.sites.forEach(
            (site, k) => (sink += scanSite(site, geos[k], 1e-3, WINDOW_MAX, kernel, 1).windowWidths),
          ),
        );
      const one = async () => {
        if (defaultKernel() === "native") part.native += await oneThread("native");
        part.oneThread += await oneThread("wasm");
      };
      if (r % 2 === 1) await one();
      part.scan += await timed(
        () => (scans = result.sites.map((site, k) => scanSite(site, geos[k], 1e-3, WINDOW_MAX))),
      );
      if (r % 2 === 0) await one();
      for (const [k, site] of result.sites.entries()) {
        let ev;
        const geo = geos[k];
        const scan = scans[k];
        part.heads += await timed(() => (sink += summarizeHeads(scan.rows, site.dims).length));
        part.evidence += await timed(() => (ev = headEvidence(site, geo, scan, room)));
        part.labels += await timed(() => ev.forEach((e, h) => (sink += classifyHead(h, e).support)));
        const requests = ev.map((e) => mixtureRequest(e, labelHead(e)));
        part.mixture += await timed(() => {
          const mixtures = new SiteMixtures(site, geo, scan);
          requests.forEach((q, h) => (sink += mixtureComponents(mixtures.fit(h, q)).length));
        });
      }
      floorParts(result, geos, part);
      const inference = await timed(() => plain.run(feeds));
      if (r === 0) {
        await new Promise((resolve) => setTimeout(resolve, 300)); // warm-up; the metric pass's workers ready
        continue;
      }
      t.inference.push(inference);
      t["metric pass (scanSite, default kernel and threads)"].push(part.scan);
      if (defaultKernel() === "native") t["metric pass, native kernel, one thread"].push(part.native);
      t["metric pass, WebAssembly kernel, one thread"].push(part.oneThread);
      t["head means"].push(part.heads);
      t["pattern evidence"].push(part.evidence);
      t["labels + bootstrap"].push(part.labels);
      t["mixture fit"].push(part.mixture);
      t["floor: every map copied into the row kernel's memory"].push(part.copy);
      t["floor: the row kernel alone, on the rows just copied"].push(part.kernel);
    }
    const mi = median(t.inference);
    for (const [name, v] of Object.entries(t)) {
      if (v.length === 0) continue; // no native kernel here
      const m = median(v);
      rows.push({
        name: `${tokens} tokens: ${name}`,
        value: m,
        unit: name === "inference" ? "ms" : `ms (${((100 * m) / mi).toFixed(1)} % of inference)`,
      });
    }
  }
  await plain.release();
  await model.release();

  /** The copy and the kernel of a one-thread metric pass over every map (site k's geometry geos[k]), timed apart, added into `part`. */
  function floorParts(result, geos, part) {
    const wasm = wasmRowKernel();
    const ns = () => process.hrtime.bigint();
    for (const [k, site] of result.sites.entries()) {
      const geo = geos[k];
      const [, H, T, S] = geo.dims;
      const chunk = Math.max(1, Math.floor(CHUNK_BYTES / (4 * S))); // the metric pass's own chunk
      wasm.memory.setSample(sampleTables(geo, geo.samples[0]), { T, S, W: WINDOW_MAX, H, rows: chunk }, 1e-3, 0.1);
      for (let first = 0; first < H * T; first += chunk) {
        const rows = Math.min(chunk, H * T - first);
        const a = ns();
        const args = wasm.memory.load(site.data, first, rows, first % T);
        const b = ns();
        sink += wasm.exports.scan_rows(...args);
        part.copy += Number(b - a) / 1e6;
        part.kernel += Number(ns() - b) / 1e6;
      }
    }
  }
  return { title: `analyzeResult by stage: BERT-base shape, CPU${sink < 0 ? " " : ""}`, rows, ratios: [] };
}
