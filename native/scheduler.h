/* The worker scheduler's mechanics: which task may start now, on which worker slot, and what
 * becomes of a task when its attempt ends. Plain data in, decisions out: no clock (every call that
 * depends on time takes now_ms), no I/O, no global state. The same calls in the same order give
 * the same decisions. docs/scheduler.md describes the rules and the guarantees.
 *
 * Life of a scheduler: add backends (cx_scheduler_add_backend), add tasks (cx_scheduler_add_task),
 * seal (reports unknown dependencies and cycles; nothing of them runs), then alternate
 * cx_scheduler_next (launch) and cx_scheduler_finish (an attempt ended) until
 * cx_scheduler_remaining is 0. Indexes of backends and tasks are 0-based here (the Lua face adds
 * one). */
#ifndef CX_SCHEDULER_H
#define CX_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>

typedef struct cx_scheduler cx_scheduler;

typedef enum cx_scheduler_fairness {
    CX_SCHEDULER_ROUND_ROBIN,
    CX_SCHEDULER_LEAST_LOADED
} cx_scheduler_fairness;

/* Backoff before attempt a+1 after a transient failure of attempt a (a >= 1):
 * min(250 * 2^(a-1), 2000) ms, plus a jitter in [0, base * jitter_percent / 100]. */
#define CX_SCHEDULER_BACKOFF_BASE_MS 250
#define CX_SCHEDULER_BACKOFF_MAX_MS 2000
#define CX_SCHEDULER_MAX_JITTER_PERCENT 50
#define CX_SCHEDULER_MAX_WORKERS 65536

typedef struct cx_scheduler_config {
    int max_workers; /* worker slots, 1 .. CX_SCHEDULER_MAX_WORKERS */
    cx_scheduler_fairness fairness;
    uint64_t seed;      /* the jitter's only source of randomness */
    int jitter_percent; /* 0 (none) .. CX_SCHEDULER_MAX_JITTER_PERCENT */
} cx_scheduler_config;

typedef enum cx_scheduler_state {
    CX_SCHEDULER_WAITING,  /* dependencies not all complete */
    CX_SCHEDULER_READY,    /* queued: may start when a slot, its backend and its locks allow */
    CX_SCHEDULER_BACKOFF,  /* waiting out the backoff before a retry */
    CX_SCHEDULER_RUNNING,  /* an attempt holds a worker slot */
    CX_SCHEDULER_COMPLETE, /* terminal: an attempt succeeded */
    CX_SCHEDULER_FAILED,   /* terminal: failed, or retries exhausted */
    CX_SCHEDULER_SKIPPED,  /* terminal: a dependency (transitively) failed */
    CX_SCHEDULER_BLOCKED,  /* terminal, decided at seal: unknown dependency or cycle */
    CX_SCHEDULER_NSTATES
} cx_scheduler_state;

typedef enum cx_scheduler_outcome {
    CX_SCHEDULER_OK,          /* success: dependents may start */
    CX_SCHEDULER_RETRY,       /* transient failure: backoff if attempts remain, else failed */
    CX_SCHEDULER_FAIL,        /* permanent failure: dependents are skipped */
    CX_SCHEDULER_INTERRUPTED, /* the attempt did not count: the task is queued again */
    CX_SCHEDULER_PARK         /* the backend refuses work until park_until_ms: queued again */
} cx_scheduler_outcome;

/* "waiting", "ready", ... as in the enum; "ok", "retry", "failed", "interrupted", "park". */
const char *cx_scheduler_state_name(cx_scheduler_state st);
const char *cx_scheduler_outcome_name(cx_scheduler_outcome o);
/* 0 and *out set when name is an outcome name, else -1. */
int cx_scheduler_outcome_from_name(const char *name, cx_scheduler_outcome *out);

/* Errors: functions returning int give a negative value and fill *e (when not NULL): a message
 * and a class naming the kind: "invalid_argument", "invalid_state", "duplicate", "nomem". */
typedef struct cx_scheduler_error {
    char message[256];
    const char *class_name;
} cx_scheduler_error;

cx_scheduler *cx_scheduler_new(const cx_scheduler_config *cfg, cx_scheduler_error *e);
void cx_scheduler_free(cx_scheduler *s);

