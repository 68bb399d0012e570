#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cx_buf_init(cx_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void cx_buf_free(cx_buf *b)
{
    free(b->data);
    cx_buf_init(b);
}

int cx_buf_reserve(cx_buf *b, size_t extra)
{
    if (extra > (size_t)-1 - b->len - 1)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int cx_buf_append(cx_buf *b, const void *data, size_t len)
{
    if (cx_buf_reserve(b, len) != 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int cx_buf_append_str(cx_buf *b, const char *s)
{
    return cx_buf_append(b, s, strlen(s));
}

int cx_buf_append_char(cx_buf *b, char c)
{
    return cx_buf_append(b, &c, 1);
}

int cx_buf_printf(cx_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || cx_buf_reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void cx_buf_reset(cx_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *cx_buf_steal(cx_buf *b, size_t *len)
{
    char *p = b->data;
    if (len)
        *len = b->len;
    cx_buf_init(b);
    return p;
}
