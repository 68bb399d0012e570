#include "check.h"
#include "clock.h"
#include "digest.h"
#include "fixture_http.h"
#include "fixture_procs.h"
#include "loop.h"
#include "signals.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define TOKEN "cx-loop-secret-0815"
#define MAXJOBS 256

static int port;
static char tmpdir[] = "/tmp/cx-test-loop-XXXXXX";

/* Completions by job id, filled by drain(). */
static cx_completion done[MAXJOBS];

static void drain(cx_loop *l)
{
    for (;;) {
        cx_loop_run(l, 20000);
        cx_completion c;
        int got = 0;
        while (cx_loop_next(l, &c)) {
            got = 1;
            if (c.id > 0 && c.id < MAXJOBS) {
                cx_completion_free(&done[c.id]);
                done[c.id] = c;
            } else {
                cx_completion_free(&c);
            }
            CHECK(c.error == NULL || strstr(c.error, TOKEN) == NULL);
        }
        if (!got && cx_loop_pending(l) == 0)
            break;
    }
}

/* Collects what completes within 5 s. */
static void drain_some(cx_loop *l)
{
    cx_loop_run(l, 5000);
    cx_completion c;
    while (cx_loop_next(l, &c)) {
        if (c.id > 0 && c.id < MAXJOBS) {
            cx_completion_free(&done[c.id]);
            done[c.id] = c;
        } else {
            cx_completion_free(&c);
        }
    }
}

static void free_done(void)
{
    for (int i = 0; i < MAXJOBS; i++)
        cx_completion_free(&done[i]);
}

static int64_t spawn(cx_loop *l, const char *const *argv, const char *in, size_t in_len,
                     int64_t timeout_ms, int64_t grace_ms)
{
    cx_process_job_spec s = {.proc = {.argv = argv},
                             .stdin_data = in,
                             .stdin_len = in_len,
                             .timeout_ms = timeout_ms,
                             .grace_ms = grace_ms};
    char err[256];
    int64_t id = cx_loop_add_process(l, &s, err, sizeof err);
    CHECK(id > 0);
    return id;
}

static int64_t http(cx_loop *l, const char *path, int64_t fb, int64_t idle, int64_t total)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    cx_http_job_spec s = {.request = {.url = url, .bearer = TOKEN},
                          .first_byte_timeout_ms = fb,
                          .idle_timeout_ms = idle,
                          .total_timeout_ms = total};
    char err[256];
    int64_t id = cx_loop_add_http(l, &s, err, sizeof err);
    CHECK(id > 0);
    return id;
}

static void test_processes(void)
{
    cx_loop *l = cx_loop_new();
    const char *hello[] = {"printf", "hello", NULL};
    const char *fail[] = {"sh", "-c", "echo oops >&2; exit 3", NULL};
    const char *missing[] = {"cx-definitely-missing-binary", NULL};
    const char *big[] = {"head", "-c", "100000", "/dev/zero", NULL};
    int64_t a = spawn(l, hello, NULL, 0, 5000, -1);
    int64_t b = spawn(l, fail, NULL, 0, 5000, -1);
    int64_t c = spawn(l, missing, "x", 1, 5000, -1);
    cx_process_job_spec capped = {.proc = {.argv = big}, .max_output = 1000};
    char err[256];
    int64_t d = cx_loop_add_process(l, &capped, err, sizeof err);
    drain(l);
    CHECK(done[a].ok);
    CHECK_INT(done[a].kind, CX_JOB_PROCESS);
    CHECK_STR(done[a].out, "hello");
    CHECK_INT(done[a].exit_code, 0);
    CHECK(done[a].duration_ms >= 0 && done[a].duration_ms < 5000);
    CHECK(!done[b].ok);
    CHECK_INT(done[b].exit_code, 3);
    CHECK_STR(done[b].err, "oops\n");
    CHECK_STR(done[b].class_name, CX_LOOP_EXIT_STATUS);
    CHECK_STR(done[b].error, "exited with status 3");
    CHECK(!done[c].ok);
    CHECK_STR(done[c].class_name, CX_LOOP_SPAWN_FAILED);
    CHECK(done[c].error && strstr(done[c].error, "No such file or directory") != NULL);
    CHECK(done[d].ok);
    CHECK_INT(done[d].out_len, 1000);
    CHECK(done[d].out_truncated);
    cx_loop_destroy(l);
    free_done();
}

