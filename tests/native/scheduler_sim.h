/* A discrete-event simulator over cx_scheduler, with an independent oracle: it drives the scheduler
 * in simulated time (launch everything next() gives, jump to the next completion or wake time,
 * deliver completions), and checks every decision against its own model of slots, caps, parks,
 * locks and dependencies:
 *   - worker slots: the lowest free one, never two tasks on one slot, never above max_workers;
 *   - caps never exceeded; nothing launches on a parked backend or after stop;
 *   - no two running tasks hold conflicting locks (the lock-key rule re-implemented here);
 *   - a task starts only after every dependency finished ok; attempts count as they should;
 *     a retry starts no earlier than its backoff allows; queue_ms = launch - ready time;
 *   - work conservation: after next() returns nothing, no queued task could start (free slot,
 *     backend under cap and not parked, locks compatible with the holders and with the
 *     reservations of earlier tickets);
 *   - every task ends exactly once (complete, failed, skipped with a failed ancestor it depends
 *     on, or blocked at seal), and the run never stalls while work remains.
 * The Lua spec helper tests/spec/helpers/sched_sim.lua mirrors it over the Lua face. */
#ifndef CX_TEST_SCHEDULER_SIM_H
#define CX_TEST_SCHEDULER_SIM_H

#include "scheduler.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sim_outcome {
    cx_scheduler_outcome outcome;
    int64_t latency_ms;     /* from launch to finish */
    int64_t park_ms;        /* CX_SCHEDULER_PARK: the backend is parked until finish + park_ms */
    const char *class_name; /* may be NULL */
} sim_outcome;

/* Decides the attempt that was just launched (called once per launch). */
typedef sim_outcome (*sim_script)(void *ctx, const cx_scheduler_launch *l, int64_t now);

typedef struct sim_config {
    const cx_scheduler_task_spec *specs; /* as added, in the same order */
    size_t n_specs;
    sim_script script;
    void *ctx;
    int check_idle;     /* the work-conservation check after every drain (O(tasks) each) */
    int64_t stop_at_ms; /* cx_scheduler_stop at this time; < 0: never */
} sim_config;

typedef struct sim_launch {
    int task, backend, worker, attempt;
    int64_t start, end, queue_ms, ready_ms;
    cx_scheduler_outcome outcome;
} sim_launch;

typedef struct sim_report {
    sim_launch *launches;
    size_t n_launches;
    int64_t end_ms;
    uint64_t trace; /* hash of the launch sequence (task, backend, worker, attempt, time) */
    size_t violations;
    char first_violation[512];
    size_t ended[CX_SCHEDULER_NSTATES]; /* tasks by terminal state */
    size_t not_run;                     /* tasks left unfinished by a stop */
    size_t max_running;
    size_t idle_checks;
} sim_report;

/* Seals the scheduler at time 0 and runs it to the end. Returns 0 when no invariant broke. */
int sim_run(cx_scheduler *s, const sim_config *c, sim_report *r);
void sim_report_free(sim_report *r);

/* A random workload: backends with caps, tasks with orders, deps (waves, diamonds, a few unknown
 * ids and cycles), locks over a few domains in both modes, alternatives, retries. */
typedef struct sim_workload {
    cx_scheduler_config cfg;
    int nb;
    char names[8][16];
    int caps[8];
    cx_scheduler_task_spec *specs;
    size_t n;
    /* storage the specs point into */
    char (*ids)[24];
    const char **dep_ptrs;
    const char **lock_ptrs;
    int *alt_store;
    int *launch_counts; /* per task, for the script */
    uint64_t seed;
    int latency_max_ms;
    int p_retry, p_fail, p_park, p_interrupt; /* percent per attempt */
} sim_workload;

int sim_workload_random(sim_workload *w, uint64_t seed, size_t n_tasks);
/* A scheduler with the workload's backends and tasks (not sealed), or NULL. */
cx_scheduler *sim_workload_build(const sim_workload *w);
void sim_workload_free(sim_workload *w);
/* The script of a random workload: each (task, attempt) draws its outcome from the seed, so the
 * outcome of an attempt does not depend on the order in which tasks happen to launch. */
sim_outcome sim_workload_script(void *ctx, const cx_scheduler_launch *l, int64_t now);

uint64_t sim_rand(uint64_t *state);

#endif
