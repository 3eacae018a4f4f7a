/*
 * The metric pass's row kernel as a native Node-API addon: ../wasm/metrics_kernel.c itself, built
 * with include/wasm_simd128.h. What the native build adds to the WebAssembly kernel:
 *
 * - it reads the rows where they are, in the result's own memory (the WebAssembly kernel copies
 *   every row into its linear memory first), fetching ahead of its loop;
 * - where the CPU has AVX2 or AVX-512, long runs of a row go through wide_sums.h, 8 or 16 weights
 *   a step (at 4, `lanes(4)`, the results are the WebAssembly kernel's to the bit);
 * - a pool of threads of its own (pool.h) scans a sample's heads, each head whole to one thread
 *   (so the answer does not depend on the thread count), while JavaScript goes on with other
 *   work until it waits for the sample.
 *
 * Exports submit, wait, scan (the same on this thread, now) and lanes;
 * src/analysis/metrics/native/nativeKernel.ts is the JavaScript side. No pool thread touches a
 * JavaScript value, only typed arrays' memory, which the job holds references to (so it is
 * neither collected nor moved) until it is waited for.
 */
#include <node_api.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t native_piece_sums(const float *row, int from, int to, int split, double *sums, int *seen);
#define PIECE_SUMS native_piece_sums
#define WINDOWS_LAST
#include "../wasm/metrics_kernel.c"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* how far ahead the wide loops fetch: 2 KiB (a pass at 512 tokens, one thread: 512 B ahead
   35.5 ms, 1 KiB 32.1, 2 KiB 31.4–32.7, 4 KiB 31.1) */
#define PREFETCH_FLOATS 512
/* the fewest vectors a piece takes the wide loops for (at 128 tokens shorter pieces were slower) */
#define WIDE_MIN 8
#define LANES 8
#define WIDE_NAME piece_sums_avx2
#define WIDE_TARGET "avx2"
#include "wide_sums.h"
#undef LANES
#undef WIDE_NAME
#undef WIDE_TARGET
#define LANES 16
#define WIDE_NAME piece_sums_avx512
#define WIDE_TARGET "avx512f"
#include "wide_sums.h"
#define HAS_WIDE 1
#endif

/* Weights a row's piece sums take per vector: 4 (the WebAssembly kernel's own, to the bit), 8 or 16. */
static int lanes = 4;

static uint32_t native_piece_sums(const float *row, int from, int to, int split, double *sums, int *seen) {
#ifdef HAS_WIDE
  /* a short piece costs the wide loop more in setup and reductions than its vectors save */
  const int n = to - from;
  if (lanes == 16 && n >= WIDE_MIN * 16) return piece_sums_avx512(row, from, to, split, sums, seen);
  if (lanes >= 8 && n >= WIDE_MIN * 8) return piece_sums_avx2(row, from, to, split, sums, seen);
#endif
  return piece_sums(row, from, to, split, sums, seen);
}

/* The widest vectors this CPU runs. */
static int widest_lanes(void) {
#ifdef HAS_WIDE
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return 16;
  if (__builtin_cpu_supports("avx2")) return 8;
#endif
  return 4;
}

#include "row_metrics.h"
#include "sample_scan.h"
#include "pool.h"

/* What read_sample allocated for a sample. */
static void free_sample(Sample *s) {
  free(s->redo);
  free(s->redoCount);
  free(s->pad);
  s->redo = s->redoCount = NULL;
  s->pad = NULL;
}

static int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *length, size_t *slack) {
  napi_valuetype kind;
  bool is;
  if (napi_typeof(env, v, &kind) != napi_ok || kind != napi_object) return 0;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, length, data, &buffer, &offset) != napi_ok || type != want) return 0;
  if (slack) {
    void *base;
    size_t bytes;
    if (napi_get_arraybuffer_info(env, buffer, &base, &bytes) != napi_ok) return 0;
    const size_t width = want == napi_float32_array ? 4 : 1;
    *slack = bytes - offset - *length * width;
  }
  return 1;
}

static int number(napi_env env, napi_value v, double *out) {
  return napi_get_value_double(env, v, out) == napi_ok;
}

