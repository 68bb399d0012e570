/* libFuzzer target for the envelope parser (built by tools/fuzz.sh, not by the normal build).
 * Input: the first byte picks the format (byte % 6) and a chunking pattern (byte / 6 % 8); the rest
 * is the body. The body is parsed one-shot and streamed in pieces; the two results must be
 * identical, and every result must be either a success with text or a failure with a class and a
 * reason. */
#include "envelope.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mismatch(const char *what, const char *a, const char *b)
{
    fprintf(stderr, "fuzz_envelope: one-shot and chunked disagree on %s: [%s] vs [%s]\n", what,
            a ? a : "(null)", b ? b : "(null)");
    abort();
}

static void same_str(const char *what, const char *a, const char *b)
{
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
        mismatch(what, a, b);
}

static void same_num(const char *what, long long a, long long b)
{
    if (a != b) {
        char x[32], y[32];
        snprintf(x, sizeof x, "%lld", a);
        snprintf(y, sizeof y, "%lld", b);
        mismatch(what, x, y);
    }
}

/* Reasons and notices are one line of valid UTF-8. */
static void check_line(const char *what, const char *msg)
{
    const unsigned char *p = (const unsigned char *)msg;
    size_t n = strlen(msg);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        int bad = c < 0x20 || c == 0x7F || c == 0xC0 || c == 0xC1 || c >= 0xF5;
        size_t k = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
        for (size_t j = 1; !bad && j <= k; j++)
            bad = i + j >= n || (p[i + j] & 0xC0) != 0x80;
        if (bad) {
            fprintf(stderr, "fuzz_envelope: %s is not one line of UTF-8 at byte %zu: %s\n", what, i,
                    msg);
            abort();
        }
        i += k;
    }
}

static void check_result(const cx_envelope_result *r, int rc)
{
    int ok = r->cls == CX_ENVELOPE_OK;
    if (ok != (rc == 0) || ok != (r->reason == NULL) || ok != (r->text != NULL)) {
        fprintf(stderr, "fuzz_envelope: inconsistent result: rc=%d class=%s reason=%s\n", rc,
                cx_envelope_class_name(r->cls), r->reason ? r->reason : "(null)");
        abort();
    }
    if (r->notice_count > CX_ENVELOPE_MAX_NOTICES || r->notice_count > r->notices_total)
        abort();
    if (r->reason)
        check_line("reason", r->reason);
    for (size_t i = 0; i < r->notice_count; i++)
        check_line("notice", r->notices[i]);
}

/* The classes each format may produce (docs/envelope.md): anything else is a bug. */
static void check_class_allowed(cx_envelope_format f, cx_envelope_class c)
{
#define B(x) (1u << CX_ENVELOPE_##x)
    const unsigned bytes =
        B(OK) | B(INVALID_UTF8) | B(NUL_BYTE) | B(BODY_TOO_LARGE) | B(OUT_OF_MEMORY);
    const unsigned inband = B(PROVIDER_ERROR) | B(QUOTA_EXHAUSTED);
    const unsigned allowed[CX_ENVELOPE_FORMAT_COUNT] = {
        [CX_ENVELOPE_TEXT] = bytes,
        [CX_ENVELOPE_JSON] = bytes | inband | B(HTTP_JSON_EMPTY) | B(HTTP_JSON_INVALID) |
                             B(HTTP_JSON_TYPE_UNSUPPORTED) | B(HTTP_JSON_CONTENT_INVALID) |
                             B(HTTP_JSON_CONTENT_EMPTY),
        [CX_ENVELOPE_JSONL] = bytes | B(EMPTY) | B(JSONL_INVALID) | B(JSONL_MISSING_ITEM_COMPLETED),
        [CX_ENVELOPE_CODEX] = bytes | inband | B(EMPTY) | B(INCOMPLETE),
        [CX_ENVELOPE_OPENAI] =
            bytes | inband | B(EMPTY) | B(INCOMPLETE) | B(MALFORMED) | B(UNEXPECTED_SHAPE),
        [CX_ENVELOPE_OLLAMA] =
            bytes | inband | B(EMPTY) | B(INCOMPLETE) | B(MALFORMED) | B(UNEXPECTED_SHAPE),
    };
#undef B
    if (!(allowed[f] & (1u << c))) {
        fprintf(stderr, "fuzz_envelope: format %s produced class %s\n", cx_envelope_format_name(f),
                cx_envelope_class_name(c));
        abort();
    }
}

