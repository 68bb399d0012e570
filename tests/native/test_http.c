#include "check.h"
#include "fixture_http.h"
#include "fixture_procs.h"
#include "http.h"

#include <signal.h>
#include <stdio.h>

#define TOKEN "cx-secret-token-4711"

static int port;

static void url(char *out, size_t len, const char *path)
{
    snprintf(out, len, "http://127.0.0.1:%d%s", port, path);
}

/* Runs one request; returns the outcome and leaves the body in *h (caller cleans up). */
static void run(cx_http *h, cx_http_request *req, cx_http_outcome *out)
{
    char err[256];
    CHECK_INT(cx_http_setup(h, req, err, sizeof err), 0);
    cx_http_perform(h, out);
    CHECK(strstr(out->message, TOKEN) == NULL);
}

static void test_ok_and_statuses(void)
{
    char u[128];
    cx_http h;
    cx_http_outcome o;
    url(u, sizeof u, "/ok/hello");
    cx_http_request req = {.url = u, .bearer = TOKEN};
    run(&h, &req, &o);
    CHECK_INT(o.status, 200);
    CHECK(o.class_name == NULL);
    CHECK_STR(h.body.data, "ok:hello");
    CHECK_STR(o.content_type, "text/plain");
    CHECK(h.first_byte_ns > 0);
    cx_http_outcome_free(&o);
    cx_http_cleanup(&h);

    struct {
        const char *path;
        long status;
        const char *cls;
    } cases[] = {
        {"/status/429", 429, CX_HTTP_RATE_LIMITED}, {"/status/500", 500, CX_HTTP_SERVER_ERROR},
        {"/status/503", 503, CX_HTTP_SERVER_ERROR}, {"/status/404", 404, CX_HTTP_STATUS},
        {"/status/401", 401, CX_HTTP_STATUS},       {"/status/204", 204, NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        url(u, sizeof u, cases[i].path);
        run(&h, &req, &o);
        CHECK_INT(o.status, cases[i].status);
        if (cases[i].cls)
            CHECK_STR(o.class_name, cases[i].cls);
        else
            CHECK(o.class_name == NULL);
        cx_http_outcome_free(&o);
        cx_http_cleanup(&h);
    }
}

/* A 3xx is never the reply: its own class, a message naming the status and the Location's host
 * (never its credentials, path or query), and nothing followed. */
static void test_redirects(fixture_http *server)
{
    char u[128];
    cx_http h;
    cx_http_outcome o;
    static const int codes[] = {301, 302, 303, 307, 308};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char path[32];
        snprintf(path, sizeof path, "/redirect/%d", codes[i]);
        url(u, sizeof u, path);
        cx_http_request req = {.url = u, .bearer = TOKEN};
        int before = fixture_http_requests(server);
        run(&h, &req, &o);
        CHECK_INT(o.status, codes[i]);
        CHECK_STR(o.class_name, CX_HTTP_REDIRECT);
        CHECK(strstr(o.message, "redirect to host elsewhere.example:8443") != NULL);
        char want[32];
        snprintf(want, sizeof want, "HTTP status %d", codes[i]);
        CHECK(strstr(o.message, want) != NULL);
        CHECK(strstr(o.message, "s3cret") == NULL && strstr(o.message, "user") == NULL);
        CHECK(strstr(o.message, "key=abc") == NULL && strstr(o.message, "/next") == NULL);
        CHECK_INT(fixture_http_requests(server) - before, 1); /* not followed */
        cx_http_outcome_free(&o);
        cx_http_cleanup(&h);
    }
    /* a 3xx without a Location */
    url(u, sizeof u, "/status/304");
    cx_http_request req = {.url = u};
    run(&h, &req, &o);
    CHECK_STR(o.class_name, CX_HTTP_REDIRECT);
    CHECK(strstr(o.message, "HTTP status 304") != NULL);
    cx_http_outcome_free(&o);
    cx_http_cleanup(&h);
}

