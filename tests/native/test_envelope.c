/* The envelope parser: every format's happy paths (real codex captures included), every failure
 * class, streaming at every split point, limits and the name helpers. The fixture corpus runs in
 * test_envelope_corpus.c. */
#include "check.h"
#include "envelope.h"
#include "envelope_compare.h"

#include <stdlib.h>
#include <string.h>

static cx_envelope_result R;

static const cx_envelope_result *parse_n(cx_envelope_format f, const char *body, size_t len)
{
    cx_envelope_result_free(&R);
    cx_envelope_parse(f, body, len, NULL, &R);
    return &R;
}

static const cx_envelope_result *parse(cx_envelope_format f, const char *body)
{
    return parse_n(f, body, strlen(body));
}

#define EXPECT_TEXT(f, body, want)                                                                 \
    do {                                                                                           \
        const cx_envelope_result *r_ = parse(f, body);                                             \
        CHECK_STR(cx_envelope_class_name(r_->cls), "ok");                                          \
        if (r_->reason)                                                                            \
            fprintf(stderr, "  reason: %s\n", r_->reason);                                         \
        CHECK_STR(r_->text, want);                                                                 \
    } while (0)

#define EXPECT_CLASS(f, body, want) EXPECT_CLASS_N(f, body, strlen(body), want)
#define EXPECT_CLASS_N(f, body, len, want)                                                         \
    do {                                                                                           \
        const cx_envelope_result *r_ = parse_n(f, body, len);                                      \
        CHECK_STR(cx_envelope_class_name(r_->cls), want);                                          \
        CHECK(r_->text == NULL && r_->reason != NULL && r_->reason[0] != '\0');                    \
    } while (0)

static char *fixture(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "tests/fixtures/codex/%s.stdout.jsonl", name);
    char *body = env_slurp(path, len);
    if (!body) {
        fprintf(stderr, "missing fixture %s (run from the repository root)\n", path);
        exit(1);
    }
    return body;
}

/* Every split point in two pieces, and every piece size up to 5, must give the one-shot result. */
static void check_splits(cx_envelope_format f, const char *body, size_t len)
{
    cx_envelope_result one, many;
    cx_envelope_parse(f, body, len, NULL, &one);
    int bad = 0;
    for (size_t cut = 0; cut <= len && !bad; cut++) {
        env_parse_pieces(f, body, len, cut, len ? len : 1, NULL, &many);
        const char *d = env_diff(&one, &many);
        if (d) {
            fprintf(stderr, "%s: split at %zu differs on %s\n", cx_envelope_format_name(f), cut, d);
            bad = 1;
        }
        cx_envelope_result_free(&many);
    }
    for (size_t step = 1; step <= 5 && !bad; step++) {
        env_parse_pieces(f, body, len, 0, step, NULL, &many);
        const char *d = env_diff(&one, &many);
        if (d) {
            fprintf(stderr, "%s: pieces of %zu differ on %s\n", cx_envelope_format_name(f), step,
                    d);
            bad = 1;
        }
        cx_envelope_result_free(&many);
    }
    CHECK(!bad);
    cx_envelope_result_free(&one);
}

static void test_names(void)
{
    cx_envelope_format f;
    for (int i = 0; i < CX_ENVELOPE_FORMAT_COUNT; i++) {
        CHECK(cx_envelope_format_from_name(cx_envelope_format_name((cx_envelope_format)i), &f) ==
              0);
        CHECK_INT(f, i);
    }
    CHECK(cx_envelope_format_from_name("sse", &f) == -1);
    CHECK(cx_envelope_format_from_name(NULL, &f) == -1);
    for (int i = 0; i < CX_ENVELOPE_CLASS_COUNT; i++) {
        CHECK(strcmp(cx_envelope_class_name((cx_envelope_class)i), "unknown") != 0);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(cx_envelope_class_name((cx_envelope_class)i),
                         cx_envelope_class_name((cx_envelope_class)j)) != 0);
    }
    CHECK_STR(cx_envelope_class_name(CX_ENVELOPE_CLASS_COUNT), "unknown");
    CHECK_STR(cx_envelope_terminal_name(CX_ENVELOPE_TERMINAL_DONE), "done");
    CHECK(cx_envelope_new(CX_ENVELOPE_FORMAT_COUNT, NULL) == NULL);
}

