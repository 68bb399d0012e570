/* libFuzzer target for native/logcheck.c and native/logvalidate.c:
 * - never crashes, never overflows a message (ASan/UBSan);
 * - differential against jansson (cx's JSON reader): a line is valid and readable here (object or
 *   not, no number beyond 64-bit integers or doubles) exactly when jansson reads it, apart from NUL
 *   bytes, where jansson stops reading, and nesting beyond the reference parser's 128 levels
 *   (jansson allows 2048); an object here is an object there;
 * - the crash kinds hold what they claim: a row cut short (PREFIX) is refused by jansson, which
 *   read to its end; a glued row (GLUED) is a whole object from where it starts; zero fill holds
 *   NUL bytes; bytes that are not UTF-8 are refused by jansson too;
 * - the whole-file validator gives the same findings inline and in parallel blocks cut at small,
 *   pseudo-random places (the input as a log of several lines).
 * Build and run with `FUZZ_TARGET=logcheck make fuzz` (tools/fuzz.sh). */

#include "logcheck_contract.h"
#include "logvalidate.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static cx_logcheck *contract(void)
{
    static cx_logcheck *c;
    if (!c && !(c = logcheck_test_contract()))
        abort();
    return c;
}

static void line_checks(const unsigned char *data, size_t size)
{
    static cx_logcheck_line *l;
    if (!l)
        l = cx_logcheck_line_new(contract());
    const char *text = (const char *)data;
    cx_logcheck_kind k = cx_logcheck_scan(l, text, size);
    const cx_logcheck_error *e = cx_logcheck_line_error(l);
    char msg[4096];
    cx_logcheck_error_message(e, k, text, cx_logcheck_prefix_bytes(text, size, 160), msg,
                              sizeof msg);
    if (strlen(msg) >= sizeof msg)
        abort();
    if (k == CX_LOGCHECK_OBJECT) {
        cx_logcheck_verdict vd;
        cx_logcheck_judge(l, text, size, size & 1, &vd);
        for (size_t i = 0; i < vd.nissues; i++) {
            const cx_logcheck_issue *is = &vd.issues[i];
            if (is->klass >= CX_LOGCLASS_NCLASSES || is->field < 0 ||
                (size_t)is->field >= cx_logcheck_nfields(contract()) || is->off + is->len > size)
                abort();
            cx_logcheck_issue_message(contract(), is, text, msg, sizeof msg);
        }
    }
    if (k == CX_LOGCHECK_BLANK)
        return;
    if (k == CX_LOGCHECK_ZERO_FILL && !memchr(data, 0, size))
        abort();
    if (memchr(data, 0, size))
        return; /* jansson stops reading at a NUL byte */
    json_error_t err;
    json_t *v = json_loadb(text, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    int ours =
        (k == CX_LOGCHECK_OBJECT || k == CX_LOGCHECK_NOT_OBJECT) && !cx_logcheck_line_unreadable(l);
    /* nesting: the reference's parser stops at 128 levels, jansson at 2048 */
    int deep = !ours && strstr(msg, "recursion limit exceeded") != NULL;
    if (ours != (v != NULL) && !(v && deep))
        abort();
    if (v && (k == CX_LOGCHECK_OBJECT) != json_is_object(v))
        abort();
    json_decref(v);
    if (k == CX_LOGCHECK_PREFIX && data[size - 1] < 0x80 && (size_t)err.position != size)
        abort();
    if (k == CX_LOGCHECK_GLUED) {
        json_t *row = json_loadb(text + e->aux, size - e->aux, 0, &err);
        if (!json_is_object(row))
            abort();
        json_decref(row);
    }
}

/* The input as a log: inline and parallel runs must agree byte for byte. */
static char *validate_text(int fd, size_t size, unsigned threads, size_t block, uint64_t seed)
{
    cx_logvalidate_opts o = {0};
    o.legacy_ok = (int)(size & 1);
    o.threads = threads;
    o.block_size = block;
    o.split_seed = seed;
    o.dup_window = 4;
    cx_logvalidate *v;
    char err[256];
    if (cx_logvalidate_open_fd(contract(), fd, size, "fuzz", &o, &v, err, sizeof err) != 0)
        abort();
    size_t cap = 4096, at = 0;
    char *out = malloc(cap);
    cx_logvalidate_finding f;
    while (cx_logvalidate_next(v, &f, err, sizeof err) == 1) {
        size_t need = strlen(f.message) + 128;
        if (at + need > cap) {
            while (at + need > cap)
                cap *= 2;
            out = realloc(out, cap);
        }
        at += (size_t)snprintf(out + at, cap - at, "%llu %d %d %s %s\n", (unsigned long long)f.line,
                               f.klass, f.severity, f.field ? f.field : "-", f.message);
    }
    const cx_logvalidate_counts *s = cx_logvalidate_summary(v);
    if (at + 256 > cap)
        out = realloc(out, cap = at + 256);
    snprintf(out + at, cap - at, "%llu %llu %llu %llu %llu %llu %llu\n",
             (unsigned long long)s->lines, (unsigned long long)s->entries_scanned,
             (unsigned long long)s->legacy_entries, (unsigned long long)s->corrupted_entries,
             (unsigned long long)s->issue_count, (unsigned long long)s->invalid_json_entries,
             (unsigned long long)s->warning_count);
    cx_logvalidate_close(v);
    return out;
}

static void file_checks(const unsigned char *data, size_t size)
{
    int fd = memfd_create("fuzz_logcheck", 0);
    if (fd < 0)
        return;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return;
    }
    char *want = validate_text(fd, size, 1, 1 << 20, 0);
    char *got = validate_text(fd, size, 2, 1 + size % 13, size * 31 + 7);
    if (strcmp(want, got) != 0)
        abort();
    free(got);
    free(want);
    close(fd);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const unsigned char *nl = memchr(data, '\n', size);
    line_checks(data, nl ? (size_t)(nl - data) : size);
    if (nl && size <= 4096)
        file_checks(data, size);
    return 0;
}
