/* The scheduler simulator and its oracle (scheduler_sim.h). */
#include "scheduler_sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_FRESH, O_RUNNING, O_OK, O_FAILED, O_SKIPPED, O_BLOCKED };

typedef struct o_lock {
    int domain;
    int write;
} o_lock;

typedef struct o_task {
    int state;
    int ends;
    int counted; /* attempts that counted */
    int *deps;   /* known dependency indexes */
    int ndeps;
    int pending;
    o_lock *locks;
    int nlocks;
    int64_t origin;     /* when it last became ready, by the oracle's reckoning */
    int64_t not_before; /* a retry may not start earlier */
    int64_t backoff;    /* the last backoff */
    int cur;            /* index of the current launch record while running */
    int backend;        /* while running */
} o_task;

typedef struct event {
    int64_t time;
    uint64_t seq;
    int launch;
} event;

typedef struct sim {
    cx_scheduler *s;
    const sim_config *c;
    sim_report *r;
    int n, nb, workers;
    o_task *t;
    int *slot_task; /* [1..workers] -> task or -1 */
    int nrunning;
    int *running_on, *caps;
    int64_t *park;
    int any_park;
    int ndomains;
    const char **dnames;
    size_t *dlens;
    int *d_readers, *d_writers;
    int64_t *d_min, *d_min_w; /* scratch for the idle check */
    int64_t *tickets;         /* each task's ticket before the current next() call */
    event *ev;
    size_t nev, capev;
    uint64_t seq;
    int stopped;
    int64_t now;
    sim_outcome *outcomes; /* per launch record */
    size_t cap_launch;
} sim;

static void violation(sim *m, const char *fmt, ...)
{
    if (m->r->violations++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        int k = snprintf(m->r->first_violation, sizeof m->r->first_violation,
                         "t=%lld: ", (long long)m->now);
        vsnprintf(m->r->first_violation + k, sizeof m->r->first_violation - (size_t)k, fmt, ap);
        va_end(ap);
    }
}

