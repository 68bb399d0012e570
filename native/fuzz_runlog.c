/* libFuzzer target for the run-log readers (native/runlog.c), built by tools/fuzz.sh
 * (FUZZ_TARGET=runlog). Input: the first byte picks the block sizes (forward: 1 + b % 61, tail:
 * 1 + b / 61 % 4 ... scaled), the rest is the file. The forward reader must hand out every physical
 * line exactly as it is in the file (offsets, '\r' before '\n' stripped, the torn flag only on a
 * final line without '\n'); the tail reader must return the last n non-blank lines of the forward
 * reader's, for several n, whatever its block size. */
#include "runlog.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_runlog: %s\n", what);
    abort();
}

/* One file for the whole run, rewritten for each input. */
static const char *log_path(void)
{
    static char path[64];
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/cx_fuzz_runlog.%ld.jsonl", (long)getpid());
    }
    return path;
}

static void write_file(const char *path, const unsigned char *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        die("cannot write the input file");
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            die("short write");
        p += w;
        n -= (size_t)w;
    }
    close(fd);
}

static int blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\v\f", s[i]) || s[i] == '\0')
            return 0;
    return 1;
}

typedef struct line {
    char *text;
    size_t len;
} line;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t fwd_block = 1 + data[0] % 61, tail_block = 1 + (size_t)(data[0] / 61) * 7;
    const unsigned char *body = data + 1;
    size_t n = size - 1;
    const char *path = log_path();
    write_file(path, body, n);
    char err[512];

    cx_runlog_reader *r;
    if (cx_runlog_reader_open(path, 0, fwd_block, &r, err, sizeof err) != CX_RUNLOG_OK)
        die(err);
    line *lines = NULL;
    size_t count = 0, nonblank = 0;
    uint64_t expect_off = 0;
    cx_runlog_line l;
    int rc;
    while ((rc = cx_runlog_reader_next(r, &l, err, sizeof err)) == 1) {
        if (l.offset != expect_off || l.lineno != count + 1)
            die("offset or line number out of step");
        if (memchr(l.text, '\n', l.len) || l.text[l.len] != '\0')
            die("a line holds a newline or is not terminated");
        if (l.offset + l.len > n || memcmp(body + l.offset, l.text, l.len) != 0)
            die("a line differs from the file");
        size_t used = l.len;
        if (l.offset + used < n && body[l.offset + used] == '\r')
            used++; /* the '\r' before '\n' is not part of the text */
        if (l.torn != (l.offset + used == n))
            die("torn flag wrong");
        expect_off = l.offset + used + (l.torn ? 0 : 1);
        if (!l.torn && (expect_off > n || body[expect_off - 1] != '\n'))
            die("a complete line does not end at a newline");
        line *nl = realloc(lines, (count + 1) * sizeof *nl);
        if (!nl)
            die("oom");
        lines = nl;
        lines[count].text = malloc(l.len + 1);
        memcpy(lines[count].text, l.text, l.len + 1);
        lines[count].len = l.len;
        nonblank += !blank(l.text, l.len);
        count++;
    }
    if (rc < 0)
        die(err);
    if (expect_off != n)
        die("the reader stopped before the end of the file");
    cx_runlog_reader_close(r);

    for (size_t want = 1; want <= 6; want += 2) {
        cx_runlog_tail_result t;
        if (cx_runlog_tail(path, want, tail_block, &t, err, sizeof err) != CX_RUNLOG_OK)
            die(err);
        size_t expect = nonblank < want ? nonblank : want;
        if (t.count != expect)
            die("tail returned the wrong number of lines");
        /* the last `expect` non-blank forward lines, in order */
        size_t k = t.count;
        for (size_t i = count; i > 0 && k > 0; i--) {
            line *f = &lines[i - 1];
            if (blank(f->text, f->len))
                continue;
            k--;
            if (t.lines[k].len != f->len || memcmp(t.lines[k].text, f->text, f->len) != 0)
                die("tail and forward reader disagree");
        }
        cx_runlog_tail_free(&t);
    }
    for (size_t i = 0; i < count; i++)
        free(lines[i].text);
    free(lines);
    return 0;
}
