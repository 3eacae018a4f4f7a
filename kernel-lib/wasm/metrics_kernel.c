/*
 * The metric pass's per-row accumulation (src/analysis/metrics/runKernel.ts) in WebAssembly SIMD.
 * Built by build.mjs into src/analysis/metrics/wasm/kernelModule.ts; loaded by src/analysis/metrics/wasm/kernel.ts.
 *
 * One call walks `rows` consecutive rows of S floats. Row r is target row t = (t0 + r) mod T of its
 * sample; rowInfo[3t .. 3t+2] = (first piece, piece count, split = ⌈pᵢ⌉) and each piece is
 * (from, to, flags) over the row's sources: a visible run left of the split (PIECE_LEFT), in the
 * row's own segment (PIECE_SEGMENT), or masked / future sources (PIECE_MASKED: summed only).
 * The geometry is shared by all heads of a sample, so the tables cover T rows, not H·T.
 *
 * out gets ACC_SIZE doubles per row, in runKernel.ts's layout (Σa, Σa·j, Σa·log₂a, max, argmax
 * with the earliest index winning ties, −1 when a visible weight has its sign bit set, Σa and Σa·j
 * left of the split) and then Σa over masked sources, Σa over the own segment, Σa·(j − split) and
 * its left part; points and windows the single weights and window masses (row_points).
 *
 * Precision: each lane sums at most BLOCK terms of one sign in float32 before the block is added
 * into float64. Σa·j and Σa·(j − split) are both summed (a term never cancels another), so each is
 * good to float32 rounding: Σa·j is exact-looking for a head that reads token 0, the offsets for a
 * head that reads its neighbours (where Σa·j − split·Σa would cancel). Right of the split only the
 * offsets are summed and Σa·j = split·Σa + Σa·(j − split) adds two non-negative terms.
 *
 * log₂a = e + log₂m with m in [√½, √2) (so a weight near 1 keeps its relative precision), and
 * log₂m = 2·atanh(s)/ln 2, s = (m − 1)/(m + 1), |s| ≤ 0.172, as s times a minimax quadratic in s²
 * (relative error 1.5e-7, about two float32 roundings; a cubic costs 10 % more time for nothing
 * the 1e-6 agreement needs). Zero gives log₂ = −127 and a·log₂a = 0; denormals are taken as
 * normal, as in logTable.ts. A row with any sign bit set goes to the JavaScript kernel.
 *
 * Each piece is read twice, both times from L1: the linear sums, max and signs, then the logs.
 * One loop with all of it needs more than the 16 vector registers V8 allocates on x64, and the
 * accumulators it spills to the stack then cost more than the second read.
 */
#include <stdint.h>
#include <wasm_simd128.h>

enum { SUM, SUM_J, PLOGP, MAX, ARGMAX, SIGNS, LEFT_SUM, LEFT_SUM_J, MASKED, SEGMENT, OFFSET, LEFT_OFFSET, ACC_SIZE };
enum { PIECE_LEFT = 1, PIECE_SEGMENT = 2, PIECE_MASKED = 4 };

/* vectors summed in float32 per lane before a float64 flush */
#define BLOCK 16

static inline v128_t log2_f32x4(v128_t a) {
  /* a = 2^e·m: e = ⌊(bits − bits(√½)) / 2²³⌋ (arithmetic shift), m = a / 2^e by exponent subtraction */
  const v128_t e = wasm_i32x4_shr(wasm_i32x4_sub(a, wasm_i32x4_const_splat(0x3f3504f3)), 23);
  const v128_t m = wasm_i32x4_sub(a, wasm_i32x4_shl(e, 23));
  const v128_t one = wasm_f32x4_const_splat(1.0f);
  const v128_t s = wasm_f32x4_div(wasm_f32x4_sub(m, one), wasm_f32x4_add(m, one));
  const v128_t z = wasm_f32x4_mul(s, s);
  /* minimax for log₂m / s as a quadratic in z = s², z in [0, 0.0295]: relative error 1.5e-7 */
  v128_t p = wasm_f32x4_const_splat(0.5957807302474976f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_const_splat(0.9615883231163025f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_const_splat(2.885390520095825f));
  return wasm_f32x4_add(wasm_f32x4_convert_i32x4(e), wasm_f32x4_mul(s, p));
}

/* float32 lanes → float64 pair, added to d */
static inline v128_t widen_add(v128_t d, v128_t f) {
  d = wasm_f64x2_add(d, wasm_f64x2_promote_low_f32x4(f));
  return wasm_f64x2_add(d, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(f, f, 2, 3, 2, 3)));
}

