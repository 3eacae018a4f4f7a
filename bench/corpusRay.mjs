// The Ray corpus engine (issue 15, "Figures"): inputs per second of the same corpus job on the demo
// model tiny-agreement-bert — Ray with 2 workers (a two-node cluster on this machine, one CPU per node:
// test/corpus/ray_cluster.py) against the
// same Python job in one process without Ray (`local: true`: same shards, same per-shard code, same
// merge; onnxruntime on 1 thread). The Ray figure counts analysis only (from the moment Ray is up
// to the last shard) and in steady state (first shard done to last: actors up, sessions open); Ray's
// start-up is reported apart. Both summaries must be identical, or the
// entry fails. On a 2-core machine shared with other work the ratio says little: run it on a quiet one.
// Imports the compiled library (build kernel-lib first) and the project venv (.venv/bin/python).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const INPUTS = Number(process.env.CORPUS_RAY_INPUTS || 4000);
const MODEL = "tiny-agreement-bert";

function corpus(file) {
  const tokenizer = JSON.parse(readFileSync(path.join(ROOT, "kernel-lib/models", MODEL, "tokenizer.json"), "utf8"));
  const words = Object.keys(tokenizer.model.vocab).filter((w) => !/^(\[|<|##)/.test(w));
  let seed = 7;
  const random = (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const lines = Array.from({ length: INPUTS }, () =>
    Array.from({ length: 4 + random(40) }, () => words[random(words.length)]).join(" "),
  );
  writeFileSync(file, `${lines.join("\n")}\n`);
}

/** Starts test/corpus/ray_cluster.py; resolves with its address and a stop function. */
function startCluster(python) {
  const child = spawn(python, [path.join(ROOT, "test/corpus/ray_cluster.py")], { detached: true });
  const stop = () =>
    new Promise((resolve) => {
      const timer = setTimeout(() => process.kill(-child.pid, "SIGKILL"), 30_000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin.end("stop\n");
    });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c) => {
      out += c;
      const m = /ADDRESS (\S+)/.exec(out);
      if (m) resolve({ address: m[1], stop });
    });
    child.once("exit", (code) => reject(new Error(`the Ray cluster did not start (exit ${code})`)));
  });
}

export default async function run() {
  const { runRayCorpus } = require(path.join(ROOT, "kernel-lib/dist/corpus/ray/index.js"));
  const tmp = mkdtempSync(path.join(tmpdir(), "attnlens-bench-ray-"));
  const data = path.join(tmp, "corpus.txt");
  corpus(data);
  const python = path.join(ROOT, ".venv", "bin", "python");
  const common = { source: MODEL, data, python, batch: 32, shardBytes: 64 << 10 };
  try {
    const timing = async (options) => {
      const events = [];
      const started = Date.now();
      const summary = await runRayCorpus({
        ...common,
        ...options,
        onProgress: (e) => events.push({ ...e, at: (Date.now() - started) / 1000 }),
      });
      if (process.env.CORPUS_RAY_EVENTS) console.log(JSON.stringify(events));
      const wall = (Date.now() - started) / 1000;
      const ready = events.find((e) => e.event === "ready")?.seconds ?? 0;
      const done = events.find((e) => e.event === "done").seconds;
      // Steady state: from the first finished shard to the last (actors up, sessions open).
      const shards = events.filter((e) => e.event === "progress");
      const first = shards[0];
      const last = shards[shards.length - 1];
      const steady = (last.inputs - first.inputs) / (last.seconds - first.seconds);
      return { summary, wall, startup: ready, analysis: done - ready, firstShard: first.seconds - ready, steady };
    };
    const local = await timing({ out: path.join(tmp, "local"), local: true, workers: 1 });
    // The local TypeScript engine on the same file, without the pattern classifier (the Ray engine has none).
    const started = Date.now();
    const cli = spawnSync(
      process.execPath,
      [
        path.join(ROOT, "kernel-lib/bin/attnlens.js"),
        "corpus",
        MODEL,
        data,
        "--out",
        path.join(tmp, "ts"),
        "--providers",
        "cpu",
        "--no-patterns",
        "--batch",
        "32",
      ],
      { encoding: "utf8" },
    );
    if (cli.status !== 0) throw new Error(`attnlens corpus failed: ${cli.stderr}`);
    const tsWall = (Date.now() - started) / 1000;
    const cluster = await startCluster(python);
    const ray = await timing({ out: path.join(tmp, "ray"), workers: 2, address: cluster.address }).finally(
      cluster.stop,
    );
    const { engine: _a, ...a } = local.summary;
    const { engine: _b, ...b } = ray.summary;
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error("the Ray and single-process summaries differ");
    const rate = (t) => local.summary.inputs / t;
    return {
      title: `Ray corpus engine: ${local.summary.inputs} inputs of ${MODEL}, Ray (2 workers) vs one process`,
      rows: [
        { name: "one process (no Ray), analysis", value: rate(local.analysis), unit: "inputs/s" },
        { name: "Ray, 2 workers, analysis", value: rate(ray.analysis), unit: "inputs/s" },
        { name: "one process, first shard to last", value: local.steady, unit: "inputs/s" },
        { name: "Ray, 2 workers, first shard to last", value: ray.steady, unit: "inputs/s" },
        { name: "Ray connect and job start", value: ray.startup, unit: "s" },
        { name: "Ray actors up to the first shard done", value: ray.firstShard, unit: "s" },
        { name: "Ray, whole job (bundle and connect included)", value: rate(ray.wall), unit: "inputs/s" },
        { name: "one process, whole job (bundle included)", value: rate(local.wall), unit: "inputs/s" },
        { name: "local TypeScript engine, whole job (--no-patterns)", value: rate(tsWall), unit: "inputs/s" },
      ],
      ratios: [
        { name: "speed-up, Ray 2 workers over one process (analysis inputs/s)", value: local.analysis / ray.analysis },
        { name: "speed-up, Ray 2 workers over one process (first shard to last)", value: ray.steady / local.steady },
        { name: "speed-up, Ray whole job over the local TypeScript engine", value: tsWall / ray.wall },
      ],
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
