/*
 * The metric pass's per-row accumulation (src/analysis/metrics/runKernel.ts) in WebAssembly SIMD.
 * Built by build.mjs into src/analysis/metrics/wasm/kernelModule.ts; loaded by src/analysis/metrics/wasm/kernel.ts.
 *
 * One call walks `rows` consecutive rows of S floats. Row r is target row t = (t0 + r) mod T of its
 * sample; rowInfo[4t .. 4t+3] = (first piece, piece count, split = ⌈pᵢ⌉, visible limit) and each
 * piece is (from, to, flags) over the row's sources: a visible run left of the split (PIECE_LEFT),
 * in the row's own segment (PIECE_SEGMENT), or masked / future sources (PIECE_MASKED: summed only).
 * The geometry is shared by all heads of a sample, so the tables cover T rows, not H·T.
 *
 * out gets ACC_SIZE doubles per row, in runKernel.ts's layout: Σa, Σa·log₂a, max, argmax with the
 * earliest index winning ties, −1 when a visible weight has its sign bit set, Σa left of the split,
 * Σa over masked sources, Σa over the own segment, Σa·(j − split) and its left part. Σa·j and its
 * left part (SUM_J, LEFT_SUM_J) are the JavaScript kernel's intermediates for the offsets; the
 * metric pass reads the offsets only, so they are not summed here and read NaN. points get the
 * single weights (row_points), windows the window masses (window_pass), masses the special-token
 * masses (special_masses), columnMass each head's mass on the strip candidates (column_masses):
 * every read of a single weight is done here, while the row is in cache, and the rows the
 * JavaScript kernel must redo are listed (near_or_failing). Two more exports serve the pattern
 * evidence after the pass (window_tallies, feed_tallies, at the end of this file).
 *
 * Precision: each lane sums at most BLOCK terms of one sign in float32 before the block is added
 * into float64. The offsets Σa·(j − split) are summed directly (a term never cancels another), so
 * they are good to float32 rounding even for a head that reads its neighbours, where
 * Σa·j − split·Σa would cancel.
 *
 * log₂a = e + log₂m with m in [√½, √2) (so a weight near 1 keeps its relative precision), and
 * log₂m = 2·atanh(s)/ln 2, s = (m − 1)/(m + 1), |s| ≤ 0.172, as s times a minimax quadratic in s²
 * (relative error 1.5e-7, about two float32 roundings; a cubic costs 10 % more time for nothing
 * the 1e-6 agreement needs). Zero gives log₂ = −127 and a·log₂a = 0; denormals are taken as
 * normal, as in logTable.ts. A row with any sign bit set goes to the JavaScript kernel.
 *
 * Each visible piece is read once (piece_sums): the linear sums, max, signs and logs in one loop.
 * V8 keeps its accumulators in registers and reloads a few constants from the stack, which costs
 * less than the second read of the former two-pass loop. The loop is bound by its vector
 * operations (about 19 per 4 weights, a division and a dozen of them for log₂), not by memory.
 */
#include <stdint.h>
#include <wasm_simd128.h>

enum { SUM, SUM_J, PLOGP, MAX, ARGMAX, SIGNS, LEFT_SUM, LEFT_SUM_J, MASKED, SEGMENT, OFFSET, LEFT_OFFSET, ACC_SIZE };
enum { PIECE_LEFT = 1, PIECE_SEGMENT = 2, PIECE_MASKED = 4 };

/* vectors summed in float32 per lane before a float64 flush */
#define BLOCK 16

/* The native addon (kernel-lib/native/metrics_addon.c) puts a wider piece_sums here where the CPU has one. */
#ifndef PIECE_SUMS
#define PIECE_SUMS piece_sums
#endif

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

/*
 * One visible piece [from, to): Σa, Σa·(j − split), Σa·log₂a in one read, and the largest bit
 * pattern. The index vector holds j − split, exact in float32 (|j − split| < 2²⁴), so the same
 * loop serves pieces left and right of the split; the sums are those of the former two-pass
 * kernel lane for lane and block for block (the same float32 operations in the same order), so
 * its results are unchanged to the bit.
 *
 * The unsigned max of the bit patterns is the largest weight when no sign bit is set (non-negative
 * floats order like their bits); any sign bit (a negative weight, or −0) makes it ≥ 2³¹, which
 * tells the caller to leave the row to the JavaScript kernel. One operation does max and signs.
 *
 * *seen gets where to look for the max's first index: each lane remembers the start of the last
 * block that raised its max, which holds that lane's first occurrence of its final max (a later
 * equal weight does not raise it); the smallest such start over the lanes that hold the piece's
 * max is at or before its first index, and usually within one block of it.
 */
