/* One-pass check of a run-log line against the row contract (see logcheck.h). */
#include "logcheck.h"

#include <math.h>
#include <stdarg.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------- */
/* The prepared contract */

#define HASH_SLOTS 512 /* power of two, >= 2 * CX_LOGCHECK_MAX_FIELDS */
#define KEYBUF 96      /* longest key looked up; longer keys are not contract keys */

typedef struct field {
    char *key;
    size_t len;
    cx_logcheck_type type;
    int nullable, non_blank;
    cx_logcheck_format format;
    char **enums;
    size_t *enum_lens;
    size_t nenums;
    int next_sorted; /* the field whose key follows this one in byte order, or -1 */
} field;

typedef struct rule {
    cx_logcheck_rule_kind kind;
    int a, b;
    char **map;
    size_t nmap;
} rule;

struct cx_logcheck {
    field *fields;
    size_t n;
    int16_t hash[HASH_SLOTS]; /* field index + 1, 0 = empty */
    int first_sorted;
    int *strict;
    size_t nstrict;
    int *pairs; /* 2 * npairs */
    size_t npairs;
    int modern[2];
    int id;
    rule *rules;
    size_t nrules;
};

static uint32_t hash_key(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int find_field(const cx_logcheck *c, const char *key, size_t len)
{
    uint32_t h = hash_key(key, len) & (HASH_SLOTS - 1);
    while (c->hash[h]) {
        const field *f = &c->fields[c->hash[h] - 1];
        if (f->len == len && memcmp(f->key, key, len) == 0)
            return c->hash[h] - 1;
        h = (h + 1) & (HASH_SLOTS - 1);
    }
    return -1;
}

static int spec_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static char **copy_strings(const char *const *src, size_t n)
{
    char **out = calloc(n ? n : 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        out[i] = strdup(src[i] ? src[i] : "");
        if (!out[i]) {
            for (size_t k = 0; k < i; k++)
                free(out[k]);
            free(out);
            return NULL;
        }
    }
    return out;
}

static void free_strings(char **s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

/* A named field's index, or -1 with a message. */
static int need_field(const cx_logcheck *c, const char *key, const char *what, char *err,
                      size_t errlen)
{
    int i = key ? find_field(c, key, strlen(key)) : -1;
    if (i < 0)
        spec_fail(err, errlen, "logcheck: %s '%s' is not a contract field", what,
                  key ? key : "(null)");
    return i;
}

static int sorted_cmp(const void *a, const void *b)
{
    const field *x = *(const field *const *)a, *y = *(const field *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->key, y->key, n);
    if (r)
        return r;
    return (x->len > y->len) - (x->len < y->len);
}

/* Rows are written with keys in byte order, so after matching one key the next one is usually its
 * successor in that order: a single memcmp instead of a hash lookup. */
static int link_sorted(cx_logcheck *c)
{
    field **order = malloc((c->n ? c->n : 1) * sizeof *order);
    if (!order)
        return -1;
    for (size_t i = 0; i < c->n; i++)
        order[i] = &c->fields[i];
    qsort(order, c->n, sizeof *order, sorted_cmp);
    for (size_t i = 0; i < c->n; i++)
        order[i]->next_sorted = i + 1 < c->n ? (int)(order[i + 1] - c->fields) : -1;
    c->first_sorted = c->n ? (int)(order[0] - c->fields) : -1;
    free(order);
    return 0;
}

static int prepare_fields(cx_logcheck *c, const cx_logcheck_spec *spec, char *err, size_t errlen)
{
    if (spec->nfields > CX_LOGCHECK_MAX_FIELDS)
        return spec_fail(err, errlen, "logcheck: at most %d fields", CX_LOGCHECK_MAX_FIELDS);
    c->fields = calloc(spec->nfields ? spec->nfields : 1, sizeof *c->fields);
    if (!c->fields)
        return spec_fail(err, errlen, "logcheck: out of memory");
    for (size_t i = 0; i < spec->nfields; i++) {
        const cx_logcheck_field *s = &spec->fields[i];
        field *f = &c->fields[i];
        if (!s->key || !*s->key || strlen(s->key) > KEYBUF)
            return spec_fail(err, errlen, "logcheck: field %zu has no usable key", i + 1);
        if (find_field(c, s->key, strlen(s->key)) >= 0)
            return spec_fail(err, errlen, "logcheck: field '%s' is listed twice", s->key);
        f->key = strdup(s->key);
        f->enums = copy_strings(s->enums, s->nenums);
        f->enum_lens = calloc(s->nenums + 1, sizeof *f->enum_lens);
        f->nenums = s->nenums;
        c->n = i + 1;
        if (!f->key || !f->enums || !f->enum_lens)
            return spec_fail(err, errlen, "logcheck: out of memory");
        for (size_t k = 0; k < s->nenums; k++)
            f->enum_lens[k] = strlen(f->enums[k]);
        f->len = strlen(s->key);
        f->type = s->type;
        f->nullable = s->nullable;
        f->non_blank = s->non_blank;
        f->format = s->format;
        uint32_t h = hash_key(f->key, f->len) & (HASH_SLOTS - 1);
        while (c->hash[h])
            h = (h + 1) & (HASH_SLOTS - 1);
        c->hash[h] = (int16_t)(i + 1);
    }
    if (link_sorted(c) != 0)
        return spec_fail(err, errlen, "logcheck: out of memory");
    return 0;
}

static int prepare_lists(cx_logcheck *c, const cx_logcheck_spec *spec, char *err, size_t errlen)
{
    if (spec->nstrict + spec->npairs > CX_LOGCHECK_MAX_MISSING)
        return spec_fail(err, errlen, "logcheck: at most %d strict keys and legacy pairs",
                         CX_LOGCHECK_MAX_MISSING);
    c->strict = calloc(spec->nstrict + 1, sizeof *c->strict);
    c->pairs = calloc(2 * spec->npairs + 1, sizeof *c->pairs);
    c->rules = calloc(spec->nrules + 1, sizeof *c->rules);
    if (!c->strict || !c->pairs || !c->rules)
        return spec_fail(err, errlen, "logcheck: out of memory");
    for (size_t i = 0; i < spec->nstrict; i++) {
        if ((c->strict[i] = need_field(c, spec->strict[i], "strict key", err, errlen)) < 0)
            return -1;
        c->nstrict = i + 1;
    }
    for (size_t i = 0; i < 2 * spec->npairs; i++) {
        if ((c->pairs[i] = need_field(c, spec->legacy_pairs[i], "legacy key", err, errlen)) < 0)
            return -1;
    }
    c->npairs = spec->npairs;
    for (int k = 0; k < 2; k++) {
        if ((c->modern[k] = need_field(c, spec->modern[k], "modern key", err, errlen)) < 0)
            return -1;
    }
    if ((c->id = need_field(c, spec->id_key, "id key", err, errlen)) < 0)
        return -1;
    for (size_t i = 0; i < spec->nrules; i++) {
        const cx_logcheck_rule *s = &spec->rules[i];
        rule *r = &c->rules[i];
        r->kind = s->kind;
        if ((r->a = need_field(c, s->a, "rule key", err, errlen)) < 0 ||
            (r->b = need_field(c, s->b, "rule key", err, errlen)) < 0)
            return -1;
        if (s->kind == CX_LOGCHECK_RULE_MAP) {
            r->map = copy_strings(s->map, 2 * s->nmap);
            if (!r->map)
                return spec_fail(err, errlen, "logcheck: out of memory");
            r->nmap = s->nmap;
        }
        c->nrules = i + 1;
    }
    return 0;
}

cx_logcheck *cx_logcheck_new(const cx_logcheck_spec *spec, char *err, size_t errlen)
{
    cx_logcheck *c = calloc(1, sizeof *c);
    if (!c) {
        spec_fail(err, errlen, "logcheck: out of memory");
        return NULL;
    }
    if (prepare_fields(c, spec, err, errlen) != 0 || prepare_lists(c, spec, err, errlen) != 0) {
        cx_logcheck_free(c);
        return NULL;
    }
    return c;
}

void cx_logcheck_free(cx_logcheck *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->fields[i].key);
        free_strings(c->fields[i].enums, c->fields[i].nenums);
        free(c->fields[i].enum_lens);
    }
    for (size_t i = 0; i < c->nrules; i++)
        free_strings(c->rules[i].map, 2 * c->rules[i].nmap);
    free(c->fields);
    free(c->strict);
    free(c->pairs);
    free(c->rules);
    free(c);
}

