/* The line checker: JSON syntax in the reference parser's wording, the kinds of bad lines (cut
 * short, glued, zero fill, not UTF-8), and the judge's findings against a small contract. */
#include "check.h"
#include "logcheck_contract.h"

#include <stdint.h>
#include <stdlib.h>

static cx_logcheck_line *L;

static cx_logcheck_kind scan(const char *text)
{
    return cx_logcheck_scan(L, text, strlen(text));
}

static void check_invalid(const char *text, const char *msg, int eof)
{
    cx_logcheck_kind k = scan(text);
    CHECK(k == CX_LOGCHECK_INVALID_JSON || k == CX_LOGCHECK_PREFIX);
    char buf[512];
    cx_logcheck_error_message(cx_logcheck_line_error(L), CX_LOGCHECK_INVALID_JSON, NULL, 0, buf,
                              sizeof buf);
    CHECK_STR(buf, msg);
    CHECK_INT(cx_logcheck_line_error(L)->eof, eof);
}

/* The findings of an object line as "class/field/message" lines, plus the missing bits. */
static char verdict_text[4096];
static cx_logcheck_verdict vd;

static const char *judge(const cx_logcheck *c, const char *text, int legacy_ok)
{
    verdict_text[0] = '\0';
    if (scan(text) != CX_LOGCHECK_OBJECT)
        return "(not an object)";
    cx_logcheck_judge(L, text, strlen(text), legacy_ok, &vd);
    size_t at = 0;
    for (size_t i = 0; i < vd.nissues; i++) {
        char m[512];
        cx_logcheck_issue_message(c, &vd.issues[i], text, m, sizeof m);
        at += (size_t)snprintf(verdict_text + at, sizeof verdict_text - at, "%s%s/%s/%s",
                               i ? "\n" : "", cx_logcheck_class_name(vd.issues[i].klass),
                               cx_logcheck_key(c, vd.issues[i].field), m);
    }
    return verdict_text;
}

