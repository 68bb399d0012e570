/* One-pass JSON validation of a run-log line with top-level key lookup (see logcheck.h). */
#include "logcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct watched {
    char *key;
    size_t len;
    int index; /* position in the caller's list = bit number */
} watched;

struct cx_logcheck {
    watched *keys; /* sorted by (len, bytes) for binary search */
    size_t n;
};

static int watched_cmp(const void *a, const void *b)
{
    const watched *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->key, y->key, x->len);
}

cx_logcheck *cx_logcheck_new(const char *const *keys, size_t nkeys)
{
    if (nkeys > CX_LOGCHECK_MAX_KEYS)
        return NULL;
    cx_logcheck *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->keys = calloc(nkeys ? nkeys : 1, sizeof *c->keys);
    if (!c->keys) {
        free(c);
        return NULL;
    }
    for (size_t i = 0; i < nkeys; i++) {
        c->keys[i].key = strdup(keys[i]);
        if (!c->keys[i].key) {
            c->n = i;
            cx_logcheck_free(c);
            return NULL;
        }
        c->keys[i].len = strlen(keys[i]);
        c->keys[i].index = (int)i;
    }
    c->n = nkeys;
    qsort(c->keys, c->n, sizeof *c->keys, watched_cmp);
    return c;
}

void cx_logcheck_free(cx_logcheck *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->keys[i].key);
    free(c->keys);
    free(c);
}

static int lookup(const cx_logcheck *c, const char *key, size_t len)
{
    size_t lo = 0, hi = c->n;
    watched probe = {(char *)key, len, 0};
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = watched_cmp(&probe, &c->keys[mid]);
        if (cmp == 0)
            return c->keys[mid].index;
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* RFC 3629 UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static int valid_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF;
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
        if (len - i <= need)
            return 0;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        i += need + 1;
    }
    return 1;
}

typedef struct parser {
    const cx_logcheck *c;
    const char *s;
    size_t len;
    size_t pos;
    cx_logcheck_result *out;
    int failed;
} parser;

/* Columns count bytes, 1-based, as the reference's parser reports them on a one-line input. */
static void fail_at(parser *p, size_t column, const char *what, int eof)
{
    if (p->failed)
        return;
    p->failed = 1;
    p->out->truncated = eof;
    snprintf(p->out->message, sizeof p->out->message, "%s at line 1 column %zu", what, column);
}

static void fail_here(parser *p, const char *what)
{
    fail_at(p, p->pos + 1, what, 0);
}