static void test_text(void)
{
    EXPECT_TEXT(CX_ENVELOPE_TEXT, "plain prose\n", "plain prose\n");
    EXPECT_TEXT(CX_ENVELOPE_TEXT, "{\"text\":\"t\",\"response\":\"r\"}", "t");
    EXPECT_TEXT(CX_ENVELOPE_TEXT, "{\"text\":1,\"response\":\"r\"}", "r");
    EXPECT_TEXT(CX_ENVELOPE_TEXT, "{\"output\":\"o\"}", "o");
    EXPECT_TEXT(CX_ENVELOPE_TEXT, "{\"content\":[\"a\",{\"text\":\"b\"},2,null]}", "a\nb");
    EXPECT_TEXT(CX_ENVELOPE_TEXT, "{\"content\":[2]}", "{\"content\":[2]}");
    EXPECT_TEXT(CX_ENVELOPE_TEXT, " \"s\" ", " \"s\" "); /* raw, untrimmed */
    EXPECT_TEXT(CX_ENVELOPE_TEXT, "[1]", "[1]");
    EXPECT_TEXT(CX_ENVELOPE_TEXT, "true story", "true story");
    EXPECT_TEXT(CX_ENVELOPE_TEXT, "The answer is 42.", "The answer is 42.");
    EXPECT_TEXT(CX_ENVELOPE_TEXT, "-", "-");
    EXPECT_TEXT(CX_ENVELOPE_TEXT, "\t\n ", "");
    EXPECT_TEXT(CX_ENVELOPE_TEXT, "", "");
    /* Unicode White_Space is trimmed like the reference's str::trim (U+00A0, U+3000) */
    EXPECT_TEXT(CX_ENVELOPE_TEXT, "\xc2\xa0{\"text\":\"x\"}\xe3\x80\x80", "x");
    CHECK_INT(parse(CX_ENVELOPE_TEXT, "{}")->terminal, CX_ENVELOPE_TERMINAL_NONE);
}

static void test_json(void)
{
    EXPECT_TEXT(CX_ENVELOPE_JSON, "\"s\"", "s");
    EXPECT_TEXT(CX_ENVELOPE_JSON, "{\"response\":\"r\"}", "r");
    EXPECT_TEXT(CX_ENVELOPE_JSON, "{\"z\":[1,2.5,1e2,-0.0],\"a\":{\"y\":null,\"b\":\"\\u00e9\"}}",
                "{\"a\":{\"b\":\"\xc3\xa9\",\"y\":null},\"z\":[1,2.5,100.0,-0.0]}");
    EXPECT_TEXT(CX_ENVELOPE_JSON, "{}", "{}");
    EXPECT_TEXT(CX_ENVELOPE_JSON, "[]", "[]");
    EXPECT_TEXT(CX_ENVELOPE_JSON, "{\"content\":[\"a\",{\"text\":\"b\"}]}", "a\nb");
    EXPECT_TEXT(CX_ENVELOPE_JSON, "{\"content\":{\"text\":\"x\"}}",
                "{\"content\":{\"text\":\"x\"}}");
    EXPECT_TEXT(CX_ENVELOPE_JSON, "{\"text\":\"ok\",\"error\":null}", "ok");
    /* an escaped NUL is valid JSON: the text keeps it and reports its length */
    const cx_envelope_result *r = parse(CX_ENVELOPE_JSON, "{\"text\":\"a\\u0000b\"}");
    CHECK_INT(r->text_len, 3);
    CHECK(r->text && memcmp(r->text, "a\0b", 3) == 0);
    EXPECT_CLASS(CX_ENVELOPE_JSON, "", "http_json_empty");
    EXPECT_CLASS(CX_ENVELOPE_JSON, " \n", "http_json_empty");
    EXPECT_CLASS(CX_ENVELOPE_JSON, "{\"text\":", "http_json_invalid");
    EXPECT_CLASS(CX_ENVELOPE_JSON, "nope", "http_json_invalid");
    EXPECT_CLASS(CX_ENVELOPE_JSON, "1", "http_json_type_unsupported");
    EXPECT_CLASS(CX_ENVELOPE_JSON, "false", "http_json_type_unsupported");
    EXPECT_CLASS(CX_ENVELOPE_JSON, "null", "http_json_type_unsupported");
    EXPECT_CLASS(CX_ENVELOPE_JSON, "{\"content\":[\"a\",{}]}", "http_json_content_invalid");
    EXPECT_CLASS(CX_ENVELOPE_JSON, "{\"content\":[]}", "http_json_content_empty");
    EXPECT_CLASS(CX_ENVELOPE_JSON, "{\"error\":\"boom\"}", "provider_error");
    CHECK(strstr(R.reason, "boom") != NULL);
    EXPECT_CLASS(CX_ENVELOPE_JSON, "{\"error\":{\"code\":\"insufficient_quota\"}}",
                 "quota_exhausted");
}