/* Returns the backend's index. cap >= 1; names are unique. Only before seal. */
int cx_scheduler_add_backend(cx_scheduler *s, const char *name, int cap, cx_scheduler_error *e);

typedef struct cx_scheduler_task_spec {
    const char *id;          /* unique, non-empty; copied */
    int64_t order;           /* launch order within a backend (smaller first); ties: add order */
    int backend;             /* primary backend index */
    const int *alternatives; /* backends the task may move to while its backend is parked */
    size_t n_alternatives;
    int max_retries;         /* >= 0: attempts <= max_retries + 1 */
    const char *const *deps; /* ids; copied */
    size_t n_deps;
    const char *const *locks; /* resource keys ("repo:read", "repo:write", "db"); copied */
    size_t n_locks;
} cx_scheduler_task_spec;

/* Returns the task's index. Only before seal. */
int cx_scheduler_add_task(cx_scheduler *s, const cx_scheduler_task_spec *spec,
                          cx_scheduler_error *e);

/* Declares an id that completed before this run (outside it): a dependency on it is met. */
int cx_scheduler_add_satisfied(cx_scheduler *s, const char *id, cx_scheduler_error *e);

typedef struct cx_scheduler_blocked {
    int task;
    const char *id;
    /* "unresolved dependencies: a, b" (the unmet deps in stored order: unknown ids and blocked
     * tasks), followed by "; cycle: a -> b -> a" when the task is on a dependency cycle (as the
     * planner, cx.tasks.plan, words it; a cycle of more than 12 tasks is shortened to
     * "a -> b -> ... (N tasks) -> a"). */
    const char *reason;
    const char *const *unresolved; /* the unmet dependency ids */
    size_t n_unresolved;
    const int *cycle; /* a shortest cycle through the task, starting with it; n_cycle = 0: none */
    size_t n_cycle;
} cx_scheduler_blocked;

/* Resolves dependencies, reports blocked tasks (they never run) and queues the tasks whose
 * dependencies are met. now_ms is the time every task enters the run. Returns the number of
 * blocked tasks; read them with cx_scheduler_blocked_at (valid until cx_scheduler_free). */
int cx_scheduler_seal(cx_scheduler *s, int64_t now_ms, cx_scheduler_error *e);
size_t cx_scheduler_blocked_count(const cx_scheduler *s);
const cx_scheduler_blocked *cx_scheduler_blocked_at(const cx_scheduler *s, size_t i);

typedef struct cx_scheduler_launch {
    int task;
    const char *id;
    int backend;
    int moved_from;           /* the primary backend when launched on an alternative, else -1 */
    int worker;               /* slot 1..max_workers: the lowest free one */
    int attempt;              /* 1-based */
    int64_t queue_ms;         /* now - ready_ms */
    int64_t ready_ms;         /* when the task last became ready (see docs/scheduler.md) */
    int64_t entered_ms;       /* when the task entered the run (seal time) */
    const char *retry_reason; /* class of the previous attempt's transient failure, or NULL */
    int64_t retry_backoff_ms; /* the backoff waited before this attempt, -1 on attempt 1 */
} cx_scheduler_launch;

/* Launches one task if one may start at now_ms: returns 1 and fills *out (strings valid until
 * cx_scheduler_free), 0 when none may, negative on error (not sealed). Call it until it returns 0.
 */
int cx_scheduler_next(cx_scheduler *s, int64_t now_ms, cx_scheduler_launch *out,
                      cx_scheduler_error *e);

typedef struct cx_scheduler_skip {
    int task;
    int ancestor; /* the failed task it (transitively) depends on */
} cx_scheduler_skip;

typedef struct cx_scheduler_move {
    int task;
    int from, to;
} cx_scheduler_move;

typedef struct cx_scheduler_finish_opts {
    const char *class_name; /* the failure class (retry reason, task_info's last_class); copied */
    int64_t park_until_ms;  /* CX_SCHEDULER_PARK: the backend launches nothing before this time */
} cx_scheduler_finish_opts;

