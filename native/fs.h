/* File-system mechanics the Lua side needs and plain Lua lacks: safe opening and bounded reading,
 * directories, atomic replacement, listings, stat, path resolution, process id and OS randomness.
 * Every failing call returns a negative cx_fs_status and writes a message naming the path into err
 * (errlen bytes).
 *
 * The data-directory rule (docs/security.md): in a path with a `.codex` component, no component
 * from that `.codex` directory (the innermost one) down to the file is ever followed through a
 * symbolic link. cx_fs_open, cx_fs_read_file, cx_fs_write_atomic, cx_fs_mkdir_p and
 * cx_fs_list_dir walk those components with openat(O_NOFOLLOW), so a symlinked `.codex/`,
 * `.codex/cxlogs/` or file is refused (CX_FS_SYMLINK) instead of written through; components above
 * `.codex` are resolved as usual. Outside `.codex` only the last component is checked, and
 * CX_FS_FOLLOW lets a user-named file be a symlink. Files are opened non-blocking and checked with
 * fstat before any read or write, so a FIFO, device, socket or directory gets CX_FS_NOT_REGULAR
 * naming what it is, never a hang. */
#ifndef CX_FS_H
#define CX_FS_H

#include <stddef.h>
#include <stdint.h>

typedef enum cx_fs_status {
    CX_FS_OK = 0,
    CX_FS_NOT_FOUND = -1,  /* ENOENT, ENOTDIR */
    CX_FS_PERMISSION = -2, /* EACCES, EPERM, EROFS */
    CX_FS_IO = -3,         /* anything else the OS reports */
    CX_FS_INVALID = -4,    /* bad argument (empty path, size out of range) */
    CX_FS_NOMEM = -5,
    CX_FS_SYMLINK = -6,     /* a symbolic link where cx never follows one */
    CX_FS_NOT_REGULAR = -7, /* a directory, FIFO, device or socket where a regular file is needed */
    CX_FS_TOO_LARGE = -8,   /* more bytes than the caller's bound */
    CX_FS_EXISTS = -9,      /* the target exists (CX_FS_NO_REPLACE) */
} cx_fs_status;

/* Options (a bit set) of the safe open/read/write calls. */
enum {
    CX_FS_FOLLOW = 1,   /* outside .codex: the last component may be a symlink (user-named files) */
    CX_FS_ANY_TYPE = 2, /* also accept a FIFO, character device or socket (user-named input such as
                           /dev/stdin or a shell's <(...)); never a directory */
    CX_FS_MKDIRS = 4,   /* create missing parent directories (0755), under the same rule */
    CX_FS_TAIL = 8,     /* cx_fs_read_file: the last max_bytes of a longer regular file instead of
                           CX_FS_TOO_LARGE */
    CX_FS_NO_REPLACE =
        16 /* cx_fs_write_atomic: fail with CX_FS_EXISTS rather than replace a file */
};

typedef enum cx_fs_type { CX_FS_FILE, CX_FS_DIR, CX_FS_OTHER } cx_fs_type;

typedef struct cx_fs_info {
    cx_fs_type type;
    uint64_t size;
    int64_t mtime; /* seconds since the epoch */
} cx_fs_info;

/* fsync of the directory holding path, so a rename or link in it is durable. Failures are ignored:
 * they cannot undo what was renamed. */
void cx_fs_sync_parent_dir(const char *path);

/* "not_found", "permission", "io", "invalid", "nomem", "symlink", "not_regular", "too_large",
 * "exists" (for the Lua error class). */
const char *cx_fs_status_class(int status);

/* Opens a regular file under the data-directory rule: oflags are open(2)'s (O_RDONLY, O_WRONLY or
 * O_RDWR, with O_APPEND, O_CREAT, O_TRUNC...; O_CREAT makes mode 0644 before umask). The descriptor
 * is close-on-exec and blocking again once the type is checked. opts: CX_FS_FOLLOW, CX_FS_ANY_TYPE,
 * CX_FS_MKDIRS. */
int cx_fs_open(const char *path, int oflags, unsigned opts, int *fd, char *err, size_t errlen);

/* Reads a whole file opened as cx_fs_open(path, O_RDONLY, opts) into a malloc'd buffer (NUL
 * terminated at data[len]; free it). More than max_bytes bytes is CX_FS_TOO_LARGE, never a read
 * without end (/dev/zero, a growing file), unless CX_FS_TAIL asks for the last max_bytes of a
 * regular file. max_bytes 0 is CX_FS_INVALID. */
int cx_fs_read_file(const char *path, unsigned opts, size_t max_bytes, char **data, size_t *len,
                    char *err, size_t errlen);

/* Creates path and its missing parents (mode 0755 before umask); an existing directory is fine. */
int cx_fs_mkdir_p(const char *path, char *err, size_t errlen);

/* Replaces path with data: a temporary file in the same directory is written, fsynced and renamed
 * over path, so readers see the old or the new content, never a mix. The temporary is removed on
 * failure. An existing file keeps its permission bits; an existing symlink, directory, FIFO ...
 * at path is refused, never replaced. */
int cx_fs_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* The same with options: CX_FS_NO_REPLACE (an existing path is CX_FS_EXISTS, atomically: two
 * writers of one name never overwrite each other), CX_FS_MKDIRS. */
int cx_fs_write_file(const char *path, const void *data, size_t len, unsigned opts, char *err,
                     size_t errlen);

/* Copies the regular file src to dst as cx_fs_write_file does (temporary, fsync, rename; with
 * CX_FS_NO_REPLACE never over an existing dst), streaming: any size in bounded memory. */
int cx_fs_copy_file(const char *src, const char *dst, unsigned opts, char *err, size_t errlen);

/* The entry names of a directory (without "." and ".."), sorted byte-wise. On success *names is a
 * malloc'd array of *count malloc'd strings; free it with cx_fs_names_free. */
int cx_fs_list_dir(const char *path, char ***names, size_t *count, char *err, size_t errlen);
void cx_fs_names_free(char **names, size_t count);

/* stat(2), following symlinks. */
int cx_fs_stat(const char *path, cx_fs_info *out, char *err, size_t errlen);

/* 1 when path exists (following symlinks) / is a directory, else 0. */
int cx_fs_exists(const char *path);
int cx_fs_is_dir(const char *path);

/* 1 when fd is a terminal (progress lines are drawn only there), else 0. */
int cx_fs_isatty(int fd);

/* The current directory / the canonical absolute form of path, as a malloc'd string in *out. */
int cx_fs_getcwd(char **out, char *err, size_t errlen);
int cx_fs_realpath(const char *path, char **out, char *err, size_t errlen);

/* nbytes (1..CX_FS_RANDOM_MAX) bytes from getrandom(2) as 2*nbytes lowercase hex digits plus a NUL
 * written into out (2*nbytes+1 bytes). */
#define CX_FS_RANDOM_MAX 256
int cx_fs_random_hex(size_t nbytes, char *out, char *err, size_t errlen);

#endif
