/* Advisory locks on lock files (see filelock.h). */
#include "filelock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

const char *cx_filelock_status_class(int status)
{
    switch (status) {
    case CX_FILELOCK_BUSY:
        return "busy";
    case CX_FILELOCK_NOT_FOUND:
        return "not_found";
    case CX_FILELOCK_PERMISSION:
        return "permission";
    case CX_FILELOCK_INVALID:
        return "invalid";
    case CX_FILELOCK_INTERRUPTED:
        return "interrupted";
    default:
        return "io";
    }
}

static int status_of_errno(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
        return CX_FILELOCK_NOT_FOUND;
    case EACCES:
    case EPERM:
    case EROFS:
        return CX_FILELOCK_PERMISSION;
    case ELOOP: /* O_NOFOLLOW on a symlink */
    case EISDIR:
        return CX_FILELOCK_INVALID;
    case EINTR:
        return CX_FILELOCK_INTERRUPTED;
    default:
        return CX_FILELOCK_IO;
    }
}

static int fail(int e, const char *what, const char *path, char *err, size_t errlen)
{
    if (err && errlen) {
        if (e == ELOOP)
            snprintf(err, errlen, "%s %s: is a symbolic link (not followed)", what, path);
        else
            snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
    }
    return status_of_errno(e);
}

static int fail_msg(int status, const char *msg, const char *path, char *err, size_t errlen)
{
    if (err && errlen)
        snprintf(err, errlen, "%s%s%s", msg, path ? " " : "", path ? path : "");
    return status;
}

/* Opens path for locking: no symlink, a regular file. Returns the fd or a negative status. */
static int open_lock_file(const char *path, int flags, char *err, size_t errlen)
{
    int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
    if (fd < 0)
        return fail(errno, "cannot open lock file", path, err, errlen);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int st = fail(errno, "cannot stat lock file", path, err, errlen);
        close(fd);
        return st;
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return fail_msg(CX_FILELOCK_INVALID, "lock file is not a regular file:", path, err, errlen);
    }
    return fd;
}

int cx_filelock_acquire(const char *path, int exclusive, int wait, int *fd, char *err,
                        size_t errlen)
{
    if (fd)
        *fd = -1;
    if (!path || !*path || !fd)
        return fail_msg(CX_FILELOCK_INVALID, "lock: empty path", NULL, err, errlen);
    int lfd = open_lock_file(path, O_RDWR | O_CREAT, err, errlen);
    if (lfd < 0)
        return lfd;
    int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
    if (flock(lfd, op) != 0) {
        int e = errno;
        close(lfd);
        if (e == EWOULDBLOCK)
            return fail_msg(CX_FILELOCK_BUSY, "lock is held:", path, err, errlen);
        return fail(e, "cannot lock", path, err, errlen);
    }
    *fd = lfd;
    return CX_FILELOCK_OK;
}

int cx_filelock_write_note(int fd, const char *note, size_t len, char *err, size_t errlen)
{
    if (fd < 0 || (!note && len))
        return fail_msg(CX_FILELOCK_INVALID, "lock note: no lock held", NULL, err, errlen);
    if (ftruncate(fd, 0) != 0)
        return fail(errno, "cannot write lock note", "(truncate)", err, errlen);
    size_t off = 0;
    while (off < len) {
        ssize_t n = pwrite(fd, note + off, len - off, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(errno, "cannot write lock note", "(write)", err, errlen);
        }
        off += (size_t)n;
    }
    return CX_FILELOCK_OK;
}

int cx_filelock_read_note(const char *path, char *out, size_t outlen, size_t *len, char *err,
                          size_t errlen)
{
    if (len)
        *len = 0;
    if (!path || !*path || !out || outlen < CX_FILELOCK_NOTE_MAX + 1)
        return fail_msg(CX_FILELOCK_INVALID, "lock note: bad argument", NULL, err, errlen);
    out[0] = '\0';
    int fd = open_lock_file(path, O_RDONLY, err, errlen);
    if (fd < 0)
        return fd;
    size_t got = 0;
    while (got < CX_FILELOCK_NOTE_MAX) {
        ssize_t n = read(fd, out + got, CX_FILELOCK_NOTE_MAX - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int st = fail(errno, "cannot read lock file", path, err, errlen);
            close(fd);
            return st;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    out[got] = '\0';
    if (len)
        *len = got;
    return CX_FILELOCK_OK;
}

void cx_filelock_release(int fd)
{
    if (fd < 0)
        return;
    flock(fd, LOCK_UN);
    close(fd);
}

int cx_filelock_pid_alive(long pid)
{
    if (pid <= 0 || (long)(pid_t)pid != pid)
        return 0;
    if (kill((pid_t)pid, 0) == 0)
        return 1;
    return errno == EPERM;
}
