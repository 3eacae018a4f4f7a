/**
 * Rollout's dense product on the WebAssembly SIMD kernel (kernel-lib/wasm/matmul_kernel.c):
 * operands copied in as float32, padded to the kernel's 4-row × 8-column tiles, the product
 * copied out. One instance is kept for products up to KEEP_BYTES of linear memory; a larger
 * product gets an instance of its own, dropped after the call (WebAssembly memory never shrinks,
 * and a 4,096-token product needs 192 MiB). `null` where WebAssembly SIMD is missing.
 */
import { decodeBase64, wasmApi } from "./kernel";
import { MATMUL_WASM_BASE64 } from "./matmulModule";
import { align16, growTo, type WasmMemory } from "./memory";

interface MatmulExports {
  memory: WasmMemory;
  __heap_base: { value: number };
  matmul_f32(a: number, b: number, c: number, n: number, k: number, m: number, range: number, pack: number): void;
}

/** Linear memory kept between calls (512-token products need 3 MiB). */
const KEEP_BYTES = 64 * 1024 * 1024;

let compiled: object | null | undefined;
let kept: MatmulExports | undefined;

function module(): object | null {
  if (compiled === undefined) {
    const api = wasmApi();
    const bytes = decodeBase64(MATMUL_WASM_BASE64);
    compiled = api?.validate(bytes) ? new api.Module(bytes) : null;
  }
  return compiled;
}

function instance(bytes: number): MatmulExports | null {
  const mod = module();
  const api = wasmApi();
  if (!mod || !api) return null;
  const fresh = () => new api.Instance(mod, {}).exports as MatmulExports;
  if (bytes > KEEP_BYTES) return fresh();
  kept ??= fresh();
  return kept;
}

/** Whether this runtime runs the WebAssembly product. */
export function hasWasmMatmul(): boolean {
  return module() !== null;
}

/** The kernel's packed panel of B: KC × NC floats (matmul_kernel.c). */
const PACK_BYTES = 256 * 512 * 4;

/** C = A·B (row-major A [n×k], B [k×m]) on the WebAssembly kernel; null where it cannot run. */
export function wasmMultiply(
  a: ArrayLike<number>,
  bm: ArrayLike<number>,
  n: number,
  k: number,
  m: number,
): Float64Array | null {
  const n4 = Math.ceil(n / 4) * 4;
  const m8 = Math.ceil(m / 8) * 8;
  const aBytes = align16(n4 * k * 4);
  const bBytes = align16(k * m8 * 4);
  const cBytes = align16(n4 * m8 * 4);
  const rangeBytes = align16((n4 / 2) * 4);
  const need = aBytes + bBytes + cBytes + rangeBytes + PACK_BYTES;
  const wasm = instance(need);
  if (!wasm) return null;
  const base = align16(wasm.__heap_base.value);
  const end = base + need;
  growTo(wasm.memory, end);
  const f32 = new Float32Array(wasm.memory.buffer);
  const aAt = base;
  const bAt = aAt + aBytes;
  const cAt = bAt + bBytes;
  const rangeAt = cAt + cBytes;
  const packAt = rangeAt + rangeBytes;
  // A: n rows then zero rows up to n4; B: rows of m values then zeros up to m8
  f32.fill(0, aAt >> 2, cAt >> 2);
  for (let i = 0, at = aAt >> 2; i < n * k; i++) f32[at + i] = a[i];
  for (let p = 0; p < k; p++) {
    const at = (bAt >> 2) + p * m8;
    for (let j = 0; j < m; j++) f32[at + j] = bm[p * m + j];
  }
  wasm.matmul_f32(aAt, bAt, cAt, n4, k, m8, rangeAt, packAt);
  const c = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const at = (cAt >> 2) + i * m8;
    for (let j = 0; j < m; j++) c[i * m + j] = f32[at + j];
  }
  return c;
}
