/* A growable byte buffer: the one place native code accumulates output of unknown size. */
#ifndef CX_BUF_H
#define CX_BUF_H

#include <stddef.h>

typedef struct cx_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
} cx_buf;

void cx_buf_init(cx_buf *b);
void cx_buf_free(cx_buf *b);
/* Each returns 0, or -1 when memory runs out (the buffer is left as it was). */
int cx_buf_reserve(cx_buf *b, size_t extra);
int cx_buf_append(cx_buf *b, const void *data, size_t len);
int cx_buf_append_str(cx_buf *b, const char *s);
int cx_buf_append_char(cx_buf *b, char c);
int cx_buf_printf(cx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cx_buf_reset(cx_buf *b);
/* Hands the storage to the caller (who frees it) and leaves the buffer empty. */
char *cx_buf_steal(cx_buf *b, size_t *len);

#endif
