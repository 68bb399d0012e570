/* SIGINT, SIGTERM and SIGHUP as events: the handlers record the first signal and write a byte to a
 * self-pipe that the event loop polls, so a wait wakes at once and the caller can stop its work
 * cleanly (cancel the children's process groups, write the row of the interrupted run, exit
 * 128+signo).
 *
 * Signal dispositions belong to the whole process, so this file keeps process-global state: it is
 * the one exception to "no global state" in native/. Nothing changes until cx_signals_install is
 * called (the `cx` command line does; a Lua program that requires cx does not, unless it opts in).
 *
 * Two phases after install:
 *   - passing (the default): a signal ends the process by its default action, as if nothing were
 *     installed. A command with no children and nothing half-written simply stops.
 *   - deferring (cx_signals_defer, called before the first job starts): the first signal is only
 *     recorded (cx_signals_pending) and wakes every loop; a second SIGINT or SIGTERM while it is
 *     pending restores the default action and re-raises it: the process ends at once.
 * A signal that was ignored when install ran (nohup, `trap '' INT`) stays ignored. */
#ifndef CX_SIGNALS_H
#define CX_SIGNALS_H

#include <stddef.h>

/* Creates the self-pipe (non-blocking, close-on-exec) and installs the handlers (no SA_RESTART:
 * a blocking read of a terminal or pipe returns EINTR instead of hiding the signal; native code
 * that must finish a write retries on EINTR). Returns 1 when it installed, 0 when already
 * installed, -1 with a message in err. */
int cx_signals_install(char *err, size_t errlen);
/* Restores the dispositions found at install, closes the pipe, forgets any pending signal. */
void cx_signals_uninstall(void);
int cx_signals_installed(void);
/* Enter the deferring phase (no effect when not installed). There is no way back but uninstall. */
void cx_signals_defer(void);
int cx_signals_deferring(void);
/* The first signal recorded while deferring, or 0. */
int cx_signals_pending(void);
/* 128 + the pending signal (130 SIGINT, 143 SIGTERM, 129 SIGHUP), or 0 when none is pending. */
int cx_signals_exit_code(void);
/* "SIGINT", "SIGTERM", "SIGHUP" for the handled signals, else NULL. */
const char *cx_signals_name(int signo);
/* The read end of the self-pipe (readable once a signal was recorded), or -1 when not installed. */
int cx_signals_fd(void);
/* Empties the pipe (the pending signal stays recorded). */
void cx_signals_drain(void);

#endif