static void fail_eof(parser *p, const char *what)
{
    fail_at(p, p->len, what, 1);
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        char ch = p->s[p->pos];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
            return;
        p->pos++;
    }
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Appends code point cp as UTF-8 to buf (if it fits; a longer key cannot be a watched one). */
static void put_utf8(char *buf, size_t cap, size_t *n, unsigned cp)
{
    char tmp[4];
    size_t k;
    if (cp < 0x80) {
        tmp[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        tmp[0] = (char)(0xC0 | (cp >> 6));
        tmp[1] = (char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        tmp[0] = (char)(0xE0 | (cp >> 12));
        tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        tmp[0] = (char)(0xF0 | (cp >> 18));
        tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[3] = (char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    if (*n + k <= cap)
        memcpy(buf + *n, tmp, k);
    *n += k;
}

/* Reads the 4 hex digits after the 'u' at p->pos, leaving p->pos on the last digit. */
static int parse_hex4(parser *p, unsigned *cp)
{
    *cp = 0;
    for (int k = 0; k < 4; k++) {
        if (++p->pos >= p->len) {
            fail_eof(p, "EOF while parsing a string");
            return -1;
        }
        int h = hexval(p->s[p->pos]);
        if (h < 0) {
            fail_here(p, "invalid escape");
            return -1;
        }
        *cp = *cp * 16 + (unsigned)h;
    }
    return 0;
}

#define KEYBUF 96

/* Parses a string whose opening quote is at p->pos. When key is non-NULL the decoded text goes
 * there (up to KEYBUF bytes; *keylen gets the full decoded length). Returns 0 or -1. */
static int parse_string(parser *p, char *key, size_t *keylen)
{
    size_t n = 0;
    p->pos++; /* the quote */
    while (p->pos < p->len) {
        unsigned char ch = (unsigned char)p->s[p->pos];
        if (ch == '"') {
            p->pos++;
            if (keylen)
                *keylen = n;
            return 0;
        }
        if (ch < 0x20) {
            fail_here(p, "control character (\\u0000-\\u001F) found while parsing a string");
            return -1;
        }
        if (ch != '\\') {
            if (key && n < KEYBUF)
                key[n] = (char)ch;
            n++;
            p->pos++;
            continue;
        }
        if (++p->pos >= p->len)
            break;
        char e = p->s[p->pos];
        static const char simple_in[] = "\"\\/bfnrt", simple_out[] = "\"\\/\b\f\n\r\t";
        const char *hit = e ? strchr(simple_in, e) : NULL;
        if (hit) {
            if (key && n < KEYBUF)
                key[n] = simple_out[hit - simple_in];
            n++;
            p->pos++;
            continue;
        }
        if (e != 'u') {
            fail_here(p, "invalid escape");
            return -1;
        }
        unsigned cp;
        if (parse_hex4(p, &cp) != 0)
            return -1;
        /* Surrogates must come as a pair (the reference's parser rejects lone halves). */
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail_here(p, "lone leading surrogate in hex escape");
            return -1;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            for (size_t k = 1; k <= 2; k++) {
                if (p->pos + k >= p->len) {
                    fail_eof(p, "EOF while parsing a string");
                    return -1;
                }
                if (p->s[p->pos + k] != "\\u"[k - 1]) {
                    fail_here(p, "unexpected end of hex escape");
                    return -1;
                }
            }
            p->pos += 2;
            unsigned lo;
            if (parse_hex4(p, &lo) != 0)
                return -1;
            if (lo < 0xDC00 || lo > 0xDFFF) {
                fail_here(p, "lone leading surrogate in hex escape");
                return -1;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        p->pos++;
        if (key)
            put_utf8(key, KEYBUF, &n, cp);
        else
            n++;
    }
    fail_eof(p, "EOF while parsing a string");
    return -1;
}

static int parse_number_syntax(parser *p);

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* A number the reference's parser would read as an infinite f64 is an error there. */
static int number_in_range(const char *s, size_t len)
{
    char small[64];
    char *buf = len < sizeof small ? small : malloc(len + 1);
    if (!buf)
        return 1; /* cannot tell: accept */
    memcpy(buf, s, len);
    buf[len] = '\0';
    double v = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    return !isinf(v);
}

static int parse_number(parser *p)
{
    size_t start = p->pos;
    if (parse_number_syntax(p) != 0)
        return -1;
    size_t len = p->pos - start;
    /* Only long mantissas or exponents can overflow a double. */
    if (len > 300 || memchr(p->s + start, 'e', len) || memchr(p->s + start, 'E', len)) {
        if (!number_in_range(p->s + start, len)) {
            fail_at(p, p->pos, "number out of range", 0);
            return -1;
        }
    }
    return 0;
}

static int parse_number_syntax(parser *p)
{
    if (p->s[p->pos] == '-') {
        p->pos++;
        if (p->pos >= p->len) {
            fail_eof(p, "EOF while parsing a value");
            return -1;
        }
    }
    if (p->s[p->pos] == '0') {
        p->pos++;
        if (p->pos < p->len && is_digit(p->s[p->pos])) {
            fail_here(p, "invalid number");
            return -1;
        }
    } else if (is_digit(p->s[p->pos])) {
        while (p->pos < p->len && is_digit(p->s[p->pos]))
            p->pos++;
    } else {
        fail_here(p, "invalid number");
        return -1;
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        if (p->pos >= p->len) {
            fail_eof(p, "EOF while parsing a value");
            return -1;
        }
        if (!is_digit(p->s[p->pos])) {
            fail_here(p, "invalid number");
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
            fail_eof(p, "EOF while parsing a value");
            return -1;
        }
        if (!is_digit(p->s[p->pos])) {
            fail_here(p, "invalid number");
            return -1;
        }
        while (p->pos < p->len && is_digit(p->s[p->pos]))
            p->pos++;
    }
    return 0;
}

static int parse_literal(parser *p, const char *word)
{
    size_t wl = strlen(word);
    for (size_t i = 0; i < wl; i++) {
        if (p->pos >= p->len) {
            fail_eof(p, "EOF while parsing a value");
            return -1;
        }
        if (p->s[p->pos] != word[i]) {
            fail_here(p, "expected ident");
            return -1;
        }
        p->pos++;
    }
    return 0;
}

static int parse_value(parser *p, int depth);

static int parse_container(parser *p, int depth, int object)
{
    const char *eof_msg = object ? "EOF while parsing an object" : "EOF while parsing a list";
    char close = object ? '}' : ']';
    if (depth >= CX_LOGCHECK_MAX_DEPTH) {
        fail_here(p, "recursion limit exceeded");
        return -1;
    }
    p->pos++; /* the opening bracket */
    skip_ws(p);
    if (p->pos >= p->len) {
        fail_eof(p, eof_msg);
        return -1;
    }
    if (p->s[p->pos] == close) {
        p->pos++;
        return 0;
    }
    for (;;) {
        if (object) {
            if (p->s[p->pos] != '"') {
                fail_here(p, "key must be a string");
                return -1;
            }
            char key[KEYBUF];
            size_t keylen = 0;
            int top = depth == 0;
            if (parse_string(p, top ? key : NULL, top ? &keylen : NULL) != 0)
                return -1;
            if (top && keylen <= KEYBUF) {
                int bit = lookup(p->c, key, keylen);
                if (bit >= 0)
                    p->out->present |= (uint64_t)1 << bit;
            }
            skip_ws(p);
            if (p->pos >= p->len) {
                fail_eof(p, eof_msg);
                return -1;
            }
            if (p->s[p->pos] != ':') {
                fail_here(p, "expected `:`");
                return -1;
            }
            p->pos++;
        }
        if (parse_value(p, depth + 1) != 0)
            return -1;
        skip_ws(p);
        if (p->pos >= p->len) {
            fail_eof(p, eof_msg);
            return -1;
        }
        char ch = p->s[p->pos];
        if (ch == close) {
            p->pos++;
            return 0;
        }
        if (ch != ',') {
            fail_here(p, object ? "expected `,` or `}`" : "expected `,` or `]`");
            return -1;
        }
        p->pos++;
        skip_ws(p);
        if (p->pos >= p->len) {
            fail_eof(p, object ? eof_msg : "EOF while parsing a value");
            return -1;
        }
        if (p->s[p->pos] == close) {
            fail_here(p, "trailing comma");
            return -1;
        }
    }
}

static int parse_value(parser *p, int depth)
{
    skip_ws(p);
    if (p->pos >= p->len) {
        fail_eof(p, "EOF while parsing a value");
        return -1;
    }
    switch (p->s[p->pos]) {
    case '{':
        return parse_container(p, depth, 1);
    case '[':
        return parse_container(p, depth, 0);
    case '"':
        return parse_string(p, NULL, NULL);
    case 't':
        return parse_literal(p, "true");
    case 'f':
        return parse_literal(p, "false");
    case 'n':
        return parse_literal(p, "null");
    default:
        if (p->s[p->pos] == '-' || is_digit(p->s[p->pos]))
            return parse_number(p);
        fail_here(p, "expected value");
        return -1;
    }
}

void cx_logcheck_line(const cx_logcheck *c, const char *text, size_t len, cx_logcheck_result *out)
{
    memset(out, 0, sizeof *out);
    if (!valid_utf8((const unsigned char *)text, len)) {
        out->kind = CX_LOGCHECK_BAD_UTF8;
        snprintf(out->message, sizeof out->message, "stream did not contain valid UTF-8");
        return;
    }
    /* Blank as the reference trims: JSON whitespace plus vertical tab and form feed. */
    size_t i = 0;
    while (i < len && strchr(" \t\n\r\v\f", text[i]) && text[i] != '\0')
        i++;
    if (i == len) {
        out->kind = CX_LOGCHECK_BLANK;
        return;
    }
    parser p = {c, text, len, 0, out, 0};
    skip_ws(&p);
    int object = text[p.pos] == '{';
    if (parse_value(&p, 0) == 0) {
        skip_ws(&p);
        if (p.pos < len)
            fail_here(&p, "trailing characters");
    }
    if (p.failed) {
        out->kind = CX_LOGCHECK_INVALID_JSON;
        out->present = 0;
        return;
    }
    out->kind = object ? CX_LOGCHECK_OBJECT : CX_LOGCHECK_NOT_OBJECT;
    if (!object)
        out->present = 0;
}