static inline uint32_t piece_sums(const float *row, int from, int to, int split, double *sums, int *seen) {
  v128_t dsum = wasm_f64x2_const_splat(0.0), doff = dsum, dlog = dsum;
  v128_t vmax = wasm_i32x4_const_splat(0);
  v128_t raised = wasm_i32x4_splat(from);
  v128_t vj = wasm_f32x4_convert_i32x4(wasm_i32x4_add(wasm_i32x4_splat(from - split), wasm_i32x4_const(0, 1, 2, 3)));
  const v128_t four = wasm_f32x4_const_splat(4.0f);
  int j = from;
  while (to - j >= 4) {
    int n = (to - j) >> 2;
    if (n > BLOCK) n = BLOCK;
    const v128_t before = vmax;
    const v128_t start = wasm_i32x4_splat(j);
    v128_t s = wasm_f32x4_const_splat(0.0f), o = s, h = s;
#pragma clang loop unroll(disable)
    for (int k = 0; k < n; k++, j += 4) {
      const v128_t a = wasm_v128_load(row + j);
      vmax = wasm_u32x4_max(vmax, a);
      s = wasm_f32x4_add(s, a);
      o = wasm_f32x4_add(o, wasm_f32x4_mul(a, vj));
      vj = wasm_f32x4_add(vj, four);
      h = wasm_f32x4_add(h, wasm_f32x4_mul(a, log2_f32x4(a)));
    }
    raised = wasm_v128_bitselect(start, raised, wasm_i32x4_ne(vmax, before));
    dsum = widen_add(dsum, s);
    doff = widen_add(doff, o);
    dlog = widen_add(dlog, h);
  }
  if (j < to) {
    const v128_t a = wasm_v128_and(wasm_v128_load(row + j), first_lanes(to - j));
    const v128_t before = vmax;
    vmax = wasm_u32x4_max(vmax, a);
    raised = wasm_v128_bitselect(wasm_i32x4_splat(j), raised, wasm_i32x4_ne(vmax, before));
    dsum = widen_add(dsum, a);
    doff = widen_add(doff, wasm_f32x4_mul(a, vj));
    dlog = widen_add(dlog, wasm_f32x4_mul(a, log2_f32x4(a)));
  }
  sums[SUM] = hsum(dsum);
  sums[OFFSET] = hsum(doff);
  sums[PLOGP] = hsum(dlog);
  uint32_t lanes[4];
  int32_t starts[4];
  wasm_v128_store(lanes, vmax);
  wasm_v128_store(starts, raised);
  uint32_t top = lanes[0];
  for (int k = 1; k < 4; k++)
    if (lanes[k] > top) top = lanes[k];
  int at = to;
  for (int k = 0; k < 4; k++)
    if (lanes[k] == top && starts[k] < at) at = starts[k];
  *seen = at;
  return top;
}

/*
 * The first j in [at, to) with row[j] == value (value is the piece's max, so there is one; `at`
 * is at or before it, see piece_sums); `from` when there is none (a NaN max: the row fails).
 */
static int first_index_of(const float *row, int from, int at, int to, float value) {
  const v128_t target = wasm_f32x4_splat(value);
  int j = at;
  for (; to - j >= 4; j += 4) {
    const int hit = wasm_i32x4_bitmask(wasm_f32x4_eq(wasm_v128_load(row + j), target));
    if (hit) return j + __builtin_ctz(hit);
  }
  for (; j < to; j++)
    if (row[j] == value) return j;
  return from;
}

/*
 * Adds one visible piece into acc; returns the bit pattern of its max (≥ 2³¹: a sign bit was set)
 * and in *seen where its first index is searched from (piece_sums).
 */
