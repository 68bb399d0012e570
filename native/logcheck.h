/* Checking one run-log line against the row contract, for `logs validate`. No tree is built: a
 * single pass validates the bytes (UTF-8, JSON syntax in the reference parser's wording) and notes
 * where each contract key's value sits; the judge then derives the line's findings (missing keys,
 * types, nulls, values, consistency between keys) from those notes. The contract itself (keys,
 * types, enums, rules) is data handed in by the caller (scripts/cx/log_contract.lua).
 *
 * A line that is not a complete JSON value is looked at once more to tell a row cut by a crash
 * (a strict prefix of an object, possibly glued to the next row or left in zero fill) from plain
 * corruption; the whole-file validator (logvalidate.h) adds the context of the neighbouring lines.
 * Messages are formatted from compact findings, escaping control bytes from the data. */
#ifndef CX_LOGCHECK_H
#define CX_LOGCHECK_H

#include <stddef.h>
#include <stdint.h>

#define CX_LOGCHECK_MAX_FIELDS 250
#define CX_LOGCHECK_MAX_MISSING 64 /* strict keys + legacy pairs: bits of one uint64_t */
#define CX_LOGCHECK_MAX_DEPTH 128
#define CX_LOGCHECK_PREVIEW_CHARS 160 /* characters of a bad line quoted in its message */
#define CX_LOGCHECK_VALUE_BYTES 48    /* bytes of a value quoted in a message */

typedef enum cx_logcheck_type {
    CX_LOGCHECK_T_STR,
    CX_LOGCHECK_T_U64,
    CX_LOGCHECK_T_U32,
    CX_LOGCHECK_T_BOOL,
    CX_LOGCHECK_T_OBJECT,
    CX_LOGCHECK_T_ANY,
} cx_logcheck_type;

typedef enum cx_logcheck_format {
    CX_LOGCHECK_FMT_NONE,
    CX_LOGCHECK_FMT_TIMESTAMP, /* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM) */
    CX_LOGCHECK_FMT_IDENT,     /* [a-z][a-z0-9_]* */
} cx_logcheck_format;

/* One contract key. enums, when set, lists the nenums allowed string values. */
typedef struct cx_logcheck_field {
    const char *key;
    cx_logcheck_type type;
    int nullable;
    int non_blank; /* a string value must hold a non-space character */
    cx_logcheck_format format;
    const char *const *enums;
    size_t nenums;
} cx_logcheck_field;

typedef enum cx_logcheck_rule_kind {
    CX_LOGCHECK_RULE_EQUAL, /* a and b, when both are set, hold the same value */
    CX_LOGCHECK_RULE_LE,    /* integers: a <= b when both are set */
    CX_LOGCHECK_RULE_MAP,   /* a's value v maps to the only allowed value of b (pairs in map) */
} cx_logcheck_rule_kind;

typedef struct cx_logcheck_rule {
    cx_logcheck_rule_kind kind;
    const char *a, *b;
    const char *const *map; /* MAP: 2 * nmap strings, a-value then b-value */
    size_t nmap;
} cx_logcheck_rule;

/* The contract. strict lists the keys every row must carry (in report order); legacy_pairs
 * (2 * npairs keys) the any-of pairs a legacy row needs; a row is modern when it has both
 * modern keys; id_key names the key duplicate detection reads. All names must be fields. */
typedef struct cx_logcheck_spec {
    const cx_logcheck_field *fields;
    size_t nfields;
    const char *const *strict;
    size_t nstrict;
    const char *const *legacy_pairs;
    size_t npairs;
    const char *modern[2];
    const char *id_key;
    const cx_logcheck_rule *rules;
    size_t nrules;
} cx_logcheck_spec;

typedef struct cx_logcheck cx_logcheck; /* a prepared contract; immutable, shared by threads */

/* Prepares the contract (strings copied). NULL with a message in err on a bad spec or no memory. */
cx_logcheck *cx_logcheck_new(const cx_logcheck_spec *spec, char *err, size_t errlen);
void cx_logcheck_free(cx_logcheck *c);
size_t cx_logcheck_nfields(const cx_logcheck *c);
const char *cx_logcheck_key(const cx_logcheck *c, int field);

