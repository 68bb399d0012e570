/* Whole-file validation of a run log in parallel blocks, merged in line order (see logvalidate.h).
 */
#include "logvalidate.h"

#include "runlog.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------------- */
/* One block's result, built by a worker and read by the merger */

enum {
    R_NO_NEWLINE = 1,  /* the file's last line, with no '\n' after it */
    R_HAS_ID = 2,      /* an execution id to compare with earlier rows */
    R_NEXT_OBJECT = 4, /* PREFIX: the next non-blank line (in the block) is a complete object */
    R_UNRESOLVED = 8,  /* PREFIX: the block ends before the next non-blank line */
};

/* A line with something to say (blank and clean lines without an id leave none). */
typedef struct rec {
    uint64_t missing, id_hash;
    uint64_t local; /* 0-based index of the line among the block's lines */
    uint32_t issue0, nissues;
    uint32_t text_off, text_len; /* arena: the line's preview (lines that are not objects) */
    uint32_t id_off, id_len;     /* arena: the id, clipped */
    cx_logcheck_error err;
    uint8_t kind, flags, jtype;
} rec;

typedef struct result {
    rec *recs;
    size_t nrecs, caprecs;
    cx_logcheck_issue *issues; /* value spans point into the arena */
    size_t nissues, capissues;
    char *arena;
    size_t narena, caparena;
    uint64_t lines, scanned, legacy, invalid_json;
    int first_kind; /* kind of the block's first non-blank line, -1 when it has none */
    long open_prefix;
    int failed;
    char err[256];
} result;

enum { S_EMPTY, S_BUSY, S_DONE };

typedef struct slot {
    int state;
    uint64_t block, start, end;
    result r;
} slot;

typedef struct worker {
    cx_logvalidate *v;
    pthread_t thread;
    int started;
    cx_logcheck_line *line;
    char *buf;
    size_t cap;
} worker;

/* Execution ids seen: two generations of a hash set, so at least `window` ids are remembered. */
typedef struct idslot {
    uint64_t hash, line;
} idslot;

typedef struct idset {
    idslot *slots;
    size_t mask, n;
} idset;

struct cx_logvalidate {
    const cx_logcheck *c;
    int fd, own_fd;
    uint64_t size;
    char *name;
    cx_logvalidate_opts o;
    size_t block;

    pthread_mutex_t mu;
    pthread_cond_t cv_free, cv_done;
    int sync_ready;
    uint64_t cursor, assigned;
    int all_assigned, stop;
    slot *slots;
    size_t nslots;
    worker *workers;
    unsigned nworkers;
    worker inline_worker;

