/* The scheduler's mechanics (native/scheduler.c): lock keys, building and sealing, the reference's
 * planner examples as run-time behaviour, the reference's fairness and cap scenarios in simulated
 * time, retries and backoff, parking and moves, skip propagation, stop and interrupts, the writer
 * starvation guard, determinism, and a randomized simulation checked by an independent oracle
 * (scheduler_sim.c). */
#include "check.h"
#include "scheduler.h"
#include "scheduler_sim.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static cx_scheduler *mk(int workers, cx_scheduler_fairness f, int jitter)
{
    cx_scheduler_config cfg = {workers, f, 42, jitter};
    cx_scheduler_error e;
    cx_scheduler *s = cx_scheduler_new(&cfg, &e);
    CHECK(s != NULL);
    return s;
}

static int be(cx_scheduler *s, const char *name, int cap)
{
    cx_scheduler_error e;
    int b = cx_scheduler_add_backend(s, name, cap, &e);
    CHECK(b >= 0);
    return b;
}

#define MAXLIST 16

/* "a,b,c" -> pointers into buf */
static size_t split(const char *csv, char *buf, size_t buflen, const char **out)
{
    size_t n = 0;
    if (!csv || !*csv)
        return 0;
    snprintf(buf, buflen, "%s", csv);
    for (char *p = strtok(buf, ","); p && n < MAXLIST; p = strtok(NULL, ","))
        out[n++] = p;
    return n;
}

typedef struct tdef {
    const char *id;
    int64_t order;
    int backend;
    const char *deps, *locks;
    int max_retries;
    int alt; /* one alternative backend, or -1 */
} tdef;

static int add(cx_scheduler *s, tdef d)
{
    char dbuf[256], lbuf[256];
    const char *deps[MAXLIST], *locks[MAXLIST];
    cx_scheduler_task_spec sp = {0};
    sp.id = d.id;
    sp.order = d.order;
    sp.backend = d.backend;
    sp.max_retries = d.max_retries;
    sp.deps = deps;
    sp.n_deps = split(d.deps, dbuf, sizeof dbuf, deps);
    sp.locks = locks;
    sp.n_locks = split(d.locks, lbuf, sizeof lbuf, locks);
    int alt = d.alt;
    if (alt >= 0) {
        sp.alternatives = &alt;
        sp.n_alternatives = 1;
    }
    cx_scheduler_error e;
    int t = cx_scheduler_add_task(s, &sp, &e);
    if (t < 0)
        fprintf(stderr, "add %s: %s\n", d.id, e.message);
    return t;
}

#define T(...) add(s, (tdef){__VA_ARGS__, .alt = -1})
#define TA(...) add(s, (tdef){__VA_ARGS__})

static int seal(cx_scheduler *s, int64_t now)
{
    cx_scheduler_error e;
    int n = cx_scheduler_seal(s, now, &e);
    CHECK(n >= 0);
    return n;
}

/* Launches everything that may start at `now`; returns how many, filling out[] in order. */
static int drain(cx_scheduler *s, int64_t now, cx_scheduler_launch *out, int max)
{
    int n = 0;
    cx_scheduler_launch l;
    cx_scheduler_error e;
    while (cx_scheduler_next(s, now, &l, &e) == 1) {
        if (n < max)
            out[n] = l;
        n++;
    }
    return n;
}

static cx_scheduler_finish_result fin(cx_scheduler *s, int task, cx_scheduler_outcome o,
                                      int64_t now, const char *cls, int64_t park_until)
{
    cx_scheduler_finish_opts opts = {cls, park_until};
    cx_scheduler_finish_result r;
    cx_scheduler_error e;
    int rc = cx_scheduler_finish(s, task, o, now, &opts, &r, &e);
    CHECK_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "finish: %s\n", e.message);
        memset(&r, 0, sizeof r);
    }
    return r;
}

static cx_scheduler_state state_of(cx_scheduler *s, int t)
{
    cx_scheduler_task_info i;
    cx_scheduler_task_info_at(s, t, &i);
    return i.state;
}

static const char *launched_ids(const cx_scheduler_launch *l, int n, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        strncat(buf, i ? "," : "", len - strlen(buf) - 1);
        strncat(buf, l[i].id, len - strlen(buf) - 1);
    }
    return buf;
}

/* ---------------------------------------------------------------- lock keys */

static void test_lock_parse(void)
{
    size_t n;
    CHECK_INT(cx_scheduler_lock_parse("repo:read", &n), 0);
    CHECK_INT(n, 4);
    CHECK_INT(cx_scheduler_lock_parse("repo:write", &n), 1);
    CHECK_INT(n, 4);
    CHECK_INT(cx_scheduler_lock_parse("repo", &n), 1);
    CHECK_INT(n, 4);
    CHECK_INT(cx_scheduler_lock_parse("db:users:read", &n), 0); /* the LAST ':' decides */
    CHECK_INT(n, 8);
    CHECK_INT(cx_scheduler_lock_parse("db:reader", &n), 1); /* not a mode: whole key, write */
    CHECK_INT(n, 9);
    CHECK_INT(cx_scheduler_lock_parse("repo:", &n), 1);
    CHECK_INT(n, 5);
    CHECK_INT(cx_scheduler_lock_parse(":read", &n), 0);
    CHECK_INT(n, 0);
    CHECK_INT(cx_scheduler_lock_parse("repo:READ", &n), 1); /* modes are case-sensitive */
    CHECK_INT(n, 9);
}

/* read/read compatible; read/write, write/write conflict; a bare key is a write; another domain
 * never conflicts. Each pair: A runs, B is queued: does B start while A runs? */
