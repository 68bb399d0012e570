/* The commit a repository's HEAD points at, read from its .git without running git (starting a
 * `git rev-parse` through a shell cost `cx diag` about 6-9 ms). Handles a .git directory and the
 * `gitdir:` file of worktrees and submodules (with their `commondir`), a symbolic HEAD through
 * loose refs and packed-refs (symbolic refs followed a few levels), and a detached HEAD, for
 * SHA-1 and SHA-256 repositories. Every file is read without following a symlink, must be a
 * regular file and is bounded in size. The reftable ref storage is not read (unsupported). */
#ifndef CX_GIT_HEAD_H
#define CX_GIT_HEAD_H

#include <stddef.h>

/* Size bounds: HEAD, loose refs and the small pointer files; packed-refs (read line by line). */
#define CX_GIT_SMALL_FILE_MAX 4096
#define CX_GIT_PACKED_REFS_MAX ((long long)64 << 20)
/* Symbolic refs followed before giving up (git itself stops at 5). */
#define CX_GIT_SYMREF_DEPTH 5

typedef enum cx_git_status {
    CX_GIT_OK = 0,
    CX_GIT_NOT_REPO = -1,    /* no .git at root */
    CX_GIT_UNBORN = -2,      /* HEAD names a branch that has no commit yet */
    CX_GIT_INVALID = -3,     /* a file is malformed, a symlink, not a regular file, or too large */
    CX_GIT_UNSUPPORTED = -4, /* the reftable ref storage */
    CX_GIT_IO = -5,          /* the OS refused a read */
} cx_git_status;

typedef struct cx_git_head {
    char sha[65];  /* 40 (SHA-1) or 64 (SHA-256) lowercase hex digits; "" unless CX_GIT_OK */
    char ref[256]; /* the branch HEAD names ("refs/heads/main"); "" when detached */
    int detached;
} cx_git_head;

/* Reads the HEAD of the repository whose top directory (the one holding .git) is root. Returns
 * CX_GIT_OK with out filled, or a negative status with a message naming the file in err. On
 * CX_GIT_UNBORN, out->ref names the branch. */
int cx_git_head_read(const char *root, cx_git_head *out, char *err, size_t errlen);

/* "not_repo", "unborn", "invalid", "unsupported", "io" (the Lua error class). */
const char *cx_git_status_class(int status);

#endif