static void test_stdin(void)
{
    size_t len = 10u << 20;
    char *prompt = malloc(len);
    for (size_t i = 0; i < len; i++)
        prompt[i] = (char)('a' + (i * 7) % 26);
    char want[CX_SHA256_HEX_LEN + 1];
    cx_digest_sha256_hex(prompt, len, want);
    cx_loop *l = cx_loop_new();
    const char *wc[] = {"wc", "-c", NULL};
    const char *sha[] = {"sha256sum", NULL};
    const char *deaf[] = {"sleep", "30", NULL};
    int64_t a = spawn(l, wc, prompt, len, 20000, -1);
    int64_t b = spawn(l, sha, prompt, len, 20000, -1);
    int64_t c = spawn(l, deaf, prompt, len, 300, 2000);
    /* cat writes back while we still write: both directions must flow at once. */
    const char *cat[] = {"cat", NULL};
    int64_t echo[4];
    for (int i = 0; i < 4; i++)
        echo[i] = spawn(l, cat, prompt, len, 20000, -1);
    drain(l);
    for (int i = 0; i < 4; i++) {
        CHECK(done[echo[i]].ok);
        CHECK_INT(done[echo[i]].out_len, len);
        CHECK(done[echo[i]].out && memcmp(done[echo[i]].out, prompt, len) == 0);
    }
    CHECK(done[a].ok);
    CHECK_STR(done[a].out, "10485760\n");
    CHECK_INT(done[a].stdin_written, len);
    CHECK(done[b].ok);
    CHECK(done[b].out && strncmp(done[b].out, want, CX_SHA256_HEX_LEN) == 0);
    /* The child that never reads: no deadlock, a clean timeout, TERM was enough. */
    CHECK(!done[c].ok);
    CHECK(done[c].timed_out);
    CHECK_STR(done[c].class_name, CX_LOOP_TIMEOUT);
    CHECK_INT(done[c].signal, SIGTERM);
    CHECK(done[c].stdin_written < len);
    /* TERM (not the KILL after the grace) ended it; no wall-clock bound: the machine may be
     * loaded. */
    CHECK(done[c].duration_ms >= 300);
    cx_loop_destroy(l);
    free_done();
    free(prompt);
}

/* A prompt that fits the pipe is written, with its EOF, when the job is added: the child reads it
 * all before the loop ever runs (no hand-off through our next poll). */
static void test_small_stdin_at_add(void)
{
    char path[64];
    snprintf(path, sizeof path, "%s/wc", tmpdir);
    cx_loop *l = cx_loop_new();
    const char *count[] = {"sh", "-c", "wc -c > \"$0.tmp\" && mv \"$0.tmp\" \"$0\"", path, NULL};
    int64_t a = spawn(l, count, "hello prompt", 12, 20000, -1);
    CHECK_INT(read_number_file(path, 10000), 12); /* without cx_loop_run */
    drain(l);
    CHECK(done[a].ok);
    CHECK_INT(done[a].stdin_written, 12);
    cx_loop_destroy(l);
    free_done();
    unlink(path);
}

