/**
 * Worker threads for the metric pass. Each runs its own instance of the row kernel over the
 * calling thread's shared memory (kernel.ts), on chunks of rows the caller copies into the
 * worker's lane, so the heads of a sample are scanned on several cores while the caller does its
 * own share (parallelRows.ts). Synchronous for the caller: jobs go through the worker's control
 * block, and the caller blocks (Atomics.wait) only when it needs a result that is not there yet.
 *
 * Started on first use and never waited for: a pass uses the workers that are already running
 * and does the rest itself. Unreferenced: they never keep the process alive.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { AttnlensError } from "../../../errors";
import { type KernelArgs, SLOTS, type WasmRowKernel } from "./kernel";

/**
 * Where a control block's doubles start for `slots` slots: after its 3 + 2·slots int32 words,
 * 8-aligned (a fixed offset would let more slots' claims run into the first slot's arguments).
 */
export function argsOffset(slots: number): number {
  return Math.ceil(((3 + 2 * slots) * 4) / 8) * 8;
}

/**
 * The control block's layout and states, handed to each worker with its data
 * (workers/rowKernelWorker.cjs reads them there): int32 [state, posted, done, result per slot,
 * claim per slot], then per slot the kernel's 23 arguments and the lane's stack top as doubles,
 * from ARGS_AT (8-aligned, after the int32 words).
 */
const LAYOUT = {
  STATE: 0,
  POSTED: 1,
  DONE: 2,
  RESULT: 3,
  CLAIM: 3 + SLOTS,
  ARGS_AT: argsOffset(SLOTS),
  ARGS: 23,
  SLOTS,
  // state
  READY: 1,
  STOP: 5,
  // claim
  PENDING: 0,
  TAKEN: 1,
  STOLEN: 2,
} as const;
const { STATE, POSTED, DONE, RESULT, CLAIM, ARGS_AT, ARGS, READY, STOP, PENDING, STOLEN } = LAYOUT;
const CONTROL_BYTES = ARGS_AT + SLOTS * (ARGS + 1) * 8;

/** The most threads a pass uses, the caller's included. */
export const MAX_THREADS = 8;

/** Longest wait for a worker's job: past it the worker is taken for dead. */
const WAIT_MS = 60_000;

/** The worker script: beside the package's `dist` and `src` alike (kernel-lib/workers/). */
const SCRIPT = path.join(__dirname, "..", "..", "..", "..", "workers", "rowKernelWorker.cjs");

/** Threads a pass uses by default: the machine's cores, at most MAX_THREADS. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(MAX_THREADS, availableParallelism()));
}

/**
 * One worker thread and its control block. Jobs are numbered from 0 in the order posted; job n
 * uses slot n mod SLOTS, so at most SLOTS are in flight.
 */
export class KernelWorker {
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  private dead = false;
  /** Jobs posted so far (the next job's number). */
  posted = 0;

  constructor(
    private readonly worker: Worker,
    control: SharedArrayBuffer,
  ) {
    this.ctl = new Int32Array(control, 0, CLAIM + SLOTS);
    this.args = new Float64Array(control, ARGS_AT, SLOTS * (ARGS + 1));
    worker.on("error", () => this.stop());
    worker.on("exit", () => this.stop());
    worker.unref();
  }

  /** Started, alive, and with no job in flight. */
  get ready(): boolean {
    return !this.dead && Atomics.load(this.ctl, STATE) === READY && this.finished(this.posted - 1);
  }

  /** The slot the next job uses. */
  get nextSlot(): number {
    return this.posted & (SLOTS - 1);
  }

  /** Whether job `job` has finished. */
  finished(job: number): boolean {
    return ((Atomics.load(this.ctl, DONE) - job) | 0) > 0;
  }

  /** Posts scan_rows(...args) as the next job, its shadow stack below `stackTop`; returns the job's number. */
  post(args: KernelArgs, stackTop: number): number {
    const at = this.nextSlot * (ARGS + 1);
    this.args.set(args, at);
    this.args[at + ARGS] = stackTop;
    const job = this.posted;
    Atomics.store(this.ctl, CLAIM + this.nextSlot, PENDING);
    this.posted = (this.posted + 1) | 0;
    Atomics.store(this.ctl, POSTED, this.posted);
    Atomics.notify(this.ctl, POSTED);
    return job;
  }

