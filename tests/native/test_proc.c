#include "buf.h"
#include "check.h"
#include "proc.h"
#include "fixture_procs.h"
#include "signals.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Reads stdout and stderr to EOF (stdin closed first), then reaps. */
static void drain(cx_proc *p, cx_buf *out, cx_buf *err)
{
    cx_proc_close_fd(&p->stdin_fd);
    while (p->stdout_fd >= 0 || p->stderr_fd >= 0) {
        struct pollfd fds[2] = {{.fd = p->stdout_fd, .events = POLLIN},
                                {.fd = p->stderr_fd, .events = POLLIN}};
        if (poll(fds, 2, 5000) <= 0)
            break;
        int *fdp[2] = {&p->stdout_fd, &p->stderr_fd};
        cx_buf *bufs[2] = {out, err};
        for (int i = 0; i < 2; i++) {
            if (!fds[i].revents)
                continue;
            char chunk[4096];
            ssize_t n = read(*fdp[i], chunk, sizeof chunk);
            if (n > 0)
                cx_buf_append(bufs[i], chunk, (size_t)n);
            else if (n == 0 || errno != EAGAIN)
                cx_proc_close_fd(fdp[i]);
        }
    }
    cx_proc_reap(p, 1);
    cx_proc_close_fds(p);
}

static void test_output_and_status(void)
{
    const char *argv[] = {"sh", "-c", "printf out; printf err >&2; exit 3", NULL};
    cx_proc_spec spec = {.argv = argv};
    cx_proc p;
    char err[256];
    CHECK_INT(cx_proc_spawn(&p, &spec, err, sizeof err), 0);
    CHECK(p.pid > 0);
    CHECK_INT(getpgid(p.pid), p.pid);
    cx_buf o, e;
    cx_buf_init(&o);
    cx_buf_init(&e);
    drain(&p, &o, &e);
    CHECK_STR(o.data, "out");
    CHECK_STR(e.data, "err");
    int code, sig;
    cx_proc_status(&p, &code, &sig);
    CHECK_INT(code, 3);
    CHECK_INT(sig, 0);
    cx_buf_free(&o);
    cx_buf_free(&e);
}

static void test_env_cwd_and_fds(void)
{
    setenv("CX_TEST_KEEP", "kept", 1);
    setenv("CX_TEST_DROP", "dropped", 1);
    setenv("CX_TEST_OVER", "old", 1);
    const char *argv[] = {
        "sh", "-c",
        "echo \"$CX_TEST_KEEP/${CX_TEST_DROP-unset}/$CX_TEST_OVER/$CX_TEST_NEW\"; "
        "pwd; ls /proc/self/fd | wc -l",
        NULL};
    const char *set[] = {"CX_TEST_OVER=new", "CX_TEST_NEW=fresh", NULL};
    const char *unset[] = {"CX_TEST_DROP", NULL};
    cx_proc_spec spec = {.argv = argv, .env_set = set, .env_unset = unset, .cwd = "/tmp"};
    cx_proc p;
    char err[256];
    CHECK_INT(cx_proc_spawn(&p, &spec, err, sizeof err), 0);
    cx_buf o, e;
    cx_buf_init(&o);
    cx_buf_init(&e);
    drain(&p, &o, &e);
    /* ls sees 0, 1, 2 and its own directory handle: nothing of ours leaked. */
    CHECK_STR(o.data, "kept/unset/new/fresh\n/tmp\n4\n");
    cx_buf_free(&o);
    cx_buf_free(&e);
}

static void test_spawn_failures(void)
{
    int before = count_open_fds();
    const char *argv[] = {"/nonexistent/cx-no-such-binary", NULL};
    cx_proc_spec spec = {.argv = argv};
    cx_proc p;
    char err[256];
    CHECK_INT(cx_proc_spawn(&p, &spec, err, sizeof err), ENOENT);
    CHECK(strstr(err, "No such file or directory") != NULL);
    CHECK(strstr(err, "os error 2") != NULL);
    const char *path_argv[] = {"cx-no-such-binary-on-path", NULL};
    spec.argv = path_argv;
    CHECK_INT(cx_proc_spawn(&p, &spec, err, sizeof err), ENOENT);
    const char *sh[] = {"sh", "-c", "true", NULL};
    cx_proc_spec bad_cwd = {.argv = sh, .cwd = "/nonexistent-dir"};
    CHECK_INT(cx_proc_spawn(&p, &bad_cwd, err, sizeof err), ENOENT);
    const char *empty[] = {NULL};
    spec.argv = empty;
    CHECK_INT(cx_proc_spawn(&p, &spec, err, sizeof err), EINVAL);
    CHECK_INT(count_open_fds(), before);
}

