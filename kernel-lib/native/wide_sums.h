/*
 * piece_sums (../wasm/metrics_kernel.c) on wider vectors, for the native addon on x86-64: the
 * same per-weight operations (the same log₂ to the bit, the same max and signs), LANES weights a
 * step instead of 4. The metric pass is bound by those vector operations, not by memory, so 8
 * lanes (AVX2) take about half the time of 4 and 16 (AVX-512) less again.
 *
 * What changes is the grouping of the float32 block sums: lane k sums weights j ≡ k (mod LANES),
 * BLOCK vectors at a time, before the block goes into float64. Each lane still sums at most BLOCK
 * terms of one sign, so the precision argument of metrics_kernel.c holds unchanged, but the
 * last bits of Σa, Σa·(j − split) and Σa·log₂a differ from the 4-lane kernel's:
 * src/analysis/metrics/native/nativeKernel.test.ts holds them to the JavaScript kernel within
 * 1e-6, as the WebAssembly kernel is held, and the checks to the same decisions.
 *
 * Included once per width with LANES and WIDE_NAME defined (metrics_addon.c), inside a function
 * target attribute, so the addon runs on any x86-64 and takes the widest its CPU has.
 */
#define WIDE_PASTE(a, b) a##b
#define WIDE_CAT(a, b) WIDE_PASTE(a, b) /* expands LANES and WIDE_NAME first */
#define WIDE_TYPE(prefix) WIDE_CAT(prefix, LANES)

typedef float WIDE_TYPE(wide_f32_) __attribute__((vector_size(4 * LANES)));
typedef int32_t WIDE_TYPE(wide_i32_) __attribute__((vector_size(4 * LANES)));
typedef uint32_t WIDE_TYPE(wide_u32_) __attribute__((vector_size(4 * LANES)));
typedef double WIDE_TYPE(wide_f64_) __attribute__((vector_size(4 * LANES)));
typedef float WIDE_TYPE(half_f32_) __attribute__((vector_size(2 * LANES)));

#define F32 WIDE_TYPE(wide_f32_)
#define I32 WIDE_TYPE(wide_i32_)
#define U32 WIDE_TYPE(wide_u32_)
#define F64 WIDE_TYPE(wide_f64_)
#define HALF WIDE_TYPE(half_f32_)

/* The float64 sum accumulates LANES/2 doubles per vector: two vectors of doubles per float vector. */
typedef struct {
  F64 lo, hi;
} WIDE_TYPE(wide_acc_);
#define ACC WIDE_TYPE(wide_acc_)

#define WIDE_ATTR __attribute__((target(WIDE_TARGET), always_inline)) static inline

WIDE_ATTR F32 WIDE_CAT(WIDE_NAME, _log2)(F32 a) {
  /* metrics_kernel.c's log2_f32x4, operation for operation */
  const I32 e = (I32)((U32)a - 0x3f3504f3u) >> 23;
  const F32 m = (F32)((U32)a - ((U32)e << 23));
  const F32 s = (m - 1.0f) / (m + 1.0f);
  const F32 z = s * s;
  F32 p = 0.5957807302474976f * z + 0.9615883231163025f;
  p = p * z + 2.885390520095825f;
  return __builtin_convertvector(e, F32) + s * p;
}

WIDE_ATTR void WIDE_CAT(WIDE_NAME, _widen)(ACC *d, F32 f) {
  HALF lo, hi;
  memcpy(&lo, &f, sizeof lo);
  memcpy(&hi, (const char *)&f + sizeof lo, sizeof hi);
  d->lo += __builtin_convertvector(lo, F64);
  d->hi += __builtin_convertvector(hi, F64);
}

/* where mask is all ones, a, else b (C has no ?: on vectors) */
WIDE_ATTR U32 WIDE_CAT(WIDE_NAME, _select)(U32 mask, U32 a, U32 b) { return (a & mask) | (b & ~mask); }

/* Lanes are read through memcpy, never by subscript: GCC keeps a subscripted vector in memory
   for the whole function, and the accumulators' round trips through the stack cost more than
   the rest of the loop. */