size_t cx_logcheck_nfields(const cx_logcheck *c)
{
    return c->n;
}

const char *cx_logcheck_key(const cx_logcheck *c, int f)
{
    return f >= 0 && (size_t)f < c->n ? c->fields[f].key : "-";
}

size_t cx_logcheck_nstrict(const cx_logcheck *c)
{
    return c->nstrict;
}

const char *cx_logcheck_id_key(const cx_logcheck *c)
{
    return c->fields[c->id].key;
}

size_t cx_logcheck_npairs(const cx_logcheck *c)
{
    return c->npairs;
}

const char *cx_logcheck_missing_key(const cx_logcheck *c, unsigned bit, const char **other,
                                    int *legacy)
{
    *other = NULL;
    *legacy = 0;
    if (bit < c->nstrict)
        return c->fields[c->strict[bit]].key;
    size_t j = bit - c->nstrict;
    if (j >= c->npairs)
        return "-";
    *legacy = 1;
    *other = c->fields[c->pairs[2 * j + 1]].key;
    return c->fields[c->pairs[2 * j]].key;
}

static const char *const class_names[CX_LOGCLASS_NCLASSES] = {
    "invalid_encoding", "invalid_json",
    "torn_line",        "not_object",
    "missing_required", "wrong_type",
    "null_not_allowed", "invalid_value",
    "inconsistent",     "duplicate_execution_id",
};

const char *cx_logcheck_class_name(cx_logcheck_class k)
{
    return (unsigned)k < CX_LOGCLASS_NCLASSES ? class_names[k] : "unknown";
}

/* ---------------------------------------------------------------------------------------------- */
/* Line state */

/* Value flags */
enum {
    V_ESC = 1,       /* string: holds escapes */
    V_NEG = 2,       /* number: below zero */
    V_FRAC = 4,      /* number: has a fraction or an exponent */
    V_ABOVE_I64 = 8, /* integer literal outside the 64-bit signed range */
    V_ABOVE_U32 = 16,
    V_INF = 32,    /* a fraction/exponent that no double holds */
    V_NESTED = 64, /* a number inside this value is out of range (V_ABOVE_I64 or V_INF) */
};

typedef struct slot {
    uint32_t gen; /* present on this line when gen == line gen */
    uint32_t off, len;
    uint8_t jtype, count, flags;
} slot;

struct cx_logcheck_line {
    const cx_logcheck *c;
    slot *slots;
    uint32_t gen;
    char top;       /* jtype of the line's top-level value */
    int unreadable; /* a number somewhere is beyond what cx's JSON reader holds */
    size_t others;  /* top-level members of an object that are not contract fields */
    cx_logcheck_error err;
    cx_logcheck_issue *issues;
    size_t nissues, cap;
};

cx_logcheck_line *cx_logcheck_line_new(const cx_logcheck *c)
{
    cx_logcheck_line *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->c = c;
    l->slots = calloc(c->n ? c->n : 1, sizeof *l->slots);
    /* per field: a duplicate key, a type or value finding, and an out-of-range nested number */
    l->cap = 3 * c->n + c->nrules + 1;
    l->issues = calloc(l->cap, sizeof *l->issues);
    if (!l->slots || !l->issues) {
        cx_logcheck_line_free(l);
        return NULL;
    }
    return l;
}

void cx_logcheck_line_free(cx_logcheck_line *l)
{
    if (!l)
        return;
    free(l->slots);
    free(l->issues);
    free(l);
}

const cx_logcheck_error *cx_logcheck_line_error(const cx_logcheck_line *l)
{
    return &l->err;
}

size_t cx_logcheck_line_shape(const cx_logcheck_line *l, char *out)
{
    for (size_t f = 0; f < l->c->n; f++) {
        const slot *sl = &l->slots[f];
        char t = '-';
        if (sl->gen == l->gen) {
            switch (sl->jtype) {
            case 'n':
                t = 'z';
                break;
            case 't':
            case 'f':
                t = 'b';
                break;
            case 'i':
                t = (sl->flags & V_FRAC) ? 'd' : 'i';
                break;
            default:
                t = (char)sl->jtype; /* s, o, a */
            }
        }
        out[f] = t;
    }
    return l->others;
}

char cx_logcheck_line_jtype(const cx_logcheck_line *l)
{
    return l->top;
}

int cx_logcheck_line_unreadable(const cx_logcheck_line *l)
{
    return l->unreadable;
}

/* ---------------------------------------------------------------------------------------------- */
/* The scanner */

enum {
    E_NONE,
    E_EOF_VALUE,
    E_EOF_STRING,
    E_EOF_OBJECT,
    E_EOF_LIST,
    E_CONTROL,
    E_ESCAPE,
    E_LONE_SURROGATE,
    E_HEX_END,
    E_NUMBER,
    E_IDENT,
    E_RECURSION,
    E_KEY,
    E_COLON,
    E_OBJECT_SEP,
    E_LIST_SEP,
    E_TRAILING_COMMA,
    E_VALUE,
    E_TRAILING,
    E_UTF8,
};

static const char *const parse_messages[] = {
    "",
    "EOF while parsing a value",
    "EOF while parsing a string",
    "EOF while parsing an object",
    "EOF while parsing a list",
    "control character (\\u0000-\\u001F) found while parsing a string",
    "invalid escape",
    "lone leading surrogate in hex escape",
    "unexpected end of hex escape",
    "invalid number",
    "expected ident",
    "recursion limit exceeded",
    "key must be a string",
    "expected `:`",
    "expected `,` or `}`",
    "expected `,` or `]`",
    "trailing comma",
    "expected value",
    "trailing characters",
    "stream did not contain valid UTF-8",
};

typedef struct parser {
    const cx_logcheck *c;
    cx_logcheck_line *l;
    const unsigned char *s;
    size_t len, pos;
    int failed;
    cx_logcheck_error *e;
    int field;      /* the top-level field whose value is being parsed, or -1 */
    int expect;     /* the field the sorted-order guess expects next, or -1 */
    uint8_t vflags; /* flags of the value being parsed */
    int track;      /* record top-level fields (off in the sub-scans of repair analysis) */
} parser;

/* Columns count bytes, 1-based, as the reference's parser reports them on a one-line input. */
static void fail_at(parser *p, size_t column, int code, int eof)
{
    if (p->failed)
        return;
    p->failed = 1;
    p->e->code = (uint8_t)code;
    p->e->eof = (uint8_t)eof;
    p->e->column = (uint32_t)column;
}

static void fail_here(parser *p, int code)
{
    fail_at(p, p->pos + 1, code, 0);
}

