/* The provider envelope parser (see envelope.h and docs/envelope.md).
 *
 * Layout of this file: names; the stream state; failures, notices and small JSON helpers; the byte
 * checks (UTF-8, NUL, size); framing (whole body, lines, SSE, format detection); one section per
 * format; finish and the result. */
#include "envelope.h"

#include "buf.h"
#include "json_write.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTE_MAX 500     /* provider text quoted in a reason or notice is cut to this many bytes */
#define MAX_ITEM_TYPES 32 /* further distinct item types are counted under "other" */
#define JSON_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* ---- names ---- */

static const char *const format_names[CX_ENVELOPE_FORMAT_COUNT] = {
    "text", "json", "jsonl", "codex", "openai", "ollama",
};

static const char *const class_names[CX_ENVELOPE_CLASS_COUNT] = {
    "ok",
    "empty",
    "invalid_utf8",
    "nul_byte",
    "body_too_large",
    "http_json_empty",
    "http_json_invalid",
    "http_json_type_unsupported",
    "http_json_content_invalid",
    "http_json_content_empty",
    "jsonl_invalid",
    "jsonl_missing_item_completed",
    "malformed",
    "unexpected_shape",
    "provider_error",
    "quota_exhausted",
    "incomplete",
    "out_of_memory",
};

static const char *const terminal_names[] = {"none", "completed", "failed", "done"};

int cx_envelope_format_from_name(const char *name, cx_envelope_format *out)
{
    for (int i = 0; name && i < CX_ENVELOPE_FORMAT_COUNT; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (cx_envelope_format)i;
            return 0;
        }
    }
    return -1;
}

const char *cx_envelope_format_name(cx_envelope_format format)
{
    return (unsigned)format < CX_ENVELOPE_FORMAT_COUNT ? format_names[format] : "unknown";
}

const char *cx_envelope_class_name(cx_envelope_class cls)
{
    return (unsigned)cls < CX_ENVELOPE_CLASS_COUNT ? class_names[cls] : "unknown";
}

const char *cx_envelope_terminal_name(cx_envelope_terminal terminal)
{
    return (unsigned)terminal <= CX_ENVELOPE_TERMINAL_DONE ? terminal_names[terminal] : "unknown";
}

/* ---- stream state ---- */

typedef enum framing {
    FRAME_WHOLE, /* keep the whole body, judge it at finish */
    FRAME_LINES, /* one JSON value per '\n'-terminated line */
    FRAME_SSE, /* server-sent events: '\n', '\r\n' or '\r' line ends, events end at a blank line */
    FRAME_DETECT /* openai: the first non-blank byte picks FRAME_WHOLE or FRAME_SSE */
} framing;

struct cx_envelope_stream {
    cx_envelope_format format;
    size_t max_bytes;
    framing frame;
    int finished;
    int terminal_seen; /* the format's end marker arrived: later content is ignored */

    /* byte checks */
    size_t total;
    int utf8_need;
    unsigned char utf8_lo, utf8_hi;

    /* the outcome */
    cx_envelope_class cls;
    char *reason;

    /* framing */
    cx_buf body;  /* FRAME_WHOLE */
    cx_buf line;  /* the unterminated line so far */
    long line_no; /* lines terminated so far (the current line is line_no + 1) */
    int pending_cr;
    int at_eof;  /* judging the unterminated tail: a parse error there means a cut stream */
    cx_buf data; /* SSE: data lines of the current event */
    int has_data;
    cx_buf event_name;
    int first_line_done; /* ollama: the first non-blank line decided NDJSON vs one document */

    /* the result being built */
    cx_buf text;
    cx_envelope_usage usage;
    long events;
    cx_envelope_terminal terminal;
    char *model, *finish_reason, *thread_id;
    char **notices;
    size_t notice_count, notices_total;
    cx_envelope_item_count items[MAX_ITEM_TYPES];
    size_t item_types;
    int item_completed_seen;
};

/* ---- failures, notices, JSON helpers ---- */

static int failed(const cx_envelope_stream *s)
{
    return s->cls != CX_ENVELOPE_OK;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xC2 && c <= 0xDF ? 2
                 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4
                                          : 0;
    if (len == 0 || len > n)
        return 0;
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    for (size_t i = 1; i < len; i++, lo = 0x80, hi = 0xBF)
        if (p[i] < lo || p[i] > hi)
            return 0;
    return len;
}

/* Reasons are one readable line: control characters become spaces and bytes that are not UTF-8
 * (jansson quotes a cut token in its messages) become '?'. */
static void one_line(char *msg)
{
    unsigned char *p = (unsigned char *)msg;
    size_t n = strlen(msg);
    for (size_t i = 0; i < n;) {
        size_t k = utf8_len(p + i, n - i);
        if (k == 0)
            p[i++] = '?';
        else if (k == 1 && (p[i] < 0x20 || p[i] == 0x7F))
            p[i++] = ' ';
        else
            i += k;
    }
}