static void syntax(void)
{
    CHECK_INT(scan("{\"execution_id\":\"x\",\"n\":{\"ts\":1},\"tool\":null}"), CX_LOGCHECK_OBJECT);
    CHECK_INT(scan(" { \"a\\u005fb\" : [1, -2.5e+3, true, false, null, {}, []], \"x\":\"\\\"\" } "),
              CX_LOGCHECK_OBJECT);
    CHECK_INT(scan("{}"), CX_LOGCHECK_OBJECT);
    CHECK_INT(scan("{\"\\ud83d\\ude00\":\"\xf0\x9f\x98\x80\"}"), CX_LOGCHECK_OBJECT);
    CHECK_INT(scan("[1,2]"), CX_LOGCHECK_NOT_OBJECT);
    CHECK_INT(cx_logcheck_line_jtype(L), 'a');
    CHECK_INT(scan("\"s\""), CX_LOGCHECK_NOT_OBJECT);
    CHECK_INT(scan("-0"), CX_LOGCHECK_NOT_OBJECT);
    CHECK_INT(cx_logcheck_line_jtype(L), 'i');
    CHECK_INT(scan("null"), CX_LOGCHECK_NOT_OBJECT);
    CHECK_INT(scan(""), CX_LOGCHECK_BLANK);
    CHECK_INT(scan(" \t\v\f\r"), CX_LOGCHECK_BLANK);

    /* not UTF-8: the reference's read error, wherever the bad byte is */
    CHECK_INT(scan("{\"a\":\"\xff\"}"), CX_LOGCHECK_BAD_UTF8);
    CHECK_INT(cx_logcheck_line_error(L)->bad_off, 6);
    CHECK_INT(cx_logcheck_line_error(L)->bad_byte, 0xff);
    CHECK_INT(scan("\"\xc0\xaf\""), CX_LOGCHECK_BAD_UTF8);     /* overlong */
    CHECK_INT(scan("\"\xed\xa0\x80\""), CX_LOGCHECK_BAD_UTF8); /* surrogate */
    CHECK_INT(scan("\"\xe2\x82\""), CX_LOGCHECK_BAD_UTF8);     /* cut sequence inside */
    CHECK_INT(scan("{\"a\":1}\xe9"), CX_LOGCHECK_BAD_UTF8);    /* outside a string */
    CHECK_INT(scan("\"\xe2\x82\xac\""), CX_LOGCHECK_NOT_OBJECT);

    /* rows cut short: strict prefixes of an object, messages as serde words them */
    check_invalid("{\"a\":1", "EOF while parsing an object at line 1 column 6", 1);
    CHECK_INT(scan("{\"a\":1"), CX_LOGCHECK_PREFIX);
    check_invalid("{\"bad\"", "EOF while parsing an object at line 1 column 6", 1);
    check_invalid("{\"a\":", "EOF while parsing a value at line 1 column 5", 1);
    check_invalid("{\"a\":\"xy", "EOF while parsing a string at line 1 column 8", 1);
    check_invalid("{\"a\":tru", "EOF while parsing a value at line 1 column 8", 1);
    check_invalid("{\"a\":1.", "EOF while parsing a value at line 1 column 7", 1);
    check_invalid("{", "EOF while parsing an object at line 1 column 1", 1);
    CHECK_INT(scan("{\"a\":\"\xe2\x82"), CX_LOGCHECK_PREFIX); /* cut inside a character */
    /* ending early without being an object's prefix is plain invalid JSON */
    check_invalid("[1,", "EOF while parsing a value at line 1 column 3", 1);
    CHECK_INT(scan("[1"), CX_LOGCHECK_INVALID_JSON);

    /* wrong characters */
    check_invalid("{bad:1}", "key must be a string at line 1 column 2", 0);
    check_invalid("xyz", "expected value at line 1 column 1", 0);
    check_invalid("not json", "expected ident at line 1 column 2", 0);
    check_invalid("{\"a\":1}}", "trailing characters at line 1 column 8", 0);
    check_invalid("1 2", "trailing characters at line 1 column 3", 0);
    check_invalid("{\"a\" 1}", "expected `:` at line 1 column 6", 0);
    check_invalid("{\"a\":1 \"b\":2}", "expected `,` or `}` at line 1 column 8", 0);
    check_invalid("[1 2]", "expected `,` or `]` at line 1 column 4", 0);
    check_invalid("[1,]", "trailing comma at line 1 column 4", 0);
    check_invalid("{\"a\":1,}", "trailing comma at line 1 column 8", 0);
    check_invalid("{\"a\":tx}", "expected ident at line 1 column 7", 0);
    check_invalid("{\"a\":01}", "invalid number at line 1 column 7", 0);
    check_invalid("{\"a\":-}", "invalid number at line 1 column 7", 0);
    check_invalid("{\"a\":1.e3}", "invalid number at line 1 column 8", 0);
    check_invalid("{\"a\":\"\\x\"}", "invalid escape at line 1 column 8", 0);
    check_invalid("{\"a\":\"\\u12g4\"}", "invalid escape at line 1 column 11", 0);
    check_invalid("{\"a\":\"x\ty\"}",
                  "control character (\\u0000-\\u001F) found while parsing a string at line 1 "
                  "column 8",
                  0);
    check_invalid("\"\\udc00\"", "lone leading surrogate in hex escape at line 1 column 7", 0);
    check_invalid("\"\\ud83dx\"", "unexpected end of hex escape at line 1 column 7", 0);
    check_invalid("\"\\ud83d\\u0041\"", "lone leading surrogate in hex escape at line 1 column 13",
                  0);
    check_invalid("\"\\ud83d\\", "EOF while parsing a string at line 1 column 8", 1);
    check_invalid("\"\\ud8", "EOF while parsing a string at line 1 column 5", 1);

    /* numbers beyond what cx's reader holds are valid JSON, flagged unreadable */
    CHECK_INT(scan("[1e400]"), CX_LOGCHECK_NOT_OBJECT);
    CHECK(cx_logcheck_line_unreadable(L));
    CHECK_INT(scan("{\"a\":{\"b\":[9223372036854775808]}}"), CX_LOGCHECK_OBJECT);
    CHECK(cx_logcheck_line_unreadable(L));
    CHECK_INT(scan("[1e-400, 1.7e308, -9223372036854775808, 9223372036854775807]"),
              CX_LOGCHECK_NOT_OBJECT);
    CHECK(!cx_logcheck_line_unreadable(L));

    /* nesting is bounded */
    char deep[300];
    memset(deep, '[', 200);
    deep[200] = '\0';
    CHECK_INT(scan(deep), CX_LOGCHECK_INVALID_JSON);
    char buf[256];
    cx_logcheck_error_message(cx_logcheck_line_error(L), CX_LOGCHECK_INVALID_JSON, NULL, 0, buf,
                              sizeof buf);
    CHECK_STR(buf, "recursion limit exceeded at line 1 column 129");
}