static void test_lock_conflicts(void)
{
    static const struct {
        const char *a, *b;
        int concurrent;
    } cases[] = {
        {"repo:read", "repo:read", 1},  {"repo:read", "repo:write", 0},
        {"repo:write", "repo:read", 0}, {"repo:write", "repo:write", 0},
        {"db", "db:read", 0},           {"db:read", "db", 0},
        {"repo:write", "db:write", 1},  {"repo:x:read", "repo:read", 1},
        {"a:b:write", "a:b:read", 0},   {"repo:reader", "repo:reader", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cx_scheduler *s = mk(4, CX_SCHEDULER_ROUND_ROBIN, 0);
        int b = be(s, "codex", 4);
        T("A", 1, b, NULL, cases[i].a, 0);
        T("B", 2, b, NULL, cases[i].b, 0);
        seal(s, 0);
        cx_scheduler_launch l[4];
        int n = drain(s, 0, l, 4);
        if (n != 1 + cases[i].concurrent)
            fprintf(stderr, "lock case %s / %s\n", cases[i].a, cases[i].b);
        CHECK_INT(n, 1 + cases[i].concurrent);
        cx_scheduler_free(s);
    }
}

/* ---------------------------------------------------------------- building and errors */

static void test_errors(void)
{
    cx_scheduler_error e;
    cx_scheduler_config bad = {0, CX_SCHEDULER_ROUND_ROBIN, 0, 0};
    CHECK(cx_scheduler_new(&bad, &e) == NULL);
    CHECK_STR(e.class_name, "invalid_argument");
    bad = (cx_scheduler_config){1, CX_SCHEDULER_ROUND_ROBIN, 0, 51};
    CHECK(cx_scheduler_new(&bad, &e) == NULL);
    bad = (cx_scheduler_config){1, (cx_scheduler_fairness)7, 0, 0};
    CHECK(cx_scheduler_new(&bad, &e) == NULL);

    cx_scheduler *s = mk(2, CX_SCHEDULER_ROUND_ROBIN, 0);
    CHECK_INT(cx_scheduler_add_backend(s, "codex", 0, &e), -1);
    CHECK(strstr(e.message, "cap must be >= 1") != NULL);
    int b = be(s, "codex", 1);
    CHECK_INT(cx_scheduler_add_backend(s, "codex", 1, &e), -1);
    CHECK_STR(e.class_name, "duplicate");
    CHECK_INT(cx_scheduler_add_backend(s, "", 1, &e), -1);

    CHECK_INT(T("a", 1, b, NULL, NULL, 0), 0);
    cx_scheduler_task_spec sp = {.id = "a", .backend = b};
    CHECK_INT(cx_scheduler_add_task(s, &sp, &e), -1);
    CHECK_STR(e.class_name, "duplicate");
    CHECK(strstr(e.message, "duplicate task id 'a'") != NULL);
    sp = (cx_scheduler_task_spec){.id = "b", .backend = 5};
    CHECK_INT(cx_scheduler_add_task(s, &sp, &e), -1);
    CHECK_STR(e.class_name, "invalid_argument");
    int alt = 9;
    sp = (cx_scheduler_task_spec){
        .id = "b", .backend = b, .alternatives = &alt, .n_alternatives = 1};
    CHECK_INT(cx_scheduler_add_task(s, &sp, &e), -1);
    sp = (cx_scheduler_task_spec){.id = "b", .backend = b, .max_retries = -1};
    CHECK_INT(cx_scheduler_add_task(s, &sp, &e), -1);
    sp = (cx_scheduler_task_spec){.id = "", .backend = b};
    CHECK_INT(cx_scheduler_add_task(s, &sp, &e), -1);
    const char *empty_dep[] = {""};
    sp = (cx_scheduler_task_spec){.id = "b", .backend = b, .deps = empty_dep, .n_deps = 1};
    CHECK_INT(cx_scheduler_add_task(s, &sp, &e), -1);
    CHECK_INT(cx_scheduler_task_count(s), 1); /* failed adds leave nothing behind */

    cx_scheduler_launch l;
    CHECK_INT(cx_scheduler_next(s, 0, &l, &e), -1); /* not sealed */
    CHECK_STR(e.class_name, "invalid_state");
    seal(s, 0);
    CHECK_INT(cx_scheduler_seal(s, 0, &e), -1);
    CHECK_STR(e.class_name, "invalid_state");
    sp = (cx_scheduler_task_spec){.id = "late", .backend = b};
    CHECK_INT(cx_scheduler_add_task(s, &sp, &e), -1);
    CHECK(strstr(e.message, "sealed") != NULL);
    CHECK_INT(cx_scheduler_add_backend(s, "late", 1, &e), -1);
    CHECK_INT(cx_scheduler_add_satisfied(s, "x", &e), -1);

    cx_scheduler_finish_result r;
    CHECK_INT(cx_scheduler_finish(s, 0, CX_SCHEDULER_OK, 0, NULL, &r, &e), -1); /* not running */
    CHECK_STR(e.class_name, "invalid_state");
    CHECK(strstr(e.message, "'a' is not running (it is ready)") != NULL);
    CHECK_INT(cx_scheduler_finish(s, 7, CX_SCHEDULER_OK, 0, NULL, &r, &e), -1);
    CHECK_STR(e.class_name, "invalid_argument");
    CHECK_INT(cx_scheduler_next(s, 0, &l, &e), 1);
    CHECK_INT(cx_scheduler_finish(s, 0, (cx_scheduler_outcome)9, 0, NULL, &r, &e), -1);
    CHECK_INT(cx_scheduler_finish(s, 0, CX_SCHEDULER_OK, 5, NULL, &r, &e), 0);
    CHECK_INT(cx_scheduler_finish(s, 0, CX_SCHEDULER_OK, 5, NULL, &r, &e), -1); /* twice */
    cx_scheduler_free(s);
    cx_scheduler_free(NULL);

    cx_scheduler_outcome o;
    CHECK_INT(cx_scheduler_outcome_from_name("park", &o), 0);
    CHECK_INT(o, CX_SCHEDULER_PARK);
    CHECK_INT(cx_scheduler_outcome_from_name("failed", &o), 0);
    CHECK_INT(o, CX_SCHEDULER_FAIL);
    CHECK_INT(cx_scheduler_outcome_from_name("fail", &o), -1);
    CHECK_INT(cx_scheduler_outcome_from_name(NULL, &o), -1);
    CHECK_STR(cx_scheduler_state_name(CX_SCHEDULER_SKIPPED), "skipped");
    CHECK_STR(cx_scheduler_outcome_name(CX_SCHEDULER_INTERRUPTED), "interrupted");
}

/* ---------------------------------------------------------------- seal: unknown deps, cycles */

static void test_seal_blocked(void)
{
    cx_scheduler *s = mk(2, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 2);
    int a = T("A", 1, b, "B", NULL, 0); /* A <-> B */
    int bb = T("B", 2, b, "A", NULL, 0);
    int c = T("C", 3, b, "A", NULL, 0);        /* depends on a cycle member */
    int d = T("D", 4, b, "x9,x8,x9", NULL, 0); /* unknown, repeated */
    int e2 = T("E", 5, b, "D,F", NULL, 0);     /* blocked dep D; F fine */
    int f = T("F", 6, b, NULL, NULL, 0);
    int g = T("G", 7, b, "G", NULL, 0);    /* self */
    int h1 = T("H1", 8, b, "H3", NULL, 0); /* 3-cycle */
    T("H2", 9, b, "H1", NULL, 0);
    T("H3", 10, b, "H2", NULL, 0);
    int k = T("K", 11, b, "done_before,F", NULL, 0);
    cx_scheduler_error err;
    CHECK_INT(cx_scheduler_add_satisfied(s, "done_before", &err), 0);
    CHECK_INT(cx_scheduler_add_satisfied(s, "done_before", &err), 0); /* idempotent */
    int n = seal(s, 100);
    CHECK_INT(n, 9);
    CHECK_INT(cx_scheduler_blocked_count(s), 9);
    const cx_scheduler_blocked *x = cx_scheduler_blocked_at(s, 0);
    CHECK_INT(x->task, a);
    CHECK_STR(x->reason, "unresolved dependencies: B; cycle: A -> B -> A");
    CHECK_INT(x->n_cycle, 2);
    CHECK_INT(x->cycle[0], a);
    CHECK_INT(x->cycle[1], bb);
    CHECK_STR(cx_scheduler_blocked_at(s, 1)->reason,
              "unresolved dependencies: A; cycle: B -> A -> B");
    x = cx_scheduler_blocked_at(s, 2);
    CHECK_INT(x->task, c);
    CHECK_STR(x->reason, "unresolved dependencies: A");
    CHECK_INT(x->n_cycle, 0);
    x = cx_scheduler_blocked_at(s, 3);
    CHECK_INT(x->task, d);
    CHECK_STR(x->reason, "unresolved dependencies: x9, x8");
    CHECK_INT(x->n_unresolved, 2);
    CHECK_STR(x->unresolved[1], "x8");
    x = cx_scheduler_blocked_at(s, 4);
    CHECK_INT(x->task, e2);
    CHECK_STR(x->reason, "unresolved dependencies: D");
    x = cx_scheduler_blocked_at(s, 5);
    CHECK_INT(x->task, g);
    CHECK_STR(x->reason, "unresolved dependencies: G; cycle: G -> G");
    x = cx_scheduler_blocked_at(s, 6);
    CHECK_INT(x->task, h1);
    CHECK_STR(x->reason, "unresolved dependencies: H3; cycle: H1 -> H3 -> H2 -> H1");
    CHECK(cx_scheduler_blocked_at(s, 9) == NULL);

    cx_scheduler_task_info info;
    cx_scheduler_task_info_at(s, d, &info);
    CHECK_INT(info.state, CX_SCHEDULER_BLOCKED);
    CHECK_STR(info.blocked_reason, "unresolved dependencies: x9, x8");
    CHECK_INT(info.entered_ms, 100);
    /* F and K (a satisfied dep) run; nothing blocked ever does */
    cx_scheduler_launch l[8];
    char buf[128];
    CHECK_STR(launched_ids(l, drain(s, 100, l, 8), buf, sizeof buf), "F");
    fin(s, f, CX_SCHEDULER_OK, 150, NULL, 0);
    CHECK_STR(launched_ids(l, drain(s, 150, l, 8), buf, sizeof buf), "K");
    CHECK_INT(l[0].queue_ms, 0);
    CHECK_INT(l[0].entered_ms, 100);
    fin(s, k, CX_SCHEDULER_OK, 160, NULL, 0);
    CHECK_INT(state_of(s, e2), CX_SCHEDULER_BLOCKED); /* F completing does not revive E */
    CHECK_INT(drain(s, 200, l, 8), 0);
    CHECK_INT(cx_scheduler_remaining(s), 0);
    cx_scheduler_free(s);
}

static void test_cycle_names_long(void)
{
    cx_scheduler *s = mk(1, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 1);
    char id[32], dep[32];
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof id, "c%02d", i);
        snprintf(dep, sizeof dep, "c%02d", (i + 1) % 20);
        T(id, i, b, dep, NULL, 0);
    }
    CHECK_INT(seal(s, 0), 20);
    const cx_scheduler_blocked *x = cx_scheduler_blocked_at(s, 0);
    CHECK_INT(x->n_cycle, 20);
    CHECK(strstr(x->reason, "; cycle: c00 -> c01 -> ") != NULL);
    CHECK(strstr(x->reason, "-> ... (20 tasks) -> c00") != NULL);
    cx_scheduler_free(s);
}