static void test_timeouts_kill_the_group(void)
{
    char f1[256], f2[256], f3[256], s1[512], s2[512], s3[512];
    snprintf(f1, sizeof f1, "%s/g1", tmpdir);
    snprintf(f2, sizeof f2, "%s/g2", tmpdir);
    snprintf(f3, sizeof f3, "%s/g3", tmpdir);
    /* A background grandchild that records its pid, then the child waits for it. */
    snprintf(s1, sizeof s1, "sleep 300 & echo $! > %s; wait", f1);
    /* Same, but everything ignores TERM: only the KILL after the grace period ends it. */
    snprintf(s2, sizeof s2, "trap '' TERM; sleep 300 & echo $! > %s; wait", f2);
    /* The child exits at once; its grandchild keeps stdout open. */
    snprintf(s3, sizeof s3, "sleep 300 & echo $! > %s; echo started", f3);
    const char *a1[] = {"sh", "-c", s1, NULL};
    const char *a2[] = {"sh", "-c", s2, NULL};
    const char *a3[] = {"sh", "-c", s3, NULL};
    cx_loop *l = cx_loop_new();
    int64_t one = spawn(l, a1, NULL, 0, 300, 2000);
    int64_t two = spawn(l, a2, NULL, 0, 300, 300);
    int64_t three = spawn(l, a3, NULL, 0, 10000, -1);
    drain(l);
    CHECK(done[one].timed_out);
    CHECK_INT(done[one].signal, SIGTERM);
    CHECK(wait_process_gone((pid_t)read_number_file(f1, 1000), 2000));
    CHECK(done[two].timed_out);
    CHECK_INT(done[two].signal, SIGKILL);
    CHECK(done[two].duration_ms >= 600);
    CHECK(wait_process_gone((pid_t)read_number_file(f2, 1000), 2000));
    CHECK(done[three].ok);
    CHECK_STR(done[three].out, "started\n");
    CHECK(done[three].duration_ms < 3000);
    CHECK(wait_process_gone((pid_t)read_number_file(f3, 1000), 2000));
    cx_loop_destroy(l);
    free_done();
    unlink(f1);
    unlink(f2);
    unlink(f3);
}

/* A child that obeys TERM leaves a grandchild that ignores it and does not hold the pipes: once
 * the child has gone, the rest of its group is killed too (a stop never leaves anyone behind). */
static void test_stop_kills_what_the_child_leaves(void)
{
    char f[256], script[512];
    snprintf(f, sizeof f, "%s/g4", tmpdir);
    /* The grandchild writes its pid once TERM is ignored. */
    snprintf(script, sizeof script,
             "sh -c 'trap \"\" TERM; echo $$ > %s; exec sleep 300' </dev/null >/dev/null 2>&1 & "
             "exec sleep 300",
             f);
    const char *argv[] = {"sh", "-c", script, NULL};
    cx_loop *l = cx_loop_new();
    int64_t id = spawn(l, argv, NULL, 0, 0, 60000);
    pid_t grandchild = (pid_t)read_number_file(f, 5000);
    CHECK(grandchild > 0);
    CHECK_INT(cx_loop_cancel(l, id), 0);
    drain(l);
    CHECK_STR(done[id].class_name, CX_LOOP_CANCELLED);
    CHECK_INT(done[id].signal, SIGTERM);
    CHECK(wait_process_gone(grandchild, 5000));
    cx_loop_destroy(l);
    free_done();
    unlink(f);
}

/* A signal to us (sent by a child, so no timing is involved) wakes a wait at once, with no
 * completion; the caller cancels with a short grace and the whole group goes, the grandchild that
 * ignores TERM included. Later waits of that loop block as usual; a new loop returns at once. */
static void test_signal_wakes_the_loop(void)
{
    char err[128], f[256], script[512];
    CHECK_INT(cx_signals_install(err, sizeof err), 1);
    cx_signals_defer();
    int fds = count_open_fds();
    snprintf(f, sizeof f, "%s/g5", tmpdir);
    /* The grandchild ignores TERM, writes its pid, then sends us SIGINT. */
    snprintf(script, sizeof script,
             "sh -c 'trap \"\" TERM; echo $$ > %s; kill -INT %d; exec sleep 300' "
             "</dev/null >/dev/null 2>&1 & exec sleep 300",
             f, (int)getpid());
    const char *argv[] = {"sh", "-c", script, NULL};
    cx_loop *l = cx_loop_new();
    int64_t id = spawn(l, argv, NULL, 0, 0, 60000); /* the job's own grace: a minute */
    CHECK_INT(cx_loop_run(l, 120000), 0);
    CHECK_INT(cx_signals_pending(), SIGINT);
    CHECK_INT(cx_loop_pending(l), 1);
    pid_t grandchild = (pid_t)read_number_file(f, 5000);
    CHECK(grandchild > 0);
    CHECK_INT(cx_loop_cancel_grace(l, id, 100), 0);
    drain(l);
    CHECK_STR(done[id].class_name, CX_LOOP_CANCELLED);
    CHECK_INT(done[id].signal, SIGTERM);
    CHECK(wait_process_gone(grandchild, 5000));
    /* The signal stays pending, but this loop has reported it: a timer completes normally. */
    int64_t timer = cx_loop_add_timer(l, 10, err, sizeof err);
    CHECK_INT(cx_loop_run(l, 60000), 1);
    drain(l);
    CHECK(done[timer].ok);
    cx_loop_destroy(l);
    /* A loop created after the signal returns at once on its first run. */
    l = cx_loop_new();
    const char *sleeper[] = {"sleep", "300", NULL};
    int64_t late = spawn(l, sleeper, NULL, 0, 0, 60000);
    CHECK_INT(cx_loop_run(l, 120000), 0);
    CHECK_INT(cx_loop_pending(l), 1);
    CHECK_INT(cx_loop_cancel_grace(l, late, 0), 0);
    drain(l);
    CHECK_STR(done[late].class_name, CX_LOOP_CANCELLED);
    cx_loop_destroy(l);
    free_done();
    unlink(f);
    CHECK_INT(count_open_fds(), fds);
    cx_signals_uninstall();
}

