/* The worker scheduler's mechanics (scheduler.h; the rules are in docs/scheduler.md).
 *
 * Data layout, chosen so that cx_scheduler_next costs O(backends x locks per task) plus amortized
 * heap work, never a scan of all tasks:
 *   - each backend keeps a ready heap ordered by (order, index);
 *   - a task found lock-blocked leaves its ready heap and sleeps in the wait heap of the domain
 *     that blocked it; it is woken only when that domain's holders or reservations change;
 *   - a lock-blocked task takes a ticket (global, increasing) and reserves every domain it locks
 *     until it launches: a lock may only be taken when it is compatible with the holders and with
 *     every reservation holding an earlier ticket (writers are not starved by streams of readers,
 *     and the earliest ticket is only ever blocked by holders, so reservations never deadlock);
 *   - backoffs wait in one heap ordered by their end; free worker slots in a min-heap.
 * Every heap gets its full capacity at seal, so next and finish never allocate (except to intern
 * a new failure class name). */
#include "scheduler.h"

#include "depgraph.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE (-1)
#define NO_TICKET INT64_MAX
#define NEVER INT64_MIN
/* Times given by callers are clamped to +-2^61 ms, so neither adding a backoff nor subtracting
 * two times can overflow. */
#define TIME_LIMIT ((int64_t)1 << 61)

static int64_t clamp_ms(int64_t v)
{
    return v > TIME_LIMIT ? TIME_LIMIT : v < -TIME_LIMIT ? -TIME_LIMIT : v;
}

/* ---------------------------------------------------------------- errors */

static int fail(cx_scheduler_error *e, const char *cls, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
        e->class_name = cls;
    }
    return -1;
}

#define NOMEM(e) fail((e), "nomem", "out of memory")

/* ---------------------------------------------------------------- string map (open addressing) */

typedef struct strmap {
    const char **keys; /* not owned */
    size_t *lens;
    int *vals;
    size_t cap, n;
} strmap;

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int map_get(const strmap *m, const char *k, size_t n)
{
    if (!m->cap)
        return NONE;
    for (size_t i = hash_bytes(k, n) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i])
            return NONE;
        if (m->lens[i] == n && memcmp(m->keys[i], k, n) == 0)
            return m->vals[i];
    }
}

static int map_grow(strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    strmap g = {calloc(cap, sizeof *g.keys), calloc(cap, sizeof *g.lens),
                calloc(cap, sizeof *g.vals), cap, m->n};
    if (!g.keys || !g.lens || !g.vals) {
        free(g.keys);
        free(g.lens);
        free(g.vals);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = hash_bytes(m->keys[i], m->lens[i]) & (cap - 1);
        while (g.keys[j])
            j = (j + 1) & (cap - 1);
        g.keys[j] = m->keys[i];
        g.lens[j] = m->lens[i];
        g.vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->lens);
    free(m->vals);
    *m = g;
    return 0;
}

/* k must stay valid as long as the map (it is owned by the caller's arrays). */
static int map_put(strmap *m, const char *k, size_t n, int v)
{
    if ((m->n + 1) * 2 > m->cap && map_grow(m) != 0)
        return -1;
    size_t i = hash_bytes(k, n) & (m->cap - 1);
    while (m->keys[i])
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = k;
    m->lens[i] = n;
    m->vals[i] = v;
    m->n++;
    return 0;
}

static void map_free(strmap *m)
{
    free(m->keys);
    free(m->lens);
    free(m->vals);
}

static int grow(void **p, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int c = *cap ? *cap * 2 : 16;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* ---------------------------------------------------------------- data */

/* Heap entries carry their key, so comparisons never chase the item into its struct. Keys do not
 * change while an item is in a heap. */
typedef struct hent {
    int64_t key;
    int item;
} hent;

typedef struct heap {
    hent *v;
    int n;
} heap;

typedef struct lock_ent {
    int task, domain;
    int write;
    int res_pos;   /* in the domain's reservation heap, or NONE */
    int sleep_pos; /* in the domain's sleep heap, or NONE */
} lock_ent;

typedef struct domain {
    char *name;
    int readers, writers;  /* running holders */
    int n_read, n_write;   /* lock entries of each mode (heap capacities) */
    heap res_r, res_w;     /* reservations (lock entries) by ticket */
    heap sleep_r, sleep_w; /* sleeping tasks (lock entries) by ticket */
    int dirty;
} domain;

typedef struct backend {
    char *name;
    int cap;
    int64_t park_until; /* NEVER when never parked */
    int park_swept;     /* the end of the last park has been handled */
    heap ready;         /* task indexes by (order, index) */
    int ready_cap;
    int sleep_head; /* sleeping tasks of this backend (a list through task.sl_next) */
    size_t counts[CX_SCHEDULER_NSTATES];
} backend;

typedef struct task {
    char *id;
    int64_t order;
    int backend;
    int *cands; /* cands[0] = primary backend, then the alternatives */
    int ncands;
    int max_retries;
    char **dep_ids;
    int ndeps;
    int lock_first, nlocks;
    cx_scheduler_state state;
    int pending; /* dependencies not yet complete */
    int attempts;
    int worker;
    int64_t ticket;
    int sleep_ent; /* the lock entry it sleeps on, or NONE */
    int sl_prev, sl_next;
    int ready_pos, backoff_pos;
    int64_t entered, started, finished, retry_at, last_backoff;
    int64_t queued_ms;        /* when it last entered the ready state */
    int64_t ready_ms;         /* queued_ms, or the end of the park that held it (may be > now) */
    const char *last_class;   /* interned */
    const char *retry_reason; /* interned, or a literal */
    int ancestor;
    int blocked; /* index in s->blocked, or NONE */
} task;

struct cx_scheduler {
    cx_scheduler_config cfg;
    backend *b;
    int nb, capb;
    task *t;
    int nt, capt;
    lock_ent *le;
    int nle, caple;
    domain *d;
    int nd, capd;
    strmap task_ids, domain_ids, backend_ids, sat_ids, class_ids;
    char **sat;
    int nsat, capsat;
    char **classes;
    int nclasses, capclasses;
    int sealed, stopped;
    int broken; /* a seal ran out of memory: only cx_scheduler_free is allowed */
    int64_t now;
    int64_t next_ticket;
    heap backoff;
    heap slots;
    size_t counts[CX_SCHEDULER_NSTATES];
    int rr_next;
    int *dep_off, *dep_list; /* dependents, CSR */
    int *kdep_off, *kdep;    /* known dependencies (deduplicated), CSR */
    cx_scheduler_blocked *blocked;
    int nblocked;
    cx_scheduler_skip *skips;
    int nskips;
    cx_scheduler_move *moves;
    int nmoves;
    int *scratch; /* nt ints */
    int *dirty;   /* nd ints */
    int ndirty;
};

/* ---------------------------------------------------------------- heaps */

enum heap_kind { H_READY, H_BACKOFF, H_RES, H_SLEEP, H_SLOT };

/* The key of an item in a heap of kind k; ties go to the smaller item (the earlier task). */
static int64_t h_key(const cx_scheduler *s, enum heap_kind k, int item)
{
    switch (k) {
    case H_READY:
        return s->t[item].order;
    case H_BACKOFF:
        return s->t[item].retry_at;
    case H_RES:
    case H_SLEEP:
        return s->t[s->le[item].task].ticket;
    case H_SLOT:
        return item;
    }
    return 0;
}

static int h_less(hent a, hent b)
{
    return a.key != b.key ? a.key < b.key : a.item < b.item;
}

static int *h_pos(cx_scheduler *s, enum heap_kind k, int item)
{
    switch (k) {
    case H_READY:
        return &s->t[item].ready_pos;
    case H_BACKOFF:
        return &s->t[item].backoff_pos;
    case H_RES:
        return &s->le[item].res_pos;
    case H_SLEEP:
        return &s->le[item].sleep_pos;
    case H_SLOT:
        return NULL;
    }
    return NULL;
}

static void h_set(cx_scheduler *s, enum heap_kind k, heap *h, int i, hent x)
{
    h->v[i] = x;
    int *p = h_pos(s, k, x.item);
    if (p)
        *p = i;
}

static void h_up(cx_scheduler *s, enum heap_kind k, heap *h, int i)
{
    hent x = h->v[i];
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!h_less(x, h->v[parent]))
            break;
        h_set(s, k, h, i, h->v[parent]);
        i = parent;
    }
    h_set(s, k, h, i, x);
}