static uint32_t visible_piece(const float *row, int from, int to, int split, int flags, double *acc, int *seen) {
  double sums[ACC_SIZE];
  const uint32_t top = PIECE_SUMS(row, from, to, split, sums, seen);
  if (flags & PIECE_LEFT) {
    acc[LEFT_SUM] += sums[SUM];
    acc[LEFT_OFFSET] += sums[OFFSET];
  }
  acc[SUM] += sums[SUM];
  acc[OFFSET] += sums[OFFSET];
  acc[PLOGP] += sums[PLOGP];
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

/*
 * The single weights the metric pass reads besides the sums, while the row is in L1: the weights
 * at p, p − 1, p + 1 (self sites; NaN where that source is not visible) and at the first visible
 * source. Source j is visible when valid[j] (the sample's source mask) and j < limit.
 */
static void row_points(const float *row, const uint8_t *valid, int first, int limit, int p, int self, float *points) {
  const float nan = __builtin_nanf("");
  points[0] = self && valid[p] ? row[p] : nan;
  points[1] = self && p >= 1 && valid[p - 1] ? row[p - 1] : nan;
  points[2] = self && p + 1 < limit && valid[p + 1] ? row[p + 1] : nan;
  points[3] = first >= 0 && first < limit ? row[first] : nan;
}

/*
 * The window masses of one row: the mass within |j − p| ≤ w over visible sources for w = 1 … W,
 * summed in double in the order of rowAccumulators.ts's referencePoints (p, then for each w the
 * left source before the right one).
 */
static void row_windows(const float *row, const uint8_t *valid, int limit, int p, int W, float *windows) {
  double mass = valid[p] ? row[p] : 0.0;
  for (int w = 1; w <= W; w++) {
    const int l = p - w, r = p + w;
    if (l >= 0 && valid[l]) mass += row[l];
    if (r < limit && valid[r]) mass += row[r];
    windows[w - 1] = (float)mass;
  }
}

/*
 * The same sums for up to four rows whose windows see every source they cover (`right`: both
 * sides; else the left side only, a causal row), interleaved: each row's sum is a chain of 2W
 * dependent additions in the same order as row_windows, and four chains side by side hide
 * each other's latency (one chain at a time made the windows a fifth of the pass at 128 tokens).
 */
static inline void group_windows(const float *const *row, const int *p, float *const *out, int n, int W, int right) {
  if (n < 4) {
    for (int k = 0; k < n; k++) {
      const float *x = row[k];
      const int q = p[k];
      double m = x[q];
      for (int w = 1; w <= W; w++) {
        m += x[q - w];
        if (right) m += x[q + w];
        out[k][w - 1] = (float)m;
      }
    }
    return;
  }
  const float *x0 = row[0], *x1 = row[1], *x2 = row[2], *x3 = row[3];
  const int q0 = p[0], q1 = p[1], q2 = p[2], q3 = p[3];
  float *o0 = out[0], *o1 = out[1], *o2 = out[2], *o3 = out[3];
  double m0 = x0[q0], m1 = x1[q1], m2 = x2[q2], m3 = x3[q3];
  for (int w = 1; w <= W; w++) {
    m0 += x0[q0 - w];
    m1 += x1[q1 - w];
    m2 += x2[q2 - w];
    m3 += x3[q3 - w];
    if (right) {
      m0 += x0[q0 + w];
      m1 += x1[q1 + w];
      m2 += x2[q2 + w];
      m3 += x3[q3 + w];
    }
    o0[w - 1] = (float)m0;
    o1[w - 1] = (float)m1;
    o2[w - 1] = (float)m2;
    o3[w - 1] = (float)m3;
  }
}

/*
 * The window masses of a call's rows (self sites, W > 0): rows whose window covers only visible
 * sources (a sample without masked sources, p − W ≥ 0, and p + W below the limit or nothing
 * right of p visible) in groups of four of the same kind; the others one by one.
 */
static void window_pass(const float *data, int rows, int t0, int T, int S, const int32_t *rowInfo,
                        const uint8_t *valid, int allValid, int W, float *windows) {
  const float *row[4];
  int p[4];
  float *out[4];
  int n = 0, right = 0;
  int t = t0;
  for (int r = 0; r < rows; r++) {
    const int32_t *info = rowInfo + 4 * t;
    const float *x = data + (long)r * S;
    float *o = windows + (long)r * W;
    const int q = info[2], limit = info[3];
    int kind = -1;
    if (info[1] > 0 && allValid && q - W >= 0) kind = q + W < limit ? 1 : limit == q + 1 ? 0 : -1;
    if (kind < 0) {
      if (info[1] > 0)
        row_windows(x, valid, limit, q, W, o);
      else
        for (int w = 0; w < W; w++) o[w] = 0.0f; /* a padding row */
    } else {
      if (n > 0 && kind != right) {
        group_windows(row, p, out, n, W, right);
        n = 0;
      }
      row[n] = x;
      p[n] = q;
      out[n] = o;
      right = kind;
      if (++n == 4) {
        group_windows(row, p, out, n, W, right);
        n = 0;
      }
    }
    if (++t == T) t = 0;
  }
  if (n > 0) group_windows(row, p, out, n, W, right);
}

/*
 * Σa over each special-token list — [CLS], [SEP]/EOS, punctuation, start/sink — of the sample
 * (special = [has lists, 4 counts, then the lists, ascending]), positions below the row's visible
 * limit, summed in double in list order as scan.ts's massAt sums them; NaN without lists.
 */
static void special_masses(const float *row, const int32_t *special, int limit, float *masses) {
  if (!special[0]) {
    for (int k = 0; k < 4; k++) masses[k] = __builtin_nanf("");
    return;
  }
  const int32_t *list = special + 5;
  for (int k = 0; k < 4; k++) {
    const int n = special[1 + k];
    double m = 0.0;
    for (int q = 0; q < n && list[q] < limit; q++) m += row[list[q]];
    masses[k] = (float)m;
    list += n;
  }
}

/*
 * Adds the row's weights at the sample's candidate columns (columns = [n, then n columns
 * ascending]: the strip candidates known before the pass) below its visible limit into the
 * head's column masses, in double, rows in order: what the pattern pass's strip shares sum.
 */
static void column_masses(const float *row, const int32_t *columns, int limit, double *mass) {
  const int n = columns[0];
  for (int k = 0; k < n && columns[1 + k] < limit; k++) mass[k] += row[columns[1 + k]];
}

/*
 * Whether float32 rounding could flip one of the row checks (validate.ts), or the row fails them
 * or has a sign bit set: then the JavaScript kernel redoes the row (rowAccumulators.ts; the same
 * test as its nearOrFailing, whose Math.max differs from this max only on NaN, where both flag).
 */
static int near_or_failing(const double *acc, double tolerance, double margin) {
  if (acc[SIGNS] < 0) return 1;
  const double masked = acc[MASKED];
  const double total = acc[SUM] + masked;
  const double off = __builtin_fabs(total - 1);
  return !(off < tolerance - margin * (total > 1 ? total : 1)) ||
         !(masked < tolerance - margin * (masked > tolerance ? masked : tolerance));
}

/*
 * points gets 4 floats per row, masses 4 and windows W (0 unless `self`: self-attention rows,
 * where pᵢ = split; on cross rows the first three points are NaN); redo the numbers (within the
 * call) of the rows to redo in float64 (near_or_failing); columnMass, per head of the sample (row
 * 0 of this call is in head h0), the candidate column masses (column_masses); allValid: the
 * sample has no masked source (window_pass). Returns how many rows to redo.
 */
__attribute__((export_name("scan_rows"))) int scan_rows(const float *data, int rows, int t0, int T, int S,
                                                         const int32_t *rowInfo, const int32_t *pieces,
                                                         const int32_t *special, const uint8_t *valid, int firstSource,
                                                         double *out, float *points, float *masses, float *windows,
                                                         int W, int self, double tolerance, double margin,
                                                         int32_t *redo, const int32_t *columns, double *columnMass,
                                                         int h0, int allValid) {
  int t = t0;
  int h = h0;
  int redone = 0;
#ifndef WINDOWS_LAST
  if (W > 0) window_pass(data, rows, t0, T, S, rowInfo, valid, allValid, W, windows);
#endif
  for (int r = 0; r < rows; r++, out += ACC_SIZE, points += 4, masses += 4) {
    const float *row = data + (long)r * S;
    const int32_t *info = rowInfo + 4 * t;
    for (int k = 0; k < ACC_SIZE; k++) out[k] = 0.0;
    out[MAX] = -1.0;
    const int split = info[2];
    const int32_t *first = pieces + 3 * info[0];
    const int32_t *piece = first;
    const int32_t *top = 0;
    uint32_t best = 0;
    int bestSeen = 0;
    for (int c = 0; c < info[1]; c++, piece += 3) {
      if (piece[2] & PIECE_MASKED) {
        out[MASKED] += masked_sum(row, piece[0], piece[1]);
        continue;
      }
      int seen;
      const uint32_t max = visible_piece(row, piece[0], piece[1], split, piece[2], out, &seen);
      /* pieces arrive left to right: a later piece needs a strictly larger value */
      if (!top || max > best) {
        best = max;
        top = piece;
        bestSeen = seen;
      }
    }
    if (best >= 0x80000000u) {
      out[SIGNS] = -1;
    } else if (top) {
      out[MAX] = float_of(best);
      out[ARGMAX] = first_index_of(row, top[0], bestSeen, top[1], float_of(best));
    }
    /* the JavaScript kernel's intermediates, which the metric pass does not read (see the top) */
    out[SUM_J] = out[LEFT_SUM_J] = __builtin_nan("");
    if (info[1] > 0) {
      row_points(row, valid, firstSource, info[3], split, self, points);
      special_masses(row, special, info[3], masses);
      column_masses(row, columns, info[3], columnMass + h * columns[0]);
    } else { /* a padding row */
      for (int k = 0; k < 4; k++) points[k] = masses[k] = __builtin_nanf("");
    }
    if (info[1] > 0 && near_or_failing(out, tolerance, margin)) redo[redone++] = r;
    if (++t == T) {
      t = 0;
      h++;
    }
  }
#ifdef WINDOWS_LAST
  /* the native addon: the rows' diagonals are still in cache after their sums (sample_scan.h) */
  if (W > 0) window_pass(data, rows, t0, T, S, rowInfo, valid, allValid, W, windows);
#endif
  return redone;
}

/*
 * The pattern evidence's window tallies (src/analysis/patterns/tally.ts, Tally.addMasses) for one
 * head and sample: for each width w < W, each run (block, first row, end row) of runs[runStart[w]
 * … runStart[w + 1]) and each row i of it, in row order,
 *   gain += m − chance,  llr += c·log + (1 − c)·lnε  (c = m clamped to [0, 1]),  mass += m,
 * m = masses[i·W + w] (float32, widened), chance and log at [i·W + w], into sums at
 * w·TALLY_SIZE + block·TALLY_FIELDS + (0, 4, 5): the layout of consecutive tallies in a
 * TallyArena. Every operation is the float64 one JavaScript does, in the same order (no fused
 * multiply-add in wasm SIMD128), so the sums are the same to the bit. Two widths with the same
 * runs are summed in one f64x2 vector, four at a time side by side (independent chains). Returns 0
 * when a run's mass sum is NaN (a mass the geometry did not expect: the caller redoes the head
 * row by row), else 1.
 */
/* TallyArena's layout (tally.ts): 6 fields per block, 16 blocks per tally; gain, llr, mass at 0, 4, 5. */
#define TALLY_FIELDS 6
#define TALLY_SIZE (16 * TALLY_FIELDS)
#define T_GAIN 0
#define T_LLR 4
#define T_MASS 5

static int same_runs(const int32_t *runs, const int32_t *runStart, int a, int b) {
  const int n = runStart[a + 1] - runStart[a];
  if (n != runStart[b + 1] - runStart[b]) return 0;
  for (int k = 0; k < n; k++)
    if (runs[runStart[a] + k] != runs[runStart[b] + k]) return 0;
  return 1;
}

/* One width, scalar (its runs differ from its neighbour's). */
static int lane_sums(const float *masses, const double *chance, const double *logs, int W, int w,
                     const int32_t *runs, int nruns, double ls, double *sums) {
  for (int q = 0; q < nruns; q += 3) {
    double *s = sums + w * TALLY_SIZE + runs[q] * TALLY_FIELDS;
    double gain = s[T_GAIN], llr = s[T_LLR], mass = s[T_MASS];
    for (int i = runs[q + 1]; i < runs[q + 2]; i++) {
      const double m = masses[i * W + w];
      /* wasm's min and max, as JavaScript's Math.min and Math.max: NaN stays NaN, max(0, −0) = 0 */
      const double c = __builtin_wasm_min_f64(1.0, __builtin_wasm_max_f64(0.0, m));
      gain = gain + (m - chance[i * W + w]);
      llr = llr + (c * logs[i * W + w] + (1.0 - c) * ls);
      mass = mass + m;
    }
    if (mass != mass) return 0;
    s[T_GAIN] = gain;
    s[T_LLR] = llr;
    s[T_MASS] = mass;
  }
  return 1;
}

/* Widths w, w + 1 (same runs) in one vector. */
static int pair_sums(const float *masses, const double *chance, const double *logs, int W, int w,
                     const int32_t *runs, int nruns, double ls, double *sums) {
  const v128_t zero = wasm_f64x2_const_splat(0.0), one = wasm_f64x2_const_splat(1.0), lnE = wasm_f64x2_splat(ls);
  for (int q = 0; q < nruns; q += 3) {
    double *s0 = sums + w * TALLY_SIZE + runs[q] * TALLY_FIELDS;
    double *s1 = s0 + TALLY_SIZE;
    v128_t gain = wasm_f64x2_make(s0[T_GAIN], s1[T_GAIN]);
    v128_t llr = wasm_f64x2_make(s0[T_LLR], s1[T_LLR]);
    v128_t mass = wasm_f64x2_make(s0[T_MASS], s1[T_MASS]);
    for (int i = runs[q + 1]; i < runs[q + 2]; i++) {
      const int at = i * W + w;
      const v128_t m = wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(masses + at));
      const v128_t c = wasm_f64x2_min(one, wasm_f64x2_max(zero, m));
      gain = wasm_f64x2_add(gain, wasm_f64x2_sub(m, wasm_v128_load(chance + at)));
      llr = wasm_f64x2_add(llr, wasm_f64x2_add(wasm_f64x2_mul(c, wasm_v128_load(logs + at)),
                                               wasm_f64x2_mul(wasm_f64x2_sub(one, c), lnE)));
      mass = wasm_f64x2_add(mass, m);
    }
    const double m0 = wasm_f64x2_extract_lane(mass, 0), m1 = wasm_f64x2_extract_lane(mass, 1);
    if (m0 != m0 || m1 != m1) return 0;
    s0[T_GAIN] = wasm_f64x2_extract_lane(gain, 0);
    s1[T_GAIN] = wasm_f64x2_extract_lane(gain, 1);
    s0[T_LLR] = wasm_f64x2_extract_lane(llr, 0);
    s1[T_LLR] = wasm_f64x2_extract_lane(llr, 1);
    s0[T_MASS] = m0;
    s1[T_MASS] = m1;
  }
  return 1;
}

