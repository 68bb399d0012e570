/* The whole-file validator: findings in line order with the right counters, the neighbour rules
 * (torn rows, repeated ids), bounded output per class, read errors; and the same output, byte for
 * byte, whatever the number of threads and wherever the blocks are cut. */
#include "check.h"
#include "logcheck_contract.h"
#include "logvalidate.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static cx_logcheck *C;
static char dir[64];

static const char *write_file(const char *name, const char *text, size_t len)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fwrite(text, 1, len, f);
    fclose(f);
    return path;
}

/* Everything a run hands out, as text: findings, then the counters. */
static char *run(const char *path, cx_logvalidate_opts o)
{
    size_t cap = 1 << 16, at = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    cx_logvalidate *v;
    char err[256];
    if (cx_logvalidate_open(C, path, &o, &v, err, sizeof err) != 0) {
        snprintf(out, cap, "open failed: %s", err);
        return out;
    }
    cx_logvalidate_finding f;
    int rc;
    while ((rc = cx_logvalidate_next(v, &f, err, sizeof err)) == 1) {
        if (at + 4096 > cap)
            out = realloc(out, cap *= 2);
        at += (size_t)snprintf(out + at, cap - at, "%llu %s %s %s: %s\n",
                               (unsigned long long)f.line, cx_logcheck_class_name(f.klass),
                               cx_logvalidate_severity_name(f.severity), f.field ? f.field : "-",
                               f.message);
    }
    const cx_logvalidate_counts *s = cx_logvalidate_summary(v);
    if (rc < 0)
        at += (size_t)snprintf(out + at, cap - at, "error: %s\n", err);
    snprintf(out + at, cap - at,
             "lines=%llu scanned=%llu legacy=%llu corrupted=%llu issues=%llu invalid_json=%llu "
             "torn=%llu warnings=%llu\n",
             (unsigned long long)s->lines, (unsigned long long)s->entries_scanned,
             (unsigned long long)s->legacy_entries, (unsigned long long)s->corrupted_entries,
             (unsigned long long)s->issue_count, (unsigned long long)s->invalid_json_entries,
             (unsigned long long)s->torn_entries, (unsigned long long)s->warning_count);
    cx_logvalidate_close(v);
    return out;
}

static char *inline_run(const char *path, int legacy_ok)
{
    cx_logvalidate_opts o = {0};
    o.legacy_ok = legacy_ok;
    o.threads = 1;
    o.block_size = 1 << 20;
    return run(path, o);
}

/* The same output with 1-4 threads, tiny fixed blocks and pseudo-random cuts (blocks of at least
 * min_block bytes: a byte per block is worth trying on small files only). */
static void same_everywhere_from(const char *path, int legacy_ok, size_t min_block)
{
    char *want = inline_run(path, legacy_ok);
    static const size_t blocks[] = {1, 2, 3, 7, 64, 4096};
    for (unsigned t = 1; t <= 4; t++) {
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
            if (blocks[b] < min_block)
                continue;
            for (uint64_t seed = 0; seed < 4; seed++) {
                cx_logvalidate_opts o = {0};
                o.legacy_ok = legacy_ok;
                o.threads = t;
                o.block_size = blocks[b];
                o.split_seed = seed * 7919;
                char *got = run(path, o);
                if (strcmp(got, want) != 0) {
                    fprintf(stderr, "threads %u block %zu seed %llu differs:\n%s--- want\n%s", t,
                            blocks[b], (unsigned long long)o.split_seed, got, want);
                    CHECK(0);
                    free(got);
                    free(want);
                    return;
                }
                free(got);
                CHECK(1);
            }
        }
    }
    free(want);
}

static void same_everywhere(const char *path, int legacy_ok)
{
    same_everywhere_from(path, legacy_ok, 1);
}

#define ROW(id)                                                                                    \
    "{\"execution_id\":\"" id "\",\"timestamp\":\"2026-03-05T14:15:02Z\",\"queue_ms\":1}"