static void h_down(cx_scheduler *s, enum heap_kind k, heap *h, int i)
{
    hent x = h->v[i];
    for (;;) {
        int c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h_less(h->v[c + 1], h->v[c]))
            c++;
        if (!h_less(h->v[c], x))
            break;
        h_set(s, k, h, i, h->v[c]);
        i = c;
    }
    h_set(s, k, h, i, x);
}

/* Capacity is reserved at seal: pushes never fail. */
static void h_push(cx_scheduler *s, enum heap_kind k, heap *h, int item)
{
    h->v[h->n++] = (hent){h_key(s, k, item), item};
    h_up(s, k, h, h->n - 1);
}

static void h_remove(cx_scheduler *s, enum heap_kind k, heap *h, int i)
{
    int item = h->v[i].item;
    hent last = h->v[--h->n];
    if (i < h->n) {
        h_set(s, k, h, i, last);
        if (i > 0 && h_less(last, h->v[(i - 1) / 2]))
            h_up(s, k, h, i);
        else
            h_down(s, k, h, i);
    }
    int *p = h_pos(s, k, item);
    if (p)
        *p = NONE;
}

static int h_top(const heap *h)
{
    return h->n ? h->v[0].item : NONE;
}

/* ---------------------------------------------------------------- names */

static const char *const state_names[CX_SCHEDULER_NSTATES] = {
    "waiting", "ready", "backoff", "running", "complete", "failed", "skipped", "blocked"};
static const char *const outcome_names[] = {"ok", "retry", "failed", "interrupted", "park"};

const char *cx_scheduler_state_name(cx_scheduler_state st)
{
    return (unsigned)st < CX_SCHEDULER_NSTATES ? state_names[st] : "unknown";
}

const char *cx_scheduler_outcome_name(cx_scheduler_outcome o)
{
    return (unsigned)o <= CX_SCHEDULER_PARK ? outcome_names[o] : "unknown";
}

int cx_scheduler_outcome_from_name(const char *name, cx_scheduler_outcome *out)
{
    for (int i = 0; i <= CX_SCHEDULER_PARK; i++) {
        if (name && strcmp(name, outcome_names[i]) == 0) {
            *out = (cx_scheduler_outcome)i;
            return 0;
        }
    }
    return -1;
}

int cx_scheduler_lock_parse(const char *key, size_t *domain_len)
{
    const char *colon = strrchr(key, ':');
    if (colon && (strcmp(colon + 1, "read") == 0 || strcmp(colon + 1, "write") == 0)) {
        *domain_len = (size_t)(colon - key);
        return colon[1] == 'w';
    }
    *domain_len = strlen(key);
    return 1;
}

/* ---------------------------------------------------------------- lifecycle */

cx_scheduler *cx_scheduler_new(const cx_scheduler_config *cfg, cx_scheduler_error *e)
{
    if (!cfg || cfg->max_workers < 1 || cfg->max_workers > CX_SCHEDULER_MAX_WORKERS) {
        fail(e, "invalid_argument", "max_workers must be within 1..%d", CX_SCHEDULER_MAX_WORKERS);
        return NULL;
    }
    if (cfg->fairness != CX_SCHEDULER_ROUND_ROBIN && cfg->fairness != CX_SCHEDULER_LEAST_LOADED) {
        fail(e, "invalid_argument", "unknown fairness");
        return NULL;
    }
    if (cfg->jitter_percent < 0 || cfg->jitter_percent > CX_SCHEDULER_MAX_JITTER_PERCENT) {
        fail(e, "invalid_argument", "jitter_percent must be within 0..%d",
             CX_SCHEDULER_MAX_JITTER_PERCENT);
        return NULL;
    }
    cx_scheduler *s = calloc(1, sizeof *s);
    if (!s) {
        NOMEM(e);
        return NULL;
    }
    s->cfg = *cfg;
    s->now = NEVER;
    return s;
}

void cx_scheduler_free(cx_scheduler *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nb; i++) {
        free(s->b[i].name);
        free(s->b[i].ready.v);
    }
    for (int i = 0; i < s->nt; i++) {
        task *t = &s->t[i];
        free(t->id);
        free(t->cands);
        for (int j = 0; j < t->ndeps; j++)
            free(t->dep_ids[j]);
        free(t->dep_ids);
    }
    for (int i = 0; i < s->nd; i++) {
        domain *d = &s->d[i];
        free(d->name);
        free(d->res_r.v);
        free(d->res_w.v);
        free(d->sleep_r.v);
        free(d->sleep_w.v);
    }
    for (int i = 0; i < s->nsat; i++)
        free(s->sat[i]);
    for (int i = 0; i < s->nclasses; i++)
        free(s->classes[i]);
    for (int i = 0; i < s->nblocked; i++) {
        free((char *)s->blocked[i].reason);
        free((void *)s->blocked[i].unresolved);
        free((void *)s->blocked[i].cycle);
    }
    map_free(&s->task_ids);
    map_free(&s->domain_ids);
    map_free(&s->backend_ids);
    map_free(&s->sat_ids);
    map_free(&s->class_ids);
    free(s->b);
    free(s->t);
    free(s->le);
    free(s->d);
    free(s->sat);
    free(s->classes);
    free(s->backoff.v);
    free(s->slots.v);
    free(s->dep_off);
    free(s->dep_list);
    free(s->kdep_off);
    free(s->kdep);
    free(s->blocked);
    free(s->skips);
    free(s->moves);
    free(s->scratch);
    free(s->dirty);
    free(s);
}

/* ---------------------------------------------------------------- building */

static int before_seal(const cx_scheduler *s, cx_scheduler_error *e)
{
    if (s->broken)
        return fail(e, "invalid_state", "a previous seal failed: the scheduler is unusable");
    if (s->sealed)
        return fail(e, "invalid_state", "the scheduler is sealed: nothing can be added");
    return 0;
}