/* ---------------------------------------------------------------- the planner examples */

/* A (sequential, repo:write); B, C (parallel, repo:read, depend on A) -> [A], [B, C] */
static void test_example_deps_and_readers(void)
{
    cx_scheduler *s = mk(4, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 4);
    int a = T("A", 1, b, NULL, "repo:write", 0);
    int bt = T("B", 2, b, "A", "repo:read", 0);
    int c = T("C", 3, b, "A", "repo:read", 0);
    CHECK_INT(seal(s, 0), 0);
    cx_scheduler_launch l[4];
    char buf[64];
    CHECK_STR(launched_ids(l, drain(s, 0, l, 4), buf, sizeof buf), "A");
    CHECK_INT(state_of(s, bt), CX_SCHEDULER_WAITING);
    fin(s, a, CX_SCHEDULER_OK, 1000, NULL, 0);
    CHECK_STR(launched_ids(l, drain(s, 1000, l, 4), buf, sizeof buf), "B,C");
    CHECK_INT(l[0].queue_ms, 0);
    CHECK_INT(l[0].ready_ms, 1000);
    CHECK_INT(l[1].worker, 2);
    fin(s, bt, CX_SCHEDULER_OK, 1500, NULL, 0);
    fin(s, c, CX_SCHEDULER_OK, 1600, NULL, 0);
    CHECK_INT(cx_scheduler_remaining(s), 0);
    cx_scheduler_free(s);
}

/* Three parallel tasks write, write, read on `repo` -> one at a time, in order. */
static void test_example_write_write_read(void)
{
    cx_scheduler *s = mk(3, CX_SCHEDULER_LEAST_LOADED, 0);
    int b = be(s, "codex", 3);
    int w1 = T("W1", 1, b, NULL, "repo:write", 0);
    int w2 = T("W2", 2, b, NULL, "repo:write", 0);
    int r = T("R", 3, b, NULL, "repo:read", 0);
    seal(s, 0);
    cx_scheduler_launch l[4];
    char buf[64];
    CHECK_STR(launched_ids(l, drain(s, 0, l, 4), buf, sizeof buf), "W1");
    fin(s, w1, CX_SCHEDULER_OK, 10, NULL, 0);
    CHECK_STR(launched_ids(l, drain(s, 10, l, 4), buf, sizeof buf), "W2");
    CHECK_INT(l[0].queue_ms, 10);
    fin(s, w2, CX_SCHEDULER_OK, 20, NULL, 0);
    CHECK_STR(launched_ids(l, drain(s, 20, l, 4), buf, sizeof buf), "R");
    CHECK_INT(l[0].queue_ms, 20);
    fin(s, r, CX_SCHEDULER_OK, 30, NULL, 0);
    CHECK_INT(cx_scheduler_remaining(s), 0);
    cx_scheduler_free(s);
}

/* A <-> B cycle -> nothing runs, both blocked, the run is over at once. */
static void test_example_cycle(void)
{
    cx_scheduler *s = mk(2, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 2);
    T("A", 1, b, "B", NULL, 0);
    T("B", 2, b, "A", NULL, 0);
    CHECK_INT(seal(s, 0), 2);
    cx_scheduler_launch l[2];
    CHECK_INT(drain(s, 0, l, 2), 0);
    CHECK_INT(cx_scheduler_remaining(s), 0);
    CHECK_INT(cx_scheduler_wake_ms(s, 0), -1);
    size_t counts[CX_SCHEDULER_NSTATES];
    cx_scheduler_counts(s, counts);
    CHECK_INT(counts[CX_SCHEDULER_BLOCKED], 2);
    cx_scheduler_free(s);
}

/* ---------------------------------------------------------------- §7 scenarios, simulated */

typedef struct fixed_script {
    int64_t latency;
} fixed_script;

static sim_outcome fixed(void *ctx, const cx_scheduler_launch *l, int64_t now)
{
    (void)l, (void)now;
    return (sim_outcome){CX_SCHEDULER_OK, ((fixed_script *)ctx)->latency, 0, NULL};
}

static int run_sim(cx_scheduler *s, const cx_scheduler_task_spec *specs, size_t n, int64_t latency,
                   sim_report *r)
{
    fixed_script fs = {latency};
    sim_config c = {specs, n, fixed, &fs, 1, -1};
    int rc = sim_run(s, &c, r);
    if (rc != 0)
        fprintf(stderr, "sim: %s\n", r->first_violation);
    CHECK_INT(rc, 0);
    return rc;
}

static cx_scheduler_task_spec spec(const char *id, int64_t order, int backend)
{
    return (cx_scheduler_task_spec){.id = id, .order = order, .backend = backend};
}

static void add_specs(cx_scheduler *s, const cx_scheduler_task_spec *sp, size_t n)
{
    cx_scheduler_error e;
    for (size_t i = 0; i < n; i++)
        CHECK_INT(cx_scheduler_add_task(s, &sp[i], &e), (int)i);
}

/* run_all_enforces_backend_cap_records_queue: 3 tasks of 1 s, cap codex=1, 3 workers. */
static void test_cap_serializes(void)
{
    cx_scheduler *s = mk(3, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 1);
    cx_scheduler_task_spec sp[] = {spec("t1", 1, b), spec("t2", 2, b), spec("t3", 3, b)};
    add_specs(s, sp, 3);
    sim_report r;
    run_sim(s, sp, 3, 1000, &r);
    CHECK_INT(r.n_launches, 3);
    CHECK(r.end_ms >= 2800);
    CHECK_INT(r.end_ms, 3000);
    CHECK_INT(r.max_running, 1);
    for (int i = 0; i < 3 && r.n_launches == 3; i++) {
        CHECK_INT(r.launches[i].start, 1000 * i);
        CHECK_INT(r.launches[i].queue_ms, 1000 * i);
        CHECK_INT(r.launches[i].worker, 1); /* the lowest free slot each time */
    }
    sim_report_free(&r);
    cx_scheduler_free(s);
}

/* run_all_queue_increases_for_later_tasks: 4 tasks, cap 1, 4 workers -> 0 .. 3000. */
static void test_queue_increases(void)
{
    cx_scheduler *s = mk(4, CX_SCHEDULER_LEAST_LOADED, 0);
    int b = be(s, "codex", 1);
    cx_scheduler_task_spec sp[] = {spec("t1", 1, b), spec("t2", 2, b), spec("t3", 3, b),
                                   spec("t4", 4, b)};
    add_specs(s, sp, 4);
    sim_report r;
    run_sim(s, sp, 4, 1000, &r);
    CHECK_INT(r.n_launches, 4);
    int64_t lo = INT64_MAX, hi = 0;
    for (size_t i = 0; i < r.n_launches; i++) {
        lo = r.launches[i].queue_ms < lo ? r.launches[i].queue_ms : lo;
        hi = r.launches[i].queue_ms > hi ? r.launches[i].queue_ms : hi;
    }
    CHECK(lo < 300);
    CHECK(hi >= 2500);
    sim_report_free(&r);
    cx_scheduler_free(s);
}

/* run_all_respects_dependency_waves_concurrency: root + 2 children, cap 2, 2 workers. The
 * children start when root finishes (1 s into the run), together. */
static void test_dependency_waves(void)
{
    cx_scheduler *s = mk(2, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 2);
    const char *root[] = {"root"};
    cx_scheduler_task_spec sp[] = {spec("root", 1, b), spec("child-a", 2, b),
                                   spec("child-b", 3, b)};
    sp[1].deps = sp[2].deps = root;
    sp[1].n_deps = sp[2].n_deps = 1;
    add_specs(s, sp, 3);
    sim_report r;
    run_sim(s, sp, 3, 1000, &r);
    CHECK_INT(r.end_ms, 2000);
    CHECK_INT(r.max_running, 2);
    CHECK_INT(r.launches[1].start, 1000);
    CHECK_INT(r.launches[2].start, 1000);
    CHECK_INT(r.launches[2].queue_ms, 0);     /* ready -> started */
    CHECK_INT(r.launches[2].start - 0, 1000); /* run offset (entered at 0) >= 900 */
    CHECK(r.launches[1].worker != r.launches[2].worker);
    sim_report_free(&r);
    cx_scheduler_free(s);
}