static void crashes(void)
{
    const cx_logcheck_error *e = cx_logcheck_line_error(L);
    char buf[512];
    /* a row cut short, then the next row glued on (no newline repair) */
    const char *glued = "{\"execution_id\":\"a\",\"ts\":\"20{\"execution_id\":\"b\"}";
    CHECK_INT(scan(glued), CX_LOGCHECK_GLUED);
    CHECK_INT(e->aux, 28);
    cx_logcheck_error_message(e, CX_LOGCHECK_GLUED, glued, strlen(glued), buf, sizeof buf);
    CHECK_STR(buf, "a row cut short, then a complete row at column 29 on the same line (written "
                   "without the newline repair)");
    /* ... with NUL fill in between */
    const char nulglued[] = "{\"tool\":\"x\0\0\0{\"tool\":\"y\"}";
    CHECK_INT(cx_logcheck_scan(L, nulglued, sizeof nulglued - 1), CX_LOGCHECK_GLUED);
    CHECK_INT(e->nuls, 3);
    /* the candidate must start with a contract key and the rest must be a whole row */
    CHECK_INT(scan("{\"tool\":\"a{\"nope\":1}"), CX_LOGCHECK_INVALID_JSON);
    CHECK_INT(scan("{\"tool\":\"a{\"tool\":1"), CX_LOGCHECK_INVALID_JSON);
    CHECK_INT(scan("{\"tool\":{\"tool\":1"), CX_LOGCHECK_PREFIX);
    CHECK_INT(scan("x{\"tool\":1}"), CX_LOGCHECK_INVALID_JSON);
    /* a cut inside a character before the glued row */
    CHECK_INT(scan("{\"tool\":\"\xe2\x82{\"tool\":\"y\"}"), CX_LOGCHECK_GLUED);

    /* zero fill */
    const char zeros[] = "\0\0\0\0";
    CHECK_INT(cx_logcheck_scan(L, zeros, 4), CX_LOGCHECK_ZERO_FILL);
    cx_logcheck_error_message(e, CX_LOGCHECK_ZERO_FILL, zeros, 4, buf, sizeof buf);
    CHECK_STR(buf, "4 NUL bytes (zero fill left by a crash)");
    const char zrow[] = "\0\0{\"tool\":1}";
    CHECK_INT(cx_logcheck_scan(L, zrow, sizeof zrow - 1), CX_LOGCHECK_ZERO_FILL);
    cx_logcheck_error_message(e, CX_LOGCHECK_ZERO_FILL, zrow, sizeof zrow - 1, buf, sizeof buf);
    CHECK_STR(buf, "2 NUL bytes (zero fill left by a crash), then a complete row");
    const char rowz[] = "{\"tool\":\"ab\0\0\0";
    CHECK_INT(cx_logcheck_scan(L, rowz, sizeof rowz - 1), CX_LOGCHECK_ZERO_FILL);
    cx_logcheck_error_message(e, CX_LOGCHECK_ZERO_FILL, rowz, sizeof rowz - 1, buf, sizeof buf);
    CHECK_STR(buf, "a row cut short, then 3 NUL bytes (zero fill left by a crash)");
    const char zjunk[] = "\0\0junk";
    CHECK_INT(cx_logcheck_scan(L, zjunk, sizeof zjunk - 1), CX_LOGCHECK_INVALID_JSON);

    /* encodings */
    const char utf16[] = "\xff\xfe{\0\"\0";
    CHECK_INT(cx_logcheck_scan(L, utf16, sizeof utf16 - 1), CX_LOGCHECK_BAD_UTF8);
    cx_logcheck_error_message(e, CX_LOGCHECK_BAD_UTF8, utf16, sizeof utf16 - 1, buf, sizeof buf);
    CHECK_STR(buf, "stream did not contain valid UTF-8 (a UTF-16 byte-order mark FF FE: the log "
                   "is not UTF-8)");
    const char *latin = "{\"tool\":\"caf\xe9\"}";
    CHECK_INT(scan(latin), CX_LOGCHECK_BAD_UTF8);
    cx_logcheck_error_message(e, CX_LOGCHECK_BAD_UTF8, latin, strlen(latin), buf, sizeof buf);
    CHECK_STR(buf, "stream did not contain valid UTF-8 (byte 0xe9 at column 13; Latin-1 or "
                   "another 8-bit encoding?)");
    const char *bom = "\xef\xbb\xbf{}";
    CHECK_INT(scan(bom), CX_LOGCHECK_INVALID_JSON);
    cx_logcheck_error_message(e, CX_LOGCHECK_INVALID_JSON, bom, strlen(bom), buf, sizeof buf);
    CHECK_STR(buf, "expected value at line 1 column 1 (a UTF-8 byte-order mark precedes the row) "
                   "(preview='\\ufeff{}')");
    const char wide[] = "{\0\"\0a\0\"\0";
    CHECK_INT(cx_logcheck_scan(L, wide, sizeof wide - 1), CX_LOGCHECK_INVALID_JSON);
    cx_logcheck_error_message(e, CX_LOGCHECK_INVALID_JSON, wide, sizeof wide - 1, buf, sizeof buf);
    CHECK(strstr(buf, "UTF-16 text?") != NULL);
    CHECK(strstr(buf, "(preview='{\\x00\"\\x00a") != NULL);
}

