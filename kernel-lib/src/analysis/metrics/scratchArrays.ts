/**
 * Typed arrays that one synchronous call fills, reads and drops, kept from call to call. The metric
 * pass's per-row sums are a few hundred KiB a site, and fresh arrays of that size are new zeroed
 * mappings: at moments when those come slowly (right after an inference, on the 2-core development
 * machine) they have cost `analyzeResult` 3 ms of 12 at 128 tokens (kernel-lib/docs/metrics.md,
 * Performance). Only for arrays that nothing returned by the call refers to: the next call
 * overwrites them.
 */

/** Arrays larger than this are not kept (a long input's would pin their memory). */
export const SCRATCH_KEEP_BYTES = 32 * 2 ** 20;

const kept = new Map<string, Float64Array | Float32Array>();

function scratch<A extends Float64Array | Float32Array>(name: string, length: number, Kind: new (n: number) => A): A {
  const have = kept.get(name);
  if (have instanceof Kind && have.length >= length) return have.subarray(0, length) as A;
  const made = new Kind(length);
  if (made.byteLength <= SCRATCH_KEEP_BYTES) kept.set(name, made);
  return made;
}

/** `length` float64s under `name`, contents left from the last call: the caller sets every one it reads. */
export function scratchFloat64(name: string, length: number): Float64Array {
  return scratch(name, length, Float64Array);
}

/** `length` float32s under `name`, contents left from the last call: the caller sets every one it reads. */
export function scratchFloat32(name: string, length: number): Float32Array {
  return scratch(name, length, Float32Array);
}