/* Records the outcome unless one is already set (the first failure in byte order wins). */
static int fail(cx_envelope_stream *s, cx_envelope_class cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(cx_envelope_stream *s, cx_envelope_class cls, const char *fmt, ...)
{
    if (failed(s))
        return -1;
    s->cls = cls;
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (msg)
        one_line(msg);
    s->reason = msg;
    return -1;
}

static int oom(cx_envelope_stream *s)
{
    return fail(s, CX_ENVELOPE_OUT_OF_MEMORY, "out of memory while parsing the envelope");
}

/* Appends provider text for a one-line message: cut at max bytes on a UTF-8 boundary (with "..."),
 * control characters (and NULs decoded from \u0000) shown as spaces. */
static int append_quoted(cx_buf *b, const char *s, size_t len, size_t max)
{
    size_t n = len;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    if (cx_buf_reserve(b, n + 3) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        b->data[b->len++] = (char)(c < 0x20 || c == 0x7F ? ' ' : c);
    }
    b->data[b->len] = '\0';
    return n < len ? cx_buf_append(b, "...", 3) : 0;
}

static char *quoted(const char *s, size_t len)
{
    cx_buf b;
    cx_buf_init(&b);
    if (append_quoted(&b, s, len, QUOTE_MAX) != 0 || cx_buf_append(&b, "", 0) != 0) {
        cx_buf_free(&b);
        return NULL;
    }
    return cx_buf_steal(&b, NULL);
}

static int add_notice(cx_envelope_stream *s, const char *msg, size_t len)
{
    s->notices_total++;
    if (s->notice_count >= CX_ENVELOPE_MAX_NOTICES)
        return 0;
    if (!s->notices) {
        s->notices = calloc(CX_ENVELOPE_MAX_NOTICES, sizeof *s->notices);
        if (!s->notices)
            return oom(s);
    }
    char *copy = quoted(msg, len);
    if (!copy)
        return oom(s);
    s->notices[s->notice_count++] = copy;
    return 0;
}

static int add_notice_f(cx_envelope_stream *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int add_notice_f(cx_envelope_stream *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return oom(s);
    int rc = add_notice(s, msg, (size_t)n);
    free(msg);
    return rc;
}

static int count_item(cx_envelope_stream *s, const char *type)
{
    for (;;) {
        for (size_t i = 0; i < s->item_types; i++) {
            if (strcmp(s->items[i].type, type) == 0) {
                s->items[i].count++;
                return 0;
            }
        }
        /* the last slot is kept for "other", so a hostile stream cannot grow the table */
        if (s->item_types < MAX_ITEM_TYPES - 1 ||
            (strcmp(type, "other") == 0 && s->item_types < MAX_ITEM_TYPES)) {
            s->items[s->item_types].type = strdup(type);
            if (!s->items[s->item_types].type)
                return oom(s);
            s->items[s->item_types++].count = 1;
            return 0;
        }
        type = "other";
    }
}

static int set_string(cx_envelope_stream *s, char **slot, json_t *v)
{
    if (!json_is_string(v))
        return 0;
    char *copy = strndup(json_string_value(v), json_string_length(v));
    if (!copy)
        return oom(s);
    free(*slot);
    *slot = copy;
    return 0;
}

static json_t *load(const char *text, size_t len, json_error_t *err)
{
    return json_loadb(text, len, JSON_FLAGS, err);
}

/* A usage count: a non-negative JSON integer, else -1. */
static long long count_field(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    return (long long)json_integer_value(v);
}

static int is_whitespace_char(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c == ' ' || (c >= 0x09 && c <= 0x0D))
        return 1;
    if (c == 0xC2 && n >= 2 && (p[1] == 0x85 || p[1] == 0xA0))
        return 2;
    if (n < 3)
        return 0;
    if ((c == 0xE1 && p[1] == 0x9A && p[2] == 0x80) || (c == 0xE3 && p[1] == 0x80 && p[2] == 0x80))
        return 3;
    if (c == 0xE2 && p[1] == 0x80 && (p[2] <= 0x8A || p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF))
        return 3;
    if (c == 0xE2 && p[1] == 0x81 && p[2] == 0x9F)
        return 3;
    return 0;
}

/* Trims Unicode White_Space from both ends, like Rust's str::trim in the reference. */
static void trim(const char **text, size_t *len)
{
    const unsigned char *p = (const unsigned char *)*text;
    size_t n = *len;
    int w;
    while (n > 0 && (w = is_whitespace_char(p, n)) > 0) {
        p += w;
        n -= (size_t)w;
    }
    while (n > 0) {
        size_t start = n - 1;
        while (start > 0 && n - start < 4 && (p[start] & 0xC0) == 0x80)
            start--;
        if (is_whitespace_char(p + start, n - start) != (int)(n - start))
            break;
        n = start;
    }
    *text = (const char *)p;
    *len = n;
}

/* Compact JSON with sorted keys, the reference's serde_json style (native/json_write.h). */
static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int write_json(cx_buf *out, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = n ? malloc(n * sizeof *keys) : NULL;
        if (n && !keys)
            return -1;
        const char *key;
        json_t *item;
        json_object_foreach(v, key, item) keys[i++] = key;
        if (n > 1)
            qsort(keys, n, sizeof *keys, key_cmp);
        int rc = cx_buf_append_char(out, '{');
        for (i = 0; rc == 0 && i < n; i++) {
            if (i)
                rc = cx_buf_append_char(out, ',');
            if (rc == 0)
                rc = cx_json_write_string(out, keys[i], strlen(keys[i]));
            if (rc == 0)
                rc = cx_buf_append_char(out, ':');
            if (rc == 0)
                rc = write_json(out, json_object_get(v, keys[i]));
        }
        free(keys);
        return rc != 0 ? -1 : cx_buf_append_char(out, '}');
    }
    case JSON_ARRAY: {
        if (cx_buf_append_char(out, '[') != 0)
            return -1;
        for (size_t i = 0; i < json_array_size(v); i++)
            if ((i && cx_buf_append_char(out, ',') != 0) ||
                write_json(out, json_array_get(v, i)) != 0)
                return -1;
        return cx_buf_append_char(out, ']');
    }
    case JSON_STRING:
        return cx_json_write_string(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return cx_json_write_integer(out, (long long)json_integer_value(v));
    case JSON_REAL:
        return cx_json_write_double(out, json_real_value(v));
    case JSON_TRUE:
        return cx_buf_append_str(out, "true");
    case JSON_FALSE:
        return cx_buf_append_str(out, "false");
    default:
        return cx_buf_append_str(out, "null");
    }
}

static int set_text(cx_envelope_stream *s, const char *text, size_t len)
{
    cx_buf_reset(&s->text);
    return cx_buf_append(&s->text, text, len) == 0 ? 0 : oom(s);
}

static int append_text(cx_envelope_stream *s, json_t *v)
{
    return cx_buf_append(&s->text, json_string_value(v), json_string_length(v)) == 0 ? 0 : oom(s);
}

/* ---- in-band errors ---- */

