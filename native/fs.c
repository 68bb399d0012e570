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
    case CX_FS_SYMLINK:
        return "symlink";
    case CX_FS_NOT_REGULAR:
        return "not_regular";
    case CX_FS_TOO_LARGE:
        return "too_large";
    case CX_FS_EXISTS:
        return "exists";
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

/* mkdir -p outside the data directory: every prefix, following symlinks as mkdir(2) does. */
static int mkdir_p_plain(const char *path, char *err, size_t errlen)
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

/* ---------------------------------------------------------------------------------------------- */
/* The data-directory walk (see fs.h) */

/* What a non-regular file is, for messages. */
static const char *type_name(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISLNK(m))
        return "a symbolic link";
    return "not a regular file";
}

static int not_regular(const char *what, const char *path, mode_t m, char *err, size_t errlen)
{
    if (err && errlen)
        snprintf(err, errlen, "%s %s: it is %s, not a regular file", what, path, type_name(m));
    return CX_FS_NOT_REGULAR;
}

/* `link` (a prefix of path, or path itself) is a symlink that the rule does not follow. */
static int symlink_refused(const char *what, const char *path, const char *link, int guarded,
                           char *err, size_t errlen)
{
    if (err && errlen) {
        if (strcmp(link, path) == 0)
            snprintf(err, errlen, "%s %s: it is a symbolic link, which cx does not follow%s", what,
                     path, guarded ? " under .codex/" : "");
        else
            snprintf(err, errlen, "%s %s: %s is a symbolic link, which cx does not follow%s", what,
                     path, link, guarded ? " under .codex/" : "");
    }
    return CX_FS_SYMLINK;
}

/* The parent directory of a path's last component, reached under the data-directory rule. */
typedef struct walk {
    int dirfd;
    char *copy;       /* path without trailing slashes; copy[name_at..] is the last component */
    size_t name_at;   /* offset of the last component in copy */
    int guarded;      /* the last component is inside (or is) a .codex directory */
    const char *name; /* = copy + name_at */
} walk;

static void walk_free(walk *w)
{
    if (w->dirfd >= 0)
        close(w->dirfd);
    w->dirfd = -1;
    free(w->copy);
    w->copy = NULL;
}

static int is_component(const char *s, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(s, want, len) == 0;
}

/* Offset in p of the innermost `.codex` component, or -1. */
static long codex_offset(const char *p)
{
    long found = -1;
    for (size_t i = 0; p[i];) {
        while (p[i] == '/')
            i++;
        size_t j = i;
        while (p[j] && p[j] != '/')
            j++;
        if (j > i && is_component(p + i, j - i, ".codex"))
            found = (long)i;
        i = j;
    }
    return found;
}