static void test_http(void)
{
    cx_loop *l = cx_loop_new();
    int64_t ok = http(l, "/ok/one", 5000, 5000, 10000);
    int64_t auth = http(l, "/auth", 0, 0, 10000);
    int64_t limited = http(l, "/status/429", 0, 0, 10000);
    int64_t reset = http(l, "/ratelimit", 0, 0, 10000);
    int64_t broken = http(l, "/status/500", 0, 0, 10000);
    int64_t hang = http(l, "/hang", 300, 5000, 10000);
    int64_t stall = http(l, "/stall", 5000, 300, 10000);
    int64_t slow = http(l, "/slow/5000", 0, 0, 300);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ok/x", fixture_closed_port());
    cx_http_job_spec s = {.request = {.url = url, .bearer = TOKEN}};
    char err[256];
    int64_t refused = cx_loop_add_http(l, &s, err, sizeof err);
    fixture_stuck stuck;
    CHECK_INT(fixture_stuck_open(&stuck), 0);
    char stuck_url[128];
    snprintf(stuck_url, sizeof stuck_url, "http://127.0.0.1:%d/x", stuck.port);
    cx_http_job_spec cs = {.request = {.url = stuck_url, .connect_timeout_ms = 200},
                           .first_byte_timeout_ms = 5000};
    int64_t connect = cx_loop_add_http(l, &cs, err, sizeof err);
    cx_http_job_spec bad = {.request = {.url = "file:///etc/passwd"}};
    CHECK_INT(cx_loop_add_http(l, &bad, err, sizeof err), -1);
    drain(l);
    CHECK(done[ok].ok);
    CHECK_INT(done[ok].kind, CX_JOB_HTTP);
    CHECK_INT(done[ok].status, 200);
    CHECK_STR(done[ok].body, "ok:one");
    CHECK_STR(done[ok].content_type, "text/plain");
    CHECK(done[ok].first_byte_ms >= 0);
    CHECK_STR(done[auth].body, "Bearer " TOKEN);
    CHECK_STR(done[limited].class_name, CX_HTTP_RATE_LIMITED);
    CHECK_INT(done[limited].status, 429);
    /* the response's header block is kept, the last block only (curl's status line excluded) */
    CHECK_STR(done[reset].class_name, CX_HTTP_RATE_LIMITED);
    CHECK(done[reset].headers != NULL);
    CHECK(done[reset].headers && strstr(done[reset].headers, "Retry-After: 7\r\n") != NULL);
    CHECK(done[reset].headers && strstr(done[reset].headers, "HTTP/") == NULL);
    CHECK(done[reset].headers_len == (done[reset].headers ? strlen(done[reset].headers) : 0));
    CHECK(done[ok].headers && strstr(done[ok].headers, "Content-Type: text/plain") != NULL);
    CHECK_STR(done[broken].class_name, CX_HTTP_SERVER_ERROR);
    CHECK_STR(done[refused].class_name, CX_HTTP_TRANSPORT_UNREACHABLE);
    CHECK_STR(done[hang].class_name, CX_HTTP_TIMEOUT);
    CHECK_STR(done[hang].timeout_phase, "first_byte");
    CHECK_STR(done[hang].error, "first_byte timeout after 300ms");
    CHECK(done[hang].timed_out);
    CHECK(done[hang].duration_ms >= 300 && done[hang].duration_ms < 3000);
    CHECK_STR(done[stall].timeout_phase, "idle");
    CHECK_STR(done[stall].body, "0123456789");
    CHECK(done[stall].duration_ms >= 300 && done[stall].duration_ms < 3000);
    CHECK_STR(done[connect].class_name, CX_HTTP_TIMEOUT);
    CHECK_STR(done[connect].timeout_phase, "connect");
    CHECK(done[connect].timed_out);
    fixture_stuck_close(&stuck);
    CHECK_STR(done[slow].timeout_phase, "total");
    CHECK(done[slow].duration_ms >= 300 && done[slow].duration_ms < 3000);
    cx_loop_destroy(l);
    free_done();
}

