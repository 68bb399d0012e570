/* `logs validate` over a whole run log: every line checked against the contract (logcheck.h),
 * findings handed out one at a time in line order, counters at the end, in bounded memory.
 *
 * The file is cut into blocks; a line belongs to the block its first byte is in, so blocks are
 * independent and worker threads (one per core by default) check them in parallel while the caller
 * takes findings from the blocks in order. At most a few blocks' results are held at once: workers
 * wait for the caller, so memory does not grow with the file (only with the longest line). Memory
 * is read with pread into per-worker buffers: no mapping, no page of the file stays ours.
 *
 * What needs a line's neighbours is decided in order, by the caller's thread: whether a row cut
 * short is followed by a complete row (torn_line rather than invalid_json), and repeated
 * execution ids (compared with the ids of at least the previous `dup_window` rows). The output is
 * the same whatever the number of threads and wherever the blocks are cut. */
#ifndef CX_LOGVALIDATE_H
#define CX_LOGVALIDATE_H

#include "logcheck.h"

#include <stddef.h>
#include <stdint.h>

#define CX_LOGVALIDATE_MAX_THREADS 16
#define CX_LOGVALIDATE_BLOCK (128 * 1024)
#define CX_LOGVALIDATE_DUP_WINDOW 65536

enum { CX_LOGVALIDATE_ERROR = 0, CX_LOGVALIDATE_WARNING = 1 };

typedef struct cx_logvalidate_opts {
    int legacy_ok;         /* legacy rows are checked for the legacy pairs, not the strict keys */
    unsigned threads;      /* worker threads; 0 = the online processors; 1 = none (inline) */
    size_t block_size;     /* 0 = CX_LOGVALIDATE_BLOCK */
    uint64_t split_seed;   /* tests: non-zero cuts blocks at pseudo-random sizes in [1, block] */
    size_t keep_per_class; /* 0 = hand out every finding; else only the first N of each class */
    size_t dup_window;     /* 0 = CX_LOGVALIDATE_DUP_WINDOW */
} cx_logvalidate_opts;

typedef struct cx_logvalidate_finding {
    uint64_t line; /* 1-based physical line */
    cx_logcheck_class klass;
    int severity;        /* CX_LOGVALIDATE_ERROR or _WARNING */
    const char *field;   /* the contract key, or NULL */
    const char *message; /* control bytes escaped; valid until the next call */
} cx_logvalidate_finding;

/* The reference's counters plus cx's. Final once cx_logvalidate_next returned 0. */
typedef struct cx_logvalidate_counts {
    uint64_t lines;                /* physical lines */
    uint64_t entries_scanned;      /* non-blank lines that are UTF-8 */
    uint64_t legacy_entries;       /* legacy rows with every legacy pair (legacy mode) */
    uint64_t corrupted_entries;    /* lines with at least one error */
    uint64_t issue_count;          /* errors */
    uint64_t invalid_json_entries; /* lines that do not parse (torn ones included) */
    uint64_t torn_entries;         /* lines with a torn_line error */
    uint64_t warning_count;
    uint64_t by_class[CX_LOGCLASS_NCLASSES];
    uint64_t bytes; /* the size validated */
} cx_logvalidate_counts;

typedef struct cx_logvalidate cx_logvalidate;

/* Validate the regular file fd (size bytes of it; fd stays the caller's). name is the file's name
 * in messages. c must outlive the validator. Returns 0 or -1 with a message. */
int cx_logvalidate_open_fd(const cx_logcheck *c, int fd, uint64_t size, const char *name,
                           const cx_logvalidate_opts *o, cx_logvalidate **out, char *err,
                           size_t errlen);
/* Same over a path, read as a run-log snapshot (see runlog.h); the file is closed with the
 * validator. Returns the runlog.h codes (CX_RUNLOG_ENOENT for a missing file). */
int cx_logvalidate_open(const cx_logcheck *c, const char *path, const cx_logvalidate_opts *o,
                        cx_logvalidate **out, char *err, size_t errlen);

/* 1 = a finding in *f, 0 = the end (the summary is final), -1 = a read error (message in err). */
int cx_logvalidate_next(cx_logvalidate *v, cx_logvalidate_finding *f, char *err, size_t errlen);

const cx_logvalidate_counts *cx_logvalidate_summary(const cx_logvalidate *v);

/* Stops the workers (also half-way) and frees everything. */
void cx_logvalidate_close(cx_logvalidate *v);

const char *cx_logvalidate_severity_name(int severity);

#endif
