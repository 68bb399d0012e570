/* The policy sandbox's process and memory mechanics (plain C; the Lua side is lua_sandbox.c).
 *
 * Policy code is untrusted, and its limits must hold even inside one C library call (a
 * catastrophic pattern in string.find, a string doubled until it fills the machine). So cx runs it
 * in a forked child:
 *   - the child's Lua state allocates through cx_sandbox_alloc, which refuses to grow past a byte
 *     cap: every allocation counts, also those made inside string.rep, gsub or table.concat;
 *   - the child has RLIMIT_CPU, no core dumps, no file writes, default signal dispositions, only
 *     the answer pipe open, and dies with its parent;
 *   - the parent waits on the answer pipe until a wall-clock deadline, then SIGKILLs the child; it
 *     accepts at most output_max bytes of answer.
 * A page shared by both holds the child's progress marks (which chunk and line it was running),
 * so a child killed inside a C call can still be blamed on a file and line. */
#ifndef CX_SANDBOX_H
#define CX_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

/* The byte-capped allocator's state. lua_Alloc-compatible: lua_newstate(cx_sandbox_alloc, &heap).
 * Shrinking and freeing never fail (Lua relies on that); growth past limit returns NULL and sets
 * refused. limit 0 = no cap. */
typedef struct cx_sandbox_heap {
    size_t used;  /* bytes currently allocated through this heap */
    size_t peak;  /* the most ever allocated at once */
    size_t limit; /* cap on used */
    int refused;  /* an allocation was refused */
} cx_sandbox_heap;

void *cx_sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* What the child was running last, written by the child, read by the parent after the end. */
typedef struct cx_sandbox_progress {
    volatile int32_t chunk; /* 1-based index of the policy chunk; 0 = none yet */
    volatile int32_t line;  /* its current line; 0 = unknown */
} cx_sandbox_progress;

typedef struct cx_sandbox_limits {
    int64_t wall_ms;   /* the parent kills the child after this long (> 0) */
    int cpu_s;         /* RLIMIT_CPU soft limit of the child in seconds (> 0) */
    size_t output_max; /* the most answer bytes the parent accepts */
} cx_sandbox_limits;

/* Runs in the child: write the answer to out_fd, return the exit code. */
typedef int (*cx_sandbox_child_fn)(void *arg, int out_fd, cx_sandbox_progress *progress);

enum cx_sandbox_status {
    CX_SANDBOX_EXITED = 0, /* the child exited by itself: exit_code is set */
    CX_SANDBOX_TIMEOUT,    /* the wall-clock deadline passed: the parent killed it */
    CX_SANDBOX_CPU,        /* it used up its CPU time (SIGXCPU, or SIGKILL at the hard limit) */
    CX_SANDBOX_SIGNALED,   /* another signal ended it (signo): a crash, or a terminal's Ctrl-C */
    CX_SANDBOX_OUTPUT,     /* it wrote more than output_max bytes: the parent killed it */
};

typedef struct cx_sandbox_outcome {
    int status; /* enum cx_sandbox_status */
    int exit_code;
    int signo;
    char *data; /* the answer bytes (NUL-terminated; data[len] == 0), owned by the outcome */
    size_t len;
    cx_sandbox_progress progress; /* the child's last marks */
    int64_t elapsed_ms;
} cx_sandbox_outcome;

/* Fork, run fn(arg, fd, progress) in the child, collect its answer. Returns 0 (see out->status),
 * or -1 when the child could not be started (errbuf says why). Free out with
 * cx_sandbox_outcome_free, also after a failure. */
int cx_sandbox_run(const cx_sandbox_limits *limits, cx_sandbox_child_fn fn, void *arg,
                   cx_sandbox_outcome *out, char *errbuf, size_t errlen);
void cx_sandbox_outcome_free(cx_sandbox_outcome *out);

/* Write all of buf to fd, retrying short writes and EINTR. 0, or -1 with errno set. */
int cx_sandbox_write_all(int fd, const void *buf, size_t len);

/* A message made safe for a terminal and a log: one line, control characters, C1 controls and
 * invalid UTF-8 escaped (\n, \t, \xHH), at most max - 1 bytes plus NUL (cut with "..." when
 * longer). Returns the length written to out (max >= 8). */
size_t cx_sandbox_clean_message(const char *in, size_t inlen, char *out, size_t max);

#endif
