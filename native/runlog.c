/* The run log: append one row per write(2) under flock, repair torn rows, read the tail backwards
 * and the body forwards. See runlog.h and docs/runlog.md for the guarantees. */
#include "runlog.h"

#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_BLOCK ((size_t)64 * 1024)

static int fail(char *errbuf, size_t errlen, int code, const char *fmt, ...)
{
    if (errbuf && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* "cannot <what> <path>: <OS error>", classed as a missing file or a plain I/O failure. */
static int os_fail(char *errbuf, size_t errlen, int err, const char *what, const char *path)
{
    int code = err == ENOENT ? CX_RUNLOG_ENOENT : CX_RUNLOG_EIO;
    return fail(errbuf, errlen, code, "cannot %s %s: %s", what, path, strerror(err));
}

static int lock_fd(int fd, int how)
{
    while (flock(fd, how) != 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Writer */

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Under the lock: the row, preceded by '\n' when a killed writer left the file without one, goes
 * out in one write so no reader or other writer can see the repair without the row. A failed write
 * is cut back off so the file never keeps half a row of ours. */
static int append_locked(int fd, const char *path, const char *line, size_t len, char *errbuf,
                         size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return os_fail(errbuf, errlen, errno, "stat", path);
    char last = '\n';
    errno = 0;
    if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)
        return os_fail(errbuf, errlen, errno ? errno : EIO, "read the end of", path);
    size_t pre = last != '\n';
    char *row = malloc(pre + len + 1);
    if (!row)
        return fail(errbuf, errlen, CX_RUNLOG_NOMEM, "out of memory for a row of %s", path);
    row[0] = '\n';
    memcpy(row + pre, line, len);
    row[pre + len] = '\n';
    int rc = CX_RUNLOG_OK;
    if (write_all(fd, row, pre + len + 1) != 0) {
        rc = os_fail(errbuf, errlen, errno, "append to", path);
        if (ftruncate(fd, st.st_size) != 0) {
            /* nothing more to do: the next append repairs the torn row */
        }
    }
    free(row);
    return rc;
}

/* How often a writer or a lock holder reopens the log because it was replaced while it waited for
 * the lock before giving up: each retry means another `logs migrate --in-place` finished meanwhile,
 * so this is never reached in practice, but a loop of replacements must not hang a writer. */
#define REPLACED_RETRIES 64

/* 1 = fd is the file path names now, 0 = path names another file or none (it was renamed over or
 * removed), -1 = an OS error in errno. A symlink put in its place is caught by the reopen. */
static int still_at_path(int fd, const char *path)
{
    struct stat held, now;
    if (fstat(fd, &held) != 0)
        return -1;
    if (stat(path, &now) != 0)
        return errno == ENOENT ? 0 : -1;
    return held.st_dev == now.st_dev && held.st_ino == now.st_ino;
}

/* Open the log through cx_fs_open: a regular file only (a FIFO, device or directory is an error
 * naming it, never a hang), and no symlink followed under .codex/ (docs/security.md). A run log
 * named by the user outside .codex/ (--log PATH) may be a symlink. create: O_CREAT and the
 * missing parent directories, for writers. */
static int open_log(const char *path, int flags, int create, int *fd, char *errbuf, size_t errlen)
{
    unsigned opts = CX_FS_FOLLOW | (create ? CX_FS_MKDIRS : 0);
    int st = cx_fs_open(path, flags, opts, fd, errbuf, errlen);
    if (st == CX_FS_OK)
        return CX_RUNLOG_OK;
    if (st == CX_FS_NOMEM)
        return CX_RUNLOG_NOMEM;
    return st == CX_FS_NOT_FOUND && !create ? CX_RUNLOG_ENOENT : CX_RUNLOG_EIO;
}

/* Open path (creating it and its parents when create is set) and take the exclusive lock on the
 * file that path names once the lock is ours. A replacement renamed over path while we waited
 * leaves us holding the lock of an orphaned inode, whose rows nobody would ever read: we then drop
 * it and start again on the new file. */
static int open_locked(const char *path, int create, int *fd_out, char *errbuf, size_t errlen)
{
    /* O_RDWR for a writer: the torn-row check reads the last byte. A lock holder only reads. */
    int flags = create ? O_RDWR | O_APPEND | O_CREAT : O_RDONLY;
    for (int attempt = 0; attempt < REPLACED_RETRIES; attempt++) {
        int fd;
        int rc = open_log(path, flags, create, &fd, errbuf, errlen);
        if (rc != CX_RUNLOG_OK)
            return rc;
        if (lock_fd(fd, LOCK_EX) != 0) {
            int err = errno;
            close(fd);
            return os_fail(errbuf, errlen, err, "lock", path);
        }
        int same = still_at_path(fd, path);
        if (same == 1) {
            *fd_out = fd;
            return CX_RUNLOG_OK;
        }
        int err = errno;
        close(fd);
        if (same < 0)
            return os_fail(errbuf, errlen, err, "stat", path);
    }
    return fail(errbuf, errlen, CX_RUNLOG_EIO,
                "cannot lock %s: it was replaced %d times while waiting for its lock", path,
                REPLACED_RETRIES);
}

int cx_runlog_append(const char *path, const char *line, size_t len, char *errbuf, size_t errlen)
{
    if (memchr(line, '\n', len))
        return fail(errbuf, errlen, CX_RUNLOG_EINVAL, "row for %s contains a newline", path);
    int fd;
    int rc = open_locked(path, 1, &fd, errbuf, errlen);
    if (rc != CX_RUNLOG_OK)
        return rc;
    rc = append_locked(fd, path, line, len, errbuf, errlen);
    if (close(fd) != 0 && rc == CX_RUNLOG_OK) /* closing releases the lock */
        rc = os_fail(errbuf, errlen, errno, "close", path);
    return rc;
}

int cx_runlog_lock(const char *path, int *fd, char *errbuf, size_t errlen)
{
    *fd = -1;
    return open_locked(path, 0, fd, errbuf, errlen); /* a regular file: open_log checked */
}

void cx_runlog_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* the only descriptor of its open file: closing it releases the lock */
}

int cx_runlog_size(const char *path, uint64_t *size, char *errbuf, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return os_fail(errbuf, errlen, errno, "stat", path);
    *size = (uint64_t)st.st_size;
    return CX_RUNLOG_OK;
}

int cx_runlog_line_numbers(const char *path, const uint64_t *offsets, size_t n, uint64_t *lines,
                           char *errbuf, size_t errlen)
{
    for (size_t i = 1; i < n; i++)
        if (offsets[i] < offsets[i - 1])
            return fail(errbuf, errlen, CX_RUNLOG_EINVAL,
                        "line numbers of %s: offsets not ascending", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return os_fail(errbuf, errlen, errno, "open", path);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int rc = fail(errbuf, errlen, CX_RUNLOG_EIO, "cannot read %s: not a regular file", path);
        close(fd);
        return rc;
    }
    char buf[1 << 16];
    uint64_t done = 0, count = 0;
    size_t next = 0;
    while (next < n) {
        if (offsets[next] <= done) { /* counted up to here: its number is known */
            lines[next++] = count + 1;
            continue;
        }
        size_t want = sizeof buf;
        if (offsets[next] - done < want)
            want = (size_t)(offsets[next] - done);
        ssize_t got = pread(fd, buf, want, (off_t)done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int rc = os_fail(errbuf, errlen, errno, "read", path);
            close(fd);
            return rc;
        }
        if (got == 0) { /* the file is shorter: the rest lie past its end */
            while (next < n)
                lines[next++] = count + 1;
            break;
        }
        for (const char *p = buf, *end = buf + got; (p = memchr(p, '\n', (size_t)(end - p))); p++)
            count++;
        done += (uint64_t)got;
    }
    close(fd);
    return CX_RUNLOG_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Readers */

/* A shared lock for a reader, waiting at most about READER_LOCK_WAIT_MS: an appender holds the
 * lock for microseconds, so a longer wait means a stopped writer, and a reader (diagnostics in CI)
 * must not hang on it. Without the lock a reader at worst sees a torn final line, which it reports.
 */
#define READER_LOCK_WAIT_MS 2000

static int reader_lock(int fd)
{
    for (int waited = 0;; waited++) {
        if (flock(fd, LOCK_SH | LOCK_NB) == 0)
            return 1;
        if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= READER_LOCK_WAIT_MS)
            return 0;
        struct timespec ms = {0, 1000 * 1000};
        nanosleep(&ms, NULL);
    }
}

/* Open for reading and note the size under a shared lock, so the snapshot ends on a row boundary:
 * appenders hold the exclusive lock for the whole of their write. A file system without flock only
 * loses that guarantee. */
int cx_runlog_open_snapshot(const char *path, int *fd_out, uint64_t *size, char *errbuf,
                            size_t errlen)
{
    int fd;
    int rc = open_log(path, O_RDONLY, 0, &fd, errbuf, errlen);
    if (rc != CX_RUNLOG_OK)
        return rc;
    int locked = reader_lock(fd);
    struct stat st;
    if (fstat(fd, &st) != 0)
        rc = os_fail(errbuf, errlen, errno, "stat", path);
    if (locked)
        lock_fd(fd, LOCK_UN);
    if (rc != CX_RUNLOG_OK) {
        close(fd);
        return rc;
    }
    *fd_out = fd;
    *size = (uint64_t)st.st_size;
    return CX_RUNLOG_OK;
}

int cx_runlog_read_exact(int fd, char *p, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO; /* the file shrank under us: a log is append-only */
            return -1;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!strchr(" \t\r\v\f", s[i]) || s[i] == '\0')
            return 0;
    }
    return 1;
}