static void test_jsonl(void)
{
    const char *ok = "{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\",\"text\":"
                     "\"a\"}}\n\n{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\","
                     "\"text\":\"b\"}}\n{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":7,"
                     "\"output_tokens\":2}}\n";
    const cx_envelope_result *r = parse(CX_ENVELOPE_JSONL, ok);
    CHECK_STR(r->text, "b");
    CHECK_INT(r->events, 3);
    CHECK_INT(r->usage.input_tokens, 7);
    CHECK_INT(r->usage.cached_input_tokens, -1);
    CHECK_INT(r->usage.output_tokens, 2);
    CHECK_INT(r->terminal, CX_ENVELOPE_TERMINAL_COMPLETED);
    CHECK_INT(r->item_types, 1);
    CHECK_INT(r->items[0].count, 2);
    check_splits(CX_ENVELOPE_JSONL, ok, strlen(ok));
    /* a turn.failed line is reported, not judged: the reference's passthrough only validates */
    r = parse(CX_ENVELOPE_JSONL, "{\"type\":\"item.completed\"}\n{\"type\":\"turn.failed\","
                                 "\"error\":{\"message\":\"m\"}}\n");
    CHECK_STR(r->text, "");
    CHECK_INT(r->terminal, CX_ENVELOPE_TERMINAL_FAILED);
    CHECK(r->notice_count == 1 && strstr(r->notices[0], "turn.failed: m"));
    EXPECT_CLASS(CX_ENVELOPE_JSONL, "{\"type\":\"item.completed\"}\n\n{bad\n", "jsonl_invalid");
    CHECK(strstr(R.reason, "line 3") != NULL);
    EXPECT_CLASS(CX_ENVELOPE_JSONL, "{}\n[]\n", "jsonl_missing_item_completed");
    EXPECT_CLASS(CX_ENVELOPE_JSONL, "\n \n", "empty");
}

