/**
 * The metric pass's threads in a process of their own, on the build. The WebAssembly kernel's: none start for maps
 * too small to gain; once started they serve the next passes (the same metrics as one thread),
 * and a script that used them ends by itself: the pool never keeps a process, a CLI run or a
 * notebook kernel alive.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");
const dist = path.join(root, "kernel-lib", "dist");

// Two sites of 12 random softmax heads over 128 tokens; analyzeResult on one thread, then with
// the pool (started by the first pass, waited for), compared; the script then just returns.
const SCRIPT = `
const { analyzeResult } = require(${JSON.stringify(path.join(dist, "index.js"))});
const { seededRandom } = require(${JSON.stringify(path.join(dist, "testing", "index.js"))});
const pool = require(${JSON.stringify(path.join(dist, "analysis", "metrics", "wasm", "kernelPool.js"))});
const { wasmRowKernel } = require(${JSON.stringify(path.join(dist, "analysis", "metrics", "wasm", "kernel.js"))});
const { isDeepStrictEqual } = require("node:util");
const threads = require("node:worker_threads");
let started = 0;
const Worker = threads.Worker;
threads.Worker = class extends Worker { constructor(...args) { super(...args); started++; } };
const rand = seededRandom(5);
const H = 12, T = 128;
const site = (layer) => {
  const data = new Float32Array(H * T * T);
  for (let r = 0; r < H * T; r++) {
    let sum = 0;
    for (let j = 0; j < T; j++) sum += data[r * T + j] = Math.exp(4 * rand());
    for (let j = 0; j < T; j++) data[r * T + j] /= sum;
  }
  return { id: "encoder.self." + layer, stack: "encoder", kind: "self", layer, heads: H, causal: false, node: "n", data, dims: [1, H, T, T] };
};
const result = { sites: [site(0), site(1)], provider: "cpu", fallbacks: [], masks: {}, outputs: {} };
const wasm = { kernel: "wasm" };
(async () => {
  analyzeResult(result, wasm); // 0.2 M weights a sample: below the default's threshold, no worker started
  const startedBySmall = started;
  const one = analyzeResult(result, { ...wasm, threads: 1 });
  analyzeResult(result, { ...wasm, threads: 3 }); // starts the workers
  const ready = await pool.kernelWorkersReady(wasmRowKernel(), 3);
  const posted = { count: 0 };
  const post = pool.KernelWorker.prototype.post;
  pool.KernelWorker.prototype.post = function (...args) { posted.count++; return post.apply(this, args); };
  const many = analyzeResult(result, { ...wasm, threads: 3 });
  const same = isDeepStrictEqual(JSON.parse(JSON.stringify(one)), JSON.parse(JSON.stringify(many)));
  console.log(JSON.stringify({ startedBySmall, started, ready, posted: posted.count, same }));
})();
`;

// A process where no thread can start: the pass asked for 3 threads runs on the calling one.
const NO_THREADS = `
const threads = require("node:worker_threads");
threads.Worker = class { constructor() { throw new Error("ERR_WORKER_INIT_FAILED"); } };
const { analyzeResult } = require(${JSON.stringify(path.join(dist, "index.js"))});
const T = 64, H = 4;
const data = new Float32Array(H * T * T).fill(1 / T);
const site = { id: "encoder.self.0", stack: "encoder", kind: "self", layer: 0, heads: H, causal: false, node: "n", data, dims: [1, H, T, T] };
const result = { sites: [site], provider: "cpu", fallbacks: [], masks: {}, outputs: {} };
const a = analyzeResult(result, { kernel: "wasm", threads: 3 });
const b = analyzeResult(result, { kernel: "wasm", threads: 3 });
const one = analyzeResult(result, { kernel: "wasm", threads: 1 });
console.log(JSON.stringify({ same: JSON.stringify(a) === JSON.stringify(one) && JSON.stringify(b) === JSON.stringify(one) }));
`;

// The native kernel's pool (pthreads of the addon): the same metrics on its threads as on this
// one, and a script that used them ends by itself (they hold no handle on the event loop; the
// addon joins them when the environment ends). A worker thread's environment gets a pool of its
// own, stopped when the worker ends.
const NATIVE = `
const { analyzeResult } = require(${JSON.stringify(path.join(dist, "index.js"))});
const { Worker, isMainThread, parentPort } = require("node:worker_threads");
const T = 96, H = 6;
const data = new Float32Array(2 * H * T * T);
for (let r = 0; r < 2 * H * T; r++) for (let j = 0; j < T; j++) data[r * T + j] = (1 + ((r * 7 + j * 13) % 11)) / 1;
for (let r = 0; r < 2 * H * T; r++) { let s = 0; for (let j = 0; j < T; j++) s += data[r * T + j]; for (let j = 0; j < T; j++) data[r * T + j] /= s; }
const sites = [0, 1, 2, 3, 4].map((layer) => ({ id: "encoder.self." + layer, stack: "encoder", kind: "self", layer, heads: H, causal: false, node: "n", data, dims: [2, H, T, T] }));
const result = { sites, provider: "cpu", fallbacks: [], masks: {}, outputs: {} };
const text = (options) => JSON.stringify(analyzeResult(result, options));
if (isMainThread) {
  const one = text({ kernel: "native", threads: 1 });
  const pooled = text({ kernel: "native", threads: 3 });
  const byDefault = text({});
  const worker = new Worker(__filename);
  worker.on("message", (fromWorker) => {
    console.log(JSON.stringify({ same: one === pooled && one === byDefault && one === fromWorker }));
  });
} else {
  parentPort.postMessage(text({ kernel: "native", threads: 3 }));
}
`;

// Jobs dropped without a wait (what an exception between submit and wait leaves): the garbage
// collector's finalizer waits for the pool's threads before their arrays go, and the next
// passes are whole. Run with --expose-gc.
const DROPPED = `
const addon = require(${JSON.stringify(path.join(root, "kernel-lib", "native", "build", "attnlens_metrics.node"))});
const { analyzeResult } = require(${JSON.stringify(path.join(dist, "index.js"))});
const T = 128, H = 8;
const data = new Float32Array(H * T * T).map((_, k) => 1 + (k % 5));
for (let r = 0; r < H * T; r++) { let s = 0; for (let j = 0; j < T; j++) s += data[r * T + j]; for (let j = 0; j < T; j++) data[r * T + j] /= s; }
const site = { id: "encoder.self.0", stack: "encoder", kind: "self", layer: 0, heads: H, causal: false, node: "n", data, dims: [1, H, T, T] };
const result = { sites: [site, { ...site, id: "encoder.self.1", layer: 1 }], provider: "cpu", fallbacks: [], masks: {}, outputs: {} };
const before = JSON.stringify(analyzeResult(result, { kernel: "native", threads: 1 }));
const info = new Int32Array(4 * T);
const pieces = new Int32Array(3 * T);
for (let t = 0; t < T; t++) { info.set([t, 1, t, T], 4 * t); pieces.set([0, T, 0], 3 * t); }
const targets = new Float64Array(4 * T);
for (let t = 0; t < T; t++) targets.set([1, 0, Math.log(T), 0], 4 * t);
for (let k = 0; k < 50; k++) {
  // every other job also derives its row metrics (arrays the job holds too)
  const rows = k % 2 ? [...Array.from({ length: 14 }, () => new Float32Array(H * T)), new Int32Array(H * T), new Float64Array(H * 28)] : null;
  addon.submit(data, 0, H, T, T, info, pieces, new Int32Array(5), new Uint8Array(T).fill(1), Int32Array.from([0]), 0, 1, 1, 0,
    1e-3, 1e-5, new Float64Array(H * T * 12), new Float32Array(H * T * 4), new Float32Array(H * T * 4), new Float32Array(0), new Float64Array(0), 2,
    rows, rows ? targets : null);
}
global.gc();
const after = JSON.stringify(analyzeResult(result, { kernel: "native", threads: 2 }));
setTimeout(() => { global.gc(); console.log(JSON.stringify({ same: before === after })); }, 50);
`;

function runScript(name: string, text: string, flags: string[] = []) {
  const dir = mkdtempSync(path.join(tmpdir(), "attnlens-threads-"));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return spawnSync(process.execPath, [...flags, file], { encoding: "utf8", timeout: 60_000 });
}

describe("the metric pass's worker threads", () => {
  it("are done without where no thread can start: the pass runs here, with the same metrics", () => {
    const run = runScript("no-threads.cjs", NO_THREADS);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim()).same).toBe(true);
  });

  it("on the native kernel: the same metrics on its pool as on one thread, in a worker too, and the process ends by itself", () => {
    const started = Date.now();
    const run = runScript("native.cjs", NATIVE);
    expect(run.signal, `still running after ${Date.now() - started} ms: ${run.stderr}`).toBeNull();
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}").same).toBe(true);
  });

  it("on the native kernel: jobs dropped without a wait are finished by the garbage collector, and the next passes are whole", () => {
    const run = runScript("dropped.cjs", DROPPED, ["--expose-gc"]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}").same).toBe(true);
  });

  it("serve the next pass with the same metrics, and never keep the process alive", () => {
    const started = Date.now();
    const run = runScript("threads.cjs", SCRIPT);
    expect(run.signal, `still running after ${Date.now() - started} ms: ${run.stderr}`).toBeNull();
    expect(run.status, run.stderr).toBe(0);
    const got = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}");
    expect(got.startedBySmall).toBe(0);
    expect(got.started).toBe(2);
    expect(got.ready).toBe(2);
    expect(got.posted).toBeGreaterThanOrEqual(2); // both sites shared out with the workers
    expect(got.same).toBe(true);
  });
});