/* run_all_balanced_pool_uses_both_backends / run_all_round_robin_assigns_backends: tasks
 * alternate codex/ollama by index, caps 1/1. Both backends run at once, each one task at a time,
 * and under round_robin the launches alternate. */
static void test_round_robin_alternates(void)
{
    cx_scheduler *s = mk(2, CX_SCHEDULER_ROUND_ROBIN, 0);
    int codex = be(s, "codex", 1), ollama = be(s, "ollama", 1);
    static const char *ids[] = {"t0", "t1", "t2", "t3", "t4", "t5"};
    cx_scheduler_task_spec sp[6];
    for (int i = 0; i < 6; i++)
        sp[i] = spec(ids[i], i, i % 2 ? ollama : codex);
    add_specs(s, sp, 6);
    sim_report r;
    run_sim(s, sp, 6, 1000, &r);
    CHECK_INT(r.end_ms, 3000);
    CHECK_INT(r.max_running, 2);
    for (size_t i = 0; i < r.n_launches; i++)
        CHECK_INT(r.launches[i].backend, (int)(i % 2)); /* codex, ollama, codex, ... */
    sim_report_free(&r);
    cx_scheduler_free(s);
}

/* round_robin rotates among backends that have work; least_loaded with one worker and equal
 * loads goes by order. A backend with one task among a flood on another still starts at once
 * under round_robin. */
static void test_round_robin_flood(void)
{
    for (int f = 0; f < 2; f++) {
        cx_scheduler *s = mk(1, f ? CX_SCHEDULER_LEAST_LOADED : CX_SCHEDULER_ROUND_ROBIN, 0);
        int a = be(s, "a", 10), b = be(s, "b", 10);
        char ids[21][8];
        cx_scheduler_task_spec sp[21];
        for (int i = 0; i < 20; i++) {
            snprintf(ids[i], sizeof ids[i], "a%02d", i);
            sp[i] = spec(ids[i], i, a);
        }
        sp[20] = spec("lonely", 100, b);
        add_specs(s, sp, 21);
        sim_report r;
        run_sim(s, sp, 21, 10, &r);
        size_t at = 0;
        for (size_t i = 0; i < r.n_launches; i++) {
            if (r.launches[i].task == 20)
                at = i;
        }
        CHECK_INT(at, f ? 20 : 1); /* rr: second launch; ll with ties by order: last */
        sim_report_free(&r);
        cx_scheduler_free(s);
    }
}

/* least_loaded picks the backend with the fewest running; round_robin the next in rotation.
 * Three backends, cap 2 each, 3 workers: at t=0 one task starts on each; b's finishes first. */
static void test_least_loaded_vs_round_robin(void)
{
    for (int f = 0; f < 2; f++) {
        cx_scheduler *s = mk(3, f ? CX_SCHEDULER_LEAST_LOADED : CX_SCHEDULER_ROUND_ROBIN, 0);
        int a = be(s, "a", 2), b = be(s, "b", 2), c = be(s, "c", 2);
        T("a1", 1, a, NULL, NULL, 0);
        T("a2", 2, a, NULL, NULL, 0);
        int b1 = T("b1", 3, b, NULL, NULL, 0);
        T("b2", 4, b, NULL, NULL, 0);
        T("c1", 5, c, NULL, NULL, 0);
        T("c2", 6, c, NULL, NULL, 0);
        seal(s, 0);
        cx_scheduler_launch l[4];
        char buf[64];
        CHECK_STR(launched_ids(l, drain(s, 0, l, 4), buf, sizeof buf), "a1,b1,c1");
        fin(s, b1, CX_SCHEDULER_OK, 10, NULL, 0);
        CHECK_STR(launched_ids(l, drain(s, 10, l, 4), buf, sizeof buf), f ? "b2" : "a2");
        CHECK_INT(l[0].worker, 2); /* b1's slot */
        cx_scheduler_free(s);
    }
}

/* run_all_least_loaded_balances_backends_workers: 10 tasks over codex/ollama, caps 1/1, 4
 * workers, least_loaded -> >= 4.5 s, both backends >= 3 tasks, >= 2 workers, max queue >= 3 s. */
static void test_least_loaded_balances(void)
{
    cx_scheduler *s = mk(4, CX_SCHEDULER_LEAST_LOADED, 0);
    int codex = be(s, "codex", 1), ollama = be(s, "ollama", 1);
    static const char *ids[] = {"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"};
    cx_scheduler_task_spec sp[10];
    for (int i = 0; i < 10; i++)
        sp[i] = spec(ids[i], i, i % 2 ? ollama : codex);
    add_specs(s, sp, 10);
    sim_report r;
    run_sim(s, sp, 10, 1000, &r);
    CHECK(r.end_ms >= 4500);
    int per[2] = {0, 0}, workers[5] = {0};
    int64_t hi = 0;
    for (size_t i = 0; i < r.n_launches; i++) {
        per[r.launches[i].backend]++;
        workers[r.launches[i].worker] = 1;
        hi = r.launches[i].queue_ms > hi ? r.launches[i].queue_ms : hi;
    }
    CHECK(per[0] >= 3 && per[1] >= 3);
    CHECK_INT(workers[1] + workers[2] + workers[3] + workers[4], 2);
    CHECK(hi >= 3000);
    CHECK_INT(r.max_running, 2);
    sim_report_free(&r);
    cx_scheduler_free(s);
}

/* ---------------------------------------------------------------- retries and backoff */

static void test_backoff_sequence(void)
{
    cx_scheduler *s = mk(1, CX_SCHEDULER_ROUND_ROBIN, 0);
    static const int attempts[] = {1, 2, 3, 4, 5, 11};
    static const int64_t want[] = {250, 500, 1000, 2000, 2000, 2000};
    for (int i = 0; i < 6; i++)
        CHECK_INT(cx_scheduler_backoff_ms(s, "task_001", attempts[i]), want[i]);
    CHECK_INT(cx_scheduler_backoff_ms(s, "task_001", 1000), 2000);
    cx_scheduler_free(s);

    /* with jitter: within [base, base * 1.1], deterministic by seed and id, varied over ids */
    cx_scheduler_config cfg = {1, CX_SCHEDULER_ROUND_ROBIN, 7, 10};
    cx_scheduler *j1 = cx_scheduler_new(&cfg, NULL), *j2 = cx_scheduler_new(&cfg, NULL);
    cfg.seed = 8;
    cx_scheduler *j3 = cx_scheduler_new(&cfg, NULL);
    int varied = 0, seed_matters = 0;
    char id[16];
    for (int k = 0; k < 50; k++) {
        snprintf(id, sizeof id, "task_%03d", k);
        for (int i = 0; i < 6; i++) {
            int64_t v = cx_scheduler_backoff_ms(j1, id, attempts[i]);
            CHECK(v >= want[i] && v <= want[i] + want[i] / 10);
            CHECK_INT(v, cx_scheduler_backoff_ms(j2, id, attempts[i]));
            varied |= v != want[i];
            seed_matters |= v != cx_scheduler_backoff_ms(j3, id, attempts[i]);
        }
    }
    CHECK(varied);
    CHECK(seed_matters);
    cx_scheduler_free(j1);
    cx_scheduler_free(j2);
    cx_scheduler_free(j3);
}

/* max_retries 5, every attempt transient: backoffs 250/500/1000/2000/2000, then failed at the
 * 6th attempt; retry fields on each launch; slot and lock released during a backoff. */