/* Widths w … w + 3 (same runs) in two vectors side by side. */
static int quad_sums(const float *masses, const double *chance, const double *logs, int W, int w,
                     const int32_t *runs, int nruns, double ls, double *sums) {
  const v128_t zero = wasm_f64x2_const_splat(0.0), one = wasm_f64x2_const_splat(1.0), lnE = wasm_f64x2_splat(ls);
  for (int q = 0; q < nruns; q += 3) {
    double *s0 = sums + w * TALLY_SIZE + runs[q] * TALLY_FIELDS;
    double *s1 = s0 + TALLY_SIZE, *s2 = s1 + TALLY_SIZE, *s3 = s2 + TALLY_SIZE;
    v128_t gA = wasm_f64x2_make(s0[T_GAIN], s1[T_GAIN]), gB = wasm_f64x2_make(s2[T_GAIN], s3[T_GAIN]);
    v128_t lA = wasm_f64x2_make(s0[T_LLR], s1[T_LLR]), lB = wasm_f64x2_make(s2[T_LLR], s3[T_LLR]);
    v128_t mA = wasm_f64x2_make(s0[T_MASS], s1[T_MASS]), mB = wasm_f64x2_make(s2[T_MASS], s3[T_MASS]);
    for (int i = runs[q + 1]; i < runs[q + 2]; i++) {
      const int at = i * W + w;
      const v128_t four = wasm_v128_load(masses + at);
      const v128_t a = wasm_f64x2_promote_low_f32x4(four);
      const v128_t b = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(four, four, 2, 3, 2, 3));
      const v128_t ca = wasm_f64x2_min(one, wasm_f64x2_max(zero, a));
      const v128_t cb = wasm_f64x2_min(one, wasm_f64x2_max(zero, b));
      gA = wasm_f64x2_add(gA, wasm_f64x2_sub(a, wasm_v128_load(chance + at)));
      gB = wasm_f64x2_add(gB, wasm_f64x2_sub(b, wasm_v128_load(chance + at + 2)));
      lA = wasm_f64x2_add(lA, wasm_f64x2_add(wasm_f64x2_mul(ca, wasm_v128_load(logs + at)),
                                             wasm_f64x2_mul(wasm_f64x2_sub(one, ca), lnE)));
      lB = wasm_f64x2_add(lB, wasm_f64x2_add(wasm_f64x2_mul(cb, wasm_v128_load(logs + at + 2)),
                                             wasm_f64x2_mul(wasm_f64x2_sub(one, cb), lnE)));
      mA = wasm_f64x2_add(mA, a);
      mB = wasm_f64x2_add(mB, b);
    }
    const double m0 = wasm_f64x2_extract_lane(mA, 0), m1 = wasm_f64x2_extract_lane(mA, 1);
    const double m2 = wasm_f64x2_extract_lane(mB, 0), m3 = wasm_f64x2_extract_lane(mB, 1);
    if (m0 != m0 || m1 != m1 || m2 != m2 || m3 != m3) return 0;
    s0[T_GAIN] = wasm_f64x2_extract_lane(gA, 0);
    s1[T_GAIN] = wasm_f64x2_extract_lane(gA, 1);
    s2[T_GAIN] = wasm_f64x2_extract_lane(gB, 0);
    s3[T_GAIN] = wasm_f64x2_extract_lane(gB, 1);
    s0[T_LLR] = wasm_f64x2_extract_lane(lA, 0);
    s1[T_LLR] = wasm_f64x2_extract_lane(lA, 1);
    s2[T_LLR] = wasm_f64x2_extract_lane(lB, 0);
    s3[T_LLR] = wasm_f64x2_extract_lane(lB, 1);
    s0[T_MASS] = m0;
    s1[T_MASS] = m1;
    s2[T_MASS] = m2;
    s3[T_MASS] = m3;
  }
  return 1;
}

