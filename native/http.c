/* HTTP requests through a libcurl easy handle: set-up, capped body collection, classification. */
#include "http.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    cx_http *h = userp;
    size_t len = size * n;
    int64_t now = cx_clock_now_ns();
    if (!h->first_byte_ns)
        h->first_byte_ns = now;
    h->last_data_ns = now;
    /* A status line starts a new block (after a 100 Continue, say): keep only the last one. */
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0)
        cx_buf_reset(&h->response_headers);
    else if (h->response_headers.len + len <= CX_HTTP_MAX_HEADER_BYTES)
        (void)cx_buf_append(&h->response_headers, data, len); /* out of memory: the line is lost */
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    cx_http *h = userp;
    size_t len = size * n;
    int64_t now = cx_clock_now_ns();
    if (!h->first_byte_ns)
        h->first_byte_ns = now;
    h->last_data_ns = now;
    if (h->body.len + len > h->max_bytes) {
        h->too_large = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return cx_buf_append(&h->body, data, len) == 0 ? len : 0;
}

static int has_line_break(const char *s)
{
    return s && strpbrk(s, "\r\n") != NULL;
}

/* curl_easy_setopt is variadic: these pass each option the exact type it reads. */
static CURLcode set_long(cx_http *h, CURLoption opt, long v)
{
    return h->curl->easy_setopt(h->easy, opt, v);
}

static CURLcode set_ptr(cx_http *h, CURLoption opt, const void *v)
{
    return h->curl->easy_setopt(h->easy, opt, v);
}

static CURLcode set_off(cx_http *h, CURLoption opt, curl_off_t v)
{
    return h->curl->easy_setopt(h->easy, opt, v);
}

static CURLcode set_writer(cx_http *h, CURLoption opt, curl_write_callback fn)
{
    return h->curl->easy_setopt(h->easy, opt, fn);
}

static int add_header(cx_http *h, const char *line)
{
    struct curl_slist *next = h->curl->slist_append(h->headers, line);
    if (!next)
        return -1;
    h->headers = next;
    return 0;
}

/* The Authorization header is assembled here, in memory we wipe, and only curl keeps a copy. */
static int add_bearer(cx_http *h, const char *token)
{
    static const char prefix[] = "Authorization: Bearer ";
    size_t len = sizeof prefix + strlen(token);
    char *line = malloc(len);
    if (!line)
        return -1;
    snprintf(line, len, "%s%s", prefix, token);
    int rc = add_header(h, line);
    explicit_bzero(line, len);
    free(line);
    return rc;
}

static int invalid(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return -1;
}

static int set_headers(cx_http *h, const cx_http_request *req, char *err, size_t errlen)
{
    for (size_t i = 0; req->headers && req->headers[i]; i++) {
        if (has_line_break(req->headers[i]) || !strchr(req->headers[i], ':'))
            return invalid(err, errlen, "a request header is not a single 'Name: value' line");
        if (add_header(h, req->headers[i]) != 0)
            return invalid(err, errlen, "out of memory");
    }
    if (req->bearer && req->bearer[0]) {
        if (has_line_break(req->bearer))
            return invalid(err, errlen, "the bearer token contains a line break");
        if (add_bearer(h, req->bearer) != 0)
            return invalid(err, errlen, "out of memory");
    }
    /* No 100-continue round trip for large prompts. */
    if (add_header(h, "Expect:") != 0)
        return invalid(err, errlen, "out of memory");
    return 0;
}