static void judged(const cx_logcheck *c)
{
    const char *ok =
        "{\"execution_id\":\"e\",\"timestamp\":\"2026-03-05T14:15:02Z\",\"queue_ms\":null}";
    CHECK_STR(judge(c, ok, 0), "");
    CHECK(vd.missing == 0 && vd.modern && vd.has_id);
    uint64_t h = vd.id_hash;
    CHECK_STR(judge(c, "{\"execution_id\":\"\\u0065\",\"timestamp\":\"2026-03-05T14:15:02Z\"}", 0),
              "");
    CHECK(vd.id_hash == h); /* the decoded value is what counts */
    CHECK(vd.missing == 4); /* queue_ms */

    /* strict: every strict key; legacy mode: legacy rows need the pairs instead */
    judge(c, "{\"tool\":\"x\"}", 0);
    CHECK(vd.missing == 7);
    judge(c, "{\"tool\":\"x\"}", 1);
    CHECK(vd.missing == ((1u << 3) | (1u << 5)));
    CHECK(!vd.legacy_complete);
    judge(c, "{\"timestamp\":\"2026-03-05T14:15:02Z\",\"tool\":\"x\",\"repo_root\":\"\"}", 1);
    CHECK(vd.missing == 0 && vd.legacy_complete && !vd.modern);
    const char *other;
    int legacy;
    CHECK_STR(cx_logcheck_missing_key(c, 3, &other, &legacy), "ts");
    CHECK_STR(other, "timestamp");
    CHECK(legacy);
    CHECK_STR(cx_logcheck_missing_key(c, 2, &other, &legacy), "queue_ms");
    CHECK(!legacy && !other);

    /* types and nulls */
    CHECK_STR(judge(c, "{\"tool\":1,\"scope\":null,\"ok\":\"yes\",\"extra\":[]}", 1),
              "wrong_type/tool/expected a string, got a number 1\n"
              "null_not_allowed/scope/must not be null (expected a string)\n"
              "wrong_type/ok/expected true or false, got a string 'yes'\n"
              "wrong_type/extra/expected an object or null, got an array");
    /* numbers */
    CHECK_STR(judge(c, "{\"queue_ms\":-1.7e308,\"retry_max\":4294967296}", 1),
              "invalid_value/queue_ms/negative value -1.7e308 (expected a non-negative integer)\n"
              "invalid_value/retry_max/4294967296 is out of range (at most 4294967295)");
    CHECK_STR(judge(c, "{\"queue_ms\":1.5,\"retry_max\":1e3}", 1),
              "wrong_type/queue_ms/expected an integer, got 1.5\n"
              "wrong_type/retry_max/expected an integer, got 1e3");
    CHECK_STR(judge(c, "{\"queue_ms\":18446744073709551615,\"votes\":1e999}", 1),
              "invalid_value/queue_ms/18446744073709551615 is too large (at most "
              "9223372036854775807, the largest integer cx reads)\n"
              "invalid_value/votes/1e999 is not a finite number");
    CHECK_STR(judge(c, "{\"queue_ms\":-0,\"retry_max\":4294967295,\"votes\":{\"a\":[1e400]}}", 1),
              "invalid_value/votes/holds a number beyond 64-bit integers or doubles (readers skip "
              "the row)");
    /* values */
    CHECK_STR(judge(c, "{\"execution_id\":\" \\t\",\"timestamp\":\"2026-13-01T00:00:00Z\"}", 1),
              "invalid_value/execution_id/must not be blank\n"
              "invalid_value/timestamp/'2026-13-01T00:00:00Z' is not an RFC 3339 timestamp "
              "(YYYY-MM-DDTHH:MM:SSZ)");
    CHECK_STR(judge(c, "{\"ts\":\"2026-03-05T14:15:02.123+01:00\",\"scope\":\"global\"}", 1), "");
    CHECK_STR(judge(c, "{\"scope\":\"Repo\",\"class\":\"Bad-Class\"}", 1),
              "invalid_value/scope/unknown value 'Repo' (expected repo or global)\n"
              "invalid_value/class/'Bad-Class' is not a class name ([a-z][a-z0-9_]*)");
    CHECK_STR(judge(c, "{\"class\":\"http_json_invalid\"}", 1), "");
    /* a key twice: readers keep the last value, which is the one judged */
    CHECK_STR(judge(c, "{\"scope\":\"x\",\"scope\":\"repo\"}", 1),
              "inconsistent/scope/appears 2 times in the row (readers keep the last)");
    /* consistency rules, only between values of the right type */
    CHECK_STR(judge(c,
                    "{\"timestamp\":\"2026-03-05T14:15:02Z\",\"ts\":\"2026-03-05T14:15:03Z\","
                    "\"ok\":true,\"ok2\":false,\"start_ms\":9,\"end_ms\":5,\"adapter\":\"mock\","
                    "\"transport\":\"process\"}",
                    1),
              "inconsistent/timestamp/2026-03-05T14:15:02Z differs from ts 2026-03-05T14:15:03Z\n"
              "inconsistent/ok/true differs from ok2 false\n"
              "inconsistent/start_ms/9 exceeds end_ms 5\n"
              "inconsistent/adapter/'mock' goes with transport 'mock', not 'process'");
    CHECK_STR(judge(c,
                    "{\"timestamp\":\"2026-03-05T14:15:02Z\",\"ts\":\"2026-03-05T14:15:0\\u0032Z\","
                    "\"ok\":true,\"ok2\":null,\"start_ms\":5,\"end_ms\":5,\"adapter\":\"other\","
                    "\"transport\":\"x\"}",
                    1),
              "");
    CHECK_STR(judge(c, "{\"start_ms\":9,\"end_ms\":\"5\"}", 1),
              "wrong_type/end_ms/expected a non-negative integer or null, got a string '5'");
    /* quoted values are clipped and escaped */
    CHECK_STR(judge(c,
                    "{\"scope\":\"\xc2\x9b\\u001b0123456789012345678901234567890123456789012345678"
                    "9\"}",
                    1),
              "invalid_value/scope/unknown value '\\u009b\\u001b012345678901234567890123456789"
              "01234567890...' (expected repo or global)");
}

