/* A fast local HTTP/1.1 server for the benches: one epoll thread, keep-alive, answers every
 * request with 200 "ok". Binds 127.0.0.1 on a free port, prints the port on stdout, and exits
 * on SIGTERM/SIGINT or after the lifetime given in seconds (default 120), whichever comes first.
 *   usage: http_server [lifetime_seconds] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD 65536
#define BUF 16384

typedef struct conn {
    char *buf;
    size_t len;
} conn;

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";

/* Consumes every complete request in c (head plus Content-Length body); returns replies owed. */
static int take_requests(conn *c)
{
    int n = 0;
    for (;;) {
        char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (!end)
            return n;
        size_t head = (size_t)(end + 4 - c->buf), body = 0;
        for (char *p = c->buf; p < end; p++)
            if ((p == c->buf || p[-1] == '\n') && strncasecmp(p, "Content-Length:", 15) == 0)
                body = (size_t)strtoul(p + 15, NULL, 10);
        if (c->len < head + body)
            return n;
        memmove(c->buf, c->buf + head + body, c->len - head - body);
        c->len -= head + body;
        n++;
    }
}

static void close_conn(int ep, conn *conns, int fd)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    free(conns[fd].buf);
    conns[fd].buf = NULL;
    conns[fd].len = 0;
}

int main(int argc, char **argv)
{
    int lifetime = argc > 1 ? atoi(argv[1]) : 120;
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 1024) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) != 0) {
        perror("http_server");
        return 1;
    }
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);
    conn *conns = calloc(MAX_FD, sizeof *conns);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    time_t end = time(NULL) + lifetime;
    sigprocmask(SIG_BLOCK, &stop, NULL);
    sigset_t none;
    sigemptyset(&none);
    struct epoll_event evs[256];
    while (time(NULL) < end) {
        int n = epoll_pwait(ep, evs, 256, 1000, &none);
        if (n < 0 && errno == EINTR)
            break; /* SIGTERM or SIGINT */
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    if (c >= MAX_FD) {
                        close(c);
                        continue;
                    }
                    int one = 1;
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conns[c].buf = malloc(BUF);
                    conns[c].len = 0;
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            conn *c = &conns[fd];
            ssize_t r = read(fd, c->buf + c->len, BUF - c->len);
            if (r <= 0 || c->len + (size_t)r >= BUF) {
                if (r < 0 && errno == EAGAIN)
                    continue;
                close_conn(ep, conns, fd);
                continue;
            }
            c->len += (size_t)r;
            for (int k = take_requests(c); k > 0; k--)
                if (write(fd, reply, sizeof reply - 1) < 0)
                    break;
        }
    }
    for (int fd = 0; fd < MAX_FD; fd++)
        if (conns[fd].buf)
            close_conn(ep, conns, fd);
    free(conns);
    close(ep);
    close(ls);
    return 0;
}
