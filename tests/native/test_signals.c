#include "check.h"
#include "fixture_procs.h"
#include "signals.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void (*handler_of(int signo))(int)
{
    struct sigaction sa;
    sigaction(signo, NULL, &sa);
    return sa.sa_handler;
}

/* Runs fn in a child process; returns its wait status. */
static int in_child(void (*fn)(void))
{
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

static void test_not_installed(void)
{
    CHECK(!cx_signals_installed());
    CHECK_INT(cx_signals_fd(), -1);
    CHECK_INT(cx_signals_pending(), 0);
    CHECK_INT(cx_signals_exit_code(), 0);
    cx_signals_defer(); /* nothing to defer: the process keeps its handling */
    CHECK(!cx_signals_deferring());
    cx_signals_drain();
    cx_signals_uninstall();
    CHECK_STR(cx_signals_name(SIGINT), "SIGINT");
    CHECK_STR(cx_signals_name(SIGTERM), "SIGTERM");
    CHECK_STR(cx_signals_name(SIGHUP), "SIGHUP");
    CHECK(cx_signals_name(SIGUSR1) == NULL);
}

static void raise_term_while_passing(void)
{
    char err[128];
    cx_signals_install(err, sizeof err);
    raise(SIGTERM);
    _exit(7); /* not reached: the default action ends the process */
}

static void second_signal_while_stopping(void)
{
    char err[128];
    cx_signals_install(err, sizeof err);
    cx_signals_defer();
    raise(SIGTERM);
    if (cx_signals_pending() != SIGTERM)
        _exit(3);
    raise(SIGHUP); /* a second HUP does not end a stop */
    if (cx_signals_pending() != SIGTERM)
        _exit(4);
    raise(SIGINT);
    _exit(5); /* not reached */
}

/* With the descriptor table full, install fails cleanly (and installs nothing). */
static void install_without_descriptors(void)
{
    struct rlimit rl = {64, 64};
    char err[128] = "";
    setrlimit(RLIMIT_NOFILE, &rl);
    while (open("/dev/null", O_RDONLY) >= 0) {
    }
    int rc = cx_signals_install(err, sizeof err);
    _exit(rc == -1 && strstr(err, "signal pipe") && !cx_signals_installed() ? 0 : 1);
}

static void test_processes(void)
{
    int st = in_child(raise_term_while_passing);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    st = in_child(second_signal_while_stopping);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);
    st = in_child(install_without_descriptors);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_record_and_wake(void)
{
    char err[128];
    void (*before)(int) = handler_of(SIGINT);
    CHECK_INT(cx_signals_install(err, sizeof err), 1);
    CHECK_INT(cx_signals_install(err, sizeof err), 0); /* idempotent */
    CHECK(cx_signals_installed());
    CHECK(!cx_signals_deferring());
    int fd = cx_signals_fd();
    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
    CHECK(!readable(fd));
    struct sigaction sa;
    sigaction(SIGINT, NULL, &sa);
    CHECK(sa.sa_handler != before);
    CHECK(!(sa.sa_flags & SA_RESTART));
    CHECK(sigismember(&sa.sa_mask, SIGTERM) && sigismember(&sa.sa_mask, SIGHUP));

    cx_signals_defer();
    CHECK(cx_signals_deferring());
    raise(SIGINT);
    CHECK_INT(cx_signals_pending(), SIGINT);
    CHECK_INT(cx_signals_exit_code(), 130);
    CHECK(readable(fd));
    raise(SIGHUP); /* after the first, nothing changes */
    CHECK_INT(cx_signals_pending(), SIGINT);
    cx_signals_drain();
    CHECK(!readable(fd));
    CHECK_INT(cx_signals_pending(), SIGINT); /* draining keeps the record */

    cx_signals_uninstall();
    CHECK(!cx_signals_installed());
    CHECK_INT(cx_signals_pending(), 0);
    CHECK_INT(cx_signals_fd(), -1);
    CHECK(handler_of(SIGINT) == before);
}

static void test_exit_codes(void)
{
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    const int codes[] = {130, 143, 129};
    char err[128];
    for (int i = 0; i < 3; i++) {
        CHECK_INT(cx_signals_install(err, sizeof err), 1);
        cx_signals_defer();
        raise(sigs[i]);
        CHECK_INT(cx_signals_pending(), sigs[i]);
        CHECK_INT(cx_signals_exit_code(), codes[i]);
        cx_signals_uninstall();
    }
}

/* nohup and `trap '' HUP` must keep working: an ignored signal stays ignored. */
static void test_ignored_stays_ignored(void)
{
    char err[128];
    signal(SIGHUP, SIG_IGN);
    CHECK_INT(cx_signals_install(err, sizeof err), 1);
    CHECK(handler_of(SIGHUP) == SIG_IGN);
    cx_signals_defer();
    raise(SIGHUP);
    CHECK_INT(cx_signals_pending(), 0);
    cx_signals_uninstall();
    CHECK(handler_of(SIGHUP) == SIG_IGN);
    signal(SIGHUP, SIG_DFL);
}

int main(void)
{
    int fds = count_open_fds();
    test_not_installed();
    test_processes();
    test_record_and_wake();
    test_exit_codes();
    test_ignored_stays_ignored();
    CHECK_INT(count_open_fds(), fds);
    CHECK(no_zombie_children());
    return CHECK_DONE();
}
