import { ortMultiply } from "./host/rolloutHost";
import { wasmMultiply } from "./wasm/matmul";

/**
 * The residual-adjusted attention of a layer, Â = normalize((1 − r)·Ā + r·I) (Abnar & Zuidema
 * 2020 take r = 0.5: the residual connection carries half of each token's own representation).
 * Padding rows (Ā row all 0) become identity rows. Also the dense product used to chain layers.
 */
export function residualAdjusted(fused: Float32Array, b: number, T: number, residual = 0.5): Float64Array {
  const out = new Float64Array(T * T);
  for (let i = 0; i < T; i++) {
    let sum = 0;
    for (let j = 0; j < T; j++) {
      const v = (1 - residual) * fused[(b * T + i) * T + j] + (i === j ? residual : 0);
      out[i * T + j] = v;
      sum += v;
    }
    if (sum === 0) out[i * T + i] = sum = 1; // a padding row with r = 0
    for (let j = 0; j < T; j++) out[i * T + j] /= sum;
  }
  return out;
}

/**
 * C = A·B for row-major A [n×k] and B [k×m]: on onnxruntime's CPU MatMul (host/rolloutHost.ts,
 * multi-threaded, FMA) where onnxruntime-node is there, else the WebAssembly SIMD kernel
 * (wasm/matmul.ts) where the runtime has it, else `multiplyJs`. Float32 operands and sums on both
 * fast paths (every term of rollout's products is non-negative: nothing cancels).
 */
export function multiply(a: Float64Array, bm: Float64Array, n: number, k: number, m: number): Float64Array {
  const onOrt = ortMultiply(Float32Array.from(a), Float32Array.from(bm), n, k, m);
  if (onOrt) return Float64Array.from(onOrt);
  return wasmMultiply(a, bm, n, k, m) ?? multiplyJs(a, bm, n, k, m);
}

/** C = A·B in float64 JavaScript; skips zero entries of A (causal maps are half zero). The reference. */
export function multiplyJs(a: Float64Array, bm: Float64Array, n: number, k: number, m: number): Float64Array {
  const c = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) {
      const v = a[i * k + p];
      if (v === 0) continue;
      const row = p * m;
      const out = i * m;
      for (let j = 0; j < m; j++) c[out + j] += v * bm[row + j];
    }
  }
  return c;
}