/* A usage-limit or quota wall is not transient: callers must not retry into it. */
static int is_quota(const char *msg, const char *code)
{
    static const char *const codes[] = {"insufficient_quota", "usage_limit_reached",
                                        "quota_exceeded"};
    for (size_t i = 0; code && i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(code, codes[i]) == 0)
            return 1;
    return msg && (strcasestr(msg, "quota") || strcasestr(msg, "usage limit") ||
                   strcasestr(msg, "usage_limit"));
}

/* True when v is an error value: a non-empty string or an object (null, false, "" are not). */
static int is_error_value(json_t *v)
{
    return (json_is_string(v) && json_string_length(v) > 0) || json_is_object(v);
}

/* Fails with provider_error or quota_exhausted for an error value (a string, or an object with
 * message/type/code as OpenAI sends it). `who` names the source in the reason. */
static int fail_error_value(cx_envelope_stream *s, const char *who, json_t *err)
{
    cx_buf msg;
    cx_buf_init(&msg);
    const char *code = NULL, *type = NULL;
    int rc = 0;
    if (json_is_string(err)) {
        rc = cx_buf_append(&msg, json_string_value(err), json_string_length(err));
    } else {
        json_t *m = json_object_get(err, "message");
        code = json_string_value(json_object_get(err, "code"));
        type = json_string_value(json_object_get(err, "type"));
        rc = json_is_string(m) ? cx_buf_append(&msg, json_string_value(m), json_string_length(m))
                               : write_json(&msg, err);
    }
    char *q = rc == 0 ? quoted(msg.data ? msg.data : "", msg.len) : NULL;
    if (!q) {
        cx_buf_free(&msg);
        return oom(s);
    }
    int quota = is_quota(msg.data, code) || is_quota(NULL, type);
    cx_envelope_class cls = quota ? CX_ENVELOPE_QUOTA_EXHAUSTED : CX_ENVELOPE_PROVIDER_ERROR;
    if (code || type)
        fail(s, cls, "%s error (%s%s%s): %s", who, type ? type : "", type && code ? ", " : "",
             code ? code : "", q);
    else
        fail(s, cls, "%s error: %s", who, q);
    free(q);
    cx_buf_free(&msg);
    return -1;
}

/* ---- byte checks: the first offending byte decides ---- */

static int check_utf8(cx_envelope_stream *s, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == 0)
            return fail(s, CX_ENVELOPE_NUL_BYTE, "NUL byte at offset %zu", s->total + i);
        if (s->utf8_need) {
            if (c < s->utf8_lo || c > s->utf8_hi)
                return fail(s, CX_ENVELOPE_INVALID_UTF8, "invalid UTF-8 at offset %zu",
                            s->total + i);
            s->utf8_need--;
            s->utf8_lo = 0x80;
            s->utf8_hi = 0xBF;
            continue;
        }
        if (c < 0x80)
            continue;
        s->utf8_lo = 0x80;
        s->utf8_hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            s->utf8_need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            s->utf8_need = 2;
            if (c == 0xE0)
                s->utf8_lo = 0xA0; /* no overlong forms */
            if (c == 0xED)
                s->utf8_hi = 0x9F; /* no surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            s->utf8_need = 3;
            if (c == 0xF0)
                s->utf8_lo = 0x90;
            if (c == 0xF4)
                s->utf8_hi = 0x8F; /* nothing above U+10FFFF */
        } else {
            return fail(s, CX_ENVELOPE_INVALID_UTF8, "invalid UTF-8 at offset %zu", s->total + i);
        }
    }
    return 0;
}

static int check_bytes(cx_envelope_stream *s, const unsigned char *p, size_t n)
{
    size_t room = s->max_bytes - s->total;
    if (check_utf8(s, p, n < room ? n : room) != 0)
        return -1;
    if (n > room)
        return fail(s, CX_ENVELOPE_BODY_TOO_LARGE, "body exceeds the limit of %zu bytes",
                    s->max_bytes);
    s->total += n;
    return 0;
}

/* ---- formats: per-line and per-document handlers (defined below) ---- */

static int codex_line(cx_envelope_stream *s, const char *line, size_t len);
static int ollama_line(cx_envelope_stream *s, const char *line, size_t len);
static int sse_line(cx_envelope_stream *s, const char *line, size_t len);

/* ---- framing ---- */

static int process_line(cx_envelope_stream *s, const char *line, size_t len)
{
    s->line_no++;
    if (s->frame == FRAME_SSE)
        return sse_line(s, line, len);
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (s->format == CX_ENVELOPE_OLLAMA)
        return ollama_line(s, line, len);
    return codex_line(s, line, len);
}

/* How many bytes of p form the next piece to check and consume: up to and including a line end. */
static size_t next_piece(const cx_envelope_stream *s, const unsigned char *p, size_t n)
{
    if (s->frame == FRAME_WHOLE)
        return n;
    if (s->frame == FRAME_DETECT) {
        size_t i = 0;
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
            i++;
        return i < n ? i + 1 : n;
    }
    const unsigned char *nl = memchr(p, '\n', n);
    size_t end = nl ? (size_t)(nl - p) + 1 : n;
    if (s->frame == FRAME_SSE) {
        const unsigned char *cr = memchr(p, '\r', end);
        if (cr)
            end = (size_t)(cr - p) + 1;
    }
    return end;
}

static int consume(cx_envelope_stream *s, const unsigned char *p, size_t n);

static int consume_detect(cx_envelope_stream *s, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\n')
            s->line_no++;
    unsigned char last = p[n - 1];
    if (last == ' ' || last == '\t' || last == '\r' || last == '\n')
        return 0;
    s->frame = (last == '{' || last == '[') ? FRAME_WHOLE : FRAME_SSE;
    return consume(s, p + n - 1, 1);
}

static int consume_lines(cx_envelope_stream *s, const unsigned char *p, size_t n)
{
    if (s->pending_cr) {
        s->pending_cr = 0;
        if (p[0] == '\n')
            return 0; /* the LF of a CRLF: pieces end at the first LF, so this piece is just it */
    }
    unsigned char last = p[n - 1];
    int ends = last == '\n' || (s->frame == FRAME_SSE && last == '\r');
    if (!ends)
        return cx_buf_append(&s->line, p, n) == 0 ? 0 : oom(s);
    s->pending_cr = last == '\r';
    if (s->line.len == 0)
        return process_line(s, (const char *)p, n - 1);
    if (cx_buf_append(&s->line, p, n - 1) != 0)
        return oom(s);
    int rc = process_line(s, s->line.data, s->line.len);
    cx_buf_reset(&s->line);
    return rc;
}