static void fail_eof(parser *p, int code)
{
    fail_at(p, p->len, code, 1);
}

static inline void skip_ws(parser *p)
{
    if (p->pos < p->len && p->s[p->pos] > ' ') /* compact rows have no whitespace at all */
        return;
    while (p->pos < p->len) {
        unsigned char ch = p->s[p->pos];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
            return;
        p->pos++;
    }
}

static int hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* The length of the UTF-8 sequence at s[0..avail) (RFC 3629: no overlongs, no surrogates, nothing
 * above U+10FFFF): >0 valid, 0 invalid, -1 a valid start cut off by the end of the text. */
static int utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned char b = s[0];
    int need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF)
        need = 1;
    else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        if (b == 0xE0)
            lo = 0xA0;
        else if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    for (int k = 1; k <= need; k++) {
        if ((size_t)k >= avail)
            return -1;
        unsigned char lo_k = k == 1 ? lo : 0x80, hi_k = k == 1 ? hi : 0xBF;
        if (s[k] < lo_k || s[k] > hi_k)
            return 0;
    }
    return need + 1;
}

/* Offset of the first byte that is not UTF-8, or len. *cut: that byte starts a valid sequence
 * that the end of the text cuts off. */
static size_t utf8_bad(const unsigned char *s, size_t len, int *cut)
{
    size_t i = 0;
    *cut = 0;
    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int k = utf8_seq(s + i, len - i);
        if (k <= 0) {
            *cut = k < 0;
            return i;
        }
        i += (size_t)k;
    }
    return len;
}

/* Reads the 4 hex digits after the 'u' at p->pos, leaving p->pos on the last digit. */
static int parse_hex4(parser *p, unsigned *cp)
{
    *cp = 0;
    for (int k = 0; k < 4; k++) {
        if (++p->pos >= p->len) {
            fail_eof(p, E_EOF_STRING);
            return -1;
        }
        int h = hexval(p->s[p->pos]);
        if (h < 0) {
            fail_here(p, E_ESCAPE);
            return -1;
        }
        *cp = *cp * 16 + (unsigned)h;
    }
    return 0;
}

/* An escape after the backslash at p->pos; leaves p->pos after it. */
static int parse_escape(parser *p)
{
    if (++p->pos >= p->len) {
        fail_eof(p, E_EOF_STRING);
        return -1;
    }
    unsigned char e = p->s[p->pos];
    if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
        e == 't') {
        p->pos++;
        return 0;
    }
    if (e != 'u') {
        fail_here(p, E_ESCAPE);
        return -1;
    }
    unsigned cp;
    if (parse_hex4(p, &cp) != 0)
        return -1;
    /* Surrogates must come as a pair (the reference's parser rejects lone halves). */
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
        fail_here(p, E_LONE_SURROGATE);
        return -1;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        for (size_t k = 1; k <= 2; k++) {
            if (p->pos + k >= p->len) {
                fail_eof(p, E_EOF_STRING);
                return -1;
            }
            if (p->s[p->pos + k] != "\\u"[k - 1]) {
                fail_here(p, E_HEX_END);
                return -1;
            }
        }
        p->pos += 2;
        unsigned lo;
        if (parse_hex4(p, &lo) != 0)
            return -1;
        if (lo < 0xDC00 || lo > 0xDFFF) {
            fail_here(p, E_LONE_SURROGATE);
            return -1;
        }
    }
    p->pos++;
    return 0;
}

/* The high bit of each of 8 bytes (little-endian order) that is '"', '\\', a control byte or
 * non-ASCII: the only bytes a string scan must stop at. Borrows can only mark bytes after a real
 * match, so the lowest bit set is exact. */
static inline uint64_t swar_special(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t quote = v ^ (ones * '"'), slash = v ^ (ones * '\\');
    uint64_t t =
        ((quote - ones) & ~quote) | ((slash - ones) & ~slash) | ((v - ones * 0x20) & ~v) | v;
    return t & highs;
}

/* A string whose opening quote is at p->pos. Leaves p->pos after the closing quote; *esc says
 * whether it held escapes. Bytes that are not UTF-8 end the scan (the caller classifies them). */
static int parse_string(parser *p, int *esc)
{
    const unsigned char *s = p->s;
    size_t n = p->len, i = p->pos + 1;
    *esc = 0;
    for (;;) {
#ifdef __SSE2__
        /* 16 bytes at a time: a signed compare below 0x20 catches control bytes and non-ASCII */
        const __m128i quote = _mm_set1_epi8('"'), slash = _mm_set1_epi8('\\'),
                      space = _mm_set1_epi8(0x20);
        while (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            __m128i hit =
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash)),
                             _mm_cmplt_epi8(v, space));
            unsigned m = (unsigned)_mm_movemask_epi8(hit);
            if (m) {
                i += (size_t)__builtin_ctz(m);
                goto special;
            }
            i += 16;
        }
#endif
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            uint64_t m = swar_special(w);
            if (m) {
                i += (size_t)__builtin_ctzll(m) >> 3;
                break;
            }
            i += 8;
        }
#ifdef __SSE2__
    special:
#endif
        if (i >= n)
            break;
        unsigned char ch = s[i];
        if (ch == '"') {
            p->pos = i + 1;
            return 0;
        }
        if (ch == '\\') {
            *esc = 1;
            p->pos = i;
            if (parse_escape(p) != 0)
                return -1;
            i = p->pos;
        } else if (ch < 0x20) {
            p->pos = i;
            fail_here(p, E_CONTROL);
            return -1;
        } else if (ch >= 0x80) {
            int k = utf8_seq(s + i, n - i);
            if (k < 0) {
                p->pos = n;
                fail_eof(p, E_EOF_STRING);
                return -1;
            }
            if (k == 0) {
                p->pos = i;
                fail_here(p, E_UTF8);
                return -1;
            }
            i += (size_t)k;
        } else {
            i++;
        }
    }
    p->pos = n;
    fail_eof(p, E_EOF_STRING);
    return -1;
}

static int is_digit(unsigned char ch)
{
    return ch >= '0' && ch <= '9';
}

static int parse_number_syntax(parser *p)
{
    if (p->s[p->pos] == '-') {
        p->pos++;
        if (p->pos >= p->len) {
            fail_eof(p, E_EOF_VALUE);
            return -1;
        }
    }
    if (p->s[p->pos] == '0') {
        p->pos++;
        if (p->pos < p->len && is_digit(p->s[p->pos])) {
            fail_here(p, E_NUMBER);
            return -1;
        }
    } else if (is_digit(p->s[p->pos])) {
        while (p->pos < p->len && is_digit(p->s[p->pos]))
            p->pos++;
    } else {
        fail_here(p, E_NUMBER);
        return -1;
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        if (p->pos >= p->len) {
            fail_eof(p, E_EOF_VALUE);
            return -1;
        }
        if (!is_digit(p->s[p->pos])) {
            fail_here(p, E_NUMBER);
            return -1;
        }
        while (p->pos < p->len && is_digit(p->s[p->pos]))
            p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (p->pos >= p->len) {
            fail_eof(p, E_EOF_VALUE);
            return -1;
        }
        if (!is_digit(p->s[p->pos])) {
            fail_here(p, E_NUMBER);
            return -1;
        }
        while (p->pos < p->len && is_digit(p->s[p->pos]))
            p->pos++;
    }
    return 0;
}

