/* Micro-bench of the scheduler's mechanics (native/scheduler.c, native/depgraph.c), in simulated time:
 *   sched_bench run NAME TASKS WORKERS   -> one line: NAME tasks launches ns/launch seal_ms
 *   sched_bench mem TASKS                -> one line: peak RSS growth (KiB) for TASKS queued
 * A run adds TASKS tasks (backends with caps, dependencies, locks), seals, then drives next()
 * and finish() with simulated completions until the run is over; ns/launch is the wall time of
 * the next()/finish() calls alone divided by the launches. Workloads (NAME):
 *   mixed   4 backends (caps 8/8/4/2), ~0.8 deps per task, 40% of tasks lock a shared domain
 *   writers 1 backend, every task writes `repo` (the lock-blocked path: sleep and wake)
 *   flat    1 backend, no deps, no locks (the floor) */
#include "scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = (*s += 0x9e3779b97f4a7c15ULL);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static const char *const keys[] = {"repo:read", "repo:read", "repo:write", "db:read", "db:write",
                                   "cache"};

static cx_scheduler *build(const char *kind, size_t n, int workers, char (*ids)[16])
{
    cx_scheduler_config cfg = {workers, CX_SCHEDULER_ROUND_ROBIN, 1, 10};
    cx_scheduler_error e;
    cx_scheduler *s = cx_scheduler_new(&cfg, &e);
    int mixed = !strcmp(kind, "mixed"), writers = !strcmp(kind, "writers");
    static const int caps[] = {8, 8, 4, 2};
    int nb = mixed ? 4 : 1;
    for (int b = 0; b < nb; b++) {
        char name[16];
        snprintf(name, sizeof name, "be%d", b);
        cx_scheduler_add_backend(s, name, mixed ? caps[b] : workers, &e);
    }
    uint64_t rs = 42;
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "task_%06zu", i);
        const char *deps[2], *locks[1];
        cx_scheduler_task_spec sp = {.id = ids[i], .order = (int64_t)i, .deps = deps,
                                     .locks = locks, .max_retries = 2};
        sp.backend = (int)(rnd(&rs) % (uint64_t)nb);
        if (mixed) {
            uint64_t r = rnd(&rs) % 10;
            if (i > 0 && r < 6)
                deps[sp.n_deps++] = ids[i - 1 - rnd(&rs) % (i < 200 ? i : 200)];
            if (i > 0 && r < 2)
                deps[sp.n_deps++] = ids[i - 1 - rnd(&rs) % (i < 2000 ? i : 2000)];
            if (rnd(&rs) % 10 < 4)
                locks[sp.n_locks++] = keys[rnd(&rs) % 6];
        } else if (writers) {
            locks[sp.n_locks++] = "repo:write";
        }
        if (cx_scheduler_add_task(s, &sp, &e) < 0) {
            fprintf(stderr, "add: %s\n", e.message);
            exit(1);
        }
    }
    return s;
}

typedef struct ev {
    int64_t t;
    int task;
} ev;

static void ev_push(ev *h, size_t *n, ev e)
{
    size_t i = (*n)++;
    while (i && h[(i - 1) / 2].t > e.t) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = e;
}

static ev ev_pop(ev *h, size_t *n)
{
    ev top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1].t < h[c].t)
            c++;
        if (h[c].t >= last.t)
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = last;
    return top;
}

static int run(const char *kind, size_t n, int workers)
{
    char (*ids)[16] = malloc(n * sizeof *ids);
    ev *heap = malloc(((size_t)workers + 1) * sizeof *heap);
    cx_scheduler *s = build(kind, n, workers, ids);
    cx_scheduler_error e;
    double t0 = now_ns();
    if (cx_scheduler_seal(s, 0, &e) < 0) {
        fprintf(stderr, "seal: %s\n", e.message);
        return 1;
    }
    double seal_ns = now_ns() - t0;
    size_t nh = 0, launches = 0;
    int64_t now = 0;
    uint64_t rs = 7;
    double in_sched = 0;
    cx_scheduler_launch l;
    cx_scheduler_finish_result r;
    for (;;) {
        double a = now_ns();
        int got;
        size_t batch = 0;
        while ((got = cx_scheduler_next(s, now, &l, &e)) == 1) {
            ev_push(heap, &nh, (ev){now + 1 + (int64_t)(rnd(&rs) % 500), l.task});
            batch++;
        }
        in_sched += now_ns() - a;
        launches += batch;
        if (got < 0 || cx_scheduler_remaining(s) == 0)
            break;
        int64_t wake = cx_scheduler_wake_ms(s, now);
        int64_t next = nh ? heap[0].t : INT64_MAX;
        if (wake >= 0 && wake < next)
            next = wake;
        if (next == INT64_MAX) {
            fprintf(stderr, "stalled\n");
            return 1;
        }
        now = next;
        while (nh && heap[0].t <= now) {
            ev x = ev_pop(heap, &nh);
            cx_scheduler_outcome o = rnd(&rs) % 100 < 3 ? CX_SCHEDULER_RETRY : CX_SCHEDULER_OK;
            cx_scheduler_finish_opts opts = {"timeout", 0};
            a = now_ns();
            cx_scheduler_finish(s, x.task, o, now, &opts, &r, &e);
            in_sched += now_ns() - a;
        }
    }
    size_t counts[CX_SCHEDULER_NSTATES];
    cx_scheduler_counts(s, counts);
    printf("%s %zu %zu %.0f %.1f %zu %zu\n", kind, n, launches, in_sched / (double)launches,
           seal_ns / 1e6, counts[CX_SCHEDULER_COMPLETE], counts[CX_SCHEDULER_FAILED]);
    cx_scheduler_free(s);
    free(ids);
    free(heap);
    return 0;
}

static long maxrss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Peak RSS growth for n tasks added, sealed and queued (nothing launched). The id strings the
 * caller keeps are allocated before the baseline, so only the scheduler is measured. */
static int mem(size_t n)
{
    char (*ids)[16] = malloc(n * sizeof *ids);
    memset(ids, 0, n * sizeof *ids);
    long before = maxrss_kib();
    cx_scheduler *s = build("mixed", n, 16, ids);
    cx_scheduler_error e;
    cx_scheduler_seal(s, 0, &e);
    long after = maxrss_kib();
    size_t counts[CX_SCHEDULER_NSTATES];
    cx_scheduler_counts(s, counts);
    printf("%zu %ld %ld %zu %zu\n", n, after - before, after, counts[CX_SCHEDULER_READY],
           counts[CX_SCHEDULER_WAITING]);
    cx_scheduler_free(s);
    free(ids);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "run"))
        return run(argv[2], (size_t)atol(argv[3]), atoi(argv[4]));
    if (argc == 3 && !strcmp(argv[1], "mem"))
        return mem((size_t)atol(argv[2]));
    fprintf(stderr, "usage: sched_bench run mixed|writers|flat TASKS WORKERS | mem TASKS\n");
    return 2;
}