static inline double hsum(v128_t d) { return wasm_f64x2_extract_lane(d, 0) + wasm_f64x2_extract_lane(d, 1); }

/* lanes k < n all ones */
static inline v128_t first_lanes(int n) { return wasm_i32x4_gt(wasm_i32x4_splat(n), wasm_i32x4_const(0, 1, 2, 3)); }

/* Σa over [from, to) (masked sources): NaN and Infinity propagate, as the check needs. */
static double masked_sum(const float *row, int from, int to) {
  v128_t total = wasm_f64x2_const_splat(0.0);
  int j = from;
  while (to - j >= 4) {
    int n = (to - j) >> 2;
    if (n > BLOCK) n = BLOCK;
    v128_t s = wasm_f32x4_const_splat(0.0f);
    for (int k = 0; k < n; k++, j += 4) s = wasm_f32x4_add(s, wasm_v128_load(row + j));
    total = widen_add(total, s);
  }
  if (j < to) total = widen_add(total, wasm_v128_and(wasm_v128_load(row + j), first_lanes(to - j)));
  return hsum(total);
}

/* Σa·log₂a over [from, to) */
static double plogp_sum(const float *row, int from, int to) {
  v128_t total = wasm_f64x2_const_splat(0.0);
  int j = from;
  while (to - j >= 4) {
    int n = (to - j) >> 2;
    if (n > BLOCK) n = BLOCK;
    v128_t h = wasm_f32x4_const_splat(0.0f);
#pragma clang loop unroll(disable)
    for (int k = 0; k < n; k++, j += 4) {
      const v128_t a = wasm_v128_load(row + j);
      h = wasm_f32x4_add(h, wasm_f32x4_mul(a, log2_f32x4(a)));
    }
    total = widen_add(total, h);
  }
  if (j < to) {
    const v128_t a = wasm_v128_and(wasm_v128_load(row + j), first_lanes(to - j));
    total = widen_add(total, wasm_f32x4_mul(a, log2_f32x4(a)));
  }
  return hsum(total);
}

/*
 * Σa, Σa·(j − split) and, with `left`, Σa·j over [from, to); the largest bit pattern.
 * `left` is a constant at each call, so this is two loops. The index vector holds absolute j on
 * the left, j − split on the right: both ≥ 0 and exact in float32.
 *
 * The unsigned max of the bit patterns is the largest weight when no sign bit is set (non-negative
 * floats order like their bits); any sign bit (a negative weight, or −0) makes it ≥ 2³¹, which
 * tells the caller to leave the row to the JavaScript kernel. One operation does max and signs.
 */