static int is_null(napi_env env, napi_value v) {
  napi_valuetype kind;
  return napi_typeof(env, v, &kind) == napi_ok && kind == napi_null;
}

/*
 * The row metrics' outputs: `rows`, an array of ROW_KEYS Float32Arrays then one Int32Array (the
 * argmax), each of at least `end` rows, then the sample's head sums (a Float64Array of H·ROW_KEYS·2),
 * and `targets`, TARGET_DOUBLES·T doubles; or both null. Pointers at row `first`. 0 when they do
 * not fit.
 */
static int read_outputs(napi_env env, napi_value rows, napi_value targets, long first, double end, double H,
                        double T, RowOutputs *o) {
  memset(o, 0, sizeof *o);
  if (is_null(env, rows) && is_null(env, targets)) return 1;
  bool isArray;
  uint32_t count;
  if (napi_is_array(env, rows, &isArray) != napi_ok || !isArray || napi_get_array_length(env, rows, &count) != napi_ok ||
      count != ROW_ARRAYS)
    return 0;
  void *p;
  size_t length;
  if (!typed(env, targets, napi_float64_array, &p, &length, NULL) || length < TARGET_DOUBLES * T) return 0;
  o->targets = p;
  for (uint32_t k = 0; k < ROW_ARRAYS; k++) {
    napi_value v;
    if (napi_get_element(env, rows, k, &v) != napi_ok) return 0;
    if (k == ROW_KEYS + 1) {
      if (!typed(env, v, napi_float64_array, &p, &length, NULL) || length < H * ROW_KEYS * 2) return 0;
      o->headSums = p;
      continue;
    }
    if (!typed(env, v, k < ROW_KEYS ? napi_float32_array : napi_int32_array, &p, &length, NULL) || length < end)
      return 0;
    if (k < ROW_KEYS)
      o->rows[k] = (float *)p + first;
    else
      o->argmax = (int32_t *)p + first;
  }
  return 1;
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

enum {
  A_DATA, A_FIRST, A_H, A_T, A_S, A_INFO, A_PIECES, A_SPECIAL, A_VALID, A_COLUMNS, A_FIRST_SOURCE, A_SELF, A_ALL_VALID,
  A_W, A_TOLERANCE, A_MARGIN, A_SUMS, A_POINTS, A_MASSES, A_WINDOWS, A_COLUMN_MASS, A_THREADS, A_ROWS, A_TARGETS,
  A_COUNT
};

/*
 * The typed arrays a job reads and writes: referenced until it is waited for, with each array in
 * `rows` (targets and rows are null when no row metrics are asked for).
 */
static const int ARRAYS[] = {A_DATA,   A_INFO,   A_PIECES,  A_SPECIAL,     A_VALID,  A_COLUMNS, A_SUMS,
                             A_POINTS, A_MASSES, A_WINDOWS, A_COLUMN_MASS, A_TARGETS};
#define ARRAY_COUNT ((int)(sizeof ARRAYS / sizeof ARRAYS[0]))
#define REF_COUNT (ARRAY_COUNT + ROW_ARRAYS)

/* One environment's pool (the main thread's, a worker's), stopped when the environment ends. */
typedef struct {
  Pool pool;
  int ending;
} Addon;

typedef struct {
  Job job;
  Addon *addon;
  napi_env env;
  napi_ref refs[REF_COUNT];
  long first; /* the sample's first row in data */
  int waited;
} Handle;

static void release(Handle *h) {
  if (!h->addon->ending)
    for (int k = 0; k < REF_COUNT; k++)
      if (h->refs[k]) napi_delete_reference(h->env, h->refs[k]);
  memset(h->refs, 0, sizeof h->refs);
  free_sample(&h->job.s);
}

/* A job dropped without a wait (an exception between submit and wait): finish it, then free it. */
static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Handle *h = data;
  if (!h->waited) {
    /* the pool's threads must be done with it before its arrays go; at the environment's end
       they were joined already, and nobody reads the answer */
    if (!h->addon->ending) pool_wait(&h->addon->pool, &h->job);
    release(h);
  }
  free(h);
}

