// Corpus analysis (issue 15), local engine on the CPU provider:
// - inputs per second of analyzeCorpus for the demo model (tiny-agreement-bert, batch 16) with and without
//   the pattern classifier, and for the BERT-base shape (bertLikeModel, 12 × 12 heads, random weights,
//   with the real-BERT fixture's tokenizer.json: ~10–40 tokens an input, batch 8);
// - the parts of one demo batch: model run (maps to the host) / in-graph measure() (metrics computed in the
//   graph, no tokens so no [CLS]/[SEP]/sink masses and no patterns) / host analysis per input — the
//   figures behind docs/corpus.md's choice of host analysis;
// - peak RSS of a whole job at 1,000 and 20,000 inputs (child processes, no patterns): flat memory.
// Imports the compiled library: build kernel-lib first.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { median, timed } from "./common.mjs";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const WORDS = "the cat dog keys animal street was were tired big small runs run to is are near".split(" ");

function sentences(count, seed = 3) {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return Array.from({ length: count }, () =>
    Array.from({ length: 3 + Math.floor(next() * 12) }, () => WORDS[Math.floor(next() * WORDS.length)]).join(" "),
  );
}

async function rate(lib, model, texts, options) {
  const start = process.hrtime.bigint();
  let last;
  for await (const p of lib.analyzeCorpus(model, texts, options)) last = p;
  return last.summary.inputs / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** A model directory for the BERT-base shape: its bytes, the real-BERT fixture's tokenizer, a config of that shape. */
function bertBaseDir(testing) {
  const dir = mkdtempSync(path.join(tmpdir(), "attnlens-bench-corpus-"));
  writeFileSync(path.join(dir, "model.onnx"), testing.bertLikeModel(testing.BERT_BASE));
  const fixture = path.join(here, "..", "kernel-lib", "test", "fixtures", "real", "bert");
  copyFileSync(path.join(fixture, "tokenizer.json"), path.join(dir, "tokenizer.json"));
  const { vocab, maxPositions, hidden, heads, layers } = testing.BERT_BASE;
  writeFileSync(
    path.join(dir, "config.json"),
    JSON.stringify({
      model_type: "bert",
      vocab_size: vocab,
      hidden_size: hidden,
      num_attention_heads: heads,
      num_hidden_layers: layers,
      max_position_embeddings: maxPositions,
      pad_token_id: 0,
    }),
  );
  return dir;
}

/** Feeds of one padded batch, for measure(): ids, mask and (where the model takes them) token types. */
function batchFeeds(ort, model, texts) {
  const enc = texts.map((t) => model.tokenizer.encode(t));
  const width = Math.max(...enc.map((e) => e.ids.length));
  const B = texts.length;
  const ids = new BigInt64Array(B * width);
  const mask = new BigInt64Array(B * width);
  enc.forEach((e, b) =>
    e.ids.forEach((id, t) => {
      ids[b * width + t] = BigInt(id);
      mask[b * width + t] = 1n;
    }),
  );
  const feeds = {
    input_ids: new ort.Tensor("int64", ids, [B, width]),
    attention_mask: new ort.Tensor("int64", mask, [B, width]),
  };
  if (model.inputs.some((i) => i.name === "token_type_ids"))
    feeds.token_type_ids = new ort.Tensor("int64", new BigInt64Array(B * width), [B, width]);
  return feeds;
}

function child(n, patterns) {
  const out = execFileSync(process.execPath, [path.join(here, "corpus-worker.mjs"), String(n), patterns], {
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").at(-1));
}

export default async function run() {
  const lib = require("attnlens");
  const testing = require("attnlens/testing");
  const ort = require("onnxruntime-node");
  const demo = await lib.loadModel("tiny-agreement-bert", { providers: ["cpu"] });
  const texts = sentences(400);
  await rate(lib, demo, texts.slice(0, 32), { batch: 16 }); // warm-up
  const demoPatterns = await rate(lib, demo, texts, { batch: 16 });
  const demoPlain = await rate(lib, demo, texts, { batch: 16, patterns: false });

  // One batch of 16, in parts.
  const batch = texts.slice(0, 16);
  const inGraph = await lib.openModel(path.join(lib.demoModelsDir(), "tiny-agreement-bert", "model.onnx"), {
    providers: ["cpu"],
    inGraphMetrics: true,
  });
  const feeds = batchFeeds(ort, demo, batch);
  await inGraph.measure(feeds, { rows: false });
  const parts = { run: [], measure: [] };
  for (let i = 0; i < 7; i++) {
    parts.run.push(await timed(() => demo.run(batch)));
    parts.measure.push(await timed(() => inGraph.measure(feeds, { rows: false })));
  }
  await inGraph.release();
  await demo.release();

  const bertDir = bertBaseDir(testing);
  const bert = await lib.loadModel(bertDir, { providers: ["cpu"] });
  const bertTexts = sentences(48, 11).map((t) => `${t} ${t}`);
  await rate(lib, bert, bertTexts.slice(0, 8), { batch: 8, patterns: false });
  const bertPlain = await rate(lib, bert, bertTexts, { batch: 8, patterns: false });
  const bertPatterns = await rate(lib, bert, bertTexts, { batch: 8 });
  await bert.release();

  const small = child(1000, "no-patterns");
  const large = child(20000, "no-patterns");
  const m = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, median(v)]));
  return {
    title: "Corpus analysis, local engine (CPU provider)",
    rows: [
      { name: "demo model, with patterns", value: demoPatterns, unit: "inputs/s" },
      { name: "demo model, --no-patterns", value: demoPlain, unit: "inputs/s" },
      { name: "BERT-base shape, with patterns", value: bertPatterns, unit: "inputs/s" },
      { name: "BERT-base shape, --no-patterns", value: bertPlain, unit: "inputs/s" },
      { name: "demo batch of 16: run() (maps to host)", value: m.run, unit: "ms (median)" },
      { name: "demo batch of 16: in-graph measure()", value: m.measure, unit: "ms (median)" },
      { name: "demo batch of 16: whole corpus step, with patterns", value: 16000 / demoPatterns, unit: "ms" },
      { name: "demo batch of 16: whole corpus step, --no-patterns", value: 16000 / demoPlain, unit: "ms" },
      {
        name: "peak RSS, 1,000 inputs",
        value: small.maxRssMiB,
        unit: `MiB (${small.inputs} inputs, ${small.seconds.toFixed(0)} s)`,
      },
      {
        name: "peak RSS, 20,000 inputs",
        value: large.maxRssMiB,
        unit: `MiB (${large.inputs} inputs, ${large.seconds.toFixed(0)} s)`,
      },
    ],
    ratios: [{ name: "peak RSS 20,000 / 1,000 inputs", value: large.maxRssMiB / small.maxRssMiB, target: 1.2 }],
  };
}
