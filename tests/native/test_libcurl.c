/* libcurl is loaded with the first HTTP job, not before: process-only loops never map it, a
 * failed load is reported and retried, and the loaded library serves the loop's HTTP jobs. */
#include "check.h"
#include "fixture_http.h"
#include "libcurl.h"
#include "loop.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

/* 1 when a file whose name contains needle is mapped into this process. */
static int mapped(const char *needle)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

static cx_completion run_one(cx_loop *l)
{
    cx_completion c = {0};
    while (cx_loop_pending(l) > 0 || !cx_loop_next(l, &c)) {
        cx_loop_run(l, 10000);
        if (cx_loop_next(l, &c))
            break;
    }
    return c;
}

static void test_process_loop_without_curl(void)
{
    cx_loop *l = cx_loop_new();
    CHECK(l != NULL);
    const char *argv[] = {"/bin/sh", "-c", "echo hi", NULL};
    cx_process_job_spec spec = {.proc = {.argv = argv}};
    char err[256];
    CHECK(cx_loop_add_process(l, &spec, err, sizeof err) > 0);
    CHECK(cx_loop_add_timer(l, 1, err, sizeof err) > 0);
    cx_completion a = run_one(l), b = run_one(l);
    CHECK_INT(a.ok && b.ok, 1);
    CHECK_STR(a.kind == CX_JOB_PROCESS ? a.out : b.out, "hi\n");
    cx_completion_free(&a);
    cx_completion_free(&b);
    cx_loop_destroy(l);
    CHECK_INT(mapped("/libcurl.so"), 0);
    CHECK_INT(mapped("/libssl.so"), 0);
    CHECK_INT(mapped("/libcrypto.so"), 0);
}

static void test_failed_load_is_reported(void)
{
    char err[256];
    cx_libcurl_use_file("libcurl-cx-test-missing.so.4");
    CHECK(cx_libcurl_load(err, sizeof err) == NULL);
    CHECK(strstr(err, "cannot load libcurl for HTTP") != NULL);
    CHECK(strstr(err, "libcurl-cx-test-missing.so.4") != NULL);

    /* an HTTP job fails to be added, with the same reason; nothing is left half-made */
    cx_loop *l = cx_loop_new();
    cx_http_job_spec spec = {.request = {.url = "http://127.0.0.1:1/"}};
    CHECK_INT(cx_loop_add_http(l, &spec, err, sizeof err), -1);
    CHECK(strstr(err, "cannot load libcurl") != NULL);
    CHECK_INT(cx_loop_pending(l), 0);
    cx_loop_destroy(l);
    CHECK_INT(mapped("/libcurl.so"), 0);
    cx_libcurl_use_file(NULL);
}

static void test_loaded_with_first_http_job(void)
{
    fixture_http *server = fixture_http_start();
    CHECK(server != NULL);
    if (!server)
        return;
    char url[128], err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ok/lazy", fixture_http_port(server));
    cx_loop *l = cx_loop_new();
    CHECK_INT(mapped("/libcurl.so"), 0);
    cx_http_job_spec spec = {.request = {.url = url}};
    CHECK(cx_loop_add_http(l, &spec, err, sizeof err) > 0);
    CHECK_INT(mapped("/libcurl.so"), 1);
    /* a process job shares the loop with the transfer (curl_multi_poll from now on) */
    const char *argv[] = {"/bin/sh", "-c", "echo both", NULL};
    cx_process_job_spec pspec = {.proc = {.argv = argv}};
    CHECK(cx_loop_add_process(l, &pspec, err, sizeof err) > 0);
    cx_completion a = run_one(l), b = run_one(l);
    cx_completion *http = a.kind == CX_JOB_HTTP ? &a : &b, *proc = a.kind == CX_JOB_HTTP ? &b : &a;
    CHECK_INT(http->ok, 1);
    CHECK_INT(http->status, 200);
    CHECK(http->body && strcmp(http->body, "ok:lazy") == 0);
    CHECK_INT(proc->ok, 1);
    CHECK_STR(proc->out, "both\n");
    cx_completion_free(&a);
    cx_completion_free(&b);
    cx_loop_destroy(l);

    /* loaded once per process: the same table every time, still usable after a loop is gone */
    const cx_libcurl *first = cx_libcurl_load(err, sizeof err);
    CHECK(first != NULL);
    CHECK(cx_libcurl_load(err, sizeof err) == first);
    l = cx_loop_new();
    CHECK(cx_loop_add_http(l, &spec, err, sizeof err) > 0);
    a = run_one(l);
    CHECK_INT(a.status, 200);
    cx_completion_free(&a);
    cx_loop_destroy(l);
    fixture_http_stop(server);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    CHECK_INT(mapped("/libcurl.so"), 0); /* this binary is not linked with it */
    test_process_loop_without_curl();
    test_failed_load_is_reported();
    test_loaded_with_first_http_job();
    return CHECK_DONE();
}