    /* the merger (the caller's thread) */
    slot *cur;
    uint64_t merged, line_base;
    size_t ri;
    int stage;
    unsigned bit;
    size_t ii;
    int done, failed;
    int pending; /* a row cut short at the end of a block, waiting for the next non-blank line */
    rec pending_rec;
    uint64_t pending_line;
    char pending_text[CX_LOGCHECK_PREVIEW_CHARS * 4];
    uint64_t last_corrupted;
    idset ids[2];
    size_t dup_window;
    cx_logvalidate_counts sum;
    char msg[4096];
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* Copies bytes into the arena; returns the offset or -1. */
static long arena_put(result *r, const char *s, size_t n)
{
    if (grow((void **)&r->arena, &r->caparena, r->narena + n + 1, 1) != 0)
        return -1;
    memcpy(r->arena + r->narena, s, n);
    long at = (long)r->narena;
    r->narena += n;
    return at;
}

/* A value quoted in a message: one character more than the message shows, so it knows to add "..."
 */
static long arena_value(result *r, const char *text, uint32_t off, uint32_t len, uint32_t *kept)
{
    size_t n = cx_logcheck_prefix_bytes(text + off, len, CX_LOGCHECK_VALUE_BYTES + 1);
    *kept = (uint32_t)n;
    return arena_put(r, text + off, n);
}

static rec *new_rec(result *r, uint64_t local, int kind)
{
    if (grow((void **)&r->recs, &r->caprecs, r->nrecs + 1, sizeof *r->recs) != 0)
        return NULL;
    rec *x = &r->recs[r->nrecs++];
    memset(x, 0, sizeof *x);
    x->local = local;
    x->kind = (uint8_t)kind;
    return x;
}

/* ---------------------------------------------------------------------------------------------- */
/* Workers: check the lines of one block */

static int object_line(cx_logvalidate *v, worker *w, result *r, const char *text, size_t len,
                       uint64_t local, int no_newline)
{
    cx_logcheck_verdict vd;
    cx_logcheck_judge(w->line, text, len, v->o.legacy_ok, &vd);
    if (v->o.legacy_ok && !vd.modern && vd.legacy_complete)
        r->legacy++;
    if (!vd.missing && !vd.nissues && !vd.has_id && !no_newline)
        return 0;
    rec *x = new_rec(r, local, CX_LOGCHECK_OBJECT);
    if (!x ||
        grow((void **)&r->issues, &r->capissues, r->nissues + vd.nissues, sizeof *r->issues) != 0)
        return -1;
    x->missing = vd.missing;
    x->flags = (uint8_t)((no_newline ? R_NO_NEWLINE : 0) | (vd.has_id ? R_HAS_ID : 0));
    x->issue0 = (uint32_t)r->nissues;
    x->nissues = (uint32_t)vd.nissues;
    for (size_t k = 0; k < vd.nissues; k++) {
        cx_logcheck_issue i = vd.issues[k];
        uint32_t kept;
        long a = arena_value(r, text, i.off, i.len, &kept);
        i.off = (uint32_t)a;
        i.len = kept;
        long b = arena_value(r, text, i.off2, i.len2, &kept);
        i.off2 = (uint32_t)b;
        i.len2 = kept;
        if (a < 0 || b < 0)
            return -1;
        r->issues[r->nissues++] = i;
    }
    if (vd.has_id) {
        uint32_t kept;
        long at = arena_value(r, text, vd.id_off, vd.id_len, &kept);
        if (at < 0)
            return -1;
        x = &r->recs[r->nrecs - 1];
        x->id_hash = vd.id_hash;
        x->id_off = (uint32_t)at;
        x->id_len = kept;
    }
    return 0;
}

static int check_line(cx_logvalidate *v, worker *w, result *r, const char *text, size_t len,
                      int no_newline)
{
    uint64_t local = r->lines++;
    cx_logcheck_kind kind = cx_logcheck_scan(w->line, text, len);
    if (kind == CX_LOGCHECK_BLANK)
        return 0;
    if (kind != CX_LOGCHECK_BAD_UTF8)
        r->scanned++;
    if (kind == CX_LOGCHECK_INVALID_JSON || kind == CX_LOGCHECK_PREFIX ||
        kind == CX_LOGCHECK_GLUED || kind == CX_LOGCHECK_ZERO_FILL)
        r->invalid_json++;
    if (r->first_kind < 0)
        r->first_kind = (int)kind;
    if (r->open_prefix >= 0) { /* the line after a row cut short decides what that row was */
        rec *p = &r->recs[r->open_prefix];
        p->flags &= (uint8_t)~R_UNRESOLVED;
        if (kind == CX_LOGCHECK_OBJECT)
            p->flags |= R_NEXT_OBJECT;
        r->open_prefix = -1;
    }
    if (kind == CX_LOGCHECK_OBJECT)
        return object_line(v, w, r, text, len, local, no_newline);
    rec *x = new_rec(r, local, kind);
    if (!x)
        return -1;
    x->err = *cx_logcheck_line_error(w->line);
    x->jtype = (uint8_t)cx_logcheck_line_jtype(w->line);
    x->flags = no_newline ? R_NO_NEWLINE : 0;
    size_t n = cx_logcheck_prefix_bytes(text, len, CX_LOGCHECK_PREVIEW_CHARS);
    long at = arena_put(r, text, n);
    if (at < 0)
        return -1;
    x = &r->recs[r->nrecs - 1];
    x->text_off = (uint32_t)at;
    x->text_len = (uint32_t)n;
    if (kind == CX_LOGCHECK_PREFIX && !no_newline) {
        x->flags |= R_UNRESOLVED;
        r->open_prefix = (long)(r->nrecs - 1);
    }
    return 0;
}

static void reset_result(result *r)
{
    r->nrecs = r->nissues = r->narena = 0;
    r->lines = r->scanned = r->legacy = r->invalid_json = 0;
    r->first_kind = -1;
    r->open_prefix = -1;
    r->failed = 0;
    r->err[0] = '\0';
}

static int block_fail(cx_logvalidate *v, result *r, const char *what)
{
    r->failed = 1;
    snprintf(r->err, sizeof r->err, "cannot %s %s: %s", what, v->name,
             errno ? strerror(errno) : "out of memory");
    return -1;
}

/* Checks the lines that start in [start, end): the first starts after the first '\n' at or after
 * start - 1 (or at 0), the last may run past end, and is read to its '\n' (or the end of file). */
static int process_block(cx_logvalidate *v, worker *w, slot *s)
{
    result *r = &s->r;
    reset_result(r);
    uint64_t base = s->start > 0 ? s->start - 1 : 0; /* file offset of buf[0] */
    size_t have = (size_t)(s->end - base);
    errno = 0;
    if (grow((void **)&w->buf, &w->cap, have + 1, 1) != 0)
        return block_fail(v, r, "check");
    if (cx_runlog_read_exact(v->fd, w->buf, have, base) != 0)
        return block_fail(v, r, "read");
    size_t p = 0;
    if (s->start > 0) {
        const char *nl = memchr(w->buf, '\n', have);
        if (!nl)
            return 0; /* inside a line that an earlier block owns */
        p = (size_t)(nl - w->buf) + 1;
    }
    size_t scanned = p;
    while (base + p < s->end) {
        char *nl = memchr(w->buf + scanned, '\n', have - scanned);
        if (!nl && base + have < v->size) { /* the line runs past the block: read more of it */
            memmove(w->buf, w->buf + p, have - p);
            have -= p;
            scanned -= p;
            base += p;
            p = 0;
            size_t more = v->block > 65536 ? v->block : 65536;
            if (more > v->size - (base + have))
                more = (size_t)(v->size - (base + have));
            if (grow((void **)&w->buf, &w->cap, have + more + 1, 1) != 0)
                return block_fail(v, r, "check");
            if (cx_runlog_read_exact(v->fd, w->buf + have, more, base + have) != 0)
                return block_fail(v, r, "read");
            scanned = have;
            have += more;
            continue;
        }
        size_t len = nl ? (size_t)(nl - (w->buf + p)) : have - p;
        int no_newline = nl == NULL;
        if (!no_newline && len > 0 && w->buf[p + len - 1] == '\r')
            len--;
        if (check_line(v, w, r, w->buf + p, len, no_newline) != 0)
            return block_fail(v, r, "check");
        p = nl ? (size_t)(nl - w->buf) + 1 : have;
        scanned = p;
    }
    return 0;
}

/* Block boundaries: fixed steps, or (tests) pseudo-random ones from the seed. */
static uint64_t block_end(cx_logvalidate *v, uint64_t start, uint64_t index)
{
    uint64_t step = v->block;
    if (v->o.split_seed) {
        uint64_t x = v->o.split_seed + index * 0x9e3779b97f4a7c15ull;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
        x ^= x >> 31;
        step = 1 + x % v->block;
    }
    return v->size - start < step ? v->size : start + step;
}

/* Under the lock: hand the next block to slot s. */
static void assign(cx_logvalidate *v, slot *s)
{
    s->state = S_BUSY;
    s->block = v->assigned++;
    s->start = v->cursor;
    s->end = block_end(v, v->cursor, s->block);
    v->cursor = s->end;
    if (v->cursor >= v->size)
        v->all_assigned = 1;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    cx_logvalidate *v = w->v;
    pthread_mutex_lock(&v->mu);
    while (!v->stop && !v->all_assigned) {
        slot *s = &v->slots[v->assigned % v->nslots];
        if (s->state != S_EMPTY) {
            pthread_cond_wait(&v->cv_free, &v->mu);
            continue;
        }
        assign(v, s);
        pthread_mutex_unlock(&v->mu);
        process_block(v, w, s);
        pthread_mutex_lock(&v->mu);
        s->state = S_DONE;
        pthread_cond_broadcast(&v->cv_done);
    }
    pthread_cond_broadcast(&v->cv_done); /* the merger may be waiting for a block never assigned */
    pthread_mutex_unlock(&v->mu);
    return NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* Open and close */

static void free_result(result *r)
{
    free(r->recs);
    free(r->issues);
    free(r->arena);
}

static void stop_workers(cx_logvalidate *v)
{
    if (!v->sync_ready)
        return;
    pthread_mutex_lock(&v->mu);
    v->stop = 1;
    pthread_cond_broadcast(&v->cv_free);
    pthread_cond_broadcast(&v->cv_done);
    pthread_mutex_unlock(&v->mu);
    for (unsigned i = 0; i < v->nworkers; i++)
        if (v->workers[i].started) {
            pthread_join(v->workers[i].thread, NULL);
            v->workers[i].started = 0;
        }
}

static void free_worker(worker *w)
{
    cx_logcheck_line_free(w->line);
    free(w->buf);
}

void cx_logvalidate_close(cx_logvalidate *v)
{
    if (!v)
        return;
    stop_workers(v);
    for (unsigned i = 0; i < v->nworkers; i++)
        free_worker(&v->workers[i]);
    free_worker(&v->inline_worker);
    free(v->workers);
    for (size_t i = 0; i < v->nslots; i++)
        free_result(&v->slots[i].r);
    free(v->slots);
    for (int g = 0; g < 2; g++)
        free(v->ids[g].slots);
    if (v->sync_ready) {
        pthread_mutex_destroy(&v->mu);
        pthread_cond_destroy(&v->cv_free);
        pthread_cond_destroy(&v->cv_done);
    }
    if (v->own_fd && v->fd >= 0)
        close(v->fd);
    free(v->name);
    free(v);
}

static unsigned thread_count(const cx_logvalidate_opts *o)
{
    long n = o->threads ? (long)o->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > CX_LOGVALIDATE_MAX_THREADS ? CX_LOGVALIDATE_MAX_THREADS : (unsigned)n;
}

static int start_workers(cx_logvalidate *v, unsigned n, char *err, size_t errlen)
{
    if (pthread_mutex_init(&v->mu, NULL) != 0)
        return fail(err, errlen, "cannot validate %s: no mutex", v->name);
    pthread_cond_init(&v->cv_free, NULL);
    pthread_cond_init(&v->cv_done, NULL);
    v->sync_ready = 1;
    v->workers = calloc(n, sizeof *v->workers);
    if (!v->workers)
        return fail(err, errlen, "cannot validate %s: out of memory", v->name);
    v->nworkers = n;
    for (unsigned i = 0; i < n; i++) {
        worker *w = &v->workers[i];
        w->v = v;
        w->line = cx_logcheck_line_new(v->c);
        if (!w->line)
            return fail(err, errlen, "cannot validate %s: out of memory", v->name);
    }
    for (unsigned i = 0; i < n; i++) {
        worker *w = &v->workers[i];
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        if (rc != 0)
            return fail(err, errlen, "cannot validate %s: cannot start a thread: %s", v->name,
                        strerror(rc));
        w->started = 1;
    }
    return 0;
}

int cx_logvalidate_open_fd(const cx_logcheck *c, int fd, uint64_t size, const char *name,
                           const cx_logvalidate_opts *o, cx_logvalidate **out, char *err,
                           size_t errlen)
{
    *out = NULL;
    cx_logvalidate *v = calloc(1, sizeof *v);
    if (!v)
        return fail(err, errlen, "cannot validate %s: out of memory", name);
    v->c = c;
    v->fd = fd;
    v->size = size;
    v->o = *o;
    v->block = o->block_size ? o->block_size : CX_LOGVALIDATE_BLOCK;
    v->dup_window = o->dup_window ? o->dup_window : CX_LOGVALIDATE_DUP_WINDOW;
    v->name = strdup(name);
    v->sum.bytes = size;
    v->all_assigned = size == 0;
    v->inline_worker.v = v;
    v->inline_worker.line = cx_logcheck_line_new(c);
    unsigned n = thread_count(o);
    if (size <= v->block)
        n = 1; /* one block: no thread is worth starting */
    v->nslots = n > 1 ? 2 * (size_t)n + 2 : 1;
    v->slots = calloc(v->nslots, sizeof *v->slots);
    if (!v->name || !v->slots || !v->inline_worker.line) {
        cx_logvalidate_close(v);
        return fail(err, errlen, "cannot validate %s: out of memory", name);
    }
    if (n > 1 && start_workers(v, n, err, errlen) != 0) {
        cx_logvalidate_close(v);
        return -1;
    }
    *out = v;
    return 0;
}

int cx_logvalidate_open(const cx_logcheck *c, const char *path, const cx_logvalidate_opts *o,
                        cx_logvalidate **out, char *err, size_t errlen)
{
    int fd;
    uint64_t size;
    *out = NULL;
    int rc = cx_runlog_open_snapshot(path, &fd, &size, err, errlen);
    if (rc != CX_RUNLOG_OK)
        return rc;
    if (cx_logvalidate_open_fd(c, fd, size, path, o, out, err, errlen) != 0) {
        close(fd);
        return CX_RUNLOG_NOMEM;
    }
    (*out)->own_fd = 1;
    return CX_RUNLOG_OK;
}

const cx_logvalidate_counts *cx_logvalidate_summary(const cx_logvalidate *v)
{
    return &v->sum;
}

const char *cx_logvalidate_severity_name(int severity)
{
    return severity == CX_LOGVALIDATE_WARNING ? "warning" : "error";
}

/* ---------------------------------------------------------------------------------------------- */
/* The merger */

static int idset_ready(idset *s, size_t window)
{
    if (s->slots)
        return 0;
    size_t slots = 16;
    while (slots < 2 * window)
        slots *= 2;
    s->slots = calloc(slots, sizeof *s->slots);
    s->mask = slots - 1;
    return s->slots ? 0 : -1;
}

static uint64_t idset_find(const idset *s, uint64_t h)
{
    if (!s->slots)
        return 0;
    for (size_t i = h & s->mask; s->slots[i].hash; i = (i + 1) & s->mask)
        if (s->slots[i].hash == h)
            return s->slots[i].line;
    return 0;
}

static void idset_put(idset *s, uint64_t h, uint64_t line)
{
    size_t i = h & s->mask;
    while (s->slots[i].hash)
        i = (i + 1) & s->mask;
    s->slots[i].hash = h;
    s->slots[i].line = line;
    s->n++;
}

/* The line where this id was last seen (0: not within the window), remembering this one. */
static uint64_t seen_id(cx_logvalidate *v, uint64_t h, uint64_t line)
{
    h = h ? h : 1; /* 0 marks an empty slot */
    uint64_t at = idset_find(&v->ids[0], h);
    if (!at)
        at = idset_find(&v->ids[1], h);
    if (at)
        return at;
    if (idset_ready(&v->ids[0], v->dup_window) != 0)
        return 0;                       /* out of memory: the check is lost, never the validation */
    if (v->ids[0].n >= v->dup_window) { /* the older generation goes, the current one ages */
        idset old = v->ids[1];
        v->ids[1] = v->ids[0];
        v->ids[0] = old;
        if (idset_ready(&v->ids[0], v->dup_window) != 0)
            return 0;
        memset(v->ids[0].slots, 0, (v->ids[0].mask + 1) * sizeof *v->ids[0].slots);
        v->ids[0].n = 0;
    }
    idset_put(&v->ids[0], h, line);
    return 0;
}

/* Counts a finding and says whether to hand it out (keep_per_class). */
static int emit(cx_logvalidate *v, cx_logvalidate_finding *f, uint64_t line, int klass,
                int severity, const char *field)
{
    uint64_t n = ++v->sum.by_class[klass];
    if (severity == CX_LOGVALIDATE_WARNING) {
        v->sum.warning_count++;
    } else {
        v->sum.issue_count++;
        if (v->last_corrupted != line) {
            v->sum.corrupted_entries++;
            v->last_corrupted = line;
        }
        if (klass == CX_LOGCLASS_TORN_LINE)
            v->sum.torn_entries++;
    }
    if (v->o.keep_per_class && n > v->o.keep_per_class)
        return 0;
    f->line = line;
    f->klass = (cx_logcheck_class)klass;
    f->severity = severity;
    f->field = field;
    f->message = v->msg;
    return 1;
}

static size_t parse_message(const rec *x, const char *text, char *out, size_t cap)
{
    return cx_logcheck_error_message(&x->err, CX_LOGCHECK_INVALID_JSON, text, x->text_len, out,
                                     cap);
}

/* The finding about the whole line (stage 0), if any. */
static int line_finding(cx_logvalidate *v, const rec *x, const char *text, uint64_t line,
                        cx_logvalidate_finding *f)
{
    char *m = v->msg;
    size_t cap = sizeof v->msg;
    switch (x->kind) {
    case CX_LOGCHECK_BAD_UTF8:
        cx_logcheck_error_message(&x->err, CX_LOGCHECK_BAD_UTF8, text, x->text_len, m, cap);
        return emit(v, f, line, CX_LOGCLASS_INVALID_ENCODING, CX_LOGVALIDATE_ERROR, NULL);
    case CX_LOGCHECK_INVALID_JSON:
        parse_message(x, text, m, cap);
        return emit(v, f, line, CX_LOGCLASS_INVALID_JSON, CX_LOGVALIDATE_ERROR, NULL);
    case CX_LOGCHECK_PREFIX: {
        const char *lead = NULL;
        if (x->flags & R_NO_NEWLINE)
            lead = "the last line ends inside a row (a write cut short): ";
        else if (x->flags & R_NEXT_OBJECT)
            lead = "a row cut short, then a complete row on the next line: ";
        if (!lead) {
            parse_message(x, text, m, cap);
            return emit(v, f, line, CX_LOGCLASS_INVALID_JSON, CX_LOGVALIDATE_ERROR, NULL);
        }
        size_t n = strlen(lead);
        memcpy(m, lead, n);
        parse_message(x, text, m + n, cap - n);
        return emit(v, f, line, CX_LOGCLASS_TORN_LINE, CX_LOGVALIDATE_ERROR, NULL);
    }
    case CX_LOGCHECK_GLUED:
    case CX_LOGCHECK_ZERO_FILL:
        cx_logcheck_error_message(&x->err, (cx_logcheck_kind)x->kind, text, x->text_len, m, cap);
        return emit(v, f, line, CX_LOGCLASS_TORN_LINE, CX_LOGVALIDATE_ERROR, NULL);
    case CX_LOGCHECK_NOT_OBJECT:
        snprintf(m, cap, "json is not an object (%s)",
                 x->jtype == 'a'   ? "an array"
                 : x->jtype == 's' ? "a string"
                 : x->jtype == 'i' ? "a number"
                 : x->jtype == 'n' ? "null"
                                   : "a boolean");
        return emit(v, f, line, CX_LOGCLASS_NOT_OBJECT, CX_LOGVALIDATE_ERROR, NULL);
    default:
        if (!(x->flags & R_NO_NEWLINE))
            return 0;
        snprintf(m, cap,
                 "the last row has no newline after it (it is complete; the next append "
                 "adds one)");
        return emit(v, f, line, CX_LOGCLASS_TORN_LINE, CX_LOGVALIDATE_WARNING, NULL);
    }
}

/* The next finding of record x (stages: line, missing keys, field findings, duplicate id).
 * Returns 1 with a finding, 0 when x has no more. */
static int record_step(cx_logvalidate *v, const result *r, const rec *x, uint64_t line,
                       cx_logvalidate_finding *f)
{
    const cx_logcheck *c = v->c;
    for (;;) {
        switch (v->stage) {
        case 0:
            v->stage = 1;
            v->bit = 0;
            if (line_finding(v, x, r->arena ? r->arena + x->text_off : "", line, f))
                return 1;
            break;
        case 1:
            while (v->bit < 64 && !(x->missing >> v->bit & 1))
                v->bit++;
            if (v->bit >= 64) {
                v->stage = 2;
                v->ii = 0;
                break;
            }
            {
                const char *other;
                int legacy;
                const char *key = cx_logcheck_missing_key(c, v->bit++, &other, &legacy);
                if (legacy)
                    snprintf(v->msg, sizeof v->msg, "missing legacy field '%s' (or '%s')", key,
                             other);
                else
                    snprintf(v->msg, sizeof v->msg, "missing required field '%s'", key);
                if (emit(v, f, line, CX_LOGCLASS_MISSING_REQUIRED, CX_LOGVALIDATE_ERROR, key))
                    return 1;
            }
            break;
        case 2:
            if (v->ii >= x->nissues) {
                v->stage = 3;
                break;
            }
            {
                const cx_logcheck_issue *i = &r->issues[x->issue0 + v->ii++];
                cx_logcheck_issue_message(c, i, r->arena, v->msg, sizeof v->msg);
                if (emit(v, f, line, i->klass, CX_LOGVALIDATE_ERROR, cx_logcheck_key(c, i->field)))
                    return 1;
            }
            break;
        case 3:
            v->stage = 4;
            if (x->flags & R_HAS_ID) {
                uint64_t at = seen_id(v, x->id_hash, line);
                if (at) {
                    size_t n = (size_t)snprintf(v->msg, sizeof v->msg, "execution_id '");
                    n = cx_logcheck_escape(v->msg, n, sizeof v->msg, r->arena + x->id_off,
                                           x->id_len);
                    snprintf(v->msg + n, sizeof v->msg - n, "' already used on line %llu",
                             (unsigned long long)at);
                    if (emit(v, f, line, CX_LOGCLASS_DUPLICATE_EXECUTION_ID, CX_LOGVALIDATE_WARNING,
                             cx_logcheck_id_key(c)))
                        return 1;
                }
            }
            break;
        default:
            return 0;
        }
    }
}

/* Waits for the next block in order. 1 = v->cur is set, 0 = no more blocks, -1 = failure. */
static int take_block(cx_logvalidate *v, char *err, size_t errlen)
{
    if (v->nworkers == 0) {
        if (v->all_assigned)
            return 0;
        slot *s = &v->slots[0];
        assign(v, s);
        process_block(v, &v->inline_worker, s);
        s->state = S_DONE;
        v->cur = s;
    } else {
        pthread_mutex_lock(&v->mu);
        slot *s = &v->slots[v->merged % v->nslots];
        while (!(s->state == S_DONE && s->block == v->merged)) {
            if (v->all_assigned && v->merged >= v->assigned) {
                pthread_mutex_unlock(&v->mu);
                return 0;
            }
            pthread_cond_wait(&v->cv_done, &v->mu);
        }
        pthread_mutex_unlock(&v->mu);
        v->cur = s;
    }
    result *r = &v->cur->r;
    if (r->failed) {
        fail(err, errlen, "%s", r->err);
        return -1;
    }
    v->sum.entries_scanned += r->scanned;
    v->sum.legacy_entries += r->legacy;
    v->sum.invalid_json_entries += r->invalid_json;
    v->ri = 0;
    v->stage = 0;
    return 1;
}

static void release_block(cx_logvalidate *v)
{
    v->line_base += v->cur->r.lines;
    if (v->nworkers) {
        pthread_mutex_lock(&v->mu);
        v->cur->state = S_EMPTY;
        v->merged++;
        pthread_cond_broadcast(&v->cv_free);
        pthread_mutex_unlock(&v->mu);
    } else {
        v->cur->state = S_EMPTY;
        v->merged++;
    }
    v->cur = NULL;
}

/* A row cut short at a block's end: resolved by the first non-blank line of a later block. */
static int resolve_pending(cx_logvalidate *v, int next_is_object, cx_logvalidate_finding *f)
{
    v->pending = 0;
    if (next_is_object)
        v->pending_rec.flags |= R_NEXT_OBJECT;
    return line_finding(v, &v->pending_rec, v->pending_text, v->pending_line, f);
}

int cx_logvalidate_next(cx_logvalidate *v, cx_logvalidate_finding *f, char *err, size_t errlen)
{
    for (;;) {
        if (v->failed)
            return fail(err, errlen, "validation of %s already failed", v->name);
        if (v->done)
            return 0;
        if (!v->cur) {
            int rc = take_block(v, err, errlen);
            if (rc < 0) {
                v->failed = 1;
                return -1;
            }
            if (rc == 0) {
                v->done = 1;
                v->sum.lines = v->line_base;
                if (v->pending && resolve_pending(v, 0, f))
                    return 1;
                return 0;
            }
            if (v->pending && v->cur->r.first_kind >= 0 &&
                resolve_pending(v, v->cur->r.first_kind == CX_LOGCHECK_OBJECT, f))
                return 1;
            continue;
        }
        const result *r = &v->cur->r;
        if (v->ri >= r->nrecs) {
            release_block(v);
            continue;
        }
        const rec *x = &r->recs[v->ri];
        uint64_t line = v->line_base + x->local + 1;
        if ((x->flags & R_UNRESOLVED) && v->stage == 0) { /* wait for the next non-blank line */
            v->pending = 1;
            v->pending_rec = *x;
            v->pending_line = line;
            memcpy(v->pending_text, r->arena + x->text_off, x->text_len);
            v->ri++;
            continue;
        }
        if (record_step(v, r, x, line, f))
            return 1;
        v->ri++;
        v->stage = 0;
    }
}