static void test_retry_flow(void)
{
    cx_scheduler *s = mk(1, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 1);
    int t = T("flaky", 1, b, NULL, "repo:write", 5);
    int other = T("other", 2, b, NULL, "repo:write", 0);
    int dep = T("dependent", 3, b, "flaky", NULL, 0);
    seal(s, 0);
    cx_scheduler_launch l[4];
    int64_t now = 0;
    static const int64_t want[] = {250, 500, 1000, 2000, 2000};
    CHECK_INT(drain(s, now, l, 4), 1);
    CHECK_INT(l[0].task, t);
    CHECK_INT(l[0].attempt, 1);
    CHECK(l[0].retry_reason == NULL);
    CHECK_INT(l[0].retry_backoff_ms, -1);
    for (int a = 1; a <= 5; a++) {
        now += 100;
        cx_scheduler_finish_result r = fin(s, t, CX_SCHEDULER_RETRY, now, "timeout", 0);
        CHECK_INT(r.state, CX_SCHEDULER_BACKOFF);
        CHECK_INT(r.backoff_ms, want[a - 1]);
        CHECK_INT(r.retry_at_ms, now + want[a - 1]);
        CHECK_INT(cx_scheduler_wake_ms(s, now), now + want[a - 1]);
        if (a == 1) {
            /* the slot, the cap and repo:write are free during the backoff */
            CHECK_INT(drain(s, now, l, 4), 1);
            CHECK_INT(l[0].task, other);
            CHECK_INT(l[0].worker, 1);
            fin(s, other, CX_SCHEDULER_OK, now + 10, NULL, 0);
        }
        CHECK_INT(drain(s, now + want[a - 1] - 1, l, 4), 0); /* not before the backoff ends */
        now += want[a - 1] + 7;                              /* the driver wakes a bit late */
        CHECK_INT(drain(s, now, l, 4), 1);
        CHECK_INT(l[0].attempt, a + 1);
        CHECK_STR(l[0].retry_reason, "timeout");
        CHECK_INT(l[0].retry_backoff_ms, want[a - 1]);
        CHECK_INT(l[0].queue_ms, 7); /* from the end of the backoff */
    }
    cx_scheduler_finish_result r = fin(s, t, CX_SCHEDULER_RETRY, now + 1, "timeout", 0);
    CHECK_INT(r.state, CX_SCHEDULER_FAILED); /* attempt 6 > max_retries 5 */
    CHECK_INT(r.n_skipped, 1);
    CHECK_INT(state_of(s, dep), CX_SCHEDULER_SKIPPED);
    cx_scheduler_task_info info;
    cx_scheduler_task_info_at(s, t, &info);
    CHECK_INT(info.attempts, 6);
    CHECK_STR(info.last_class, "timeout");
    CHECK_INT(info.last_backoff_ms, 2000);
    CHECK_INT(cx_scheduler_remaining(s), 0);
    cx_scheduler_free(s);
}

/* Only the retry outcome retries, and only while attempt <= max_retries. */
static void test_retry_only_when_allowed(void)
{
    cx_scheduler *s = mk(3, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 3);
    int f = T("schema", 1, b, NULL, NULL, 3); /* permanent failure, retries left */
    int z = T("no_retries", 2, b, NULL, NULL, 0);
    int o = T("one", 3, b, NULL, NULL, 1);
    seal(s, 0);
    cx_scheduler_launch l[4];
    CHECK_INT(drain(s, 0, l, 4), 3);
    CHECK_INT(fin(s, f, CX_SCHEDULER_FAIL, 10, "schema", 0).state, CX_SCHEDULER_FAILED);
    CHECK_INT(fin(s, z, CX_SCHEDULER_RETRY, 10, "timeout", 0).state, CX_SCHEDULER_FAILED);
    CHECK_INT(fin(s, o, CX_SCHEDULER_RETRY, 10, NULL, 0).state, CX_SCHEDULER_BACKOFF);
    CHECK_INT(drain(s, 260, l, 4), 1);
    CHECK_STR(l[0].retry_reason, "retry"); /* no class given */
    CHECK_INT(fin(s, o, CX_SCHEDULER_RETRY, 300, NULL, 0).state, CX_SCHEDULER_FAILED);
    cx_scheduler_task_info info;
    cx_scheduler_task_info_at(s, f, &info);
    CHECK_INT(info.attempts, 1);
    CHECK_STR(info.last_class, "schema");
    cx_scheduler_free(s);
}

/* Retries re-enter at their order: a retried task goes before later tasks of its backend. */
static void test_retry_reenters_at_order(void)
{
    cx_scheduler *s = mk(1, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 1);
    int first = T("first", 1, b, NULL, NULL, 1);
    T("second", 2, b, NULL, NULL, 0);
    T("third", 3, b, NULL, NULL, 0);
    seal(s, 0);
    cx_scheduler_launch l[4];
    drain(s, 0, l, 4);
    fin(s, first, CX_SCHEDULER_RETRY, 10, "timeout", 0);
    CHECK_INT(drain(s, 10, l, 4), 1);
    CHECK_STR(l[0].id, "second");
    fin(s, l[0].task, CX_SCHEDULER_OK, 1000, NULL, 0);
    CHECK_INT(drain(s, 1000, l, 4), 1);
    CHECK_STR(l[0].id, "first"); /* back, ahead of third */
    CHECK_INT(l[0].queue_ms, 1000 - 260);
    cx_scheduler_free(s);
}

/* ---------------------------------------------------------------- interrupted and stop */

static void test_interrupted(void)
{
    cx_scheduler *s = mk(2, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 2);
    int t = T("t", 1, b, NULL, NULL, 2);
    seal(s, 0);
    cx_scheduler_launch l[2];
    drain(s, 0, l, 2);
    fin(s, t, CX_SCHEDULER_RETRY, 10, "timeout", 0);
    drain(s, 300, l, 2);
    CHECK_INT(l[0].attempt, 2);
    cx_scheduler_finish_result r = fin(s, t, CX_SCHEDULER_INTERRUPTED, 400, "interrupted", 0);
    CHECK_INT(r.state, CX_SCHEDULER_READY);
    cx_scheduler_task_info info;
    cx_scheduler_task_info_at(s, t, &info);
    CHECK_INT(info.attempts, 1); /* not consumed */
    CHECK_INT(drain(s, 450, l, 2), 1);
    CHECK_INT(l[0].attempt, 2);              /* the same attempt again */
    CHECK_STR(l[0].retry_reason, "timeout"); /* with the same retry fields */
    CHECK_INT(l[0].queue_ms, 50);            /* queued again since the interrupt */
    fin(s, t, CX_SCHEDULER_OK, 500, NULL, 0);
    CHECK_INT(cx_scheduler_remaining(s), 0);
    cx_scheduler_free(s);
}

/* stop: nothing launches any more; running attempts still finish; remaining counts only them;
 * an interrupted task and the never-launched ones are left not run. */
static void test_stop(void)
{
    cx_scheduler *s = mk(2, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 2);
    int a = T("a", 1, b, NULL, NULL, 3);
    int c = T("c", 2, b, NULL, NULL, 0);
    int d = T("d", 3, b, NULL, NULL, 0);
    int e = T("e", 4, b, "c", NULL, 0);
    seal(s, 0);
    cx_scheduler_launch l[4];
    CHECK_INT(drain(s, 0, l, 4), 2);
    cx_scheduler_stop(s);
    CHECK(cx_scheduler_stopped(s));
    CHECK_INT(cx_scheduler_remaining(s), 2);
    CHECK_INT(cx_scheduler_wake_ms(s, 0), -1);
    CHECK_INT(fin(s, a, CX_SCHEDULER_INTERRUPTED, 5, "interrupted", 0).state, CX_SCHEDULER_READY);
    CHECK_INT(cx_scheduler_remaining(s), 1);
    fin(s, c, CX_SCHEDULER_OK, 6, NULL, 0);
    CHECK_INT(cx_scheduler_remaining(s), 0);
    CHECK_INT(drain(s, 10, l, 4), 0);
    CHECK_INT(state_of(s, d), CX_SCHEDULER_READY);
    CHECK_INT(state_of(s, e), CX_SCHEDULER_READY); /* its dependency completed: ready, not run */
    size_t counts[CX_SCHEDULER_NSTATES];
    cx_scheduler_counts(s, counts);
    CHECK_INT(counts[CX_SCHEDULER_READY], 3);
    CHECK_INT(counts[CX_SCHEDULER_COMPLETE], 1);
    cx_scheduler_free(s);
}

/* A transient failure after stop: no more attempts; the task is left in backoff (not run). */
static void test_stop_then_retry(void)
{
    cx_scheduler *s = mk(1, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 1);
    int a = T("a", 1, b, NULL, NULL, 3);
    seal(s, 0);
    cx_scheduler_launch l[2];
    drain(s, 0, l, 2);
    cx_scheduler_stop(s);
    CHECK_INT(fin(s, a, CX_SCHEDULER_RETRY, 10, "timeout", 0).state, CX_SCHEDULER_BACKOFF);
    CHECK_INT(drain(s, 5000, l, 2), 0);
    CHECK_INT(cx_scheduler_remaining(s), 0);
    cx_scheduler_free(s);
}

/* ---------------------------------------------------------------- skip propagation */

