/* The event loop: owns many jobs at once (child processes, HTTP transfers, timers) and drives them
 * all from one poll (curl_multi_poll, with the process pipes as extra descriptors). Nothing blocks
 * on one job: prompts are written as children read them, output is collected as it comes, and
 * every deadline is enforced by the loop. Each job added yields exactly one completion.
 *
 * The caller must ignore SIGPIPE (the cx.core module does) so a child that stops reading turns a
 * write into EPIPE instead of killing us. Not thread-safe: one loop per thread. */
#ifndef CX_LOOP_H
#define CX_LOOP_H

#include "envelope.h"
#include "http.h"
#include "proc.h"

#include <stddef.h>
#include <stdint.h>

#define CX_LOOP_DEFAULT_GRACE_MS 2000
#define CX_LOOP_DEFAULT_MAX_OUTPUT ((size_t)64 << 20)
/* After the child exits, how long a grandchild may keep its stdout/stderr open before the group
 * is killed and the pipes are closed. */
#define CX_LOOP_DRAIN_MS 200

typedef enum cx_job_kind { CX_JOB_PROCESS, CX_JOB_HTTP, CX_JOB_TIMER } cx_job_kind;

typedef struct cx_process_job_spec {
    cx_proc_spec proc;
    const char *stdin_data; /* copied; NULL or empty: the child's stdin is closed at once */
    size_t stdin_len;
    int64_t timeout_ms; /* 0: none. On expiry: TERM the group, KILL it grace_ms later */
    int64_t grace_ms;   /* < 0: CX_LOOP_DEFAULT_GRACE_MS */
    size_t max_output; /* per stream; 0: CX_LOOP_DEFAULT_MAX_OUTPUT; the rest is read and dropped */
} cx_process_job_spec;

typedef struct cx_http_job_spec {
    cx_http_request request;
    int64_t
        first_byte_timeout_ms; /* from the start of the job to the first response byte; 0: none */
    int64_t idle_timeout_ms;   /* longest silence once the response has started; 0: none */
    int64_t total_timeout_ms;  /* whole transfer; 0: none */
    /* Streamed parsing: when parse_envelope is set, every chunk of a 2xx body is fed to a
     * cx_envelope parser of envelope_format as it arrives. Its terminal marker or a failure
     * completes the job at once (the connection is dropped), and the completion carries the
     * parse result. Other statuses are collected and classified as without it. */
    int parse_envelope;
    cx_envelope_format envelope_format;
    cx_envelope_opts envelope_opts;
} cx_http_job_spec;

/* Failure classes of process and timer jobs (HTTP ones are in http.h). */
#define CX_LOOP_SPAWN_FAILED "spawn_failed"
#define CX_LOOP_TIMEOUT "timeout"
#define CX_LOOP_EXIT_STATUS "exit_status"
#define CX_LOOP_SIGNALED "signaled"
#define CX_LOOP_CANCELLED "cancelled"

typedef struct cx_completion {
    int64_t id;
    cx_job_kind kind;
    int ok;
    double duration_ms;
    const char *class_name; /* NULL when ok */
    char *error;            /* malloc'd message, NULL when ok; never holds a bearer token */
    int timed_out;
    /* process */
    int exit_code; /* -1 when the child did not exit normally */
    int signal;    /* terminating signal, 0 if none */
    char *out, *err;
    size_t out_len, err_len;
    int out_truncated, err_truncated;
    size_t stdin_written;
    /* http */
    long status; /* 0 when no response */
    char *body;
    size_t body_len;
    char *content_type;
    char *headers; /* the response's header lines ("Name: value\r\n"...), NULL when none came */
    size_t headers_len;
    double first_byte_ms;      /* < 0 when no byte came */
    const char *timeout_phase; /* "connect" | "first_byte" | "idle" | "total" */
    /* http with parse_envelope: set when ok with a 2xx status (free with cx_completion_free) */
    int has_envelope;
    cx_envelope_result envelope;
    int stopped_early; /* the parser ended the job before the server closed the transfer */
} cx_completion;

typedef struct cx_loop cx_loop;

cx_loop *cx_loop_new(void);
/* Each returns the job id (> 0), or -1 with a message in err for a spec that cannot be run at all
 * (an invalid HTTP request, out of memory). A program that cannot be started is not such an error:
 * its job completes at once with class spawn_failed and the OS error. */
int64_t cx_loop_add_process(cx_loop *l, const cx_process_job_spec *spec, char *err, size_t errlen);
int64_t cx_loop_add_http(cx_loop *l, const cx_http_job_spec *spec, char *err, size_t errlen);
int64_t cx_loop_add_timer(cx_loop *l, int64_t ms, char *err, size_t errlen);
/* Jobs without a completion yet (completions waiting to be collected are not counted). */
size_t cx_loop_pending(const cx_loop *l);
/* Drives the jobs until at least one completion is ready or timeout_ms passes (< 0: no limit).
 * Returns the number of completions ready to collect. Returns at once when nothing is pending.
 * When signals are handled (signals.h) the poll includes the signal pipe: the first run that sees
 * a pending signal returns at once, possibly with no completion, so the caller can cancel; later
 * runs of the same loop wait as usual (for the cancelled jobs to finish). */
size_t cx_loop_run(cx_loop *l, int64_t timeout_ms);
/* Moves the oldest ready completion into out (the caller frees it); 0 when there is none. */
int cx_loop_next(cx_loop *l, cx_completion *out);
void cx_completion_free(cx_completion *c);
/* Stops a job: a process gets TERM, then KILL after its grace period, and completes when reaped;
 * an HTTP transfer or a timer completes at once. Class cancelled. -1 for an unknown id. */
int cx_loop_cancel(cx_loop *l, int64_t id);
/* The same with this grace period between TERM and KILL instead of the job's own (< 0: the job's;
 * for a process already stopping, the KILL only moves sooner). */
int cx_loop_cancel_grace(cx_loop *l, int64_t id, int64_t grace_ms);
/* Kills and reaps every process left, aborts the transfers, frees everything. */
void cx_loop_destroy(cx_loop *l);

#endif