static int64_t http_env(cx_loop *l, const char *path, cx_envelope_format f, int64_t idle)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    cx_http_job_spec s = {.request = {.url = url},
                          .idle_timeout_ms = idle,
                          .total_timeout_ms = 20000,
                          .parse_envelope = 1,
                          .envelope_format = f};
    char err[256];
    int64_t id = cx_loop_add_http(l, &s, err, sizeof err);
    CHECK(id > 0);
    return id;
}

/* Streamed parsing: the parser's terminal marker or failure ends a job whose server keeps the
 * connection open; a complete stream gives what parsing the whole body gives. */
static void test_http_envelope(void)
{
    cx_loop *l = cx_loop_new();
    int64_t done_stall = http_env(l, "/sse-done-stall", CX_ENVELOPE_OPENAI, 10000);
    int64_t error_stall = http_env(l, "/ndjson-error-stall", CX_ENVELOPE_OLLAMA, 10000);
    int64_t complete = http_env(l, "/sse-complete", CX_ENVELOPE_OPENAI, 10000);
    int64_t failed_status = http_env(l, "/status/500", CX_ENVELOPE_OPENAI, 10000);
    int64_t control = http(l, "/sse-done-stall", 0, 300, 10000); /* the same stall, unparsed */
    drain(l);
    CHECK(done[done_stall].ok);
    CHECK(done[done_stall].has_envelope);
    CHECK(done[done_stall].stopped_early);
    CHECK_INT(done[done_stall].envelope.cls, CX_ENVELOPE_OK);
    CHECK_STR(done[done_stall].envelope.text, "hello");
    CHECK_INT(done[done_stall].envelope.terminal, CX_ENVELOPE_TERMINAL_DONE);
    CHECK(!done[done_stall].timed_out); /* ended by the parser, not the 10 s idle timeout */
    CHECK(done[error_stall].ok);
    CHECK(done[error_stall].has_envelope);
    CHECK(done[error_stall].stopped_early);
    CHECK_STR(cx_envelope_class_name(done[error_stall].envelope.cls), "provider_error");
    CHECK(done[error_stall].envelope.reason &&
          strstr(done[error_stall].envelope.reason, "model crashed") != NULL);
    CHECK(!done[error_stall].timed_out);
    CHECK(done[complete].ok);
    CHECK(done[complete].has_envelope);
    CHECK(!done[complete].stopped_early || done[complete].envelope.cls == CX_ENVELOPE_OK);
    cx_envelope_result whole;
    cx_envelope_parse(CX_ENVELOPE_OPENAI, done[complete].body, done[complete].body_len, NULL,
                      &whole);
    CHECK_INT(done[complete].envelope.cls, whole.cls);
    CHECK_STR(done[complete].envelope.text, whole.text);
    CHECK_STR(done[complete].envelope.text, "hello");
    CHECK_INT(done[complete].envelope.events, whole.events);
    CHECK_INT(done[complete].envelope.terminal, whole.terminal);
    cx_envelope_result_free(&whole);
    CHECK(!done[failed_status].ok);
    CHECK(!done[failed_status].has_envelope);
    CHECK_STR(done[failed_status].class_name, CX_HTTP_SERVER_ERROR);
    CHECK_STR(done[failed_status].body, "status 500");
    CHECK_STR(done[control].timeout_phase, "idle");
    CHECK(!done[control].has_envelope);
    cx_loop_destroy(l);
    free_done();
}