static inline uint32_t linear_sums(const float *row, int from, int to, int split, int left, double *sums) {
  v128_t dsum = wasm_f64x2_const_splat(0.0), dsumj = dsum, doff = dsum;
  v128_t vmax = wasm_i32x4_const_splat(0);
  v128_t vj = wasm_f32x4_convert_i32x4(
      wasm_i32x4_add(wasm_i32x4_splat(left ? from : from - split), wasm_i32x4_const(0, 1, 2, 3)));
  const v128_t vsplit = wasm_f32x4_splat((float)split);
  const v128_t four = wasm_f32x4_const_splat(4.0f);
  int j = from;
  while (to - j >= 4) {
    int n = (to - j) >> 2;
    if (n > BLOCK) n = BLOCK;
    v128_t s = wasm_f32x4_const_splat(0.0f), sj = s, o = s;
#pragma clang loop unroll(disable)
    for (int k = 0; k < n; k++, j += 4) {
      const v128_t a = wasm_v128_load(row + j);
      vmax = wasm_u32x4_max(vmax, a);
      s = wasm_f32x4_add(s, a);
      if (left) {
        sj = wasm_f32x4_add(sj, wasm_f32x4_mul(a, vj));
        o = wasm_f32x4_add(o, wasm_f32x4_mul(a, wasm_f32x4_sub(vj, vsplit)));
      } else {
        o = wasm_f32x4_add(o, wasm_f32x4_mul(a, vj));
      }
      vj = wasm_f32x4_add(vj, four);
    }
    dsum = widen_add(dsum, s);
    if (left) dsumj = widen_add(dsumj, sj);
    doff = widen_add(doff, o);
  }
  if (j < to) {
    const v128_t a = wasm_v128_and(wasm_v128_load(row + j), first_lanes(to - j));
    vmax = wasm_u32x4_max(vmax, a);
    dsum = widen_add(dsum, a);
    if (left) {
      dsumj = widen_add(dsumj, wasm_f32x4_mul(a, vj));
      doff = widen_add(doff, wasm_f32x4_mul(a, wasm_f32x4_sub(vj, vsplit)));
    } else {
      doff = widen_add(doff, wasm_f32x4_mul(a, vj));
    }
  }
  sums[SUM] = hsum(dsum);
  sums[OFFSET] = hsum(doff);
  sums[SUM_J] = left ? hsum(dsumj) : (double)split * sums[SUM] + sums[OFFSET];
  uint32_t lanes[4];
  wasm_v128_store(lanes, vmax);
  uint32_t top = lanes[0];
  for (int k = 1; k < 4; k++)
    if (lanes[k] > top) top = lanes[k];
  return top;
}

/* The first j in [from, to) with row[j] == value (value is the piece's max, so there is one). */
static int first_index_of(const float *row, int from, int to, float value) {
  const v128_t target = wasm_f32x4_splat(value);
  int j = from;
  for (; to - j >= 4; j += 4) {
    const int hit = wasm_i32x4_bitmask(wasm_f32x4_eq(wasm_v128_load(row + j), target));
    if (hit) return j + __builtin_ctz(hit);
  }
  for (; j < to; j++)
    if (row[j] == value) return j;
  return from;
}

/* Adds one visible piece into acc; returns the bit pattern of its max (≥ 2³¹: a sign bit was set). */
static uint32_t visible_piece(const float *row, int from, int to, int split, int flags, double *acc) {
  double sums[ACC_SIZE];
  uint32_t top;
  if (flags & PIECE_LEFT) {
    top = linear_sums(row, from, to, split, 1, sums);
    acc[LEFT_SUM] += sums[SUM];
    acc[LEFT_SUM_J] += sums[SUM_J];
    acc[LEFT_OFFSET] += sums[OFFSET];
  } else {
    top = linear_sums(row, from, to, split, 0, sums);
  }
  acc[SUM] += sums[SUM];
  acc[SUM_J] += sums[SUM_J];
  acc[OFFSET] += sums[OFFSET];
  acc[PLOGP] += plogp_sum(row, from, to);
  if (flags & PIECE_SEGMENT) acc[SEGMENT] += sums[SUM];
  return top;
}

static inline float float_of(uint32_t bits) {
  union {
    uint32_t u;
    float f;
  } x = {bits};
  return x.f;
}

/* Whether source j is visible: in a piece that is not masked. Pieces are in source order. */
static inline int visible(const int32_t *piece, int count, int j) {
  for (int c = 0; c < count && piece[3 * c] <= j; c++)
    if (j < piece[3 * c + 1]) return !(piece[3 * c + 2] & PIECE_MASKED);
  return 0;
}

