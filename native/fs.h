/* File-system mechanics the Lua side needs and plain Lua lacks: directories, atomic replacement,
 * listings, stat, path resolution, process id and OS randomness. Every failing call returns a
 * negative cx_fs_status and writes a message naming the path into err (errlen bytes). */
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
} cx_fs_status;

typedef enum cx_fs_type { CX_FS_FILE, CX_FS_DIR, CX_FS_OTHER } cx_fs_type;

typedef struct cx_fs_info {
    cx_fs_type type;
    uint64_t size;
    int64_t mtime; /* seconds since the epoch */
} cx_fs_info;

/* fsync of the directory holding path, so a rename or link in it is durable. Failures are ignored:
 * they cannot undo what was renamed. */
void cx_fs_sync_parent_dir(const char *path);

/* "not_found", "permission", "io", "invalid", "nomem" (for the Lua error class). */
const char *cx_fs_status_class(int status);

/* Creates path and its missing parents (mode 0755 before umask); an existing directory is fine. */
int cx_fs_mkdir_p(const char *path, char *err, size_t errlen);

/* Replaces path with data: a temporary file in the same directory is written, fsynced and renamed
 * over path, so readers see the old or the new content, never a mix. The temporary is removed on
 * failure. An existing file keeps its permission bits. */
int cx_fs_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);

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
