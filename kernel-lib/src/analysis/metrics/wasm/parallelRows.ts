/**
 * One sample's rows on the WebAssembly kernel, on the calling thread and the pool's ready
 * workers (kernelPool.ts). Heads are handed out one at a time, each head whole to one thread with
 * its rows in order, so every sum (the column masses, summed over a head's rows, included) is the
 * same to the bit as on one thread, whatever the number of threads.
 *
 * Only the caller can read the maps, so it feeds the workers: it copies the next chunk of a
 * worker's head into whichever of the worker's two slots is free (small enough to stay in cache
 * for the worker's read) and posts it, and between feeds scans a chunk of a head of its own. At
 * the end it takes back the jobs a worker has not started (a worker another process keeps off
 * its core would otherwise hold the caller up) and finishes the workers' heads itself; it blocks
 * only for jobs a worker has started.
 */
import {
  discardWasmRowKernel,
  KernelMemory,
  type RowOutputs,
  type SampleDims,
  type SampleTables,
  SLOTS,
  type WasmRowKernel,
} from "./kernel";
import type { KernelWorker } from "./kernelPool";

/**
 * By default, samples of fewer weights stay on the calling thread: handing heads out costs more
 * than it saves there (BERT-base at 128 tokens, 0.2 M weights a sample, was slower with a worker
 * on the 2-core development machine; at 512 tokens, 3.1 M, faster).
 */
export const PARALLEL_MIN_WEIGHTS = 1 << 20;

/** Bytes of weights per worker job (a slot): two per worker stay in its core's cache. */
const SLOT_BYTES = 512 * 1024;

/** Rows [first, first + rows) on this thread, chunk by chunk; the rows to redo appended to `redo`. */
export function runRows(
  wasm: WasmRowKernel,
  data: Float32Array,
  first: number,
  rows: number,
  T: number,
  chunk: number,
  out: RowOutputs,
  redo: number[],
): void {
  for (let r = first; r < first + rows; r += chunk)
    wasm.run(data, r, Math.min(chunk, first + rows - r), r % T, out, redo);
}

/** What scanSample needs of the sample: its tables and shape, and the row checks' tolerance and margin. */
export interface SampleJob {
  tables: SampleTables;
  dims: SampleDims;
  tolerance: number;
  margin: number;
  /** Fewest weights (H·T·S) for which the heads are shared out (PARALLEL_MIN_WEIGHTS by default). */
  minWeights: number;
}

/** A job on a worker: its number, the buffer it reads, and the rows of `data` it covers. */
interface Posted {
  job: number;
  buffer: number;
  first: number;
  rows: number;
}

/** A worker's progress through the sample: its current head and the next row of it to post. */
interface Feed {
  worker: KernelWorker;
  k: number;
  head: number;
  next: number;
  inFlight: Posted[];
}

/**
 * The H·T rows of one sample, from row `base` of `data`, into `out` (rows to redo appended to
 * `redo`, ascending; the heads' column masses into `columnMass`, [H × columns]); on this thread
 * alone when `workers` is empty or the sample is small. False when the memory could not grow to
 * even one thread's share (the caller then takes the JavaScript kernel).
 */
