// Memory of openModel on a ~440 MB model (the BERT-base shape, random weights made here and written
// to a temporary file): the peak RSS that opening adds, in a fresh process each, relative to the
// file size — attnlens (decode, surgery, session) against onnxruntime alone on the same file and
// on its bytes (what onnxruntime itself needs when the model comes from memory, as edited models do).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
// Another build of kernel-lib to measure beside this one (e.g. an older commit's dist), for before/after figures.
const OTHER = process.env.ATTNLENS_BENCH_DIST ? path.resolve(process.env.ATTNLENS_BENCH_DIST) : null;

function measure(file, mode, dist) {
  const r = spawnSync(
    process.execPath,
    [path.join(here, "openModel-worker.mjs"), file, mode, ...(dist ? [dist] : [])],
    {
      encoding: "utf8",
      maxBuffer: 1 << 20,
    },
  );
  if (r.status !== 0) throw new Error(`openModel worker (${mode}) failed: ${r.stderr.trim().split("\n").pop()}`);
  return JSON.parse(r.stdout);
}

export default async function run() {
  const { bertLikeModel, BERT_BASE } = require("../kernel-lib/dist/testing/construct/bertLike.js");
  const dir = mkdtempSync(path.join(os.tmpdir(), "attnlens-bench-open-"));
  try {
    const file = path.join(dir, "model.onnx");
    writeFileSync(file, bertLikeModel(BERT_BASE));
    const mib = statSync(file).size / 2 ** 20;
    const ort = measure(file, "ort");
    const ortBytes = measure(file, "ort-bytes");
    const lens = measure(file, "attnlens");
    const other = OTHER && measure(file, "attnlens", OTHER);
    const added = (m) => (m.peak - m.before) / 1024;
    return {
      title: "openModel memory: peak RSS added by opening a BERT-base-shaped model (CPU)",
      rows: [
        { name: "model file", value: mib, unit: "MiB" },
        { name: "onnxruntime alone: peak RSS added", value: added(ort), unit: "MiB" },
        { name: "onnxruntime given the bytes: peak RSS added", value: added(ortBytes), unit: "MiB" },
        { name: "attnlens openModel: peak RSS added", value: added(lens), unit: "MiB" },
        { name: "attnlens openModel: RSS held after open", value: (lens.after - lens.before) / 1024, unit: "MiB" },
        { name: "attnlens openModel: time", value: lens.ms, unit: "ms" },
        ...(other ? [{ name: `${OTHER}: peak RSS added`, value: added(other), unit: "MiB" }] : []),
      ],
      ratios: [
        { name: "openModel peak added / file size", value: added(lens) / mib, target: 2.2 },
        { name: "onnxruntime alone peak added / file size (reference)", value: added(ort) / mib },
        // onnxruntime needs the whole model in memory while it builds its own copy: surgery in memory cannot go below this.
        { name: "onnxruntime given the bytes peak added / file size (floor)", value: added(ortBytes) / mib },
        { name: "openModel peak added / the floor", value: added(lens) / added(ortBytes), target: 1.1 },
        ...(other ? [{ name: "ATTNLENS_BENCH_DIST build peak added / file size", value: added(other) / mib }] : []),
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
