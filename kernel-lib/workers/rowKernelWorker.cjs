"use strict";
// One thread of the metric kernel's pool (src/analysis/metrics/wasm/kernelPool.ts): its own
// instance of the kernel module over the calling thread's shared memory. It scans the jobs the
// caller posts to its control block, in order, from two slots (the caller fills one while this
// thread scans the other). Plain CommonJS with no imports but Node's, so the same file serves the
// sources (tests) and the build.
const { workerData } = require("node:worker_threads");

// The control block's layout and states come from kernelPool.ts (its LAYOUT) with the data. A job
// is this thread's once it swaps its slot's claim from PENDING to TAKEN; the caller may swap it to
// STOLEN first and scan the job itself.
const { module: kernelModule, memory, control, layout } = workerData;
const { STATE, POSTED, DONE, RESULT, CLAIM, ARGS_AT, ARGS, SLOTS, READY, STOP, PENDING, TAKEN } = layout;
// After a job, look for the next one this long before sleeping: a sleeping thread (and, on a
// virtual machine, its idle CPU) takes a while to wake, and the caller posts in quick bursts.
const SPIN_MS = 0.5;

const ctl = new Int32Array(control, 0, CLAIM + SLOTS);
const args = new Float64Array(control, ARGS_AT, SLOTS * (ARGS + 1));

let kernel = null;
try {
  kernel = new WebAssembly.Instance(kernelModule, { env: { memory } }).exports;
  Atomics.store(ctl, STATE, READY);
} catch {
  Atomics.store(ctl, STATE, STOP); // the pool never posts to this thread
}
Atomics.notify(ctl, STATE);

while (kernel) {
  const done = Atomics.load(ctl, DONE);
  let posted = Atomics.load(ctl, POSTED);
  for (const until = performance.now() + SPIN_MS; posted === done && performance.now() < until; ) {
    posted = Atomics.load(ctl, POSTED);
  }
  while (posted === done && Atomics.load(ctl, STATE) !== STOP) {
    Atomics.wait(ctl, POSTED, posted);
    posted = Atomics.load(ctl, POSTED);
  }
  if (Atomics.load(ctl, STATE) === STOP) break;
  const slot = done & (SLOTS - 1);
  const a = slot * (ARGS + 1);
  let count = -1;
  if (Atomics.compareExchange(ctl, CLAIM + slot, PENDING, TAKEN) !== PENDING) {
    Atomics.store(ctl, DONE, (done + 1) | 0); // stolen: the caller scans it
    Atomics.notify(ctl, DONE);
    continue;
  }
  try {
    kernel.__stack_pointer.value = args[a + ARGS];
    // biome-ignore format: the kernel's 23 arguments, in order
    count = kernel.scan_rows(args[a], args[a + 1], args[a + 2], args[a + 3], args[a + 4], args[a + 5], args[a + 6], args[a + 7], args[a + 8], args[a + 9], args[a + 10], args[a + 11], args[a + 12], args[a + 13], args[a + 14], args[a + 15], args[a + 16], args[a + 17], args[a + 18], args[a + 19], args[a + 20], args[a + 21], args[a + 22]);
  } catch {
    count = -1;
  }
  ctl[RESULT + slot] = count;
  Atomics.store(ctl, DONE, (done + 1) | 0);
  Atomics.notify(ctl, DONE);
}
