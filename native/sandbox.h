/* The policy sandbox's memory and time mechanics (plain C; the Lua side is lua_sandbox.c).
 *
 * Policy code is untrusted, and its limits must hold even inside one C library call. cx runs it
 * in a fresh Lua state of its own, in process:
 *   - memory: the state allocates through cx_sandbox_alloc, which refuses to grow past a byte cap;
 *     every allocation counts, also those made inside string.rep, gsub or table.concat, so a
 *     memory bomb fails as a Lua memory error at once. Every block is tracked, so a state that had
 *     to be abandoned is freed whole (cx_sandbox_heap_free_all) without running any of its code.
 *   - time: Lua code is stopped by the instruction hook (lua_sandbox.c), which also sees the
 *     deadline. The library functions that could run for ever without allocating or running Lua
 *     code are the pattern matchers (catastrophic backtracking); the binding marks the time they
 * run as `abortable`, and when the deadline passes inside such a region the guard's timer signal
 *     jumps back to the evaluation's checkpoint (siglongjmp), abandoning the state. A jump never
 *     happens inside the allocator (the system allocator must not be interrupted): the allocator
 *     takes the jump itself once it is done. The other library functions are linear in data the
 *     memory cap bounds, or guarded by the binding (string.rep of empty strings, table.move
 * ranges).
 */
#ifndef CX_SANDBOX_H
#define CX_SANDBOX_H

#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The deadline of one evaluation, and the jump back to its checkpoint. */
typedef struct cx_sandbox_guard {
    volatile sig_atomic_t expired;   /* the deadline passed */
    volatile sig_atomic_t abortable; /* running code the guard may abandon at any point */
    volatile sig_atomic_t in_alloc;  /* inside cx_sandbox_alloc: the jump waits until it is done */
    sigjmp_buf checkpoint;           /* set by the caller with sigsetjmp(g->checkpoint, 1) */
    /* private */
    timer_t timer;
    int armed;
    struct sigaction old_action;
    sigset_t old_mask;
} cx_sandbox_guard;

/* Start the deadline: after ms milliseconds the calling thread gets SIGALRM, which sets expired
 * and, inside an abortable region (and outside the allocator), jumps to g->checkpoint. One guard
 * per thread at a time. 0, or -1 with errbuf set. */
int cx_sandbox_guard_arm(cx_sandbox_guard *g, int64_t ms, char *errbuf, size_t errlen);
/* Stop the deadline and restore the previous SIGALRM disposition and mask. Safe to call twice. */
void cx_sandbox_guard_disarm(cx_sandbox_guard *g);

/* One tracked block's header (the allocation follows it, suitably aligned). */
typedef struct cx_sandbox_block {
    struct cx_sandbox_block *prev, *next;
    size_t size;
    size_t pad_;
} cx_sandbox_block;

/* The byte-capped allocator's state. lua_Alloc-compatible: lua_newstate(cx_sandbox_alloc, &heap).
 * Shrinking and freeing never fail (Lua relies on that); growth past limit returns NULL and sets
 * refused. limit 0 = no cap. guard, when set, gets its deferred jump taken here. */
typedef struct cx_sandbox_heap {
    size_t used;  /* bytes currently allocated through this heap (payload) */
    size_t peak;  /* the most ever allocated at once */
    size_t limit; /* cap on used */
    int refused;  /* an allocation was refused */
    cx_sandbox_block *blocks;
    cx_sandbox_guard *guard;
} cx_sandbox_heap;

void *cx_sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
/* Free every block still allocated (a state abandoned mid-operation), leaving the heap empty. */
void cx_sandbox_heap_free_all(cx_sandbox_heap *h);

/* A message made safe for a terminal and a log: one line, control characters, C1 controls and
 * invalid UTF-8 escaped (\n, \t, \xHH), at most max - 1 bytes plus NUL (cut with "..." when
 * longer). Returns the length written to out (max >= 8). */
size_t cx_sandbox_clean_message(const char *in, size_t inlen, char *out, size_t max);

#endif