static void test_codex_captures(void)
{
    size_t len;
    char *body = fixture("ok_known_model", &len);
    const cx_envelope_result *r = parse_n(CX_ENVELOPE_CODEX, body, len);
    CHECK_STR(cx_envelope_class_name(r->cls), "ok");
    CHECK_STR(r->text, "Hi! (fake model reply)");
    CHECK_INT(r->events, 4);
    CHECK_INT(r->terminal, CX_ENVELOPE_TERMINAL_COMPLETED);
    CHECK_STR(r->thread_id, "01a20bda-e1a5-7361-9ca0-23191b5e951b");
    CHECK(r->has_usage);
    CHECK_INT(r->usage.input_tokens, 9521);
    CHECK_INT(r->usage.cached_input_tokens, 0);
    CHECK_INT(r->usage.output_tokens, 5);
    CHECK_INT(r->usage.reasoning_output_tokens, 0);
    CHECK_INT(r->notice_count, 0);
    check_splits(CX_ENVELOPE_CODEX, body, len);
    free(body);

    body = fixture("ok", &len);
    r = parse_n(CX_ENVELOPE_CODEX, body, len);
    CHECK_STR(r->text, "Hi! (fake model reply)");
    CHECK_INT(r->notice_count, 1); /* the metadata warning item */
    CHECK(r->notice_count && strstr(r->notices[0], "Model metadata") == r->notices[0]);
    free(body);

    body = fixture("tool_call", &len);
    r = parse_n(CX_ENVELOPE_CODEX, body, len);
    CHECK_STR(r->text, "Hi! (fake model reply)");
    CHECK_INT(r->usage.input_tokens, 19204);
    CHECK_INT(r->usage.output_tokens, 19);
    CHECK_INT(r->item_types, 3);
    for (size_t i = 0; i < r->item_types; i++)
        CHECK_INT(r->items[i].count, 1); /* item.started is not counted, only completions */
    check_splits(CX_ENVELOPE_CODEX, body, len);
    free(body);

    body = fixture("http500", &len);
    r = parse_n(CX_ENVELOPE_CODEX, body, len);
    CHECK_STR(cx_envelope_class_name(r->cls), "provider_error");
    CHECK(strstr(r->reason, "high demand") != NULL);
    CHECK_INT(r->terminal, CX_ENVELOPE_TERMINAL_FAILED);
    CHECK_INT(r->notice_count, 7); /* metadata warning, 5 reconnects, the final error event */
    CHECK(strncmp(r->notices[1], "Reconnecting... 1/5", 19) == 0);
    check_splits(CX_ENVELOPE_CODEX, body, len);
    free(body);

    const char *incomplete[] = {"hang_short", "conn_refused_r0", "stall_default"};
    for (size_t i = 0; i < 3; i++) {
        body = fixture(incomplete[i], &len);
        r = parse_n(CX_ENVELOPE_CODEX, body, len);
        CHECK_STR(cx_envelope_class_name(r->cls), "incomplete");
        CHECK_INT(r->terminal, CX_ENVELOPE_TERMINAL_NONE);
        free(body);
    }
    body = fixture("conn_refused_r0", &len);
    r = parse_n(CX_ENVELOPE_CODEX, body, len);
    CHECK(strstr(r->reason, "waiting for network") != NULL); /* the last notice explains it */
    free(body);

    const char *failed[] = {"http429", "missing_key", "drop",
                            "failed",  "malformed",   "http500_r0_gpt55"};
    for (size_t i = 0; i < 6; i++) {
        body = fixture(failed[i], &len);
        CHECK_STR(cx_envelope_class_name(parse_n(CX_ENVELOPE_CODEX, body, len)->cls),
                  "provider_error");
        free(body);
    }
}

static void test_codex_rules(void)
{
    const char *quota = "{\"type\":\"turn.failed\",\"error\":{\"message\":\"You've hit your usage "
                        "limit. Try again at 3 PM.\"}}\n";
    EXPECT_CLASS(CX_ENVELOPE_CODEX, quota, "quota_exhausted");
    CHECK(strstr(R.reason, "usage limit") != NULL);
    /* non-JSON lines are notices, not fatal */
    const cx_envelope_result *r =
        parse(CX_ENVELOPE_CODEX, "stray\n{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_"
                                 "message\",\"text\":\"t\"}}\n7\n{\"type\":\"turn.completed\"}");
    CHECK_STR(r->text, "t");
    CHECK_INT(r->notice_count, 2);
    CHECK(!r->has_usage); /* turn.completed without usage: every field -1 */
    /* a quoted line is cut on a UTF-8 boundary (found by the fuzzer: it was cut mid-character) */
    char line[400] = "x", want[400] = "line 1 is not JSON: x";
    for (int i = 0; i < 150; i++)
        strcat(line, "\xc3\xa9");
    for (int i = 0; i < 99; i++)
        strcat(want, "\xc3\xa9");
    strcat(want, "...");
    r = parse(CX_ENVELOPE_CODEX, line);
    CHECK(r->notice_count == 1 && strcmp(r->notices[0], want) == 0);
    /* the last turn.completed overwrites every usage field */
    r = parse(CX_ENVELOPE_CODEX, "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":5,"
                                 "\"cached_input_tokens\":3}}\n{\"type\":\"turn.completed\","
                                 "\"usage\":{\"output_tokens\":2,\"input_tokens\":-1}}\n");
    CHECK_INT(r->usage.input_tokens, -1);
    CHECK_INT(r->usage.cached_input_tokens, -1);
    CHECK_INT(r->usage.output_tokens, 2);
    EXPECT_CLASS(CX_ENVELOPE_CODEX, "", "empty");
    EXPECT_CLASS(CX_ENVELOPE_CODEX, "{\"type\":\"turn.started\"}\n", "incomplete");
    /* 40 distinct item types: the table stays bounded, the rest count as "other" */
    char body[8192];
    size_t n = 0;
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(body + n, sizeof body - n,
                              "{\"type\":\"item.completed\",\"item\":{\"type\":\"t%d\"}}\n", i);
    snprintf(body + n, sizeof body - n, "{\"type\":\"turn.completed\"}\n");
    r = parse(CX_ENVELOPE_CODEX, body);
    CHECK_INT(r->item_types, 32);
    CHECK_STR(r->items[31].type, "other");
    CHECK_INT(r->items[31].count, 9);
    /* notices are capped, the total is kept */
    char *many = malloc(150 * 40 + 64);
    n = 0;
    for (int i = 0; i < 150; i++)
        n += (size_t)sprintf(many + n, "{\"type\":\"error\",\"message\":\"n%d\"}\n", i);
    sprintf(many + n, "{\"type\":\"turn.completed\"}");
    r = parse(CX_ENVELOPE_CODEX, many);
    CHECK_INT(r->notice_count, CX_ENVELOPE_MAX_NOTICES);
    CHECK_INT(r->notices_total, 150);
    CHECK_STR(r->notices[0], "n0");
    free(many);
}