int cx_scheduler_add_backend(cx_scheduler *s, const char *name, int cap, cx_scheduler_error *e)
{
    if (before_seal(s, e) != 0)
        return -1;
    if (!name || !name[0])
        return fail(e, "invalid_argument", "a backend needs a name");
    if (cap < 1)
        return fail(e, "invalid_argument", "backend '%s': cap must be >= 1", name);
    if (map_get(&s->backend_ids, name, strlen(name)) != NONE)
        return fail(e, "duplicate", "backend '%s' is already defined", name);
    if (grow((void **)&s->b, &s->capb, s->nb + 1, sizeof *s->b) != 0)
        return NOMEM(e);
    backend *b = &s->b[s->nb];
    memset(b, 0, sizeof *b);
    b->name = strdup(name);
    if (!b->name || map_put(&s->backend_ids, b->name, strlen(name), s->nb) != 0) {
        free(b->name);
        return NOMEM(e);
    }
    b->cap = cap;
    b->park_until = NEVER;
    b->park_swept = 1;
    b->sleep_head = NONE;
    return s->nb++;
}

static int intern_domain(cx_scheduler *s, const char *key, size_t len)
{
    int d = map_get(&s->domain_ids, key, len);
    if (d != NONE)
        return d;
    if (grow((void **)&s->d, &s->capd, s->nd + 1, sizeof *s->d) != 0)
        return -1;
    domain *dom = &s->d[s->nd];
    memset(dom, 0, sizeof *dom);
    dom->name = malloc(len + 1);
    if (!dom->name)
        return -1;
    memcpy(dom->name, key, len);
    dom->name[len] = '\0';
    if (map_put(&s->domain_ids, dom->name, len, s->nd) != 0) {
        free(dom->name);
        return -1;
    }
    return s->nd++;
}

static int validate_spec(const cx_scheduler *s, const cx_scheduler_task_spec *sp,
                         cx_scheduler_error *e)
{
    if (!sp || !sp->id || !sp->id[0])
        return fail(e, "invalid_argument", "a task needs a non-empty id");
    if (map_get(&s->task_ids, sp->id, strlen(sp->id)) != NONE)
        return fail(e, "duplicate", "duplicate task id '%s'", sp->id);
    if (sp->backend < 0 || sp->backend >= s->nb)
        return fail(e, "invalid_argument", "task '%s': unknown backend index %d", sp->id,
                    sp->backend);
    for (size_t i = 0; i < sp->n_alternatives; i++) {
        if (sp->alternatives[i] < 0 || sp->alternatives[i] >= s->nb)
            return fail(e, "invalid_argument", "task '%s': unknown alternative backend index %d",
                        sp->id, sp->alternatives[i]);
    }
    if (sp->max_retries < 0)
        return fail(e, "invalid_argument", "task '%s': max_retries must be >= 0", sp->id);
    for (size_t i = 0; i < sp->n_deps; i++) {
        if (!sp->deps[i] || !sp->deps[i][0])
            return fail(e, "invalid_argument", "task '%s': empty dependency id", sp->id);
    }
    for (size_t i = 0; i < sp->n_locks; i++) {
        if (!sp->locks[i])
            return fail(e, "invalid_argument", "task '%s': missing lock key", sp->id);
    }
    if (sp->n_deps > (size_t)INT32_MAX / 2 || sp->n_locks > (size_t)INT32_MAX / 2 ||
        sp->n_alternatives > (size_t)INT32_MAX / 2)
        return fail(e, "invalid_argument", "task '%s': too many entries", sp->id);
    return 0;
}

/* Lock entries of the task: one per domain (a domain named twice is locked once, for write if
 * any of its keys writes). */
static int add_locks(cx_scheduler *s, int ti, const cx_scheduler_task_spec *sp)
{
    task *t = &s->t[ti];
    t->lock_first = s->nle;
    t->nlocks = 0;
    for (size_t i = 0; i < sp->n_locks; i++) {
        size_t len;
        int write = cx_scheduler_lock_parse(sp->locks[i], &len);
        int d = intern_domain(s, sp->locks[i], len);
        if (d < 0)
            return -1;
        int found = 0;
        for (int j = 0; j < t->nlocks; j++) {
            lock_ent *x = &s->le[t->lock_first + j];
            if (x->domain == d) {
                x->write |= write;
                found = 1;
            }
        }
        if (found)
            continue;
        if (grow((void **)&s->le, &s->caple, s->nle + 1, sizeof *s->le) != 0)
            return -1;
        s->le[s->nle++] = (lock_ent){ti, d, write, NONE, NONE};
        t->nlocks++;
    }
    return 0;
}

static void task_free_parts(task *t)
{
    free(t->id);
    free(t->cands);
    for (int j = 0; j < t->ndeps; j++)
        free(t->dep_ids[j]);
    free(t->dep_ids);
}

int cx_scheduler_add_task(cx_scheduler *s, const cx_scheduler_task_spec *sp, cx_scheduler_error *e)
{
    if (before_seal(s, e) != 0 || validate_spec(s, sp, e) != 0)
        return -1;
    if (grow((void **)&s->t, &s->capt, s->nt + 1, sizeof *s->t) != 0)
        return NOMEM(e);
    int ti = s->nt;
    task *t = &s->t[ti];
    memset(t, 0, sizeof *t);
    t->id = strdup(sp->id);
    t->cands = malloc((sp->n_alternatives + 1) * sizeof *t->cands);
    t->dep_ids = calloc(sp->n_deps + 1, sizeof *t->dep_ids);
    int ok = t->id && t->cands && t->dep_ids;
    for (size_t i = 0; ok && i < sp->n_deps; i++) {
        t->dep_ids[i] = strdup(sp->deps[i]);
        ok = t->dep_ids[i] != NULL;
        t->ndeps += ok;
    }
    int saved_nle = s->nle;
    if (ok)
        ok = add_locks(s, ti, sp) == 0;
    if (ok)
        ok = map_put(&s->task_ids, t->id, strlen(t->id), ti) == 0;
    if (!ok) {
        s->nle = saved_nle;
        task_free_parts(t);
        return NOMEM(e);
    }
    t->order = sp->order;
    t->backend = sp->backend;
    t->cands[0] = sp->backend;
    t->ncands = 1;
    for (size_t i = 0; i < sp->n_alternatives; i++) {
        int dup = 0;
        for (int j = 0; j < t->ncands; j++)
            dup |= t->cands[j] == sp->alternatives[i];
        if (!dup)
            t->cands[t->ncands++] = sp->alternatives[i];
    }
    t->max_retries = sp->max_retries;
    t->state = CX_SCHEDULER_WAITING;
    t->worker = 0;
    t->ticket = NO_TICKET;
    t->sleep_ent = t->sl_prev = t->sl_next = NONE;
    t->ready_pos = t->backoff_pos = NONE;
    t->entered = t->ready_ms = t->started = t->finished = t->retry_at = t->last_backoff = -1;
    t->queued_ms = -1;
    t->ancestor = t->blocked = NONE;
    s->counts[CX_SCHEDULER_WAITING]++;
    s->b[t->backend].counts[CX_SCHEDULER_WAITING]++;
    return s->nt++;
}

