/* Sandbox mechanics: the byte-capped allocator, the forked child with its limits, the parent's
 * deadline, and message cleaning. See sandbox.h. */
#include "sandbox.h"

#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

void *cx_sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    cx_sandbox_heap *h = ud;
    size_t old = ptr ? osize : 0; /* without ptr, osize is a type tag, not a size */
    if (nsize == 0) {
        free(ptr);
        h->used -= old;
        return NULL;
    }
    if (nsize > old && h->limit && (nsize - old > h->limit || h->used + (nsize - old) > h->limit)) {
        h->refused = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (!p) {
        if (nsize > old)
            h->refused = 1;
        return NULL; /* Lua never asks to shrink through a failing path; growth failed */
    }
    h->used = h->used - old + nsize;
    if (h->used > h->peak)
        h->peak = h->used;
    return p;
}

int cx_sandbox_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one; C1 controls
 * (U+0080..U+009F) count as invalid, since terminals may act on them. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (c == 0xC2)
        lo = 0xA0;
    else if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

size_t cx_sandbox_clean_message(const char *in, size_t inlen, char *out, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)in;
    size_t o = 0, i = 0, room = max - 4; /* keep space for "..." and the NUL */
    while (i < inlen) {
        unsigned char c = s[i];
        char piece[8];
        size_t plen, consumed = 1;
        if (c == '\n' || c == '\r' || c == '\t') {
            piece[0] = '\\';
            piece[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            plen = 2;
        } else if (c < 0x20 || c == 0x7F) {
            memcpy(piece, "\\x", 2);
            piece[2] = hex[c >> 4];
            piece[3] = hex[c & 15];
            plen = 4;
        } else if (c < 0x80) {
            piece[0] = (char)c;
            plen = 1;
        } else {
            size_t n = utf8_seq(s + i, inlen - i);
            if (n) {
                memcpy(piece, s + i, n);
                plen = consumed = n;
            } else {
                memcpy(piece, "\\x", 2);
                piece[2] = hex[c >> 4];
                piece[3] = hex[c & 15];
                plen = 4;
            }
        }
        if (o + plen > room) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(out + o, piece, plen);
        o += plen;
        i += consumed;
    }
    out[o] = '\0';
    return o;
}

/* The child's confinement, before it runs any policy code. */
static void child_confine(int out_fd, int cpu_s)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
        for (int fd = 0; fd <= 2; fd++)
            if (fd != out_fd)
                dup2(null_fd, fd);
        if (null_fd > 2 && null_fd != out_fd)
            close(null_fd);
    }
    if (out_fd > 3)
        close_range(3, (unsigned)out_fd - 1, 0);
    close_range((unsigned)out_fd + 1, ~0U, 0);
    struct rlimit cpu = {(rlim_t)cpu_s, (rlim_t)cpu_s + 1};
    struct rlimit zero = {0, 0};
    setrlimit(RLIMIT_CPU, &cpu);
    setrlimit(RLIMIT_CORE, &zero);
    setrlimit(RLIMIT_FSIZE, &zero);
}

/* Read the child's answer until EOF, the deadline or the size cap. Returns the status so far
 * (EXITED when EOF came in time). */
static int collect(int fd, int64_t deadline_ms, size_t cap, char **data, size_t *len)
{
    size_t size = 0, alloc = 4096;
    char *buf = malloc(alloc + 1);
    if (!buf)
        return -1;
    int status = CX_SANDBOX_EXITED;
    for (;;) {
        int64_t left = deadline_ms - cx_clock_now_ms();
        if (left <= 0) {
            status = CX_SANDBOX_TIMEOUT;
            break;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break; /* cannot wait: treat what we have as the answer; the reap says the rest */
        if (r == 0)
            continue; /* re-checks the deadline */
        if (size == alloc) {
            size_t bigger = alloc * 2;
            char *nb = realloc(buf, bigger + 1);
            if (!nb) {
                status = CX_SANDBOX_OUTPUT;
                break;
            }
            buf = nb;
            alloc = bigger;
        }
        ssize_t n = read(fd, buf + size, alloc - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EOF (or a read error): the child has finished writing */
        size += (size_t)n;
        if (size > cap) {
            status = CX_SANDBOX_OUTPUT;
            break;
        }
    }
    buf[size] = '\0';
    *data = buf;
    *len = size;
    return status;
}

int cx_sandbox_run(const cx_sandbox_limits *limits, cx_sandbox_child_fn fn, void *arg,
                   cx_sandbox_outcome *out, char *errbuf, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int64_t started = cx_clock_now_ms();
    cx_sandbox_progress *shared =
        mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        snprintf(errbuf, errlen, "policy sandbox: mmap: %s", strerror(errno));
        return -1;
    }
    shared->chunk = 0;
    shared->line = 0;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(errbuf, errlen, "policy sandbox: pipe: %s", strerror(errno));
        munmap(shared, sizeof *shared);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(errbuf, errlen, "policy sandbox: fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        munmap(shared, sizeof *shared);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        child_confine(fds[1], limits->cpu_s > 0 ? limits->cpu_s : 1);
        if (getppid() != parent)
            _exit(127); /* the parent died before PR_SET_PDEATHSIG took effect */
        int code = fn(arg, fds[1], shared);
        close(fds[1]); /* EOF now, before the exit tears the address space down */
        _exit(code);
    }
    close(fds[1]);
    int status =
        collect(fds[0], started + limits->wall_ms, limits->output_max, &out->data, &out->len);
    close(fds[0]);
    if (status == -1) {
        kill(pid, SIGKILL);
        status = CX_SANDBOX_OUTPUT;
    }
    if (status != CX_SANDBOX_EXITED)
        kill(pid, SIGKILL);
    int wst = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &wst, 0, &ru) < 0 && errno == EINTR)
        ;
    if (status == CX_SANDBOX_EXITED) {
        if (WIFSIGNALED(wst)) {
            out->signo = WTERMSIG(wst);
            /* SIGXCPU at the soft limit, SIGKILL at the hard one: tell a CPU stop from a crash
             * or an outside kill by the CPU time the child actually used. */
            int64_t cpu_ms = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                             (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
            int cpu_out = cpu_ms >= (int64_t)(limits->cpu_s > 0 ? limits->cpu_s : 1) * 1000 - 50;
            status = (out->signo == SIGXCPU || (out->signo == SIGKILL && cpu_out))
                         ? CX_SANDBOX_CPU
                         : CX_SANDBOX_SIGNALED;
        } else {
            out->exit_code = WIFEXITED(wst) ? WEXITSTATUS(wst) : -1;
        }
    }
    out->status = status;
    out->progress.chunk = shared->chunk;
    out->progress.line = shared->line;
    munmap(shared, sizeof *shared);
    out->elapsed_ms = cx_clock_now_ms() - started;
    return 0;
}

void cx_sandbox_outcome_free(cx_sandbox_outcome *out)
{
    free(out->data);
    out->data = NULL;
    out->len = 0;
}