/* Flags of a syntactically valid number text: sign, fraction, range. */
static uint8_t number_flags(const unsigned char *s, size_t len)
{
    uint8_t f = 0;
    size_t i = 0;
    int neg = s[0] == '-';
    if (neg)
        i++;
    size_t int_start = i;
    while (i < len && is_digit(s[i]))
        i++;
    size_t int_digits = i - int_start;
    int nonzero = 0;
    for (size_t k = int_start; k < len; k++) {
        if (s[k] >= '1' && s[k] <= '9') {
            nonzero = 1; /* in the mantissa; an exponent alone never makes a zero nonzero */
            break;
        }
        if (s[k] == 'e' || s[k] == 'E')
            break;
    }
    if (neg && nonzero)
        f |= V_NEG;
    if (i < len) {
        f |= V_FRAC;
        /* Only long mantissas or exponents can overflow a double. */
        if (len > 300 || memchr(s, 'e', len) || memchr(s, 'E', len)) {
            char small[64];
            char *buf = len < sizeof small ? small : malloc(len + 1);
            if (buf) {
                memcpy(buf, s, len);
                buf[len] = '\0';
                if (isinf(strtod(buf, NULL)))
                    f |= V_INF;
                if (buf != small)
                    free(buf);
            }
        }
        return f;
    }
    /* An integer literal: compare against the 64-bit signed range and 2^32-1 by digits. */
    const unsigned char *d = s + int_start;
    static const char i64max[] = "9223372036854775807", i64min[] = "9223372036854775808";
    const char *lim = neg ? i64min : i64max;
    if (int_digits > 19 || (int_digits == 19 && memcmp(d, lim, 19) > 0))
        f |= V_ABOVE_I64;
    if (!neg && (int_digits > 10 || (int_digits == 10 && memcmp(d, "4294967295", 10) > 0)))
        f |= V_ABOVE_U32;
    return f;
}

static int parse_number(parser *p)
{
    size_t start = p->pos;
    if (parse_number_syntax(p) != 0)
        return -1;
    uint8_t f = number_flags(p->s + start, p->pos - start);
    p->vflags |= f;
    if (p->track && (f & (V_ABOVE_I64 | V_INF)))
        p->l->unreadable = 1;
    return 0;
}

static int parse_literal(parser *p, const char *word)
{
    size_t wl = word[0] == 'f' ? 5 : 4;
    if (p->pos + wl <= p->len && memcmp(p->s + p->pos, word, wl) == 0) {
        p->pos += wl;
        return 0;
    }
    for (size_t i = 0; word[i]; i++) {
        if (p->pos >= p->len) {
            fail_eof(p, E_EOF_VALUE);
            return -1;
        }
        if (p->s[p->pos] != (unsigned char)word[i]) {
            fail_here(p, E_IDENT);
            return -1;
        }
        p->pos++;
    }
    return 0;
}

static int parse_value(parser *p, int depth);

size_t cx_logcheck_unicode_escape(const char *u, char out[4], size_t *used)
{
    const unsigned char *s = (const unsigned char *)u;
    unsigned cp = 0;
    for (int k = 1; k <= 4; k++)
        cp = cp * 16 + (unsigned)hexval(s[k]);
    *used = 5;
    if (cp >= 0xD800 && cp <= 0xDBFF) { /* the low half follows: \uDC00-\uDFFF */
        unsigned lo = 0;
        for (int k = 7; k <= 10; k++)
            lo = lo * 16 + (unsigned)hexval(s[k]);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        *used = 11;
    }
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes a key with escapes into buf (KEYBUF bytes); returns its length, or KEYBUF + 1 when it is
 * longer (it cannot then be a contract key). The text was validated by parse_string. */
static size_t decode_key(const unsigned char *s, size_t len, char *buf)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned cp = s[i];
        if (cp == '\\') {
            unsigned char e = s[++i];
            static const char in[] = "\"\\/bfnrt", out[] = "\"\\/\b\f\n\r\t";
            const char *hit = strchr(in, e);
            if (hit && e) {
                cp = (unsigned char)out[hit - in];
            } else { /* \uXXXX, maybe a surrogate pair */
                char tmp[4];
                size_t used;
                size_t k = cx_logcheck_unicode_escape((const char *)s + i, tmp, &used);
                i += used - 1;
                if (n + k > KEYBUF)
                    return KEYBUF + 1;
                memcpy(buf + n, tmp, k);
                n += k;
                continue;
            }
        }
        if (n + 1 > KEYBUF)
            return KEYBUF + 1;
        buf[n++] = (char)cp;
    }
    return n;
}

/* Short keys compare faster inline than through a call to memcmp. */
static inline int same_bytes(const char *a, const unsigned char *b, size_t n)
{
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return 0;
        a += 8;
        b += 8;
        n -= 8;
    }
    while (n--)
        if ((unsigned char)*a++ != *b++)
            return 0;
    return 1;
}

/* How many successors in byte order a key is compared with before the hash lookup: a row that
 * lacks a few contract keys still finds its next key this way. */
#define GUESSES 6

/* The contract field a top-level key names, or -1. Tries the successors of the previous key in
 * byte order first (rows are written sorted). */
static int key_field(parser *p, const unsigned char *k, size_t klen, int esc)
{
    char buf[KEYBUF];
    if (esc) {
        klen = decode_key(k, klen, buf);
        if (klen > KEYBUF)
            return -1;
        k = (const unsigned char *)buf;
    }
    int g = p->expect;
    for (int t = 0; t < GUESSES && g >= 0; t++) {
        const field *f = &p->c->fields[g];
        if (f->len == klen && same_bytes(f->key, k, klen))
            return g;
        g = f->next_sorted;
    }
    return klen <= KEYBUF ? find_field(p->c, (const char *)k, klen) : -1;
}

static uint8_t jtype_of(unsigned char first)
{
    if (first == '"')
        return 's';
    if (first == '-' || is_digit(first))
        return 'i';
    if (first == '{')
        return 'o';
    if (first == '[')
        return 'a';
    return first; /* t, f, n */
}

static void record_field(parser *p, int f, size_t start, size_t end, unsigned char first)
{
    slot *sl = &p->l->slots[f];
    if (sl->gen == p->l->gen) {
        if (sl->count < 255)
            sl->count++;
    } else {
        sl->gen = p->l->gen;
        sl->count = 1;
    }
    sl->jtype = jtype_of(first);
    if (first == '"') {
        start++;
        end--;
    }
    sl->off = (uint32_t)start;
    sl->len = (uint32_t)(end - start);
    sl->flags = p->vflags;
    p->expect = p->c->fields[f].next_sorted;
}