static void torn_rows(void)
{
    /* a row cut short, repaired by the next append: torn; then one followed by junk, blanks and a
     * row, one at the end with its newline, and a last line cut short without one */
    const char *text = "{\"tool\":\"cx\",\"ts\":\"20\n" ROW("a") "\n"
                                                                 "{\"tool\":\"cx\"\nnot json\n"
                                                                 "{\"tool\":\"cx\",\n\n  \n" ROW(
                                                                     "b") "\n"
                                                                          "{\"tool\":\n";
    const char *path = write_file("torn.jsonl", text, strlen(text));
    char *got = inline_run(path, 0);
    CHECK_STR(
        got, "1 torn_line error -: a row cut short, then a complete row on the next line: EOF "
             "while parsing a string at line 1 column 21 (preview='{\"tool\":\"cx\",\"ts\":\"20')\n"
             "3 invalid_json error -: EOF while parsing an object at line 1 column 12 "
             "(preview='{\"tool\":\"cx\"')\n"
             "4 invalid_json error -: expected ident at line 1 column 2 (preview='not json')\n"
             "5 torn_line error -: a row cut short, then a complete row on the next line: EOF "
             "while parsing an object at line 1 column 13 (preview='{\"tool\":\"cx\",')\n"
             "9 invalid_json error -: EOF while parsing a value at line 1 column 8 "
             "(preview='{\"tool\":')\n"
             "lines=9 scanned=7 legacy=0 corrupted=5 issues=5 invalid_json=5 torn=2 warnings=0\n");
    free(got);
    same_everywhere(path, 0);

    const char *last = ROW("a") "\n{\"tool\":\"c";
    path = write_file("last.jsonl", last, strlen(last));
    got = inline_run(path, 0);
    CHECK_STR(got, "2 torn_line error -: the last line ends inside a row (a write cut short): EOF "
                   "while parsing a string at line 1 column 10 (preview='{\"tool\":\"c')\n"
                   "lines=2 scanned=2 legacy=0 corrupted=1 issues=1 invalid_json=1 torn=1 "
                   "warnings=0\n");
    free(got);
    same_everywhere(path, 0);

    const char *whole = ROW("a") "\r\n" ROW("b");
    path = write_file("whole.jsonl", whole, strlen(whole));
    got = inline_run(path, 0);
    CHECK_STR(got, "2 torn_line warning -: the last row has no newline after it (it is complete; "
                   "the next append adds one)\n"
                   "lines=2 scanned=2 legacy=0 corrupted=0 issues=0 invalid_json=0 torn=0 "
                   "warnings=1\n");
    free(got);
    same_everywhere(path, 0);
}

static void findings_and_counts(void)
{
    const char text[] =
        ROW("a") "\n"
                 "[1]\n"
                 "{\"tool\":\"cx\",\"ts\":\"2026-03-05T14:15:02Z\",\"repo_root\":\"/r\"}\n"
                 "{\"tool\":\"cx\"}\n"
                 "\xff\n" ROW("a") "\n"
                                   "{\"execution_id\":\"b\",\"timestamp\":\"2026-03-05T14:15:02Z\","
                                   "\"ts\":\"2026-03-05T14:15:03Z\",\"queue_ms\":-1}\n"
                                   "\0\0\0\0\n";
    const char *path = write_file("mixed.jsonl", text, sizeof text - 1);
    char *got = inline_run(path, 1);
    CHECK_STR(got,
              "2 not_object error -: json is not an object (an array)\n"
              "4 missing_required error ts: missing legacy field 'ts' (or 'timestamp')\n"
              "4 missing_required error repo_root: missing legacy field 'repo_root' (or "
              "'repo_root')\n"
              "5 invalid_encoding error -: stream did not contain valid UTF-8 (byte 0xff at "
              "column 1; Latin-1 or another 8-bit encoding?)\n"
              "6 duplicate_execution_id warning execution_id: execution_id 'a' already used on "
              "line 1\n"
              "7 invalid_value error queue_ms: negative value -1 (expected a non-negative "
              "integer)\n"
              "7 inconsistent error timestamp: 2026-03-05T14:15:02Z differs from ts "
              "2026-03-05T14:15:03Z\n"
              "8 torn_line error -: 4 NUL bytes (zero fill left by a crash)\n"
              "lines=8 scanned=7 legacy=1 corrupted=5 issues=7 invalid_json=1 torn=1 "
              "warnings=1\n");
    free(got);
    same_everywhere(path, 1);
    /* strict: legacy rows need the strict keys */
    got = inline_run(path, 0);
    CHECK(strstr(got, "3 missing_required error execution_id: missing required field "
                      "'execution_id'\n") != NULL);
    CHECK(strstr(got, "legacy=0 ") != NULL);
    free(got);
    same_everywhere(path, 0);

    /* only the first findings of each class are handed out; all are counted */
    cx_logvalidate_opts o = {0};
    o.legacy_ok = 0;
    o.threads = 2;
    o.block_size = 16;
    o.keep_per_class = 1;
    got = run(path, o);
    CHECK(strstr(got, "3 missing_required") != NULL);
    CHECK(strstr(got, "4 missing_required") == NULL);
    CHECK(strstr(got, "issues=11 ") != NULL);
    free(got);
}

