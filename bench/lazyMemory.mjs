// Peak memory of lazy runs (issue 14 targets), each in a child process (lazyMemory-worker.mjs):
// BERT-base shape at 4,096 tokens (peak RSS ≤ 3 GiB) and Llama-shaped attention, 4 fused
// GroupQueryAttention layers of 32 query heads, 8 KV heads, head size 128, at 8,192 tokens
// (≤ 6 GiB). The BERT model is written to a temporary file first, so building its random weights
// here is not part of the child's peak. Linux only (VmHWM). Imports the compiled library.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const GiB = 2 ** 30;

function child(args) {
  const r = spawnSync(process.execPath, [path.join(here, "lazyMemory-worker.mjs"), ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`lazyMemory-worker ${args.join(" ")} failed: ${r.stderr || r.stdout}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

export default async function run() {
  const { bertLikeModel, BERT_BASE } = require("attnlens/testing");
  const dir = mkdtempSync(path.join(os.tmpdir(), "attnlens-lazymem-"));
  const rows = [];
  const ratios = [];
  try {
    const file = path.join(dir, "bert.onnx");
    writeFileSync(file, bertLikeModel({ ...BERT_BASE, maxPositions: 4096 }));
    const cases = [
      { name: "BERT-base shape, 4,096 tokens", args: ["bert", file, "4096"], target: 3 },
      { name: "Llama-shaped attention (4 GQA layers), 8,192 tokens", args: ["llama", "4", "8192"], target: 6 },
    ];
    for (const c of cases) {
      const got = child(c.args);
      rows.push({ name: `${c.name}: runLazy`, value: got.runMs, unit: "ms" });
      rows.push({ name: `${c.name}: bytes held`, value: got.held / 2 ** 20, unit: "MiB" });
      rows.push({ name: `${c.name}: peak RSS (runLazy + one tile)`, value: got.rss / GiB, unit: "GiB" });
      ratios.push({ name: `peak RSS / ${c.target} GiB, ${c.name}`, value: got.rss / GiB / c.target, target: 1 });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { title: "Lazy maps: peak memory (child processes, CPU)", rows, ratios };
}
