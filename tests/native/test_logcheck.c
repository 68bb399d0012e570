#include "check.h"
#include "logcheck.h"

#include <stdint.h>

static const char *const keys[] = {"execution_id", "timestamp", "ts", "tool", "a_b"};

static cx_logcheck_result run(const cx_logcheck *c, const char *text)
{
    cx_logcheck_result r;
    cx_logcheck_line(c, text, strlen(text), &r);
    return r;
}

static void check_invalid(const cx_logcheck *c, const char *text, const char *msg, int truncated)
{
    cx_logcheck_result r = run(c, text);
    CHECK_INT(r.kind, CX_LOGCHECK_INVALID_JSON);
    CHECK_STR(r.message, msg);
    CHECK_INT(r.truncated, truncated);
    CHECK(r.present == 0);
}

int main(void)
{
    cx_logcheck *c = cx_logcheck_new(keys, 5);
    CHECK(c != NULL);

    /* objects: top-level keys only, escapes decoded */
    cx_logcheck_result r = run(c, "{\"execution_id\":\"x\",\"n\":{\"ts\":1},\"tool\":null}");
    CHECK_INT(r.kind, CX_LOGCHECK_OBJECT);
    CHECK(r.present == ((1u << 0) | (1u << 3)));
    r = run(
        c, " { \"a\\u005fb\" : [1, -2.5e+3, true, false, null, {}, []], \"timestamp\":\"\\\"\" } ");
    CHECK_INT(r.kind, CX_LOGCHECK_OBJECT);
    CHECK(r.present == ((1u << 4) | (1u << 1)));
    r = run(c, "{}");
    CHECK_INT(r.kind, CX_LOGCHECK_OBJECT);
    CHECK(r.present == 0);
    r = run(c, "{\"\\ud83d\\ude00\":\"\xf0\x9f\x98\x80\"}");
    CHECK_INT(r.kind, CX_LOGCHECK_OBJECT);

    /* other JSON values */
    CHECK_INT(run(c, "[1,2]").kind, CX_LOGCHECK_NOT_OBJECT);
    CHECK_INT(run(c, "\"s\"").kind, CX_LOGCHECK_NOT_OBJECT);
    CHECK_INT(run(c, "0").kind, CX_LOGCHECK_NOT_OBJECT);
    CHECK_INT(run(c, "null").kind, CX_LOGCHECK_NOT_OBJECT);

    /* blank and bad UTF-8 */
    CHECK_INT(run(c, "").kind, CX_LOGCHECK_BLANK);
    CHECK_INT(run(c, " \t\v\f\r").kind, CX_LOGCHECK_BLANK);
    r = run(c, "{\"a\":\"\xff\"}");
    CHECK_INT(r.kind, CX_LOGCHECK_BAD_UTF8);
    CHECK_STR(r.message, "stream did not contain valid UTF-8");
    CHECK_INT(run(c, "\"\xc0\xaf\"").kind, CX_LOGCHECK_BAD_UTF8);     /* overlong */
    CHECK_INT(run(c, "\"\xed\xa0\x80\"").kind, CX_LOGCHECK_BAD_UTF8); /* surrogate */
    CHECK_INT(run(c, "\"\xe2\x82\"").kind, CX_LOGCHECK_BAD_UTF8);     /* cut sequence */
    CHECK_INT(run(c, "\"\xe2\x82\xac\"").kind, CX_LOGCHECK_NOT_OBJECT);

    /* rows cut short: truncated, messages as serde words them */
    check_invalid(c, "{\"a\":1", "EOF while parsing an object at line 1 column 6", 1);
    check_invalid(c, "{\"bad\"", "EOF while parsing an object at line 1 column 6", 1);
    check_invalid(c, "{\"a\":", "EOF while parsing a value at line 1 column 5", 1);
    check_invalid(c, "{\"a\":\"xy", "EOF while parsing a string at line 1 column 8", 1);
    check_invalid(c, "{\"a\":tru", "EOF while parsing a value at line 1 column 8", 1);
    check_invalid(c, "[1,", "EOF while parsing a value at line 1 column 3", 1);
    check_invalid(c, "[1", "EOF while parsing a list at line 1 column 2", 1);
    check_invalid(c, "{\"a\":1.", "EOF while parsing a value at line 1 column 7", 1);
    check_invalid(c, "{", "EOF while parsing an object at line 1 column 1", 1);

    /* wrong characters: not truncated */
    check_invalid(c, "{bad:1}", "key must be a string at line 1 column 2", 0);
    check_invalid(c, "xyz", "expected value at line 1 column 1", 0);
    check_invalid(c, "not json", "expected ident at line 1 column 2", 0);
    check_invalid(c, "{\"a\":1}}", "trailing characters at line 1 column 8", 0);
    check_invalid(c, "1 2", "trailing characters at line 1 column 3", 0);
    check_invalid(c, "{\"a\" 1}", "expected `:` at line 1 column 6", 0);
    check_invalid(c, "{\"a\":1 \"b\":2}", "expected `,` or `}` at line 1 column 8", 0);
    check_invalid(c, "[1 2]", "expected `,` or `]` at line 1 column 4", 0);
    check_invalid(c, "[1,]", "trailing comma at line 1 column 4", 0);
    check_invalid(c, "{\"a\":1,}", "trailing comma at line 1 column 8", 0);
    check_invalid(c, "{\"a\":tx}", "expected ident at line 1 column 7", 0);
    check_invalid(c, "{\"a\":01}", "invalid number at line 1 column 7", 0);
    check_invalid(c, "{\"a\":-}", "invalid number at line 1 column 7", 0);
    check_invalid(c, "{\"a\":1.e3}", "invalid number at line 1 column 8", 0);
    check_invalid(c, "{\"a\":\"\\x\"}", "invalid escape at line 1 column 8", 0);
    check_invalid(c, "{\"a\":\"\\u12g4\"}", "invalid escape at line 1 column 11", 0);
    check_invalid(
        c, "{\"a\":\"x\ty\"}",
        "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 8", 0);

    /* numbers that overflow a double */
    check_invalid(c, "[1e400]", "number out of range at line 1 column 6", 0);
    check_invalid(c, "-1.5E+309", "number out of range at line 1 column 9", 0);
    CHECK_INT(run(c, "[1e-400, 1.7e308, 123456789012345678901234567890]").kind,
              CX_LOGCHECK_NOT_OBJECT);

    /* surrogates come in pairs */
    check_invalid(c, "\"\\udc00\"", "lone leading surrogate in hex escape at line 1 column 7", 0);
    check_invalid(c, "\"\\ud83dx\"", "unexpected end of hex escape at line 1 column 7", 0);
    check_invalid(c, "\"\\ud83d\\u0041\"",
                  "lone leading surrogate in hex escape at line 1 column 13", 0);
    check_invalid(c, "\"\\ud83d\\", "EOF while parsing a string at line 1 column 8", 1);
    check_invalid(c, "\"\\ud83d", "EOF while parsing a string at line 1 column 7", 1);
    check_invalid(c, "\"\\ud8", "EOF while parsing a string at line 1 column 5", 1);

    /* nesting is bounded */
    char deep[300];
    memset(deep, '[', 200);
    deep[200] = '\0';
    r = run(c, deep);
    CHECK_INT(r.kind, CX_LOGCHECK_INVALID_JSON);
    CHECK(strstr(r.message, "recursion limit exceeded") != NULL);

    /* too many keys */
    const char *many[CX_LOGCHECK_MAX_KEYS + 1];
    for (int i = 0; i <= CX_LOGCHECK_MAX_KEYS; i++)
        many[i] = "k";
    CHECK(cx_logcheck_new(many, CX_LOGCHECK_MAX_KEYS + 1) == NULL);
    cx_logcheck *empty = cx_logcheck_new(many, 0);
    CHECK(empty != NULL);
    CHECK_INT(run(empty, "{\"k\":1}").kind, CX_LOGCHECK_OBJECT);
    cx_logcheck_free(empty);
    cx_logcheck_free(c);
    return CHECK_DONE();
}
