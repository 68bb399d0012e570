#include "buf.h"
#include "check.h"

#include <stdlib.h>

int main(void)
{
    cx_buf b;
    cx_buf_init(&b);
    CHECK(b.data == NULL && b.len == 0);
    CHECK_INT(cx_buf_append_str(&b, "ab"), 0);
    CHECK_INT(cx_buf_append_char(&b, 'c'), 0);
    CHECK_STR(b.data, "abc");
    CHECK_INT(cx_buf_printf(&b, "-%d-%s", 42, "x"), 0);
    CHECK_STR(b.data, "abc-42-x");
    for (int i = 0; i < 10000; i++)
        cx_buf_append(&b, "0123456789", 10);
    CHECK_INT(b.len, 8 + 100000);
    CHECK(b.data[b.len] == '\0');
    cx_buf_reset(&b);
    CHECK_INT(b.len, 0);
    CHECK_STR(b.data, "");
    CHECK_INT(cx_buf_append(&b, "x\0y", 3), 0);
    CHECK_INT(b.len, 3);
    size_t n = 0;
    char *p = cx_buf_steal(&b, &n);
    CHECK_INT(n, 3);
    CHECK(p[2] == 'y');
    CHECK(b.data == NULL && b.len == 0);
    free(p);
    CHECK_INT(cx_buf_reserve(&b, (size_t)-1), -1);
    cx_buf_free(&b);
    return CHECK_DONE();
}