__attribute__((export_name("window_tallies"))) int window_tallies(const float *masses, const double *chance,
                                                                   const double *logs, int W, const int32_t *runs,
                                                                   const int32_t *runStart, double ls, double *sums) {
  int w = 0;
  while (w < W) {
    const int32_t *r = runs + runStart[w];
    const int n = runStart[w + 1] - runStart[w];
    if (w + 3 < W && same_runs(runs, runStart, w, w + 1) && same_runs(runs, runStart, w, w + 2) &&
        same_runs(runs, runStart, w, w + 3)) {
      if (!quad_sums(masses, chance, logs, W, w, r, n, ls, sums)) return 0;
      w += 4;
    } else if (w + 1 < W && same_runs(runs, runStart, w, w + 1)) {
      if (!pair_sums(masses, chance, logs, W, w, r, n, ls, sums)) return 0;
      w += 2;
    } else {
      if (!lane_sums(masses, chance, logs, W, w, r, n, ls, sums)) return 0;
      w++;
    }
  }
  return 1;
}

/*
 * The evidence's single-pattern tallies of one head and sample (sparse, short sparse, diagonal,
 * previous, next, block, induction): the same sums as lane_sums over masses, chance and logs one
 * entry per row. Lane k is table[k·LANE_INTS …]: masses (byte offset; float64 when the next entry
 * is 1, else float32), chance, logs, runs and their count (ints), the NaN rows and their count,
 * and the tally's sums (byte offset, TallyArena's layout). Returns 0 when a NaN row holds a number
 * or a run's mass sum is NaN (Tally.addMasses's test: the caller redoes the head row by row).
 */
