/* Runs every case of tests/fixtures/envelopes/cases.json through the envelope parser, one-shot and
 * streamed byte by byte (and in 7-byte pieces), and checks the expected class or text. Also checks
 * that the corpus keeps covering every failure class, plus an oversized body generated here. */
#include "check.h"
#include "envelope.h"
#include "envelope_compare.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DIR "tests/fixtures/envelopes/"

static int class_seen[CX_ENVELOPE_CLASS_COUNT];

static void check_case(json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *fmt = json_string_value(json_object_get(c, "format"));
    const char *file = json_string_value(json_object_get(c, "file"));
    const char *want_class = json_string_value(json_object_get(c, "expect_class"));
    json_t *want_text = json_object_get(c, "expect_text");
    CHECK(name && fmt && file && (want_class != NULL) != (want_text != NULL));
    if (!name || !fmt || !file)
        return;
    cx_envelope_format f;
    CHECK(cx_envelope_format_from_name(fmt, &f) == 0);
    char path[512];
    snprintf(path, sizeof path, DIR "%s", file);
    size_t len;
    char *body = env_slurp(path, &len);
    CHECK(body != NULL);
    if (!body)
        return;

    cx_envelope_result one, bytes, pieces;
    cx_envelope_parse(f, body, len, NULL, &one);
    env_parse_pieces(f, body, len, 0, 1, NULL, &bytes);
    env_parse_pieces(f, body, len, 0, 7, NULL, &pieces);
    const char *d1 = env_diff(&one, &bytes), *d7 = env_diff(&one, &pieces);
    if (d1 || d7)
        fprintf(stderr, "%s: streamed result differs on %s\n", name, d1 ? d1 : d7);
    CHECK(!d1 && !d7);

    const char *got = cx_envelope_class_name(one.cls);
    class_seen[one.cls] = 1;
    if (want_class) {
        if (strcmp(got, want_class) != 0)
            fprintf(stderr, "%s: got class %s (%s), want %s\n", name, got,
                    one.reason ? one.reason : "", want_class);
        CHECK(strcmp(got, want_class) == 0);
        CHECK(one.reason != NULL && one.text == NULL);
    } else {
        int same = one.text && json_is_string(want_text) &&
                   one.text_len == json_string_length(want_text) &&
                   memcmp(one.text, json_string_value(want_text), one.text_len) == 0;
        if (!same)
            fprintf(stderr, "%s: got %s [%s], want text [%s]\n", name, got,
                    one.text ? one.text : one.reason, json_string_value(want_text));
        CHECK(same);
    }
    cx_envelope_result_free(&one);
    cx_envelope_result_free(&bytes);
    cx_envelope_result_free(&pieces);
    free(body);
}

/* Over the default limit by one byte, for every format; generated, not committed. */
static void check_oversized(void)
{
    size_t len = CX_ENVELOPE_DEFAULT_MAX_BYTES + 1;
    char *body = malloc(len);
    memset(body, 'a', len);
    for (int f = 0; f < CX_ENVELOPE_FORMAT_COUNT; f++) {
        cx_envelope_result r;
        cx_envelope_parse((cx_envelope_format)f, body, len, NULL, &r);
        CHECK_STR(cx_envelope_class_name(r.cls), "body_too_large");
        class_seen[r.cls] = 1;
        cx_envelope_result_free(&r);
        /* exactly at the limit is fine for text */
        if (f == CX_ENVELOPE_TEXT) {
            cx_envelope_parse(CX_ENVELOPE_TEXT, body, len - 1, NULL, &r);
            CHECK(r.cls == CX_ENVELOPE_OK && r.text_len == len - 1);
            cx_envelope_result_free(&r);
        }
    }
    free(body);
}

int main(void)
{
    json_error_t err;
    json_t *cases = json_load_file(DIR "cases.json", 0, &err);
    if (!json_is_array(cases)) {
        fprintf(stderr, "cannot read " DIR "cases.json: %s (run from the repository root)\n",
                err.text);
        return 1;
    }
    size_t i, failures = 0;
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        check_case(c);
        failures += json_object_get(c, "expect_class") != NULL;
    }
    CHECK(failures >= 60);
    check_oversized();
    /* every class except out_of_memory must be exercised by the corpus */
    for (int k = 0; k < CX_ENVELOPE_CLASS_COUNT; k++) {
        if (k == CX_ENVELOPE_OUT_OF_MEMORY)
            continue;
        if (!class_seen[k])
            fprintf(stderr, "no corpus case for class %s\n",
                    cx_envelope_class_name((cx_envelope_class)k));
        CHECK(class_seen[k]);
    }
    fprintf(stderr, "envelope corpus: %zu cases (%zu failures)\n", json_array_size(cases),
            failures);
    json_decref(cases);
    return CHECK_DONE();
}
