/*
 * The addon's threads and the queue of samples they scan (metrics_addon.c, submit and wait).
 *
 * JavaScript submits a sample and gets a job; later it waits for the job, and while it waits its
 * own thread scans the job's heads that no pool thread has taken, so a wait never idles on a
 * queue. Between the two, JavaScript does other work (the last site's metrics and patterns, in
 * analyze.ts) while the pool's threads scan: the two overlap on different cores.
 *
 * The pool's threads start on the first job that asks for them and stay, asleep on a condition
 * variable when the queue is empty, until the environment (the main thread or a worker) ends. A
 * job asks for `threads` threads, its waiter included: 1 leaves it to the waiter alone.
 */

#define MAX_POOL_THREADS 63

typedef struct Job Job;
struct Job {
  Sample s;
  int shared;    /* pool threads may take its heads */
  int nextHead;  /* the next head to hand out */
  int remaining; /* heads not yet scanned */
  Job *next;     /* in the queue while it has heads to hand out */
};

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t work; /* a shared job was queued, or the pool stops */
  pthread_cond_t done; /* a head was scanned */
  Job *first, *last;   /* jobs with heads to hand out, oldest first */
  pthread_t threads[MAX_POOL_THREADS];
  int threadCount;
  int stop;
} Pool;

static int pool_init(Pool *p) {
  memset(p, 0, sizeof *p);
  if (pthread_mutex_init(&p->mu, NULL) != 0) return 0;
  if (pthread_cond_init(&p->work, NULL) != 0) return 0;
  if (pthread_cond_init(&p->done, NULL) != 0) return 0;
  return 1;
}

/* The next head of job j (under the lock); the job leaves the queue with its last head. */
static int take_head(Pool *p, Job *j) {
  const int h = j->nextHead++;
  if (j->nextHead == j->s.H) {
    Job **at = &p->first;
    Job *prev = NULL;
    while (*at && *at != j) {
      prev = *at;
      at = &(*at)->next;
    }
    if (*at) {
      *at = j->next;
      if (p->last == j) p->last = prev;
      j->next = NULL;
    }
  }
  return h;
}

/* Scans head h of j outside the lock; counts it done under it. */
static void run_head(Pool *p, Job *j, int h) {
  pthread_mutex_unlock(&p->mu);
  scan_head(&j->s, h);
  pthread_mutex_lock(&p->mu);
  if (--j->remaining == 0) pthread_cond_broadcast(&p->done);
}

static void *pool_thread(void *arg) {
  Pool *p = arg;
  pthread_mutex_lock(&p->mu);
  while (!p->stop) {
    Job *j = p->first;
    while (j && !j->shared) j = j->next;
    if (!j) {
      pthread_cond_wait(&p->work, &p->mu);
      continue;
    }
    run_head(p, j, take_head(p, j));
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* Queues j; starts pool threads up to `threads` − 1 (the waiter is the other). */
static void pool_submit(Pool *p, Job *j, int threads) {
  pthread_mutex_lock(&p->mu);
  j->shared = threads > 1;
  j->nextHead = 0;
  j->remaining = j->s.H;
  j->next = NULL;
  if (p->last)
    p->last->next = j;
  else
    p->first = j;
  p->last = j;
  int want = threads - 1;
  if (want > MAX_POOL_THREADS) want = MAX_POOL_THREADS;
  while (p->threadCount < want && !p->stop) {
    if (pthread_create(&p->threads[p->threadCount], NULL, pool_thread, p) != 0) break; /* the waiter does the rest */
    p->threadCount++;
  }
  if (j->shared) pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);
}

/* Returns when every head of j is scanned, scanning those nobody has taken on this thread. */
static void pool_wait(Pool *p, Job *j) {
  pthread_mutex_lock(&p->mu);
  while (j->remaining > 0) {
    if (j->nextHead < j->s.H)
      run_head(p, j, take_head(p, j));
    else
      pthread_cond_wait(&p->done, &p->mu);
  }
  pthread_mutex_unlock(&p->mu);
}

/* Stops and joins the threads (each finishes the head it has); jobs left are their waiters' to finish. */
static void pool_stop(Pool *p) {
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);
  for (int k = 0; k < p->threadCount; k++) pthread_join(p->threads[k], NULL);
  p->threadCount = 0;
}
