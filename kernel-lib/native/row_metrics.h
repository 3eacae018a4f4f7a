/*
 * The row metrics of a head's rows, from the sums scan_rows has just written, and the head's sums
 * of them: what rowOutputs.ts's deriveRows and headMetrics.ts's sampleHeadSums do in JavaScript,
 * the same float64 operations in the same order (the build has no fused multiply-add), each
 * stored as a float32 like a Float32Array store rounds it. Done on the pool's thread right after
 * the head is scanned, while its sums are in cache, so the calling thread gets the rows ready to
 * read. Rows scan_rows left to the JavaScript kernel (`skip`) are not touched: JavaScript redoes
 * their sums, checks them and derives them (the only rows that can fail a check), and sums their
 * head. Included by metrics_addon.c after ../wasm/metrics_kernel.c (ACC_SIZE and the sums' layout).
 */

/* The row metrics, in types.ts's ROW_METRIC_KEYS order (nativeKernel.ts hands them in that order). */
enum {
  R_ENTROPY, R_NORMALIZED_ENTROPY, R_DISTANCE, R_SIGNED_DISTANCE, R_CONFIDENCE,
  R_SELF, R_PREVIOUS, R_NEXT, R_FIRST, R_CLS, R_SEP, R_PUNCTUATION, R_SINK, R_SEGMENT, ROW_KEYS
};

/* The arrays nativeKernel.ts hands in for them: the row metrics, argmax, the head sums. */
#define ROW_ARRAYS (ROW_KEYS + 2)

/* Doubles per target row in the targets table (scan.ts sampleTargets). */
#define TARGET_DOUBLES 4

typedef struct {
  float *rows[ROW_KEYS];  /* at the sample's first row; rows[0] NULL: the pass derives nothing */
  int32_t *argmax;        /* the same */
  const double *targets;  /* per target row: valid (0 or 1), ⌈pᵢ⌉ − pᵢ, ln(visible sources) or NaN, own segment (0 or 1) */
  /*
   * The sample's head sums (headMetrics.ts sampleHeadSums): per head and row metric, the sum of
   * its non-NaN values over the head's rows in order, and their count, at (h·ROW_KEYS + k)·2. A
   * head with rows left to JavaScript gets count −1 for its first metric: JavaScript sums it.
   */
  double *headSums;
} RowOutputs;

/* Math.LN2 */
#define LN2_DOUBLE 0.6931471805599453

/* Rows row0 … row0 + T − 1 (one head of the sample), but those listed in skip (ascending, numbers within the head). */
static void derive_rows(const RowOutputs *o, const double *sums, const float *points, const float *masses, long row0,
                        int T, const int32_t *skip, int skipCount) {
  const float nan = __builtin_nanf("");
  double total[ROW_KEYS] = {0}, seen[ROW_KEYS] = {0};
  int next = 0;
  for (int i = 0; i < T; i++) {
    if (next < skipCount && skip[next] == i) {
      next++;
      continue;
    }
    const long r = row0 + i;
    const double *tg = o->targets + TARGET_DOUBLES * i;
    if (tg[0] == 0) { /* a padding row */
      for (int k = 0; k < ROW_KEYS; k++) o->rows[k][r] = nan;
      o->argmax[r] = -1;
      continue;
    }
    const double *a = sums + r * ACC_SIZE;
    const double sum = a[SUM], shift = tg[1], lnN = tg[2];
    const double h2 = -a[PLOGP] * LN2_DOUBLE;
    float v[ROW_KEYS];
    v[R_ENTROPY] = (float)h2;
    v[R_NORMALIZED_ENTROPY] = lnN == lnN ? (float)(h2 / lnN) : nan;
    v[R_DISTANCE] = (float)(a[OFFSET] - 2 * a[LEFT_OFFSET] + shift * (sum - 2 * a[LEFT_SUM]));
    v[R_SIGNED_DISTANCE] = (float)(a[OFFSET] + shift * sum);
    v[R_CONFIDENCE] = (float)a[MAX];
    v[R_SEGMENT] = tg[3] != 0 ? (float)a[SEGMENT] : nan;
    for (int k = 0; k < 4; k++) {
      v[R_SELF + k] = points[4 * r + k];
      v[R_CLS + k] = masses[4 * r + k];
    }
    o->argmax[r] = (int32_t)a[ARGMAX];
    for (int k = 0; k < ROW_KEYS; k++) {
      o->rows[k][r] = v[k];
      if (v[k] == v[k]) {
        total[k] += v[k];
        seen[k]++;
      }
    }
  }
  double *head = o->headSums + (long)(row0 / T) * ROW_KEYS * 2;
  for (int k = 0; k < ROW_KEYS; k++) {
    head[2 * k] = total[k];
    head[2 * k + 1] = seen[k];
  }
  if (skipCount > 0) head[1] = -1;
}