#define LANE_INTS 9

__attribute__((export_name("feed_tallies"))) int feed_tallies(const int32_t *table, int lanes, double ls) {
  for (int k = 0; k < lanes; k++) {
    const int32_t *lane = table + k * LANE_INTS;
    const float *m32 = (const float *)(uintptr_t)lane[0];
    const double *m64 = (const double *)(uintptr_t)lane[0];
    const int wide = lane[1];
    const double *chance = (const double *)(uintptr_t)lane[2];
    const double *logs = (const double *)(uintptr_t)lane[3];
    const int32_t *runs = (const int32_t *)(uintptr_t)lane[4];
    const int nruns = lane[5];
    const int32_t *nan = (const int32_t *)(uintptr_t)lane[6];
    const int nnan = lane[7];
    double *sums = (double *)(uintptr_t)lane[8];
    for (int q = 0; q < nnan; q++) {
      const double m = wide ? m64[nan[q]] : (double)m32[nan[q]];
      if (m == m) return 0;
    }
    for (int q = 0; q < nruns; q += 3) {
      double *s = sums + runs[q] * TALLY_FIELDS;
      double gain = s[T_GAIN], llr = s[T_LLR], mass = s[T_MASS];
      for (int i = runs[q + 1]; i < runs[q + 2]; i++) {
        const double m = wide ? m64[i] : (double)m32[i];
        const double c = __builtin_wasm_min_f64(1.0, __builtin_wasm_max_f64(0.0, m));
        gain = gain + (m - chance[i]);
        llr = llr + (c * logs[i] + (1.0 - c) * ls);
        mass = mass + m;
      }
      if (mass != mass) return 0;
      s[T_GAIN] = gain;
      s[T_LLR] = llr;
      s[T_MASS] = mass;
    }
  }
  return 1;
}

