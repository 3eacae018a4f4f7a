/**
 * Pre-allocated attention outputs. Once a run has shown the dims of each attention output for a
 * given set of input shapes, later runs with the same shapes hand onnxruntime float32 buffers to
 * write into, so its arena does not also grow by the size of every map (measured: ~200 MiB less
 * peak RSS for BERT-base at 512 tokens).
 *
 * onnxruntime-node writes into a pre-allocated output and then returns a copy of it in a new
 * buffer; that copy is what callers get. So the pre-allocated buffers are scratch, kept from run
 * to run (up to SCRATCH_LIMIT bytes in all): writing into memory already mapped spares the page
 * faults of fresh memory (BERT-base at 512 tokens: 151 MB per run, ~5 % of the CPU time).
 * The binding's own copy (fresh zeroed memory + memcpy, on the calling thread) is then all that
 * exposing the maps costs: docs/extraction-cost.md. Runs on some sites keep the others' dims and
 * scratch, so a full run after them pre-allocates as before.
 */
import * as ort from "onnxruntime-node";

/** The most scratch kept between runs; larger maps get fresh buffers each run. */
export const SCRATCH_LIMIT = 256 * 2 ** 20;

export class OutputPlan {
  private plans = new Map<string, Map<string, readonly number[]>>();
  /** Scratch buffers by output name, from the last run that pre-allocated. */
  private scratch = new Map<string, Float32Array>();
  /** The fetches of the run that holds the scratch (runs that overlap it get fresh buffers). */
  private holder: object | null = null;

  constructor(
    /** The most scratch kept between runs, in bytes. */
    private readonly scratchLimit = SCRATCH_LIMIT,
  ) {}

  private static key(feeds: Record<string, ort.Tensor>): string {
    return Object.keys(feeds)
      .sort()
      .map((k) => `${k}:${feeds[k].dims.join("x")}`)
      .join("|");
  }

  /**
   * Fetches for `names`: a float32 tensor where the dims are known (on the kept scratch buffer
   * when its size matches), null elsewhere.
   */
  fetches(feeds: Record<string, ort.Tensor>, names: readonly string[]): Record<string, ort.Tensor | null> {
    const plan = this.plans.get(OutputPlan.key(feeds));
    const out: Record<string, ort.Tensor | null> = {};
    const free = this.holder === null;
    const used = new Map<string, Float32Array>();
    for (const n of names) {
      const dims = plan?.get(n);
      if (!dims) {
        out[n] = null;
        continue;
      }
      const size = dims.reduce((a, b) => a * b, 1);
      const old = free ? this.scratch.get(n) : undefined;
      const data = old?.length === size ? old : new Float32Array(size);
      used.set(n, data);
      out[n] = new ort.Tensor("float32", data, dims);
    }
    if (free && used.size) {
      // This run's buffers first, then the scratch of outputs it did not ask for (a run on some
      // sites must not cost the next full run its scratch), up to the limit.
      const kept = new Map<string, Float32Array>();
      let keptBytes = 0;
      for (const [n, data] of [...used, ...[...this.scratch].filter(([n]) => !used.has(n))]) {
        if (keptBytes + data.byteLength > this.scratchLimit) continue;
        kept.set(n, data);
        keptBytes += data.byteLength;
      }
      this.scratch = kept;
      this.holder = out;
    }
    return out;
  }

  /**
   * Ends the run that used `fetches`, and guards the scratch: an output returned in the scratch
   * buffer itself (a binding that does not copy) now belongs to the caller, so it is never written
   * again.
   */
  release(fetches: object, results: ort.InferenceSession.OnnxValueMapType): void {
    if (this.holder === fetches) this.holder = null;
    for (const [n, buffer] of this.scratch) {
      const t = results[n] as ort.Tensor | undefined;
      if (t && (t.data as Float32Array).buffer === buffer.buffer) this.scratch.delete(n);
    }
  }

  /**
   * Remembers the dims of float32 outputs of a run, beside those learned for the same input
   * shapes by runs that fetched other outputs.
   */
  learn(
    feeds: Record<string, ort.Tensor>,
    names: readonly string[],
    results: ort.InferenceSession.OnnxValueMapType,
  ): void {
    const key = OutputPlan.key(feeds);
    const plan = new Map(this.plans.get(key));
    for (const n of names) {
      const t = results[n] as ort.Tensor | undefined;
      if (t?.type === "float32") plan.set(n, [...t.dims]);
      else plan.delete(n);
    }
    this.plans.set(key, plan);
  }

  forget(feeds: Record<string, ort.Tensor>): void {
    this.plans.delete(OutputPlan.key(feeds));
    this.scratch.clear();
    this.holder = null;
  }
}