static int parse_container(parser *p, int depth, int object)
{
    int eof_code = object ? E_EOF_OBJECT : E_EOF_LIST;
    unsigned char close = object ? '}' : ']';
    if (depth >= CX_LOGCHECK_MAX_DEPTH) {
        fail_here(p, E_RECURSION);
        return -1;
    }
    p->pos++; /* the opening bracket */
    skip_ws(p);
    if (p->pos >= p->len) {
        fail_eof(p, eof_code);
        return -1;
    }
    if (p->s[p->pos] == close) {
        p->pos++;
        return 0;
    }
    int top = depth == 0 && object && p->track;
    for (;;) {
        int f = -1;
        if (object) {
            if (p->s[p->pos] != '"') {
                fail_here(p, E_KEY);
                return -1;
            }
            size_t kstart = p->pos + 1;
            int esc;
            if (parse_string(p, &esc) != 0)
                return -1;
            if (esc && p->track && memmem(p->s + kstart, p->pos - 1 - kstart, "\\u0000", 6))
                p->l->unreadable = 1; /* cx.json refuses a NUL in a key */
            if (top)
                f = key_field(p, p->s + kstart, p->pos - 1 - kstart, esc);
            skip_ws(p);
            if (p->pos >= p->len) {
                fail_eof(p, eof_code);
                return -1;
            }
            if (p->s[p->pos] != ':') {
                fail_here(p, E_COLON);
                return -1;
            }
            p->pos++;
        }
        if (top) {
            skip_ws(p);
            size_t vstart = p->pos;
            p->vflags = 0;
            if (parse_value(p, depth + 1) != 0)
                return -1;
            if (f >= 0)
                record_field(p, f, vstart, p->pos, p->s[vstart]);
            else
                p->l->others++;
        } else if (parse_value(p, depth + 1) != 0) {
            return -1;
        }
        skip_ws(p);
        if (p->pos >= p->len) {
            fail_eof(p, eof_code);
            return -1;
        }
        unsigned char ch = p->s[p->pos];
        if (ch == close) {
            p->pos++;
            return 0;
        }
        if (ch != ',') {
            fail_here(p, object ? E_OBJECT_SEP : E_LIST_SEP);
            return -1;
        }
        p->pos++;
        skip_ws(p);
        if (p->pos >= p->len) {
            fail_eof(p, object ? eof_code : E_EOF_VALUE);
            return -1;
        }
        if (p->s[p->pos] == close) {
            fail_here(p, E_TRAILING_COMMA);
            return -1;
        }
    }
}

static int parse_value(parser *p, int depth)
{
    skip_ws(p);
    if (p->pos >= p->len) {
        fail_eof(p, E_EOF_VALUE);
        return -1;
    }
    int esc, rc;
    switch (p->s[p->pos]) {
    case '{':
        rc = parse_container(p, depth, 1);
        break;
    case '[':
        rc = parse_container(p, depth, 0);
        break;
    case '"':
        rc = parse_string(p, &esc);
        if (esc)
            p->vflags |= V_ESC;
        return rc;
    case 't':
        return parse_literal(p, "true");
    case 'f':
        return parse_literal(p, "false");
    case 'n':
        return parse_literal(p, "null");
    default:
        if (p->s[p->pos] == '-' || is_digit(p->s[p->pos])) {
            if (depth <= 1)
                return parse_number(p);
            /* Nested: only the range matters (cx's readers reject the whole row for it). */
            uint8_t keep = p->vflags;
            p->vflags = 0;
            rc = parse_number(p);
            uint8_t f = p->vflags;
            p->vflags = keep | ((f & (V_ABOVE_I64 | V_INF)) ? V_NESTED : 0);
            return rc;
        }
        fail_here(p, E_VALUE);
        return -1;
    }
    return rc;
}