/*
 * The sink-free view's window tallies of one head and sample (sinkFree.ts, RowByRow.addSample),
 * rows in order. Row i is rows[3i …] = (n, k, block): n visible sources (0: the row adds nothing
 * to this view), k of them strip columns, at distances dist[i·K …] from pᵢ with weights
 * weight[i·K …] (strip order); keep[i] = 1 − Σ weight. Width w + 1's row (w < W) adds, as
 * Tally.add does, its mass and chance with every field of the tally at sums + w·TALLY_SIZE:
 *   k = 0: m = masses[i·W + w], chance = counts[i·W + w] / n, log = logs[i·W + w] (Tally.addRow);
 *   k > 0: the strip columns within w + 1 of pᵢ set aside (their weight summed in strip order, as
 *   RowSink.within sums it), m = (masses − in) / keep[i], chance = (counts − inCount) / (n − k),
 *   log = table[(n − k)·C + counts − inCount] (templateLog of that chance, written by the caller).
 * Every operation is JavaScript's float64 one in the same order, so the sums are the same to the bit.
 */
#define T_ROOM 1
#define T_CHANCE 2
#define T_ROWS 3

static inline void tally_add(double *s, double m, double chance, double log, double ls) {
  if (!(chance < 1.0 && chance > 0.0) || m != m) return;
  const double c = __builtin_wasm_min_f64(1.0, __builtin_wasm_max_f64(0.0, m));
  const double llr = c * log + (1.0 - c) * ls;
  s[T_GAIN] += m - chance;
  s[T_ROOM] += 1.0 - chance;
  s[T_CHANCE] += chance;
  s[T_ROWS] += 1.0;
  s[T_LLR] += llr;
  s[T_MASS] += m;
}

