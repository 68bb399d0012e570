/* native/sandbox.c: the byte-capped allocator, the forked child's limits (deadline, CPU, output
 * cap, confinement), progress marks, and message cleaning. */
#include "check.h"
#include "sandbox.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void test_alloc_caps_growth(void)
{
    cx_sandbox_heap h = {.limit = 1000};
    char *a = cx_sandbox_alloc(&h, NULL, 5 /* a type tag, not a size */, 600);
    CHECK(a != NULL);
    CHECK_INT(h.used, 600);
    CHECK(cx_sandbox_alloc(&h, NULL, 0, 500) == NULL); /* 1100 > 1000 */
    CHECK_INT(h.refused, 1);
    CHECK_INT(h.used, 600);
    h.refused = 0;
    char *b = cx_sandbox_alloc(&h, a, 600, 900); /* growth in place of the old block */
    CHECK(b != NULL);
    CHECK_INT(h.used, 900);
    CHECK(cx_sandbox_alloc(&h, b, 900, 1001) == NULL);
    CHECK_INT(h.refused, 1);
    char *c = cx_sandbox_alloc(&h, b, 900, 100); /* shrinking always works */
    CHECK(c != NULL);
    CHECK_INT(h.used, 100);
    CHECK_INT(h.peak, 900);
    CHECK(cx_sandbox_alloc(&h, c, 100, 0) == NULL);
    CHECK_INT(h.used, 0);
    /* A request larger than the whole cap never wraps around. */
    CHECK(cx_sandbox_alloc(&h, NULL, 0, (size_t)-1) == NULL);
    cx_sandbox_heap open = {.limit = 0};
    void *d = cx_sandbox_alloc(&open, NULL, 0, 1 << 20);
    CHECK(d != NULL);
    cx_sandbox_alloc(&open, d, 1 << 20, 0);
}

static int child_answers(void *arg, int fd, cx_sandbox_progress *progress)
{
    progress->chunk = 2;
    progress->line = 17;
    const char *text = arg;
    return cx_sandbox_write_all(fd, text, strlen(text)) == 0 ? 3 : 9;
}

static void test_answer_and_exit_code(void)
{
    cx_sandbox_limits lim = {.wall_ms = 10000, .cpu_s = 5, .output_max = 1 << 20};
    cx_sandbox_outcome out;
    char err[256];
    CHECK_INT(cx_sandbox_run(&lim, child_answers, "the answer", &out, err, sizeof err), 0);
    CHECK_INT(out.status, CX_SANDBOX_EXITED);
    CHECK_INT(out.exit_code, 3);
    CHECK_STR(out.data, "the answer");
    CHECK_INT(out.len, 10);
    CHECK_INT(out.progress.chunk, 2);
    CHECK_INT(out.progress.line, 17);
    cx_sandbox_outcome_free(&out);
}

static int child_hangs(void *arg, int fd, cx_sandbox_progress *progress)
{
    (void)arg;
    (void)fd;
    progress->chunk = 1;
    progress->line = 4;
    for (;;)
        pause(); /* neither answers nor uses CPU: only the wall-clock deadline ends it */
    return 0;
}

static void test_deadline_kills(void)
{
    cx_sandbox_limits lim = {.wall_ms = 200, .cpu_s = 5, .output_max = 1024};
    cx_sandbox_outcome out;
    char err[256];
    CHECK_INT(cx_sandbox_run(&lim, child_hangs, NULL, &out, err, sizeof err), 0);
    CHECK_INT(out.status, CX_SANDBOX_TIMEOUT);
    CHECK_INT(out.progress.line, 4);
    CHECK(out.elapsed_ms >= 200);
    cx_sandbox_outcome_free(&out);
}

static int child_spins(void *arg, int fd, cx_sandbox_progress *progress)
{
    (void)arg;
    (void)fd;
    for (volatile unsigned long i = 0;; i++)
        progress->line = (int32_t)(i & 0xffff);
    return 0;
}