int cx_scheduler_add_satisfied(cx_scheduler *s, const char *id, cx_scheduler_error *e)
{
    if (before_seal(s, e) != 0)
        return -1;
    if (!id || !id[0])
        return fail(e, "invalid_argument", "a satisfied id must be non-empty");
    if (map_get(&s->sat_ids, id, strlen(id)) != NONE)
        return 0;
    if (grow((void **)&s->sat, &s->capsat, s->nsat + 1, sizeof *s->sat) != 0)
        return NOMEM(e);
    char *copy = strdup(id);
    if (!copy || map_put(&s->sat_ids, copy, strlen(copy), s->nsat) != 0) {
        free(copy);
        return NOMEM(e);
    }
    s->sat[s->nsat++] = copy;
    return 0;
}

/* ---------------------------------------------------------------- state bookkeeping */

static void set_state(cx_scheduler *s, int ti, cx_scheduler_state st)
{
    task *t = &s->t[ti];
    s->counts[t->state]--;
    s->b[t->backend].counts[t->state]--;
    t->state = st;
    s->counts[st]++;
    s->b[t->backend].counts[st]++;
}

static void move_backend(cx_scheduler *s, int ti, int to)
{
    task *t = &s->t[ti];
    if (s->nmoves < s->nt)
        s->moves[s->nmoves++] = (cx_scheduler_move){ti, t->backend, to};
    s->b[t->backend].counts[t->state]--;
    t->backend = to;
    s->b[to].counts[t->state]++;
}

