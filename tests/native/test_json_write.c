#include "check.h"
#include "json_write.h"

static const char *str(const char *s, size_t len)
{
    static cx_buf b;
    cx_buf_free(&b);
    cx_json_write_string(&b, s, len);
    return b.data;
}

static const char *dbl(double v)
{
    static cx_buf b;
    cx_buf_free(&b);
    cx_json_write_double(&b, v);
    return b.data;
}

int main(void)
{
    CHECK_STR(str("plain", 5), "\"plain\"");
    CHECK_STR(str("a\"b\\c/d", 7), "\"a\\\"b\\\\c/d\"");
    CHECK_STR(str("\n\r\t\b\f", 5), "\"\\n\\r\\t\\b\\f\"");
    CHECK_STR(str("\x01\x1f", 2), "\"\\u0001\\u001f\"");
    CHECK_STR(str("caf\xc3\xa9 \xe2\x82\xac", 9), "\"caf\xc3\xa9 \xe2\x82\xac\"");
    CHECK_STR(str("a\0b", 3), "\"a\\u0000b\"");
    /* invalid UTF-8: a lone continuation byte, a truncated sequence, an overlong form, a surrogate
     */
    CHECK_STR(str("x\x80y", 3), "\"x\xEF\xBF\xBDy\"");
    CHECK_STR(str("\xe2\x82", 2), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
    CHECK_STR(str("\xc0\xaf", 2), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
    CHECK_STR(str("\xed\xa0\x80", 3), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    CHECK_STR(dbl(0.0), "0.0");
    CHECK_STR(dbl(1.0), "1.0");
    CHECK_STR(dbl(0.5), "0.5");
    CHECK_STR(dbl(2.0 / 3.0), "0.6666666666666666");
    CHECK_STR(dbl(0.1), "0.1");
    CHECK_STR(dbl(-12.25), "-12.25");
    CHECK_STR(dbl(1.0 / 0.0), "null");
    cx_buf b;
    cx_buf_init(&b);
    cx_json_write_integer(&b, -42);
    cx_json_write_indent(&b, 2);
    CHECK_STR(b.data, "-42\n    ");
    cx_buf_free(&b);
    return CHECK_DONE();
}