static int is_blank_byte(unsigned char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* One JSON document over the whole text: 0 ok, -1 failed (p->e holds why). */
static int scan_syntax(cx_logcheck_line *l, const unsigned char *s, size_t len, int track,
                       cx_logcheck_error *e)
{
    parser p = {l->c, l, s, len, 0, 0, e, -1, l->c->first_sorted, 0, track};
    memset(e, 0, sizeof *e);
    skip_ws(&p);
    if (parse_value(&p, 0) == 0) {
        skip_ws(&p);
        if (p.pos < len)
            fail_here(&p, E_TRAILING);
    }
    return p.failed ? -1 : 0;
}

/* A strict prefix of a JSON object: the text starts with '{' and ran out inside it, with every
 * byte so far valid (a final UTF-8 sequence may be cut). */
static int is_prefix(cx_logcheck_line *l, const unsigned char *s, size_t len)
{
    cx_logcheck_error e;
    size_t i = 0;
    while (i < len && is_blank_byte(s[i]))
        i++;
    if (i == len || s[i] != '{')
        return 0;
    return scan_syntax(l, s, len, 0, &e) != 0 && e.eof;
}

static int is_object(cx_logcheck_line *l, const unsigned char *s, size_t len)
{
    cx_logcheck_error e;
    size_t i = 0;
    while (i < len && is_blank_byte(s[i]))
        i++;
    return i < len && s[i] == '{' && scan_syntax(l, s, len, 0, &e) == 0;
}

/* Where a glued row starts: `{"<contract key>"` after a strict prefix of an object, with only NUL
 * bytes between. Tries candidates left to right within a budget of a few passes over the line, so
 * a hostile line cannot make this quadratic. Returns the offset or 0. */
static size_t find_glued(cx_logcheck_line *l, const unsigned char *s, size_t len, uint32_t *nuls)
{
    size_t budget = 8 * len + 65536, spent = 0;
    for (size_t k = 1; k + 2 < len && spent < budget; k++) {
        if (s[k] != '{' || s[k + 1] != '"')
            continue;
        const unsigned char *q = memchr(s + k + 2, '"', len - k - 2);
        if (!q || find_field(l->c, (const char *)s + k + 2, (size_t)(q - (s + k + 2))) < 0)
            continue;
        size_t p = k;
        while (p > 0 && s[p - 1] == '\0')
            p--;
        spent += len;
        if (p > 0 && is_prefix(l, s, p) && is_object(l, s + k, len - k)) {
            *nuls = (uint32_t)(k - p);
            return k;
        }
    }
    return 0;
}

/* Zero fill left by a crash: NULs alone, NULs then a complete row, or a row cut short then NULs. */
static int zero_fill(cx_logcheck_line *l, const unsigned char *s, size_t len, cx_logcheck_error *e)
{
    size_t lead = 0, trail = 0;
    while (lead < len && s[lead] == '\0')
        lead++;
    if (lead > 0) {
        size_t i = lead;
        while (i < len && is_blank_byte(s[i]))
            i++;
        if (i == len || is_object(l, s + lead, len - lead)) {
            e->nuls = (uint32_t)lead;
            e->aux = i == len ? 0 : (uint32_t)lead;
            return 1;
        }
        return 0;
    }
    while (trail < len && s[len - 1 - trail] == '\0')
        trail++;
    if (trail > 0 && is_prefix(l, s, len - trail)) {
        e->nuls = (uint32_t)trail;
        e->aux = 0;
        return 1;
    }
    return 0;
}

cx_logcheck_kind cx_logcheck_scan(cx_logcheck_line *l, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    if (++l->gen == 0) { /* wrapped: forget every slot */
        for (size_t i = 0; i < l->c->n; i++)
            l->slots[i].gen = 0;
        l->gen = 1;
    }
    l->nissues = 0;
    l->top = 0;
    l->unreadable = 0;
    l->others = 0;
    memset(&l->err, 0, sizeof l->err);
    size_t i = 0;
    while (i < len && is_blank_byte(s[i]))
        i++;
    if (i == len)
        return CX_LOGCHECK_BLANK;
    l->top = (char)jtype_of(s[i]);
    if (scan_syntax(l, s, len, 1, &l->err) == 0)
        return s[i] == '{' ? CX_LOGCHECK_OBJECT : CX_LOGCHECK_NOT_OBJECT;
    /* The slow path, for bad lines only: name what went wrong. */
    cx_logcheck_error parse = l->err;
    int cut;
    size_t bad = utf8_bad(s, len, &cut);
    int bad_utf8 = bad < len && !(cut && parse.eof);
    cx_logcheck_error extra = {0};
    if (zero_fill(l, s, len, &extra)) {
        l->err = parse;
        l->err.aux = extra.aux;
        l->err.nuls = extra.nuls;
        return CX_LOGCHECK_ZERO_FILL;
    }
    uint32_t nuls = 0;
    size_t glued = find_glued(l, s, len, &nuls);
    l->err = parse;
    if (glued) {
        l->err.aux = (uint32_t)glued;
        l->err.nuls = nuls;
        return CX_LOGCHECK_GLUED;
    }
    if (bad_utf8) {
        l->err.code = E_UTF8;
        l->err.bad_off = (uint32_t)bad;
        l->err.bad_byte = s[bad];
        return CX_LOGCHECK_BAD_UTF8;
    }
    if (parse.eof && s[i] == '{')
        return CX_LOGCHECK_PREFIX;
    return CX_LOGCHECK_INVALID_JSON;
}

/* ---------------------------------------------------------------------------------------------- */
/* The judge */

static int slot_present(const cx_logcheck_line *l, int f)
{
    return f >= 0 && l->slots[f].gen == l->gen;
}

static cx_logcheck_issue *add_issue(cx_logcheck_line *l, int klass, int code, int f)
{
    if (l->nissues >= l->cap)
        return NULL;
    cx_logcheck_issue *i = &l->issues[l->nissues++];
    memset(i, 0, sizeof *i);
    i->klass = (uint8_t)klass;
    i->code = (uint8_t)code;
    i->field = (int16_t)f;
    i->field2 = -1;
    if (f >= 0) {
        i->jtype = l->slots[f].jtype;
        i->off = l->slots[f].off;
        i->len = l->slots[f].len;
    }
    return i;
}

/* A string value decoded into buf (cap bytes); *n its decoded length (may exceed cap: clipped). */
static void string_value(const char *text, const slot *sl, char *buf, size_t cap, size_t *n)
{
    const unsigned char *s = (const unsigned char *)text + sl->off;
    if (!(sl->flags & V_ESC)) {
        *n = sl->len;
        memcpy(buf, s, sl->len < cap ? sl->len : cap);
        return;
    }
    if (sl->len <= KEYBUF) {
        char tmp[KEYBUF];
        size_t k = decode_key(s, sl->len, tmp);
        if (k <= KEYBUF) {
            *n = k;
            memcpy(buf, tmp, k < cap ? k : cap);
            return;
        }
    }
    *n = cap + 1; /* long escaped text: never an enum, a timestamp or a class name */
    memset(buf, 'x', cap);
}

static int digits2(const char *s, int lo, int hi)
{
    if (!is_digit((unsigned char)s[0]) || !is_digit((unsigned char)s[1]))
        return 0;
    int v = (s[0] - '0') * 10 + (s[1] - '0');
    return v >= lo && v <= hi;
}

static int is_timestamp(const char *s, size_t n)
{
    if (n < 20)
        return 0;
    for (int k = 0; k < 4; k++)
        if (!is_digit((unsigned char)s[k]))
            return 0;
    if (s[4] != '-' || !digits2(s + 5, 1, 12) || s[7] != '-' || !digits2(s + 8, 1, 31) ||
        (s[10] != 'T' && s[10] != 't') || !digits2(s + 11, 0, 23) || s[13] != ':' ||
        !digits2(s + 14, 0, 59) || s[16] != ':' || !digits2(s + 17, 0, 60))
        return 0;
    size_t i = 19;
    if (i < n && s[i] == '.') {
        i++;
        size_t d = i;
        while (i < n && is_digit((unsigned char)s[i]))
            i++;
        if (i == d)
            return 0;
    }
    if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z'))
        return 1;
    return i + 6 == n && (s[i] == '+' || s[i] == '-') && digits2(s + i + 1, 0, 23) &&
           s[i + 3] == ':' && digits2(s + i + 4, 0, 59);
}

static int is_ident(const char *s, size_t n)
{
    if (n == 0 || s[0] < 'a' || s[0] > 'z')
        return 0;
    for (size_t i = 1; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return 0;
    }
    return 1;
}

#define VALUE_CAP 256

static void judge_string(cx_logcheck_line *l, const char *text, int f)
{
    const field *fd = &l->c->fields[f];
    if (!fd->non_blank && fd->format == CX_LOGCHECK_FMT_NONE && !fd->nenums)
        return;
    char v[VALUE_CAP];
    size_t n;
    string_value(text, &l->slots[f], v, sizeof v, &n);
    if (fd->non_blank) {
        int blank = n <= sizeof v;
        for (size_t i = 0; blank && i < n; i++)
            blank = is_blank_byte((unsigned char)v[i]);
        if (blank) {
            add_issue(l, CX_LOGCLASS_INVALID_VALUE, CX_LC_BLANK, f);
            return;
        }
    }
    if (fd->format == CX_LOGCHECK_FMT_TIMESTAMP && (n > sizeof v || !is_timestamp(v, n))) {
        add_issue(l, CX_LOGCLASS_INVALID_VALUE, CX_LC_TIMESTAMP, f);
        return;
    }
    if (fd->format == CX_LOGCHECK_FMT_IDENT && (n > sizeof v || !is_ident(v, n))) {
        add_issue(l, CX_LOGCLASS_INVALID_VALUE, CX_LC_IDENT, f);
        return;
    }
    if (fd->nenums) {
        for (size_t k = 0; k < fd->nenums && n <= sizeof v; k++)
            if (fd->enum_lens[k] == n && memcmp(fd->enums[k], v, n) == 0)
                return;
        add_issue(l, CX_LOGCLASS_INVALID_VALUE, CX_LC_ENUM, f);
    }
}

static void judge_number(cx_logcheck_line *l, int f, int u32)
{
    uint8_t fl = l->slots[f].flags;
    if (fl & V_INF)
        add_issue(l, CX_LOGCLASS_INVALID_VALUE, CX_LC_NOT_FINITE, f);
    else if (fl & V_NEG)
        add_issue(l, CX_LOGCLASS_INVALID_VALUE, CX_LC_NEGATIVE, f);
    else if (fl & V_FRAC)
        add_issue(l, CX_LOGCLASS_WRONG_TYPE, CX_LC_NOT_INTEGER, f);
    else if (fl & V_ABOVE_I64)
        add_issue(l, CX_LOGCLASS_INVALID_VALUE, CX_LC_ABOVE_I64, f);
    else if (u32 && (fl & V_ABOVE_U32))
        add_issue(l, CX_LOGCLASS_INVALID_VALUE, CX_LC_ABOVE_U32, f);
}

/* One present field: null, type, then value checks. Returns whether its value is usable by the
 * rules (right type, not null). */
static int judge_field(cx_logcheck_line *l, const char *text, int f)
{
    const field *fd = &l->c->fields[f];
    const slot *sl = &l->slots[f];
    if (sl->count > 1) {
        cx_logcheck_issue *i = add_issue(l, CX_LOGCLASS_INCONSISTENT, CX_LC_DUP_KEY, f);
        if (i)
            i->count = sl->count;
    }
    char t = (char)sl->jtype;
    if (t == 'n') {
        if (!fd->nullable)
            add_issue(l, CX_LOGCLASS_NULL_NOT_ALLOWED, CX_LC_NULL, f);
        return 0;
    }
    int ok;
    switch (fd->type) {
    case CX_LOGCHECK_T_STR:
        ok = t == 's';
        break;
    case CX_LOGCHECK_T_U64:
    case CX_LOGCHECK_T_U32:
        ok = t == 'i';
        break;
    case CX_LOGCHECK_T_BOOL:
        ok = t == 't' || t == 'f';
        break;
    case CX_LOGCHECK_T_OBJECT:
        ok = t == 'o';
        break;
    default:
        ok = 1;
    }
    if (!ok) {
        add_issue(l, CX_LOGCLASS_WRONG_TYPE, CX_LC_TYPE, f);
        return 0;
    }
    size_t before = l->nissues;
    if (fd->type == CX_LOGCHECK_T_STR)
        judge_string(l, text, f);
    else if (fd->type == CX_LOGCHECK_T_U64 || fd->type == CX_LOGCHECK_T_U32)
        judge_number(l, f, fd->type == CX_LOGCHECK_T_U32);
    else if (t == 'i' && (sl->flags & (V_INF | V_ABOVE_I64)))
        add_issue(l, CX_LOGCLASS_INVALID_VALUE,
                  sl->flags & V_INF ? CX_LC_NOT_FINITE : CX_LC_ABOVE_I64, f);
    if (sl->flags & V_NESTED)
        add_issue(l, CX_LOGCLASS_INVALID_VALUE, CX_LC_NESTED_RANGE, f);
    return l->nissues == before;
}

static uint64_t u64_value(const char *text, const slot *sl)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < sl->len; i++)
        v = v * 10 + (uint64_t)(text[sl->off + i] - '0');
    return v;
}