static void duplicates(void)
{
    const char text[] = ROW("a") "\n" ROW("b") "\n" ROW("c") "\n" ROW("d") "\n" ROW("e") "\n" ROW(
        "f") "\n" ROW("a") "\n" ROW("f") "\n";
    const char *path = write_file("dups.jsonl", text, sizeof text - 1);
    char *got = inline_run(path, 0);
    CHECK(strstr(got, "7 duplicate_execution_id warning execution_id: execution_id 'a' already "
                      "used on line 1\n") != NULL);
    CHECK(strstr(got, "8 duplicate_execution_id warning execution_id: execution_id 'f' already "
                      "used on line 6\n") != NULL);
    free(got);
    /* a window of 2 ids (two generations: at least 2 remembered) forgets 'a' by line 7 */
    cx_logvalidate_opts o = {0};
    o.threads = 1;
    o.dup_window = 2;
    got = run(path, o);
    CHECK(strstr(got, "'a' already") == NULL);
    CHECK(strstr(got, "'f' already used on line 6") != NULL);
    free(got);
    same_everywhere(path, 0);
}

static void long_lines_and_edges(void)
{
    /* a 200 KB row spans many blocks; line numbers stay right */
    size_t big = 200 * 1024;
    char *text = malloc(big + 512);
    size_t n = (size_t)sprintf(text, "%s\n{\"tool\":\"", ROW("a"));
    memset(text + n, 'x', big);
    n += big;
    n += (size_t)sprintf(text + n, "\",\"ts\":\"bad\"}\n%s\n", "[]");
    const char *path = write_file("long.jsonl", text, n);
    char *got = inline_run(path, 0);
    CHECK(strstr(got, "2 invalid_value error ts: 'bad' is not an RFC 3339 timestamp") != NULL);
    CHECK(strstr(got, "3 not_object error") != NULL);
    free(got);
    same_everywhere_from(path, 0, 64);
    free(text);

    path = write_file("empty.jsonl", "", 0);
    got = inline_run(path, 0);
    CHECK_STR(got, "lines=0 scanned=0 legacy=0 corrupted=0 issues=0 invalid_json=0 torn=0 "
                   "warnings=0\n");
    free(got);
    same_everywhere(path, 0);
    path = write_file("blank.jsonl", "\n  \n\r\n", 6);
    got = inline_run(path, 0);
    CHECK_STR(got, "lines=3 scanned=0 legacy=0 corrupted=0 issues=0 invalid_json=0 torn=0 "
                   "warnings=0\n");
    free(got);
    same_everywhere(path, 0);

    cx_logvalidate_opts o = {0};
    got = run("/nonexistent/cx/runs.jsonl", o);
    CHECK(strstr(got, "open failed: cannot open /nonexistent/cx/runs.jsonl") != NULL);
    free(got);
}

/* A file shorter than the size it was opened with (it shrank): a read error, with or without
 * threads, and closing half-way stops the workers. */
static void read_errors(void)
{
    const char text[] = ROW("a") "\n" ROW("b") "\n";
    const char *path = write_file("short.jsonl", text, sizeof text - 1);
    int fd = open(path, O_RDONLY);
    for (unsigned t = 1; t <= 3; t++) {
        cx_logvalidate_opts o = {0};
        o.threads = t;
        o.block_size = 8;
        cx_logvalidate *v;
        char err[256];
        CHECK_INT(
            cx_logvalidate_open_fd(C, fd, sizeof text - 1 + 100, "short", &o, &v, err, sizeof err),
            0);
        cx_logvalidate_finding f;
        int rc;
        while ((rc = cx_logvalidate_next(v, &f, err, sizeof err)) == 1)
            ;
        CHECK_INT(rc, -1);
        CHECK_STR(err, "cannot read short: Input/output error");
        CHECK_INT(cx_logvalidate_next(v, &f, err, sizeof err), -1);
        cx_logvalidate_close(v);
    }
    /* abandoned early */
    size_t len = 0;
    char *many = malloc(100 * 64);
    for (int i = 0; i < 100; i++)
        len += (size_t)sprintf(many + len, "[%d]\n", i);
    path = write_file("many.jsonl", many, len);
    cx_logvalidate_opts o = {0};
    o.threads = 4;
    o.block_size = 5;
    cx_logvalidate *v;
    char err[256];
    CHECK_INT(cx_logvalidate_open(C, path, &o, &v, err, sizeof err), 0);
    cx_logvalidate_finding f;
    CHECK_INT(cx_logvalidate_next(v, &f, err, sizeof err), 1);
    CHECK_INT(f.line, 1);
    cx_logvalidate_close(v);
    free(many);
    close(fd);
}

int main(void)
{
    C = logcheck_test_contract();
    CHECK(C != NULL);
    snprintf(dir, sizeof dir, "/tmp/cx_logvalidate.XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    torn_rows();
    findings_and_counts();
    duplicates();
    long_lines_and_edges();
    read_errors();
    cx_logcheck_free(C);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
    return CHECK_DONE();
}