typedef struct cx_scheduler_finish_result {
    cx_scheduler_state state; /* the task's state after this call */
    int64_t backoff_ms;       /* CX_SCHEDULER_BACKOFF: the backoff, else 0 */
    int64_t retry_at_ms;      /* CX_SCHEDULER_BACKOFF: when it is ready again, else 0 */
    const cx_scheduler_skip
        *skipped; /* dependents skipped by this call; valid until the next call */
    size_t n_skipped;
    const cx_scheduler_move *moved; /* queued tasks moved to an alternative backend by this call */
    size_t n_moved;
} cx_scheduler_finish_result;

/* The attempt of a running task ended with outcome at now_ms (opts may be NULL). */
int cx_scheduler_finish(cx_scheduler *s, int task, cx_scheduler_outcome outcome, int64_t now_ms,
                        const cx_scheduler_finish_opts *opts, cx_scheduler_finish_result *res,
                        cx_scheduler_error *e);

/* The earliest time at which something may become startable by the clock alone (a backoff or a
 * park ending), or -1 when nothing waits on the clock (or the scheduler is stopped). A value
 * <= now_ms means: call cx_scheduler_next now. */
int64_t cx_scheduler_wake_ms(const cx_scheduler *s, int64_t now_ms);

/* Launch nothing more (halt, signal). Running attempts still finish through cx_scheduler_finish. */
void cx_scheduler_stop(cx_scheduler *s);
int cx_scheduler_stopped(const cx_scheduler *s);

/* Tasks still to be accounted for: running ones, plus (unless stopped) every task not in a
 * terminal state. The run is over when it is 0. */
size_t cx_scheduler_remaining(const cx_scheduler *s);

size_t cx_scheduler_task_count(const cx_scheduler *s);
size_t cx_scheduler_backend_count(const cx_scheduler *s);
int cx_scheduler_max_workers(const cx_scheduler *s);
/* The index of the task with this id, or -1. */
int cx_scheduler_find(const cx_scheduler *s, const char *id);
/* Tasks in each state (counts[CX_SCHEDULER_NSTATES]). */
void cx_scheduler_counts(const cx_scheduler *s, size_t *counts);

typedef struct cx_scheduler_backend_stats {
    const char *name;
    int cap;
    size_t waiting, queued, running, done, failed, skipped, blocked; /* queued: ready + backoff */
    int64_t parked_until_ms; /* > the last now seen while parked, else 0 */
} cx_scheduler_backend_stats;

/* Tasks are counted on the backend they are on now (a moved task on its alternative). */
int cx_scheduler_backend_stats_at(const cx_scheduler *s, int backend,
                                  cx_scheduler_backend_stats *out);

typedef struct cx_scheduler_task_info {
    const char *id;
    cx_scheduler_state state;
    int backend;         /* current (differs from primary after a move) */
    int primary_backend; /* as added */
    int64_t order;
    int attempts; /* attempts launched and counted (interrupted/parked ones are not) */
    int max_retries;
    int worker;                 /* the slot while running, else 0 */
    const char *last_class;     /* class given with the last failed attempt, or NULL */
    int ancestor;               /* skipped: the failed task it depends on, else -1 */
    const char *blocked_reason; /* blocked: the reason, else NULL */
    int64_t entered_ms, ready_ms, started_ms, finished_ms; /* -1 when not (yet) */
    int64_t retry_at_ms;                                   /* backoff: when it ends, else -1 */
    int64_t last_backoff_ms;                               /* -1 when it never backed off */
    int64_t ticket; /* lock reservation ticket while lock-blocked and queued, else -1 */
} cx_scheduler_task_info;

int cx_scheduler_task_info_at(const cx_scheduler *s, int task, cx_scheduler_task_info *out);
const char *cx_scheduler_task_id(const cx_scheduler *s, int task);
const char *cx_scheduler_backend_name(const cx_scheduler *s, int backend);

/* The backoff (jitter included) before the attempt after a transient failure of attempt
 * `attempt` of the task with this id. */
int64_t cx_scheduler_backoff_ms(const cx_scheduler *s, const char *task_id, int attempt);

/* Lock keys: the mode is the part after the last ':' when it is "read" or "write" (the domain is
 * the part before); otherwise the whole key is the domain, mode write. Writes the domain's length
 * into *domain_len and returns 1 for write, 0 for read. */
int cx_scheduler_lock_parse(const char *key, size_t *domain_len);

#endif
