/* native/sandbox.c: the byte-capped tracking allocator, the deadline guard (a jump out of an
 * abortable region, deferred while the allocator runs), and message cleaning. */
#include "check.h"
#include "clock.h"
#include "sandbox.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void test_alloc_caps_growth(void)
{
    cx_sandbox_heap h = {.limit = 1000};
    char *a = cx_sandbox_alloc(&h, NULL, 5 /* a type tag, not a size */, 600);
    CHECK(a != NULL);
    CHECK_INT(h.used, 600);
    memset(a, 'x', 600);
    CHECK(cx_sandbox_alloc(&h, NULL, 0, 500) == NULL); /* 1100 > 1000 */
    CHECK_INT(h.refused, 1);
    CHECK_INT(h.used, 600);
    h.refused = 0;
    char *b = cx_sandbox_alloc(&h, a, 600, 900); /* growth keeps the content */
    CHECK(b != NULL);
    CHECK(b[599] == 'x');
    CHECK_INT(h.used, 900);
    CHECK(cx_sandbox_alloc(&h, b, 900, 1001) == NULL);
    CHECK_INT(h.refused, 1);
    char *c = cx_sandbox_alloc(&h, b, 900, 100); /* shrinking always works */
    CHECK(c != NULL);
    CHECK_INT(h.used, 100);
    CHECK_INT(h.peak, 900);
    CHECK(cx_sandbox_alloc(&h, c, 100, 0) == NULL);
    CHECK_INT(h.used, 0);
    CHECK(h.blocks == NULL);
    /* A request larger than the whole cap, or than memory itself, never wraps around. */
    CHECK(cx_sandbox_alloc(&h, NULL, 0, (size_t)-1) == NULL);
    cx_sandbox_heap open = {.limit = 0};
    CHECK(cx_sandbox_alloc(&open, NULL, 0, (size_t)-8) == NULL);
    void *d = cx_sandbox_alloc(&open, NULL, 0, 1 << 20);
    CHECK(d != NULL);
    cx_sandbox_alloc(&open, d, 1 << 20, 0);
}

/* An abandoned heap is freed whole (valgrind and ASan check nothing leaks). */
static void test_free_all(void)
{
    cx_sandbox_heap h = {.limit = 0};
    void *p[50];
    for (int i = 0; i < 50; i++)
        p[i] = cx_sandbox_alloc(&h, NULL, 0, (size_t)(16 + i * 100));
    p[10] = cx_sandbox_alloc(&h, p[10], 16 + 10 * 100, 50000); /* moved by realloc, still tracked */
    cx_sandbox_alloc(&h, p[20], 16 + 20 * 100, 0);
    CHECK(h.used > 50000);
    cx_sandbox_heap_free_all(&h);
    CHECK_INT(h.used, 0);
    CHECK(h.blocks == NULL);
}

/* Busy work the compiler cannot drop. */
static volatile unsigned long sink;

static void test_deadline_jumps_out_of_an_abortable_region(void)
{
    cx_sandbox_guard g;
    char err[256];
    int64_t t0 = cx_clock_now_ms();
    CHECK_INT(cx_sandbox_guard_arm(&g, 50, err, sizeof err), 0);
    int jumped = 0;
    if (sigsetjmp(g.checkpoint, 1) == 0) {
        g.abortable = 1;
        for (;;)
            sink++; /* a runaway "C library call" */
    } else {
        jumped = 1;
    }
    cx_sandbox_guard_disarm(&g);
    CHECK_INT(jumped, 1);
    CHECK_INT(g.expired, 1);
    CHECK(cx_clock_now_ms() - t0 >= 50);
}

static void test_deadline_only_flags_other_code(void)
{
    cx_sandbox_guard g;
    char err[256];
    CHECK_INT(cx_sandbox_guard_arm(&g, 20, err, sizeof err), 0);
    int jumped = 0;
    if (sigsetjmp(g.checkpoint, 1) == 0) {
        while (!g.expired) /* not abortable: the code itself notices (as the Lua hook does) */
            sink++;
    } else {
        jumped = 1;
    }
    cx_sandbox_guard_disarm(&g);
    CHECK_INT(jumped, 0);
    CHECK_INT(g.expired, 1);
}

