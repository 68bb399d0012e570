/* The event loop: process, HTTP and timer jobs as state machines driven by one poll. Until the
 * first HTTP job that poll is poll(2) and libcurl is not even loaded; from then on it is
 * curl_multi_poll over the curl sockets plus the process descriptors. */
#include "loop.h"

#include "buf.h"
#include "clock.h"
#include "signals.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MS 1000000LL
#define IO_CHUNK 65536
/* Without a pidfd nothing wakes us when a child exits: poll waitpid at this period instead. */
#define REAP_TICK_MS 10

typedef struct proc_job {
    cx_proc proc;
    char *stdin_buf;
    size_t stdin_len, stdin_off;
    cx_buf out, err;
    size_t max_output;
    int out_truncated, err_truncated;
    int64_t deadline_ns;    /* timeout, 0 = none */
    int64_t kill_at_ns;     /* after TERM: when KILL follows, 0 = not yet signalled */
    int64_t drain_until_ns; /* after the child exited with pipes still open */
    int64_t grace_ms;
    int64_t timeout_ms;
    int timed_out, cancelled, killed;
} proc_job;

typedef struct http_job {
    cx_http http;
    int64_t first_byte_ms, idle_ms, total_ms;
    int in_multi;
    cx_envelope_stream *env; /* NULL without parse_envelope, or once the status is not 2xx */
    size_t env_fed;          /* body bytes already fed */
    int env_state;           /* the last feed's return: 0, 1 (terminal seen) or -1 (failed) */
} http_job;

typedef struct job {
    int64_t id;
    cx_job_kind kind;
    int64_t start_ns;
    int64_t timer_at_ns;
    union {
        proc_job p;
        http_job h;
    } u;
} job;

struct cx_loop {
    const cx_libcurl *curl; /* NULL until the first HTTP job */
    CURLM *multi;           /* likewise */
    job **jobs;
    size_t njobs, cap;
    cx_completion *done; /* FIFO: [done_head, ndone) are ready */
    size_t done_head, ndone, done_cap;
    int64_t next_id;
    struct curl_waitfd *wait_fds; /* scratch for each poll */
    struct pollfd *poll_fds;      /* the same descriptors for poll(2), same capacity */
    size_t wait_cap;
    int signal_seen; /* cx_loop_run returned early for the pending signal: poll without the pipe */
};

/* ---- bookkeeping ---- */

/* Durations beyond ~30 years mean "never"; clamping keeps ms * MS far from overflow. */
static int64_t clamp_ms(int64_t ms)
{
    return ms < 0 ? 0 : ms > 1000000000000LL ? 1000000000000LL : ms;
}

static char *format_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format_msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

static int push_completion(cx_loop *l, cx_completion *c)
{
    if (l->done_head > 0 && l->done_head == l->ndone)
        l->done_head = l->ndone = 0;
    if (l->ndone == l->done_cap) {
        size_t cap = l->done_cap ? l->done_cap * 2 : 16;
        cx_completion *grown = realloc(l->done, cap * sizeof *grown);
        if (!grown)
            return -1;
        l->done = grown;
        l->done_cap = cap;
    }
    l->done[l->ndone++] = *c;
    return 0;
}

static void init_completion(cx_completion *c, const job *j, int64_t now)
{
    memset(c, 0, sizeof *c);
    c->id = j->id;
    c->kind = j->kind;
    c->duration_ms = (double)(now - j->start_ns) / 1e6;
    c->exit_code = -1;
    c->first_byte_ms = -1;
}

static job *new_job(cx_loop *l, cx_job_kind kind)
{
    if (l->njobs == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        job **grown = realloc(l->jobs, cap * sizeof *grown);
        if (!grown)
            return NULL;
        l->jobs = grown;
        l->cap = cap;
    }
    job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->id = ++l->next_id;
    j->kind = kind;
    j->start_ns = cx_clock_now_ns();
    l->jobs[l->njobs++] = j;
    return j;
}

static void drop_job(cx_loop *l, size_t i)
{
    free(l->jobs[i]);
    l->jobs[i] = l->jobs[--l->njobs];
}

