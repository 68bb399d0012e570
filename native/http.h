/* One HTTP request as a libcurl easy handle, in process (never a `curl` child): set-up, body
 * collection with a size cap, and the failure classes. The event loop (loop.c) drives many of
 * these through one curl multi handle; cx_http_perform runs one on its own. libcurl is loaded on
 * the first set-up (libcurl.h). */
#ifndef CX_HTTP_H
#define CX_HTTP_H

#include "buf.h"

#include "libcurl.h"

#include <stddef.h>
#include <stdint.h>

#define CX_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define CX_HTTP_DEFAULT_MAX_BYTES ((size_t)64 << 20)
/* Response header bytes kept (the final response's block; a reset time such as Retry-After or
 * x-ratelimit-reset-* is read from it); lines beyond are dropped. */
#define CX_HTTP_MAX_HEADER_BYTES ((size_t)32 << 10)

typedef struct cx_http_request {
    const char *url;            /* http:// or https:// only */
    const char *method;         /* NULL: POST when there is a body, else GET */
    const char *const *headers; /* "Name: value" lines, NULL-terminated, or NULL */
    const char *body;           /* copied; may hold NUL bytes */
    size_t body_len;
    const char *bearer;      /* sent as "Authorization: Bearer ..."; never echoed anywhere */
    long connect_timeout_ms; /* 0 = CX_HTTP_DEFAULT_CONNECT_TIMEOUT_MS */
    size_t max_bytes;        /* response body cap; 0 = CX_HTTP_DEFAULT_MAX_BYTES */
} cx_http_request;

typedef struct cx_http {
    const cx_libcurl *curl; /* set by cx_http_setup once libcurl is loaded */
    CURL *easy;
    struct curl_slist *headers;
    cx_buf body;
    cx_buf response_headers; /* "Name: value\r\n" lines of the last response block */
    size_t max_bytes;
    int too_large;
    int64_t first_byte_ns; /* CLOCK_MONOTONIC of the first response byte, 0 before */
    int64_t last_data_ns;  /* of the latest bytes received, 0 before */
    char errbuf[CURL_ERROR_SIZE];
} cx_http;

typedef struct cx_http_outcome {
    long status;               /* HTTP status, 0 when no response came */
    const char *class_name;    /* NULL on success, else one of the classes below */
    const char *timeout_phase; /* "connect" for curl's connect timeout; NULL otherwise */
    char *content_type;        /* malloc'd copy or NULL */
    char message[512];         /* empty on success */
} cx_http_outcome;

/* The failure classes. */
#define CX_HTTP_TRANSPORT_UNREACHABLE "transport_unreachable"
#define CX_HTTP_RATE_LIMITED "rate_limited"
#define CX_HTTP_SERVER_ERROR "server_error"
#define CX_HTTP_STATUS "http_status"
#define CX_HTTP_REDIRECT "http_redirect" /* a 3xx answer: redirects are never followed nor read */
#define CX_HTTP_TRANSPORT_ERROR "transport_error"
#define CX_HTTP_BODY_TOO_LARGE "body_too_large"
#define CX_HTTP_TIMEOUT "timeout"
#define CX_HTTP_INVALID_REQUEST "invalid_request"
#define CX_HTTP_UNAVAILABLE "http_unavailable" /* libcurl cannot be loaded */

/* Prepares h for req, loading libcurl on first use. Returns 0, or -1 with a message in err
 * (invalid_request: a bad URL scheme, a line break in a header or the token, out of memory; or
 * libcurl could not be loaded: cx_libcurl_load tells that case apart). */
int cx_http_setup(cx_http *h, const cx_http_request *req, char *err, size_t errlen);

/* Classifies a finished transfer (rc from curl) into out; the caller frees out->content_type. */
void cx_http_finish(cx_http *h, CURLcode rc, cx_http_outcome *out);

/* Runs the request to completion on its own (blocking), then classifies it. */
void cx_http_perform(cx_http *h, cx_http_outcome *out);

void cx_http_cleanup(cx_http *h);
void cx_http_outcome_free(cx_http_outcome *out);

#endif