/* Finding classes, in the order summaries list them. */
typedef enum cx_logcheck_class {
    CX_LOGCLASS_INVALID_ENCODING, /* bytes that are not UTF-8 (the reference's "read error") */
    CX_LOGCLASS_INVALID_JSON,
    CX_LOGCLASS_TORN_LINE,
    CX_LOGCLASS_NOT_OBJECT,
    CX_LOGCLASS_MISSING_REQUIRED,
    CX_LOGCLASS_WRONG_TYPE,
    CX_LOGCLASS_NULL_NOT_ALLOWED,
    CX_LOGCLASS_INVALID_VALUE,
    CX_LOGCLASS_INCONSISTENT,
    CX_LOGCLASS_DUPLICATE_EXECUTION_ID,
    CX_LOGCLASS_NCLASSES
} cx_logcheck_class;

const char *cx_logcheck_class_name(cx_logcheck_class k);

/* What a line is, syntactically. */
typedef enum cx_logcheck_kind {
    CX_LOGCHECK_OBJECT,
    CX_LOGCHECK_NOT_OBJECT,   /* valid JSON, but not an object */
    CX_LOGCHECK_INVALID_JSON, /* see the line's parse error */
    CX_LOGCHECK_BAD_UTF8,     /* the bytes are not UTF-8 */
    CX_LOGCHECK_BLANK,        /* empty or only spaces, tabs, CR, VT, FF */
    CX_LOGCHECK_PREFIX,       /* a strict prefix of a JSON object: a row cut short */
    CX_LOGCHECK_GLUED,        /* a row cut short, then a complete row on the same line */
    CX_LOGCHECK_ZERO_FILL,    /* NUL bytes left by a crash, maybe followed by a complete row */
} cx_logcheck_kind;

/* Detail codes of a finding, naming its message. */
typedef enum cx_logcheck_code {
    CX_LC_NONE,
    /* missing_required */
    CX_LC_MISSING_STRICT,
    CX_LC_MISSING_LEGACY,
    /* wrong_type */
    CX_LC_TYPE,
    CX_LC_NOT_INTEGER,
    /* null_not_allowed */
    CX_LC_NULL,
    /* invalid_value */
    CX_LC_NEGATIVE,
    CX_LC_ABOVE_U32,
    CX_LC_ABOVE_I64,
    CX_LC_NOT_FINITE,
    CX_LC_NESTED_RANGE,
    CX_LC_BLANK,
    CX_LC_ENUM,
    CX_LC_TIMESTAMP,
    CX_LC_IDENT,
    /* inconsistent */
    CX_LC_DIFFERS,
    CX_LC_ORDER,
    CX_LC_MAP,
    CX_LC_DUP_KEY,
} cx_logcheck_code;

/* One field-level finding of an object line. Values are spans of the line's text (off, len);
 * a finding kept beyond the line must copy them (cx_logcheck_issue_values). */
typedef struct cx_logcheck_issue {
    uint8_t klass; /* cx_logcheck_class */
    uint8_t code;  /* cx_logcheck_code */
    int16_t field, field2;
    uint8_t jtype; /* the JSON type found (wrong_type) */
    uint8_t count; /* CX_LC_DUP_KEY: how many times */
    uint32_t off, len, off2, len2;
} cx_logcheck_issue;

/* A parse error as the reference's parser words it. */
typedef struct cx_logcheck_error {
    uint8_t code;     /* internal message index */
    uint8_t eof;      /* the text ended inside a value */
    uint32_t column;  /* 1-based byte column */
    uint32_t bad_off; /* BAD_UTF8: offset of the first byte that is not UTF-8 */
    uint32_t aux;     /* GLUED / ZERO_FILL: where the complete row starts (0: none) */
    uint32_t nuls;    /* ZERO_FILL / GLUED: how many NUL bytes */
    uint8_t bad_byte; /* BAD_UTF8: its value */
} cx_logcheck_error;

/* A line's working state and result; one per thread. */
typedef struct cx_logcheck_line cx_logcheck_line;

cx_logcheck_line *cx_logcheck_line_new(const cx_logcheck *c);
void cx_logcheck_line_free(cx_logcheck_line *l);

