/* SIGINT/SIGTERM/SIGHUP handlers that record the first signal and wake the loop through a
 * self-pipe. Process-global state by necessity (see signals.h): dispositions are per process. */
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const int handled[] = {SIGINT, SIGTERM, SIGHUP};
#define NHANDLED (sizeof handled / sizeof handled[0])

/* The only global state of native/: what the handlers read and write, and what install replaced. */
static volatile sig_atomic_t is_installed, is_deferring, first_signo;
static int pipe_fds[2] = {-1, -1};
static struct sigaction saved[NHANDLED];
static int replaced[NHANDLED]; /* 0 where the signal was ignored at install and left alone */

/* Back to the default action, then raise: the signal is blocked while its handler runs, so it is
 * delivered (and ends the process) as soon as the handler returns. */
static void reraise(int signo)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(signo, &dfl, NULL);
    raise(signo);
}

static void on_signal(int signo)
{
    int saved_errno = errno;
    if (!is_deferring) {
        reraise(signo);
    } else if (!first_signo) {
        first_signo = signo;
        if (write(pipe_fds[1], "s", 1) < 0) {
            /* full or closed: the pending flag is what counts; a loop checks it before polling */
        }
    } else if (signo != SIGHUP) {
        reraise(signo); /* a second INT/TERM while stopping: the user wants out now */
    }
    errno = saved_errno;
}

int cx_signals_install(char *err, size_t errlen)
{
    if (is_installed)
        return 0;
    if (pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot create the signal pipe: %s", strerror(errno));
        pipe_fds[0] = pipe_fds[1] = -1;
        return -1;
    }
    first_signo = 0;
    is_deferring = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NHANDLED; i++)
        sigaddset(&sa.sa_mask, handled[i]); /* one handler at a time: first_signo is set once */
    sa.sa_flags = 0;                        /* no SA_RESTART, see signals.h */
    for (size_t i = 0; i < NHANDLED; i++) {
        replaced[i] = 0;
        if (sigaction(handled[i], NULL, &saved[i]) != 0 || saved[i].sa_handler == SIG_IGN)
            continue;
        replaced[i] = sigaction(handled[i], &sa, NULL) == 0;
    }
    is_installed = 1;
    return 1;
}

void cx_signals_uninstall(void)
{
    if (!is_installed)
        return;
    for (size_t i = 0; i < NHANDLED; i++)
        if (replaced[i])
            sigaction(handled[i], &saved[i], NULL);
    is_installed = 0;
    is_deferring = 0;
    first_signo = 0;
    for (int i = 0; i < 2; i++) {
        close(pipe_fds[i]);
        pipe_fds[i] = -1;
    }
}

int cx_signals_installed(void)
{
    return is_installed;
}

void cx_signals_defer(void)
{
    if (is_installed)
        is_deferring = 1;
}

int cx_signals_deferring(void)
{
    return is_deferring;
}

int cx_signals_pending(void)
{
    return first_signo;
}

int cx_signals_exit_code(void)
{
    return first_signo ? 128 + first_signo : 0;
}

const char *cx_signals_name(int signo)
{
    switch (signo) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGHUP:
        return "SIGHUP";
    default:
        return NULL;
    }
}

int cx_signals_fd(void)
{
    return is_installed ? pipe_fds[0] : -1;
}

void cx_signals_drain(void)
{
    char buf[64];
    if (!is_installed)
        return;
    while (read(pipe_fds[0], buf, sizeof buf) > 0) {
    }
}