__attribute__((export_name("rest_windows"))) void rest_windows(const float *masses, const double *counts,
                                                               const double *logs, int W, int T, const int32_t *rows,
                                                               const double *keep, const int32_t *dist,
                                                               const double *weight, int K, const double *table, int C,
                                                               double ls, double *sums) {
  for (int i = 0; i < T; i++) {
    const int n = rows[3 * i], k = rows[3 * i + 1];
    if (n == 0) continue;
    double *s = sums + rows[3 * i + 2] * TALLY_FIELDS;
    const float *m = masses + i * W;
    const double *count = counts + i * W;
    if (k == 0) {
      for (int w = 0; w < W; w++, s += TALLY_SIZE) tally_add(s, (double)m[w], count[w] / n, logs[i * W + w], ls);
      continue;
    }
    const int32_t *d = dist + i * K;
    const double *wt = weight + i * K;
    const double *row = table + (n - k) * C;
    for (int w = 0; w < W; w++, s += TALLY_SIZE) {
      double inMass = 0.0;
      int inCount = 0;
      for (int q = 0; q < k; q++) {
        if (d[q] <= w + 1) {
          inMass += wt[q];
          inCount++;
        }
      }
      const double c = count[w] - inCount;
      tally_add(s, ((double)m[w] - inMass) / keep[i], c / (n - k), row[(int)c], ls);
    }
  }
}

/*
 * The offset rings of one head and sample (sinkFree.ts, RowByRow.ringSample), rows in order, in
 * both views. Row i is rows[4i …] = (n, k, block, rest): n visible sources (0: the row adds
 * nothing), k strip columns (dist, weight, keep as in rest_windows), rest = 1 when the row has a
 * sink-free row. Ring w + 1's mass masses[i·W + w] (float64) adds, as Tally.add does, with chance
 * counts[i·W + w] / n and log logs[i·W + w] into raw + w·TALLY_SIZE; and, when restSums is not 0
 * and the row has a sink-free row, into restSums + w·TALLY_SIZE: as it is when k = 0, else with
 * the strip columns exactly w + 1 from pᵢ set aside (RowSink.within's ring), the rest renormalized
 * by keep and the log table[(n − k)·C + counts − inCount]. JavaScript's operations, in its order.
 */
__attribute__((export_name("ring_tallies"))) void ring_tallies(const double *masses, const double *counts,
                                                               const double *logs, int W, int T, const int32_t *rows,
                                                               const double *keep, const int32_t *dist,
                                                               const double *weight, int K, const double *table, int C,
                                                               double ls, double *rawSums, double *restSums) {
  for (int i = 0; i < T; i++) {
    const int n = rows[4 * i], k = rows[4 * i + 1], block = rows[4 * i + 2], rest = rows[4 * i + 3];
    if (n == 0) continue;
    const double *m = masses + i * W;
    const double *count = counts + i * W;
    const double *log = logs + i * W;
    const int32_t *d = dist + i * K;
    const double *wt = weight + i * K;
    for (int w = 0; w < W; w++) {
      tally_add(rawSums + w * TALLY_SIZE + block * TALLY_FIELDS, m[w], count[w] / n, log[w], ls);
      if (!restSums || !rest) continue;
      double *s = restSums + w * TALLY_SIZE + block * TALLY_FIELDS;
      if (k == 0) {
        tally_add(s, m[w], count[w] / n, log[w], ls);
        continue;
      }
      double inMass = 0.0;
      int inCount = 0;
      for (int q = 0; q < k; q++) {
        if (d[q] == w + 1) {
          inMass += wt[q];
          inCount++;
        }
      }
      const double c = count[w] - inCount;
      tally_add(s, (m[w] - inMass) / keep[i], c / (n - k), table[(n - k) * C + (int)c], ls);
    }
  }
}
