/* The provider envelope parser: a reply body in one declared format becomes either one normalized
 * result (agent text, usage, terminal marker, notices, item counts) or exactly one failure class
 * with a readable reason. Pure C: no I/O, no Lua; JSON through jansson.
 *
 * The body may arrive in pieces (cx_envelope_feed); the outcome never depends on where the pieces
 * are cut. The first failure in byte order wins: byte-level checks (UTF-8, NUL, size) fire at the
 * offending byte, a line or SSE event is judged when its terminator arrives, and whole-body rules
 * (documents, missing terminal markers) are applied by cx_envelope_finish. docs/envelope.md has the
 * full contract. */
#ifndef CX_ENVELOPE_H
#define CX_ENVELOPE_H

#include <stddef.h>

typedef enum cx_envelope_format {
    CX_ENVELOPE_TEXT,   /* lenient: envelope keys, else the raw body (reference 4.3) */
    CX_ENVELOPE_JSON,   /* strict JSON payload (reference 4.4) */
    CX_ENVELOPE_JSONL,  /* JSONL passthrough validation (reference 4.5) */
    CX_ENVELOPE_CODEX,  /* `codex exec --json` event stream */
    CX_ENVELOPE_OPENAI, /* chat completions, one JSON document or an SSE stream */
    CX_ENVELOPE_OLLAMA, /* /api/generate or /api/chat, one JSON document or NDJSON */
    CX_ENVELOPE_FORMAT_COUNT
} cx_envelope_format;

/* Keep in step with the class table in docs/envelope.md and cx_envelope_class_name. */
typedef enum cx_envelope_class {
    CX_ENVELOPE_OK,
    CX_ENVELOPE_EMPTY,
    CX_ENVELOPE_INVALID_UTF8,
    CX_ENVELOPE_NUL_BYTE,
    CX_ENVELOPE_BODY_TOO_LARGE,
    CX_ENVELOPE_HTTP_JSON_EMPTY,
    CX_ENVELOPE_HTTP_JSON_INVALID,
    CX_ENVELOPE_HTTP_JSON_TYPE_UNSUPPORTED,
    CX_ENVELOPE_HTTP_JSON_CONTENT_INVALID,
    CX_ENVELOPE_HTTP_JSON_CONTENT_EMPTY,
    CX_ENVELOPE_JSONL_INVALID,
    CX_ENVELOPE_JSONL_MISSING_ITEM_COMPLETED,
    CX_ENVELOPE_MALFORMED,
    CX_ENVELOPE_UNEXPECTED_SHAPE,
    CX_ENVELOPE_PROVIDER_ERROR,
    CX_ENVELOPE_QUOTA_EXHAUSTED,
    CX_ENVELOPE_INCOMPLETE,
    CX_ENVELOPE_OUT_OF_MEMORY,
    CX_ENVELOPE_CLASS_COUNT
} cx_envelope_class;

typedef enum cx_envelope_terminal {
    CX_ENVELOPE_TERMINAL_NONE,
    CX_ENVELOPE_TERMINAL_COMPLETED, /* codex turn.completed, or a complete single document */
    CX_ENVELOPE_TERMINAL_FAILED,    /* codex turn.failed */
    CX_ENVELOPE_TERMINAL_DONE       /* SSE `data: [DONE]`, ollama `"done": true` */
} cx_envelope_terminal;

#define CX_ENVELOPE_DEFAULT_MAX_BYTES ((size_t)16 * 1024 * 1024)
#define CX_ENVELOPE_MAX_NOTICES 100

typedef struct cx_envelope_opts {
    size_t max_bytes; /* 0 = CX_ENVELOPE_DEFAULT_MAX_BYTES */
} cx_envelope_opts;

/* Token counts; -1 when the body did not carry the field. */
typedef struct cx_envelope_usage {
    long long input_tokens;
    long long cached_input_tokens;
    long long output_tokens;
    long long reasoning_output_tokens;
} cx_envelope_usage;

typedef struct cx_envelope_item_count {
    char *type;
    long count;
} cx_envelope_item_count;

typedef struct cx_envelope_result {
    cx_envelope_class cls; /* CX_ENVELOPE_OK on success */
    char *reason;          /* NULL on success, else a readable one-line reason */
    char *text;            /* agent text, never NULL on success (may be ""), NULL on failure */
    size_t text_len;       /* text may hold NUL bytes decoded from \u0000 escapes */
    int has_usage;         /* at least one usage field is >= 0 */
    cx_envelope_usage usage;
    long events; /* lines, SSE events or documents seen (see docs/envelope.md) */
    cx_envelope_terminal terminal;
    char *model;         /* NULL when absent */
    char *finish_reason; /* NULL when absent (openai finish_reason, ollama done_reason) */
    char *thread_id;     /* codex thread.started; NULL when absent */
    char **notices;      /* non-fatal messages, the first CX_ENVELOPE_MAX_NOTICES kept */
    size_t notice_count;
    size_t notices_total;          /* including the ones not kept */
    cx_envelope_item_count *items; /* completed items per item type (jsonl, codex) */
    size_t item_types;
} cx_envelope_result;

typedef struct cx_envelope_stream cx_envelope_stream;

/* NULL when memory runs out or the format is out of range. opts may be NULL. */
cx_envelope_stream *cx_envelope_new(cx_envelope_format format, const cx_envelope_opts *opts);
/* Returns -1 once the outcome is a failure (further input is ignored), 1 once the format's terminal
 * marker has been seen (the caller may stop reading), else 0. */
int cx_envelope_feed(cx_envelope_stream *s, const void *data, size_t len);
/* Applies the end-of-body rules and fills *r (free it with cx_envelope_result_free); returns 0 on
 * success, -1 on a failure class. Calling it again gives the same result; feeding after it is -1.
 */
int cx_envelope_finish(cx_envelope_stream *s, cx_envelope_result *r);
void cx_envelope_free(cx_envelope_stream *s);

/* One-shot: new + feed + finish + free. */
int cx_envelope_parse(cx_envelope_format format, const void *body, size_t len,
                      const cx_envelope_opts *opts, cx_envelope_result *r);
void cx_envelope_result_free(cx_envelope_result *r);

/* Name <-> value helpers; the names are the stable strings used by Lua, logs and fixtures. */
int cx_envelope_format_from_name(const char *name, cx_envelope_format *out); /* 0, or -1 */
const char *cx_envelope_format_name(cx_envelope_format format);
const char *cx_envelope_class_name(cx_envelope_class cls);
const char *cx_envelope_terminal_name(cx_envelope_terminal terminal);

#endif
