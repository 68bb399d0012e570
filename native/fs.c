/* File-system mechanics for the Lua side (see fs.h). */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

const char *cx_fs_status_class(int status)
{
    switch (status) {
    case CX_FS_NOT_FOUND:
        return "not_found";
    case CX_FS_PERMISSION:
        return "permission";
    case CX_FS_INVALID:
        return "invalid";
    case CX_FS_NOMEM:
        return "nomem";
    default:
        return "io";
    }
}

static int status_of_errno(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
        return CX_FS_NOT_FOUND;
    case EACCES:
    case EPERM:
    case EROFS:
        return CX_FS_PERMISSION;
    case ENOMEM:
        return CX_FS_NOMEM;
    default:
        return CX_FS_IO;
    }
}

/* Records "<what> <path>: <strerror>" and returns the status for errno e. */
static int fail(int e, const char *what, const char *path, char *err, size_t errlen)
{
    if (err && errlen)
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
    return status_of_errno(e);
}

static int invalid(const char *msg, char *err, size_t errlen)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
    return CX_FS_INVALID;
}

int cx_fs_mkdir_p(const char *path, char *err, size_t errlen)
{
    if (!path || !*path)
        return invalid("mkdir: empty path", err, errlen);
    size_t len = strlen(path);
    char *p = malloc(len + 1);
    if (!p)
        return fail(ENOMEM, "cannot create directory", path, err, errlen);
    memcpy(p, path, len + 1);
    /* Create each prefix ending before a '/', then the whole path. */
    for (size_t i = 1; i <= len; i++) {
        if (i < len && p[i] != '/')
            continue;
        char saved = p[i];
        p[i] = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            int st = fail(e, "cannot create directory", p, err, errlen);
            free(p);
            return st;
        }
        p[i] = saved;
    }
    struct stat sb;
    int rc = CX_FS_OK;
    if (stat(path, &sb) != 0)
        rc = fail(errno, "cannot create directory", path, err, errlen);
    else if (!S_ISDIR(sb.st_mode))
        rc = fail(ENOTDIR, "cannot create directory", path, err, errlen);
    free(p);
    return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

void cx_fs_sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int cx_fs_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    if (!path || !*path)
        return invalid("write: empty path", err, errlen);
    char rnd[17];
    if (cx_fs_random_hex(8, rnd, err, errlen) != 0)
        return CX_FS_IO;
    size_t tlen = strlen(path) + 64;
    char *tmp = malloc(tlen);
    if (!tmp)
        return fail(ENOMEM, "cannot write", path, err, errlen);
    snprintf(tmp, tlen, "%s.tmp.%ld.%s", path, (long)getpid(), rnd);

    mode_t mode = 0644;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
        mode = sb.st_mode & 07777;

    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        int st = fail(errno, "cannot write", path, err, errlen);
        free(tmp);
        return st;
    }
    int e = 0;
    const char *what = "cannot write";
    if (write_all(fd, data, len) != 0)
        e = errno;
    else if (fchmod(fd, mode) != 0)
        e = errno;
    else if (fsync(fd) != 0) {
        e = errno;
        what = "cannot sync";
    }
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0 && rename(tmp, path) != 0) {
        e = errno;
        what = "cannot replace";
    }
    if (e != 0) {
        unlink(tmp);
        free(tmp);
        return fail(e, what, path, err, errlen);
    }
    free(tmp);
    cx_fs_sync_parent_dir(path);
    return CX_FS_OK;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void cx_fs_names_free(char **names, size_t count)
{
    if (!names)
        return;
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

int cx_fs_list_dir(const char *path, char ***names, size_t *count, char *err, size_t errlen)
{
    *names = NULL;
    *count = 0;
    DIR *d = opendir(path);
    if (!d)
        return fail(errno, "cannot list directory", path, err, errlen);
    char **v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *ent;
    for (;;) {
        errno = 0;
        ent = readdir(d);
        if (!ent)
            break;
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nv = realloc(v, ncap * sizeof *nv);
            if (!nv)
                goto nomem;
            v = nv;
            cap = ncap;
        }
        v[n] = strdup(ent->d_name);
        if (!v[n])
            goto nomem;
        n++;
    }
    if (errno != 0) {
        int st = fail(errno, "cannot list directory", path, err, errlen);
        closedir(d);
        cx_fs_names_free(v, n);
        return st;
    }
    closedir(d);
    if (n > 1)
        qsort(v, n, sizeof *v, name_cmp);
    *names = v;
    *count = n;
    return CX_FS_OK;
nomem:
    closedir(d);
    cx_fs_names_free(v, n);
    return fail(ENOMEM, "cannot list directory", path, err, errlen);
}

int cx_fs_stat(const char *path, cx_fs_info *out, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return fail(errno, "cannot stat", path, err, errlen);
    out->type = S_ISREG(sb.st_mode) ? CX_FS_FILE : S_ISDIR(sb.st_mode) ? CX_FS_DIR : CX_FS_OTHER;
    out->size = (uint64_t)sb.st_size;
    out->mtime = (int64_t)sb.st_mtime;
    return CX_FS_OK;
}

int cx_fs_exists(const char *path)
{
    struct stat sb;
    return path && stat(path, &sb) == 0;
}

int cx_fs_is_dir(const char *path)
{
    struct stat sb;
    return path && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int cx_fs_isatty(int fd)
{
    return isatty(fd) == 1;
}

int cx_fs_getcwd(char **out, char *err, size_t errlen)
{
    *out = getcwd(NULL, 0);
    if (!*out)
        return fail(errno, "cannot read the current directory", ".", err, errlen);
    return CX_FS_OK;
}

int cx_fs_realpath(const char *path, char **out, char *err, size_t errlen)
{
    *out = realpath(path, NULL);
    if (!*out)
        return fail(errno, "cannot resolve", path, err, errlen);
    return CX_FS_OK;
}

int cx_fs_random_hex(size_t nbytes, char *out, char *err, size_t errlen)
{
    if (nbytes < 1 || nbytes > CX_FS_RANDOM_MAX)
        return invalid("random: byte count out of range", err, errlen);
    unsigned char raw[CX_FS_RANDOM_MAX];
    size_t got = 0;
    while (got < nbytes) {
        ssize_t n = getrandom(raw + got, nbytes - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(errno, "getrandom", "(random)", err, errlen);
        }
        got += (size_t)n;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * nbytes] = '\0';
    return CX_FS_OK;
}