static void test_many_at_once(void)
{
    cx_loop *l = cx_loop_new();
    int64_t procs[50], reqs[20], timers[5];
    char words[50][16], paths[20][32];
    for (int i = 0; i < 50; i++) {
        snprintf(words[i], sizeof words[i], "%d", i);
        const char *argv[] = {"printf", "p%s", words[i], NULL};
        procs[i] = spawn(l, argv, NULL, 0, 20000, -1);
    }
    for (int i = 0; i < 20; i++) {
        snprintf(paths[i], sizeof paths[i], "/ok/r%d", i);
        reqs[i] = http(l, paths[i], 0, 0, 20000);
    }
    char err[64];
    for (int i = 0; i < 5; i++)
        timers[i] = cx_loop_add_timer(l, 10 * i, err, sizeof err);
    CHECK_INT(cx_loop_pending(l), 75);
    drain(l);
    CHECK_INT(cx_loop_pending(l), 0);
    char want[32];
    for (int i = 0; i < 50; i++) {
        snprintf(want, sizeof want, "p%d", i);
        CHECK_STR(done[procs[i]].out, want);
    }
    for (int i = 0; i < 20; i++) {
        snprintf(want, sizeof want, "ok:r%d", i);
        CHECK_STR(done[reqs[i]].body, want);
    }
    for (int i = 0; i < 5; i++) {
        CHECK(done[timers[i]].ok);
        CHECK_INT(done[timers[i]].kind, CX_JOB_TIMER);
        CHECK(done[timers[i]].duration_ms >= 10 * i);
    }
    cx_loop_destroy(l);
    free_done();
}

static void test_wait_cancel_destroy(void)
{
    cx_loop *l = cx_loop_new();
    char err[64];
    CHECK_INT(cx_loop_run(l, 1000), 0); /* nothing pending: returns at once */
    int64_t timer = cx_loop_add_timer(l, 5000, err, sizeof err);
    int64_t t0 = cx_clock_now_ms();
    CHECK_INT(cx_loop_run(l, 50), 0);
    int64_t waited = cx_clock_now_ms() - t0;
    CHECK(waited >= 50);
    const char *sleeper[] = {"sleep", "300", NULL};
    int64_t proc = spawn(l, sleeper, NULL, 0, 0, 2000);
    int64_t req = http(l, "/hang", 0, 0, 0);
    CHECK_INT(cx_loop_cancel(l, timer), 0);
    CHECK_INT(cx_loop_cancel(l, proc), 0);
    CHECK_INT(cx_loop_cancel(l, req), 0);
    CHECK_INT(cx_loop_cancel(l, 9999), -1);
    drain(l);
    CHECK_STR(done[timer].class_name, CX_LOOP_CANCELLED);
    CHECK_STR(done[proc].class_name, CX_LOOP_CANCELLED);
    CHECK_INT(done[proc].signal, SIGTERM);
    CHECK_STR(done[req].class_name, CX_LOOP_CANCELLED);
    free_done();
    /* Destroy with work in flight: everything is killed and reaped. */
    spawn(l, sleeper, NULL, 0, 0, 2000);
    http(l, "/hang", 0, 0, 0);
    /* A child started while transfers are in flight sees only 0, 1, 2 (and ls's own handle). */
    const char *probe[] = {"sh", "-c", "ls /proc/self/fd | wc -l", NULL};
    int64_t fds = spawn(l, probe, NULL, 0, 5000, -1);
    while (cx_loop_pending(l) > 2)
        drain_some(l);
    CHECK_STR(done[fds].out, "4\n");
    cx_loop_destroy(l);
    free_done();
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (!mkdtemp(tmpdir))
        return 1;
    int fds = count_open_fds();
    fixture_http *server = fixture_http_start();
    CHECK(server != NULL);
    if (!server)
        return CHECK_DONE();
    port = fixture_http_port(server);
    test_processes();
    test_stdin();
    test_small_stdin_at_add();
    test_timeouts_kill_the_group();
    test_stop_kills_what_the_child_leaves();
    test_signal_wakes_the_loop();
    test_http();
    test_http_envelope();
    test_many_at_once();
    test_wait_cancel_destroy();
    fixture_http_stop(server);
    CHECK(no_zombie_children());
    CHECK_INT(count_open_fds(), fds);
    rmdir(tmpdir);
    return CHECK_DONE();
}
