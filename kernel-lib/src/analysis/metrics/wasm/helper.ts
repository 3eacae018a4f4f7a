/**
 * A second thread for the WebAssembly kernel: a Node worker with its own instance of the kernel's
 * compiled module (kernel.ts) on its own shared memory. The metric pass stays synchronous: the
 * calling thread copies a batch of rows into the worker's memory, wakes it, accumulates the rest
 * meanwhile, then waits (Atomics.wait) for the worker's rows. On the benchmark's maps (BERT-base
 * at 512 tokens) this takes the row sums from ~62 ms to ~39 ms on two cores.
 *
 * Started on the first site large enough to pay (see rowAccumulators.ts), it boots in the
 * background (~40 ms) while the calling thread does all the work, and is used once it says it is
 * ready. Unref'd: it never keeps the process alive. Not used with fewer than two cores, without
 * worker_threads or shared memories, or after it failed once (its rows are then done on the
 * calling thread, and the worker ends).
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { type KernelArgs, KernelMemory, SHARED_MAX_PAGES, type WasmMemory, wasmApi, wasmRowKernel } from "./kernel";

/** Control words (Int32 in a SharedArrayBuffer). */
const STATE = 0; // IDLE, JOB, or FAILED
const ARGS = 1; // 12 words: the kernel's arguments
const READY = 13; // 1 once the worker has its instance
const MICROS = 14; // how long the worker's last job took
const IDLE = 0;
const JOB = 1;
const FAILED = 2;

/** Longest wait for one batch before the helper is given up (its rows are then done here). */
const WAIT_MS = 30_000;

/** The worker: waits for a job, runs it, says so; ends after a failure. */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, control } = workerData;
const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports;
Atomics.store(control, ${READY}, 1);
for (let state = ${IDLE}; state === ${IDLE}; ) {
  Atomics.wait(control, ${STATE}, ${IDLE});
  if (Atomics.load(control, ${STATE}) !== ${JOB}) continue;
  try {
    const start = performance.now();
    kernel.scan_rows(...control.subarray(${ARGS}, ${ARGS + 12}));
    control[${MICROS}] = Math.round((performance.now() - start) * 1000);
  } catch {
    state = ${FAILED};
  }
  Atomics.store(control, ${STATE}, state);
  Atomics.notify(control, ${STATE});
}
`;

export class KernelHelper {
  readonly memory: KernelMemory;
  /** Share of each batch's rows given to the worker, tuned so both threads finish together. */
  share = 0.5;
  private failed = false;

  constructor(
    memory: WasmMemory,
    heapBase: number,
    private readonly control: Int32Array,
  ) {
    // below __heap_base: the worker instance's stack
    this.memory = new KernelMemory(memory, heapBase);
  }

  get usable(): boolean {
    return !this.failed && Atomics.load(this.control, READY) === 1;
  }

  /** Starts the worker on rows already loaded into `memory` (the arguments memory.load returned). */
  submit(args: KernelArgs): void {
    this.control.set(args, ARGS);
    Atomics.store(this.control, STATE, JOB);
    Atomics.notify(this.control, STATE);
  }

  /** Waits for the job; its run time in ms, or null when the worker failed (then it is not used again). */
  finish(): number | null {
    const control = this.control;
    const deadline = Date.now() + WAIT_MS;
    try {
      while (Atomics.load(control, STATE) === JOB && Date.now() < deadline) Atomics.wait(control, STATE, JOB, 1000);
    } catch {
      // a thread that may not block
    }
    if (Atomics.load(control, STATE) !== IDLE) this.failed = true;
    return this.failed ? null : control[MICROS] / 1000;
  }
}

let helper: KernelHelper | null | undefined;

/** The helper thread (started on the first call), or null where there is none to be had. */
export function kernelHelper(): KernelHelper | null {
  if (helper === undefined) helper = startHelper();
  return helper;
}

function startHelper(): KernelHelper | null {
  const api = wasmApi();
  const module = wasmRowKernel()?.sharedModule;
  if (!api || !module || availableParallelism() < 2) return null;
  try {
    const memory = new api.Memory({ initial: 2, maximum: SHARED_MAX_PAGES, shared: true });
    const control = new Int32Array(new SharedArrayBuffer(16 * 4));
    const heapBase = wasmRowKernel()?.heapBase ?? 0;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control } });
    worker.unref();
    worker.on("error", () => {}); // a failed worker shows as FAILED, or never READY, or a timeout in finish()
    return new KernelHelper(memory, heapBase, control);
  } catch {
    return null;
  }
}
