/*
 * One sample of a site, as the native addon scans it: its rows, the tables pieces.ts built for
 * it and where the results go, all in memory JavaScript owns (typed arrays the job holds
 * references to until it is waited for). A sample is scanned head by head, each head whole by
 * one thread, so its sums do not depend on which thread took it. Included by metrics_addon.c
 * after ../wasm/metrics_kernel.c (scan_rows, ACC_SIZE) and row_metrics.h. With `derived`, each head's
 * row metrics follow its scan on the same thread.
 */

/* Bytes the kernel's last vector load may read past a row: a whole vector of the widest. */
#define TAIL_BYTES 64

/* Rows per scan_rows call: their window masses are read after their sums (WINDOWS_LAST), from cache. */
#ifndef SCAN_ROWS
#define SCAN_ROWS 16
#endif

typedef struct {
  const float *data; /* the sample's first row */
  int H, T, S, W;
  const int32_t *info, *pieces, *special, *columns;
  const uint8_t *valid;
  int firstSource, self, allValid;
  double tolerance, margin;
  double *sums, *columnMass;
  float *points, *masses, *windows;
  float *pad; /* when the last row ends within TAIL_BYTES of its buffer: room to copy it to (S floats + TAIL_BYTES) */
  int32_t *redo;     /* per head: T slots, the head's rows for the JavaScript kernel to redo */
  int32_t *redoCount;
  RowOutputs derived; /* the row metrics, when the caller asked for them (row_metrics.h) */
} Sample;

/* Head h of the sample: its T rows in one call (the last row of an unsafe buffer in a second). */
static void scan_head(const Sample *s, int h) {
  const long row0 = (long)h * s->T;
  int rows = s->T;
  const int copyLast = s->pad && h == s->H - 1;
  if (copyLast) rows--;
  int32_t *redo = s->redo + row0;
  int count = 0;
  for (int t0 = 0; t0 < rows; t0 += SCAN_ROWS) {
    const int n = rows - t0 < SCAN_ROWS ? rows - t0 : SCAN_ROWS;
    const long r0 = row0 + t0;
    const int more = scan_rows(s->data + r0 * s->S, n, t0, s->T, s->S, s->info, s->pieces, s->special, s->valid,
                               s->firstSource, s->sums + r0 * ACC_SIZE, s->points + r0 * 4, s->masses + r0 * 4,
                               s->windows + r0 * s->W, s->W, s->self, s->tolerance, s->margin, redo + count,
                               s->columns, s->columnMass, h, s->allValid);
    for (int k = count; k < count + more; k++) redo[k] += t0;
    count += more;
  }
  if (copyLast) {
    /* the kernel's last vector load may read past the row */
    const long last = row0 + rows;
    memcpy(s->pad, s->data + last * s->S, (size_t)s->S * sizeof(float));
    const int more = scan_rows(s->pad, 1, rows, s->T, s->S, s->info, s->pieces, s->special, s->valid, s->firstSource,
                               s->sums + last * ACC_SIZE, s->points + last * 4, s->masses + last * 4,
                               s->windows + last * s->W, s->W, s->self, s->tolerance, s->margin, redo + count,
                               s->columns, s->columnMass, h, s->allValid);
    if (more) redo[count] = rows;
    count += more;
  }
  s->redoCount[h] = count;
  if (s->derived.rows[0]) derive_rows(&s->derived, s->sums, s->points, s->masses, row0, s->T, redo, count);
}