/*
 * The arguments of submit and scan — (data, first, H, T, S, info, pieces, special, valid, columns,
 * firstSource, self, allValid, W, tolerance, margin, sums, points, masses, windows, columnMass,
 * threads, rows, targets) — checked and read into *s (redo buffers allocated); 0 with a JavaScript error thrown.
 */
static int read_sample(napi_env env, napi_callback_info cb, const char *who, napi_value *argv, Sample *s, long *first,
                       int *threads) {
  char message[128];
  size_t argc = A_COUNT;
#define FAIL(what) (snprintf(message, sizeof message, "%s: %s", who, what), fail(env, message), 0)
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok || argc != A_COUNT)
    return FAIL("wrong argument count");
  double n[A_COUNT];
  const int scalars[] = {A_FIRST, A_H, A_T, A_S, A_FIRST_SOURCE, A_SELF, A_ALL_VALID, A_W, A_TOLERANCE, A_MARGIN, A_THREADS};
  for (size_t k = 0; k < sizeof scalars / sizeof scalars[0]; k++)
    if (!number(env, argv[scalars[k]], &n[scalars[k]])) return FAIL("a number expected");
  const double f = n[A_FIRST], H = n[A_H], T = n[A_T], S = n[A_S], W = n[A_W];
  if (!(f >= 0 && H >= 1 && T >= 1 && S >= 1 && W >= 0 && H <= 1e6 && T <= 1e7 && S <= 1e7 && W < S))
    return FAIL("bad shape");
  void *p[A_COUNT];
  size_t len[A_COUNT];
  size_t slack = 0;
  if (!typed(env, argv[A_DATA], napi_float32_array, &p[A_DATA], &len[A_DATA], &slack) ||
      !typed(env, argv[A_INFO], napi_int32_array, &p[A_INFO], &len[A_INFO], NULL) ||
      !typed(env, argv[A_PIECES], napi_int32_array, &p[A_PIECES], &len[A_PIECES], NULL) ||
      !typed(env, argv[A_SPECIAL], napi_int32_array, &p[A_SPECIAL], &len[A_SPECIAL], NULL) ||
      !typed(env, argv[A_VALID], napi_uint8_array, &p[A_VALID], &len[A_VALID], NULL) ||
      !typed(env, argv[A_COLUMNS], napi_int32_array, &p[A_COLUMNS], &len[A_COLUMNS], NULL) ||
      !typed(env, argv[A_SUMS], napi_float64_array, &p[A_SUMS], &len[A_SUMS], NULL) ||
      !typed(env, argv[A_POINTS], napi_float32_array, &p[A_POINTS], &len[A_POINTS], NULL) ||
      !typed(env, argv[A_MASSES], napi_float32_array, &p[A_MASSES], &len[A_MASSES], NULL) ||
      !typed(env, argv[A_WINDOWS], napi_float32_array, &p[A_WINDOWS], &len[A_WINDOWS], NULL) ||
      !typed(env, argv[A_COLUMN_MASS], napi_float64_array, &p[A_COLUMN_MASS], &len[A_COLUMN_MASS], NULL))
    return FAIL("a typed array of the wrong type");
  const double end = f + H * T; /* one past the sample's last row */
  const double columns = len[A_COLUMNS] > 0 ? ((int32_t *)p[A_COLUMNS])[0] : -1;
  /* the tables' own consistency (pieces within the row, lists ascending) is pieces.ts's to keep */
  if (len[A_DATA] < end * S || len[A_SUMS] < end * ACC_SIZE || len[A_POINTS] < end * 4 || len[A_MASSES] < end * 4 ||
      len[A_WINDOWS] < end * W || len[A_INFO] < 4 * T || len[A_VALID] < S || len[A_SPECIAL] < 5 ||
      !(columns >= 0 && len[A_COLUMNS] >= 1 + columns && len[A_COLUMN_MASS] >= H * columns))
    return FAIL("an array shorter than the shape needs");
  const long row = (long)f;
  RowOutputs derived;
  if (!read_outputs(env, argv[A_ROWS], argv[A_TARGETS], row, end, H, T, &derived))
    return FAIL("rows and targets: give the row metrics' arrays and the targets table of the shape, or null for both");
  const int heads = (int)H, rowsPerHead = (int)T;
  int32_t *redo = malloc(sizeof(int32_t) * (size_t)heads * rowsPerHead);
  int32_t *redoCount = calloc((size_t)heads, sizeof(int32_t));
  /* the kernel's last vector load may read past a row: the last one is read from a copy then */
  const int lastRowUnsafe = len[A_DATA] == end * S && slack < TAIL_BYTES;
  float *pad = lastRowUnsafe ? calloc((size_t)S + TAIL_BYTES / sizeof(float), sizeof(float)) : NULL;
  if (!redo || !redoCount || (lastRowUnsafe && !pad)) {
    free(redo);
    free(redoCount);
    free(pad);
    return FAIL("out of memory");
  }