static int consume(cx_envelope_stream *s, const unsigned char *p, size_t n)
{
    switch (s->frame) {
    case FRAME_WHOLE:
        return cx_buf_append(&s->body, p, n) == 0 ? 0 : oom(s);
    case FRAME_DETECT:
        return consume_detect(s, p, n);
    default:
        return consume_lines(s, p, n);
    }
}

cx_envelope_stream *cx_envelope_new(cx_envelope_format format, const cx_envelope_opts *opts)
{
    if ((unsigned)format >= CX_ENVELOPE_FORMAT_COUNT)
        return NULL;
    cx_envelope_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->format = format;
    s->max_bytes = opts && opts->max_bytes ? opts->max_bytes : CX_ENVELOPE_DEFAULT_MAX_BYTES;
    switch (format) {
    case CX_ENVELOPE_TEXT:
    case CX_ENVELOPE_JSON:
        s->frame = FRAME_WHOLE;
        break;
    case CX_ENVELOPE_OPENAI:
        s->frame = FRAME_DETECT;
        break;
    default:
        s->frame = FRAME_LINES;
    }
    s->usage.input_tokens = s->usage.cached_input_tokens = -1;
    s->usage.output_tokens = s->usage.reasoning_output_tokens = -1;
    cx_buf_init(&s->body);
    cx_buf_init(&s->line);
    cx_buf_init(&s->data);
    cx_buf_init(&s->event_name);
    cx_buf_init(&s->text);
    return s;
}

int cx_envelope_feed(cx_envelope_stream *s, const void *data, size_t len)
{
    if (failed(s) || s->finished)
        return -1;
    const unsigned char *p = data;
    while (len > 0) {
        size_t n = next_piece(s, p, len);
        if (check_bytes(s, p, n) != 0 || consume(s, p, n) != 0)
            return -1;
        p += n;
        len -= n;
    }
    return s->terminal_seen ? 1 : 0;
}

/* ---- jsonl and codex: one event object per line ---- */

static int codex_item_completed(cx_envelope_stream *s, json_t *item)
{
    s->item_completed_seen = 1;
    if (!json_is_object(item))
        return 0;
    json_t *type = json_object_get(item, "type");
    if (!json_is_string(type))
        return 0;
    const char *t = json_string_value(type);
    if (count_item(s, t) != 0)
        return -1;
    json_t *text = json_object_get(item, "text");
    if (strcmp(t, "agent_message") == 0 && json_is_string(text))
        return set_text(s, json_string_value(text), json_string_length(text));
    json_t *msg = json_object_get(item, "message");
    if (strcmp(t, "error") == 0 && json_is_string(msg))
        return add_notice(s, json_string_value(msg), json_string_length(msg));
    return 0;
}

static int codex_turn_failed(cx_envelope_stream *s, json_t *ev)
{
    s->terminal = CX_ENVELOPE_TERMINAL_FAILED;
    s->terminal_seen = 1;
    json_t *err = json_object_get(ev, "error");
    json_t *msg = json_is_object(err) ? json_object_get(err, "message") : err;
    const char *m = json_is_string(msg) ? json_string_value(msg) : "(no message)";
    size_t mlen = json_is_string(msg) ? json_string_length(msg) : strlen(m);
    if (s->format == CX_ENVELOPE_JSONL) { /* the reference's passthrough does not judge turns */
        cx_buf b;
        cx_buf_init(&b);
        int rc = cx_buf_append_str(&b, "turn.failed: ") == 0 &&
                         append_quoted(&b, m, mlen, QUOTE_MAX) == 0
                     ? add_notice(s, b.data, b.len)
                     : oom(s);
        cx_buf_free(&b);
        return rc;
    }
    char *q = quoted(m, mlen);
    if (!q)
        return oom(s);
    fail(s, is_quota(q, NULL) ? CX_ENVELOPE_QUOTA_EXHAUSTED : CX_ENVELOPE_PROVIDER_ERROR,
         "codex turn.failed: %s", q);
    free(q);
    return -1;
}

static int codex_event(cx_envelope_stream *s, json_t *ev)
{
    const char *type = json_string_value(json_object_get(ev, "type"));
    if (!type)
        return s->format == CX_ENVELOPE_CODEX
                   ? add_notice_f(s, "line %ld: event without a type", s->line_no)
                   : 0;
    if (strcmp(type, "item.completed") == 0)
        return codex_item_completed(s, json_object_get(ev, "item"));
    if (strcmp(type, "turn.completed") == 0) {
        /* Each turn.completed overwrites every field: the last one wins, a missing field is -1. */
        json_t *u = json_object_get(ev, "usage");
        s->usage.input_tokens = count_field(u, "input_tokens");
        s->usage.cached_input_tokens = count_field(u, "cached_input_tokens");
        s->usage.output_tokens = count_field(u, "output_tokens");
        s->usage.reasoning_output_tokens = count_field(u, "reasoning_output_tokens");
        s->terminal = CX_ENVELOPE_TERMINAL_COMPLETED;
        s->terminal_seen = 1;
        return 0;
    }
    if (strcmp(type, "turn.failed") == 0)
        return codex_turn_failed(s, ev);
    if (strcmp(type, "error") == 0) {
        json_t *msg = json_object_get(ev, "message");
        if (json_is_string(msg))
            return add_notice(s, json_string_value(msg), json_string_length(msg));
        return add_notice_f(s, "line %ld: error event without a message", s->line_no);
    }
    if (strcmp(type, "thread.started") == 0)
        return set_string(s, &s->thread_id, json_object_get(ev, "thread_id"));
    return 0;
}