static int same_value(const char *text, const slot *a, const slot *b)
{
    if (a->jtype != b->jtype)
        return (a->jtype == 't' || a->jtype == 'f') && (b->jtype == 't' || b->jtype == 'f') ? 0 : 1;
    if (a->jtype == 's' && ((a->flags | b->flags) & V_ESC)) {
        char x[VALUE_CAP], y[VALUE_CAP];
        size_t nx, ny;
        string_value(text, a, x, sizeof x, &nx);
        string_value(text, b, y, sizeof y, &ny);
        if (nx > sizeof x || ny > sizeof y) /* long escaped strings: compare the raw text */
            return a->len == b->len && memcmp(text + a->off, text + b->off, a->len) == 0;
        return nx == ny && memcmp(x, y, nx) == 0;
    }
    return a->len == b->len && memcmp(text + a->off, text + b->off, a->len) == 0;
}

static void judge_rule(cx_logcheck_line *l, const char *text, const rule *r, const int *usable)
{
    if (!usable[r->a] || !usable[r->b])
        return;
    const slot *a = &l->slots[r->a], *b = &l->slots[r->b];
    int code = 0;
    if (r->kind == CX_LOGCHECK_RULE_EQUAL) {
        if (!same_value(text, a, b))
            code = CX_LC_DIFFERS;
    } else if (r->kind == CX_LOGCHECK_RULE_LE) {
        if (a->jtype == 'i' && b->jtype == 'i' && u64_value(text, a) > u64_value(text, b))
            code = CX_LC_ORDER;
    } else if (a->jtype == 's' && b->jtype == 's') {
        char av[VALUE_CAP], bv[VALUE_CAP];
        size_t na, nb;
        string_value(text, a, av, sizeof av, &na);
        string_value(text, b, bv, sizeof bv, &nb);
        for (size_t k = 0; k < r->nmap && na <= sizeof av; k++) {
            const char *from = r->map[2 * k], *to = r->map[2 * k + 1];
            if (strlen(from) != na || memcmp(from, av, na) != 0)
                continue;
            if (nb > sizeof bv || strlen(to) != nb || memcmp(to, bv, nb) != 0)
                code = CX_LC_MAP;
            break;
        }
    }
    if (!code)
        return;
    cx_logcheck_issue *i = add_issue(l, CX_LOGCLASS_INCONSISTENT, code, r->a);
    if (i) {
        i->field2 = (int16_t)r->b;
        i->off2 = b->off;
        i->len2 = b->len;
        if (code == CX_LC_MAP) /* the message names the value b should have had */
            for (size_t k = 0; k < r->nmap; k++)
                if (strlen(r->map[2 * k]) == a->len &&
                    memcmp(r->map[2 * k], text + a->off, a->len) == 0)
                    i->count = (uint8_t)k;
    }
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

void cx_logcheck_judge(cx_logcheck_line *l, const char *text, size_t len, int legacy_ok,
                       cx_logcheck_verdict *out)
{
    (void)len;
    const cx_logcheck *c = l->c;
    memset(out, 0, sizeof *out);
    out->modern = slot_present(l, c->modern[0]) && slot_present(l, c->modern[1]);
    if (!legacy_ok || out->modern) {
        for (size_t i = 0; i < c->nstrict; i++)
            if (!slot_present(l, c->strict[i]))
                out->missing |= (uint64_t)1 << i;
    }
    if (legacy_ok && !out->modern) {
        out->legacy_complete = 1;
        for (size_t j = 0; j < c->npairs; j++) {
            if (!slot_present(l, c->pairs[2 * j]) && !slot_present(l, c->pairs[2 * j + 1])) {
                out->missing |= (uint64_t)1 << (c->nstrict + j);
                out->legacy_complete = 0;
            }
        }
    }
    int usable[CX_LOGCHECK_MAX_FIELDS];
    for (size_t f = 0; f < c->n; f++)
        usable[f] = slot_present(l, (int)f) ? judge_field(l, text, (int)f) : 0;
    for (size_t r = 0; r < c->nrules; r++)
        judge_rule(l, text, &c->rules[r], usable);
    if (slot_present(l, c->id) && l->slots[c->id].jtype == 's') {
        const slot *sl = &l->slots[c->id];
        char v[VALUE_CAP];
        size_t n;
        string_value(text, sl, v, sizeof v, &n);
        out->has_id = 1;
        out->id_hash = n <= sizeof v ? hash_bytes(v, n) : hash_bytes(text + sl->off, sl->len);
        out->id_off = sl->off;
        out->id_len = sl->len;
    }
    out->issues = l->issues;
    out->nissues = l->nissues;
}

/* ---------------------------------------------------------------------------------------------- */
/* Messages */

size_t cx_logcheck_prefix_bytes(const char *text, size_t len, size_t chars)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    size_t ascii = len < chars ? len : chars;
    while (i < ascii && s[i] < 0x80)
        i++;
    if (i == ascii)
        return ascii;
    i = 0;
    for (size_t c = 0; c < chars && i < len; c++) {
        int k = utf8_seq(s + i, len - i);
        i += k > 0 ? (size_t)k : 1;
    }
    return i < len ? i : len;
}

typedef struct out {
    char *buf;
    size_t at, cap;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->cap == 0)
        return;
    size_t room = o->cap - 1 - o->at;
    if (n > room)
        n = room;
    memcpy(o->buf + o->at, s, n);
    o->at += n;
    o->buf[o->at] = '\0';
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putf(out *o, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

size_t cx_logcheck_escape(char *buf, size_t at, size_t cap, const char *text, size_t len)
{
    out o = {buf, at, cap};
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        unsigned char b = s[i];
        if (b >= 0x20 && b < 0x7F) {
            size_t j = i;
            while (j < len && s[j] >= 0x20 && s[j] < 0x7F)
                j++;
            put(&o, text + i, j - i);
            i = j;
            continue;
        }
        int k = b < 0x80 ? 1 : utf8_seq(s + i, len - i);
        if (b < 0x80 || k <= 0) {
            putf(&o, "\\x%02x", b);
            i++;
        } else if (b == 0xC2 && s[i + 1] < 0xA0) { /* C1 controls: terminals act on them */
            putf(&o, "\\u%04x", s[i + 1]);
            i += 2;
        } else if (b == 0xEF && s[i + 1] == 0xBB && s[i + 2] == 0xBF) { /* an invisible BOM */
            puts_(&o, "\\ufeff");
            i += 3;
        } else {
            put(&o, text + i, (size_t)k);
            i += (size_t)k;
        }
    }
    return o.at;
}

