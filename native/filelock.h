/* Advisory locks on lock files (flock(2)), for data that several cx processes update: the task
 * store's writers' lock and the run-all lock. The lock belongs to the open file description, so it
 * is released by cx_filelock_release or by the holder's death (a crash, kill -9): it never outlives
 * its process. A lock file is opened without following symlinks and must be a regular file. Its
 * content is a short note the holder writes (who holds it), which others read without the lock.
 * Every failing call returns a negative cx_filelock_status and writes a message naming the path. */
#ifndef CX_FILELOCK_H
#define CX_FILELOCK_H

#include <stddef.h>

typedef enum cx_filelock_status {
    CX_FILELOCK_OK = 0,
    CX_FILELOCK_BUSY = -1,        /* another open file description holds a conflicting lock */
    CX_FILELOCK_NOT_FOUND = -2,   /* ENOENT, ENOTDIR */
    CX_FILELOCK_PERMISSION = -3,  /* EACCES, EPERM, EROFS */
    CX_FILELOCK_INVALID = -4,     /* a symlink, not a regular file, or a bad argument */
    CX_FILELOCK_INTERRUPTED = -5, /* a signal arrived while waiting */
    CX_FILELOCK_IO = -6,          /* anything else the OS reports */
} cx_filelock_status;

/* The largest note cx_filelock_read_note returns (longer notes are cut). */
#define CX_FILELOCK_NOTE_MAX 4096

/* "busy", "not_found", "permission", "invalid", "interrupted", "io" (the Lua error class). */
const char *cx_filelock_status_class(int status);

/* Opens (creating it, mode 0644) the lock file at path and takes an exclusive or shared lock.
 * wait = 0 returns CX_FILELOCK_BUSY at once when the lock is held; otherwise it blocks until the
 * lock is free or a signal interrupts the wait. On success *fd is the descriptor holding it. */
int cx_filelock_acquire(const char *path, int exclusive, int wait, int *fd, char *err,
                        size_t errlen);

/* Replaces the lock file's content with note (the holder's identity). */
int cx_filelock_write_note(int fd, const char *note, size_t len, char *err, size_t errlen);

/* Reads at most CX_FILELOCK_NOTE_MAX bytes of the lock file's content into out (outlen >=
 * CX_FILELOCK_NOTE_MAX + 1, NUL-terminated); *len is the byte count. Takes no lock. */
int cx_filelock_read_note(const char *path, char *out, size_t outlen, size_t *len, char *err,
                          size_t errlen);

/* Releases the lock and closes fd (-1 is ignored). */
void cx_filelock_release(int fd);

/* 1 when a process with this pid exists (kill(pid, 0) succeeds or says EPERM), else 0. */
int cx_filelock_pid_alive(long pid);

#endif