static void test_cpu_limit(void)
{
    /* The deadline is far away: RLIMIT_CPU (1 s) ends the spinning child. */
    cx_sandbox_limits lim = {.wall_ms = 30000, .cpu_s = 1, .output_max = 1024};
    cx_sandbox_outcome out;
    char err[256];
    CHECK_INT(cx_sandbox_run(&lim, child_spins, NULL, &out, err, sizeof err), 0);
    CHECK_INT(out.status, CX_SANDBOX_CPU);
    cx_sandbox_outcome_free(&out);
}

static int child_floods(void *arg, int fd, cx_sandbox_progress *progress)
{
    (void)arg;
    (void)progress;
    char block[4096];
    memset(block, 'x', sizeof block);
    for (;;)
        if (cx_sandbox_write_all(fd, block, sizeof block) != 0)
            return 1;
}

static void test_output_cap(void)
{
    cx_sandbox_limits lim = {.wall_ms = 10000, .cpu_s = 5, .output_max = 10000};
    cx_sandbox_outcome out;
    char err[256];
    CHECK_INT(cx_sandbox_run(&lim, child_floods, NULL, &out, err, sizeof err), 0);
    CHECK_INT(out.status, CX_SANDBOX_OUTPUT);
    CHECK(out.len <= 10000 + 8192);
    cx_sandbox_outcome_free(&out);
}

static int child_crashes(void *arg, int fd, cx_sandbox_progress *progress)
{
    (void)arg;
    (void)fd;
    (void)progress;
    raise(SIGSEGV);
    return 0;
}

static void test_crash_is_a_signal(void)
{
    cx_sandbox_limits lim = {.wall_ms = 10000, .cpu_s = 5, .output_max = 1024};
    cx_sandbox_outcome out;
    char err[256];
    CHECK_INT(cx_sandbox_run(&lim, child_crashes, NULL, &out, err, sizeof err), 0);
    CHECK_INT(out.status, CX_SANDBOX_SIGNALED);
    CHECK_INT(out.signo, SIGSEGV);
    cx_sandbox_outcome_free(&out);
}

/* The child reports its confinement: open fds, rlimits and a signal's disposition. */
static int child_reports(void *arg, int fd, cx_sandbox_progress *progress)
{
    (void)progress;
    int leaked = *(int *)arg;
    char text[256];
    struct rlimit fsize, core;
    getrlimit(RLIMIT_FSIZE, &fsize);
    getrlimit(RLIMIT_CORE, &core);
    struct sigaction sa;
    sigaction(SIGINT, NULL, &sa);
    int n = snprintf(text, sizeof text, "leaked_open=%d fsize=%ld core=%ld sigint_default=%d",
                     fcntl(leaked, F_GETFD) != -1, (long)fsize.rlim_cur, (long)core.rlim_cur,
                     sa.sa_handler == SIG_DFL);
    return cx_sandbox_write_all(fd, text, (size_t)n) == 0 ? 0 : 1;
}

static void test_child_is_confined(void)
{
    int fds[2];
    CHECK_INT(pipe(fds), 0); /* an fd the parent holds: the child must not inherit it */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGINT, &ign, &old);
    cx_sandbox_limits lim = {.wall_ms = 10000, .cpu_s = 5, .output_max = 1024};
    cx_sandbox_outcome out;
    char err[256];
    CHECK_INT(cx_sandbox_run(&lim, child_reports, &fds[0], &out, err, sizeof err), 0);
    sigaction(SIGINT, &old, NULL);
    CHECK_INT(out.status, CX_SANDBOX_EXITED);
    CHECK_STR(out.data, "leaked_open=0 fsize=0 core=0 sigint_default=1");
    cx_sandbox_outcome_free(&out);
    close(fds[0]);
    close(fds[1]);
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
    test_answer_and_exit_code();
    test_deadline_kills();
    test_cpu_limit();
    test_output_cap();
    test_crash_is_a_signal();
    test_child_is_confined();
    test_clean_message();
    return CHECK_DONE();
}