static void test_openai(void)
{
    const char *doc = "{\"model\":\"gpt\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                      "\"assistant\",\"content\":\"Hi!\"},\"finish_reason\":\"stop\"}],\"usage\":{"
                      "\"prompt_tokens\":9,\"completion_tokens\":3,\"prompt_tokens_details\":{"
                      "\"cached_tokens\":4},\"completion_tokens_details\":{\"reasoning_tokens\":"
                      "1}}}";
    const cx_envelope_result *r = parse(CX_ENVELOPE_OPENAI, doc);
    CHECK_STR(r->text, "Hi!");
    CHECK_STR(r->model, "gpt");
    CHECK_STR(r->finish_reason, "stop");
    CHECK_INT(r->terminal, CX_ENVELOPE_TERMINAL_COMPLETED);
    CHECK_INT(r->usage.input_tokens, 9);
    CHECK_INT(r->usage.cached_input_tokens, 4);
    CHECK_INT(r->usage.output_tokens, 3);
    CHECK_INT(r->usage.reasoning_output_tokens, 1);
    check_splits(CX_ENVELOPE_OPENAI, doc, strlen(doc));

    const char *sse = ": hello\r\n\r\ndata: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{"
                      "\"role\":\"assistant\",\"content\":\"Hi \"}}],\"usage\":null}\r\n\r\n"
                      "data:{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"you\"},"
                      "\"finish_reason\":\"stop\"}]}\r\r"
                      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":27,"
                      "\"completion_tokens\":5}}\n\n"
                      "data: [DONE]\n\n";
    r = parse(CX_ENVELOPE_OPENAI, sse);
    CHECK_STR(r->text, "Hi you");
    CHECK_STR(r->finish_reason, "stop");
    CHECK_INT(r->events, 4);
    CHECK_INT(r->terminal, CX_ENVELOPE_TERMINAL_DONE);
    CHECK_INT(r->usage.input_tokens, 27);
    CHECK_INT(r->usage.output_tokens, 5);
    check_splits(CX_ENVELOPE_OPENAI, sse, strlen(sse));

    /* CRLF inside a multi-line event is one line end, not a blank line that ends the event */
    const char *crlf = "data: {\"choices\":[{\"index\":0,\r\ndata: \"delta\":{\"content\":\"j\"}}]}"
                       "\r\n\r\nbad line\r\n";
    r = parse(CX_ENVELOPE_OPENAI, crlf);
    CHECK_STR(cx_envelope_class_name(r->cls), "malformed");
    CHECK(r->reason && strstr(r->reason, "(line 4: bad line)") != NULL);
    check_splits(CX_ENVELOPE_OPENAI, crlf, strlen(crlf));
    EXPECT_TEXT(CX_ENVELOPE_OPENAI,
                "data: {\"choices\":[{\"index\":0,\r\ndata: \"delta\":{"
                "\"content\":\"j\"}}]}\r\n\r\ndata: [DONE]\r\n\r\n",
                "j");

    /* feed reports the terminal marker so a caller can stop reading a connection left open */
    cx_envelope_stream *s = cx_envelope_new(CX_ENVELOPE_OPENAI, NULL);
    CHECK_INT(cx_envelope_feed(s, "data: {\"choices\":[]}\n\n", 22), 0);
    CHECK_INT(cx_envelope_feed(s, "data: [DO", 9), 0);
    CHECK_INT(cx_envelope_feed(s, "NE]\n\n", 5), 1);
    CHECK_INT(cx_envelope_feed(s, "data: {\"ignored\":1}\n\n", 21), 1);
    cx_envelope_result a, b;
    CHECK_INT(cx_envelope_finish(s, &a), 0);
    CHECK_INT(cx_envelope_finish(s, &b), 0); /* finish again: the same result */
    CHECK(env_diff(&a, &b) == NULL);
    CHECK_INT(cx_envelope_feed(s, "x", 1), -1); /* nothing after finish */
    cx_envelope_result_free(&a);
    cx_envelope_result_free(&b);
    cx_envelope_free(s);

    EXPECT_TEXT(CX_ENVELOPE_OPENAI, "data: [DONE] \n\n", ""); /* like the SDK: no strict match */
    EXPECT_CLASS(CX_ENVELOPE_OPENAI, "data: {\"choices\":[]}\n\n", "incomplete");
    EXPECT_CLASS(CX_ENVELOPE_OPENAI, "data: {\"choices\":[{\"delta\":{\"content\":\"a",
                 "incomplete");
    EXPECT_CLASS(CX_ENVELOPE_OPENAI, "data: {nope}\n\ndata: [DONE]\n\n", "malformed");
    EXPECT_CLASS(CX_ENVELOPE_OPENAI, "Bad Gateway", "malformed");
    EXPECT_CLASS(CX_ENVELOPE_OPENAI, "{\"choices\":", "malformed");
    EXPECT_CLASS(CX_ENVELOPE_OPENAI, " \r\n", "empty");
    EXPECT_CLASS(CX_ENVELOPE_OPENAI, "{\"choices\":[]}", "unexpected_shape");
    EXPECT_CLASS(CX_ENVELOPE_OPENAI, "{\"choices\":[{\"message\":{\"content\":1}}]}",
                 "unexpected_shape");
    EXPECT_CLASS(CX_ENVELOPE_OPENAI,
                 "{\"error\":{\"message\":\"bad key\",\"type\":\"invalid_request_error\",\"code\":"
                 "\"invalid_api_key\"}}",
                 "provider_error");
    CHECK_STR(R.reason, "openai error (invalid_request_error, invalid_api_key): bad key");
    EXPECT_CLASS(CX_ENVELOPE_OPENAI,
                 "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"error\":{"
                 "\"message\":\"quota\",\"type\":\"insufficient_quota\"}}\n\ndata: [DONE]\n\n",
                 "quota_exhausted");
}