#undef FAIL
  *first = row;
  *threads = n[A_THREADS] >= 1 ? (int)n[A_THREADS] : 1;
  *s = (Sample){
      .data = (const float *)p[A_DATA] + row * (long)S,
      .H = heads,
      .T = rowsPerHead,
      .S = (int)S,
      .W = (int)W,
      .info = p[A_INFO],
      .pieces = p[A_PIECES],
      .special = p[A_SPECIAL],
      .columns = p[A_COLUMNS],
      .valid = p[A_VALID],
      .firstSource = (int)n[A_FIRST_SOURCE],
      .self = n[A_SELF] != 0,
      .allValid = n[A_ALL_VALID] != 0,
      .tolerance = n[A_TOLERANCE],
      .margin = n[A_MARGIN],
      .sums = (double *)p[A_SUMS] + row * ACC_SIZE,
      .columnMass = p[A_COLUMN_MASS],
      .points = (float *)p[A_POINTS] + row * 4,
      .masses = (float *)p[A_MASSES] + row * 4,
      .windows = (float *)p[A_WINDOWS] + row * (long)W,
      .pad = pad,
      .redo = redo,
      .redoCount = redoCount,
      .derived = derived,
  };
  return 1;
}

/* The rows (numbers in data) a scanned sample leaves to the JavaScript kernel, as an Int32Array. */
static napi_value redo_rows(napi_env env, const Sample *s, long first) {
  long total = 0;
  for (int k = 0; k < s->H; k++) total += s->redoCount[k];
  napi_value buffer, result = NULL;
  void *bytes;
  if (napi_create_arraybuffer(env, (size_t)total * 4, &bytes, &buffer) == napi_ok &&
      napi_create_typedarray(env, napi_int32_array, (size_t)total, buffer, 0, &result) == napi_ok) {
    int32_t *o = bytes;
    for (int k = 0; k < s->H; k++)
      for (int r = 0; r < s->redoCount[k]; r++) *o++ = (int32_t)(first + (long)k * s->T + s->redo[(long)k * s->T + r]);
  }
  return result;
}

/*
 * scan(same arguments as submit): the sample scanned on this thread, now; returns the rows to
 * redo. For small samples and one thread, where a job's references and the pool's hand-off cost
 * more than the scan.
 */
static napi_value scan_now(napi_env env, napi_callback_info cb) {
  napi_value argv[A_COUNT];
  Sample s;
  long first;
  int threads;
  if (!read_sample(env, cb, "scan", argv, &s, &first, &threads)) return NULL;
  for (int h = 0; h < s.H; h++) scan_head(&s, h);
  napi_value result = redo_rows(env, &s, first);
  free_sample(&s);
  return result;
}

/*
 * submit(data, first, H, T, S, info, pieces, special, valid, columns, firstSource, self,
 * allValid, W, tolerance, margin, sums, points, masses, windows, columnMass, threads, rows,
 * targets): queues the H·T rows of one sample from row `first` of data (S floats a row), to be
 * scanned into the outputs at the same rows by `threads` threads (the waiter included), and with
 * `rows` and `targets` their row metrics derived (row_metrics.h). Returns the job, for wait.
 */
