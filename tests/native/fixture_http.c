#include "fixture_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 512
#define LIFETIME_MS 120000

struct fixture_http {
    int listen_fd;
    int port;
    int stop_pipe[2];
    pthread_t acceptor;
    pthread_mutex_t lock;
    pthread_t conns[MAX_CONNS];
    int nconns;
    int requests;
};

typedef struct conn {
    fixture_http *server;
    int fd;
} conn;

/* Waits until fd is readable or the server stops; 1 when readable. */
static int wait_readable(fixture_http *s, int fd, int timeout_ms)
{
    struct pollfd fds[2] = {{.fd = fd, .events = POLLIN},
                            {.fd = s->stop_pipe[0], .events = POLLIN}};
    int n = poll(fds, 2, timeout_ms);
    return n > 0 && !fds[1].revents && fds[0].revents;
}

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static void respond(int fd, int status, const char *ctype, const char *body, size_t len)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, ctype, len);
    send_all(fd, head, (size_t)n);
    send_all(fd, body, len);
}

static void header_value(const char *req, const char *name, char *out, size_t outlen)
{
    out[0] = '\0';
    size_t nlen = strlen(name);
    for (const char *line = strstr(req, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, name, nlen) == 0 && line[2 + nlen] == ':') {
            const char *v = line + 3 + nlen;
            while (*v == ' ')
                v++;
            size_t len = strcspn(v, "\r\n");
            snprintf(out, outlen, "%.*s", (int)(len < outlen ? len : outlen - 1), v);
            return;
        }
    }
}

/* Reads one request (head and Content-Length body); returns its size or -1. */
static long read_request(fixture_http *s, int fd, char **buf_out, size_t *head_len)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1);
    long need = -1;
    while (buf) {
        if (need >= 0 && len >= (size_t)need)
            break;
        if (!wait_readable(s, fd, LIFETIME_MS))
            break;
        if (len == cap) {
            char *grown = realloc(buf, cap * 2 + 1);
            if (!grown)
                break;
            buf = grown, cap *= 2;
        }
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        char *end = need < 0 ? strstr(buf, "\r\n\r\n") : NULL;
        if (end) {
            char cl[32];
            header_value(buf, "Content-Length", cl, sizeof cl);
            *head_len = (size_t)(end + 4 - buf);
            need = (long)*head_len + atol(cl);
        }
    }
    *buf_out = buf;
    if (!buf || need < 0 || len < (size_t)need)
        return -1;
    return need;
}

static void serve(fixture_http *s, int fd, char *req, size_t head_len, long total)
{
    char path[256] = {0}, value[1024];
    sscanf(req, "%*s %255s", path);
    if (strncmp(path, "/ok/", 4) == 0) {
        snprintf(value, sizeof value, "ok:%s", path + 4);
        respond(fd, 200, "text/plain", value, strlen(value));
    } else if (strncmp(path, "/redirect/", 10) == 0) {
        char head[512];
        int n = snprintf(head, sizeof head,
                         "HTTP/1.1 %d X\r\nLocation: http://user:s3cret@elsewhere.example:8443/"
                         "next?key=abc\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
                         "Connection: close\r\n\r\nmoved",
                         atoi(path + 10));
        send_all(fd, head, (size_t)n);
    } else if (strncmp(path, "/status/", 8) == 0) {
        snprintf(value, sizeof value, "status %s", path + 8);
        respond(fd, atoi(path + 8), "text/plain", value, strlen(value));
    } else if (strcmp(path, "/ratelimit") == 0) {
        static const char head[] = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\n"
                                   "Retry-After: 7\r\nx-ratelimit-reset-requests:  1.5s \r\n"
                                   "X-Dup: a\r\nX-Dup: b\r\nContent-Length: 4\r\n"
                                   "Connection: close\r\n\r\nslow";
        send_all(fd, head, sizeof head - 1);
    } else if (strcmp(path, "/auth") == 0) {
        header_value(req, "Authorization", value, sizeof value);
        respond(fd, 200, "text/plain", value, strlen(value));
    } else if (strcmp(path, "/echo") == 0) {
        respond(fd, 200, "application/octet-stream", req + head_len, (size_t)total - head_len);
    } else if (strncmp(path, "/big/", 5) == 0) {
        size_t n = (size_t)atol(path + 5);
        char *body = malloc(n + 1);
        if (body) {
            memset(body, 'x', n);
            respond(fd, 200, "text/plain", body, n);
            free(body);
        }
    } else if (strcmp(path, "/hang") == 0) {
        wait_readable(s, s->stop_pipe[0], LIFETIME_MS);
    } else if (strcmp(path, "/stall") == 0) {
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                   "Content-Length: 100\r\n\r\n0123456789";
        send_all(fd, head, sizeof head - 1);
        wait_readable(s, s->stop_pipe[0], LIFETIME_MS);
    } else if (strcmp(path, "/sse-done-stall") == 0 || strcmp(path, "/ndjson-error-stall") == 0 ||
               strcmp(path, "/sse-complete") == 0) {
        /* Streams without a Content-Length: the body ends when the connection closes, which
         * the two stall variants never do. */
        static const char sse[] = "data: {\"choices\":[{\"delta\":{\"content\":\"hel\"}}]}\n\n"
                                  "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n"
                                  "data: [DONE]\n\n";
        static const char ndjson[] = "{\"response\":\"par\",\"done\":false}\n"
                                     "{\"error\":\"model crashed\"}\n";
        int is_sse = path[1] == 's';
        char head[128];
        int n = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n\r\n",
                         is_sse ? "text/event-stream" : "application/x-ndjson");
        send_all(fd, head, (size_t)n);
        send_all(fd, is_sse ? sse : ndjson, is_sse ? sizeof sse - 1 : sizeof ndjson - 1);
        if (strcmp(path, "/sse-complete") != 0)
            wait_readable(s, s->stop_pipe[0], LIFETIME_MS);
    } else if (strncmp(path, "/slow/", 6) == 0) {
        wait_readable(s, s->stop_pipe[0], atoi(path + 6));
        respond(fd, 200, "text/plain", "slow", 4);
    } else {
        respond(fd, 404, "text/plain", "not found", 9);
    }
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    char *req = NULL;
    size_t head_len = 0;
    long total = read_request(c->server, c->fd, &req, &head_len);
    if (total >= 0) {
        pthread_mutex_lock(&c->server->lock);
        c->server->requests++;
        pthread_mutex_unlock(&c->server->lock);
        serve(c->server, c->fd, req, head_len, total);
    }
    free(req);
    close(c->fd);
    free(c);
    return NULL;
}

