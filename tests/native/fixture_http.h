/* A small HTTP/1.1 server for the C tests: listens on 127.0.0.1 (a free port), one thread per
 * connection, and answers by path:
 *   /ok/<word>        200 text/plain "ok:<word>"
 *   /ratelimit        429 with Retry-After: 7, x-ratelimit-reset-requests: 1.5s and a header
 *                     sent twice (X-Dup: a, X-Dup: b)
 *   /status/<code>    <code> with body "status <code>"
 *   /redirect/<code>  <code> with a Location carrying credentials, body "moved"
 *   /auth             200, the body is the Authorization header value it received
 *   /echo             200 application/octet-stream, the request body back
 *   /big/<n>          200 with n bytes of 'x'
 *   /hang             reads the request and never answers
 *   /stall            headers (Content-Length: 100) and 10 bytes, then nothing
 *   /slow/<ms>        waits ms, then 200 "slow"
 *   /sse-complete     200 text/event-stream: two openai deltas ("hel", "lo"), `data: [DONE]`,
 *                     then the connection closes (no Content-Length)
 *   /sse-done-stall   the same stream, but the connection then stays open
 *   /ndjson-error-stall  200 ollama NDJSON: one partial line, an {"error":...} line, then open
 * It stops when the test calls fixture_http_stop (hanging connections are released then), and on
 * its own after 120 s at the latest. */
#ifndef CX_FIXTURE_HTTP_H
#define CX_FIXTURE_HTTP_H

typedef struct fixture_http fixture_http;

/* Also unsets the proxy variables, so curl talks to the fixture directly. */
fixture_http *fixture_http_start(void);
int fixture_http_port(const fixture_http *s);
/* Requests fully read so far. */
int fixture_http_requests(fixture_http *s);
void fixture_http_stop(fixture_http *s);
/* A 127.0.0.1 port that nothing listens on (bound, then closed). */
int fixture_closed_port(void);

/* A 127.0.0.1 listener whose accept queue is full, so a new connection attempt hangs in the
 * handshake (the kernel drops the SYN): for connect timeouts. Close with fixture_stuck_close. */
typedef struct fixture_stuck {
    int port;
    int fds[4];
} fixture_stuck;
int fixture_stuck_open(fixture_stuck *s);
void fixture_stuck_close(fixture_stuck *s);

#endif
