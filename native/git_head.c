/* Reading HEAD from .git (see git_head.h). */
#include "git_head.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Internal: the file does not exist (a ref may then be packed). Never returned to callers. */
#define MISSING 1

typedef struct reader {
    char gitdir[PATH_MAX];    /* HEAD and the per-worktree refs */
    char commondir[PATH_MAX]; /* the shared refs and packed-refs */
    char *err;
    size_t errlen;
} reader;

static int fail(reader *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(reader *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (r->err && r->errlen)
        vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
    return status;
}

static int join(reader *r, char *out, const char *dir, const char *name)
{
    int n = name[0] == '/' ? snprintf(out, PATH_MAX, "%s", name)
                           : snprintf(out, PATH_MAX, "%s/%s", dir, name);
    if (n < 0 || n >= PATH_MAX)
        return fail(r, CX_GIT_INVALID, "git: path too long under %s", dir);
    return 0;
}

/* Opens path without following a symlink; it must be a regular file of at most max bytes. */
static int open_regular(reader *r, const char *path, long long max, int *fd_out)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return MISSING;
        if (errno == ELOOP)
            return fail(r, CX_GIT_INVALID, "git: %s is a symbolic link (not followed)", path);
        return fail(r, CX_GIT_IO, "git: cannot read %s: %s", path, strerror(errno));
    }
    struct stat st;
    int status = 0;
    if (fstat(fd, &st) != 0)
        status = fail(r, CX_GIT_IO, "git: cannot read %s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        status = fail(r, CX_GIT_INVALID, "git: %s is not a regular file", path);
    else if ((long long)st.st_size > max)
        status = fail(r, CX_GIT_INVALID, "git: %s is larger than %lld bytes", path, max);
    if (status != 0) {
        close(fd);
        return status;
    }
    *fd_out = fd;
    return 0;
}

/* Reads a small file (at most CX_GIT_SMALL_FILE_MAX bytes) into buf, trailing whitespace
 * removed. Returns 0, MISSING, or a negative status. */
static int read_small(reader *r, const char *path, char buf[CX_GIT_SMALL_FILE_MAX + 2])
{
    int fd;
    int status = open_regular(r, path, CX_GIT_SMALL_FILE_MAX, &fd);
    if (status != 0)
        return status;
    size_t len = 0;
    for (;;) { /* one byte more than allowed tells a file that grew after fstat */
        ssize_t n = read(fd, buf + len, CX_GIT_SMALL_FILE_MAX + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            status = fail(r, CX_GIT_IO, "git: cannot read %s: %s", path, strerror(errno));
            break;
        }
        len += (size_t)n;
        if (n == 0 || len > CX_GIT_SMALL_FILE_MAX)
            break;
    }
    close(fd);
    if (status != 0)
        return status;
    if (len > CX_GIT_SMALL_FILE_MAX)
        return fail(r, CX_GIT_INVALID, "git: %s is larger than %d bytes", path,
                    CX_GIT_SMALL_FILE_MAX);
    if (memchr(buf, '\0', len))
        return fail(r, CX_GIT_INVALID, "git: %s holds a NUL byte", path);
    while (len > 0 && isspace((unsigned char)buf[len - 1]))
        len--;
    buf[len] = '\0';
    return 0;
}

/* A full object name: 40 (SHA-1) or 64 (SHA-256) hex digits, copied lowercase into out. */
static int parse_sha(const char *s, size_t len, char out[65])
{
    if (len != 40 && len != 64)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return -1;
        out[i] = (char)tolower((unsigned char)s[i]);
    }
    out[len] = '\0';
    return 0;
}

/* The subset of git's ref-name rules that keeps a name inside the refs tree: under refs/, no
 * "..", no empty or dot-leading component, no control, space or special characters. */
static int valid_refname(const char *name)
{
    size_t len = strlen(name);
    if (len < 6 || len >= sizeof((cx_git_head *)0)->ref || strncmp(name, "refs/", 5) != 0)
        return 0;
    if (name[len - 1] == '/' || name[len - 1] == '.' || strstr(name, "..") || strstr(name, "//") ||
        strstr(name, "/.") || strstr(name, "@{"))
        return 0;
    if (len >= 5 && strcmp(name + len - 5, ".lock") == 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p <= ' ' || *p == 0x7f || strchr("~^:?*[\\", *p))
            return 0;
    return 1;
}

/* Refs that belong to one worktree live in its gitdir; every other ref in the common dir. */
static int per_worktree(const char *ref)
{
    return strncmp(ref, "refs/worktree/", 14) == 0 || strncmp(ref, "refs/bisect/", 12) == 0 ||
           strncmp(ref, "refs/rewritten/", 15) == 0;
}

