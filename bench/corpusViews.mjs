/**
 * Corpus-view benchmark (issue 15, views): a BERT-base-shaped corpus run (12 layers × 12 heads,
 * 6 metrics per head, synthetic values from a seeded generator) with N inputs in DIR/inputs.jsonl
 * → `corpusPayload(DIR)` (two streamed passes over inputs.jsonl, typicality lists, clustering) and
 * `exportCorpusReport`. Rows: read time, payload and report size, inputs embedded, heap after the
 * read, for N = 1,000 and 10,000. Imports the compiled library: build kernel-lib first.
 */
import { mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";

const require = createRequire(import.meta.url);
const { corpusPayload, exportCorpusReport } = require("attnlens");
const { seededRandom } = require("attnlens/testing");

const METRICS = ["entropy", "distance", "confidence", "sink", "cls", "sep"];

function writeCorpus(dir, n) {
  mkdirSync(dir, { recursive: true });
  const rand = seededRandom(n);
  const stats = () => ({
    n,
    mean: 1,
    std: 0.3,
    ci95: [0.99, 1.01],
    min: 0,
    max: 2,
    quantiles: { 0.05: 0.5, 0.25: 0.8, 0.5: 1, 0.75: 1.2, 0.95: 1.5 },
  });
  const sites = Array.from({ length: 12 }, (_, layer) => ({
    id: `encoder.self.${layer}`,
    stack: "encoder",
    kind: "self",
    layer,
    heads: Array.from({ length: 12 }, (_, head) => ({
      head,
      ...Object.fromEntries(METRICS.map((m) => [m, stats()])),
      patterns: { broad: n / 2, previous: n / 2 },
    })),
  }));
  writeFileSync(path.join(dir, "summary.json"), JSON.stringify({ version: 1, inputs: n, skipped: 0, sites }));
  const fd = openSync(path.join(dir, "inputs.jsonl"), "w");
  for (let i = 0; i < n; i++) {
    const values = Object.fromEntries(
      sites.map((s) => [
        s.id,
        Object.fromEntries(METRICS.map((m) => [m, Array.from({ length: 12 }, () => 0.4 + 1.2 * rand())])),
      ]),
    );
    writeSync(fd, `${JSON.stringify({ input: i, text: `sentence number ${i} `.repeat(8), values })}\n`);
  }
}

export default async function run() {
  const root = mkdtempSync(path.join(tmpdir(), "attnlens-bench-corpus-"));
  const rows = [];
  try {
    for (const n of [1000, 10000]) {
      const dir = path.join(root, String(n));
      writeCorpus(dir, n);
      const t0 = performance.now();
      const payload = await corpusPayload(dir);
      const ms = performance.now() - t0;
      const heap = process.memoryUsage().heapUsed;
      const report = await exportCorpusReport(dir, path.join(dir, "report.html"));
      const mb = (x) => x / 1024 / 1024;
      rows.push(
        { name: `${n} inputs: inputs.jsonl`, value: mb(statSync(path.join(dir, "inputs.jsonl")).size), unit: "MiB" },
        { name: `${n} inputs: read → payload`, value: ms, unit: "ms" },
        { name: `${n} inputs: payload`, value: mb(JSON.stringify(payload).length), unit: "MiB" },
        { name: `${n} inputs: inputs embedded`, value: payload.examples?.inputs.length ?? 0, unit: "" },
        { name: `${n} inputs: report`, value: mb(report.bytes), unit: "MiB" },
        { name: `${n} inputs: heap after read`, value: mb(heap), unit: "MiB" },
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return { title: "Corpus views: BERT-base-shaped corpus → payload and report", rows, ratios: [] };
}