/*
 * The single weights the metric pass reads besides the sums, while the row is in L1: into
 * points, the weights at p, p − 1, p + 1 (self sites; NaN where that source is not visible)
 * and at the first visible source; into windows, the mass within |j − p| ≤ w over visible
 * sources for w = 1 … W, summed in double in the order of rowAccumulators.ts's referencePoints,
 * with one cursor walking the pieces left of p and one right of it.
 */
static void row_points(const float *row, const int32_t *piece, int count, int p, int self, int W, float *points,
                       float *windows) {
  const float nan = __builtin_nanf("");
  if (count == 0) { /* a padding row */
    for (int k = 0; k < 4; k++) points[k] = nan;
    for (int w = 0; w < W; w++) windows[w] = 0.0f;
    return;
  }
  points[0] = self && visible(piece, count, p) ? row[p] : nan;
  points[1] = self && p >= 1 && visible(piece, count, p - 1) ? row[p - 1] : nan;
  points[2] = self && visible(piece, count, p + 1) ? row[p + 1] : nan;
  points[3] = nan;
  for (int c = 0; c < count; c++)
    if (!(piece[3 * c + 2] & PIECE_MASKED)) {
      points[3] = row[piece[3 * c]];
      break;
    }
  if (W == 0) return;
  double mass = visible(piece, count, p) ? row[p] : 0.0;
  int lo = count - 1; /* the last piece starting at or before p − w */
  int hi = 0;         /* the first piece ending after p + w */
  for (int w = 1; w <= W; w++) {
    const int l = p - w, r = p + w;
    while (lo >= 0 && piece[3 * lo] > l) lo--;
    if (l >= 0 && lo >= 0 && l < piece[3 * lo + 1] && !(piece[3 * lo + 2] & PIECE_MASKED)) mass += row[l];
    while (hi < count && piece[3 * hi + 1] <= r) hi++;
    if (hi < count && piece[3 * hi] <= r && !(piece[3 * hi + 2] & PIECE_MASKED)) mass += row[r];
    windows[w - 1] = (float)mass;
  }
}

/*
 * points gets 4 floats per row and windows W (0 unless `self`: self-attention rows, where pᵢ = split;
 * on cross rows the first three points are NaN).
 */
__attribute__((export_name("scan_rows"))) void scan_rows(const float *data, int rows, int t0, int T, int S,
                                                         const int32_t *rowInfo, const int32_t *pieces,
                                                         double *out, float *points, float *windows, int W,
                                                         int self) {
  int t = t0;
  for (int r = 0; r < rows; r++, out += ACC_SIZE, points += 4, windows += W) {
    const float *row = data + (long)r * S;
    const int32_t *info = rowInfo + 3 * t;
    for (int k = 0; k < ACC_SIZE; k++) out[k] = 0.0;
    out[MAX] = -1.0;
    const int split = info[2];
    const int32_t *first = pieces + 3 * info[0];
    const int32_t *piece = first;
    const int32_t *top = 0;
    uint32_t best = 0;
    for (int c = 0; c < info[1]; c++, piece += 3) {
      if (piece[2] & PIECE_MASKED) {
        out[MASKED] += masked_sum(row, piece[0], piece[1]);
        continue;
      }
      const uint32_t max = visible_piece(row, piece[0], piece[1], split, piece[2], out);
      /* pieces arrive left to right: a later piece needs a strictly larger value */
      if (!top || max > best) {
        best = max;
        top = piece;
      }
    }
    if (best >= 0x80000000u) {
      out[SIGNS] = -1;
    } else if (top) {
      out[MAX] = float_of(best);
      out[ARGMAX] = first_index_of(row, top[0], top[1], float_of(best));
    }
    row_points(row, first, info[1], split, self, W, points, windows);
    if (++t == T) t = 0;
  }
}