/* Inside the allocator the jump waits: the block is allocated and tracked, then the allocator
 * takes the jump itself. */
static void test_jump_waits_for_the_allocator(void)
{
    cx_sandbox_guard g;
    cx_sandbox_heap h = {.limit = 0, .guard = &g};
    char err[256];
    CHECK_INT(cx_sandbox_guard_arm(&g, 10, err, sizeof err), 0);
    void *volatile got = NULL;
    int jumped = 0;
    if (sigsetjmp(g.checkpoint, 1) == 0) {
        g.abortable = 1;
        g.in_alloc = 1; /* as if the system allocator were running when the deadline passes */
        while (!g.expired)
            sink++;
        g.in_alloc = 0;
        got = cx_sandbox_alloc(&h, NULL, 0, 64); /* completes, then jumps */
        CHECK(0);                                /* not reached */
    } else {
        jumped = 1;
    }
    cx_sandbox_guard_disarm(&g);
    CHECK_INT(jumped, 1);
    CHECK(got == NULL);
    CHECK(h.blocks != NULL); /* the block was linked before the jump */
    CHECK_INT(h.used, 64);
    cx_sandbox_heap_free_all(&h);
}

static int stray_alarms;
static void count_alarm(int sig)
{
    (void)sig;
    stray_alarms++;
}

/* Disarming restores the previous SIGALRM handler, and no alarm of ours reaches it. */
static void test_disarm_restores(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_alarm;
    sigaction(SIGALRM, &sa, &old);
    cx_sandbox_guard g;
    char err[256];
    CHECK_INT(cx_sandbox_guard_arm(&g, 1, err, sizeof err), 0);
    int64_t t0 = cx_clock_now_ms();
    while (!g.expired && cx_clock_now_ms() - t0 < 5000)
        sink++;
    cx_sandbox_guard_disarm(&g);
    cx_sandbox_guard_disarm(&g); /* twice is harmless */
    CHECK_INT(stray_alarms, 0);
    struct sigaction now;
    sigaction(SIGALRM, NULL, &now);
    CHECK(now.sa_handler == count_alarm);
    sigaction(SIGALRM, &old, NULL);
}

static void test_clean_message(void)
{
    char out[64];
    const char *in = "a\nb\tc\x1b[31mred\x7f";
    cx_sandbox_clean_message(in, strlen(in), out, sizeof out);
    CHECK_STR(out, "a\\nb\\tc\\x1b[31mred\\x7f");
    /* Valid UTF-8 stays; C1 controls and stray bytes are escaped. */
    const char *utf = "caf\xc3\xa9 \xc2\x9b \xff";
    cx_sandbox_clean_message(utf, strlen(utf), out, sizeof out);
    CHECK_STR(out, "caf\xc3\xa9 \\xc2\\x9b \\xff");
    /* Long text is cut with "..." within the size, never inside an escape. */
    char big[1000];
    memset(big, 'y', sizeof big);
    big[5] = '\n';
    size_t n = cx_sandbox_clean_message(big, sizeof big, out, 16);
    CHECK_INT(n, 15);
    CHECK_STR(out, "yyyyy\\nyyyyy...");
    size_t m = cx_sandbox_clean_message("\x01\x02\x03", 3, out, 12);
    CHECK_STR(out, "\\x01\\x02...");
    CHECK_INT(m, 11);
    /* A NUL inside the message is escaped too. */
    cx_sandbox_clean_message("a\0b", 3, out, sizeof out);
    CHECK_STR(out, "a\\x00b");
}

int main(void)
{
    test_alloc_caps_growth();
    test_free_all();
    test_deadline_jumps_out_of_an_abortable_region();
    test_deadline_only_flags_other_code();
    test_jump_waits_for_the_allocator();
    test_disarm_restores();
    test_clean_message();
    return CHECK_DONE();
}