export function scanSample(
  wasm: WasmRowKernel,
  workers: KernelWorker[],
  job: SampleJob,
  data: Float32Array,
  base: number,
  out: RowOutputs,
  redo: number[],
  columnMass: Float64Array,
): boolean {
  const { H, T, S, rows: chunk } = job.dims;
  const memory = wasm.memory;
  const parallel = workers.length > 0 && H > 1 && H * T * S >= job.minWeights;
  const slotRows = Math.max(1, Math.floor(SLOT_BYTES / (4 * S)));
  try {
    memory.setSample(job.tables, job.dims, job.tolerance, job.margin, parallel ? workers.length : 0, slotRows);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    // no room for the workers' slots: one thread
    return parallel ? scanSample(wasm, [], job, data, base, out, redo, columnMass) : false;
  }
  if (!parallel) {
    runRows(wasm, data, base, H * T, T, chunk, out, redo);
    columnMass.set(memory.columnMass());
    return true;
  }
  const redoFrom = redo.length;
  const laneOf = new Int32Array(H); // which lane summed each head's column masses
  let nextHead = 0;
  let failed = false;
  const feeds: Feed[] = workers.map((worker, k) => ({ worker, k, head: -1, next: T, inFlight: [] }));

  // Takes in a finished job's results (count < 0: the kernel failed on the worker).
  const take = (p: Posted, count: number) => {
    if (count < 0) {
      failed = true;
      return;
    }
    memory.read(p.rows, out, p.first, p.buffer);
    for (const r of memory.redoRows(count, p.buffer)) redo.push(p.first + r);
  };
  // Takes in worker f's finished jobs, oldest first; with `wait`, the oldest even if it has not finished.
  const collect = (f: Feed, wait: boolean) => {
    while (f.inFlight.length > 0 && (wait || f.worker.finished(f.inFlight[0].job))) {
      const p = f.inFlight[0];
      let count: number;
      try {
        count = f.worker.result(p.job);
      } catch (e) {
        discardWasmRowKernel();
        throw e;
      }
      f.inFlight.shift();
      wait = false;
      take(p, count);
    }
  };
  // Posts worker f's next chunk if a slot is free (a new head if its own is done); false if it did not.
  const feed = (f: Feed) => {
    collect(f, false);
    if (f.inFlight.length >= SLOTS) return false;
    if (f.next >= T) {
      if (nextHead >= H) return false;
      f.head = nextHead++;
      f.next = 0;
      laneOf[f.head] = f.k + 1;
    }
    const rows = Math.min(slotRows, T - f.next);
    const first = base + f.head * T + f.next;
    const buffer = KernelMemory.workerBuffer(f.k, f.worker.nextSlot);
    const posted = f.worker.post(memory.load(data, first, rows, f.next, buffer), memory.stackTop(f.k + 1));
    f.inFlight.push({ job: posted, buffer, first, rows });
    f.next += rows;
    return true;
  };

  // Keep every worker's slots full; between feeds, a chunk of this thread's own head.
  let own = -1;
  let ownNext = T;
  for (;;) {
    for (const f of feeds) while (feed(f));
    if (ownNext >= T) {
      if (nextHead >= H) break;
      own = nextHead++;
      ownNext = 0;
      laneOf[own] = 0;
    }
    const rows = Math.min(chunk, T - ownNext);
    wasm.run(data, base + own * T + ownNext, rows, ownNext, out, redo);
    ownNext += rows;
  }
  // Every head is handed out and this thread's own are done. Per worker: take back the jobs it
  // has not started (newest first, as it starts them oldest first), wait for those it has, then
  // scan the taken ones and the rest of its head here, into its lane (a head's rows in order).
  for (const f of feeds) {
    const taken: Posted[] = [];
    while (f.inFlight.length > 0 && f.worker.steal(f.inFlight[f.inFlight.length - 1].job)) {
      taken.unshift(f.inFlight.pop() as Posted);
    }
    while (f.inFlight.length > 0) collect(f, true);
    for (const p of taken) take(p, wasm.exports.scan_rows(...f.worker.argsOf(p.job)));
    for (; f.next < T; f.next += chunk) {
      const rows = Math.min(chunk, T - f.next);
      wasm.run(data, base + f.head * T + f.next, rows, f.next, out, redo, f.k + 1);
    }
  }
  if (failed) {
    // the kernel failed on a worker (it should not): the whole sample again, on this thread
    redo.length = redoFrom;
    return scanSample(wasm, [], job, data, base, out, redo, columnMass);
  }
  const C = columnMass.length / H;
  for (let h = 0; h < H; h++) columnMass.set(memory.columnMass(laneOf[h]).subarray(h * C, (h + 1) * C), h * C);
  const added = redo.splice(redoFrom).sort((a, b) => a - b);
  for (const r of added) redo.push(r);
  return true;
}
