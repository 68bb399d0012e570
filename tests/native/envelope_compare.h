/* Test helpers shared by the envelope tests: parse a body fed in pieces, and compare two results.
 */
#ifndef CX_TEST_ENVELOPE_COMPARE_H
#define CX_TEST_ENVELOPE_COMPARE_H

#include "envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int env_str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Returns NULL when the results are identical, else the name of the first field that differs. */
static const char *env_diff(const cx_envelope_result *a, const cx_envelope_result *b)
{
    if (a->cls != b->cls)
        return "class";
    if (!env_str_eq(a->reason, b->reason))
        return "reason";
    if (a->text_len != b->text_len || (a->text == NULL) != (b->text == NULL) ||
        (a->text && memcmp(a->text, b->text, a->text_len) != 0))
        return "text";
    if (a->has_usage != b->has_usage || memcmp(&a->usage, &b->usage, sizeof a->usage) != 0)
        return "usage";
    if (a->events != b->events)
        return "events";
    if (a->terminal != b->terminal)
        return "terminal";
    if (!env_str_eq(a->model, b->model) || !env_str_eq(a->finish_reason, b->finish_reason) ||
        !env_str_eq(a->thread_id, b->thread_id))
        return "model/finish_reason/thread_id";
    if (a->notice_count != b->notice_count || a->notices_total != b->notices_total)
        return "notice count";
    for (size_t i = 0; i < a->notice_count; i++)
        if (strcmp(a->notices[i], b->notices[i]) != 0)
            return "notice";
    if (a->item_types != b->item_types)
        return "item types";
    for (size_t i = 0; i < a->item_types; i++)
        if (strcmp(a->items[i].type, b->items[i].type) != 0 ||
            a->items[i].count != b->items[i].count)
            return "item count";
    return NULL;
}

/* Feeds body in pieces of `step` bytes (the first piece `first` bytes, when non-zero). */
static int env_parse_pieces(cx_envelope_format f, const char *body, size_t len, size_t first,
                            size_t step, const cx_envelope_opts *opts, cx_envelope_result *r)
{
    cx_envelope_stream *s = cx_envelope_new(f, opts);
    if (!s)
        abort();
    size_t off = 0;
    if (first) {
        cx_envelope_feed(s, body, first < len ? first : len);
        off = first < len ? first : len;
    }
    while (off < len) {
        size_t n = len - off < step ? len - off : step;
        cx_envelope_feed(s, body + off, n);
        off += n;
    }
    int rc = cx_envelope_finish(s, r);
    cx_envelope_free(s);
    return rc;
}

static char *env_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        *len = n;
    return buf;
}

#endif