static void helpers(void)
{
    char buf[64];
    size_t n = cx_logcheck_escape(buf, 0, sizeof buf, "a\x1b[31m\x7f\xc2\x85\xe2\x82\xac\xff", 13);
    CHECK_STR(buf, "a\\x1b[31m\\x7f\\u0085\xe2\x82\xac\\xff");
    CHECK_INT(n, strlen(buf));
    n = cx_logcheck_escape(buf, 0, 8, "abcdefghijkl", 12); /* bounded */
    CHECK_STR(buf, "abcdefg");
    CHECK_INT(cx_logcheck_prefix_bytes("abc", 3, 2), 2);
    CHECK_INT(cx_logcheck_prefix_bytes("\xe2\x82\xac\xe2\x82\xac", 6, 1), 3);
    CHECK_INT(cx_logcheck_prefix_bytes("ab", 2, 5), 2);
    CHECK_STR(cx_logcheck_class_name(CX_LOGCLASS_DUPLICATE_EXECUTION_ID), "duplicate_execution_id");
    CHECK_STR(cx_logcheck_class_name(CX_LOGCLASS_NCLASSES), "unknown");
}

/* The shape of an object line: one byte per contract field, and the members outside it. */
static void shapes(const cx_logcheck *c)
{
    char out[32];
    size_t n = cx_logcheck_nfields(c);
    CHECK_INT(n, 18);
    out[n] = '\0';
    const char *row = "{\"class\":null,\"end_ms\":1.5e3,\"execution_id\":\"e\",\"ok\":false,"
                      "\"ok2\":true,\"queue_ms\":-3,\"votes\":[1],\"extra\":{\"a\":1}}";
    CHECK(scan(row) == CX_LOGCHECK_OBJECT);
    CHECK_INT(cx_logcheck_line_shape(L, out), 0);
    /* execution_id .. a_b, in contract order */
    CHECK_STR(out, "s-----i-bbaoz-d---");
    /* a repeated key: its last value; an escaped key is still the field; unknown keys counted */
    CHECK(scan("{\"queue_ms\":1,\"queue_ms\":0.5,\"t\\u0073\":\"x\",\"zz\":1,\"yy\":{}}") ==
          CX_LOGCHECK_OBJECT);
    CHECK_INT(cx_logcheck_line_shape(L, out), 2);
    CHECK_STR(out, "--s---d-----------");
    /* nothing carries over from the previous line */
    CHECK(scan("{}") == CX_LOGCHECK_OBJECT);
    CHECK_INT(cx_logcheck_line_shape(L, out), 0);
    CHECK_STR(out, "------------------");
}

