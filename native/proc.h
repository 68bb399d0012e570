/* A child process in its own process group, wired to three non-blocking pipes. The mechanics only:
 * spawning, signalling the group and reaping. Driving the pipes is the event loop's job (loop.c).
 */
#ifndef CX_PROC_H
#define CX_PROC_H

#include <stddef.h>
#include <sys/types.h>

typedef struct cx_proc_spec {
    const char *const *argv; /* argv[0] is looked up on PATH when it has no '/'; NULL-terminated */
    const char *const
        *env_set; /* "NAME=value" entries added over the inherited environment, or NULL */
    const char *const *env_unset; /* names removed from the inherited environment, or NULL */
    const char *cwd;              /* working directory of the child, or NULL for ours */
} cx_proc_spec;

typedef struct cx_proc {
    pid_t pid;    /* also the process group id */
    int stdin_fd; /* our ends of the pipes, -1 once closed; non-blocking and close-on-exec */
    int stdout_fd;
    int stderr_fd;
    int pidfd;       /* readable when the child exits, or -1 where pidfd_open is unavailable */
    int reaped;      /* waitpid has collected the child */
    int wait_status; /* valid once reaped, unless status_lost */
    int status_lost; /* reaped by someone else (SIGCHLD ignored): exit status unknown */
} cx_proc;

/* Starts argv (never through a shell) in a new process group. Returns 0, or the errno of the
 * failure (ENOENT for a missing binary, ...) with a message in err; nothing is left open on
 * failure. */
int cx_proc_spawn(cx_proc *p, const cx_proc_spec *spec, char *err, size_t errlen);

/* Sends sig to the child's whole process group. Returns 0, or -1 when no member is left. */
int cx_proc_signal_group(const cx_proc *p, int sig);

/* Collects the child's exit status if it has exited (block = 0) or once it does (block = 1).
 * Returns 1 when reaped (now or before), 0 while it still runs, -1 on error. */
int cx_proc_reap(cx_proc *p, int block);

/* Closes whichever of our pipe ends and the pidfd are still open. */
void cx_proc_close_fds(cx_proc *p);
void cx_proc_close_fd(int *fd);

/* The blocking last resort used when tearing everything down: TERM the group, wait up to grace_ms
 * for the child, KILL the group, reap, close the fds. */
void cx_proc_terminate(cx_proc *p, int grace_ms);

/* Splits a reaped wait status: exit code (or -1) and terminating signal (or 0); -1 and 0 when
 * the status was lost. */
void cx_proc_status(const cx_proc *p, int *exit_code, int *signal);

#endif