static int codex_line(cx_envelope_stream *s, const char *line, size_t len)
{
    trim(&line, &len);
    if (len == 0)
        return 0;
    s->events++;
    json_error_t err;
    json_t *ev = load(line, len, &err);
    if (!ev) {
        if (s->format == CX_ENVELOPE_JSONL)
            return fail(s, CX_ENVELOPE_JSONL_INVALID, "line %ld is not JSON: %s", s->line_no,
                        err.text);
        /* codex prints only JSON with --json; anything else is kept for the reader, not fatal */
        cx_buf b;
        cx_buf_init(&b);
        int rc = cx_buf_printf(&b, "line %ld is not JSON: ", s->line_no) == 0 &&
                         append_quoted(&b, line, len, 200) == 0
                     ? add_notice(s, b.data, b.len)
                     : oom(s);
        cx_buf_free(&b);
        return rc;
    }
    int rc = 0;
    if (json_is_object(ev))
        rc = codex_event(s, ev);
    else if (s->format == CX_ENVELOPE_CODEX)
        rc = add_notice_f(s, "line %ld: JSON value is not an event object", s->line_no);
    json_decref(ev);
    return rc;
}

/* ---- ollama: /api/generate and /api/chat, one object or NDJSON ---- */

static int ollama_object(cx_envelope_stream *s, json_t *obj, const char *where)
{
    if (!json_is_object(obj))
        return fail(s, CX_ENVELOPE_UNEXPECTED_SHAPE, "ollama %s is not a JSON object", where);
    json_t *err = json_object_get(obj, "error");
    if (is_error_value(err))
        return fail_error_value(s, "ollama", err);
    if (set_string(s, &s->model, json_object_get(obj, "model")) != 0)
        return -1;
    json_t *response = json_object_get(obj, "response");
    json_t *message = json_object_get(obj, "message");
    json_t *done = json_object_get(obj, "done");
    if (!response && !message && !done)
        return fail(s, CX_ENVELOPE_UNEXPECTED_SHAPE,
                    "ollama %s has no \"response\", \"message\" or \"done\"", where);
    if (response && !json_is_string(response))
        return fail(s, CX_ENVELOPE_UNEXPECTED_SHAPE, "ollama %s: \"response\" is not a string",
                    where);
    if (response && append_text(s, response) != 0)
        return -1;
    if (message) {
        json_t *content = json_object_get(message, "content");
        if (!json_is_object(message) ||
            (content && !json_is_string(content) && !json_is_null(content)))
            return fail(s, CX_ENVELOPE_UNEXPECTED_SHAPE,
                        "ollama %s: \"message\" is not an object with string content", where);
        if (json_is_string(content) && append_text(s, content) != 0)
            return -1;
    }
    if (json_is_true(done)) {
        s->terminal = CX_ENVELOPE_TERMINAL_DONE;
        s->terminal_seen = 1;
        s->usage.input_tokens = count_field(obj, "prompt_eval_count");
        s->usage.output_tokens = count_field(obj, "eval_count");
        return set_string(s, &s->finish_reason, json_object_get(obj, "done_reason"));
    }
    return 0;
}

static int ollama_line(cx_envelope_stream *s, const char *line, size_t len)
{
    trim(&line, &len);
    if (len == 0 || s->terminal_seen)
        return 0;
    json_error_t err;
    json_t *obj = load(line, len, &err);
    if (!obj && !s->first_line_done) {
        /* Not one object per line: a pretty-printed single document. Keep it and judge it whole. */
        s->frame = FRAME_WHOLE;
        s->first_line_done = 1;
        if (cx_buf_append(&s->body, line, len) != 0 || cx_buf_append_char(&s->body, '\n') != 0)
            return oom(s);
        return 0;
    }
    s->first_line_done = 1;
    s->events++;
    if (!obj && s->at_eof)
        return fail(s, CX_ENVELOPE_INCOMPLETE, "ollama stream cut inside line %ld: %s", s->line_no,
                    err.text);
    if (!obj)
        return fail(s, CX_ENVELOPE_MALFORMED, "ollama NDJSON line %ld is not JSON: %s", s->line_no,
                    err.text);
    char where[48];
    snprintf(where, sizeof where, "line %ld", s->line_no);
    int rc = ollama_object(s, obj, where);
    json_decref(obj);
    return rc;
}

/* ---- openai chat completions: one document or SSE chunks ---- */

/* Content of a message: a string, null, or an array of parts with string "text" (compatible
 * servers). */
static int openai_content(cx_envelope_stream *s, json_t *content, const char *where)
{
    if (json_is_string(content))
        return append_text(s, content);
    if (!content || json_is_null(content))
        return 0;
    if (json_is_array(content)) {
        size_t i;
        json_t *part;
        json_array_foreach(content, i, part)
        {
            json_t *text = json_object_get(part, "text");
            if (json_is_string(text) && append_text(s, text) != 0)
                return -1;
        }
        return 0;
    }
    return fail(s, CX_ENVELOPE_UNEXPECTED_SHAPE, "openai %s: content is not a string", where);
}

static int openai_usage(cx_envelope_stream *s, json_t *u)
{
    if (!json_is_object(u))
        return 0;
    s->usage.input_tokens = count_field(u, "prompt_tokens");
    s->usage.output_tokens = count_field(u, "completion_tokens");
    s->usage.cached_input_tokens =
        count_field(json_object_get(u, "prompt_tokens_details"), "cached_tokens");
    s->usage.reasoning_output_tokens =
        count_field(json_object_get(u, "completion_tokens_details"), "reasoning_tokens");
    return 0;
}

