/* The append-only JSONL run log: the writer (one row per write(2) under an exclusive flock, with
 * repair of a row torn by a killed writer), a reverse tail reader that reads only the end of the
 * file, and a forward streaming reader. Plain C; the Lua binding is native/lua_runlog.c.
 *
 * Readers take a shared flock just long enough to note the file's size, so they never see half of a
 * row that a writer is appending; they read the file as it was at that moment. A line's text never
 * includes its '\n' nor a '\r' just before it.
 *
 * Every open goes through cx_fs_open (native/fs.h): the log must be a regular file (a FIFO, device
 * or directory is an error naming it, never a hang) and nothing under .codex/ is followed through
 * a symbolic link; a path outside .codex/ (`--log PATH`) may be a symlink. */
#ifndef CX_RUNLOG_H
#define CX_RUNLOG_H

#include <stddef.h>
#include <stdint.h>

/* Return codes (negative = failure; errbuf names the path and the OS error). */
enum {
    CX_RUNLOG_OK = 0,
    CX_RUNLOG_EIO = -1,    /* any OS error other than a missing file */
    CX_RUNLOG_ENOENT = -2, /* the file (or a parent directory) does not exist */
    CX_RUNLOG_EINVAL = -3, /* the row is not one line (contains '\n') */
    CX_RUNLOG_NOMEM = -4,  /* allocation failed */
};

/* Append `line` (len bytes, no '\n') plus '\n' to path, creating the parent directories (0755) and
 * the file (0644). Concurrent appenders (threads or processes) never interleave rows. */
int cx_runlog_append(const char *path, const char *line, size_t len, char *errbuf, size_t errlen);

/* Hold the writers' lock for a critical section (rewriting the log in place): open the existing
 * file read-only and take the exclusive flock that cx_runlog_append takes, so every appender waits
 * until cx_runlog_unlock. Creates nothing: a missing file is CX_RUNLOG_ENOENT. If path is replaced
 * while waiting, the lock is taken on the new file instead. An appender that was waiting on a file
 * the holder then renamed a replacement over appends to the replacement, so no row is lost.
 * Readers keep their rule: they wait for the shared lock at most about 2 s, then read without it.
 */
int cx_runlog_lock(const char *path, int *fd, char *errbuf, size_t errlen);
/* Release the lock (closes fd; -1 is ignored). */
void cx_runlog_unlock(int fd);

/* Open path for reading as a snapshot: its size is noted under a brief shared lock (waiting at
 * most about 2 s for an appender), so reading up to *size sees whole rows only. A path that is not
 * a regular file is refused (CX_RUNLOG_EIO). The caller closes *fd. */
int cx_runlog_open_snapshot(const char *path, int *fd, uint64_t *size, char *errbuf, size_t errlen);

/* pread exactly len bytes at off (retrying short reads): 0, or -1 with errno (EIO when the file
 * ends before: a run log is append-only, so it shrank under us). */
int cx_runlog_read_exact(int fd, char *p, size_t len, uint64_t off);

/* The file's size in bytes. */
int cx_runlog_size(const char *path, uint64_t *size, char *errbuf, size_t errlen);

/* One line handed out by a reader: NUL-terminated at text[len], valid until the reader moves on. */
typedef struct cx_runlog_line {
    const char *text;
    size_t len;
    uint64_t offset; /* byte offset of the line's first byte in the file */
    uint64_t lineno; /* 1-based, counted from the reader's start offset */
    int torn;        /* the final line of the file, with no '\n' after it */
} cx_runlog_line;

/* The last non-blank lines of a file (blank = empty or only spaces, tabs, '\r', '\v', '\f'). */
typedef struct cx_runlog_tail_result {
    cx_runlog_line *lines; /* in file order; lineno is 0 (unknown when reading backwards) */
    size_t count;
    int torn;            /* the last line returned had no '\n' after it */
    uint64_t bytes_read; /* how much of the file was read */
    char *buf_;          /* owns the text of the lines */
} cx_runlog_tail_result;

/* Fill out with the last n non-blank lines of path, reading the file backwards in blocks of
 * block_size bytes (0 = the default, 64 KiB). Free with cx_runlog_tail_free, also after a failure.
 */
int cx_runlog_tail(const char *path, size_t n, size_t block_size, cx_runlog_tail_result *out,
                   char *errbuf, size_t errlen);
/* The same over the part of the file before byte offset `before` (a line's start, as a line's
 * offset field gives it): a reader walks back through a log batch by batch. */
int cx_runlog_tail_before(const char *path, uint64_t before, size_t n, size_t block_size,
                          cx_runlog_tail_result *out, char *errbuf, size_t errlen);
void cx_runlog_tail_free(cx_runlog_tail_result *t);

/* The 1-based line numbers of the rows starting at byte offsets[0..n) (ascending) of path: one
 * pass counting '\n' up to the last offset (an offset past the end gets the line after the last).
 * The cost is linear in the last offset, so callers bound it. */
int cx_runlog_line_numbers(const char *path, const uint64_t *offsets, size_t n, uint64_t *lines,
                           char *errbuf, size_t errlen);

/* The forward reader: every physical line from a start offset to the end of the file (blank lines
 * included), in bounded memory apart from the longest line. Starting mid-line yields the rest of
 * that line first. */
typedef struct cx_runlog_reader cx_runlog_reader;

/* block_size 0 = the default (64 KiB). */
int cx_runlog_reader_open(const char *path, uint64_t offset, size_t block_size,
                          cx_runlog_reader **out, char *errbuf, size_t errlen);
/* The same reader over the file whose lock fd (from cx_runlog_lock) holds, read to its current end
 * without taking the shared lock (it would wait for our own exclusive one). fd stays the caller's;
 * path names the file in messages. */
int cx_runlog_reader_open_locked(int fd, const char *path, uint64_t offset, size_t block_size,
                                 cx_runlog_reader **out, char *errbuf, size_t errlen);
/* 1 = a line in *line, 0 = end of file, negative = failure. */
int cx_runlog_reader_next(cx_runlog_reader *r, cx_runlog_line *line, char *errbuf, size_t errlen);
void cx_runlog_reader_close(cx_runlog_reader *r);

#endif