/* A -> {B, C} -> D -> E (diamond), F independent. A fails: B, C, D, E skipped once each. */
static void test_skip_diamond(void)
{
    cx_scheduler *s = mk(4, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 4);
    int a = T("A", 1, b, NULL, NULL, 0);
    int bt = T("B", 2, b, "A", NULL, 0);
    int c = T("C", 3, b, "A", NULL, 0);
    int d = T("D", 4, b, "B,C", NULL, 0);
    int e = T("E", 5, b, "D,A", NULL, 0);
    int f = T("F", 6, b, NULL, NULL, 0);
    seal(s, 0);
    cx_scheduler_launch l[4];
    char buf[64];
    CHECK_STR(launched_ids(l, drain(s, 0, l, 4), buf, sizeof buf), "A,F");
    cx_scheduler_finish_result r = fin(s, a, CX_SCHEDULER_FAIL, 10, "provider_error", 0);
    CHECK_INT(r.n_skipped, 4);
    int seen[8] = {0};
    for (size_t i = 0; i < r.n_skipped; i++) {
        seen[r.skipped[i].task]++;
        CHECK_INT(r.skipped[i].ancestor, a);
    }
    CHECK(seen[bt] == 1 && seen[c] == 1 && seen[d] == 1 && seen[e] == 1);
    cx_scheduler_task_info info;
    cx_scheduler_task_info_at(s, d, &info);
    CHECK_INT(info.state, CX_SCHEDULER_SKIPPED);
    CHECK_INT(info.ancestor, a);
    CHECK_INT(info.finished_ms, 10);
    fin(s, f, CX_SCHEDULER_OK, 20, NULL, 0);
    CHECK_INT(cx_scheduler_remaining(s), 0);
    cx_scheduler_free(s);

    /* B fails while C succeeds: D and E are skipped with B as the ancestor */
    s = mk(4, CX_SCHEDULER_ROUND_ROBIN, 0);
    b = be(s, "codex", 4);
    a = T("A", 1, b, NULL, NULL, 0);
    bt = T("B", 2, b, "A", NULL, 0);
    c = T("C", 3, b, "A", NULL, 0);
    d = T("D", 4, b, "B,C", NULL, 0);
    e = T("E", 5, b, "D", NULL, 0);
    seal(s, 0);
    drain(s, 0, l, 4);
    fin(s, a, CX_SCHEDULER_OK, 10, NULL, 0);
    CHECK_INT(drain(s, 10, l, 4), 2);
    fin(s, c, CX_SCHEDULER_OK, 20, NULL, 0);
    r = fin(s, bt, CX_SCHEDULER_RETRY, 30, "timeout", 0); /* no retries left: failed */
    CHECK_INT(r.state, CX_SCHEDULER_FAILED);
    CHECK_INT(r.n_skipped, 2);
    CHECK_INT(r.skipped[0].task, d);
    CHECK_INT(r.skipped[0].ancestor, bt);
    CHECK_INT(r.skipped[1].task, e);
    CHECK_INT(r.skipped[1].ancestor, bt);
    CHECK_INT(cx_scheduler_remaining(s), 0);
    cx_scheduler_free(s);
}

/* ---------------------------------------------------------------- parking and moves */

static void test_park_waits(void)
{
    cx_scheduler *s = mk(2, CX_SCHEDULER_ROUND_ROBIN, 0);
    int codex = be(s, "codex", 2);
    int a = T("a", 1, codex, NULL, NULL, 0);
    T("b", 2, codex, NULL, NULL, 0);
    T("c", 3, codex, NULL, NULL, 0);
    seal(s, 0);
    cx_scheduler_launch l[4];
    CHECK_INT(drain(s, 0, l, 4), 2);
    cx_scheduler_finish_result r = fin(s, a, CX_SCHEDULER_PARK, 100, "quota_exhausted", 5000);
    CHECK_INT(r.state, CX_SCHEDULER_READY);
    CHECK_INT(r.n_moved, 0);
    cx_scheduler_backend_stats st;
    cx_scheduler_backend_stats_at(s, codex, &st);
    CHECK_INT(st.parked_until_ms, 5000);
    CHECK_INT(st.queued, 2);
    CHECK_INT(st.running, 1);
    CHECK_INT(drain(s, 100, l, 4), 0); /* a slot and the cap are free, but it is parked */
    CHECK_INT(drain(s, 4999, l, 4), 0);
    CHECK_INT(cx_scheduler_wake_ms(s, 100), 5000);
    cx_scheduler_task_info info;
    cx_scheduler_task_info_at(s, a, &info);
    CHECK_INT(info.attempts, 0); /* the parked attempt did not count */
    CHECK_STR(info.last_class, "quota_exhausted");
    CHECK_INT(drain(s, 5010, l, 4), 1); /* b still runs: cap 2 */
    CHECK_STR(l[0].id, "a");            /* order 1 first */
    CHECK_INT(l[0].attempt, 1);
    CHECK_INT(l[0].queue_ms, 10); /* from the end of the park */
    CHECK_INT(l[0].ready_ms, 5000);
    cx_scheduler_backend_stats_at(s, codex, &st);
    CHECK_INT(st.parked_until_ms, 0);
    cx_scheduler_free(s);
}

/* Tasks with an alternative move off a parked backend (reported), the others wait; a task that
 * becomes ready while its backend is parked moves then (moved_from on its launch). */
static void test_park_moves_alternatives(void)
{
    cx_scheduler *s = mk(4, CX_SCHEDULER_ROUND_ROBIN, 0);
    int codex = be(s, "codex", 1), ollama = be(s, "ollama", 2);
    int a = T("a", 1, codex, NULL, NULL, 0);
    int fixed_t = T("fixed", 2, codex, NULL, NULL, 0);
    int mover = TA("mover", 3, codex, NULL, NULL, 0, ollama);
    int late = TA("late", 4, codex, "a2", NULL, 0, ollama);
    int a2 = T("a2", 0, ollama, NULL, NULL, 0);
    seal(s, 0);
    cx_scheduler_launch l[4];
    char buf[64];
    CHECK_STR(launched_ids(l, drain(s, 0, l, 4), buf, sizeof buf), "a,a2");
    cx_scheduler_finish_result r = fin(s, a, CX_SCHEDULER_PARK, 50, "rate_limited", 3000);
    CHECK_INT(r.n_moved, 1);
    CHECK_INT(r.moved[0].task, mover);
    CHECK_INT(r.moved[0].from, codex);
    CHECK_INT(r.moved[0].to, ollama);
    CHECK_STR(launched_ids(l, drain(s, 50, l, 4), buf, sizeof buf), "mover");
    CHECK_INT(l[0].backend, ollama);
    CHECK_INT(l[0].moved_from, codex);
    CHECK_INT(l[0].queue_ms, 50); /* queued since 0, never held by the park */
    r = fin(s, a2, CX_SCHEDULER_OK, 60, NULL, 0);
    CHECK_INT(r.n_moved, 1); /* late became ready on a parked backend: moved at once */
    CHECK_INT(r.moved[0].task, late);
    CHECK_STR(launched_ids(l, drain(s, 60, l, 4), buf, sizeof buf), "late");
    CHECK_INT(l[0].backend, ollama);
    cx_scheduler_task_info info;
    cx_scheduler_task_info_at(s, fixed_t, &info);
    CHECK_INT(info.state, CX_SCHEDULER_READY);
    CHECK_INT(info.backend, codex);
    CHECK_INT(info.primary_backend, codex);
    cx_scheduler_task_info_at(s, late, &info);
    CHECK_INT(info.backend, ollama);
    CHECK_INT(info.primary_backend, codex);
    cx_scheduler_backend_stats st;
    cx_scheduler_backend_stats_at(s, ollama, &st);
    CHECK_INT(st.running, 2);
    CHECK_INT(drain(s, 3000, l, 4), 1);
    CHECK_INT(l[0].task, a);
    CHECK_INT(l[0].moved_from, -1);
    cx_scheduler_free(s);
}

/* All candidates parked: the task waits on its own backend; when an alternative's park ends
 * first, it moves there and counts its queue from that end. A longer park extends; a shorter
 * one does not shorten. */