/* Open a directory that the walk goes through: no symlink followed, created when asked. */
static int step_into(int dirfd, const char *comp, int create, const char *what, const char *path,
                     const char *prefix, int *out, char *err, size_t errlen)
{
    int fd = openat(dirfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        if (mkdirat(dirfd, comp, 0755) != 0 && errno != EEXIST)
            return fail(errno, what, path, err, errlen);
        fd = openat(dirfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
        int e = errno;
        struct stat sb;
        if ((e == ELOOP || e == ENOTDIR) && fstatat(dirfd, comp, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(sb.st_mode))
            return symlink_refused(what, path, prefix, 1, err, errlen);
        return fail(e, what, path, err, errlen);
    }
    *out = fd;
    return CX_FS_OK;
}

/* Fill w with the directory that holds path's last component. Outside .codex that directory is
 * opened as usual (created with mkdir -p when create is set); inside, every component from the
 * .codex directory down is entered with O_NOFOLLOW. */
static int walk_to_parent(const char *path, int create, const char *what, walk *w, char *err,
                          size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->dirfd = -1;
    if (!path || !*path)
        return invalid("empty path", err, errlen);
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    w->copy = strndup(path, len);
    if (!w->copy)
        return fail(ENOMEM, what, path, err, errlen);
    char *p = w->copy;
    char *slash = strrchr(p, '/');
    w->name_at = slash ? (size_t)(slash - p) + 1 : 0;
    w->name = p + w->name_at;
    if (!*w->name || strcmp(w->name, ".") == 0 || strcmp(w->name, "..") == 0) {
        walk_free(w);
        if (err && errlen)
            snprintf(err, errlen, "%s %s: not a file name", what, path);
        return CX_FS_INVALID;
    }
    long k = codex_offset(p);
    w->guarded = k >= 0;
    /* The anchor: the directory above .codex (guarded), else the parent itself. */
    size_t anchor_end = w->guarded ? (size_t)k : w->name_at;
    char saved = p[anchor_end];
    p[anchor_end] = '\0';
    char anchor[PATH_MAX];
    size_t alen = strlen(p);
    while (alen > 1 && p[alen - 1] == '/')
        alen--;
    if (alen == 0)
        snprintf(anchor, sizeof anchor, ".");
    else
        snprintf(anchor, sizeof anchor, "%.*s", (int)alen, p);
    p[anchor_end] = saved;
    if (create && strcmp(anchor, ".") != 0 && strcmp(anchor, "/") != 0) {
        char why[512];
        int st = mkdir_p_plain(anchor, why, sizeof why);
        if (st != CX_FS_OK) {
            if (err && errlen)
                snprintf(err, errlen, "%s %s: %s", what, path, why);
            walk_free(w);
            return st;
        }
    }
    w->dirfd = open(anchor, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dirfd < 0) {
        int st = fail(errno, what, path, err, errlen);
        walk_free(w);
        return st;
    }
    /* Guarded: enter each component from .codex to the parent of the last one. */
    for (size_t i = anchor_end; w->guarded && i < w->name_at;) {
        while (i < w->name_at && p[i] == '/')
            i++;
        size_t j = i;
        while (j < w->name_at && p[j] != '/')
            j++;
        if (j == i)
            break;
        char c = p[j];
        p[j] = '\0';
        int st = CX_FS_OK, fd = -1;
        if (strcmp(p + i, "..") == 0) {
            if (err && errlen)
                snprintf(err, errlen, "%s %s: '..' inside .codex/ is not allowed", what, path);
            st = CX_FS_INVALID;
        } else if (strcmp(p + i, ".") != 0) {
            st = step_into(w->dirfd, p + i, create, what, path, p, &fd, err, errlen);
        }
        p[j] = c;
        if (st != CX_FS_OK) {
            walk_free(w);
            return st;
        }
        if (fd >= 0) {
            close(w->dirfd);
            w->dirfd = fd;
        }
        i = j;
    }
    return CX_FS_OK;
}

/* A descriptor of the directory path itself, reached under the rule (created when asked). */
static int dir_fd(const char *path, int create, const char *what, int *fd, char *err, size_t errlen)
{
    walk w;
    int st = walk_to_parent(path, create, what, &w, err, errlen);
    if (st != CX_FS_OK)
        return st;
    st = step_into(w.dirfd, w.name, create, what, path, path, fd, err, errlen);
    walk_free(&w);
    return st;
}

/* Opens a directory (for listing) under the rule. */
static int open_dir(const char *path, const char *what, DIR **out, char *err, size_t errlen)
{
    if (!path || !*path)
        return invalid("empty path", err, errlen);
    if (codex_offset(path) < 0) {
        *out = opendir(path);
        return *out ? CX_FS_OK : fail(errno, what, path, err, errlen);
    }
    int fd = -1;
    int st = dir_fd(path, 0, what, &fd, err, errlen);
    if (st != CX_FS_OK)
        return st;
    *out = fdopendir(fd);
    if (!*out) {
        int e = errno;
        close(fd);
        return fail(e, what, path, err, errlen);
    }
    return CX_FS_OK;
}

int cx_fs_mkdir_p(const char *path, char *err, size_t errlen)
{
    if (!path || !*path)
        return invalid("mkdir: empty path", err, errlen);
    if (codex_offset(path) < 0)
        return mkdir_p_plain(path, err, errlen);
    int fd = -1;
    int st = dir_fd(path, 1, "cannot create directory", &fd, err, errlen);
    if (fd >= 0)
        close(fd);
    return st;
}

/* openat the last component of an open walk and check what it is. */
static int open_in(walk *w, const char *path, int oflags, unsigned opts, const char *what, int *fd,
                   char *err, size_t errlen)
{
    int nofollow = w->guarded || !(opts & CX_FS_FOLLOW);
    int flags = oflags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (nofollow ? O_NOFOLLOW : 0);
    int f = openat(w->dirfd, w->name, flags, 0644);
    struct stat sb;
    if (f < 0) {
        int e = errno;
        int lstat_ok = fstatat(w->dirfd, w->name, &sb, nofollow ? AT_SYMLINK_NOFOLLOW : 0) == 0;
        if (lstat_ok && S_ISLNK(sb.st_mode) && nofollow)
            return symlink_refused(what, path, path, w->guarded, err, errlen);
        if (lstat_ok && !S_ISREG(sb.st_mode))
            return not_regular(what, path, sb.st_mode, err, errlen);
        return fail(e, what, path, err, errlen);
    }
    if (fstat(f, &sb) != 0) {
        int e = errno;
        close(f);
        return fail(e, what, path, err, errlen);
    }
    if (!S_ISREG(sb.st_mode) && (S_ISDIR(sb.st_mode) || !(opts & CX_FS_ANY_TYPE))) {
        close(f);
        return not_regular(what, path, sb.st_mode, err, errlen);
    }
    int fl = fcntl(f, F_GETFL);
    if (fl < 0 || fcntl(f, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(f);
        return fail(e, what, path, err, errlen);
    }
    *fd = f;
    return CX_FS_OK;
}

int cx_fs_open(const char *path, int oflags, unsigned opts, int *fd, char *err, size_t errlen)
{
    *fd = -1;
    const char *what = (oflags & O_ACCMODE) == O_RDONLY ? "cannot open" : "cannot write";
    walk w;
    int st = walk_to_parent(path, (opts & CX_FS_MKDIRS) != 0, what, &w, err, errlen);
    if (st != CX_FS_OK)
        return st;
    st = open_in(&w, path, oflags, opts, what, fd, err, errlen);
    walk_free(&w);
    return st;
}

static int too_large(const char *path, size_t max, char *err, size_t errlen)
{
    if (err && errlen)
        snprintf(err, errlen, "cannot read %s: it is larger than the %zu-byte limit", path, max);
    return CX_FS_TOO_LARGE;
}

/* Reads up to want bytes at the current offset (fewer at end of file). -1 on error. */
static ssize_t read_some(int fd, char *p, size_t want)
{
    size_t got = 0;
    while (got < want) {
        ssize_t n = read(fd, p + got, want - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int cx_fs_read_file(const char *path, unsigned opts, size_t max_bytes, char **data, size_t *len,
                    char *err, size_t errlen)
{
    *data = NULL;
    *len = 0;
    if (max_bytes == 0 || max_bytes > SIZE_MAX / 2)
        return invalid("read: the byte limit must be between 1 and SIZE_MAX/2", err, errlen);
    int fd;
    int st = cx_fs_open(path, O_RDONLY, opts & ~(unsigned)CX_FS_MKDIRS, &fd, err, errlen);
    if (st != CX_FS_OK)
        return st;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        st = fail(errno, "cannot read", path, err, errlen);
        close(fd);
        return st;
    }
    int regular = S_ISREG(sb.st_mode);
    size_t size = regular ? (size_t)sb.st_size : 0;
    if (regular && size > max_bytes && (opts & CX_FS_TAIL)) {
        if (lseek(fd, (off_t)(size - max_bytes), SEEK_SET) < 0) {
            st = fail(errno, "cannot read", path, err, errlen);
            close(fd);
            return st;
        }
    } else if (regular && size > max_bytes) {
        close(fd);
        return too_large(path, max_bytes, err, errlen);
    }
    /* Room for the expected size (a regular file may still grow), else grow as data comes. */
    size_t cap = regular ? (size < max_bytes ? size : max_bytes) + 1 : 4096;
    size_t got = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) {
            st = fail(ENOMEM, "cannot read", path, err, errlen);
            break;
        }
        ssize_t n = read_some(fd, buf + got, cap - got);
        if (n < 0) {
            st = fail(errno, "cannot read", path, err, errlen);
            break;
        }
        got += (size_t)n;
        if (got > max_bytes) {
            st =
                (opts & CX_FS_TAIL) && regular ? CX_FS_OK : too_large(path, max_bytes, err, errlen);
            if (st == CX_FS_OK)
                got = max_bytes; /* grew while we read: keep what the limit allows */
            break;
        }
        if (got < cap)
            break; /* end of file */
        size_t ncap = cap * 2 > max_bytes + 1 ? max_bytes + 1 : cap * 2;
        char *nb = realloc(buf, ncap + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            continue;
        }
        buf = nb;
        cap = ncap;
    }
    close(fd);
    if (st != CX_FS_OK) {
        free(buf);
        return st;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return CX_FS_OK;
}

/* Writes the temporary `<name>.tmp.<pid>.<random>` in the walk's directory with fill(), then
 * renames it over name (or, with CX_FS_NO_REPLACE, to name only when nothing is there). */
typedef int (*fill_fn)(int fd, void *ctx);

static int replace_in(walk *w, const char *path, unsigned opts, fill_fn fill, void *ctx, char *err,
                      size_t errlen)
{
    const char *what = "cannot write";
    struct stat sb;
    mode_t mode = 0644;
    if (fstatat(w->dirfd, w->name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
        if (opts & CX_FS_NO_REPLACE) {
            if (err && errlen)
                snprintf(err, errlen, "%s %s: it already exists", what, path);
            return CX_FS_EXISTS;
        }
        if (S_ISLNK(sb.st_mode))
            return symlink_refused(what, path, path, w->guarded, err, errlen);
        if (!S_ISREG(sb.st_mode))
            return not_regular(what, path, sb.st_mode, err, errlen);
        mode = sb.st_mode & 07777;
    }
    char rnd[17];
    if (cx_fs_random_hex(8, rnd, err, errlen) != 0)
        return CX_FS_IO;
    char tmp[NAME_MAX + 1];
    if ((size_t)snprintf(tmp, sizeof tmp, "%.200s.tmp.%ld.%s", w->name, (long)getpid(), rnd) >=
        sizeof tmp)
        return invalid("write: file name too long", err, errlen);
    int fd = openat(w->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(errno, what, path, err, errlen);
    int e = 0;
    errno = 0;
    if (fill(fd, ctx) != 0)
        e = errno ? errno : EIO;
    else if (fchmod(fd, mode) != 0)
        e = errno;
    else if (fsync(fd) != 0) {
        e = errno;
        what = "cannot sync";
    }
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0 && (opts & CX_FS_NO_REPLACE)) {
        if (renameat2(w->dirfd, tmp, w->dirfd, w->name, RENAME_NOREPLACE) != 0) {
            e = errno;
            if (e == EINVAL || e == ENOSYS) { /* no RENAME_NOREPLACE here: link(2) fails the same */
                e = linkat(w->dirfd, tmp, w->dirfd, w->name, 0) == 0 ? 0 : errno;
            }
            if (e == EEXIST) {
                unlinkat(w->dirfd, tmp, 0);
                if (err && errlen)
                    snprintf(err, errlen, "cannot write %s: it already exists", path);
                return CX_FS_EXISTS;
            }
            what = "cannot create";
        }
    } else if (e == 0 && renameat(w->dirfd, tmp, w->dirfd, w->name) != 0) {
        e = errno;
        what = "cannot replace";
    }
    unlinkat(w->dirfd, tmp, 0); /* gone after a rename; the leftover after a link or a failure */
    if (e != 0)
        return fail(e, what, path, err, errlen);
    (void)fsync(w->dirfd); /* the rename itself durable; failure does not undo it */
    return CX_FS_OK;
}

typedef struct bytes {
    const char *data;
    size_t len;
} bytes;

static int fill_bytes(int fd, void *ctx)
{
    bytes *b = ctx;
    return write_all(fd, b->data, b->len);
}

int cx_fs_write_file(const char *path, const void *data, size_t len, unsigned opts, char *err,
                     size_t errlen)
{
    if (!path || !*path)
        return invalid("write: empty path", err, errlen);
    walk w;
    int st = walk_to_parent(path, (opts & CX_FS_MKDIRS) != 0, "cannot write", &w, err, errlen);
    if (st != CX_FS_OK)
        return st;
    bytes b = {data, len};
    st = replace_in(&w, path, opts, fill_bytes, &b, err, errlen);
    walk_free(&w);
    return st;
}

int cx_fs_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    return cx_fs_write_file(path, data, len, 0, err, errlen);
}

typedef struct copy_ctx {
    int src;
    int read_errno; /* set when reading the source failed (not the writing) */
} copy_ctx;

static int fill_copy(int fd, void *ctx)
{
    copy_ctx *c = ctx;
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(c->src, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            c->read_errno = errno;
            return -1;
        }
        if (n == 0)
            return 0;
        if (write_all(fd, buf, (size_t)n) != 0)
            return -1;
    }
}

int cx_fs_copy_file(const char *src, const char *dst, unsigned opts, char *err, size_t errlen)
{
    int sfd;
    int st = cx_fs_open(src, O_RDONLY, opts & CX_FS_FOLLOW, &sfd, err, errlen);
    if (st != CX_FS_OK)
        return st;
    walk w;
    st = walk_to_parent(dst, (opts & CX_FS_MKDIRS) != 0, "cannot write", &w, err, errlen);
    if (st == CX_FS_OK) {
        copy_ctx c = {sfd, 0};
        st = replace_in(&w, dst, opts, fill_copy, &c, err, errlen);
        if (st != CX_FS_OK && c.read_errno)
            st = fail(c.read_errno, "cannot read", src, err, errlen);
        walk_free(&w);
    }
    close(sfd);
    return st;
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
    DIR *d = NULL;
    int st = open_dir(path, "cannot list directory", &d, err, errlen);
    if (st != CX_FS_OK)
        return st;
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
