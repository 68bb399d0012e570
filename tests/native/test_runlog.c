#include "check.h"
#include "runlog.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char tmp[64];
static char errbuf[512];

static const char *at(const char *name)
{
    static char path[4][256];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", tmp, name);
    return p;
}

static void put(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    fwrite(data, 1, len, f);
    fclose(f);
}

/* The whole file, NUL-terminated; the caller frees. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    if (len)
        *len = got;
    return s;
}

static void check_file(const char *path, const char *want)
{
    char *s = slurp(path, NULL);
    CHECK_STR(s, want);
    free(s);
}

static void test_append(void)
{
    const char *p = at("a/b/c/runs.jsonl");
    CHECK_INT(cx_runlog_append(p, "{\"a\":1}", 7, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(cx_runlog_append(p, "{\"b\":2}", 7, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    check_file(p, "{\"a\":1}\n{\"b\":2}\n");
    uint64_t size = 0;
    CHECK_INT(cx_runlog_size(p, &size, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(size, 16);

    /* a row that is not one line is refused and nothing is written */
    CHECK_INT(cx_runlog_append(p, "{\"c\":\n3}", 8, errbuf, sizeof errbuf), CX_RUNLOG_EINVAL);
    CHECK(strstr(errbuf, p) != NULL);
    CHECK(strstr(errbuf, "newline") != NULL);
    check_file(p, "{\"a\":1}\n{\"b\":2}\n");

    /* an empty row is still one row */
    const char *q = at("empty-row.jsonl");
    CHECK_INT(cx_runlog_append(q, "", 0, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    check_file(q, "\n");
}

static void test_append_errors(void)
{
    const char *file = at("plain-file");
    put(file, "x", 1);
    char path[300];
    snprintf(path, sizeof path, "%s/sub/runs.jsonl", file);
    CHECK_INT(cx_runlog_append(path, "{}", 2, errbuf, sizeof errbuf), CX_RUNLOG_EIO);
    CHECK(strstr(errbuf, file) != NULL);
    CHECK(strstr(errbuf, strerror(ENOTDIR)) != NULL);

    /* the log path is a directory */
    CHECK_INT(cx_runlog_append(tmp, "{}", 2, errbuf, sizeof errbuf), CX_RUNLOG_EIO);
    CHECK(strstr(errbuf, tmp) != NULL);

    uint64_t size;
    CHECK_INT(cx_runlog_size(at("missing.jsonl"), &size, errbuf, sizeof errbuf), CX_RUNLOG_ENOENT);
    CHECK(strstr(errbuf, "missing.jsonl") != NULL);
    CHECK(strstr(errbuf, strerror(ENOENT)) != NULL);
}

static void test_torn_repair(void)
{
    const char *p = at("torn.jsonl");
    put(p, "{\"a\":1}\n{\"cut", 13);
    CHECK_INT(cx_runlog_append(p, "{\"b\":2}", 7, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    check_file(p, "{\"a\":1}\n{\"cut\n{\"b\":2}\n");
}

/* ---- the tail reader, against a plain reading of the whole file ---- */

typedef struct naive {
    char *lines[64];
    size_t count;
    int torn;
} naive;

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\v\f", s[i]) || s[i] == '\0')
            return 0;
    return 1;
}

/* The last n non-blank lines of data, by splitting all of it. */
static void naive_tail(const char *data, size_t len, size_t n, naive *out)
{
    memset(out, 0, sizeof *out);
    size_t starts[4096], ends[4096], count = 0, s = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || data[i] == '\n') {
            if (i == len && s == len)
                break;
            size_t e = i;
            if (e > s && data[e - 1] == '\r')
                e--;
            if (!blank(data + s, e - s)) {
                starts[count] = s;
                ends[count++] = e;
                out->torn = i == len;
            } else if (i == len) {
                out->torn = 0;
            }
            s = i + 1;
        }
    }
    size_t from = count > n ? count - n : 0;
    for (size_t i = from; i < count; i++)
        out->lines[out->count++] = strndup(data + starts[i], ends[i] - starts[i]);
    if (out->count == 0)
        out->torn = 0;
}