/* The tail's working state: file bytes [cur, size) sit at buf[start, cap), with one spare byte at
 * buf[cap] for the NUL after a final line. Lines are kept as offsets until the end, since the
 * buffer moves as it grows backwards. */
typedef struct tail_scan {
    char *buf;
    size_t cap, start;
    uint64_t cur, size;
    size_t room; /* capacity of out->lines */
} tail_scan;

/* Make room for k more bytes in front of the data. */
static int tail_grow(tail_scan *s, size_t k)
{
    if (s->start >= k)
        return 0;
    size_t have = s->cap - s->start;
    size_t cap = s->cap * 2 > have + k ? s->cap * 2 : have + k;
    char *nb = malloc(cap + 1);
    if (!nb)
        return -1;
    memcpy(nb + cap - have, s->buf + s->start, have + 1);
    free(s->buf);
    s->buf = nb;
    s->cap = cap;
    s->start = cap - have;
    return 0;
}

/* Record file bytes [from, to) as a line unless blank. Returns -1 when out of memory. */
static int tail_take(tail_scan *s, cx_runlog_tail_result *out, uint64_t from, uint64_t to)
{
    const char *p = s->buf + s->start + (from - s->cur);
    size_t len = (size_t)(to - from);
    if (len > 0 && p[len - 1] == '\r')
        len--;
    if (is_blank(p, len))
        return 0;
    if (out->count == s->room) {
        size_t room = s->room ? s->room * 2 : 16;
        cx_runlog_line *nl = realloc(out->lines, room * sizeof *nl);
        if (!nl)
            return -1;
        out->lines = nl;
        s->room = room;
    }
    cx_runlog_line *l = &out->lines[out->count++];
    memset(l, 0, sizeof *l);
    l->offset = from;
    l->len = len;
    l->torn = to == s->size;
    return 0;
}

