/* A fast check of one run-log line for `logs validate`: is it valid UTF-8, valid JSON, an object,
 * and which of a fixed set of keys does the object have at its top level. No tree is built, so a
 * whole log is checked at close to memory speed. Parse errors are described the way the reference's
 * parser (serde_json) words them ("EOF while parsing an object at line 1 column 9"), and an error
 * caused by the text ending inside a value (a row cut short) is flagged as truncated. */
#ifndef CX_LOGCHECK_H
#define CX_LOGCHECK_H

#include <stddef.h>
#include <stdint.h>

#define CX_LOGCHECK_MAX_KEYS 63
#define CX_LOGCHECK_MAX_DEPTH 128

typedef enum cx_logcheck_kind {
    CX_LOGCHECK_OBJECT,
    CX_LOGCHECK_NOT_OBJECT,   /* valid JSON, but not an object */
    CX_LOGCHECK_INVALID_JSON, /* see message and truncated */
    CX_LOGCHECK_BAD_UTF8,     /* the bytes are not UTF-8 */
    CX_LOGCHECK_BLANK,        /* empty or only JSON whitespace */
} cx_logcheck_kind;

typedef struct cx_logcheck cx_logcheck; /* the watched keys, prepared for lookup */

typedef struct cx_logcheck_result {
    cx_logcheck_kind kind;
    uint64_t present; /* bit i set: watched key i is a top-level key (objects only) */
    int truncated;    /* invalid JSON because the text ended inside a value */
    char message[128];
} cx_logcheck_result;

/* Prepares nkeys (at most CX_LOGCHECK_MAX_KEYS) watched keys; the strings are copied. Returns NULL
 * when out of memory or nkeys is too large. */
cx_logcheck *cx_logcheck_new(const char *const *keys, size_t nkeys);
void cx_logcheck_free(cx_logcheck *c);

/* Checks one line (len bytes, no newline) into out. Never fails. */
void cx_logcheck_line(const cx_logcheck *c, const char *text, size_t len, cx_logcheck_result *out);

#endif