static void naive_free(naive *n)
{
    for (size_t i = 0; i < n->count; i++)
        free(n->lines[i]);
}

static int tail_matches(const char *path, const char *data, size_t len, size_t n, size_t block)
{
    naive want;
    naive_tail(data, len, n, &want);
    cx_runlog_tail_result got;
    int ok = cx_runlog_tail(path, n, block, &got, errbuf, sizeof errbuf) == CX_RUNLOG_OK;
    ok = ok && got.count == want.count && got.torn == want.torn && got.bytes_read <= len;
    for (size_t i = 0; ok && i < got.count; i++) {
        ok = got.lines[i].len == strlen(want.lines[i]) &&
             memcmp(got.lines[i].text, want.lines[i], got.lines[i].len) == 0 &&
             got.lines[i].text[got.lines[i].len] == '\0';
    }
    cx_runlog_tail_free(&got);
    naive_free(&want);
    return ok;
}

static void test_tail_cases(void)
{
    const char *p = at("tail.jsonl");
    cx_runlog_tail_result t;

    CHECK_INT(cx_runlog_tail(at("nope.jsonl"), 5, 0, &t, errbuf, sizeof errbuf), CX_RUNLOG_ENOENT);
    CHECK(strstr(errbuf, "nope.jsonl") != NULL);
    cx_runlog_tail_free(&t);

    put(p, "", 0);
    CHECK_INT(cx_runlog_tail(p, 5, 0, &t, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(t.count, 0);
    CHECK_INT(t.torn, 0);
    CHECK_INT(t.bytes_read, 0);
    cx_runlog_tail_free(&t);

    put(p, "\n\n\n\n", 4);
    CHECK_INT(cx_runlog_tail(p, 5, 2, &t, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(t.count, 0);
    CHECK_INT(t.bytes_read, 4);
    cx_runlog_tail_free(&t);

    const char *d = "one\r\ntwo\n\n  \nthree";
    put(p, d, strlen(d));
    CHECK_INT(cx_runlog_tail(p, 10, 3, &t, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(t.count, 3);
    if (t.count == 3) {
        CHECK_STR(t.lines[0].text, "one");
        CHECK_STR(t.lines[1].text, "two");
        CHECK_STR(t.lines[2].text, "three");
        CHECK_INT(t.lines[2].offset, 13);
    }
    CHECK_INT(t.torn, 1);
    cx_runlog_tail_free(&t);

    CHECK_INT(cx_runlog_tail(p, 0, 0, &t, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(t.count, 0);
    cx_runlog_tail_free(&t);

    /* walking back: only the part before a line's offset, whatever the block size */
    for (size_t block = 1; block <= 8; block *= 2) {
        CHECK_INT(cx_runlog_tail_before(p, 13, 10, block, &t, errbuf, sizeof errbuf), CX_RUNLOG_OK);
        CHECK_INT(t.count, 2);
        if (t.count == 2) {
            CHECK_STR(t.lines[0].text, "one");
            CHECK_STR(t.lines[1].text, "two");
            CHECK_INT(t.lines[1].offset, 5);
        }
        CHECK_INT(t.torn, 0);
        cx_runlog_tail_free(&t);
        CHECK_INT(cx_runlog_tail_before(p, 5, 1, block, &t, errbuf, sizeof errbuf), CX_RUNLOG_OK);
        CHECK_INT(t.count, 1);
        if (t.count == 1)
            CHECK_STR(t.lines[0].text, "one");
        cx_runlog_tail_free(&t);
        CHECK_INT(cx_runlog_tail_before(p, 0, 3, block, &t, errbuf, sizeof errbuf), CX_RUNLOG_OK);
        CHECK_INT(t.count, 0);
        cx_runlog_tail_free(&t);
    }
    /* an offset past the end is the end */
    CHECK_INT(cx_runlog_tail_before(p, 1000, 1, 0, &t, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(t.count, 1);
    CHECK_INT(t.torn, 1);
    cx_runlog_tail_free(&t);
}

/* Only the end of a big file is read. */
static void test_tail_reads_only_the_end(void)
{
    const char *p = at("big.jsonl");
    FILE *f = fopen(p, "wb");
    for (int i = 0; i < 100000; i++)
        fprintf(f, "{\"i\":%d,\"pad\":\"................................\"}\n", i);
    fclose(f);
    cx_runlog_tail_result t;
    CHECK_INT(cx_runlog_tail(p, 3, 4096, &t, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(t.count, 3);
    CHECK_INT(t.bytes_read, 4096);
    if (t.count == 3)
        CHECK(strncmp(t.lines[2].text, "{\"i\":99999,", 11) == 0);
    CHECK_INT(t.torn, 0);
    cx_runlog_tail_free(&t);
}

/* Random files of short, long, blank, CRLF and torn lines, every n and block size, against the
 * naive reading. */
static void test_tail_random(void)
{
    const char *p = at("random.jsonl");
    unsigned seed = 12345;
    int bad = 0;
    for (int round = 0; round < 300; round++) {
        char data[2048];
        size_t len = 0;
        int lines = rand_r(&seed) % 12;
        for (int i = 0; i < lines && len < 1800; i++) {
            int kind = rand_r(&seed) % 6;
            int n = kind == 0 ? 0 : kind == 1 ? 150 : rand_r(&seed) % 20;
            for (int k = 0; k < n && len < 1900; k++)
                data[len++] = kind == 2 ? ' ' : (char)('a' + rand_r(&seed) % 26);
            if (kind == 3)
                data[len++] = '\r';
            if (i < lines - 1 || rand_r(&seed) % 2)
                data[len++] = '\n';
        }
        put(p, data, len);
        size_t n = (size_t)(rand_r(&seed) % 14);
        size_t block = 1 + (size_t)(rand_r(&seed) % 40);
        if (!tail_matches(p, data, len, n, block) || !tail_matches(p, data, len, n, 0))
            bad++;
    }
    CHECK_INT(bad, 0);
}

/* ---- the forward reader ---- */

static void test_reader(void)
{
    const char *p = at("fwd.jsonl");
    char longline[3000];
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    char data[4000];
    int len = snprintf(data, sizeof data, "first\r\n\n%s\nlast", longline);
    put(p, data, (size_t)len);

    cx_runlog_reader *r;
    cx_runlog_line l;
    CHECK_INT(cx_runlog_reader_open(p, 0, 16, &r, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 1);
    CHECK_STR(l.text, "first");
    CHECK_INT(l.lineno, 1);
    CHECK_INT(l.offset, 0);
    CHECK_INT(l.torn, 0);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 1);
    CHECK_STR(l.text, "");
    CHECK_INT(l.lineno, 2);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 1);
    CHECK_STR(l.text, longline);
    CHECK_INT(l.len, 2999);
    CHECK_INT(l.lineno, 3);
    CHECK_INT(l.offset, 8);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 1);
    CHECK_STR(l.text, "last");
    CHECK_INT(l.lineno, 4);
    CHECK_INT(l.torn, 1);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 0);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 0);
    cx_runlog_reader_close(r);

    /* from an offset: line numbers count from there */
    CHECK_INT(cx_runlog_reader_open(p, 8 + 3000, 0, &r, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 1);
    CHECK_STR(l.text, "last");
    CHECK_INT(l.lineno, 1);
    CHECK_INT(l.offset, 3008);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 0);
    cx_runlog_reader_close(r);

    /* past the end */
    CHECK_INT(cx_runlog_reader_open(p, 1u << 30, 0, &r, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 0);
    cx_runlog_reader_close(r);

    put(p, "", 0);
    CHECK_INT(cx_runlog_reader_open(p, 0, 0, &r, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 0);
    cx_runlog_reader_close(r);

    CHECK_INT(cx_runlog_reader_open(at("nope"), 0, 0, &r, errbuf, sizeof errbuf), CX_RUNLOG_ENOENT);
    CHECK(r == NULL);
    CHECK_INT(cx_runlog_reader_open(tmp, 0, 0, &r, errbuf, sizeof errbuf), CX_RUNLOG_EIO);
    CHECK(strstr(errbuf, "not a regular file") != NULL);
}

/* Random contents and block sizes: the lines joined back with their newlines give the file. */
static void test_reader_random(void)
{
    const char *p = at("fwd-random.jsonl");
    unsigned seed = 777;
    int bad = 0;
    for (int round = 0; round < 200; round++) {
        char data[1024], back[1100];
        size_t len = (size_t)(rand_r(&seed) % 1000), blen = 0;
        for (size_t i = 0; i < len; i++)
            data[i] = rand_r(&seed) % 5 == 0 ? '\n' : (char)('a' + rand_r(&seed) % 26);
        put(p, data, len);
        cx_runlog_reader *r;
        cx_runlog_line l;
        if (cx_runlog_reader_open(p, 0, 1 + (size_t)(rand_r(&seed) % 50), &r, errbuf,
                                  sizeof errbuf) != CX_RUNLOG_OK) {
            bad++;
            continue;
        }
        uint64_t want_lineno = 1;
        int rc;
        while ((rc = cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf)) == 1) {
            if (l.offset != blen || l.lineno != want_lineno++)
                bad++;
            memcpy(back + blen, l.text, l.len);
            blen += l.len;
            if (!l.torn)
                back[blen++] = '\n';
            else if (blen != len)
                bad++;
        }
        if (rc != 0 || blen != len || memcmp(back, data, len) != 0)
            bad++;
        cx_runlog_reader_close(r);
    }
    CHECK_INT(bad, 0);
}

/* ---- acceptance: concurrent writers, killed writer ---- */

#define WRITERS 8
#define ROWS 10000

static void writer_child(const char *path, int id)
{
    char row[6000], pad[5100];
    char err[256];
    for (int seq = 0; seq < ROWS; seq++) {
        /* mostly short rows, every 100th longer than a pipe buffer */
        size_t padlen = seq % 100 == 0 ? 5000 : 100 + (size_t)(seq % 200);
        memset(pad, 'a' + id, padlen);
        pad[padlen] = '\0';
        int n = snprintf(row, sizeof row,
                         "{\"execution_id\":\"20260305T141502Z_cx_%d_%d\",\"writer\":%d,"
                         "\"seq\":%d,\"pad\":\"%s\"}",
                         id, seq, id, seq, pad);
        if (cx_runlog_append(path, row, (size_t)n, err, sizeof err) != CX_RUNLOG_OK) {
            fprintf(stderr, "writer %d: %s\n", id, err);
            _exit(1);
        }
    }
    _exit(0);
}

static void test_concurrent_writers(void)
{
    const char *p = at("concurrent/runs.jsonl");
    pid_t pids[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        pids[i] = fork();
        if (pids[i] == 0)
            writer_child(p, i);
    }
    int ok_children = 0;
    for (int i = 0; i < WRITERS; i++) {
        int st;
        if (waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            ok_children++;
    }
    CHECK_INT(ok_children, WRITERS);

    static unsigned char seen[WRITERS][ROWS];
    memset(seen, 0, sizeof seen);
    size_t lines = 0, invalid = 0, dup = 0, torn = 0;
    cx_runlog_reader *r;
    cx_runlog_line l;
    CHECK_INT(cx_runlog_reader_open(p, 0, 0, &r, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    while (cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf) == 1) {
        lines++;
        torn += l.torn != 0;
        json_error_t jerr;
        json_t *v = json_loadb(l.text, l.len, 0, &jerr);
        json_int_t w = v ? json_integer_value(json_object_get(v, "writer")) : -1;
        json_int_t s = v ? json_integer_value(json_object_get(v, "seq")) : -1;
        if (!v || w < 0 || w >= WRITERS || s < 0 || s >= ROWS) {
            invalid++;
        } else if (seen[w][s]++) {
            dup++;
        }
        json_decref(v);
    }
    cx_runlog_reader_close(r);
    size_t missing = 0;
    for (int w = 0; w < WRITERS; w++)
        for (int s = 0; s < ROWS; s++)
            missing += seen[w][s] == 0;
    CHECK_INT(lines, WRITERS * ROWS);
    CHECK_INT(invalid, 0);
    CHECK_INT(dup, 0);
    CHECK_INT(missing, 0);
    CHECK_INT(torn, 0);
}

/* A child takes the writer's lock, writes part of a row and is killed with SIGKILL. */
static void test_killed_writer(void)
{
    const char *p = at("killed/runs.jsonl");
    const char *first = "{\"execution_id\":\"1\",\"ok\":true}";
    CHECK_INT(cx_runlog_append(p, first, strlen(first), errbuf, sizeof errbuf), CX_RUNLOG_OK);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(p, O_WRONLY | O_APPEND);
        if (fd < 0 || flock(fd, LOCK_EX) != 0)
            _exit(1);
        const char *part = "{\"execution_id\":\"2\",\"prompt_pre";
        if (write(fd, part, strlen(part)) < 0)
            _exit(1);
        raise(SIGKILL);
        _exit(1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    cx_runlog_reader *r;
    cx_runlog_line l;
    CHECK_INT(cx_runlog_reader_open(p, 0, 0, &r, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 1);
    CHECK_INT(l.torn, 0);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 1);
    CHECK_STR(l.text, "{\"execution_id\":\"2\",\"prompt_pre");
    CHECK_INT(l.torn, 1);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 0);
    cx_runlog_reader_close(r);

    /* the dead writer's lock is gone, and the next row starts on a fresh line */
    const char *third = "{\"execution_id\":\"3\",\"ok\":true}";
    CHECK_INT(cx_runlog_append(p, third, strlen(third), errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(cx_runlog_reader_open(p, 0, 0, &r, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    int parsed = 0, lines = 0, torn = 0;
    while (cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf) == 1) {
        lines++;
        torn += l.torn;
        json_t *v = json_loadb(l.text, l.len, 0, NULL);
        parsed += v != NULL;
        json_decref(v);
        if (l.lineno == 3)
            CHECK_STR(l.text, third);
    }
    cx_runlog_reader_close(r);
    CHECK_INT(lines, 3);
    CHECK_INT(parsed, 2);
    CHECK_INT(torn, 0);

    cx_runlog_tail_result t;
    CHECK_INT(cx_runlog_tail(p, 1, 0, &t, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(t.count, 1);
    if (t.count == 1)
        CHECK_STR(t.lines[0].text, third);
    CHECK_INT(t.torn, 0);
    cx_runlog_tail_free(&t);
}

/* A writer that stops while holding the lock (here: this process, through another open file) does
 * not hang readers: after a bounded wait they read anyway and report the partial row as torn. */
static void test_stuck_writer(void)
{
    const char *p = at("stuck.jsonl");
    put(p, "{\"a\":1}\n", 8);
    int fd = open(p, O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0);
    CHECK(write(fd, "{\"b\":", 5) == 5);
    cx_runlog_tail_result t;
    CHECK_INT(cx_runlog_tail(p, 5, 0, &t, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(t.count, 2);
    CHECK_INT(t.torn, 1);
    cx_runlog_tail_free(&t);
    close(fd);
}

/* ---- the writers' lock held from outside: rewriting the log in place ---- */

/* How many processes wait for a flock on inode ino: /proc/locks lists each blocked request as
 * "N: -> FLOCK  ADVISORY  WRITE <pid> <maj>:<min>:<ino> 0 EOF". */
static int flock_waiters(ino_t ino)
{
    FILE *f = fopen("/proc/locks", "r");
    if (!f)
        return -1;
    char line[256], want[64];
    snprintf(want, sizeof want, ":%lu ", (unsigned long)ino);
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, "-> FLOCK") && strstr(line, want);
    fclose(f);
    return n;
}

/* Wait (bounded) until n processes are blocked on the lock of ino: the event that they opened the
 * old file before it was replaced. */
static int await_waiters(ino_t ino, int n)
{
    for (int i = 0; i < 60 * 1000; i++) {
        int got = flock_waiters(ino);
        if (got < 0 || got >= n)
            return got;
        struct timespec ms = {0, 1000 * 1000};
        nanosleep(&ms, NULL);
    }
    return flock_waiters(ino);
}

static void test_lock_errors(void)
{
    int fd = 7;
    const char *missing = at("lockmiss/runs.jsonl");
    CHECK_INT(cx_runlog_lock(missing, &fd, errbuf, sizeof errbuf), CX_RUNLOG_ENOENT);
    CHECK_INT(fd, -1);
    CHECK(strstr(errbuf, "lockmiss/runs.jsonl") != NULL);
    CHECK(access(at("lockmiss"), F_OK) != 0); /* creates nothing */
    CHECK_INT(cx_runlog_lock(tmp, &fd, errbuf, sizeof errbuf), CX_RUNLOG_EIO);
    CHECK(strstr(errbuf, "not a regular file") != NULL);
    CHECK_INT(fd, -1);
    cx_runlog_reader *r = (cx_runlog_reader *)1;
    CHECK_INT(cx_runlog_reader_open_locked(-1, "x.jsonl", 0, 0, &r, errbuf, sizeof errbuf),
              CX_RUNLOG_EIO);
    CHECK(r == NULL);
    cx_runlog_unlock(-1); /* a no-op */
}

/* Under the lock: appenders wait (a non-blocking exclusive flock from another open fails), and the
 * holder reads the file through the lock without waiting for its own lock. */
static void test_lock_blocks_and_reads(void)
{
    const char *p = at("held.jsonl");
    put(p, "{\"a\":1}\n{\"b\":2}\n", 16);
    int fd;
    CHECK_INT(cx_runlog_lock(p, &fd, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    int other = open(p, O_RDONLY);
    CHECK(other >= 0);
    CHECK(flock(other, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cx_runlog_reader *r;
    cx_runlog_line l;
    CHECK_INT(cx_runlog_reader_open_locked(fd, p, 8, 0, &r, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 1);
    CHECK_STR(l.text, "{\"b\":2}");
    CHECK_INT(l.offset, 8);
    CHECK_INT(cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf), 0);
    cx_runlog_reader_close(r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(t1.tv_sec - t0.tv_sec < 1); /* a shared lock through a new open would wait ~2 s */
    /* closing the reader's duplicate keeps the lock */
    CHECK(flock(other, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK);
    cx_runlog_unlock(fd);
    CHECK(flock(other, LOCK_EX | LOCK_NB) == 0);
    close(other);
}

#define REPL_APPENDERS 4
#define REPL_ROWS 25

static void replace_appender(const char *path, int id)
{
    char row[128], err[256];
    for (int seq = 0; seq < REPL_ROWS; seq++) {
        int n = snprintf(row, sizeof row, "{\"writer\":%d,\"seq\":%d}", id, seq);
        if (cx_runlog_append(path, row, (size_t)n, err, sizeof err) != CX_RUNLOG_OK) {
            fprintf(stderr, "appender %d: %s\n", id, err);
            _exit(1);
        }
    }
    _exit(0);
}

/* The holder of the lock renames a new file over the log while appenders (and another would-be
 * holder) wait on the old file: once released, every row lands in the new file, none in the old
 * inode, and the other holder ends up holding the new file. */
static void test_replace_under_lock(void)
{
    const char *p = at("replace/runs.jsonl");
    char keep[256], fresh[256];
    snprintf(keep, sizeof keep, "%s", at("replace/old-inode.jsonl"));
    snprintf(fresh, sizeof fresh, "%s", at("replace/runs.jsonl.tmp"));
    const char *old_row = "{\"old\":true}";
    CHECK_INT(cx_runlog_append(p, old_row, strlen(old_row), errbuf, sizeof errbuf), CX_RUNLOG_OK);
    put(fresh, "{\"new\":true}\n", 13);
    struct stat fresh_st, old_st;
    CHECK(stat(fresh, &fresh_st) == 0);

    int fd;
    CHECK_INT(cx_runlog_lock(p, &fd, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK(fstat(fd, &old_st) == 0);
    pid_t pids[REPL_APPENDERS + 1];
    for (int i = 0; i < REPL_APPENDERS; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            close(fd); /* the lock belongs to the open file: a child's copy would keep it held */
            replace_appender(p, i);
        }
    }
    pids[REPL_APPENDERS] = fork();
    if (pids[REPL_APPENDERS] == 0) {
        close(fd);
        int lfd;
        struct stat st;
        if (cx_runlog_lock(p, &lfd, errbuf, sizeof errbuf) != CX_RUNLOG_OK || fstat(lfd, &st) != 0)
            _exit(1);
        _exit(st.st_ino == fresh_st.st_ino && st.st_dev == fresh_st.st_dev ? 0 : 2);
    }
    CHECK_INT(await_waiters(old_st.st_ino, REPL_APPENDERS + 1), REPL_APPENDERS + 1);
    CHECK(link(p, keep) == 0);
    CHECK(rename(fresh, p) == 0);
    cx_runlog_unlock(fd);

    int ok_children = 0;
    for (int i = 0; i <= REPL_APPENDERS; i++) {
        int st;
        if (waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            ok_children++;
    }
    CHECK_INT(ok_children, REPL_APPENDERS + 1);

    check_file(keep, "{\"old\":true}\n"); /* nothing went to the orphaned inode */
    int seen[REPL_APPENDERS][REPL_ROWS];
    memset(seen, 0, sizeof seen);
    size_t lines = 0, invalid = 0;
    cx_runlog_reader *r;
    cx_runlog_line l;
    CHECK_INT(cx_runlog_reader_open(p, 0, 0, &r, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    while (cx_runlog_reader_next(r, &l, errbuf, sizeof errbuf) == 1) {
        if (lines++ == 0) {
            CHECK_STR(l.text, "{\"new\":true}");
            continue;
        }
        json_t *v = json_loadb(l.text, l.len, 0, NULL);
        json_int_t w = v ? json_integer_value(json_object_get(v, "writer")) : -1;
        json_int_t s = v ? json_integer_value(json_object_get(v, "seq")) : -1;
        if (!v || w < 0 || w >= REPL_APPENDERS || s < 0 || s >= REPL_ROWS)
            invalid++;
        else
            seen[w][s]++;
        json_decref(v);
    }
    cx_runlog_reader_close(r);
    size_t once = 0;
    for (int w = 0; w < REPL_APPENDERS; w++)
        for (int s = 0; s < REPL_ROWS; s++)
            once += seen[w][s] == 1;
    CHECK_INT(lines, 1 + REPL_APPENDERS * REPL_ROWS);
    CHECK_INT(invalid, 0);
    CHECK_INT(once, REPL_APPENDERS * REPL_ROWS);
}

/* A FIFO, directory or symlink where the log belongs: every reader and the writer fail at once with
 * a message naming the path (an alarm turns a hang into a failure), and no row vanishes into a
 * pipe. */
static void test_hostile_files(void)
{
    alarm(20);
    const char *fifo = at("fifo.jsonl");
    CHECK_INT(mkfifo(fifo, 0600), 0);
    CHECK_INT(cx_runlog_append(fifo, "{}", 2, errbuf, sizeof errbuf), CX_RUNLOG_EIO);
    CHECK(strstr(errbuf, "fifo.jsonl: it is a FIFO, not a regular file") != NULL);
    cx_runlog_tail_result t;
    CHECK_INT(cx_runlog_tail(fifo, 5, 0, &t, errbuf, sizeof errbuf), CX_RUNLOG_EIO);
    cx_runlog_tail_free(&t);
    CHECK(strstr(errbuf, "FIFO") != NULL);
    cx_runlog_reader *r;
    CHECK_INT(cx_runlog_reader_open(fifo, 0, 0, &r, errbuf, sizeof errbuf), CX_RUNLOG_EIO);
    CHECK(r == NULL);
    int fd;
    CHECK_INT(cx_runlog_lock(fifo, &fd, errbuf, sizeof errbuf), CX_RUNLOG_EIO);
    CHECK_INT(fd, -1);
    /* the run log under .codex/: a symlinked file or directory is refused, not written through */
    char dir[128], path[300], target[300];
    snprintf(dir, sizeof dir, "%s/repo/.codex", tmp);
    snprintf(target, sizeof target, "%s/elsewhere.jsonl", tmp);
    put(target, "", 0);
    snprintf(path, sizeof path, "%s/cxlogs/runs.jsonl", dir);
    CHECK_INT(cx_runlog_append(path, "{\"a\":1}", 7, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(unlink(path), 0);
    CHECK_INT(symlink(target, path), 0);
    CHECK_INT(cx_runlog_append(path, "{\"a\":2}", 7, errbuf, sizeof errbuf), CX_RUNLOG_EIO);
    CHECK(strstr(errbuf, "symbolic link") != NULL);
    CHECK_INT(cx_runlog_tail(path, 5, 0, &t, errbuf, sizeof errbuf), CX_RUNLOG_EIO);
    cx_runlog_tail_free(&t);
    CHECK_INT(cx_runlog_reader_open(path, 0, 0, &r, errbuf, sizeof errbuf), CX_RUNLOG_EIO);
    CHECK_INT(cx_runlog_lock(path, &fd, errbuf, sizeof errbuf), CX_RUNLOG_EIO);
    char logs[200], moved[200];
    snprintf(logs, sizeof logs, "%s/cxlogs", dir);
    snprintf(moved, sizeof moved, "%s/moved", tmp);
    CHECK_INT(unlink(path), 0);
    CHECK_INT(rename(logs, moved), 0);
    CHECK_INT(symlink(moved, logs), 0);
    CHECK_INT(cx_runlog_append(path, "{\"a\":3}", 7, errbuf, sizeof errbuf), CX_RUNLOG_EIO);
    CHECK(strstr(errbuf, "cxlogs is a symbolic link") != NULL);
    size_t len = 1;
    char *s = slurp(target, &len);
    CHECK_INT(len, 0); /* nothing went through either link */
    free(s);
    /* a log the user names outside .codex/ may be a symlink */
    char named[300];
    snprintf(named, sizeof named, "%s/named.jsonl", tmp);
    CHECK_INT(symlink(target, named), 0);
    CHECK_INT(cx_runlog_append(named, "{\"b\":1}", 7, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    check_file(target, "{\"b\":1}\n");
    alarm(0);
}

/* line_numbers gives the line number of rows from their offsets; a tail row's offset feeds it. */
static void test_line_numbers(void)
{
    const char *path = at("count.jsonl");
    put(path, "a\n\nbb\nccc\nlast", 15);
    uint64_t offsets[] = {0, 2, 3, 6, 10, 1000}, lines[6];
    CHECK_INT(cx_runlog_line_numbers(path, offsets, 6, lines, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(lines[0], 1);
    CHECK_INT(lines[1], 2); /* the blank line */
    CHECK_INT(lines[2], 3);
    CHECK_INT(lines[3], 4);
    CHECK_INT(lines[4], 5);
    CHECK_INT(lines[5], 5); /* past the end */
    cx_runlog_tail_result t;
    CHECK_INT(cx_runlog_tail(path, 2, 4, &t, errbuf, sizeof errbuf), CX_RUNLOG_OK);
    CHECK_INT(t.count, 2);
    if (t.count == 2) {
        uint64_t offs[2] = {t.lines[0].offset, t.lines[1].offset}, ln[2];
        CHECK_INT(cx_runlog_line_numbers(path, offs, 2, ln, errbuf, sizeof errbuf), 0);
        CHECK_INT(ln[0], 4); /* "ccc" */
        CHECK_INT(ln[1], 5); /* "last" */
    }
    cx_runlog_tail_free(&t);
    uint64_t backwards[] = {5, 1};
    CHECK_INT(cx_runlog_line_numbers(path, backwards, 2, lines, errbuf, sizeof errbuf),
              CX_RUNLOG_EINVAL);
    CHECK_INT(cx_runlog_line_numbers(at("missing"), offsets, 1, lines, errbuf, sizeof errbuf),
              CX_RUNLOG_ENOENT);
    CHECK_INT(cx_runlog_line_numbers(tmp, offsets, 1, lines, errbuf, sizeof errbuf), CX_RUNLOG_EIO);
    CHECK_INT(cx_runlog_line_numbers(path, offsets, 0, lines, errbuf, sizeof errbuf), CX_RUNLOG_OK);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/cxrunlog.XXXXXX");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    test_append();
    test_append_errors();
    test_torn_repair();
    test_tail_cases();
    test_tail_reads_only_the_end();
    test_tail_random();
    test_reader();
    test_reader_random();
    test_concurrent_writers();
    test_killed_writer();
    test_stuck_writer();
    test_lock_errors();
    test_lock_blocks_and_reads();
    test_replace_under_lock();
    test_hostile_files();
    test_line_numbers();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return CHECK_DONE();
}