/* Walk backwards from the end, one block at a time, until n non-blank lines are complete (the '\n'
 * before the oldest is seen) or the start of the file is reached. */
static int tail_scan_lines(tail_scan *s, int fd, size_t n, size_t block, cx_runlog_tail_result *out,
                           const char *path, char *errbuf, size_t errlen)
{
    uint64_t line_end = s->size, scanned = s->size;
    while (out->count < n) {
        if (scanned == s->cur) {
            if (s->cur == 0) {
                if (tail_take(s, out, 0, line_end) != 0)
                    return fail(errbuf, errlen, CX_RUNLOG_NOMEM, "out of memory reading %s", path);
                break;
            }
            size_t k = s->cur < block ? (size_t)s->cur : block;
            if (tail_grow(s, k) != 0)
                return fail(errbuf, errlen, CX_RUNLOG_NOMEM, "out of memory reading %s", path);
            if (cx_runlog_read_exact(fd, s->buf + s->start - k, k, s->cur - k) != 0)
                return os_fail(errbuf, errlen, errno, "read", path);
            s->start -= k;
            s->cur -= k;
            out->bytes_read += k;
        }
        const char *base = s->buf + s->start;
        const char *nl = memrchr(base, '\n', (size_t)(scanned - s->cur));
        if (!nl) {
            scanned = s->cur;
            continue;
        }
        uint64_t at = s->cur + (uint64_t)(nl - base);
        if (tail_take(s, out, at + 1, line_end) != 0)
            return fail(errbuf, errlen, CX_RUNLOG_NOMEM, "out of memory reading %s", path);
        line_end = at;
        scanned = at;
    }
    return CX_RUNLOG_OK;
}