static void compare(const cx_envelope_result *a, const cx_envelope_result *b)
{
    same_str("class", cx_envelope_class_name(a->cls), cx_envelope_class_name(b->cls));
    same_str("reason", a->reason, b->reason);
    same_num("text_len", (long long)a->text_len, (long long)b->text_len);
    if (a->text && memcmp(a->text, b->text, a->text_len) != 0)
        mismatch("text", a->text, b->text);
    same_num("has_usage", a->has_usage, b->has_usage);
    same_num("input_tokens", a->usage.input_tokens, b->usage.input_tokens);
    same_num("cached_input_tokens", a->usage.cached_input_tokens, b->usage.cached_input_tokens);
    same_num("output_tokens", a->usage.output_tokens, b->usage.output_tokens);
    same_num("reasoning", a->usage.reasoning_output_tokens, b->usage.reasoning_output_tokens);
    same_num("events", a->events, b->events);
    same_num("terminal", a->terminal, b->terminal);
    same_str("model", a->model, b->model);
    same_str("finish_reason", a->finish_reason, b->finish_reason);
    same_str("thread_id", a->thread_id, b->thread_id);
    same_num("notice_count", (long long)a->notice_count, (long long)b->notice_count);
    same_num("notices_total", (long long)a->notices_total, (long long)b->notices_total);
    for (size_t i = 0; i < a->notice_count; i++)
        same_str("notice", a->notices[i], b->notices[i]);
    same_num("item_types", (long long)a->item_types, (long long)b->item_types);
    for (size_t i = 0; i < a->item_types; i++) {
        same_str("item type", a->items[i].type, b->items[i].type);
        same_num("item count", a->items[i].count, b->items[i].count);
    }
}

/* The size of the next piece for a pattern; pattern 5 is a pseudo-random walk. */
static size_t piece(unsigned pattern, uint32_t *rng, size_t left)
{
    static const size_t fixed[] = {1, 2, 3, 7, 64};
    size_t n;
    if (pattern < 5) { /* 5: pseudo-random */
        n = fixed[pattern];
    } else {
        *rng = *rng * 1103515245u + 12345u;
        n = 1 + (*rng >> 16) % 17;
    }
    return n < left ? n : left;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    cx_envelope_format format = (cx_envelope_format)(data[0] % CX_ENVELOPE_FORMAT_COUNT);
    unsigned pattern = (unsigned)(data[0] / CX_ENVELOPE_FORMAT_COUNT) % 8;
    const uint8_t *body = data + 1;
    size_t len = size - 1;
    cx_envelope_opts opts = {.max_bytes = pattern >= 6 ? 64 : 0};

    cx_envelope_result one, many;
    int rc_one = cx_envelope_parse(format, body, len, &opts, &one);
    check_result(&one, rc_one);
    check_class_allowed(format, one.cls);

    cx_envelope_stream *s = cx_envelope_new(format, &opts);
    if (!s)
        abort();
    uint32_t rng = (uint32_t)len;
    int stopped = 0;
    for (size_t off = 0; off < len;) {
        size_t n = piece(pattern == 6 ? 5 : pattern == 7 ? 0 : pattern, &rng, len - off);
        int rc = cx_envelope_feed(s, body + off, n);
        if (stopped && rc != -1)
            abort(); /* once failed, always failed */
        stopped |= rc == -1;
        if (cx_envelope_feed(s, body + off, 0) != rc)
            abort(); /* an empty piece changes nothing */
        off += n;
    }
    int rc_many = cx_envelope_finish(s, &many);
    check_result(&many, rc_many);
    if (stopped && rc_many == 0)
        abort();
    cx_envelope_free(s);

    compare(&one, &many);
    cx_envelope_result_free(&one);
    cx_envelope_result_free(&many);
    return 0;
}