static size_t find_job(const cx_loop *l, int64_t id)
{
    for (size_t i = 0; i < l->njobs; i++)
        if (l->jobs[i]->id == id)
            return i;
    return (size_t)-1;
}

/* Queues c for job i and removes the job; on OOM the completion is lost but nothing leaks. */
static void complete(cx_loop *l, size_t i, cx_completion *c)
{
    if (push_completion(l, c) != 0)
        cx_completion_free(c);
    drop_job(l, i);
}

cx_loop *cx_loop_new(void)
{
    return calloc(1, sizeof(cx_loop));
}

/* The curl multi handle, made (and libcurl loaded) with the first HTTP job. */
static int ensure_multi(cx_loop *l, char *err, size_t errlen)
{
    if (l->multi)
        return 0;
    const cx_libcurl *curl = cx_libcurl_load(err, errlen);
    if (!curl)
        return -1;
    l->multi = curl->multi_init();
    if (!l->multi) {
        snprintf(err, errlen, "curl_multi_init failed");
        return -1;
    }
    l->curl = curl;
    return 0;
}

size_t cx_loop_pending(const cx_loop *l)
{
    return l->njobs;
}

int cx_loop_next(cx_loop *l, cx_completion *out)
{
    if (l->done_head == l->ndone)
        return 0;
    *out = l->done[l->done_head++];
    return 1;
}

void cx_completion_free(cx_completion *c)
{
    free(c->error);
    free(c->out);
    free(c->err);
    free(c->body);
    free(c->content_type);
    free(c->headers);
    if (c->has_envelope)
        cx_envelope_result_free(&c->envelope);
    memset(c, 0, sizeof *c);
}

/* ---- process jobs ---- */

static void write_stdin(proc_job *p);

