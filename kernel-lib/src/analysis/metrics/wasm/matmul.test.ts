import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
// @ts-expect-error: the build script is plain JavaScript, without typings
import { buildKernel, clangVersion, MATMUL, sourceHash } from "../../../../wasm/build.mjs";
import { seededRandom } from "../../../util/random";
import { multiply, multiplyJs } from "../residual";
import { hasWasmMatmul, wasmMultiply } from "./matmul";
import { MATMUL_CLANG, MATMUL_SOURCE_SHA256, MATMUL_WASM_BASE64 } from "./matmulModule";

/** The product from its definition, one sum per entry. */
function naive(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const c = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * m + j];
      c[i * m + j] = s;
    }
  return c;
}

/** Row-stochastic random matrix; lower triangular (a causal map) when asked. */
function stochastic(n: number, k: number, seed: number, lower = false): Float64Array {
  const rand = seededRandom(seed);
  const a = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p] = lower && p > i ? 0 : rand() ** 3;
    for (let p = 0; p < k; p++) a[i * k + p] /= s;
  }
  return a;
}

function maxRelative(got: Float64Array, want: Float64Array): number {
  let d = 0;
  for (let x = 0; x < want.length; x++) d = Math.max(d, Math.abs(got[x] - want[x]) / Math.max(want[x], 1e-30));
  return d;
}

describe("rollout's matrix product", () => {
  it("runs on WebAssembly SIMD in Node", () => {
    expect(hasWasmMatmul()).toBe(true);
  });

  // sizes off the kernel's 4 × 8 tiles, and past its 256 × 512 cache blocks
  const shapes: [number, number, number, boolean][] = [
    [1, 1, 1, false],
    [5, 3, 9, false],
    [13, 13, 13, true],
    [37, 300, 21, false],
    [300, 300, 300, true],
    [6, 520, 530, false],
  ];
  for (const [n, k, m, lower] of shapes) {
    it(`equals the definition within float32 rounding: [${n}×${k}]·[${k}×${m}]${lower ? ", lower triangular" : ""}`, () => {
      const a = stochastic(n, k, n + k, lower);
      const b = stochastic(k, m, k + m, lower && k === m);
      const want = naive(a, b, n, k, m);
      expect(maxRelative(wasmMultiply(a, b, n, k, m) as Float64Array, want)).toBeLessThan(2e-6);
      expect(maxRelative(multiply(a, b, n, k, m), want)).toBeLessThan(2e-6);
      expect(maxRelative(multiplyJs(a, b, n, k, m), want)).toBeLessThan(1e-12);
    });
  }

  it("gives zero rows for zero rows of A (padding) and keeps exact zeros above a causal diagonal", () => {
    const n = 11;
    const a = stochastic(n, n, 3, true);
    a.fill(0, 4 * n, 6 * n);
    const c = wasmMultiply(a, stochastic(n, n, 4, true), n, n, n) as Float64Array;
    for (let j = 0; j < n; j++) expect(c[4 * n + j]).toBe(0);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(c[i * n + j]).toBe(0);
  });
});

describe("the committed matrix-product module", () => {
  it("was built from the current C source and flags (else run node kernel-lib/wasm/build.mjs)", () => {
    expect(sourceHash(MATMUL.source)).toBe(MATMUL_SOURCE_SHA256);
  });

  it("is what a fresh build gives with the same clang, and imports nothing", (ctx) => {
    const module = new WebAssembly.Module(Buffer.from(MATMUL_WASM_BASE64, "base64"));
    expect(WebAssembly.Module.imports(module)).toEqual([]);
    expect(WebAssembly.Module.exports(module).map((e) => e.name)).toEqual(
      expect.arrayContaining(["memory", "matmul_f32", "__heap_base"]),
    );
    let wasmLd = true;
    try {
      execFileSync("wasm-ld", ["--version"], { stdio: "ignore" });
    } catch {
      wasmLd = false;
    }
    // another clang emits other (equally valid) bytes: as kernelModule.test.ts, only the same one can compare
    if (!wasmLd || clangVersion() !== MATMUL_CLANG) ctx.skip();
    expect(buildKernel(MATMUL.source).wasm.toString("base64")).toBe(MATMUL_WASM_BASE64);
  });
});
