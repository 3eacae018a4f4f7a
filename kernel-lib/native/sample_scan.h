/*
 * One sample of a site, as the native addon scans it: its rows, the tables pieces.ts built for
 * it and where the results go, all in memory JavaScript owns (typed arrays the job holds
 * references to until it is waited for). A sample is scanned head by head, each head whole by
 * one thread, so its sums do not depend on which thread took it. Included by metrics_addon.c
 * after ../wasm/metrics_kernel.c (scan_rows, ACC_SIZE).
 */

/* Bytes the kernel's last vector load may read past a row: a whole vector of the widest. */
#define TAIL_BYTES 64

typedef struct {
  const float *data; /* the sample's first row */
  int H, T, S, W;
  const int32_t *info, *pieces, *special, *columns;
  const uint8_t *valid;
  int firstSource, self, allValid;
  double tolerance, margin;
  double *sums, *columnMass;
  float *points, *masses, *windows;
  int lastRowUnsafe; /* the last row ends within TAIL_BYTES of its buffer: read it from a copy */
  int32_t *redo;     /* per head: T slots, the head's rows for the JavaScript kernel to redo */
  int32_t *redoCount;
} Sample;

/* Head h of the sample: its T rows in one call (the last row of an unsafe buffer in a second). */
static void scan_head(const Sample *s, int h) {
  const long row0 = (long)h * s->T;
  int rows = s->T;
  const int copyLast = s->lastRowUnsafe && h == s->H - 1;
  if (copyLast) rows--;
  int32_t *redo = s->redo + row0;
  int count = 0;
  if (rows > 0) {
    count = scan_rows(s->data + row0 * s->S, rows, 0, s->T, s->S, s->info, s->pieces, s->special, s->valid,
                      s->firstSource, s->sums + row0 * ACC_SIZE, s->points + row0 * 4, s->masses + row0 * 4,
                      s->windows + row0 * s->W, s->W, s->self, s->tolerance, s->margin, redo, s->columns,
                      s->columnMass, h, s->allValid);
  }
  if (copyLast) {
    /* the kernel's last vector load may read past the row */
    float *pad = calloc((size_t)s->S + TAIL_BYTES / sizeof(float), sizeof(float));
    if (pad) {
      const long last = row0 + rows;
      memcpy(pad, s->data + last * s->S, (size_t)s->S * sizeof(float));
      const int more = scan_rows(pad, 1, rows, s->T, s->S, s->info, s->pieces, s->special, s->valid, s->firstSource,
                                 s->sums + last * ACC_SIZE, s->points + last * 4, s->masses + last * 4,
                                 s->windows + last * s->W, s->W, s->self, s->tolerance, s->margin, redo + count,
                                 s->columns, s->columnMass, h, s->allValid);
      if (more) redo[count] = rows;
      count += more;
      free(pad);
    } else {
      redo[count++] = rows; /* no memory for the copy: the JavaScript kernel redoes the row */
    }
  }
  s->redoCount[h] = count;
}