static void *accept_main(void *arg)
{
    fixture_http *s = arg;
    for (;;) {
        if (!wait_readable(s, s->listen_fd, LIFETIME_MS))
            break;
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        conn *c = malloc(sizeof *c);
        pthread_mutex_lock(&s->lock);
        int full = s->nconns == MAX_CONNS;
        if (c && !full) {
            c->server = s, c->fd = fd;
            if (pthread_create(&s->conns[s->nconns], NULL, conn_main, c) == 0)
                s->nconns++, c = NULL, fd = -1;
        }
        pthread_mutex_unlock(&s->lock);
        free(c);
        if (fd >= 0)
            close(fd);
    }
    return NULL;
}

static int listen_local(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 256) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

fixture_http *fixture_http_start(void)
{
    /* Requests to the fixture go straight to 127.0.0.1, whatever proxy the environment names. */
    static const char *const proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                          "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (size_t i = 0; i < sizeof proxies / sizeof proxies[0]; i++)
        unsetenv(proxies[i]);
    fixture_http *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->listen_fd = listen_local(&s->port);
    if (s->listen_fd < 0 || pipe2(s->stop_pipe, O_CLOEXEC) != 0) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_create(&s->acceptor, NULL, accept_main, s);
    return s;
}

int fixture_http_port(const fixture_http *s)
{
    return s->port;
}

int fixture_http_requests(fixture_http *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->requests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

void fixture_http_stop(fixture_http *s)
{
    if (!s)
        return;
    close(s->stop_pipe[1]); /* every wait sees the read end become readable (EOF) */
    pthread_join(s->acceptor, NULL);
    for (int i = 0; i < s->nconns; i++)
        pthread_join(s->conns[i], NULL);
    close(s->stop_pipe[0]);
    close(s->listen_fd);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int fixture_closed_port(void)
{
    int port = 0;
    int fd = listen_local(&port);
    if (fd < 0)
        return -1;
    close(fd);
    return port;
}

int fixture_stuck_open(fixture_stuck *s)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    for (int i = 0; i < 4; i++)
        s->fds[i] = -1;
    s->fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fds[0] < 0 || bind(s->fds[0], (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(s->fds[0], 0) != 0 || getsockname(s->fds[0], (struct sockaddr *)&a, &alen) != 0) {
        fixture_stuck_close(s);
        return -1;
    }
    s->port = ntohs(a.sin_port);
    /* Fill the queue (backlog 0 still admits one or two), never accepting. */
    for (int i = 1; i < 4; i++) {
        s->fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s->fds[i] >= 0)
            connect(s->fds[i], (struct sockaddr *)&a, sizeof a);
    }
    struct timespec settle = {0, 50 * 1000000L};
    nanosleep(&settle, NULL);
    return 0;
}

void fixture_stuck_close(fixture_stuck *s)
{
    for (int i = 0; i < 4; i++)
        if (s->fds[i] >= 0)
            close(s->fds[i]);
}