static napi_value submit(napi_env env, napi_callback_info cb) {
  Addon *addon;
  if (napi_get_instance_data(env, (void **)&addon) != napi_ok || !addon) return fail(env, "submit: addon not set up");
  napi_value argv[A_COUNT];
  Handle *h = calloc(1, sizeof *h);
  if (!h) return fail(env, "submit: out of memory");
  int threads;
  if (!read_sample(env, cb, "submit", argv, &h->job.s, &h->first, &threads)) {
    free(h);
    return NULL;
  }
  h->addon = addon;
  h->env = env;
  napi_value result;
  if (napi_create_external(env, h, finalize_handle, NULL, &result) != napi_ok) {
    free_sample(&h->job.s);
    free(h);
    return NULL;
  }
  /* from here the external owns h: refs first (nothing runs yet), then the queue */
  h->waited = 1; /* until queued, a finalizer has nothing to wait for */
  for (int k = 0; k < REF_COUNT; k++) {
    napi_value array = k < ARRAY_COUNT ? argv[ARRAYS[k]] : argv[A_ROWS];
    if (k >= ARRAY_COUNT && !is_null(env, array) && napi_get_element(env, argv[A_ROWS], k - ARRAY_COUNT, &array) != napi_ok)
      array = NULL;
    if (!array || (!is_null(env, array) && napi_create_reference(env, array, 1, &h->refs[k]) != napi_ok)) {
      release(h);
      return fail(env, "submit: could not hold the arrays");
    }
  }
  h->waited = 0;
  pool_submit(&addon->pool, &h->job, threads);
  return result;
}

/* wait(job): returns when the job is scanned, with the rows (numbers in data) the JavaScript kernel must redo. */
static napi_value wait_job(napi_env env, napi_callback_info cb) {
  size_t argc = 1;
  napi_value argv[1];
  Handle *h = NULL;
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_external(env, argv[0], (void **)&h) != napi_ok || !h)
    return fail(env, "wait: give a job from submit");
  if (h->waited) return fail(env, "wait: this job was waited for already");
  pool_wait(&h->addon->pool, &h->job);
  h->waited = 1;
  napi_value result = redo_rows(env, &h->job.s, h->first);
  release(h);
  return result;
}

/*
 * lanes(n?): the vector width the piece sums use, after setting it to n when given (4, or 8 and 16
 * where the CPU has AVX2 and AVX-512; anything else throws). For tests and benchmarks: the
 * default is the widest; 4 gives the WebAssembly kernel's results to the bit.
 */
static napi_value set_lanes(napi_env env, napi_callback_info cb) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc >= 1) {
    double n;
    napi_valuetype kind;
    if (napi_typeof(env, argv[0], &kind) != napi_ok) return NULL;
    if (kind != napi_undefined) {
      if (!number(env, argv[0], &n) || !(n == 4 || n == 8 || n == 16)) return fail(env, "lanes: give 4, 8 or 16");
      if (n > widest_lanes()) return fail(env, "lanes: this CPU has no vectors that wide");
      lanes = (int)n;
    }
  }
  napi_value result;
  if (napi_create_int32(env, lanes, &result) != napi_ok) return NULL;
  return result;
}

static void end_environment(void *arg) {
  Addon *addon = arg;
  addon->ending = 1;
  pool_stop(&addon->pool);
  /* the Addon itself is left: jobs still to be finalized point to it */
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  lanes = widest_lanes();
  Addon *addon = calloc(1, sizeof *addon);
  if (!addon || !pool_init(&addon->pool)) return NULL;
  if (napi_set_instance_data(env, addon, NULL, NULL) != napi_ok) return NULL;
  if (napi_add_env_cleanup_hook(env, end_environment, addon) != napi_ok) return NULL;
  const napi_property_descriptor props[] = {
      {"submit", NULL, submit, NULL, NULL, NULL, napi_enumerable, NULL},
      {"wait", NULL, wait_job, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scan", NULL, scan_now, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lanes", NULL, set_lanes, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