static void test_park_all_parked(void)
{
    for (int ollama_cap = 1; ollama_cap <= 2; ollama_cap++) {
        cx_scheduler *s = mk(3, CX_SCHEDULER_ROUND_ROBIN, 0);
        int codex = be(s, "codex", 1), ollama = be(s, "ollama", ollama_cap);
        int pc = T("pc", 1, codex, NULL, NULL, 0);
        int po = T("po", 2, ollama, NULL, NULL, 0);
        int w = TA("w", 3, codex, NULL, NULL, 0, ollama);
        seal(s, 0);
        cx_scheduler_launch l[4];
        CHECK_INT(drain(s, 0, l, 4), 2);
        fin(s, po, CX_SCHEDULER_PARK, 10, NULL, 2000);
        cx_scheduler_finish_result r = fin(s, pc, CX_SCHEDULER_PARK, 20, NULL, 9000);
        CHECK_INT(r.n_moved, 0); /* nowhere to go */
        cx_scheduler_task_info info;
        cx_scheduler_task_info_at(s, w, &info);
        CHECK_INT(info.backend, codex);
        CHECK_INT(info.ready_ms, 9000);
        CHECK_INT(cx_scheduler_wake_ms(s, 30), 2000);
        CHECK_INT(drain(s, 1999, l, 4), 0);
        char buf[64];
        /* ollama's park ends: w moves there; with cap 1, po (earlier order) goes first */
        CHECK_STR(launched_ids(l, drain(s, 2005, l, 4), buf, sizeof buf),
                  ollama_cap == 1 ? "po" : "po,w");
        cx_scheduler_task_info_at(s, w, &info);
        CHECK_INT(info.backend, ollama);
        CHECK_INT(info.ready_ms, 2000);
        if (ollama_cap == 2) {
            CHECK_INT(l[1].moved_from, codex);
            CHECK_INT(l[1].queue_ms, 5);
            /* a shorter park does not shorten codex's */
            fin(s, po, CX_SCHEDULER_PARK, 2100, NULL, 2500);
            cx_scheduler_backend_stats st;
            cx_scheduler_backend_stats_at(s, codex, &st);
            CHECK_INT(st.parked_until_ms, 9000);
            cx_scheduler_backend_stats_at(s, ollama, &st);
            CHECK_INT(st.parked_until_ms, 2500);
            CHECK_INT(cx_scheduler_wake_ms(s, 2100), 2500);
            fin(s, w, CX_SCHEDULER_PARK, 2200, NULL, 8000); /* extends ollama's park */
            cx_scheduler_backend_stats_at(s, ollama, &st);
            CHECK_INT(st.parked_until_ms, 8000);
            CHECK_INT(cx_scheduler_wake_ms(s, 2200), 8000);
        }
        cx_scheduler_free(s);
    }
}

/* ---------------------------------------------------------------- locks at run time */

/* A lock-blocked task does not hold back later tasks of its backend that can run. */
static void test_lock_skip_over(void)
{
    cx_scheduler *s = mk(3, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 3);
    int x = T("x", 0, b, NULL, "repo:write", 0);
    T("blocked", 1, b, NULL, "repo:write", 0);
    T("free", 2, b, NULL, "db:write", 0);
    seal(s, 0);
    cx_scheduler_launch l[4];
    char buf[64];
    CHECK_STR(launched_ids(l, drain(s, 0, l, 4), buf, sizeof buf), "x,free");
    cx_scheduler_task_info info;
    cx_scheduler_task_info_at(s, 1, &info);
    CHECK(info.ticket >= 0);
    fin(s, x, CX_SCHEDULER_OK, 100, NULL, 0);
    CHECK_STR(launched_ids(l, drain(s, 100, l, 4), buf, sizeof buf), "blocked");
    CHECK_INT(l[0].queue_ms, 100); /* a lock wait is queue time */
    cx_scheduler_task_info_at(s, 1, &info);
    CHECK_INT(info.ticket, -1);
    cx_scheduler_free(s);
}

/* The writer starvation guard: once a writer waits on a domain, readers that come later do not
 * start ahead of it, even with free slots; the writer starts when the readers that held the
 * domain finish, and the later readers after it. Other domains are unaffected. */
static void test_writer_not_starved(void)
{
    cx_scheduler *s = mk(8, CX_SCHEDULER_ROUND_ROBIN, 0);
    int rb = be(s, "readers", 8), wb = be(s, "writers", 8);
    int r1 = T("r1", 1, rb, NULL, "repo:read", 0);
    int r2 = T("r2", 2, rb, NULL, "repo:read", 0);
    int w = T("w", 3, wb, NULL, "repo:write", 0);
    T("r3", 4, rb, NULL, "repo:read", 0);
    T("r4", 5, rb, "r1", "repo:read", 0); /* ready later */
    T("other", 6, rb, NULL, "db:write", 0);
    seal(s, 0);
    cx_scheduler_launch l[8];
    char buf[64];
    /* round robin: r1 (readers), w blocked by the readers' lock -> ticket; r2? the writer's
     * reservation now stands: r2 and r3 wait, "other" runs */
    CHECK_STR(launched_ids(l, drain(s, 0, l, 8), buf, sizeof buf), "r1,other");
    cx_scheduler_task_info info;
    cx_scheduler_task_info_at(s, w, &info);
    CHECK_INT(info.state, CX_SCHEDULER_READY);
    CHECK(info.ticket >= 0);
    cx_scheduler_task_info_at(s, r2, &info);
    CHECK(info.ticket > 0);                    /* waits behind the writer with a later ticket */
    fin(s, r1, CX_SCHEDULER_OK, 100, NULL, 0); /* r4 becomes ready: still behind w */
    CHECK_STR(launched_ids(l, drain(s, 100, l, 8), buf, sizeof buf), "w");
    CHECK_INT(l[0].queue_ms, 100);
    fin(s, w, CX_SCHEDULER_OK, 200, NULL, 0);
    CHECK_STR(launched_ids(l, drain(s, 200, l, 8), buf, sizeof buf), "r2,r3,r4");
    (void)r2;
    cx_scheduler_free(s);
}

/* A stream of overlapping readers: each new reader becomes ready while another still holds the
 * domain. Without the guard the writer would wait for the whole stream; with it, it starts as
 * soon as the readers running when it arrived are done. */
static void test_reader_stream(void)
{
    cx_scheduler *s = mk(4, CX_SCHEDULER_LEAST_LOADED, 0);
    int rb = be(s, "readers", 4), wb = be(s, "writer", 1);
    char ids[40][8], deps[40][8];
    T("r00", 0, rb, NULL, "repo:read", 0);
    for (int i = 1; i < 40; i++) {
        snprintf(ids[i], sizeof ids[i], "r%02d", i);
        snprintf(deps[i], sizeof deps[i], "r%02d", i - 1);
        T(ids[i], i, rb, i > 1 ? deps[i - 1] : NULL, "repo:read", 0); /* ready in pairs */
    }
    int w = T("w", 100, wb, NULL, "repo:write", 0);
    seal(s, 0);
    cx_scheduler_launch l[8];
    int64_t now = 0;
    int running[64], nrun = 0, w_started = -1, launched = 0;
    for (int step = 0; step < 200 && w_started < 0; step++) {
        int n = drain(s, now, l, 8);
        for (int i = 0; i < n; i++) {
            if (l[i].task == w)
                w_started = launched;
            running[nrun++] = l[i].task;
            launched++;
        }
        if (!nrun)
            break;
        now += 10;
        fin(s, running[0], CX_SCHEDULER_OK, now, NULL, 0);
        memmove(running, running + 1, (size_t)--nrun * sizeof *running);
    }
    CHECK(w_started >= 0);
    CHECK(w_started <= 4); /* behind at most the readers started before it took its ticket */
    cx_scheduler_free(s);
}

/* ---------------------------------------------------------------- slots, stats, info */