/* Scans one line (len bytes, no newline). Never fails; the result stays in l until the next scan.
 */
cx_logcheck_kind cx_logcheck_scan(cx_logcheck_line *l, const char *text, size_t len);

/* After a scan: the parse error (INVALID_JSON, BAD_UTF8, PREFIX, GLUED, ZERO_FILL). */
const cx_logcheck_error *cx_logcheck_line_error(const cx_logcheck_line *l);
/* After a scan of an OBJECT line: its shape, one byte per contract field in contract order (the
 * order of spec.fields) written to out (cx_logcheck_nfields bytes): '-' absent, 'z' null, 'b' a
 * boolean, 'i' an integer, 'd' a number with a fraction or an exponent, 's' a string, 'o' an
 * object, 'a' an array (the last value when a key repeats). Returns how many top-level members are
 * outside the contract (the shape says nothing of those). Readers that tally fields count shapes,
 * not members. */
size_t cx_logcheck_line_shape(const cx_logcheck_line *l, char *out);
/* After a scan of an object: the JSON type letter of the top-level value (not_object messages). */
char cx_logcheck_line_jtype(const cx_logcheck_line *l);
/* After a scan of valid JSON: whether a number in it (at any depth) is an integer beyond 64 bits or
 * beyond a double, which cx's JSON reader (jansson) refuses: such a line is valid JSON for the
 * validator (it names the field) but not a row for the tolerant readers. */
int cx_logcheck_line_unreadable(const cx_logcheck_line *l);

/* The judgement of an OBJECT line: *missing gets bit i for each missing strict key i (report
 * order) and bit nstrict + j for each legacy pair j missing; the field-level findings (in contract
 * order, then rule order) are returned through *issues (valid until the next scan). Also says
 * whether the row is modern, whether a legacy row is complete, and the id's 64-bit hash. */
typedef struct cx_logcheck_verdict {
    uint64_t missing;
    const cx_logcheck_issue *issues;
    size_t nissues;
    int modern;
    int legacy_complete;
    int has_id;
    uint64_t id_hash;
    uint32_t id_off, id_len; /* the id's span, for messages */
} cx_logcheck_verdict;

void cx_logcheck_judge(cx_logcheck_line *l, const char *text, size_t len, int legacy_ok,
                       cx_logcheck_verdict *out);

/* The key name of a missing bit: strict key i, or the first of legacy pair j (second in *other).
 */
const char *cx_logcheck_missing_key(const cx_logcheck *c, unsigned bit, const char **other,
                                    int *legacy);
size_t cx_logcheck_nstrict(const cx_logcheck *c);
const char *cx_logcheck_id_key(const cx_logcheck *c);
size_t cx_logcheck_npairs(const cx_logcheck *c);

/* Message text of a field-level finding. Values come from vtext (the line's text, or wherever
 * the caller copied the spans). Control bytes are escaped. Returns the length written (<= cap-1).
 */
size_t cx_logcheck_issue_message(const cx_logcheck *c, const cx_logcheck_issue *i,
                                 const char *vtext, char *out, size_t cap);

/* The parse error's message, with the preview (the first CX_LOGCHECK_PREVIEW_CHARS characters of
 * the line, control bytes escaped) when preview is non-NULL. */
size_t cx_logcheck_error_message(const cx_logcheck_error *e, cx_logcheck_kind kind,
                                 const char *preview, size_t plen, char *out, size_t cap);

/* A valid JSON `\\uXXXX` escape (u points at the 'u'; a high surrogate's low half follows) as UTF-8
 * in out: returns its length (1-4); *used gets how many characters of u it took (5 or 11). */
size_t cx_logcheck_unicode_escape(const char *u, char out[4], size_t *used);

/* How many bytes of text make its first `chars` UTF-8 characters (stops early at a bad byte). */
size_t cx_logcheck_prefix_bytes(const char *text, size_t len, size_t chars);

/* Appends text to out with bytes < 0x20, DEL and C1 controls escaped (\xNN / \u00NN) and bytes that
 * are not UTF-8 as \xNN. Returns the new length (bounded by cap - 1, NUL-terminated). */
size_t cx_logcheck_escape(char *out, size_t at, size_t cap, const char *text, size_t len);

#endif
