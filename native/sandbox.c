/* Sandbox mechanics: the byte-capped, tracking allocator, the deadline guard, message cleaning.
 * See sandbox.h. */
#include "sandbox.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The guard the calling thread has armed: the timer signal goes to that thread only. A thread-local
 * pointer, set before the timer can fire, is all the signal handler needs. */
static _Thread_local cx_sandbox_guard *armed_guard;

static void jump_if_due(cx_sandbox_guard *g)
{
    if (g && g->expired && g->abortable && !g->in_alloc) {
        g->abortable = 0;
        siglongjmp(g->checkpoint, 1);
    }
}

static void on_alarm(int sig)
{
    (void)sig;
    cx_sandbox_guard *g = armed_guard;
    if (!g)
        return;
    g->expired = 1;
    jump_if_due(g);
}

int cx_sandbox_guard_arm(cx_sandbox_guard *g, int64_t ms, char *errbuf, size_t errlen)
{
    g->expired = 0;
    g->abortable = 0;
    g->in_alloc = 0;
    g->armed = 0;
    armed_guard = g;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, &g->old_action) != 0) {
        snprintf(errbuf, errlen, "policy sandbox: sigaction: %s", strerror(errno));
        armed_guard = NULL;
        return -1;
    }
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &alrm, &g->old_mask);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGALRM;
    sev._sigev_un._tid = gettid(); /* sigev_notify_thread_id: not spelled out by this glibc */
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = (time_t)(ms / 1000);
    its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    if (timer_create(CLOCK_MONOTONIC, &sev, &g->timer) != 0) {
        snprintf(errbuf, errlen, "policy sandbox: timer_create: %s", strerror(errno));
        sigaction(SIGALRM, &g->old_action, NULL);
        pthread_sigmask(SIG_SETMASK, &g->old_mask, NULL);
        armed_guard = NULL;
        return -1;
    }
    g->armed = 1;
    if (timer_settime(g->timer, 0, &its, NULL) != 0) {
        snprintf(errbuf, errlen, "policy sandbox: timer_settime: %s", strerror(errno));
        cx_sandbox_guard_disarm(g);
        return -1;
    }
    return 0;
}

void cx_sandbox_guard_disarm(cx_sandbox_guard *g)
{
    if (!g->armed)
        return;
    g->armed = 0;
    g->abortable = 0;
    /* No SIGALRM of ours may reach the previous disposition (by default it ends the process):
     * block it, delete the timer, swallow one already pending, then restore. */
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alrm, NULL);
    timer_delete(g->timer);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&alrm, NULL, &zero) == SIGALRM)
        ;
    armed_guard = NULL;
    sigaction(SIGALRM, &g->old_action, NULL);
    pthread_sigmask(SIG_SETMASK, &g->old_mask, NULL);
}

static void unlink_block(cx_sandbox_heap *h, cx_sandbox_block *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        h->blocks = b->next;
    if (b->next)
        b->next->prev = b->prev;
}

static void link_block(cx_sandbox_heap *h, cx_sandbox_block *b)
{
    b->prev = NULL;
    b->next = h->blocks;
    if (h->blocks)
        h->blocks->prev = b;
    h->blocks = b;
}

void *cx_sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    cx_sandbox_heap *h = ud;
    cx_sandbox_guard *g = h->guard;
    cx_sandbox_block *b = ptr ? (cx_sandbox_block *)ptr - 1 : NULL;
    size_t old = ptr ? osize : 0; /* without ptr, osize is a type tag, not a size */
    if (g)
        g->in_alloc = 1;
    void *out = NULL;
    if (nsize == 0) {
        if (b) {
            unlink_block(h, b);
            free(b);
            h->used -= old;
        }
    } else if (nsize > old && h->limit &&
               (nsize - old > h->limit || h->used + (nsize - old) > h->limit)) {
        h->refused = 1;
    } else if (nsize > (size_t)-1 - sizeof(cx_sandbox_block)) {
        h->refused = 1;
    } else {
        if (b)
            unlink_block(h, b);
        cx_sandbox_block *nb = realloc(b, sizeof *nb + nsize);
        if (nb) {
            nb->size = nsize;
            link_block(h, nb);
            h->used = h->used - old + nsize;
            if (h->used > h->peak)
                h->peak = h->used;
            out = nb + 1;
        } else {
            if (b)
                link_block(h, b); /* a failed realloc leaves the old block as it was */
            if (nsize > old)
                h->refused = 1;
        }
    }
    if (g) {
        g->in_alloc = 0;
        jump_if_due(g); /* the deadline passed while the system allocator ran: jump now */
    }
    return out;
}

void cx_sandbox_heap_free_all(cx_sandbox_heap *h)
{
    cx_sandbox_block *b = h->blocks;
    while (b) {
        cx_sandbox_block *next = b->next;
        free(b);
        b = next;
    }
    h->blocks = NULL;
    h->used = 0;
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