static int parked(const cx_scheduler *s, int b)
{
    return s->b[b].park_until > s->now;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* The first candidate backend that is not parked, or NONE. */
static int unparked_candidate(const cx_scheduler *s, const task *t)
{
    for (int i = 0; i < t->ncands; i++) {
        if (!parked(s, t->cands[i]))
            return t->cands[i];
    }
    return NONE;
}

/* The task is queued (its dependencies are met, its backoff is over, or its attempt did not
 * count) as of `origin`. On a parked backend it moves to an unparked alternative if it has one;
 * the queue time starts when it became ready or when the park of its backend ended. */
static void enter_ready(cx_scheduler *s, int ti, int64_t origin)
{
    task *t = &s->t[ti];
    set_state(s, ti, CX_SCHEDULER_READY);
    if (parked(s, t->backend) && t->ncands > 1) {
        int to = unparked_candidate(s, t);
        if (to != NONE && to != t->backend)
            move_backend(s, ti, to);
    }
    t->queued_ms = origin;
    t->ready_ms = max64(origin, s->b[t->backend].park_until);
    h_push(s, H_READY, &s->b[t->backend].ready, ti);
}

/* ---------------------------------------------------------------- locks */

/* The earliest ticket in a reservation or sleep heap. */
static int64_t ticket_of(const heap *h)
{
    return h->n ? h->v[0].key : NO_TICKET;
}

/* Whether lock entry e may be taken now by its task (see the header comment). */
static int lock_blocked(const cx_scheduler *s, const lock_ent *e)
{
    const domain *d = &s->d[e->domain];
    int64_t key = s->t[e->task].ticket;
    if (d->writers)
        return 1;
    if (ticket_of(&d->res_w) < key)
        return 1;
    return e->write && (d->readers || ticket_of(&d->res_r) < key);
}

static int first_blocking(const cx_scheduler *s, const task *t)
{
    for (int i = 0; i < t->nlocks; i++) {
        if (lock_blocked(s, &s->le[t->lock_first + i]))
            return t->lock_first + i;
    }
    return NONE;
}

static void mark_dirty(cx_scheduler *s, int d)
{
    if (!s->d[d].dirty) {
        s->d[d].dirty = 1;
        s->dirty[s->ndirty++] = d;
    }
}

static void sleeper_link(cx_scheduler *s, int ti)
{
    task *t = &s->t[ti];
    backend *b = &s->b[t->backend];
    t->sl_prev = NONE;
    t->sl_next = b->sleep_head;
    if (b->sleep_head != NONE)
        s->t[b->sleep_head].sl_prev = ti;
    b->sleep_head = ti;
}

static void sleeper_unlink(cx_scheduler *s, int ti)
{
    task *t = &s->t[ti];
    if (t->sl_prev != NONE)
        s->t[t->sl_prev].sl_next = t->sl_next;
    else
        s->b[t->backend].sleep_head = t->sl_next;
    if (t->sl_next != NONE)
        s->t[t->sl_next].sl_prev = t->sl_prev;
    t->sl_prev = t->sl_next = NONE;
}

static heap *res_heap(cx_scheduler *s, const lock_ent *e)
{
    return e->write ? &s->d[e->domain].res_w : &s->d[e->domain].res_r;
}

static heap *sleep_heap(cx_scheduler *s, const lock_ent *e)
{
    return e->write ? &s->d[e->domain].sleep_w : &s->d[e->domain].sleep_r;
}

/* A queued task found lock-blocked on entry `e`: it takes a ticket (reserving every domain it
 * locks) if it has none, leaves the ready heap and sleeps on e's domain. */
static void block_task(cx_scheduler *s, int ti, int e)
{
    task *t = &s->t[ti];
    if (t->ticket == NO_TICKET) {
        t->ticket = s->next_ticket++;
        for (int i = 0; i < t->nlocks; i++) {
            int x = t->lock_first + i;
            h_push(s, H_RES, res_heap(s, &s->le[x]), x);
        }
    }
    h_remove(s, H_READY, &s->b[t->backend].ready, t->ready_pos);
    h_push(s, H_SLEEP, sleep_heap(s, &s->le[e]), e);
    t->sleep_ent = e;
    sleeper_link(s, ti);
}

static void wake_task(cx_scheduler *s, int ti)
{
    task *t = &s->t[ti];
    lock_ent *e = &s->le[t->sleep_ent];
    h_remove(s, H_SLEEP, sleep_heap(s, e), e->sleep_pos);
    t->sleep_ent = NONE;
    sleeper_unlink(s, ti);
    h_push(s, H_READY, &s->b[t->backend].ready, ti);
}

/* Wakes the sleepers of domain d that its lock would now admit: readers with a ticket earlier
 * than every writer reservation (when no writer holds it), and the earliest reservation when it
 * is a writer and nothing holds the domain. */
static void domain_wake(cx_scheduler *s, int di)
{
    domain *d = &s->d[di];
    if (d->writers)
        return;
    int64_t wk = ticket_of(&d->res_w);
    while (d->sleep_r.n && ticket_of(&d->sleep_r) < wk)
        wake_task(s, s->le[d->sleep_r.v[0].item].task);
    if (d->readers == 0 && d->sleep_w.n) {
        int64_t k = ticket_of(&d->sleep_w);
        if (k == wk && k < ticket_of(&d->res_r))
            wake_task(s, s->le[d->sleep_w.v[0].item].task);
    }
}

static void wake_dirty(cx_scheduler *s)
{
    for (int i = 0; i < s->ndirty; i++) {
        s->d[s->dirty[i]].dirty = 0;
        domain_wake(s, s->dirty[i]);
    }
    s->ndirty = 0;
}

/* Drops the task's reservations; a sleeping task goes back to its backend's ready heap. */
static void clear_ticket(cx_scheduler *s, int ti)
{
    task *t = &s->t[ti];
    if (t->ticket == NO_TICKET)
        return;
    if (t->sleep_ent != NONE) {
        lock_ent *e = &s->le[t->sleep_ent];
        h_remove(s, H_SLEEP, sleep_heap(s, e), e->sleep_pos);
        t->sleep_ent = NONE;
        sleeper_unlink(s, ti);
        h_push(s, H_READY, &s->b[t->backend].ready, ti);
    }
    for (int i = 0; i < t->nlocks; i++) {
        lock_ent *e = &s->le[t->lock_first + i];
        if (e->res_pos != NONE) {
            h_remove(s, H_RES, res_heap(s, e), e->res_pos);
            mark_dirty(s, e->domain);
        }
    }
    t->ticket = NO_TICKET;
}

/* ---------------------------------------------------------------- parking */

/* Queued tasks of parked backend b move to a candidate that is not parked, if they have one.
 * A task the park was holding (ready_ms in the future) counts its queue time from the moment
 * it could run elsewhere: now when b has just been parked, else the end of its new backend's
 * park. */
static void sweep_parked(cx_scheduler *s, int b, int parked_now)
{
    backend *p = &s->b[b];
    int n = 0;
    for (int i = 0; i < p->ready.n; i++) {
        const task *t = &s->t[p->ready.v[i].item];
        if (t->ncands > 1 && unparked_candidate(s, t) != NONE)
            s->scratch[n++] = p->ready.v[i].item;
    }
    for (int i = 0; i < n; i++) {
        int ti = s->scratch[i];
        task *t = &s->t[ti];
        h_remove(s, H_READY, &p->ready, t->ready_pos);
        move_backend(s, ti, unparked_candidate(s, t));
        if (t->ready_ms > s->now)
            t->ready_ms = parked_now ? s->now : max64(t->queued_ms, s->b[t->backend].park_until);
        h_push(s, H_READY, &s->b[t->backend].ready, ti);
    }
}

/* Backend b launches nothing before `until`. Its queued tasks give up their reservations; those
 * with an unparked alternative move there, the others count their queue time from the end of
 * the park. */
static void park_backend(cx_scheduler *s, int b, int64_t until)
{
    backend *p = &s->b[b];
    if (until <= p->park_until || until <= s->now)
        return;
    p->park_until = until;
    p->park_swept = 0;
    while (p->sleep_head != NONE)
        clear_ticket(s, p->sleep_head);
    for (int i = 0; i < p->ready.n; i++)
        clear_ticket(s, p->ready.v[i].item); /* no sleeper left: the heap does not change */
    sweep_parked(s, b, 1);
    for (int i = 0; i < p->ready.n; i++) {
        task *t = &s->t[p->ready.v[i].item];
        t->ready_ms = max64(t->ready_ms, until);
    }
}

/* ---------------------------------------------------------------- time */

static void advance(cx_scheduler *s, int64_t now)
{
    now = clamp_ms(now);
    if (now > s->now)
        s->now = now;
    while (s->backoff.n && s->backoff.v[0].key <= s->now) {
        int ti = s->backoff.v[0].item;
        h_remove(s, H_BACKOFF, &s->backoff, 0);
        int64_t at = s->t[ti].retry_at;
        s->t[ti].retry_at = -1;
        enter_ready(s, ti, at);
    }
    /* A park that ended may let tasks still waiting on another parked backend move. */
    int ended = 0;
    for (int b = 0; b < s->nb; b++) {
        if (!s->b[b].park_swept && !parked(s, b)) {
            s->b[b].park_swept = 1;
            ended = 1;
        }
    }
    if (ended) {
        for (int b = 0; b < s->nb; b++) {
            if (parked(s, b))
                sweep_parked(s, b, 0);
        }
    }
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

int64_t cx_scheduler_backoff_ms(const cx_scheduler *s, const char *task_id, int attempt)
{
    int64_t base = attempt >= 4   ? CX_SCHEDULER_BACKOFF_MAX_MS
                   : attempt <= 1 ? CX_SCHEDULER_BACKOFF_BASE_MS
                                  : (int64_t)CX_SCHEDULER_BACKOFF_BASE_MS << (attempt - 1);
    if (base > CX_SCHEDULER_BACKOFF_MAX_MS)
        base = CX_SCHEDULER_BACKOFF_MAX_MS;
    uint64_t span = (uint64_t)(base * s->cfg.jitter_percent / 100);
    if (span == 0)
        return base;
    uint64_t r = splitmix64(s->cfg.seed ^ splitmix64(hash_bytes(task_id, strlen(task_id))) ^
                            ((uint64_t)attempt * 0x9e3779b97f4a7c15ULL));
    return base + (int64_t)(r % (span + 1));
}

/* ---------------------------------------------------------------- seal */

/* Resolves dependency ids to the CSR kdep (deduplicated, in stored order) and builds the
 * dependents CSR. unknown[i] = 1 when task i has a dependency neither in the run nor satisfied. */
static int resolve_deps(cx_scheduler *s, char *unknown)
{
    int n = s->nt;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += (size_t)s->t[i].ndeps;
    s->kdep_off = calloc((size_t)n + 1, sizeof *s->kdep_off);
    s->kdep = malloc((total + 1) * sizeof *s->kdep);
    s->dep_off = calloc((size_t)n + 2, sizeof *s->dep_off);
    s->dep_list = malloc((total + 1) * sizeof *s->dep_list);
    int *mark = malloc(((size_t)n + 1) * sizeof *mark);
    if (!s->kdep_off || !s->kdep || !s->dep_off || !s->dep_list || !mark) {
        free(mark);
        return -1;
    }
    for (int i = 0; i < n; i++)
        mark[i] = NONE;
    int k = 0;
    for (int i = 0; i < n; i++) {
        task *t = &s->t[i];
        s->kdep_off[i] = k;
        for (int j = 0; j < t->ndeps; j++) {
            const char *id = t->dep_ids[j];
            int di = map_get(&s->task_ids, id, strlen(id));
            if (di == NONE) {
                if (map_get(&s->sat_ids, id, strlen(id)) == NONE)
                    unknown[i] = 1;
            } else if (mark[di] != i) {
                mark[di] = i;
                s->kdep[k++] = di;
                s->dep_off[di + 1]++;
            }
        }
    }
    s->kdep_off[n] = k;
    for (int i = 0; i < n; i++)
        s->dep_off[i + 1] += s->dep_off[i];
    /* fill the dependents in index order (dep_off[i] used as a cursor, then restored) */
    for (int i = 0; i < n; i++) {
        for (int j = s->kdep_off[i]; j < s->kdep_off[i + 1]; j++)
            s->dep_list[s->dep_off[s->kdep[j]]++] = i;
    }
    for (int i = n; i > 0; i--)
        s->dep_off[i] = s->dep_off[i - 1];
    s->dep_off[0] = 0;
    free(mark);
    return 0;
}

typedef struct textbuf {
    char *p;
    size_t n, cap;
    int failed;
} textbuf;

static void tb_add(textbuf *b, const char *str)
{
    size_t len = strlen(str);
    if (b->failed)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->failed = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, str, len + 1);
    b->n += len;
}

#define CYCLE_SHOWN 12

static cx_depgraph dep_graph(const cx_scheduler *s)
{
    return (cx_depgraph){s->nt, s->kdep_off, s->kdep};
}

/* The blocked entry of task ti: its unmet dependencies, and a shortest cycle when it is on one
 * (work: as cx_depgraph_shortest_cycle wants it). */
static int describe_blocked(cx_scheduler *s, int ti, const char *blocked, const int *comp,
                            int cyclic, int *work, int *cycle_buf)
{
    task *t = &s->t[ti];
    cx_scheduler_blocked *out = &s->blocked[s->nblocked];
    memset(out, 0, sizeof *out);
    out->task = ti;
    out->id = t->id;
    const char **unres = calloc((size_t)t->ndeps + 1, sizeof *unres);
    if (!unres)
        return -1;
    size_t nu = 0;
    for (int j = 0; j < t->ndeps; j++) {
        const char *id = t->dep_ids[j];
        int di = map_get(&s->task_ids, id, strlen(id));
        int unmet = di == NONE ? map_get(&s->sat_ids, id, strlen(id)) == NONE : blocked[di];
        for (size_t k = 0; unmet && k < nu; k++)
            unmet = strcmp(unres[k], id) != 0;
        if (unmet)
            unres[nu++] = id;
    }
    textbuf tb = {0};
    tb_add(&tb, "unresolved dependencies: ");
    for (size_t k = 0; k < nu; k++) {
        if (k)
            tb_add(&tb, ", ");
        tb_add(&tb, unres[k]);
    }
    int nc = 0;
    int *cyc = NULL;
    if (cyclic) {
        cx_depgraph g = dep_graph(s);
        nc = cx_depgraph_shortest_cycle(&g, comp, ti, work, cycle_buf);
        cyc = malloc((size_t)nc * sizeof *cyc);
        if (cyc)
            memcpy(cyc, cycle_buf, (size_t)nc * sizeof *cyc);
        tb_add(&tb, "; cycle: ");
        for (int k = 0; k < nc && k < CYCLE_SHOWN; k++) {
            tb_add(&tb, s->t[cycle_buf[k]].id);
            tb_add(&tb, " -> ");
        }
        if (nc > CYCLE_SHOWN) {
            char more[64];
            snprintf(more, sizeof more, "... (%d tasks) -> ", nc);
            tb_add(&tb, more);
        }
        tb_add(&tb, t->id);
    }
    if (tb.failed || (cyclic && !cyc)) {
        free(tb.p);
        free(unres);
        free(cyc);
        return -1;
    }
    out->reason = tb.p;
    out->unresolved = unres;
    out->n_unresolved = nu;
    out->cycle = cyc;
    out->n_cycle = (size_t)nc;
    t->blocked = s->nblocked++;
    return 0;
}

static int alloc_heaps(cx_scheduler *s)
{
    int n = s->nt;
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < s->t[i].ncands; c++)
            s->b[s->t[i].cands[c]].ready_cap++;
    }
    for (int b = 0; b < s->nb; b++) {
        s->b[b].ready.v = malloc(((size_t)s->b[b].ready_cap + 1) * sizeof(hent));
        if (!s->b[b].ready.v)
            return -1;
    }
    for (int i = 0; i < s->nle; i++) {
        if (s->le[i].write)
            s->d[s->le[i].domain].n_write++;
        else
            s->d[s->le[i].domain].n_read++;
    }
    for (int i = 0; i < s->nd; i++) {
        domain *d = &s->d[i];
        d->res_r.v = malloc(((size_t)d->n_read + 1) * sizeof(hent));
        d->sleep_r.v = malloc(((size_t)d->n_read + 1) * sizeof(hent));
        d->res_w.v = malloc(((size_t)d->n_write + 1) * sizeof(hent));
        d->sleep_w.v = malloc(((size_t)d->n_write + 1) * sizeof(hent));
        if (!d->res_r.v || !d->sleep_r.v || !d->res_w.v || !d->sleep_w.v)
            return -1;
    }
    s->backoff.v = malloc(((size_t)n + 1) * sizeof(hent));
    s->slots.v = malloc((size_t)s->cfg.max_workers * sizeof(hent));
    s->skips = malloc(((size_t)n + 1) * sizeof *s->skips);
    s->moves = malloc(((size_t)n + 1) * sizeof *s->moves);
    s->scratch = malloc(((size_t)n + 1) * sizeof *s->scratch);
    s->dirty = malloc(((size_t)s->nd + 1) * sizeof *s->dirty);
    s->blocked = malloc(((size_t)n + 1) * sizeof *s->blocked);
    if (!s->backoff.v || !s->slots.v || !s->skips || !s->moves || !s->scratch || !s->dirty ||
        !s->blocked)
        return -1;
    for (int w = 1; w <= s->cfg.max_workers; w++)
        h_push(s, H_SLOT, &s->slots, w);
    return 0;
}

