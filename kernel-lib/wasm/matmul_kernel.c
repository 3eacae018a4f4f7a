/*
 * The dense product that chains attention rollout's layers (src/analysis/metrics/residual.ts) in
 * WebAssembly SIMD: C = A·B, row-major float32, A [n×k], B [k×m], n a multiple of 4 and m of 8
 * (the caller pads with zeros). Built by build.mjs into src/analysis/metrics/wasm/matmulModule.ts.
 *
 * Cache blocking: B is walked in panels of KC rows × NC columns (256 × 512 floats, 512 KiB: stays
 * in L2 while every 4-row block of A passes over it), each panel first packed into `pack` as
 * 8-column strips, row after row (read contiguously: B's own rows are T floats apart, which at
 * 4,096 tokens puts every row of a strip in the same L1 set and cost 20× in conflict misses);
 * each 4 × 8 tile of C lives in eight vector registers over the panel's KC rows (four
 * broadcasts of A, two loads of B, eight products per step; fewer than the 16 vector registers
 * V8 allocates on x64). Rows of A are skipped outside
 * the range where one of the block's four rows is non-zero: causal maps are lower triangular,
 * so their products cost half.
 *
 * Precision: sums in float32 (all terms of a rollout product are non-negative: no cancellation,
 * relative error a few float32 roundings).
 */
#include <wasm_simd128.h>

#define KC 256
#define NC 512

static inline int min_int(int x, int y) { return x < y ? x : y; }
static inline int max_int(int x, int y) { return x > y ? x : y; }

/* range[2b], range[2b+1]: first and end of the non-zero columns of rows 4b … 4b+3 of A (end ≤ first when none). */
static void nonzero_ranges(const float *a, int n, int k, int *range) {
  for (int i0 = 0; i0 < n; i0 += 4) {
    int first = k, end = 0;
    for (int i = i0; i < i0 + 4; i++) {
      const float *row = a + (long)i * k;
      int p = 0;
      while (p < first && row[p] == 0.0f) p++;
      first = p < first ? p : first;
      int q = k;
      while (q > end && row[q - 1] == 0.0f) q--;
      end = q > end ? q : end;
    }
    range[i0 / 2] = first;
    range[i0 / 2 + 1] = end;
  }
}

/* pack[(j − jc)/8][p − pc][0..7] = B[p][j .. j+7] for the panel rows [pc, pend), columns [jc, jend). */
static void pack_panel(const float *b, int m, int pc, int pend, int jc, int jend, float *pack) {
  for (int j = jc; j < jend; j += 8) {
    float *out = pack + (long)(j - jc) * KC;
    const float *in = b + (long)pc * m + j;
    for (int p = pc; p < pend; p++, in += m, out += 8) {
      wasm_v128_store(out, wasm_v128_load(in));
      wasm_v128_store(out + 4, wasm_v128_load(in + 4));
    }
  }
}

/* pack: room for KC × NC floats; range: two ints per 4 rows of A. */
__attribute__((export_name("matmul_f32"))) void matmul_f32(const float *a, const float *b, float *c, int n, int k,
                                                             int m, int *range, float *pack) {
  for (long x = 0; x < (long)n * m; x += 4) wasm_v128_store(c + x, wasm_f32x4_splat(0.0f));
  nonzero_ranges(a, n, k, range);
  for (int jc = 0; jc < m; jc += NC) {
    const int jend = min_int(jc + NC, m);
    for (int pc = 0; pc < k; pc += KC) {
      const int pend = min_int(pc + KC, k);
      pack_panel(b, m, pc, pend, jc, jend, pack);
      for (int i0 = 0; i0 < n; i0 += 4) {
        const int p0 = max_int(pc, range[i0 / 2]);
        const int p1 = min_int(pend, range[i0 / 2 + 1]);
        if (p0 >= p1) continue;
        const float *a0 = a + (long)i0 * k;
        const float *a1 = a0 + k;
        const float *a2 = a1 + k;
        const float *a3 = a2 + k;
        for (int j = jc; j < jend; j += 8) {
          float *c0 = c + (long)i0 * m + j;
          float *c1 = c0 + m;
          float *c2 = c1 + m;
          float *c3 = c2 + m;
          v128_t x00 = wasm_v128_load(c0), x01 = wasm_v128_load(c0 + 4);
          v128_t x10 = wasm_v128_load(c1), x11 = wasm_v128_load(c1 + 4);
          v128_t x20 = wasm_v128_load(c2), x21 = wasm_v128_load(c2 + 4);
          v128_t x30 = wasm_v128_load(c3), x31 = wasm_v128_load(c3 + 4);
          const float *bp = pack + (long)(j - jc) * KC + (long)(p0 - pc) * 8;
          for (int p = p0; p < p1; p++, bp += 8) {
            const v128_t b0 = wasm_v128_load(bp);
            const v128_t b1 = wasm_v128_load(bp + 4);
            v128_t s = wasm_v128_load32_splat(a0 + p);
            x00 = wasm_f32x4_add(x00, wasm_f32x4_mul(s, b0));
            x01 = wasm_f32x4_add(x01, wasm_f32x4_mul(s, b1));
            s = wasm_v128_load32_splat(a1 + p);
            x10 = wasm_f32x4_add(x10, wasm_f32x4_mul(s, b0));
            x11 = wasm_f32x4_add(x11, wasm_f32x4_mul(s, b1));
            s = wasm_v128_load32_splat(a2 + p);
            x20 = wasm_f32x4_add(x20, wasm_f32x4_mul(s, b0));
            x21 = wasm_f32x4_add(x21, wasm_f32x4_mul(s, b1));
            s = wasm_v128_load32_splat(a3 + p);
            x30 = wasm_f32x4_add(x30, wasm_f32x4_mul(s, b0));
            x31 = wasm_f32x4_add(x31, wasm_f32x4_mul(s, b1));
          }
          wasm_v128_store(c0, x00), wasm_v128_store(c0 + 4, x01);
          wasm_v128_store(c1, x10), wasm_v128_store(c1 + 4, x11);
          wasm_v128_store(c2, x20), wasm_v128_store(c2 + 4, x21);
          wasm_v128_store(c3, x30), wasm_v128_store(c3 + 4, x31);
        }
      }
    }
  }
}