/* Lines were found newest first: put them in file order and point them into the buffer. */
static void tail_finish(tail_scan *s, cx_runlog_tail_result *out)
{
    for (size_t i = 0, j = out->count; i < j / 2; i++) {
        cx_runlog_line t = out->lines[i];
        out->lines[i] = out->lines[j - 1 - i];
        out->lines[j - 1 - i] = t;
    }
    for (size_t i = 0; i < out->count; i++) {
        char *p = s->buf + s->start + (out->lines[i].offset - s->cur);
        p[out->lines[i].len] = '\0';
        out->lines[i].text = p;
    }
    out->torn = out->count > 0 && out->lines[out->count - 1].torn;
    out->buf_ = s->buf;
    s->buf = NULL;
}

int cx_runlog_tail(const char *path, size_t n, size_t block_size, cx_runlog_tail_result *out,
                   char *errbuf, size_t errlen)
{
    return cx_runlog_tail_before(path, UINT64_MAX, n, block_size, out, errbuf, errlen);
}

int cx_runlog_tail_before(const char *path, uint64_t before, size_t n, size_t block_size,
                          cx_runlog_tail_result *out, char *errbuf, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t block = block_size ? block_size : DEFAULT_BLOCK;
    int fd;
    tail_scan s = {0};
    int rc = cx_runlog_open_snapshot(path, &fd, &s.size, errbuf, errlen);
    if (rc != CX_RUNLOG_OK)
        return rc;
    if (before < s.size)
        s.size = before;
    s.cur = s.size;
    if (n > 0 && s.size > 0) {
        s.cap = block;
        s.start = block;
        s.buf = malloc(block + 1);
        if (!s.buf)
            rc = fail(errbuf, errlen, CX_RUNLOG_NOMEM, "out of memory reading %s", path);
        else
            rc = tail_scan_lines(&s, fd, n, block, out, path, errbuf, errlen);
        if (rc == CX_RUNLOG_OK)
            tail_finish(&s, out);
    }
    free(s.buf);
    close(fd);
    return rc;
}

void cx_runlog_tail_free(cx_runlog_tail_result *t)
{
    if (!t)
        return;
    free(t->lines);
    free(t->buf_);
    memset(t, 0, sizeof *t);
}

/* The forward reader keeps file bytes [off, off + (fill - beg)) at buf[beg, fill); bytes before
 * `scanned` are known to hold no '\n'. One spare byte at buf[cap] takes the NUL after a final line.
 */
struct cx_runlog_reader {
    int fd;
    char *path;
    char *buf;
    size_t cap, beg, fill, scanned;
    uint64_t off, read_to, end, lineno;
};

/* Open the reader's file: a snapshot of path under a brief shared lock, or (locked_fd >= 0) a
 * duplicate of a descriptor that holds the exclusive lock, read to its current end. Taking the
 * shared lock through a second open would wait for our own exclusive lock. */
static int reader_open_file(cx_runlog_reader *r, int locked_fd, char *errbuf, size_t errlen)
{
    if (locked_fd < 0)
        return cx_runlog_open_snapshot(r->path, &r->fd, &r->end, errbuf, errlen);
    struct stat st;
    if (fstat(locked_fd, &st) != 0)
        return os_fail(errbuf, errlen, errno, "stat", r->path);
    if (!S_ISREG(st.st_mode))
        return fail(errbuf, errlen, CX_RUNLOG_EIO, "cannot read %s: not a regular file", r->path);
    r->fd = fcntl(locked_fd, F_DUPFD_CLOEXEC, 0);
    if (r->fd < 0)
        return os_fail(errbuf, errlen, errno, "duplicate the descriptor of", r->path);
    r->end = (uint64_t)st.st_size;
    return CX_RUNLOG_OK;
}