/* Marks blocked tasks: an unknown dependency, a cycle, or a blocked dependency (transitively). */
static int find_blocked(cx_scheduler *s, char *blocked, char *cyclic, int *comp)
{
    int n = s->nt;
    cx_depgraph g = dep_graph(s);
    int *sizes = malloc(((size_t)n + 1) * sizeof *sizes);
    if (!sizes || cx_depgraph_components(&g, comp) < 0) {
        free(sizes);
        return -1;
    }
    cx_depgraph_component_sizes(&g, comp, sizes);
    int *q = s->scratch, tail = 0;
    for (int i = 0; i < n; i++) {
        cyclic[i] = (char)cx_depgraph_on_cycle(&g, comp, sizes, i);
        if (cyclic[i] || blocked[i]) {
            blocked[i] = 1;
            q[tail++] = i;
        }
    }
    free(sizes);
    for (int head = 0; head < tail; head++) {
        int u = q[head];
        for (int j = s->dep_off[u]; j < s->dep_off[u + 1]; j++) {
            int w = s->dep_list[j];
            if (!blocked[w]) {
                blocked[w] = 1;
                q[tail++] = w;
            }
        }
    }
    return 0;
}

int cx_scheduler_seal(cx_scheduler *s, int64_t now_ms, cx_scheduler_error *e)
{
    if (before_seal(s, e) != 0)
        return -1;
    int n = s->nt;
    char *blocked = calloc((size_t)n + 1, 1), *cyclic = calloc((size_t)n + 1, 1);
    int *comp = malloc(((size_t)n + 1) * sizeof *comp);
    int *work = malloc(((size_t)n + 1) * 2 * sizeof *work);
    int *cycle_buf = malloc(((size_t)n + 1) * sizeof *cycle_buf);
    int rc = -1;
    if (!blocked || !cyclic || !comp || !work || !cycle_buf || alloc_heaps(s) != 0 ||
        resolve_deps(s, blocked) != 0 || find_blocked(s, blocked, cyclic, comp) != 0)
        goto done;
    for (int i = 0; i < n; i++)
        work[i] = NONE;
    for (int i = 0; i < n; i++) {
        if (blocked[i] && describe_blocked(s, i, blocked, comp, cyclic[i], work, cycle_buf) != 0)
            goto done;
    }
    s->sealed = 1;
    now_ms = clamp_ms(now_ms);
    s->now = now_ms;
    for (int i = 0; i < n; i++) {
        task *t = &s->t[i];
        t->entered = now_ms;
        if (blocked[i]) {
            set_state(s, i, CX_SCHEDULER_BLOCKED);
            continue;
        }
        t->pending = s->kdep_off[i + 1] - s->kdep_off[i];
        if (t->pending == 0)
            enter_ready(s, i, now_ms);
    }
    s->nmoves = 0;
    rc = s->nblocked;
done:
    free(blocked);
    free(cyclic);
    free(comp);
    free(work);
    free(cycle_buf);
    if (rc < 0) {
        s->broken = 1; /* cx_scheduler_free releases what was made */
        return NOMEM(e);
    }
    return rc;
}