static void test_slots_lowest_free(void)
{
    cx_scheduler *s = mk(3, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 3);
    for (int i = 0; i < 5; i++) {
        char id[8];
        snprintf(id, sizeof id, "t%d", i);
        T(id, i, b, NULL, NULL, 0);
    }
    seal(s, 0);
    cx_scheduler_launch l[4];
    CHECK_INT(drain(s, 0, l, 4), 3);
    CHECK(l[0].worker == 1 && l[1].worker == 2 && l[2].worker == 3);
    fin(s, l[1].task, CX_SCHEDULER_OK, 5, NULL, 0);
    CHECK_INT(drain(s, 5, l, 4), 1);
    CHECK_INT(l[0].worker, 2);
    fin(s, 0, CX_SCHEDULER_OK, 6, NULL, 0);
    fin(s, 2, CX_SCHEDULER_OK, 6, NULL, 0);
    CHECK_INT(drain(s, 6, l, 4), 1);
    CHECK_INT(l[0].worker, 1);
    cx_scheduler_task_info info;
    cx_scheduler_task_info_at(s, l[0].task, &info);
    CHECK_INT(info.worker, 1);
    CHECK_INT(info.started_ms, 6);
    CHECK_INT(cx_scheduler_task_info_at(s, 99, &info), -1);
    cx_scheduler_backend_stats st;
    CHECK_INT(cx_scheduler_backend_stats_at(s, 5, &st), -1);
    CHECK_INT(cx_scheduler_backend_stats_at(s, b, &st), 0);
    CHECK_STR(st.name, "codex");
    CHECK_INT(st.cap, 3);
    CHECK_INT(st.running, 2);
    CHECK_INT(st.done, 3);
    CHECK_INT(st.queued, 0);
    CHECK_INT(cx_scheduler_find(s, "t3"), 3);
    CHECK_INT(cx_scheduler_find(s, "nope"), -1);
    CHECK_STR(cx_scheduler_task_id(s, 4), "t4");
    CHECK(cx_scheduler_task_id(s, 5) == NULL);
    CHECK_STR(cx_scheduler_backend_name(s, 0), "codex");
    cx_scheduler_free(s);
}

/* Times given out of order never move the clock back. */
static void test_clock_monotonic(void)
{
    cx_scheduler *s = mk(1, CX_SCHEDULER_ROUND_ROBIN, 0);
    int b = be(s, "codex", 1);
    int a = T("a", 1, b, NULL, NULL, 1);
    T("b", 2, b, NULL, NULL, 0);
    seal(s, 1000);
    cx_scheduler_launch l[2];
    drain(s, 1000, l, 2);
    fin(s, a, CX_SCHEDULER_RETRY, 2000, NULL, 0);
    CHECK_INT(drain(s, 500, l, 2), 1); /* treated as 2000 */
    CHECK_INT(l[0].queue_ms, 1000);
    cx_scheduler_free(s);

    /* extreme times are clamped (no overflow adding a backoff; UBSan would say) */
    s = mk(1, CX_SCHEDULER_ROUND_ROBIN, 10);
    b = be(s, "codex", 1);
    a = T("a", 1, b, NULL, NULL, 1);
    seal(s, INT64_MIN);
    drain(s, INT64_MAX, l, 2);
    cx_scheduler_finish_result r = fin(s, a, CX_SCHEDULER_RETRY, INT64_MAX, NULL, 0);
    CHECK_INT(r.state, CX_SCHEDULER_BACKOFF);
    CHECK(r.retry_at_ms > ((int64_t)1 << 61));
    CHECK(cx_scheduler_wake_ms(s, INT64_MAX) > 0);
    CHECK_INT(drain(s, INT64_MAX, l, 2), 0); /* the clock cannot pass 2^61 */
    cx_scheduler_free(s);
}

/* ---------------------------------------------------------------- determinism and the sim */

static uint64_t run_workload(uint64_t seed, size_t n, int check, sim_report *out)
{
    sim_workload w;
    CHECK_INT(sim_workload_random(&w, seed, n), 0);
    cx_scheduler *s = sim_workload_build(&w);
    CHECK(s != NULL);
    sim_config c = {w.specs, w.n, sim_workload_script, &w, check, -1};
    sim_report r;
    int rc = sim_run(s, &c, &r);
    if (rc != 0)
        fprintf(stderr, "seed %llu (%zu tasks): %zu violations, first: %s\n",
                (unsigned long long)seed, n, r.violations, r.first_violation);
    CHECK_INT(rc, 0);
    uint64_t trace = r.trace;
    if (out)
        *out = r;
    else
        sim_report_free(&r);
    cx_scheduler_free(s);
    sim_workload_free(&w);
    return trace;
}

static void test_determinism(void)
{
    int differ = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        sim_report a, b;
        uint64_t t1 = run_workload(seed, 400, 0, &a);
        uint64_t t2 = run_workload(seed, 400, 0, &b);
        CHECK(t1 == t2);
        CHECK_INT(a.n_launches, b.n_launches);
        int same = a.n_launches == b.n_launches;
        for (size_t i = 0; same && i < a.n_launches; i++) {
            const sim_launch *x = &a.launches[i], *y = &b.launches[i];
            same = x->task == y->task && x->backend == y->backend && x->worker == y->worker &&
                   x->attempt == y->attempt && x->start == y->start && x->end == y->end &&
                   x->queue_ms == y->queue_ms && x->outcome == y->outcome;
        }
        CHECK(same);
        differ += t1 != run_workload(seed + 1000, 400, 0, NULL);
        sim_report_free(&a);
        sim_report_free(&b);
    }
    CHECK_INT(differ, 5);
}

static void test_random_simulation(void)
{
    size_t total = 0, ended[CX_SCHEDULER_NSTATES] = {0}, launches = 0, checks = 0;
    for (uint64_t seed = 1; seed <= 60; seed++) {
        size_t n = 50 + (size_t)(seed * 37 % 700);
        sim_report r;
        run_workload(seed, n, 1, &r);
        total += n;
        for (int k = 0; k < CX_SCHEDULER_NSTATES; k++)
            ended[k] += r.ended[k];
        CHECK_INT(r.not_run, 0);
        launches += r.n_launches;
        checks += r.idle_checks;
        sim_report_free(&r);
    }
    /* the workloads exercise every ending */
    CHECK(ended[CX_SCHEDULER_COMPLETE] > total / 2);
    CHECK(ended[CX_SCHEDULER_FAILED] > 0);
    CHECK(ended[CX_SCHEDULER_SKIPPED] > 0);
    CHECK(ended[CX_SCHEDULER_BLOCKED] > 0);
    CHECK_INT(ended[CX_SCHEDULER_COMPLETE] + ended[CX_SCHEDULER_FAILED] +
                  ended[CX_SCHEDULER_SKIPPED] + ended[CX_SCHEDULER_BLOCKED],
              total);
    fprintf(stderr, "random simulation: 60 seeds, %zu tasks, %zu launches, %zu idle checks\n",
            total, launches, checks);
}

static void test_large_simulation(void)
{
    sim_report r;
    run_workload(4242, 5000, 1, &r);
    CHECK(r.n_launches >= 4000);
    fprintf(stderr, "large simulation: 5000 tasks, %zu launches, end %lld ms\n", r.n_launches,
            (long long)r.end_ms);
    sim_report_free(&r);
}

/* A stop in the middle of a random run: nothing launches after it, every running attempt
 * finishes, and what never ran is reported not run. */
static void test_simulation_with_stop(void)
{
    for (uint64_t seed = 1; seed <= 10; seed++) {
        sim_workload w;
        sim_workload_random(&w, seed, 300);
        cx_scheduler *s = sim_workload_build(&w);
        sim_config c = {w.specs, w.n, sim_workload_script, &w, 1, 2000};
        sim_report r;
        int rc = sim_run(s, &c, &r);
        if (rc)
            fprintf(stderr, "stop seed %llu: %s\n", (unsigned long long)seed, r.first_violation);
        CHECK_INT(rc, 0);
        CHECK(r.not_run > 0);
        for (size_t i = 0; i < r.n_launches; i++)
            CHECK(r.launches[i].start <= 2000);
        CHECK_INT(cx_scheduler_remaining(s), 0);
        sim_report_free(&r);
        cx_scheduler_free(s);
        sim_workload_free(&w);
    }
}

int main(void)
{
    test_lock_parse();
    test_lock_conflicts();
    test_errors();
    test_seal_blocked();
    test_cycle_names_long();
    test_example_deps_and_readers();
    test_example_write_write_read();
    test_example_cycle();
    test_cap_serializes();
    test_queue_increases();
    test_dependency_waves();
    test_round_robin_alternates();
    test_round_robin_flood();
    test_least_loaded_vs_round_robin();
    test_least_loaded_balances();
    test_backoff_sequence();
    test_retry_flow();
    test_retry_only_when_allowed();
    test_retry_reenters_at_order();
    test_interrupted();
    test_stop();
    test_stop_then_retry();
    test_skip_diamond();
    test_park_waits();
    test_park_moves_alternatives();
    test_park_all_parked();
    test_lock_skip_over();
    test_writer_not_starved();
    test_reader_stream();
    test_slots_lowest_free();
    test_clock_monotonic();
    test_determinism();
    test_random_simulation();
    test_large_simulation();
    test_simulation_with_stop();
    return CHECK_DONE();
}
