/*
 * The wasm_simd128.h intrinsics that ../../wasm/metrics_kernel.c uses, as GCC / Clang vector
 * extensions, so the very same C source builds into the native addon (metrics_addon.c). Each one
 * does the WebAssembly operation's IEEE arithmetic lane for lane, with no fused multiply-add
 * (build.mjs passes -ffp-contract=off), so the native kernel's results are the WebAssembly
 * kernel's to the bit; test/nativeKernel.test.ts holds them to that.
 *
 * Only what the kernel uses is here: a new intrinsic in the C source fails the native build
 * (build.mjs then leaves the WebAssembly kernel in charge and says why).
 */
#ifndef ATTNLENS_WASM_SIMD128_SHIM_H
#define ATTNLENS_WASM_SIMD128_SHIM_H

#include <stdint.h>
#include <string.h>

typedef int32_t v128_t __attribute__((vector_size(16)));
typedef uint32_t shim_u32x4 __attribute__((vector_size(16)));
typedef float shim_f32x4 __attribute__((vector_size(16)));
typedef double shim_f64x2 __attribute__((vector_size(16)));

/* the kernel's export attributes and loop pragmas mean nothing in a native build */
#define export_name(name) used

static inline v128_t wasm_v128_load(const void *p) {
  v128_t v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline v128_t wasm_v128_load64_zero(const void *p) {
  v128_t v = {0, 0, 0, 0};
  memcpy(&v, p, 8);
  return v;
}
static inline void wasm_v128_store(void *p, v128_t v) { memcpy(p, &v, sizeof v); }
static inline v128_t wasm_v128_and(v128_t a, v128_t b) { return a & b; }
static inline v128_t wasm_v128_bitselect(v128_t a, v128_t b, v128_t mask) { return (a & mask) | (b & ~mask); }

static inline v128_t wasm_i32x4_splat(int32_t x) { return (v128_t){x, x, x, x}; }
#define wasm_i32x4_const_splat(x) wasm_i32x4_splat(x)
#define wasm_i32x4_const(a, b, c, d) ((v128_t){(a), (b), (c), (d)})
static inline v128_t wasm_i32x4_add(v128_t a, v128_t b) { return (v128_t)((shim_u32x4)a + (shim_u32x4)b); }
static inline v128_t wasm_i32x4_sub(v128_t a, v128_t b) { return (v128_t)((shim_u32x4)a - (shim_u32x4)b); }
static inline v128_t wasm_i32x4_shl(v128_t a, uint32_t n) { return (v128_t)((shim_u32x4)a << (n & 31)); }
static inline v128_t wasm_i32x4_shr(v128_t a, uint32_t n) { return a >> (int32_t)(n & 31); }
static inline v128_t wasm_i32x4_gt(v128_t a, v128_t b) { return (v128_t)(a > b); }
static inline v128_t wasm_i32x4_ne(v128_t a, v128_t b) { return (v128_t)(a != b); }
static inline v128_t wasm_u32x4_max(v128_t a, v128_t b) {
  return wasm_v128_bitselect(a, b, (v128_t)((shim_u32x4)a > (shim_u32x4)b));
}
/* lanes through memcpy, not by subscript, which makes GCC keep the vector in memory */
static inline int wasm_i32x4_bitmask(v128_t a) {
  int32_t x[4];
  memcpy(x, &a, sizeof x);
  return (x[0] < 0) | (x[1] < 0) << 1 | (x[2] < 0) << 2 | (x[3] < 0) << 3;
}
#if defined(__clang__)
#define wasm_i32x4_shuffle(a, b, i0, i1, i2, i3) ((v128_t)__builtin_shufflevector((v128_t)(a), (v128_t)(b), i0, i1, i2, i3))
#else
#define wasm_i32x4_shuffle(a, b, i0, i1, i2, i3) \
  ((v128_t)__builtin_shuffle((v128_t)(a), (v128_t)(b), (v128_t){(i0), (i1), (i2), (i3)}))
#endif

static inline v128_t wasm_f32x4_splat(float x) { return (v128_t)(shim_f32x4){x, x, x, x}; }
#define wasm_f32x4_const_splat(x) wasm_f32x4_splat(x)
static inline v128_t wasm_f32x4_add(v128_t a, v128_t b) { return (v128_t)((shim_f32x4)a + (shim_f32x4)b); }
static inline v128_t wasm_f32x4_sub(v128_t a, v128_t b) { return (v128_t)((shim_f32x4)a - (shim_f32x4)b); }
static inline v128_t wasm_f32x4_mul(v128_t a, v128_t b) { return (v128_t)((shim_f32x4)a * (shim_f32x4)b); }
static inline v128_t wasm_f32x4_div(v128_t a, v128_t b) { return (v128_t)((shim_f32x4)a / (shim_f32x4)b); }
static inline v128_t wasm_f32x4_eq(v128_t a, v128_t b) { return (v128_t)((shim_f32x4)a == (shim_f32x4)b); }
static inline v128_t wasm_f32x4_convert_i32x4(v128_t a) { return (v128_t)__builtin_convertvector(a, shim_f32x4); }

static inline v128_t wasm_f64x2_make(double a, double b) { return (v128_t)(shim_f64x2){a, b}; }
static inline v128_t wasm_f64x2_splat(double x) { return wasm_f64x2_make(x, x); }
#define wasm_f64x2_const_splat(x) wasm_f64x2_splat(x)
static inline double wasm_f64x2_extract_lane(v128_t a, int k) {
  double x[2];
  memcpy(x, &a, sizeof x);
  return x[k & 1];
}
static inline v128_t wasm_f64x2_add(v128_t a, v128_t b) { return (v128_t)((shim_f64x2)a + (shim_f64x2)b); }
static inline v128_t wasm_f64x2_sub(v128_t a, v128_t b) { return (v128_t)((shim_f64x2)a - (shim_f64x2)b); }
static inline v128_t wasm_f64x2_mul(v128_t a, v128_t b) { return (v128_t)((shim_f64x2)a * (shim_f64x2)b); }
static inline v128_t wasm_f64x2_promote_low_f32x4(v128_t a) {
  float x[4];
  memcpy(x, &a, sizeof x);
  return wasm_f64x2_make((double)x[0], (double)x[1]);
}

/* WebAssembly's min and max: NaN when either is NaN, and −0 below +0 */
static inline double shim_min_f64(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return __builtin_signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline double shim_max_f64(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return __builtin_signbit(a) ? b : a;
  return a > b ? a : b;
}
#define __builtin_wasm_min_f64(a, b) shim_min_f64((a), (b))
#define __builtin_wasm_max_f64(a, b) shim_max_f64((a), (b))
static inline v128_t wasm_f64x2_min(v128_t a, v128_t b) {
  return wasm_f64x2_make(shim_min_f64(wasm_f64x2_extract_lane(a, 0), wasm_f64x2_extract_lane(b, 0)),
                         shim_min_f64(wasm_f64x2_extract_lane(a, 1), wasm_f64x2_extract_lane(b, 1)));
}
static inline v128_t wasm_f64x2_max(v128_t a, v128_t b) {
  return wasm_f64x2_make(shim_max_f64(wasm_f64x2_extract_lane(a, 0), wasm_f64x2_extract_lane(b, 0)),
                         shim_max_f64(wasm_f64x2_extract_lane(a, 1), wasm_f64x2_extract_lane(b, 1)));
}

#endif