static void test_ollama(void)
{
    const char *gen = "{\"model\":\"g\",\"response\":\"Hel\",\"done\":false}\n"
                      "{\"model\":\"g\",\"response\":\"lo\",\"done\":false}\r\n"
                      "\n"
                      "{\"model\":\"g\",\"response\":\"\",\"done\":true,\"done_reason\":\"stop\","
                      "\"prompt_eval_count\":26,\"eval_count\":259}\n";
    const cx_envelope_result *r = parse(CX_ENVELOPE_OLLAMA, gen);
    CHECK_STR(r->text, "Hello");
    CHECK_STR(r->model, "g");
    CHECK_STR(r->finish_reason, "stop");
    CHECK_INT(r->events, 3);
    CHECK_INT(r->terminal, CX_ENVELOPE_TERMINAL_DONE);
    CHECK_INT(r->usage.input_tokens, 26);
    CHECK_INT(r->usage.output_tokens, 259);
    CHECK_INT(r->usage.cached_input_tokens, -1);
    check_splits(CX_ENVELOPE_OLLAMA, gen, strlen(gen));

    const char *chat = "{\n  \"model\": \"l\",\n  \"message\": {\"role\": \"assistant\", "
                       "\"content\": \"chat\"},\n  \"done\": true\n}\n";
    r = parse(CX_ENVELOPE_OLLAMA, chat);
    CHECK_STR(r->text, "chat");
    CHECK_INT(r->events, 1);
    check_splits(CX_ENVELOPE_OLLAMA, chat, strlen(chat));

    EXPECT_CLASS(CX_ENVELOPE_OLLAMA, "{\"response\":\"a\",\"done\":false}\n", "incomplete");
    EXPECT_CLASS(CX_ENVELOPE_OLLAMA, "{\"response\":\"a\",\"done\":false}\n{\"resp", "incomplete");
    EXPECT_CLASS(CX_ENVELOPE_OLLAMA, "{\"response\":\"a\"}\n{\"error\":\"boom\"}\n",
                 "provider_error");
    CHECK_STR(R.reason, "ollama error: boom");
    EXPECT_CLASS(CX_ENVELOPE_OLLAMA, "{\"response\":\"a\"}\nxx\n{\"done\":true}\n", "malformed");
    EXPECT_CLASS(CX_ENVELOPE_OLLAMA, "{\"response\":1,\"done\":true}\n", "unexpected_shape");
    EXPECT_CLASS(CX_ENVELOPE_OLLAMA, "\"s\"\n", "unexpected_shape");
    EXPECT_CLASS(CX_ENVELOPE_OLLAMA, "", "empty");
}

