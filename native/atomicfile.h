/* A file written in full or not at all, streamed: the bytes go to a temporary file beside the
 * destination (created with O_EXCL, never followed through a symlink), which is fsync'ed and then
 *   - renamed over the destination (cx_atomicfile_commit: a rewritten log, the migrated log), or
 *   - linked to a name that does not exist yet (cx_atomicfile_commit_new: backups and reject
 *     files). link(2) refuses an existing name, so two commits never overwrite one another, even
 *     from two processes in the same second: the first free name of `path`, `path.1`, `path.2`, ...
 *     is taken.
 * The directory is fsync'ed after either, so a crash leaves the old state or the new one, never a
 * half-written file under the destination's name. An abandoned file is removed
 * (cx_atomicfile_abort). */
#ifndef CX_ATOMICFILE_H
#define CX_ATOMICFILE_H

#include <stddef.h>

enum {
    CX_ATOMICFILE_OK = 0,
    CX_ATOMICFILE_EIO = -1,
    CX_ATOMICFILE_ENOENT = -2, /* the destination's directory does not exist */
    CX_ATOMICFILE_NOMEM = -4,
};

typedef struct cx_atomicfile cx_atomicfile;

/* Start a file for path. The temporary file gets the mode of an existing regular file at path,
 * else 0644. */
int cx_atomicfile_open(const char *path, cx_atomicfile **out, char *err, size_t errlen);
int cx_atomicfile_write(cx_atomicfile *f, const void *data, size_t len, char *err, size_t errlen);
/* Replace path. Frees f, whatever the result. */
int cx_atomicfile_commit(cx_atomicfile *f, char *err, size_t errlen);
/* Publish under the first free name among path, path.1, path.2, ... (at most 10000 tries); *chosen
 * (malloc'ed, the caller frees) gets it. Frees f, whatever the result. */
int cx_atomicfile_commit_new(cx_atomicfile *f, char **chosen, char *err, size_t errlen);
/* Remove the temporary file and free f (NULL is ignored). */
void cx_atomicfile_abort(cx_atomicfile *f);

#endif