static int openai_object(cx_envelope_stream *s, json_t *obj, int chunk, const char *where)
{
    if (!json_is_object(obj))
        return fail(s, CX_ENVELOPE_UNEXPECTED_SHAPE, "openai %s is not a JSON object", where);
    json_t *err = json_object_get(obj, "error");
    if (is_error_value(err))
        return fail_error_value(s, "openai", err);
    if (set_string(s, &s->model, json_object_get(obj, "model")) != 0 ||
        openai_usage(s, json_object_get(obj, "usage")) != 0)
        return -1;
    json_t *choices = json_object_get(obj, "choices");
    if (chunk && (!choices || json_is_null(choices))) {
        if (json_is_object(json_object_get(obj, "usage")))
            return 0; /* a usage-only chunk */
        /* e.g. a Responses API event: not ours, and silently ignoring it would lose the answer */
        const char *type = json_string_value(json_object_get(obj, "type"));
        return fail(s, CX_ENVELOPE_UNEXPECTED_SHAPE,
                    "openai %s is not a chat.completion.chunk (no choices%s%s)", where,
                    type ? ", type " : "", type ? type : "");
    }
    if (!json_is_array(choices) || (!chunk && json_array_size(choices) == 0))
        return fail(s, CX_ENVELOPE_UNEXPECTED_SHAPE, "openai %s has no choices", where);
    size_t i;
    json_t *choice;
    json_array_foreach(choices, i, choice)
    {
        if (!json_is_object(choice))
            return fail(s, CX_ENVELOPE_UNEXPECTED_SHAPE, "openai %s: a choice is not an object",
                        where);
        json_t *index = json_object_get(choice, "index");
        if (json_is_integer(index) ? json_integer_value(index) != 0 : i != 0)
            continue; /* only the first choice is the answer */
        json_t *msg = json_object_get(choice, chunk ? "delta" : "message");
        if (!chunk && !json_is_object(msg))
            return fail(s, CX_ENVELOPE_UNEXPECTED_SHAPE, "openai %s: choice has no message", where);
        if (json_is_object(msg) && openai_content(s, json_object_get(msg, "content"), where) != 0)
            return -1;
        json_t *refusal = json_object_get(msg, "refusal");
        if (!chunk && json_is_string(refusal) &&
            add_notice_f(s, "refusal: %s", json_string_value(refusal)) != 0)
            return -1;
        if (set_string(s, &s->finish_reason, json_object_get(choice, "finish_reason")) != 0)
            return -1;
    }
    return 0;
}

static int sse_dispatch(cx_envelope_stream *s)
{
    int had = s->has_data;
    s->has_data = 0;
    if (!had || s->terminal_seen) {
        cx_buf_reset(&s->data);
        cx_buf_reset(&s->event_name);
        return 0;
    }
    s->events++;
    int rc = 0;
    const char *data = s->data.data ? s->data.data : "";
    size_t dlen = s->data.len;
    trim(&data, &dlen);
    if (dlen == 6 && memcmp(data, "[DONE]", 6) == 0) {
        s->terminal = CX_ENVELOPE_TERMINAL_DONE;
        s->terminal_seen = 1;
    } else {
        json_error_t err;
        json_t *obj = load(data, dlen, &err);
        char where[64];
        snprintf(where, sizeof where, "SSE event %ld (line %ld)", s->events, s->line_no);
        if (!obj && s->at_eof) {
            rc =
                fail(s, CX_ENVELOPE_INCOMPLETE, "openai stream cut inside %s: %s", where, err.text);
        } else if (!obj) {
            rc = fail(s, CX_ENVELOPE_MALFORMED, "openai %s: data is not JSON: %s", where, err.text);
        } else if ((s->event_name.len == 5 && memcmp(s->event_name.data, "error", 5) == 0) ||
                   (json_is_object(obj) && json_is_string(json_object_get(obj, "type")) &&
                    strcmp(json_string_value(json_object_get(obj, "type")), "error") == 0)) {
            /* a Responses-style error event: {"type":"error","code":...,"message":...} */
            rc = fail_error_value(s, "openai",
                                  is_error_value(json_object_get(obj, "error"))
                                      ? json_object_get(obj, "error")
                                      : obj);
        } else {
            rc = openai_object(s, obj, 1, where);
        }
        json_decref(obj);
    }
    cx_buf_reset(&s->data);
    cx_buf_reset(&s->event_name);
    return rc;
}

static int sse_line(cx_envelope_stream *s, const char *line, size_t len)
{
    if (len == 0)
        return sse_dispatch(s);
    if (line[0] == ':' || s->terminal_seen)
        return 0; /* a comment, or anything after [DONE] */
    const char *colon = memchr(line, ':', len);
    size_t flen = colon ? (size_t)(colon - line) : len;
    const char *value = colon ? colon + 1 : line + len;
    size_t vlen = (size_t)(line + len - value);
    if (vlen > 0 && value[0] == ' ') {
        value++;
        vlen--;
    }
    if (flen == 4 && memcmp(line, "data", 4) == 0) {
        if ((s->has_data && cx_buf_append_char(&s->data, '\n') != 0) ||
            cx_buf_append(&s->data, value, vlen) != 0)
            return oom(s);
        s->has_data = 1;
        return 0;
    }
    if (flen == 5 && memcmp(line, "event", 5) == 0) {
        cx_buf_reset(&s->event_name);
        return cx_buf_append(&s->event_name, value, vlen) == 0 ? 0 : oom(s);
    }
    if ((flen == 2 && memcmp(line, "id", 2) == 0) || (flen == 5 && memcmp(line, "retry", 5) == 0))
        return 0;
    if (!colon) {
        cx_buf b;
        cx_buf_init(&b);
        int ok = append_quoted(&b, line, len, 80) == 0;
        fail(s, ok ? CX_ENVELOPE_MALFORMED : CX_ENVELOPE_OUT_OF_MEMORY,
             "openai body is neither JSON nor an SSE stream (line %ld: %s)", s->line_no,
             ok ? b.data : "");
        cx_buf_free(&b);
        return -1;
    }
    return add_notice_f(s, "SSE line %ld: unknown field ignored", s->line_no);
}

/* ---- whole documents: text, json, openai and ollama single objects ---- */

/* Lenient content rule (text mode): strings and objects' string "text", others skipped. Strict rule
 * (json mode): anything else fails. Returns 1 when something was collected, 0 when not, -1 failed.
 */