/* Looks ref up in packed-refs ("<sha> <name>" lines, "#" header, "^" peeled lines). */
static int read_packed(reader *r, const char *ref, char sha[65])
{
    char path[PATH_MAX];
    int status = join(r, path, r->commondir, "packed-refs");
    int fd;
    if (status == 0)
        status = open_regular(r, path, CX_GIT_PACKED_REFS_MAX, &fd);
    if (status != 0)
        return status;
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return fail(r, CX_GIT_IO, "git: cannot read %s: %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long long seen = 0;
    status = MISSING;
    while ((n = getline(&line, &cap, f)) > 0) {
        seen += n;
        if (seen > CX_GIT_PACKED_REFS_MAX) {
            status = fail(r, CX_GIT_INVALID, "git: %s is larger than %lld bytes", path,
                          CX_GIT_PACKED_REFS_MAX);
            break;
        }
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        if (line[0] == '#' || line[0] == '^')
            continue;
        char *space = strchr(line, ' ');
        if (!space || strcmp(space + 1, ref) != 0)
            continue;
        if (parse_sha(line, (size_t)(space - line), sha) != 0)
            status = fail(r, CX_GIT_INVALID, "git: %s has a malformed line for %s", path, ref);
        else
            status = 0;
        break;
    }
    if (status == MISSING && ferror(f))
        status = fail(r, CX_GIT_IO, "git: cannot read %s", path);
    free(line);
    fclose(f);
    return status;
}

/* The commit ref points at: its loose file (which may be symbolic again), else packed-refs. */
static int resolve(reader *r, const char *ref, int depth, char sha[65])
{
    if (!valid_refname(ref))
        return fail(r, CX_GIT_INVALID, "git: invalid ref name '%.200s'", ref);
    char path[PATH_MAX], buf[CX_GIT_SMALL_FILE_MAX + 2];
    int status = join(r, path, per_worktree(ref) ? r->gitdir : r->commondir, ref);
    if (status == 0)
        status = read_small(r, path, buf);
    if (status == MISSING)
        return read_packed(r, ref, sha);
    if (status != 0)
        return status;
    if (strncmp(buf, "ref:", 4) == 0) {
        if (depth >= CX_GIT_SYMREF_DEPTH)
            return fail(r, CX_GIT_INVALID, "git: symbolic refs nest too deep at %s", path);
        const char *next = buf + 4;
        while (*next == ' ' || *next == '\t')
            next++;
        return resolve(r, next, depth + 1, sha);
    }
    if (parse_sha(buf, strlen(buf), sha) != 0)
        return fail(r, CX_GIT_INVALID, "git: %s does not hold an object name", path);
    return 0;
}

/* root/.git: a directory (possibly through a symlink, as some tools make it), or a file holding
 * "gitdir: <path>" (worktrees, submodules). A gitdir with a "commondir" file shares the refs of
 * the repository it names. */
static int find_dirs(reader *r, const char *root)
{
    char dotgit[PATH_MAX], buf[CX_GIT_SMALL_FILE_MAX + 2];
    int status = join(r, dotgit, root, ".git");
    if (status != 0)
        return status;
    struct stat st;
    if (stat(dotgit, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return fail(r, CX_GIT_NOT_REPO, "git: no .git in %s", root);
        return fail(r, CX_GIT_IO, "git: cannot read %s: %s", dotgit, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(r->gitdir, sizeof r->gitdir, "%s", dotgit);
    } else {
        status = read_small(r, dotgit, buf);
        if (status == MISSING)
            return fail(r, CX_GIT_NOT_REPO, "git: no .git in %s", root);
        if (status != 0)
            return status;
        if (strncmp(buf, "gitdir:", 7) != 0)
            return fail(r, CX_GIT_INVALID, "git: %s does not start with 'gitdir:'", dotgit);
        const char *target = buf + 7;
        while (*target == ' ' || *target == '\t')
            target++;
        if (!*target)
            return fail(r, CX_GIT_INVALID, "git: %s names no directory", dotgit);
        if ((status = join(r, r->gitdir, root, target)) != 0)
            return status;
    }
    char path[PATH_MAX];
    if ((status = join(r, path, r->gitdir, "commondir")) != 0)
        return status;
    status = read_small(r, path, buf);
    if (status == MISSING) {
        memcpy(r->commondir, r->gitdir, sizeof r->commondir);
        return 0;
    }
    if (status != 0)
        return status;
    if (!buf[0])
        return fail(r, CX_GIT_INVALID, "git: %s is empty", path);
    return join(r, r->commondir, r->gitdir, buf);
}

int cx_git_head_read(const char *root, cx_git_head *out, char *err, size_t errlen)
{
    reader r = {.err = err, .errlen = errlen};
    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = '\0';
    int status = find_dirs(&r, root);
    if (status != 0)
        return status;
    char path[PATH_MAX], buf[CX_GIT_SMALL_FILE_MAX + 2];
    if ((status = join(&r, path, r.gitdir, "HEAD")) != 0)
        return status;
    status = read_small(&r, path, buf);
    if (status == MISSING)
        return fail(&r, CX_GIT_INVALID, "git: %s is missing", path);
    if (status != 0)
        return status;
    if (strncmp(buf, "ref:", 4) != 0) {
        if (parse_sha(buf, strlen(buf), out->sha) != 0)
            return fail(&r, CX_GIT_INVALID, "git: %s holds neither a ref nor an object name", path);
        out->detached = 1;
        return CX_GIT_OK;
    }
    const char *ref = buf + 4;
    while (*ref == ' ' || *ref == '\t')
        ref++;
    /* With reftable, HEAD is this placeholder and the refs are in a binary table. */
    if (strcmp(ref, "refs/heads/.invalid") == 0)
        return fail(&r, CX_GIT_UNSUPPORTED, "git: %s uses the reftable ref storage", r.commondir);
    if (!valid_refname(ref))
        return fail(&r, CX_GIT_INVALID, "git: %s names an invalid ref", path);
    memcpy(out->ref, ref, strlen(ref) + 1); /* valid_refname bounds its length */
    status = resolve(&r, ref, 0, out->sha);
    if (status == MISSING)
        return fail(&r, CX_GIT_UNBORN, "git: %s has no commit yet", out->ref);
    if (status != 0)
        out->sha[0] = '\0';
    return status;
}

const char *cx_git_status_class(int status)
{
    switch (status) {
    case CX_GIT_NOT_REPO:
        return "not_repo";
    case CX_GIT_UNBORN:
        return "unborn";
    case CX_GIT_INVALID:
        return "invalid";
    case CX_GIT_UNSUPPORTED:
        return "unsupported";
    default:
        return "io";
    }
}