int64_t cx_loop_add_process(cx_loop *l, const cx_process_job_spec *spec, char *err, size_t errlen)
{
    job *j = new_job(l, CX_JOB_PROCESS);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    proc_job *p = &j->u.p;
    cx_buf_init(&p->out);
    cx_buf_init(&p->err);
    p->max_output = spec->max_output ? spec->max_output : CX_LOOP_DEFAULT_MAX_OUTPUT;
    p->grace_ms = spec->grace_ms < 0 ? CX_LOOP_DEFAULT_GRACE_MS : clamp_ms(spec->grace_ms);
    p->timeout_ms = clamp_ms(spec->timeout_ms);
    if (spec->stdin_data && spec->stdin_len > 0) {
        p->stdin_buf = malloc(spec->stdin_len);
        if (!p->stdin_buf) {
            drop_job(l, l->njobs - 1);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        memcpy(p->stdin_buf, spec->stdin_data, spec->stdin_len);
        p->stdin_len = spec->stdin_len;
    }
    char msg[512];
    int64_t id = j->id;
    if (cx_proc_spawn(&p->proc, &spec->proc, msg, sizeof msg) != 0) {
        cx_completion c;
        init_completion(&c, j, cx_clock_now_ns());
        c.class_name = CX_LOOP_SPAWN_FAILED;
        c.error = strdup(msg);
        free(p->stdin_buf);
        complete(l, l->njobs - 1, &c);
        return id;
    }
    /* A prompt that fits the pipe goes in now, with its EOF: the child finds it all at its first
     * read instead of blocking until our next poll (a hand-off that costs a scheduling delay per
     * process on a busy machine). A larger one continues from the loop as the child reads. */
    if (!p->stdin_buf)
        cx_proc_close_fd(&p->proc.stdin_fd);
    else
        write_stdin(p);
    if (p->timeout_ms > 0)
        p->deadline_ns = j->start_ns + p->timeout_ms * MS;
    return id;
}

/* Reads what fd has now into b (up to the cap; the rest is dropped); closes fd at EOF. */
static void read_pipe(int *fd, cx_buf *b, size_t cap, int *truncated)
{
    char chunk[IO_CHUNK];
    for (int rounds = 0; *fd >= 0 && rounds < 16; rounds++) {
        ssize_t n = read(*fd, chunk, sizeof chunk);
        if (n > 0) {
            size_t room = b->len < cap ? cap - b->len : 0;
            size_t keep = (size_t)n < room ? (size_t)n : room;
            if (keep < (size_t)n)
                *truncated = 1;
            if (keep && cx_buf_append(b, chunk, keep) != 0)
                *truncated = 1;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            cx_proc_close_fd(fd);
        } else if (errno == EAGAIN) {
            return;
        }
    }
}

/* Writes as much of the prompt as the pipe takes now; closes stdin when done or refused. */
static void write_stdin(proc_job *p)
{
    while (p->proc.stdin_fd >= 0 && p->stdin_off < p->stdin_len) {
        size_t left = p->stdin_len - p->stdin_off;
        ssize_t n =
            write(p->proc.stdin_fd, p->stdin_buf + p->stdin_off, left < IO_CHUNK ? left : IO_CHUNK);
        if (n > 0)
            p->stdin_off += (size_t)n;
        else if (n < 0 && errno == EAGAIN)
            return;
        else if (n < 0 && errno == EINTR)
            continue;
        else
            break; /* EPIPE: the child closed its stdin; stdin_written tells how far it read */
    }
    cx_proc_close_fd(&p->proc.stdin_fd);
}

static void service_process_io(proc_job *p)
{
    if (p->proc.stdin_fd >= 0)
        write_stdin(p);
    read_pipe(&p->proc.stdout_fd, &p->out, p->max_output, &p->out_truncated);
    read_pipe(&p->proc.stderr_fd, &p->err, p->max_output, &p->err_truncated);
    if (!p->proc.reaped && cx_proc_reap(&p->proc, 0) == 1)
        cx_proc_close_fd(&p->proc.stdin_fd); /* nobody left to read it */
}

static void finish_process(cx_loop *l, size_t i, int64_t now)
{
    job *j = l->jobs[i];
    proc_job *p = &j->u.p;
    cx_completion c;
    init_completion(&c, j, now);
    cx_proc_status(&p->proc, &c.exit_code, &c.signal);
    cx_proc_close_fds(&p->proc);
    c.timed_out = p->timed_out;
    c.stdin_written = p->stdin_off;
    c.out = cx_buf_steal(&p->out, &c.out_len);
    c.err = cx_buf_steal(&p->err, &c.err_len);
    c.out_truncated = p->out_truncated;
    c.err_truncated = p->err_truncated;
    free(p->stdin_buf);
    if (p->cancelled) {
        c.class_name = CX_LOOP_CANCELLED;
        c.error = format_msg("cancelled");
    } else if (p->timed_out) {
        c.class_name = CX_LOOP_TIMEOUT;
        c.error = format_msg("timed out after %lldms", (long long)p->timeout_ms);
    } else if (p->proc.status_lost) {
        c.class_name = CX_LOOP_EXIT_STATUS;
        c.error = format_msg("exit status unknown (the child was reaped elsewhere)");
    } else if (c.signal) {
        c.class_name = CX_LOOP_SIGNALED;
        c.error = format_msg("killed by signal %d (%s)", c.signal, strsignal(c.signal));
    } else if (c.exit_code != 0) {
        c.class_name = CX_LOOP_EXIT_STATUS;
        c.error = format_msg("exited with status %d", c.exit_code);
    } else {
        c.ok = 1;
    }
    complete(l, i, &c);
}

/* TERM the group once; KILL follows grace_ms later (see process_deadlines). */
static void stop_process(proc_job *p, int64_t now)
{
    if (p->kill_at_ns)
        return;
    cx_proc_signal_group(&p->proc, SIGTERM);
    p->kill_at_ns = now + p->grace_ms * MS;
    if (p->grace_ms == 0) {
        cx_proc_signal_group(&p->proc, SIGKILL);
        p->killed = 1;
    }
}

/* Timeouts, the KILL after the grace period, the drain after exit; finishes the job if done. */
static int process_step(cx_loop *l, size_t i, int64_t now)
{
    proc_job *p = &l->jobs[i]->u.p;
    if (p->deadline_ns && now >= p->deadline_ns && !p->kill_at_ns && !p->proc.reaped) {
        p->timed_out = 1;
        stop_process(p, now);
    }
    if (p->kill_at_ns && !p->killed && now >= p->kill_at_ns) {
        cx_proc_signal_group(&p->proc, SIGKILL);
        p->killed = 1;
    }
    /* A stopped job (timeout, cancel) whose child has exited: whatever is left of its group (a
     * grandchild that ignored the TERM and does not hold the pipes) is killed now. */
    if (p->kill_at_ns && !p->killed && p->proc.reaped) {
        cx_proc_signal_group(&p->proc, SIGKILL);
        p->killed = 1;
    }
    if (p->proc.reaped && (p->proc.stdout_fd >= 0 || p->proc.stderr_fd >= 0)) {
        if (!p->drain_until_ns)
            p->drain_until_ns = now + CX_LOOP_DRAIN_MS * MS;
        if (now >= p->drain_until_ns) {
            /* A grandchild holds the pipes: stop it, keep what is buffered, and move on. */
            cx_proc_signal_group(&p->proc, SIGKILL);
            read_pipe(&p->proc.stdout_fd, &p->out, p->max_output, &p->out_truncated);
            read_pipe(&p->proc.stderr_fd, &p->err, p->max_output, &p->err_truncated);
            cx_proc_close_fds(&p->proc);
        }
    }
    if (p->proc.reaped && p->proc.stdout_fd < 0 && p->proc.stderr_fd < 0) {
        finish_process(l, i, now);
        return 1;
    }
    return 0;
}

static int64_t process_wake(const proc_job *p)
{
    int64_t t = INT64_MAX;
    if (p->deadline_ns && !p->kill_at_ns && !p->proc.reaped)
        t = p->deadline_ns;
    if (p->kill_at_ns && !p->killed && p->kill_at_ns < t)
        t = p->kill_at_ns;
    if (p->drain_until_ns && p->drain_until_ns < t)
        t = p->drain_until_ns;
    return t;
}

/* ---- HTTP jobs ---- */

int64_t cx_loop_add_http(cx_loop *l, const cx_http_job_spec *spec, char *err, size_t errlen)
{
    if (ensure_multi(l, err, errlen) != 0)
        return -1;
    job *j = new_job(l, CX_JOB_HTTP);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    http_job *h = &j->u.h;
    if (cx_http_setup(&h->http, &spec->request, err, errlen) != 0) {
        cx_http_cleanup(&h->http);
        drop_job(l, l->njobs - 1);
        return -1;
    }
    h->first_byte_ms = clamp_ms(spec->first_byte_timeout_ms);
    h->idle_ms = clamp_ms(spec->idle_timeout_ms);
    h->total_ms = clamp_ms(spec->total_timeout_ms);
    if (spec->parse_envelope) {
        h->env = cx_envelope_new(spec->envelope_format, &spec->envelope_opts);
        if (!h->env) {
            cx_http_cleanup(&h->http);
            drop_job(l, l->njobs - 1);
            snprintf(err, errlen, "cannot create the envelope parser");
            return -1;
        }
    }
    l->curl->easy_setopt(h->http.easy, CURLOPT_PRIVATE, (void *)j);
    if (l->curl->multi_add_handle(l->multi, h->http.easy) != CURLM_OK) {
        cx_http_cleanup(&h->http);
        drop_job(l, l->njobs - 1);
        snprintf(err, errlen, "curl_multi_add_handle failed");
        return -1;
    }
    h->in_multi = 1;
    return j->id;
}

static int64_t phase_ms(const http_job *h, const char *phase)
{
    return strcmp(phase, "first_byte") == 0 ? h->first_byte_ms
           : strcmp(phase, "idle") == 0     ? h->idle_ms
                                            : h->total_ms;
}

/* Feeds the body bytes that arrived since the last call to the job's parser, once the status is
 * known to be 2xx; a parser of any other status is dropped. Returns the parser's state. */
static int feed_envelope(http_job *h)
{
    if (!h->env || h->env_state != 0 || h->http.body.len == h->env_fed)
        return h->env ? h->env_state : 0;
    long status = 0;
    h->http.curl->easy_getinfo(h->http.easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        cx_envelope_free(h->env);
        h->env = NULL;
        return 0;
    }
    h->env_state =
        cx_envelope_feed(h->env, h->http.body.data + h->env_fed, h->http.body.len - h->env_fed);
    h->env_fed = h->http.body.len;
    return h->env_state;
}

static void finish_http(cx_loop *l, size_t i, CURLcode rc, const char *phase, const char *cls,
                        int64_t now)
{
    job *j = l->jobs[i];
    http_job *h = &j->u.h;
    cx_http_outcome o;
    cx_http_finish(&h->http, rc, &o);
    if (h->in_multi)
        l->curl->multi_remove_handle(l->multi, h->http.easy);
    cx_completion c;
    init_completion(&c, j, now);
    c.status = o.status;
    c.content_type = o.content_type;
    if (h->http.first_byte_ns)
        c.first_byte_ms = (double)(h->http.first_byte_ns - j->start_ns) / 1e6;
    if (cls) { /* decided by the loop: a deadline or a cancel */
        c.class_name = cls;
        c.timeout_phase = phase;
        c.timed_out = phase != NULL;
        c.error = phase
                      ? format_msg("%s timeout after %lldms", phase, (long long)phase_ms(h, phase))
                      : format_msg("cancelled");
    } else if (o.class_name) {
        c.class_name = o.class_name;
        c.timeout_phase = o.timeout_phase;
        c.timed_out = o.timeout_phase != NULL;
        c.error = strdup(o.message);
    } else {
        c.ok = 1;
    }
    if (c.ok && h->env) {
        c.stopped_early = h->env_state != 0;
        feed_envelope(h);
        if (h->env) {
            cx_envelope_finish(h->env, &c.envelope);
            c.has_envelope = 1;
        }
    }
    cx_envelope_free(h->env);
    h->env = NULL;
    c.body = cx_buf_steal(&h->http.body, &c.body_len);
    if (h->http.response_headers.len)
        c.headers = cx_buf_steal(&h->http.response_headers, &c.headers_len);
    cx_http_cleanup(&h->http);
    complete(l, i, &c);
}

/* The earliest of the deadlines that apply now, and its phase name. */
static int64_t http_deadline(const job *j, const char **phase)
{
    const http_job *h = &j->u.h;
    int64_t t = INT64_MAX;
    *phase = NULL;
    if (h->first_byte_ms > 0 && !h->http.first_byte_ns)
        t = j->start_ns + h->first_byte_ms * MS, *phase = "first_byte";
    if (h->idle_ms > 0 && h->http.last_data_ns && h->http.last_data_ns + h->idle_ms * MS < t)
        t = h->http.last_data_ns + h->idle_ms * MS, *phase = "idle";
    if (h->total_ms > 0 && j->start_ns + h->total_ms * MS < t)
        t = j->start_ns + h->total_ms * MS, *phase = "total";
    return t;
}

static void collect_http_done(cx_loop *l, int64_t now)
{
    CURLMsg *m;
    int left;
    while (l->multi && (m = l->curl->multi_info_read(l->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        job *j = NULL;
        l->curl->easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
        CURLcode rc = m->data.result;
        for (size_t i = 0; j && i < l->njobs; i++)
            if (l->jobs[i] == j) {
                finish_http(l, i, rc, NULL, NULL, now);
                break;
            }
    }
}

/* Feeds what each streamed transfer received; a terminal marker or a failure ends the job now,
 * even when the server keeps the connection open. Runs after collect_http_done, so a transfer
 * that ended on its own is finished there with its whole body. */
static void feed_http_streams(cx_loop *l, int64_t now)
{
    for (size_t i = l->njobs; i-- > 0;) {
        job *j = l->jobs[i];
        if (j->kind == CX_JOB_HTTP && j->u.h.env && feed_envelope(&j->u.h) != 0)
            finish_http(l, i, CURLE_OK, NULL, NULL, now);
    }
}

/* ---- timers ---- */

int64_t cx_loop_add_timer(cx_loop *l, int64_t ms, char *err, size_t errlen)
{
    job *j = new_job(l, CX_JOB_TIMER);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    j->timer_at_ns = j->start_ns + clamp_ms(ms) * MS;
    return j->id;
}

static void finish_simple(cx_loop *l, size_t i, const char *cls, int64_t now)
{
    cx_completion c;
    init_completion(&c, l->jobs[i], now);
    c.ok = cls == NULL;
    c.class_name = cls;
    if (cls)
        c.error = format_msg("%s", cls);
    complete(l, i, &c);
}

/* ---- driving ---- */

/* Applies every deadline due at now; finished jobs are queued. Returns the next wake time. */
static int64_t step_all(cx_loop *l, int64_t now)
{
    int64_t wake = INT64_MAX;
    for (size_t i = l->njobs; i-- > 0;) {
        job *j = l->jobs[i];
        int64_t t = INT64_MAX;
        if (j->kind == CX_JOB_PROCESS) {
            if (process_step(l, i, now))
                continue;
            t = process_wake(&j->u.p);
            if (!j->u.p.proc.reaped && j->u.p.proc.pidfd < 0 && now + REAP_TICK_MS * MS < t)
                t = now + REAP_TICK_MS * MS;
        } else if (j->kind == CX_JOB_HTTP) {
            const char *phase;
            t = http_deadline(j, &phase);
            if (now >= t) {
                finish_http(l, i, CURLE_OK, phase, CX_HTTP_TIMEOUT, now);
                continue;
            }
        } else {
            if (now >= j->timer_at_ns) {
                finish_simple(l, i, NULL, now);
                continue;
            }
            t = j->timer_at_ns;
        }
        if (t < wake)
            wake = t;
    }
    return wake;
}

static int add_wait_fd(cx_loop *l, size_t *n, int fd, short events)
{
    if (fd < 0)
        return 0;
    if (*n == l->wait_cap) {
        size_t cap = l->wait_cap ? l->wait_cap * 2 : 64;
        struct curl_waitfd *grown = realloc(l->wait_fds, cap * sizeof *grown);
        if (!grown)
            return -1;
        l->wait_fds = grown;
        struct pollfd *pgrown = realloc(l->poll_fds, cap * sizeof *pgrown);
        if (!pgrown)
            return -1;
        l->poll_fds = pgrown;
        l->wait_cap = cap;
    }
    l->wait_fds[(*n)++] = (struct curl_waitfd){.fd = fd, .events = events, .revents = 0};
    return 0;
}

static size_t gather_fds(cx_loop *l)
{
    size_t n = 0;
    if (!l->signal_seen)
        add_wait_fd(l, &n, cx_signals_fd(), CURL_WAIT_POLLIN);
    for (size_t i = 0; i < l->njobs; i++) {
        if (l->jobs[i]->kind != CX_JOB_PROCESS)
            continue;
        const cx_proc *p = &l->jobs[i]->u.p.proc;
        add_wait_fd(l, &n, p->stdin_fd, CURL_WAIT_POLLOUT);
        add_wait_fd(l, &n, p->stdout_fd, CURL_WAIT_POLLIN);
        add_wait_fd(l, &n, p->stderr_fd, CURL_WAIT_POLLIN);
        add_wait_fd(l, &n, p->pidfd, CURL_WAIT_POLLIN);
    }
    return n;
}

/* One poll over every pipe, pidfd and curl socket, then all the I/O that became possible. */
static void poll_once(cx_loop *l, int64_t wait_ns)
{
    size_t n = gather_fds(l);
    int ms = wait_ns <= 0 ? 0 : wait_ns > 3600000LL * MS ? 3600000 : (int)((wait_ns + MS - 1) / MS);
    if (l->multi) {
        int numfds = 0, running = 0;
        l->curl->multi_poll(l->multi, l->wait_fds, (unsigned)n, ms, &numfds);
        l->curl->multi_perform(l->multi, &running);
    } else {
        for (size_t i = 0; i < n; i++)
            l->poll_fds[i] = (struct pollfd){
                .fd = l->wait_fds[i].fd,
                .events = (short)((l->wait_fds[i].events & CURL_WAIT_POLLIN ? POLLIN : 0) |
                                  (l->wait_fds[i].events & CURL_WAIT_POLLOUT ? POLLOUT : 0))};
        poll(l->poll_fds, (nfds_t)n, ms); /* EINTR and errors: the caller's loop looks again */
    }
    /* curl reports POLLIN/POLLOUT only (a bare POLLHUP is dropped), so try every pipe: reads and
     * writes are non-blocking and the attempts are cheap next to a poll. */
    for (size_t i = 0; i < l->njobs; i++)
        if (l->jobs[i]->kind == CX_JOB_PROCESS)
            service_process_io(&l->jobs[i]->u.p);
    collect_http_done(l, cx_clock_now_ns());
    feed_http_streams(l, cx_clock_now_ns());
}

size_t cx_loop_run(cx_loop *l, int64_t timeout_ms)
{
    int64_t until = timeout_ms < 0 ? INT64_MAX : cx_clock_now_ns() + clamp_ms(timeout_ms) * MS;
    int running = 0;
    if (l->multi)
        l->curl->multi_perform(l->multi, &running); /* starts transfers added since the last run */
    collect_http_done(l, cx_clock_now_ns());
    feed_http_streams(l, cx_clock_now_ns());
    for (;;) {
        int64_t now = cx_clock_now_ns();
        int64_t wake = step_all(l, now);
        if (l->ndone > l->done_head || l->njobs == 0 || now >= until)
            break;
        /* A signal wakes the caller once, so it can react (cancel, stop launching) at once; after
         * that the loop runs on without the pipe, to let the cancelled jobs finish. */
        if (!l->signal_seen && cx_signals_pending()) {
            l->signal_seen = 1;
            cx_signals_drain();
            break;
        }
        poll_once(l, (wake < until ? wake : until) - now);
    }
    return l->ndone - l->done_head;
}

int cx_loop_cancel(cx_loop *l, int64_t id)
{
    return cx_loop_cancel_grace(l, id, -1);
}

int cx_loop_cancel_grace(cx_loop *l, int64_t id, int64_t grace_ms)
{
    size_t i = find_job(l, id);
    if (i == (size_t)-1)
        return -1;
    job *j = l->jobs[i];
    int64_t now = cx_clock_now_ns();
    if (j->kind == CX_JOB_PROCESS) {
        proc_job *p = &j->u.p;
        p->cancelled = 1;
        if (grace_ms >= 0 && !p->kill_at_ns)
            p->grace_ms = clamp_ms(grace_ms);
        else if (grace_ms >= 0 && !p->killed && now + clamp_ms(grace_ms) * MS < p->kill_at_ns)
            p->kill_at_ns = now + clamp_ms(grace_ms) * MS; /* already stopping: only sooner */
        if (!p->proc.reaped)
            stop_process(p, now);
    } else if (j->kind == CX_JOB_HTTP) {
        finish_http(l, i, CURLE_OK, NULL, CX_LOOP_CANCELLED, now);
    } else {
        finish_simple(l, i, CX_LOOP_CANCELLED, now);
    }
    return 0;
}

void cx_loop_destroy(cx_loop *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->njobs; i++) {
        job *j = l->jobs[i];
        if (j->kind == CX_JOB_PROCESS) {
            cx_proc_terminate(&j->u.p.proc, 0);
            cx_buf_free(&j->u.p.out);
            cx_buf_free(&j->u.p.err);
            free(j->u.p.stdin_buf);
        } else if (j->kind == CX_JOB_HTTP) {
            l->curl->multi_remove_handle(l->multi, j->u.h.http.easy);
            cx_http_cleanup(&j->u.h.http);
            cx_envelope_free(j->u.h.env);
        }
        free(j);
    }
    for (size_t i = l->done_head; i < l->ndone; i++)
        cx_completion_free(&l->done[i]);
    if (l->multi)
        l->curl->multi_cleanup(l->multi);
    free(l->jobs);
    free(l->done);
    free(l->wait_fds);
    free(l->poll_fds);
    free(l);
}
