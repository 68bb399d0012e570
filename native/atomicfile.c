/* Files written in full or not at all (see atomicfile.h). */
#include "atomicfile.h"

#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SUFFIX 10000

struct cx_atomicfile {
    int fd;
    char *path; /* the destination */
    char *tmp;
    mode_t mode;
};

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int os_fail(char *err, size_t errlen, int e, const char *what, const char *path)
{
    return fail(err, errlen, e == ENOENT || e == ENOTDIR ? CX_ATOMICFILE_ENOENT : CX_ATOMICFILE_EIO,
                "cannot %s %s: %s", what, path, strerror(e));
}

static void free_file(cx_atomicfile *f)
{
    free(f->path);
    free(f->tmp);
    free(f);
}

int cx_atomicfile_open(const char *path, cx_atomicfile **out, char *err, size_t errlen)
{
    *out = NULL;
    char rnd[17];
    if (cx_fs_random_hex(8, rnd, err, errlen) != 0)
        return CX_ATOMICFILE_EIO;
    cx_atomicfile *f = calloc(1, sizeof *f);
    size_t tlen = strlen(path) + 32;
    if (!f || !(f->path = strdup(path)) || !(f->tmp = malloc(tlen))) {
        if (f)
            free_file(f);
        return fail(err, errlen, CX_ATOMICFILE_NOMEM, "out of memory writing %s", path);
    }
    snprintf(f->tmp, tlen, "%s.tmp.%s", path, rnd);
    f->mode = 0644;
    struct stat sb;
    if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode))
        f->mode = sb.st_mode & 07777;
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f->fd < 0) {
        int rc = os_fail(err, errlen, errno, "create", f->tmp);
        free_file(f);
        return rc;
    }
    *out = f;
    return CX_ATOMICFILE_OK;
}

int cx_atomicfile_write(cx_atomicfile *f, const void *data, size_t len, char *err, size_t errlen)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(f->fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return os_fail(err, errlen, errno, "write", f->tmp);
        }
        p += n;
        len -= (size_t)n;
    }
    return CX_ATOMICFILE_OK;
}

/* fchmod, fsync and close: the temporary file is complete on disk. */
static int finish(cx_atomicfile *f, char *err, size_t errlen)
{
    int e = 0;
    const char *what = "write";
    if (fchmod(f->fd, f->mode) != 0)
        e = errno;
    else if (fsync(f->fd) != 0) {
        e = errno;
        what = "sync";
    }
    if (close(f->fd) != 0 && e == 0)
        e = errno;
    f->fd = -1;
    return e ? os_fail(err, errlen, e, what, f->tmp) : CX_ATOMICFILE_OK;
}

int cx_atomicfile_commit(cx_atomicfile *f, char *err, size_t errlen)
{
    int rc = finish(f, err, errlen);
    if (rc == CX_ATOMICFILE_OK && rename(f->tmp, f->path) != 0)
        rc = os_fail(err, errlen, errno, "replace", f->path);
    if (rc != CX_ATOMICFILE_OK)
        unlink(f->tmp);
    else
        cx_fs_sync_parent_dir(f->path);
    free_file(f);
    return rc;
}

int cx_atomicfile_commit_new(cx_atomicfile *f, char **chosen, char *err, size_t errlen)
{
    *chosen = NULL;
    int rc = finish(f, err, errlen);
    size_t nlen = strlen(f->path) + 16;
    char *name = rc == CX_ATOMICFILE_OK ? malloc(nlen) : NULL;
    if (rc == CX_ATOMICFILE_OK && !name)
        rc = fail(err, errlen, CX_ATOMICFILE_NOMEM, "out of memory writing %s", f->path);
    for (int i = 0; rc == CX_ATOMICFILE_OK && i < MAX_SUFFIX; i++) {
        if (i == 0)
            snprintf(name, nlen, "%s", f->path);
        else
            snprintf(name, nlen, "%s.%d", f->path, i);
        if (link(f->tmp, name) == 0) {
            *chosen = name;
            name = NULL;
            break;
        }
        if (errno != EEXIST)
            rc = os_fail(err, errlen, errno, "create", name);
    }
    if (rc == CX_ATOMICFILE_OK && !*chosen)
        rc = fail(err, errlen, CX_ATOMICFILE_EIO, "cannot create %s: %d names taken", f->path,
                  MAX_SUFFIX);
    unlink(f->tmp);
    if (rc == CX_ATOMICFILE_OK)
        cx_fs_sync_parent_dir(*chosen);
    free(name);
    free_file(f);
    return rc;
}

void cx_atomicfile_abort(cx_atomicfile *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    unlink(f->tmp);
    free_file(f);
}