static int reader_open(const char *path, int locked_fd, uint64_t offset, size_t block_size,
                       cx_runlog_reader **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    cx_runlog_reader *r = calloc(1, sizeof *r);
    if (!r)
        return fail(errbuf, errlen, CX_RUNLOG_NOMEM, "out of memory reading %s", path);
    r->cap = block_size ? block_size : DEFAULT_BLOCK;
    r->path = strdup(path);
    r->buf = malloc(r->cap + 1);
    r->fd = -1;
    if (!r->path || !r->buf) {
        cx_runlog_reader_close(r);
        return fail(errbuf, errlen, CX_RUNLOG_NOMEM, "out of memory reading %s", path);
    }
    int rc = reader_open_file(r, locked_fd, errbuf, errlen);
    if (rc != CX_RUNLOG_OK) {
        cx_runlog_reader_close(r);
        return rc;
    }
    r->off = r->read_to = offset < r->end ? offset : r->end;
    *out = r;
    return CX_RUNLOG_OK;
}

int cx_runlog_reader_open(const char *path, uint64_t offset, size_t block_size,
                          cx_runlog_reader **out, char *errbuf, size_t errlen)
{
    return reader_open(path, -1, offset, block_size, out, errbuf, errlen);
}

int cx_runlog_reader_open_locked(int fd, const char *path, uint64_t offset, size_t block_size,
                                 cx_runlog_reader **out, char *errbuf, size_t errlen)
{
    if (fd < 0) {
        *out = NULL;
        return fail(errbuf, errlen, CX_RUNLOG_EIO, "cannot read %s: its lock is not held", path);
    }
    return reader_open(path, fd, offset, block_size, out, errbuf, errlen);
}

/* Hand out buf[beg, beg + len) as the next line, then step past it and its '\n' (if any). */
static int reader_yield(cx_runlog_reader *r, size_t len, int torn, cx_runlog_line *line)
{
    char *p = r->buf + r->beg;
    size_t step = len + !torn;
    if (len > 0 && p[len - 1] == '\r')
        len--;
    p[len] = '\0';
    line->text = p;
    line->len = len;
    line->offset = r->off;
    line->lineno = ++r->lineno;
    line->torn = torn;
    r->beg += step;
    r->scanned = r->beg;
    r->off += step;
    return 1;
}

/* Read more of the file behind the partial line, compacting or growing the buffer first. */
static int reader_fill(cx_runlog_reader *r, char *errbuf, size_t errlen)
{
    if (r->beg > 0) {
        memmove(r->buf, r->buf + r->beg, r->fill - r->beg);
        r->fill -= r->beg;
        r->scanned -= r->beg;
        r->beg = 0;
    }
    if (r->fill == r->cap) {
        char *nb = realloc(r->buf, r->cap * 2 + 1);
        if (!nb)
            return fail(errbuf, errlen, CX_RUNLOG_NOMEM, "out of memory reading %s", r->path);
        r->buf = nb;
        r->cap *= 2;
    }
    size_t want = r->cap - r->fill;
    if (r->end - r->read_to < want)
        want = (size_t)(r->end - r->read_to);
    ssize_t n;
    do {
        n = pread(r->fd, r->buf + r->fill, want, (off_t)r->read_to);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return os_fail(errbuf, errlen, errno, "read", r->path);
    if (n == 0)
        r->end = r->read_to; /* the file shrank: stop where it now ends */
    r->fill += (size_t)n;
    r->read_to += (uint64_t)n;
    return CX_RUNLOG_OK;
}

int cx_runlog_reader_next(cx_runlog_reader *r, cx_runlog_line *line, char *errbuf, size_t errlen)
{
    for (;;) {
        char *nl = memchr(r->buf + r->scanned, '\n', r->fill - r->scanned);
        if (nl)
            return reader_yield(r, (size_t)(nl - (r->buf + r->beg)), 0, line);
        r->scanned = r->fill;
        if (r->read_to >= r->end) {
            if (r->beg == r->fill)
                return 0;
            return reader_yield(r, r->fill - r->beg, 1, line);
        }
        int rc = reader_fill(r, errbuf, errlen);
        if (rc != CX_RUNLOG_OK)
            return rc;
    }
}

void cx_runlog_reader_close(cx_runlog_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->path);
    free(r->buf);
    free(r);
}