static void bad_specs(void)
{
    char err[128];
    cx_logcheck_field twice[] = {{"a", CX_LOGCHECK_T_STR, 0, 0, 0, NULL, 0},
                                 {"a", CX_LOGCHECK_T_STR, 0, 0, 0, NULL, 0}};
    cx_logcheck_spec s = {twice, 2, NULL, 0, NULL, 0, {"a", "a"}, "a", NULL, 0};
    CHECK(cx_logcheck_new(&s, err, sizeof err) == NULL);
    CHECK_STR(err, "logcheck: field 'a' is listed twice");
    s.nfields = 1;
    cx_logcheck_rule r = {CX_LOGCHECK_RULE_EQUAL, "a", "b", NULL, 0};
    s.rules = &r;
    s.nrules = 1;
    CHECK(cx_logcheck_new(&s, err, sizeof err) == NULL);
    CHECK_STR(err, "logcheck: rule key 'b' is not a contract field");
    s.nrules = 0;
    s.id_key = "zz";
    CHECK(cx_logcheck_new(&s, err, sizeof err) == NULL);
    CHECK_STR(err, "logcheck: id key 'zz' is not a contract field");
    s.id_key = "a";
    cx_logcheck *c = cx_logcheck_new(&s, err, sizeof err);
    CHECK(c != NULL);
    CHECK_INT(cx_logcheck_nfields(c), 1);
    cx_logcheck_free(c);
}

int main(void)
{
    cx_logcheck *c = logcheck_test_contract();
    CHECK(c != NULL);
    if (!c)
        return CHECK_DONE();
    L = cx_logcheck_line_new(c);
    syntax();
    crashes();
    judged(c);
    helpers();
    shapes(c);
    bad_specs();
    cx_logcheck_line_free(L);
    cx_logcheck_free(c);
    return CHECK_DONE();
}