static void test_bearer_and_body(void)
{
    char u[128];
    cx_http h;
    cx_http_outcome o;
    url(u, sizeof u, "/auth");
    cx_http_request req = {.url = u, .bearer = TOKEN};
    run(&h, &req, &o);
    CHECK_STR(h.body.data, "Bearer " TOKEN);
    cx_http_outcome_free(&o);
    cx_http_cleanup(&h);

    static const char body[] = "a\0b\r\nc";
    const char *headers[] = {"Content-Type: application/octet-stream", NULL};
    url(u, sizeof u, "/echo");
    cx_http_request post = {.url = u, .headers = headers, .body = body, .body_len = sizeof body};
    run(&h, &post, &o);
    CHECK_INT(o.status, 200);
    CHECK_INT(h.body.len, sizeof body);
    CHECK(memcmp(h.body.data, body, sizeof body) == 0);
    CHECK_STR(o.content_type, "application/octet-stream");
    cx_http_outcome_free(&o);
    cx_http_cleanup(&h);
}

static void test_failures(void)
{
    char u[128];
    cx_http h;
    cx_http_outcome o;
    url(u, sizeof u, "/big/5000");
    cx_http_request big = {.url = u, .max_bytes = 1000, .bearer = TOKEN};
    run(&h, &big, &o);
    CHECK_STR(o.class_name, CX_HTTP_BODY_TOO_LARGE);
    CHECK(h.body.len <= 1000);
    cx_http_outcome_free(&o);
    cx_http_cleanup(&h);
    big.max_bytes = 5000;
    run(&h, &big, &o);
    CHECK(o.class_name == NULL);
    CHECK_INT(h.body.len, 5000);
    cx_http_outcome_free(&o);
    cx_http_cleanup(&h);

    snprintf(u, sizeof u, "http://127.0.0.1:%d/ok/x", fixture_closed_port());
    cx_http_request refused = {.url = u, .bearer = TOKEN};
    run(&h, &refused, &o);
    CHECK_STR(o.class_name, CX_HTTP_TRANSPORT_UNREACHABLE);
    CHECK_INT(o.status, 0);
    CHECK(o.message[0] != '\0');
    cx_http_outcome_free(&o);
    cx_http_cleanup(&h);
}

static void test_connect_timeout(void)
{
    fixture_stuck stuck;
    CHECK_INT(fixture_stuck_open(&stuck), 0);
    char u[128];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/x", stuck.port);
    cx_http_request req = {.url = u, .connect_timeout_ms = 200, .bearer = TOKEN};
    cx_http h;
    cx_http_outcome o;
    run(&h, &req, &o);
    CHECK_STR(o.class_name, CX_HTTP_TIMEOUT);
    CHECK_STR(o.timeout_phase, "connect");
    cx_http_outcome_free(&o);
    cx_http_cleanup(&h);
    fixture_stuck_close(&stuck);
}

static void test_invalid_requests(void)
{
    cx_http h;
    char err[256];
    cx_http_request ftp = {.url = "ftp://127.0.0.1/x"};
    CHECK_INT(cx_http_setup(&h, &ftp, err, sizeof err), -1);
    cx_http_cleanup(&h);
    const char *bad[] = {"X-A: 1\r\nX-B: 2", NULL};
    cx_http_request hdr = {.url = "http://127.0.0.1:1/", .headers = bad};
    CHECK_INT(cx_http_setup(&h, &hdr, err, sizeof err), -1);
    cx_http_cleanup(&h);
    cx_http_request tok = {.url = "http://127.0.0.1:1/", .bearer = TOKEN "\r\nX-Injected: 1"};
    CHECK_INT(cx_http_setup(&h, &tok, err, sizeof err), -1);
    CHECK(strstr(err, TOKEN) == NULL);
    cx_http_cleanup(&h);
    cx_http_request verb = {.url = "http://127.0.0.1:1/", .method = "GET /x"};
    CHECK_INT(cx_http_setup(&h, &verb, err, sizeof err), -1);
    cx_http_cleanup(&h);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    char err[256];
    CHECK(cx_libcurl_load(err, sizeof err) != NULL); /* before counting: it may keep descriptors */
    int fds = count_open_fds();
    fixture_http *server = fixture_http_start();
    CHECK(server != NULL);
    if (!server)
        return CHECK_DONE();
    port = fixture_http_port(server);
    test_ok_and_statuses();
    test_redirects(server);
    test_bearer_and_body();
    test_failures();
    test_connect_timeout();
    test_invalid_requests();
    fixture_http_stop(server);
    CHECK_INT(count_open_fds(), fds);
    return CHECK_DONE();
}