static void test_byte_classes(void)
{
    for (int f = 0; f < CX_ENVELOPE_FORMAT_COUNT; f++) {
        EXPECT_CLASS_N((cx_envelope_format)f, "{\"text\":\"a\0\"}\n", 13, "nul_byte");
        EXPECT_CLASS((cx_envelope_format)f, "{\"text\":\"\xe9t\xe9\"}\n", "invalid_utf8");
        EXPECT_CLASS((cx_envelope_format)f, "{\"text\":\"\xf0\x9f\x98", "invalid_utf8");
    }
    EXPECT_CLASS(CX_ENVELOPE_TEXT, "\xf4\x90\x80\x80", "invalid_utf8"); /* above U+10FFFF */
    EXPECT_TEXT(CX_ENVELOPE_TEXT, "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
    /* the first offending byte wins, whatever comes later */
    EXPECT_CLASS_N(CX_ENVELOPE_TEXT, "a\xff\0", 3, "invalid_utf8");
    EXPECT_CLASS_N(CX_ENVELOPE_TEXT, "a\0\xff", 3, "nul_byte");
    CHECK_STR(R.reason, "NUL byte at offset 1");
    /* a failure in byte order beats a later byte problem: line 1 fails before the NUL */
    EXPECT_CLASS_N(CX_ENVELOPE_JSONL, "nope\n\0", 6, "jsonl_invalid");

    cx_envelope_opts small = {.max_bytes = 8};
    cx_envelope_result r;
    CHECK_INT(cx_envelope_parse(CX_ENVELOPE_TEXT, "12345678", 8, &small, &r), 0);
    cx_envelope_result_free(&r);
    CHECK_INT(cx_envelope_parse(CX_ENVELOPE_TEXT, "123456789", 9, &small, &r), -1);
    CHECK_STR(cx_envelope_class_name(r.cls), "body_too_large");
    cx_envelope_result_free(&r);
    /* an earlier bad byte inside the limit still wins */
    CHECK_INT(cx_envelope_parse(CX_ENVELOPE_TEXT,
                                "12\xff"
                                "456789",
                                9, &small, &r),
              -1);
    CHECK_STR(cx_envelope_class_name(r.cls), "invalid_utf8");
    cx_envelope_result_free(&r);

    /* the default limit (16 MiB), checked while feeding: the caller can stop reading */
    size_t chunk = 1 << 20;
    char *block = malloc(chunk);
    memset(block, 'x', chunk);
    cx_envelope_stream *s = cx_envelope_new(CX_ENVELOPE_TEXT, NULL);
    int rc = 0;
    size_t fed = 0;
    while (rc == 0 && fed <= CX_ENVELOPE_DEFAULT_MAX_BYTES) {
        rc = cx_envelope_feed(s, block, chunk);
        fed += chunk;
    }
    CHECK_INT(rc, -1);
    CHECK_INT(fed, CX_ENVELOPE_DEFAULT_MAX_BYTES + chunk);
    CHECK_INT(cx_envelope_finish(s, &r), -1);
    CHECK_STR(cx_envelope_class_name(r.cls), "body_too_large");
    cx_envelope_result_free(&r);
    cx_envelope_free(s);
    free(block);
}

int main(void)
{
    test_names();
    test_text();
    test_json();
    test_jsonl();
    test_codex_captures();
    test_codex_rules();
    test_openai();
    test_ollama();
    test_byte_classes();
    cx_envelope_result_free(&R);
    return CHECK_DONE();
}