size_t cx_scheduler_blocked_count(const cx_scheduler *s)
{
    return (size_t)s->nblocked;
}

const cx_scheduler_blocked *cx_scheduler_blocked_at(const cx_scheduler *s, size_t i)
{
    return i < (size_t)s->nblocked ? &s->blocked[i] : NULL;
}

/* ---------------------------------------------------------------- next */

/* The first queued task of backend b that its locks admit; lock-blocked ones go to sleep. */
static int head_startable(cx_scheduler *s, int b)
{
    heap *h = &s->b[b].ready;
    while (h->n) {
        int ti = h->v[0].item;
        int e = first_blocking(s, &s->t[ti]);
        if (e == NONE)
            return ti;
        block_task(s, ti, e);
    }
    return NONE;
}

static int eligible(const cx_scheduler *s, int b)
{
    return s->b[b].counts[CX_SCHEDULER_RUNNING] < (size_t)s->b[b].cap && !parked(s, b) &&
           s->b[b].ready.n > 0;
}

static void launch(cx_scheduler *s, int ti, cx_scheduler_launch *out)
{
    task *t = &s->t[ti];
    int b = t->backend;
    h_remove(s, H_READY, &s->b[b].ready, t->ready_pos);
    int slot = h_top(&s->slots);
    h_remove(s, H_SLOT, &s->slots, 0);
    for (int i = 0; i < t->nlocks; i++) {
        lock_ent *e = &s->le[t->lock_first + i];
        if (e->write)
            s->d[e->domain].writers++;
        else
            s->d[e->domain].readers++;
    }
    clear_ticket(s, ti);
    wake_dirty(s);
    set_state(s, ti, CX_SCHEDULER_RUNNING);
    t->attempts++;
    t->worker = slot;
    t->started = s->now;
    s->rr_next = (b + 1) % s->nb;
    out->task = ti;
    out->id = t->id;
    out->backend = b;
    out->moved_from = b != t->cands[0] ? t->cands[0] : NONE;
    out->worker = slot;
    out->attempt = t->attempts;
    out->ready_ms = t->ready_ms;
    out->queue_ms = s->now > t->ready_ms ? s->now - t->ready_ms : 0;
    out->entered_ms = t->entered;
    out->retry_reason = t->attempts > 1 ? t->retry_reason : NULL;
    out->retry_backoff_ms = t->attempts > 1 ? t->last_backoff : -1;
}

/* round_robin: the first backend with a startable task, from the one after the last launch. */
static int pick_round_robin(cx_scheduler *s)
{
    for (int k = 0; k < s->nb; k++) {
        int b = (s->rr_next + k) % s->nb;
        int ti = eligible(s, b) ? head_startable(s, b) : NONE;
        if (ti != NONE)
            return ti;
    }
    return NONE;
}

/* least_loaded: among backends with a startable task, the one with the fewest running; ties go
 * to the earliest (order, index) of their heads. */
static int pick_least_loaded_once(cx_scheduler *s)
{
    hent pick = {0, NONE};
    size_t best_running = 0;
    for (int b = 0; b < s->nb; b++) {
        if (!eligible(s, b) || head_startable(s, b) == NONE)
            continue;
        hent head = s->b[b].ready.v[0];
        size_t running = s->b[b].counts[CX_SCHEDULER_RUNNING];
        if (pick.item == NONE || running < best_running ||
            (running == best_running && h_less(head, pick))) {
            pick = head;
            best_running = running;
        }
    }
    return pick.item;
}

static int pick_least_loaded(cx_scheduler *s)
{
    for (;;) {
        int pick = pick_least_loaded_once(s);
        /* A head found startable may since be blocked by a reservation taken while a later
         * backend's heads were examined: it sleeps too, and the choice is made again. */
        int e = pick != NONE ? first_blocking(s, &s->t[pick]) : NONE;
        if (e == NONE)
            return pick;
        block_task(s, pick, e);
    }
}

int cx_scheduler_next(cx_scheduler *s, int64_t now_ms, cx_scheduler_launch *out,
                      cx_scheduler_error *e)
{
    if (!s->sealed || s->broken)
        return fail(e, "invalid_state", "seal the scheduler before launching tasks");
    advance(s, now_ms);
    s->nmoves = 0;
    if (s->stopped || s->slots.n == 0)
        return 0;
    int pick =
        s->cfg.fairness == CX_SCHEDULER_ROUND_ROBIN ? pick_round_robin(s) : pick_least_loaded(s);
    if (pick == NONE)
        return 0;
    launch(s, pick, out);
    return 1;
}

/* ---------------------------------------------------------------- finish */

static const char *intern_class(cx_scheduler *s, const char *name)
{
    size_t len = strlen(name);
    int i = map_get(&s->class_ids, name, len);
    if (i != NONE)
        return s->classes[i];
    if (grow((void **)&s->classes, &s->capclasses, s->nclasses + 1, sizeof *s->classes) != 0)
        return NULL;
    char *copy = strdup(name);
    if (!copy || map_put(&s->class_ids, copy, len, s->nclasses) != 0) {
        free(copy);
        return NULL;
    }
    s->classes[s->nclasses++] = copy;
    return copy;
}

static void release(cx_scheduler *s, int ti)
{
    task *t = &s->t[ti];
    h_push(s, H_SLOT, &s->slots, t->worker);
    t->worker = 0;
    for (int i = 0; i < t->nlocks; i++) {
        lock_ent *e = &s->le[t->lock_first + i];
        if (e->write)
            s->d[e->domain].writers--;
        else
            s->d[e->domain].readers--;
        mark_dirty(s, e->domain);
    }
}

static void skip_dependents(cx_scheduler *s, int failed)
{
    int *q = s->scratch, tail = 0;
    q[tail++] = failed;
    for (int head = 0; head < tail; head++) {
        int u = q[head];
        for (int j = s->dep_off[u]; j < s->dep_off[u + 1]; j++) {
            int w = s->dep_list[j];
            if (s->t[w].state != CX_SCHEDULER_WAITING)
                continue;
            set_state(s, w, CX_SCHEDULER_SKIPPED);
            s->t[w].ancestor = failed;
            s->t[w].finished = s->now;
            s->skips[s->nskips++] = (cx_scheduler_skip){w, failed};
            q[tail++] = w;
        }
    }
}

static void complete(cx_scheduler *s, int ti)
{
    for (int j = s->dep_off[ti]; j < s->dep_off[ti + 1]; j++) {
        int w = s->dep_list[j];
        if (s->t[w].state == CX_SCHEDULER_WAITING && --s->t[w].pending == 0)
            enter_ready(s, w, s->now);
    }
}

