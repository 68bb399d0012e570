#include "json_write.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes there are not one. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    unsigned int cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

int cx_json_write_string(cx_buf *out, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    if (cx_buf_reserve(out, len + 2) != 0 || cx_buf_append_char(out, '"') != 0)
        return -1;
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        /* copy plain runs in one go */
        while (run < len && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
            run++;
        if (run > i && cx_buf_append(out, s + i, run - i) != 0)
            return -1;
        i = run;
        if (i >= len)
            break;
        unsigned char c = s[i];
        int rc = 0;
        switch (c) {
        case '"':
            rc = cx_buf_append(out, "\\\"", 2);
            break;
        case '\\':
            rc = cx_buf_append(out, "\\\\", 2);
            break;
        case '\n':
            rc = cx_buf_append(out, "\\n", 2);
            break;
        case '\r':
            rc = cx_buf_append(out, "\\r", 2);
            break;
        case '\t':
            rc = cx_buf_append(out, "\\t", 2);
            break;
        case '\b':
            rc = cx_buf_append(out, "\\b", 2);
            break;
        case '\f':
            rc = cx_buf_append(out, "\\f", 2);
            break;
        default:
            if (c < 0x20) {
                rc = cx_buf_printf(out, "\\u%04x", c);
            } else {
                size_t n = utf8_seq_len(s + i, len - i);
                if (n == 0) {
                    rc = cx_buf_append(out, "\xEF\xBF\xBD", 3);
                    i += 1;
                } else {
                    rc = cx_buf_append(out, s + i, n);
                    i += n;
                }
                if (rc != 0)
                    return -1;
                continue;
            }
        }
        if (rc != 0)
            return -1;
        i++;
    }
    return cx_buf_append_char(out, '"');
}

int cx_json_write_double(cx_buf *out, double v)
{
    if (!isfinite(v))
        return cx_buf_append_str(out, "null");
    if (v == floor(v) && fabs(v) < 1e16)
        return cx_buf_printf(out, "%.1f", v);
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    return cx_buf_append_str(out, tmp);
}

int cx_json_write_integer(cx_buf *out, long long v)
{
    return cx_buf_printf(out, "%lld", v);
}

int cx_json_write_indent(cx_buf *out, int level)
{
    if (cx_buf_append_char(out, '\n') != 0)
        return -1;
    for (int i = 0; i < level; i++)
        if (cx_buf_append(out, "  ", 2) != 0)
            return -1;
    return 0;
}