static void test_terminate_kills_the_group(void)
{
    /* The child leaves a background grandchild in its group and reports its pid. */
    const char *argv[] = {"sh", "-c", "sleep 300 & echo $!; exec sleep 300", NULL};
    cx_proc_spec spec = {.argv = argv};
    cx_proc p;
    char err[256];
    CHECK_INT(cx_proc_spawn(&p, &spec, err, sizeof err), 0);
    char line[64] = {0};
    size_t got = 0;
    while (got < sizeof line - 1 && !strchr(line, '\n')) {
        struct pollfd pfd = {.fd = p.stdout_fd, .events = POLLIN};
        if (poll(&pfd, 1, 5000) <= 0)
            break;
        ssize_t n = read(p.stdout_fd, line + got, sizeof line - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    pid_t grandchild = (pid_t)atoi(line);
    CHECK(grandchild > 0);
    CHECK_INT(cx_proc_reap(&p, 0), 0);
    cx_proc_terminate(&p, 2000);
    CHECK_INT(p.reaped, 1);
    int code, sig;
    cx_proc_status(&p, &code, &sig);
    CHECK_INT(sig, SIGTERM);
    CHECK(wait_process_gone(grandchild, 2000));
    CHECK_INT(p.stdout_fd, -1);
    CHECK_INT(p.pidfd, -1);
}

static void test_status_lost_when_sigchld_ignored(void)
{
    signal(SIGCHLD, SIG_IGN); /* the kernel reaps our children itself */
    const char *argv[] = {"true", NULL};
    cx_proc_spec spec = {.argv = argv};
    cx_proc p;
    char err[256];
    CHECK_INT(cx_proc_spawn(&p, &spec, err, sizeof err), 0);
    CHECK_INT(cx_proc_reap(&p, 1), 1);
    CHECK_INT(p.status_lost, 1);
    int code, sig;
    cx_proc_status(&p, &code, &sig);
    CHECK_INT(code, -1);
    CHECK_INT(sig, 0);
    cx_proc_close_fds(&p);
    signal(SIGCHLD, SIG_DFL);
}

/* Whatever we catch, ignore or block, the child starts with default dispositions and an empty
 * mask: it reads its own signal state from /proc (no shell in between). */
static void test_child_signal_state(void)
{
    char err[256];
    CHECK_INT(cx_signals_install(err, sizeof err), 1);
    cx_signals_defer();
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);
    signal(SIGQUIT, SIG_IGN);
    const char *argv[] = {"grep", "-E", "^Sig(Blk|Ign|Cgt):", "/proc/self/status", NULL};
    cx_proc_spec spec = {.argv = argv};
    cx_proc p;
    CHECK_INT(cx_proc_spawn(&p, &spec, err, sizeof err), 0);
    cx_buf o, e;
    cx_buf_init(&o);
    cx_buf_init(&e);
    drain(&p, &o, &e);
    /* Signals 1-31 (glibc keeps its internal 32 and 33 ignored across posix_spawn); handlers
     * never survive exec, so SigCgt is the program's own. */
    unsigned long long blk = ~0ULL, ign = ~0ULL;
    CHECK(o.data && sscanf(o.data, "SigBlk:\t%llx\nSigIgn:\t%llx", &blk, &ign) == 2);
    CHECK_INT(blk, 0);
    CHECK_INT(ign & 0x7fffffffULL, 0);
    cx_buf_free(&o);
    cx_buf_free(&e);
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGQUIT, SIG_DFL);
    cx_signals_uninstall();
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    int before = count_open_fds();
    test_output_and_status();
    test_env_cwd_and_fds();
    test_spawn_failures();
    test_terminate_kills_the_group();
    test_status_lost_when_sigchld_ignored();
    test_child_signal_state();
    CHECK_INT(count_open_fds(), before);
    CHECK(no_zombie_children());
    return CHECK_DONE();
}