static int join_content(cx_envelope_stream *s, json_t *content, int strict)
{
    cx_buf out;
    cx_buf_init(&out);
    int n = 0;
    size_t i;
    json_t *item;
    json_array_foreach(content, i, item)
    {
        json_t *t = json_is_string(item) ? item : json_object_get(item, "text");
        if (!json_is_string(t) || (!json_is_string(item) && !json_is_object(item))) {
            if (!strict)
                continue;
            cx_buf_free(&out);
            return fail(s, CX_ENVELOPE_HTTP_JSON_CONTENT_INVALID,
                        "unsupported content item shape (item %zu)", i);
        }
        if ((n++ && cx_buf_append_char(&out, '\n') != 0) ||
            cx_buf_append(&out, json_string_value(t), json_string_length(t)) != 0) {
            cx_buf_free(&out);
            return oom(s);
        }
    }
    int rc = n ? set_text(s, out.data ? out.data : "", out.len) : 0;
    cx_buf_free(&out);
    return rc != 0 ? -1 : n > 0;
}

static json_t *envelope_key(json_t *obj)
{
    static const char *const keys[] = {"text", "response", "output"};
    for (size_t i = 0; i < 3; i++)
        if (json_is_string(json_object_get(obj, keys[i])))
            return json_object_get(obj, keys[i]);
    return NULL;
}

static int finish_text(cx_envelope_stream *s)
{
    const char *body = s->body.data ? s->body.data : "";
    const char *t = body;
    size_t len = s->body.len;
    trim(&t, &len);
    if (len == 0)
        return set_text(s, "", 0);
    s->events = 1;
    /* Prose is the common case: skip the parser when the first byte cannot start JSON (jansson
     * would otherwise scan a whole bareword before failing). */
    json_t *doc = strchr("{[\"-0123456789tfn", t[0]) ? load(t, len, NULL) : NULL;
    int rc = 1;
    if (json_is_object(doc)) {
        json_t *key = envelope_key(doc);
        json_t *content = json_object_get(doc, "content");
        if (key)
            rc = set_text(s, json_string_value(key), json_string_length(key));
        else if (json_is_array(content))
            rc = join_content(s, content, 0) == 1 ? 0 : 1;
    }
    json_decref(doc);
    return rc == 1 ? set_text(s, body, s->body.len) : rc; /* anything else: the body untouched */
}

static int finish_json(cx_envelope_stream *s)
{
    const char *t = s->body.data ? s->body.data : "";
    size_t len = s->body.len;
    trim(&t, &len);
    if (len == 0)
        return fail(s, CX_ENVELOPE_HTTP_JSON_EMPTY, "returned empty JSON payload");
    s->events = 1;
    json_error_t err;
    json_t *doc = load(t, len, &err);
    if (!doc)
        return fail(s, CX_ENVELOPE_HTTP_JSON_INVALID,
                    "expected JSON payload: %s at line %d column %d", err.text, err.line,
                    err.column);
    int rc = 0;
    if (json_is_string(doc)) {
        rc = set_text(s, json_string_value(doc), json_string_length(doc));
    } else if (json_is_object(doc) && is_error_value(json_object_get(doc, "error"))) {
        rc = fail_error_value(s, "provider", json_object_get(doc, "error"));
    } else if (json_is_object(doc) && envelope_key(doc)) {
        json_t *key = envelope_key(doc);
        rc = set_text(s, json_string_value(key), json_string_length(key));
    } else if (json_is_object(doc) && json_is_array(json_object_get(doc, "content"))) {
        rc = join_content(s, json_object_get(doc, "content"), 1);
        if (rc == 0)
            rc = fail(s, CX_ENVELOPE_HTTP_JSON_CONTENT_EMPTY, "content array had no usable text");
        else if (rc == 1)
            rc = 0;
    } else if (json_is_object(doc) || json_is_array(doc)) {
        cx_buf out;
        cx_buf_init(&out);
        rc = write_json(&out, doc) == 0 ? set_text(s, out.data, out.len) : oom(s);
        cx_buf_free(&out);
    } else {
        rc = fail(s, CX_ENVELOPE_HTTP_JSON_TYPE_UNSUPPORTED,
                  "expected string/object/array payload, got %s",
                  json_is_null(doc)      ? "null"
                  : json_is_boolean(doc) ? "a boolean"
                                         : "a number");
    }
    json_decref(doc);
    return rc;
}

/* openai and ollama bodies that are one JSON document. */
static int finish_document(cx_envelope_stream *s)
{
    const char *t = s->body.data ? s->body.data : "";
    size_t len = s->body.len;
    trim(&t, &len);
    const char *who = format_names[s->format];
    if (len == 0)
        return fail(s, CX_ENVELOPE_EMPTY, "%s body is empty", who);
    s->events = 1;
    json_error_t err;
    json_t *doc = load(t, len, &err);
    if (!doc)
        return fail(s, CX_ENVELOPE_MALFORMED, "%s body is not JSON: %s at line %d column %d", who,
                    err.text, err.line, err.column);
    int rc = s->format == CX_ENVELOPE_OPENAI ? openai_object(s, doc, 0, "response")
                                             : ollama_object(s, doc, "response");
    json_decref(doc);
    if (rc == 0 && s->format == CX_ENVELOPE_OPENAI)
        s->terminal = CX_ENVELOPE_TERMINAL_COMPLETED;
    return rc;
}