  /**
   * Takes job `job` back if the worker has not started it: true if it is now the caller's to scan
   * (the worker skips it), false if the worker has it.
   */
  steal(job: number): boolean {
    return Atomics.compareExchange(this.ctl, CLAIM + (job & (SLOTS - 1)), PENDING, STOLEN) === PENDING;
  }

  /** The arguments job `job` was posted with (valid while it is in flight). */
  argsOf(job: number): KernelArgs {
    const at = (job & (SLOTS - 1)) * (ARGS + 1);
    return Array.from(this.args.subarray(at, at + ARGS)) as KernelArgs;
  }

  /**
   * Waits for job `job`: how many rows it listed for a redo, or −1 when the kernel failed on the
   * worker. Throws if the worker does not answer (its thread died): the memory may still be
   * written by it, so the caller must not reuse it.
   */
  result(job: number): number {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const done = Atomics.load(this.ctl, DONE);
      if (((done - job) | 0) > 0) break;
      const left = deadline - Date.now();
      if (left <= 0 || this.dead) {
        this.stop();
        throw new AttnlensError(
          "BAD_INPUT",
          "a worker thread of the metric pass stopped answering; run again (or pass threads: 1 to use this thread only)",
        );
      }
      Atomics.wait(this.ctl, DONE, done, Math.min(left, 1000));
    }
    return this.ctl[RESULT + (job & (SLOTS - 1))];
  }

  stop(): void {
    if (this.dead) return;
    this.dead = true;
    Atomics.store(this.ctl, STATE, STOP);
    Atomics.notify(this.ctl, POSTED);
    void this.worker.terminate();
  }
}

/** Whether this thread may block in Atomics.wait (Node's main thread and workers may; a browser page may not). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

class KernelPool {
  readonly workers: KernelWorker[] = [];

  constructor(readonly kernel: WasmRowKernel) {}

  /** No more workers start (one could not): the pass makes do with those it has. */
  private full = false;

  /** Starts workers until there are `count` (not waited for). */
  grow(count: number): void {
    while (!this.full && this.workers.length < count) {
      const control = new SharedArrayBuffer(CONTROL_BYTES);
      try {
        const worker = new Worker(SCRIPT, {
          workerData: { module: this.kernel.module, memory: this.kernel.linear, control, layout: LAYOUT },
        });
        this.workers.push(new KernelWorker(worker, control));
      } catch {
        this.full = true; // e.g. the process's thread limit: the metric pass is exact on any number of threads
      }
    }
  }
}

let pool: KernelPool | null | undefined;

function poolFor(kernel: WasmRowKernel): KernelPool | null {
  if (pool === undefined || (pool !== null && pool.kernel !== kernel)) {
    for (const w of pool?.workers ?? []) w.stop(); // a discarded kernel's
    pool = existsSync(SCRIPT) && canBlock() ? new KernelPool(kernel) : null;
  }
  return pool;
}

/**
 * Up to `threads` − 1 workers for `kernel` that are ready now (started on first call, not
 * waited for: none are ready on the first call).
 */
export function kernelWorkers(kernel: WasmRowKernel, threads = defaultThreads()): KernelWorker[] {
  const want = Math.min(threads, MAX_THREADS) - 1;
  if (want < 1) return [];
  const p = poolFor(kernel);
  if (!p) return [];
  p.grow(want);
  return p.workers.filter((w) => w.ready).slice(0, want);
}

/** Resolves when `threads` − 1 workers for `kernel` are ready (or after `timeoutMs`): how many are. */
export async function kernelWorkersReady(kernel: WasmRowKernel, threads: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = kernelWorkers(kernel, threads).length;
    if (ready >= Math.min(threads, MAX_THREADS) - 1 || Date.now() > deadline) return ready;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