/* A value quoted in a message: at most CX_LOGCHECK_VALUE_BYTES characters, escaped. */
static void put_value(out *o, const char *s, size_t n)
{
    size_t keep = cx_logcheck_prefix_bytes(s, n, CX_LOGCHECK_VALUE_BYTES);
    o->at = cx_logcheck_escape(o->buf, o->at, o->cap, s, keep);
    if (keep < n)
        puts_(o, "...");
}

static void put_quoted(out *o, const char *s, size_t n)
{
    puts_(o, "'");
    put_value(o, s, n);
    puts_(o, "'");
}

static const char *type_text(cx_logcheck_type t)
{
    switch (t) {
    case CX_LOGCHECK_T_STR:
        return "a string";
    case CX_LOGCHECK_T_U64:
        return "a non-negative integer";
    case CX_LOGCHECK_T_U32:
        return "a non-negative integer up to 4294967295";
    case CX_LOGCHECK_T_BOOL:
        return "true or false";
    case CX_LOGCHECK_T_OBJECT:
        return "an object";
    default:
        return "any value";
    }
}

static const char *jtype_text(char t)
{
    switch (t) {
    case 's':
        return "a string";
    case 'i':
        return "a number";
    case 't':
    case 'f':
        return "a boolean";
    case 'o':
        return "an object";
    case 'a':
        return "an array";
    default:
        return "null";
    }
}

size_t cx_logcheck_issue_message(const cx_logcheck *c, const cx_logcheck_issue *i, const char *v,
                                 char *buf, size_t cap)
{
    out o = {buf, 0, cap};
    if (cap)
        buf[0] = '\0';
    const field *fd = i->field >= 0 ? &c->fields[i->field] : NULL;
    const char *a = v + i->off, *b = v + i->off2;
    switch (i->code) {
    case CX_LC_TYPE:
        putf(&o, "expected %s%s, got %s", type_text(fd->type), fd->nullable ? " or null" : "",
             jtype_text((char)i->jtype));
        if (i->jtype == 's' || i->jtype == 'i') {
            puts_(&o, " ");
            if (i->jtype == 's')
                put_quoted(&o, a, i->len);
            else
                put_value(&o, a, i->len);
        }
        break;
    case CX_LC_NOT_INTEGER:
        puts_(&o, "expected an integer, got ");
        put_value(&o, a, i->len);
        break;
    case CX_LC_NULL:
        putf(&o, "must not be null (expected %s)", type_text(fd->type));
        break;
    case CX_LC_NEGATIVE:
        puts_(&o, "negative value ");
        put_value(&o, a, i->len);
        puts_(&o, " (expected a non-negative integer)");
        break;
    case CX_LC_ABOVE_U32:
        put_value(&o, a, i->len);
        puts_(&o, " is out of range (at most 4294967295)");
        break;
    case CX_LC_ABOVE_I64:
        put_value(&o, a, i->len);
        puts_(&o, " is too large (at most 9223372036854775807, the largest integer cx reads)");
        break;
    case CX_LC_NOT_FINITE:
        put_value(&o, a, i->len);
        puts_(&o, " is not a finite number");
        break;
    case CX_LC_NESTED_RANGE:
        puts_(&o, "holds a number beyond 64-bit integers or doubles (readers skip the row)");
        break;
    case CX_LC_BLANK:
        puts_(&o, "must not be blank");
        break;
    case CX_LC_ENUM:
        puts_(&o, "unknown value ");
        put_quoted(&o, a, i->len);
        puts_(&o, " (expected ");
        for (size_t k = 0; k < fd->nenums; k++) {
            puts_(&o, k == 0 ? "" : k + 1 == fd->nenums ? " or " : ", ");
            puts_(&o, fd->enums[k]);
        }
        puts_(&o, ")");
        break;
    case CX_LC_TIMESTAMP:
        put_quoted(&o, a, i->len);
        puts_(&o, " is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SSZ)");
        break;
    case CX_LC_IDENT:
        put_quoted(&o, a, i->len);
        puts_(&o, " is not a class name ([a-z][a-z0-9_]*)");
        break;
    case CX_LC_DIFFERS:
        put_value(&o, a, i->len);
        putf(&o, " differs from %s ", cx_logcheck_key(c, i->field2));
        put_value(&o, b, i->len2);
        break;
    case CX_LC_ORDER:
        put_value(&o, a, i->len);
        putf(&o, " exceeds %s ", cx_logcheck_key(c, i->field2));
        put_value(&o, b, i->len2);
        break;
    case CX_LC_MAP: {
        const rule *r = NULL;
        for (size_t k = 0; k < c->nrules && !r; k++)
            if (c->rules[k].kind == CX_LOGCHECK_RULE_MAP && c->rules[k].a == i->field &&
                c->rules[k].b == i->field2)
                r = &c->rules[k];
        put_quoted(&o, a, i->len);
        putf(&o, " goes with %s '%s', not ", cx_logcheck_key(c, i->field2),
             r && i->count < r->nmap ? r->map[2 * i->count + 1] : "?");
        put_quoted(&o, b, i->len2);
        break;
    }
    case CX_LC_DUP_KEY:
        putf(&o, "appears %u times in the row (readers keep the last)", (unsigned)i->count);
        break;
    default:
        puts_(&o, "invalid");
    }
    return o.at;
}

size_t cx_logcheck_error_message(const cx_logcheck_error *e, cx_logcheck_kind kind,
                                 const char *preview, size_t plen, char *buf, size_t cap)
{
    out o = {buf, 0, cap};
    if (cap)
        buf[0] = '\0';
    const unsigned char *p = (const unsigned char *)preview;
    switch (kind) {
    case CX_LOGCHECK_BAD_UTF8:
        puts_(&o, parse_messages[E_UTF8]);
        if (plen >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
            putf(&o, " (a UTF-16 byte-order mark %02X %02X: the log is not UTF-8)", p[0], p[1]);
        else
            putf(&o, " (byte 0x%02x at column %u; Latin-1 or another 8-bit encoding?)", e->bad_byte,
                 e->bad_off + 1);
        return o.at;
    case CX_LOGCHECK_GLUED:
        putf(&o, "a row cut short, then a complete row at column %u on the same line", e->aux + 1);
        if (e->nuls)
            putf(&o, " after %u NUL bytes", e->nuls);
        puts_(&o, " (written without the newline repair)");
        return o.at;
    case CX_LOGCHECK_ZERO_FILL:
        if (e->aux)
            putf(&o, "%u NUL bytes (zero fill left by a crash), then a complete row", e->nuls);
        else if (plen && p[0] == '\0')
            putf(&o, "%u NUL bytes (zero fill left by a crash)", e->nuls);
        else
            putf(&o, "a row cut short, then %u NUL bytes (zero fill left by a crash)", e->nuls);
        return o.at;
    default:
        break;
    }
    putf(&o, "%s at line 1 column %u", parse_messages[e->code], e->column);
    if (plen >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        puts_(&o, " (a UTF-8 byte-order mark precedes the row)");
    else {
        size_t nul = 0;
        for (size_t k = 0; k < plen; k++)
            nul += p[k] == '\0';
        if (plen >= 4 && nul * 3 >= plen)
            puts_(&o, " (NUL bytes between the characters: UTF-16 text?)");
    }
    if (preview) {
        puts_(&o, " (preview='");
        o.at = cx_logcheck_escape(o.buf, o.at, o.cap, preview, plen);
        puts_(&o, "')");
    }
    return o.at;
}