WIDE_ATTR double WIDE_CAT(WIDE_NAME, _hsum)(ACC d) {
  const F64 v = d.lo + d.hi;
  double x[LANES / 2];
  memcpy(x, &v, sizeof x);
  double s = 0.0;
  for (int k = 0; k < LANES / 2; k++) s += x[k];
  return s;
}

__attribute__((target(WIDE_TARGET))) static uint32_t WIDE_NAME(const float *row, int from, int to, int split,
                                                              double *sums, int *seen) {
  ACC dsum = {{0}, {0}}, doff = dsum, dlog = dsum;
  U32 vmax = {0};
  int32_t index[LANES];
  for (int k = 0; k < LANES; k++) index[k] = k;
  I32 lane;
  memcpy(&lane, index, sizeof lane);
  I32 raised = lane * 0 + from;
  F32 vj = __builtin_convertvector(lane + (from - split), F32);
  const F32 step = (F32){0} + (float)LANES;
  int j = from;
  while (to - j >= LANES) {
    int n = (to - j) / LANES;
    if (n > BLOCK) n = BLOCK;
    const U32 before = vmax;
    F32 s = {0}, o = {0}, h = {0};
    const int start = j;
    for (int k = 0; k < n; k++, j += LANES) {
      /* rows are read once, in order, from memory that is rarely in cache: fetch ahead, across
         the 4 KiB pages where the hardware prefetcher stops (42 → 31 ms a pass at 512 tokens) */
      __builtin_prefetch(row + j + PREFETCH_FLOATS);
      F32 a;
      memcpy(&a, row + j, sizeof a);
      const U32 bits = (U32)a;
      vmax = WIDE_CAT(WIDE_NAME, _select)((U32)(bits > vmax), bits, vmax);
      s += a;
      o += a * vj;
      vj += step;
      h += a * WIDE_CAT(WIDE_NAME, _log2)(a);
    }
    raised = (I32)WIDE_CAT(WIDE_NAME, _select)((U32)(vmax != before), (U32)(lane * 0 + start), (U32)raised);
    WIDE_CAT(WIDE_NAME, _widen)(&dsum, s);
    WIDE_CAT(WIDE_NAME, _widen)(&doff, o);
    WIDE_CAT(WIDE_NAME, _widen)(&dlog, h);
  }
  if (j < to) {
    /* the caller leaves room for a full vector past the row (metrics_addon.c, TAIL_BYTES) */
    F32 a;
    memcpy(&a, row + j, sizeof a);
    a = (F32)((I32)a & (lane < to - j));
    const U32 before = vmax;
    const U32 bits = (U32)a;
    vmax = WIDE_CAT(WIDE_NAME, _select)((U32)(bits > vmax), bits, vmax);
    raised = (I32)WIDE_CAT(WIDE_NAME, _select)((U32)(vmax != before), (U32)(lane * 0 + j), (U32)raised);
    WIDE_CAT(WIDE_NAME, _widen)(&dsum, a);
    WIDE_CAT(WIDE_NAME, _widen)(&doff, a * vj);
    WIDE_CAT(WIDE_NAME, _widen)(&dlog, a * WIDE_CAT(WIDE_NAME, _log2)(a));
  }
  sums[SUM] = WIDE_CAT(WIDE_NAME, _hsum)(dsum);
  sums[OFFSET] = WIDE_CAT(WIDE_NAME, _hsum)(doff);
  sums[PLOGP] = WIDE_CAT(WIDE_NAME, _hsum)(dlog);
  uint32_t maxes[LANES];
  int32_t starts[LANES];
  memcpy(maxes, &vmax, sizeof maxes);
  memcpy(starts, &raised, sizeof starts);
  uint32_t top = maxes[0];
  for (int k = 1; k < LANES; k++)
    if (maxes[k] > top) top = maxes[k];
  int at = to;
  for (int k = 0; k < LANES; k++)
    if (maxes[k] == top && starts[k] < at) at = starts[k];
  *seen = at;
  return top;
}

#undef F32
#undef I32
#undef U32
#undef F64
#undef HALF
#undef ACC
#undef WIDE_ATTR