static int set_method_and_body(cx_http *h, const cx_http_request *req)
{
    const char *method = req->method ? req->method : req->body ? "POST" : "GET";
    CURLcode rc = CURLE_OK;
    if (req->body || strcmp(method, "POST") == 0) {
        rc = set_off(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        if (rc == CURLE_OK)
            rc = set_ptr(h, CURLOPT_COPYPOSTFIELDS, req->body ? req->body : "");
    }
    if (rc == CURLE_OK && strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        rc = set_ptr(h, CURLOPT_CUSTOMREQUEST, method);
    if (rc == CURLE_OK && strcmp(method, "HEAD") == 0)
        rc = set_long(h, CURLOPT_NOBODY, 1L);
    return rc == CURLE_OK ? 0 : -1;
}

int cx_http_setup(cx_http *h, const cx_http_request *req, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    cx_buf_init(&h->body);
    cx_buf_init(&h->response_headers);
    h->max_bytes = req->max_bytes ? req->max_bytes : CX_HTTP_DEFAULT_MAX_BYTES;
    if (!req->url ||
        (strncmp(req->url, "http://", 7) != 0 && strncmp(req->url, "https://", 8) != 0))
        return invalid(err, errlen, "the URL must start with http:// or https://");
    if (req->method && (!req->method[0] || strpbrk(req->method, " \r\n")))
        return invalid(err, errlen, "the HTTP method is not a single word");
    h->curl = cx_libcurl_load(err, errlen);
    if (!h->curl)
        return -1;
    h->easy = h->curl->easy_init();
    if (!h->easy)
        return invalid(err, errlen, "curl_easy_init failed");
    if (set_headers(h, req, err, errlen) != 0)
        return -1;
    long connect_ms =
        req->connect_timeout_ms > 0 ? req->connect_timeout_ms : CX_HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
    CURLcode rc = set_ptr(h, CURLOPT_URL, req->url);
    /* Only HTTP(S), no redirects, no signals (we may run beside threads), TLS always verified. */
    if (rc == CURLE_OK)
        rc = set_ptr(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (rc == CURLE_OK)
        rc = set_long(h, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = set_long(h, CURLOPT_SSL_VERIFYPEER, 1L);
    if (rc == CURLE_OK)
        rc = set_long(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (rc == CURLE_OK)
        rc = set_long(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    if (rc == CURLE_OK)
        rc = set_ptr(h, CURLOPT_HTTPHEADER, h->headers);
    if (rc == CURLE_OK)
        rc = set_writer(h, CURLOPT_HEADERFUNCTION, on_header);
    if (rc == CURLE_OK)
        rc = set_ptr(h, CURLOPT_HEADERDATA, h);
    if (rc == CURLE_OK)
        rc = set_writer(h, CURLOPT_WRITEFUNCTION, on_body);
    if (rc == CURLE_OK)
        rc = set_ptr(h, CURLOPT_WRITEDATA, h);
    if (rc == CURLE_OK)
        rc = set_ptr(h, CURLOPT_ERRORBUFFER, h->errbuf);
    if (rc != CURLE_OK || set_method_and_body(h, req) != 0)
        return invalid(err, errlen, "curl rejected an option for this request");
    return 0;
}

static const char *transport_class(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return CX_HTTP_TRANSPORT_UNREACHABLE;
    case CURLE_OPERATION_TIMEDOUT:
        return CX_HTTP_TIMEOUT;
    default:
        return CX_HTTP_TRANSPORT_ERROR;
    }
}

static const char *status_class(long status)
{
    if (status == 429)
        return CX_HTTP_RATE_LIMITED;
    if (status >= 500)
        return CX_HTTP_SERVER_ERROR;
    if (status >= 400)
        return CX_HTTP_STATUS;
    if (status >= 300)
        return CX_HTTP_REDIRECT;
    return NULL;
}

/* "HTTP status 302 (redirect to host H; cx does not follow redirects)": the Location's host and
 * port only, never its user, password, path or query, which may carry credentials. */
static void redirect_message(cx_http *h, long status, char *out, size_t outlen)
{
    char *where = NULL;
    if (h->curl->easy_getinfo(h->easy, CURLINFO_REDIRECT_URL, &where) != CURLE_OK || !where) {
        snprintf(out, outlen, "HTTP status %ld (a redirect without a Location; not followed)",
                 status);
        return;
    }
    const cx_libcurl *c = h->curl;
    CURLU *u = c->url();
    char *host = NULL, *port = NULL;
    if (u && c->url_set(u, CURLUPART_URL, where, 0) == CURLUE_OK) {
        c->url_get(u, CURLUPART_HOST, &host, 0);
        c->url_get(u, CURLUPART_PORT, &port, 0);
    }
    if (host)
        snprintf(out, outlen,
                 "HTTP status %ld (redirect to host %.200s%s%.20s; cx does not "
                 "follow redirects)",
                 status, host, port ? ":" : "", port ? port : "");
    else
        snprintf(out, outlen, "HTTP status %ld (redirect to an unparsable Location; not followed)",
                 status);
    c->free(host);
    c->free(port);
    c->url_cleanup(u);
}

void cx_http_finish(cx_http *h, CURLcode rc, cx_http_outcome *out)
{
    memset(out, 0, sizeof *out);
    h->curl->easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &out->status);
    char *ct = NULL;
    if (h->curl->easy_getinfo(h->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
        out->content_type = strdup(ct);
    /* Messages come from curl's error text (host and port at most), never from our headers. */
    const char *detail = h->errbuf[0] ? h->errbuf : h->curl->easy_strerror(rc);
    if (h->too_large) {
        out->class_name = CX_HTTP_BODY_TOO_LARGE;
        snprintf(out->message, sizeof out->message, "response body exceeds %zu bytes",
                 h->max_bytes);
    } else if (rc != CURLE_OK) {
        out->class_name = transport_class(rc);
        if (rc == CURLE_OPERATION_TIMEDOUT)
            out->timeout_phase = "connect";
        snprintf(out->message, sizeof out->message, "%s: %s",
                 rc == CURLE_OPERATION_TIMEDOUT ? "connect timeout" : "transport", detail);
    } else if ((out->class_name = status_class(out->status)) != NULL) {
        if (out->status >= 300 && out->status < 400)
            redirect_message(h, out->status, out->message, sizeof out->message);
        else
            snprintf(out->message, sizeof out->message, "HTTP status %ld", out->status);
    }
}

void cx_http_perform(cx_http *h, cx_http_outcome *out)
{
    cx_http_finish(h, h->curl->easy_perform(h->easy), out);
}

void cx_http_cleanup(cx_http *h)
{
    if (h->easy)
        h->curl->easy_cleanup(h->easy);
    h->easy = NULL;
    for (struct curl_slist *l = h->headers; l; l = l->next)
        explicit_bzero(l->data, strlen(l->data)); /* the token was in one of them */
    if (h->headers)
        h->curl->slist_free_all(h->headers);
    h->headers = NULL;
    cx_buf_free(&h->body);
    cx_buf_free(&h->response_headers);
}

void cx_http_outcome_free(cx_http_outcome *out)
{
    free(out->content_type);
    out->content_type = NULL;
}