int cx_scheduler_finish(cx_scheduler *s, int ti, cx_scheduler_outcome outcome, int64_t now_ms,
                        const cx_scheduler_finish_opts *opts, cx_scheduler_finish_result *res,
                        cx_scheduler_error *e)
{
    if (!s->sealed || s->broken)
        return fail(e, "invalid_state", "the scheduler is not sealed");
    if (ti < 0 || ti >= s->nt)
        return fail(e, "invalid_argument", "no task with index %d", ti);
    task *t = &s->t[ti];
    if (t->state != CX_SCHEDULER_RUNNING)
        return fail(e, "invalid_state", "task '%s' is not running (it is %s)", t->id,
                    state_names[t->state]);
    if ((unsigned)outcome > CX_SCHEDULER_PARK)
        return fail(e, "invalid_argument", "unknown outcome %d", (int)outcome);
    const char *cls = NULL;
    if (opts && opts->class_name && !(cls = intern_class(s, opts->class_name)))
        return NOMEM(e);
    s->nskips = 0;
    s->nmoves = 0;
    advance(s, now_ms);
    release(s, ti);
    t->finished = s->now;
    memset(res, 0, sizeof *res);
    switch (outcome) {
    case CX_SCHEDULER_OK:
        set_state(s, ti, CX_SCHEDULER_COMPLETE);
        complete(s, ti);
        break;
    case CX_SCHEDULER_RETRY:
        t->last_class = cls;
        if (t->attempts <= t->max_retries) {
            int64_t backoff = cx_scheduler_backoff_ms(s, t->id, t->attempts);
            set_state(s, ti, CX_SCHEDULER_BACKOFF);
            t->retry_at = s->now + backoff;
            t->last_backoff = backoff;
            t->retry_reason = cls ? cls : "retry";
            h_push(s, H_BACKOFF, &s->backoff, ti);
            res->backoff_ms = backoff;
            res->retry_at_ms = t->retry_at;
        } else {
            set_state(s, ti, CX_SCHEDULER_FAILED);
            skip_dependents(s, ti);
        }
        break;
    case CX_SCHEDULER_FAIL:
        t->last_class = cls;
        set_state(s, ti, CX_SCHEDULER_FAILED);
        skip_dependents(s, ti);
        break;
    case CX_SCHEDULER_INTERRUPTED:
    case CX_SCHEDULER_PARK:
        if (cls)
            t->last_class = cls;
        t->attempts--;
        t->finished = -1;
        if (outcome == CX_SCHEDULER_PARK)
            park_backend(s, t->backend, opts ? clamp_ms(opts->park_until_ms) : NEVER);
        enter_ready(s, ti, s->now);
        break;
    }
    wake_dirty(s);
    res->state = t->state;
    res->skipped = s->skips;
    res->n_skipped = (size_t)s->nskips;
    res->moved = s->moves;
    res->n_moved = (size_t)s->nmoves;
    return 0;
}

/* ---------------------------------------------------------------- queries */

int64_t cx_scheduler_wake_ms(const cx_scheduler *s, int64_t now_ms)
{
    if (!s->sealed || s->stopped)
        return -1;
    int64_t best = INT64_MAX;
    if (s->backoff.n)
        best = s->backoff.v[0].key;
    int64_t now = max64(clamp_ms(now_ms), s->now);
    for (int b = 0; b < s->nb; b++) {
        const backend *p = &s->b[b];
        if (p->park_until > now && p->ready.n && p->park_until < best)
            best = p->park_until;
    }
    return best == INT64_MAX ? -1 : best;
}

void cx_scheduler_stop(cx_scheduler *s)
{
    s->stopped = 1;
}

int cx_scheduler_stopped(const cx_scheduler *s)
{
    return s->stopped;
}

size_t cx_scheduler_remaining(const cx_scheduler *s)
{
    if (s->stopped)
        return s->counts[CX_SCHEDULER_RUNNING];
    return (size_t)s->nt - s->counts[CX_SCHEDULER_COMPLETE] - s->counts[CX_SCHEDULER_FAILED] -
           s->counts[CX_SCHEDULER_SKIPPED] - s->counts[CX_SCHEDULER_BLOCKED];
}

size_t cx_scheduler_task_count(const cx_scheduler *s)
{
    return (size_t)s->nt;
}

size_t cx_scheduler_backend_count(const cx_scheduler *s)
{
    return (size_t)s->nb;
}

int cx_scheduler_max_workers(const cx_scheduler *s)
{
    return s->cfg.max_workers;
}

int cx_scheduler_find(const cx_scheduler *s, const char *id)
{
    return id ? map_get(&s->task_ids, id, strlen(id)) : NONE;
}

void cx_scheduler_counts(const cx_scheduler *s, size_t *counts)
{
    memcpy(counts, s->counts, sizeof s->counts);
}

int cx_scheduler_backend_stats_at(const cx_scheduler *s, int b, cx_scheduler_backend_stats *out)
{
    if (b < 0 || b >= s->nb)
        return -1;
    const backend *p = &s->b[b];
    out->name = p->name;
    out->cap = p->cap;
    out->waiting = p->counts[CX_SCHEDULER_WAITING];
    out->queued = p->counts[CX_SCHEDULER_READY] + p->counts[CX_SCHEDULER_BACKOFF];
    out->running = p->counts[CX_SCHEDULER_RUNNING];
    out->done = p->counts[CX_SCHEDULER_COMPLETE];
    out->failed = p->counts[CX_SCHEDULER_FAILED];
    out->skipped = p->counts[CX_SCHEDULER_SKIPPED];
    out->blocked = p->counts[CX_SCHEDULER_BLOCKED];
    out->parked_until_ms = p->park_until > s->now ? p->park_until : 0;
    return 0;
}

int cx_scheduler_task_info_at(const cx_scheduler *s, int ti, cx_scheduler_task_info *out)
{
    if (ti < 0 || ti >= s->nt)
        return -1;
    const task *t = &s->t[ti];
    out->id = t->id;
    out->state = t->state;
    out->backend = t->backend;
    out->primary_backend = t->cands[0];
    out->order = t->order;
    out->attempts = t->attempts;
    out->max_retries = t->max_retries;
    out->worker = t->worker;
    out->last_class = t->last_class;
    out->ancestor = t->ancestor;
    out->blocked_reason = t->blocked != NONE ? s->blocked[t->blocked].reason : NULL;
    out->entered_ms = t->entered;
    out->ready_ms = t->ready_ms;
    out->started_ms = t->started;
    out->finished_ms = t->finished;
    out->retry_at_ms = t->retry_at;
    out->last_backoff_ms = t->last_backoff;
    out->ticket = t->ticket == NO_TICKET ? -1 : t->ticket;
    return 0;
}

const char *cx_scheduler_task_id(const cx_scheduler *s, int ti)
{
    return ti >= 0 && ti < s->nt ? s->t[ti].id : NULL;
}

const char *cx_scheduler_backend_name(const cx_scheduler *s, int b)
{
    return b >= 0 && b < s->nb ? s->b[b].name : NULL;
}