uint64_t sim_rand(uint64_t *state)
{
    uint64_t x = (*state += 0x9e3779b97f4a7c15ULL);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* ---- the oracle's own reading of lock keys ---- */

static int o_domain(sim *m, const char *key, o_lock *out)
{
    size_t len = strlen(key);
    int write = 1;
    const char *colon = strrchr(key, ':');
    if (colon && !strcmp(colon + 1, "read")) {
        len = (size_t)(colon - key);
        write = 0;
    } else if (colon && !strcmp(colon + 1, "write")) {
        len = (size_t)(colon - key);
    }
    int d;
    for (d = 0; d < m->ndomains; d++) {
        if (m->dlens[d] == len && !memcmp(m->dnames[d], key, len))
            break;
    }
    if (d == m->ndomains) {
        m->dnames[d] = key;
        m->dlens[d] = len;
        m->ndomains++;
    }
    out->domain = d;
    out->write = write;
    return 0;
}

static int conflicts(const o_task *a, const o_task *b)
{
    for (int i = 0; i < a->nlocks; i++) {
        for (int j = 0; j < b->nlocks; j++) {
            if (a->locks[i].domain == b->locks[j].domain &&
                (a->locks[i].write || b->locks[j].write))
                return 1;
        }
    }
    return 0;
}

static int sim_init(sim *m)
{
    cx_scheduler *s = m->s;
    m->n = (int)cx_scheduler_task_count(s);
    m->nb = (int)cx_scheduler_backend_count(s);
    m->workers = cx_scheduler_max_workers(s);
    size_t nlocks = 0;
    for (size_t i = 0; i < m->c->n_specs; i++)
        nlocks += m->c->specs[i].n_locks;
    m->t = calloc((size_t)m->n + 1, sizeof *m->t);
    m->slot_task = malloc(((size_t)m->workers + 1) * sizeof *m->slot_task);
    m->running_on = calloc((size_t)m->nb + 1, sizeof *m->running_on);
    m->caps = calloc((size_t)m->nb + 1, sizeof *m->caps);
    m->park = calloc((size_t)m->nb + 1, sizeof *m->park);
    m->dnames = calloc(nlocks + 1, sizeof *m->dnames);
    m->dlens = calloc(nlocks + 1, sizeof *m->dlens);
    m->d_readers = calloc(nlocks + 1, sizeof *m->d_readers);
    m->d_writers = calloc(nlocks + 1, sizeof *m->d_writers);
    m->d_min = calloc(nlocks + 1, sizeof *m->d_min);
    m->d_min_w = calloc(nlocks + 1, sizeof *m->d_min_w);
    m->tickets = calloc((size_t)m->n + 1, sizeof *m->tickets);
    if (!m->tickets || !m->t || !m->slot_task || !m->running_on || !m->caps || !m->park ||
        !m->dnames || !m->dlens || !m->d_readers || !m->d_writers || !m->d_min || !m->d_min_w)
        return -1;
    for (int w = 0; w <= m->workers; w++)
        m->slot_task[w] = -1;
    for (int b = 0; b < m->nb; b++) {
        cx_scheduler_backend_stats st;
        cx_scheduler_backend_stats_at(s, b, &st);
        m->caps[b] = st.cap;
        m->park[b] = INT64_MIN;
    }
    for (int i = 0; i < m->n; i++) {
        const cx_scheduler_task_spec *sp = &m->c->specs[i];
        o_task *t = &m->t[i];
        t->deps = malloc((sp->n_deps + 1) * sizeof *t->deps);
        t->locks = malloc((sp->n_locks + 1) * sizeof *t->locks);
        if (!t->deps || !t->locks)
            return -1;
        for (size_t j = 0; j < sp->n_deps; j++) {
            int d = cx_scheduler_find(s, sp->deps[j]);
            int dup = 0;
            for (int k = 0; k < t->ndeps; k++)
                dup |= t->deps[k] == d;
            if (d >= 0 && !dup)
                t->deps[t->ndeps++] = d;
        }
        for (size_t j = 0; j < sp->n_locks; j++)
            o_domain(m, sp->locks[j], &t->locks[t->nlocks++]);
        t->pending = t->ndeps;
        t->cur = -1;
    }
    return 0;
}

static void sim_free(sim *m)
{
    if (m->t) {
        for (int i = 0; i < m->n; i++) {
            free(m->t[i].deps);
            free(m->t[i].locks);
        }
    }
    free(m->t);
    free(m->slot_task);
    free(m->running_on);
    free(m->caps);
    free(m->park);
    free(m->dnames);
    free(m->dlens);
    free(m->d_readers);
    free(m->d_writers);
    free(m->d_min);
    free(m->d_min_w);
    free(m->tickets);
    free(m->ev);
    free(m->outcomes);
}

/* ---- events ---- */

static int ev_less(const event *a, const event *b)
{
    return a->time != b->time ? a->time < b->time : a->seq < b->seq;
}

static int ev_push(sim *m, event e)
{
    if (m->nev == m->capev) {
        size_t cap = m->capev ? m->capev * 2 : 64;
        event *p = realloc(m->ev, cap * sizeof *p);
        if (!p)
            return -1;
        m->ev = p;
        m->capev = cap;
    }
    size_t i = m->nev++;
    while (i > 0 && ev_less(&e, &m->ev[(i - 1) / 2])) {
        m->ev[i] = m->ev[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    m->ev[i] = e;
    return 0;
}

static event ev_pop(sim *m)
{
    event top = m->ev[0], last = m->ev[--m->nev];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m->nev)
            break;
        if (c + 1 < m->nev && ev_less(&m->ev[c + 1], &m->ev[c]))
            c++;
        if (!ev_less(&m->ev[c], &last))
            break;
        m->ev[i] = m->ev[c];
        i = c;
    }
    if (m->nev)
        m->ev[i] = last;
    return top;
}

/* ---- launches ---- */

static void hold(sim *m, int ti, int delta)
{
    o_task *t = &m->t[ti];
    for (int i = 0; i < t->nlocks; i++) {
        if (t->locks[i].write)
            m->d_writers[t->locks[i].domain] += delta;
        else
            m->d_readers[t->locks[i].domain] += delta;
    }
}

/* Per domain, the earliest ticket of any reservation and of a write reservation (d_min,
 * d_min_w), over the queued tasks other than `except`. */
static void reservations(sim *m, int except)
{
    for (int d = 0; d < m->ndomains; d++)
        m->d_min[d] = m->d_min_w[d] = INT64_MAX;
    cx_scheduler_task_info info;
    for (int i = 0; i < m->n; i++) {
        cx_scheduler_task_info_at(m->s, i, &info);
        if (info.ticket < 0 || i == except)
            continue;
        if (info.state != CX_SCHEDULER_READY || m->park[info.backend] > m->now)
            violation(m, "%s holds ticket %lld while %s", info.id, (long long)info.ticket,
                      cx_scheduler_state_name(info.state));
        for (int k = 0; k < m->t[i].nlocks; k++) {
            const o_lock *lk = &m->t[i].locks[k];
            if (info.ticket < m->d_min[lk->domain])
                m->d_min[lk->domain] = info.ticket;
            if (lk->write && info.ticket < m->d_min_w[lk->domain])
                m->d_min_w[lk->domain] = info.ticket;
        }
    }
}

/* A lock may be taken when compatible with the holders (checked at launch against the running
 * tasks) and with every reservation holding an earlier ticket. */
static int reservation_blocks(const sim *m, int ti, int64_t ticket)
{
    int64_t key = ticket < 0 ? INT64_MAX : ticket;
    for (int k = 0; k < m->t[ti].nlocks; k++) {
        const o_lock *lk = &m->t[ti].locks[k];
        if (m->d_min_w[lk->domain] < key || (lk->write && m->d_min[lk->domain] < key))
            return 1;
    }
    return 0;
}

static void check_launch(sim *m, const cx_scheduler_launch *l)
{
    const cx_scheduler_task_spec *sp = &m->c->specs[l->task];
    o_task *t = &m->t[l->task];
    if (m->stopped)
        violation(m, "%s launched after stop", l->id);
    if (t->state != O_FRESH)
        violation(m, "%s launched in oracle state %d", l->id, t->state);
    if (l->worker < 1 || l->worker > m->workers || m->slot_task[l->worker] != -1)
        violation(m, "%s: worker %d is not free", l->id, l->worker);
    for (int w = 1; w < l->worker && w <= m->workers; w++) {
        if (m->slot_task[w] == -1)
            violation(m, "%s: worker %d given while %d is free", l->id, l->worker, w);
    }
    if (m->running_on[l->backend] >= m->caps[l->backend])
        violation(m, "%s: cap of backend %d exceeded", l->id, l->backend);
    if (m->park[l->backend] > m->now)
        violation(m, "%s launched on parked backend %d", l->id, l->backend);
    int is_cand = l->backend == sp->backend;
    for (size_t i = 0; i < sp->n_alternatives; i++)
        is_cand |= l->backend == sp->alternatives[i];
    if (!is_cand)
        violation(m, "%s launched on backend %d, not one of its own", l->id, l->backend);
    for (int w = 1; w <= m->workers; w++) {
        int o = m->slot_task[w];
        if (o >= 0 && conflicts(t, &m->t[o]))
            violation(m, "%s launched while %s holds a conflicting lock", l->id,
                      cx_scheduler_task_id(m->s, o));
    }
    for (int i = 0; i < t->ndeps; i++) {
        if (m->t[t->deps[i]].state != O_OK)
            violation(m, "%s launched before its dependency %s completed", l->id,
                      cx_scheduler_task_id(m->s, t->deps[i]));
    }
    if (m->c->check_idle) {
        reservations(m, l->task);
        if (reservation_blocks(m, l->task, m->tickets[l->task]))
            violation(m, "%s launched ahead of an earlier lock reservation", l->id);
    }
    if (l->attempt != t->counted + 1)
        violation(m, "%s: attempt %d, expected %d", l->id, l->attempt, t->counted + 1);
    if (l->attempt > 1) {
        if (m->now < t->not_before)
            violation(m, "%s: retry before its backoff ended", l->id);
        if (l->retry_backoff_ms != t->backoff || !l->retry_reason)
            violation(m, "%s: retry fields", l->id);
    } else if (l->retry_reason || l->retry_backoff_ms != -1) {
        violation(m, "%s: retry fields on attempt 1", l->id);
    }
    if (l->ready_ms > m->now || l->queue_ms != m->now - l->ready_ms)
        violation(m, "%s: queue_ms %lld with ready_ms %lld", l->id, (long long)l->queue_ms,
                  (long long)l->ready_ms);
    if (m->any_park ? l->ready_ms < t->origin : l->ready_ms != t->origin)
        violation(m, "%s: ready at %lld, oracle says %lld", l->id, (long long)l->ready_ms,
                  (long long)t->origin);
}

static int record_launch(sim *m, const cx_scheduler_launch *l)
{
    sim_report *r = m->r;
    if (r->n_launches == m->cap_launch) {
        size_t cap = m->cap_launch ? m->cap_launch * 2 : 256;
        sim_launch *p = realloc(r->launches, cap * sizeof *p);
        sim_outcome *q = realloc(m->outcomes, cap * sizeof *q);
        if (p)
            r->launches = p;
        if (q)
            m->outcomes = q;
        if (!p || !q)
            return -1;
        m->cap_launch = cap;
    }
    check_launch(m, l);
    size_t k = r->n_launches++;
    sim_outcome o = m->c->script(m->c->ctx, l, m->now);
    if (o.latency_ms < 0)
        o.latency_ms = 0;
    m->outcomes[k] = o;
    r->launches[k] =
        (sim_launch){l->task,     l->backend,  l->worker, l->attempt, m->now, m->now + o.latency_ms,
                     l->queue_ms, l->ready_ms, o.outcome};
    o_task *t = &m->t[l->task];
    t->state = O_RUNNING;
    t->cur = (int)k;
    t->backend = l->backend;
    m->slot_task[l->worker] = l->task;
    m->nrunning++;
    m->running_on[l->backend]++;
    hold(m, l->task, +1);
    if ((size_t)m->nrunning > r->max_running)
        r->max_running = (size_t)m->nrunning;
    uint64_t v[5] = {(uint64_t)l->task, (uint64_t)l->backend, (uint64_t)l->worker,
                     (uint64_t)l->attempt, (uint64_t)m->now};
    for (int i = 0; i < 5; i++)
        r->trace = (r->trace ^ v[i]) * 1099511628211ULL;
    return ev_push(m, (event){m->now + o.latency_ms, m->seq++, (int)k});
}

/* ---- the work-conservation check ---- */

static void check_idle(sim *m)
{
    m->r->idle_checks++;
    reservations(m, -1);
    cx_scheduler_task_info info;
    if (m->stopped || m->nrunning >= m->workers)
        return;
    for (int i = 0; i < m->n; i++) {
        cx_scheduler_task_info_at(m->s, i, &info);
        if (info.state != CX_SCHEDULER_READY)
            continue;
        int b = info.backend;
        if (m->running_on[b] >= m->caps[b] || m->park[b] > m->now)
            continue;
        int blocked = reservation_blocks(m, i, info.ticket);
        for (int k = 0; k < m->t[i].nlocks && !blocked; k++) {
            const o_lock *lk = &m->t[i].locks[k];
            blocked = m->d_writers[lk->domain] > 0 || (lk->write && m->d_readers[lk->domain] > 0);
        }
        if (!blocked)
            violation(m, "%s could start (backend %d, %d of %d workers busy) but waits", info.id, b,
                      m->nrunning, m->workers);
    }
}

/* ---- finishes ---- */

static void check_skips(sim *m, int failed, const cx_scheduler_finish_result *res)
{
    for (size_t i = 0; i < res->n_skipped; i++) {
        int w = res->skipped[i].task;
        o_task *t = &m->t[w];
        if (res->skipped[i].ancestor != failed)
            violation(m, "%s skipped with the wrong ancestor", cx_scheduler_task_id(m->s, w));
        if (t->state != O_FRESH)
            violation(m, "%s skipped in oracle state %d", cx_scheduler_task_id(m->s, w), t->state);
        int linked = 0;
        for (int k = 0; k < t->ndeps; k++)
            linked |= t->deps[k] == failed || m->t[t->deps[k]].state == O_SKIPPED;
        if (!linked)
            violation(m, "%s skipped without depending on %s", cx_scheduler_task_id(m->s, w),
                      cx_scheduler_task_id(m->s, failed));
        t->state = O_SKIPPED;
        t->ends++;
    }
}

static void became_complete(sim *m, int ti)
{
    /* the oracle's own dependents scan: O(n) per completion is fine for tests */
    for (int i = 0; i < m->n; i++) {
        o_task *t = &m->t[i];
        for (int k = 0; k < t->ndeps; k++) {
            if (t->deps[k] == ti && --t->pending == 0)
                t->origin = m->now;
        }
    }
}

static int64_t backoff_base(int attempt)
{
    int64_t b = attempt >= 4 ? 2000 : 250LL << (attempt - 1);
    return b > 2000 ? 2000 : b;
}

static void deliver(sim *m, const event *ev, int jitter_pct)
{
    sim_launch *l = &m->r->launches[ev->launch];
    const sim_outcome *o = &m->outcomes[ev->launch];
    int ti = l->task;
    o_task *t = &m->t[ti];
    const char *id = cx_scheduler_task_id(m->s, ti);
    cx_scheduler_finish_opts opts = {o->class_name, m->now + o->park_ms};
    cx_scheduler_finish_result res;
    cx_scheduler_error err;
    if (cx_scheduler_finish(m->s, ti, o->outcome, m->now, &opts, &res, &err) != 0) {
        violation(m, "finish %s: %s", id, err.message);
        return;
    }
    m->slot_task[l->worker] = -1;
    m->nrunning--;
    m->running_on[l->backend]--;
    hold(m, ti, -1);
    t->state = O_FRESH;
    const cx_scheduler_task_spec *sp = &m->c->specs[ti];
    switch (o->outcome) {
    case CX_SCHEDULER_OK:
        if (res.state != CX_SCHEDULER_COMPLETE)
            violation(m, "%s: ok gave %s", id, cx_scheduler_state_name(res.state));
        t->state = O_OK;
        t->ends++;
        t->counted++;
        became_complete(m, ti);
        break;
    case CX_SCHEDULER_RETRY:
    case CX_SCHEDULER_FAIL:
        t->counted++;
        if (o->outcome == CX_SCHEDULER_RETRY && l->attempt <= sp->max_retries) {
            int64_t base = backoff_base(l->attempt);
            if (res.state != CX_SCHEDULER_BACKOFF || res.backoff_ms < base ||
                res.backoff_ms > base + base * jitter_pct / 100 ||
                res.retry_at_ms != m->now + res.backoff_ms)
                violation(m, "%s: retry of attempt %d gave %s, backoff %lld", id, l->attempt,
                          cx_scheduler_state_name(res.state), (long long)res.backoff_ms);
            t->not_before = res.retry_at_ms;
            t->backoff = res.backoff_ms;
            t->origin = res.retry_at_ms;
            if (res.n_skipped)
                violation(m, "%s: a retry skipped dependents", id);
        } else {
            if (res.state != CX_SCHEDULER_FAILED)
                violation(m, "%s: failure gave %s", id, cx_scheduler_state_name(res.state));
            t->state = O_FAILED;
            t->ends++;
            check_skips(m, ti, &res);
        }
        break;
    case CX_SCHEDULER_PARK:
        m->any_park = 1;
        if (m->now + o->park_ms > m->park[l->backend])
            m->park[l->backend] = m->now + o->park_ms;
        /* fall through */
    case CX_SCHEDULER_INTERRUPTED:
        if (res.state != CX_SCHEDULER_READY)
            violation(m, "%s: %s gave %s", id, cx_scheduler_outcome_name(o->outcome),
                      cx_scheduler_state_name(res.state));
        t->origin = m->now;
        break;
    }
}

static int check_seal(sim *m)
{
    size_t nb = cx_scheduler_blocked_count(m->s);
    for (size_t i = 0; i < nb; i++) {
        const cx_scheduler_blocked *b = cx_scheduler_blocked_at(m->s, i);
        o_task *t = &m->t[b->task];
        t->state = O_BLOCKED;
        t->ends++;
        if (b->n_unresolved == 0 || strncmp(b->reason, "unresolved dependencies: ", 25) != 0)
            violation(m, "%s blocked without unresolved dependencies", b->id);
    }
    for (size_t i = 0; i < nb; i++) {
        const cx_scheduler_blocked *b = cx_scheduler_blocked_at(m->s, i);
        for (size_t k = 0; k < b->n_unresolved; k++) {
            int d = cx_scheduler_find(m->s, b->unresolved[k]);
            if (d >= 0 && m->t[d].state != O_BLOCKED)
                violation(m, "%s blocked by %s, which is not blocked", b->id, b->unresolved[k]);
        }
    }
    for (int i = 0; i < m->n; i++) {
        o_task *t = &m->t[i];
        if (t->state == O_BLOCKED)
            continue;
        for (int k = 0; k < t->ndeps; k++) {
            if (m->t[t->deps[k]].state == O_BLOCKED)
                violation(m, "%s depends on blocked %s but is not blocked",
                          cx_scheduler_task_id(m->s, i), cx_scheduler_task_id(m->s, t->deps[k]));
        }
    }
    return 0;
}

int sim_run(cx_scheduler *s, const sim_config *c, sim_report *r)
{
    memset(r, 0, sizeof *r);
    r->trace = 1469598103934665603ULL;
    sim m = {0};
    m.s = s;
    m.c = c;
    m.r = r;
    cx_scheduler_error err;
    if (sim_init(&m) != 0) {
        violation(&m, "out of memory");
        sim_free(&m);
        return -1;
    }
    if (cx_scheduler_seal(s, 0, &err) < 0) {
        violation(&m, "seal: %s", err.message);
        sim_free(&m);
        return -1;
    }
    m.now = 0;
    check_seal(&m);
    /* the jitter bound the oracle accepts */
    int jitter_pct = CX_SCHEDULER_MAX_JITTER_PERCENT;
    for (;;) {
        if (c->stop_at_ms >= 0 && m.now >= c->stop_at_ms && !m.stopped) {
            cx_scheduler_stop(s);
            m.stopped = 1;
        }
        cx_scheduler_launch l;
        int rc;
        for (;;) {
            if (c->check_idle) {
                cx_scheduler_task_info info;
                for (int i = 0; i < m.n; i++) {
                    cx_scheduler_task_info_at(s, i, &info);
                    m.tickets[i] = info.ticket;
                }
            }
            if ((rc = cx_scheduler_next(s, m.now, &l, &err)) != 1)
                break;
            if (record_launch(&m, &l) != 0) {
                violation(&m, "out of memory");
                break;
            }
        }
        if (rc < 0)
            violation(&m, "next: %s", err.message);
        if (c->check_idle)
            check_idle(&m);
        if (cx_scheduler_remaining(s) == 0 || r->violations > 20)
            break;
        int64_t wake = cx_scheduler_wake_ms(s, m.now);
        int64_t t = m.nev ? m.ev[0].time : INT64_MAX;
        if (wake >= 0 && wake < t)
            t = wake;
        if (t == INT64_MAX) {
            violation(&m, "stalled: %zu tasks remain and nothing will happen",
                      cx_scheduler_remaining(s));
            break;
        }
        if (t <= m.now && !m.nev) {
            violation(&m, "wake_ms %lld does not advance", (long long)wake);
            break;
        }
        if (c->stop_at_ms >= 0 && !m.stopped && c->stop_at_ms < t && c->stop_at_ms > m.now)
            t = c->stop_at_ms;
        m.now = t;
        while (m.nev && m.ev[0].time <= m.now) {
            event ev = ev_pop(&m);
            deliver(&m, &ev, jitter_pct);
        }
    }
    r->end_ms = m.now;
    for (int i = 0; i < m.n; i++) {
        o_task *t = &m.t[i];
        cx_scheduler_task_info info;
        cx_scheduler_task_info_at(s, i, &info);
        if (t->ends > 1)
            violation(&m, "%s ended %d times", info.id, t->ends);
        if (t->ends == 0) {
            if (!m.stopped)
                violation(&m, "%s never ended (%s)", info.id, cx_scheduler_state_name(info.state));
            r->not_run++;
        } else {
            r->ended[info.state]++;
        }
        static const int expect[] = {[O_OK] = CX_SCHEDULER_COMPLETE,
                                     [O_FAILED] = CX_SCHEDULER_FAILED,
                                     [O_SKIPPED] = CX_SCHEDULER_SKIPPED,
                                     [O_BLOCKED] = CX_SCHEDULER_BLOCKED};
        if (t->state >= O_OK && (int)info.state != expect[t->state])
            violation(&m, "%s: the scheduler says %s", info.id,
                      cx_scheduler_state_name(info.state));
        if (t->state == O_RUNNING)
            violation(&m, "%s still running at the end", info.id);
    }
    sim_free(&m);
    return r->violations ? -1 : 0;
}

void sim_report_free(sim_report *r)
{
    free(r->launches);
    r->launches = NULL;
}

/* ---- random workloads ---- */

static const char *const lock_keys[] = {"repo:read", "repo:write", "repo",       "db:read",
                                        "db:write",  "cache",      "cache:read", "net:read",
                                        "net:write", "docs:read"};

int sim_workload_random(sim_workload *w, uint64_t seed, size_t n)
{
    memset(w, 0, sizeof *w);
    uint64_t rs = seed * 0x2545f4914f6cdd1dULL + 1;
    w->seed = seed;
    w->n = n;
    w->nb = 1 + (int)(sim_rand(&rs) % 4);
    for (int b = 0; b < w->nb; b++) {
        snprintf(w->names[b], sizeof w->names[b], "be%d", b);
        w->caps[b] = sim_rand(&rs) % 5 == 0 ? (int)n + 1 : 1 + (int)(sim_rand(&rs) % 4);
    }
    w->cfg.max_workers = 1 + (int)(sim_rand(&rs) % 8);
    w->cfg.fairness = sim_rand(&rs) % 2 ? CX_SCHEDULER_LEAST_LOADED : CX_SCHEDULER_ROUND_ROBIN;
    w->cfg.seed = seed;
    w->cfg.jitter_percent = sim_rand(&rs) % 3 ? 10 : 0;
    w->latency_max_ms = 20 + (int)(sim_rand(&rs) % 400);
    w->p_retry = (int)(sim_rand(&rs) % 12);
    w->p_fail = (int)(sim_rand(&rs) % 6);
    w->p_park = (int)(sim_rand(&rs) % 4);
    w->p_interrupt = (int)(sim_rand(&rs) % 3);
    int lock_domains = 1 + (int)(sim_rand(&rs) % 10); /* how many of lock_keys are in play */
    w->specs = calloc(n + 1, sizeof *w->specs);
    w->ids = calloc(n + 1, sizeof *w->ids);
    w->dep_ptrs = calloc(n * 4 + 1, sizeof *w->dep_ptrs);
    w->lock_ptrs = calloc(n * 3 + 1, sizeof *w->lock_ptrs);
    w->alt_store = calloc(n * 2 + 1, sizeof *w->alt_store);
    if (!w->specs || !w->ids || !w->dep_ptrs || !w->lock_ptrs || !w->alt_store)
        return -1;
    for (size_t i = 0; i < n; i++)
        snprintf(w->ids[i], sizeof w->ids[i], "t%05zu", i);
    for (size_t i = 0; i < n; i++) {
        cx_scheduler_task_spec *sp = &w->specs[i];
        sp->id = w->ids[i];
        sp->order = sim_rand(&rs) % 4 ? (int64_t)i : (int64_t)(sim_rand(&rs) % n);
        sp->backend = (int)(sim_rand(&rs) % (uint64_t)w->nb);
        sp->max_retries = (int)(sim_rand(&rs) % 4);
        if (w->nb > 1 && sim_rand(&rs) % 4 == 0) {
            int *alts = &w->alt_store[i * 2];
            int na = 1 + (int)(sim_rand(&rs) % 2);
            for (int k = 0; k < na; k++)
                alts[k] = (sp->backend + 1 + k) % w->nb;
            sp->alternatives = alts;
            sp->n_alternatives = (size_t)na;
        }
        const char **deps = &w->dep_ptrs[i * 4];
        /* 0.75 dependencies on average, so a failure's cascade stays finite */
        uint64_t dr = sim_rand(&rs) % 20;
        size_t nd = !i ? 0 : dr < 10 ? 0 : dr < 16 ? 1 : dr < 19 ? 2 : 3;
        for (size_t k = 0; k < nd; k++) {
            uint64_t r = sim_rand(&rs) % 1000;
            size_t window = i < 60 ? i : 60;
            if (r < 5)
                deps[k] = "ghost"; /* unknown: blocked with its dependents */
            else if (r < 8 && i + 3 < n)
                deps[k] = w->ids[i + 1 + sim_rand(&rs) % 3]; /* forward: may close a cycle */
            else
                deps[k] = w->ids[i - 1 - sim_rand(&rs) % window];
        }
        sp->deps = deps;
        sp->n_deps = nd;
        const char **locks = &w->lock_ptrs[i * 3];
        size_t nl = sim_rand(&rs) % 3;
        for (size_t k = 0; k < nl; k++)
            locks[k] = lock_keys[sim_rand(&rs) % (uint64_t)lock_domains];
        sp->locks = locks;
        sp->n_locks = nl;
    }
    w->launch_counts = calloc(n + 1, sizeof *w->launch_counts);
    return w->launch_counts ? 0 : -1;
}

cx_scheduler *sim_workload_build(const sim_workload *w)
{
    cx_scheduler_error err;
    cx_scheduler *s = cx_scheduler_new(&w->cfg, &err);
    if (!s)
        return NULL;
    for (int b = 0; b < w->nb; b++) {
        if (cx_scheduler_add_backend(s, w->names[b], w->caps[b], &err) < 0)
            goto fail;
    }
    for (size_t i = 0; i < w->n; i++) {
        if (cx_scheduler_add_task(s, &w->specs[i], &err) < 0)
            goto fail;
    }
    return s;
fail:
    fprintf(stderr, "sim_workload_build: %s\n", err.message);
    cx_scheduler_free(s);
    return NULL;
}

void sim_workload_free(sim_workload *w)
{
    free(w->specs);
    free(w->ids);
    free(w->dep_ptrs);
    free(w->lock_ptrs);
    free(w->alt_store);
    free(w->launch_counts);
    memset(w, 0, sizeof *w);
}

sim_outcome sim_workload_script(void *ctx, const cx_scheduler_launch *l, int64_t now)
{
    (void)now;
    sim_workload *w = ctx;
    int nth = w->launch_counts[l->task]++; /* interrupted and parked launches draw again */
    uint64_t rs = w->seed ^ ((uint64_t)l->task * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)nth << 48);
    sim_outcome o = {CX_SCHEDULER_OK, 1 + (int64_t)(sim_rand(&rs) % (uint64_t)w->latency_max_ms), 0,
                     NULL};
    int r = (int)(sim_rand(&rs) % 100);
    if (nth < 4 && r < w->p_park) {
        o.outcome = CX_SCHEDULER_PARK;
        o.park_ms = 100 + (int64_t)(sim_rand(&rs) % 900);
        o.class_name = "quota_exhausted";
    } else if (nth < 4 && r < w->p_park + w->p_interrupt) {
        o.outcome = CX_SCHEDULER_INTERRUPTED;
        o.class_name = "interrupted";
    } else if (r < w->p_park + w->p_interrupt + w->p_retry) {
        o.outcome = CX_SCHEDULER_RETRY;
        o.class_name = "timeout";
    } else if (r < w->p_park + w->p_interrupt + w->p_retry + w->p_fail) {
        o.outcome = CX_SCHEDULER_FAIL;
        o.class_name = "schema";
    }
    return o;
}