/* End-of-body rules, in a fixed order after every byte has been seen. */
static int finish_body(cx_envelope_stream *s)
{
    if (s->utf8_need)
        return fail(s, CX_ENVELOPE_INVALID_UTF8, "truncated UTF-8 sequence at the end of the body");
    s->at_eof = 1;
    if (s->line.len > 0) {
        int rc = process_line(s, s->line.data, s->line.len);
        cx_buf_reset(&s->line);
        if (rc != 0)
            return -1;
    }
    if (s->frame == FRAME_SSE && sse_dispatch(s) != 0)
        return -1;
    switch (s->format) {
    case CX_ENVELOPE_TEXT:
        return finish_text(s);
    case CX_ENVELOPE_JSON:
        return finish_json(s);
    case CX_ENVELOPE_OPENAI:
        if (s->frame == FRAME_DETECT)
            return fail(s, CX_ENVELOPE_EMPTY, "openai body is empty");
        if (s->frame == FRAME_WHOLE)
            return finish_document(s);
        if (s->terminal != CX_ENVELOPE_TERMINAL_DONE)
            return fail(s, CX_ENVELOPE_INCOMPLETE,
                        "openai SSE stream ended without data: [DONE] after %ld events", s->events);
        return 0;
    case CX_ENVELOPE_OLLAMA:
        if (s->frame == FRAME_WHOLE && finish_document(s) != 0)
            return -1;
        if (s->events == 0)
            return fail(s, CX_ENVELOPE_EMPTY, "ollama body is empty");
        if (s->terminal != CX_ENVELOPE_TERMINAL_DONE)
            return fail(s, CX_ENVELOPE_INCOMPLETE,
                        "ollama stream ended without \"done\": true after %ld objects", s->events);
        return 0;
    case CX_ENVELOPE_JSONL:
        if (s->events == 0)
            return fail(s, CX_ENVELOPE_EMPTY, "jsonl body is empty");
        if (!s->item_completed_seen)
            return fail(s, CX_ENVELOPE_JSONL_MISSING_ITEM_COMPLETED,
                        "jsonl payload missing item.completed entry");
        return 0;
    case CX_ENVELOPE_CODEX:
        if (s->events == 0)
            return fail(s, CX_ENVELOPE_EMPTY, "codex printed no events");
        if (s->terminal == CX_ENVELOPE_TERMINAL_NONE) {
            const char *last = s->notice_count ? s->notices[s->notice_count - 1] : NULL;
            return fail(s, CX_ENVELOPE_INCOMPLETE,
                        "codex stream ended without turn.completed or turn.failed after %ld "
                        "events%s%s",
                        s->events, last ? "; last notice: " : "", last ? last : "");
        }
        return 0;
    default:
        return 0;
    }
}

/* ---- the result ---- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int fill_result(cx_envelope_stream *s, cx_envelope_result *r)
{
    memset(r, 0, sizeof *r);
    r->usage = s->usage;
    r->has_usage = s->usage.input_tokens >= 0 || s->usage.cached_input_tokens >= 0 ||
                   s->usage.output_tokens >= 0 || s->usage.reasoning_output_tokens >= 0;
    r->events = s->events;
    r->terminal = s->terminal;
    r->notices_total = s->notices_total;
    int bad = 0;
    if (!failed(s)) {
        r->text = malloc(s->text.len + 1);
        bad |= !r->text;
        if (r->text) {
            if (s->text.len)
                memcpy(r->text, s->text.data, s->text.len);
            r->text[s->text.len] = '\0';
            r->text_len = s->text.len;
        }
    }
    r->model = dup_or_null(s->model);
    r->finish_reason = dup_or_null(s->finish_reason);
    r->thread_id = dup_or_null(s->thread_id);
    bad |= (s->model && !r->model) || (s->finish_reason && !r->finish_reason) ||
           (s->thread_id && !r->thread_id);
    if (s->notice_count) {
        r->notices = calloc(s->notice_count, sizeof *r->notices);
        bad |= !r->notices;
        for (size_t i = 0; r->notices && i < s->notice_count; i++) {
            r->notices[i] = strdup(s->notices[i]);
            bad |= !r->notices[i];
            r->notice_count = i + 1;
        }
    }
    if (s->item_types) {
        r->items = calloc(s->item_types, sizeof *r->items);
        bad |= !r->items;
        for (size_t i = 0; r->items && i < s->item_types; i++) {
            r->items[i].type = strdup(s->items[i].type);
            r->items[i].count = s->items[i].count;
            bad |= !r->items[i].type;
            r->item_types = i + 1;
        }
    }
    if (bad) { /* cx_envelope_result_free leaves it zeroed */
        cx_envelope_result_free(r);
        r->usage.input_tokens = r->usage.cached_input_tokens = -1;
        r->usage.output_tokens = r->usage.reasoning_output_tokens = -1;
        oom(s);
    }
    r->cls = s->cls;
    if (failed(s)) {
        free(r->text);
        r->text = NULL;
        r->text_len = 0;
        r->reason = strdup(s->reason ? s->reason : class_names[s->cls]);
    }
    return failed(s) ? -1 : 0;
}

int cx_envelope_finish(cx_envelope_stream *s, cx_envelope_result *r)
{
    if (!s->finished) {
        s->finished = 1;
        if (!failed(s))
            finish_body(s);
    }
    return fill_result(s, r);
}

void cx_envelope_free(cx_envelope_stream *s)
{
    if (!s)
        return;
    free(s->reason);
    cx_buf_free(&s->body);
    cx_buf_free(&s->line);
    cx_buf_free(&s->data);
    cx_buf_free(&s->event_name);
    cx_buf_free(&s->text);
    free(s->model);
    free(s->finish_reason);
    free(s->thread_id);
    for (size_t i = 0; i < s->notice_count; i++)
        free(s->notices[i]);
    free(s->notices);
    for (size_t i = 0; i < s->item_types; i++)
        free(s->items[i].type);
    free(s);
}

void cx_envelope_result_free(cx_envelope_result *r)
{
    if (!r)
        return;
    free(r->reason);
    free(r->text);
    free(r->model);
    free(r->finish_reason);
    free(r->thread_id);
    for (size_t i = 0; i < r->notice_count; i++)
        free(r->notices[i]);
    free(r->notices);
    for (size_t i = 0; i < r->item_types; i++)
        free(r->items[i].type);
    free(r->items);
    memset(r, 0, sizeof *r);
}

int cx_envelope_parse(cx_envelope_format format, const void *body, size_t len,
                      const cx_envelope_opts *opts, cx_envelope_result *r)
{
    cx_envelope_stream *s = cx_envelope_new(format, opts);
    if (!s) {
        memset(r, 0, sizeof *r);
        r->cls = CX_ENVELOPE_OUT_OF_MEMORY;
        r->reason = strdup("out of memory (or an unknown format) creating the envelope parser");
        r->usage.input_tokens = r->usage.cached_input_tokens = -1;
        r->usage.output_tokens = r->usage.reasoning_output_tokens = -1;
        return -1;
    }
    cx_envelope_feed(s, body, len);
    int rc = cx_envelope_finish(s, r);
    cx_envelope_free(s);
    return rc;
}
