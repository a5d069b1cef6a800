/* loadgen.c - a small load generator for spand's socket, for
 * tests/bench/run.sh (the queries and latency rows).
 *
 *   loadgen -s SOCKET -r REQUEST_LINE [-c CONNS] [-n TOTAL] [-d SECONDS]
 *           [-i INTERVAL_US] [-w WARMUP] [-m MUST_CONTAIN]
 *
 * Opens CONNS connections (default 50) to the Unix socket and keeps one
 * request outstanding on each, like redis-benchmark without pipelining: a
 * connection sends the next request as soon as the answer to its last one
 * has arrived (or, with -i, INTERVAL_US microseconds after the last one was
 * sent, for a steady probe such as the latency row's pings). One thread,
 * one epoll loop: the same shape as redis-benchmark, so neither side is
 * helped by more client threads than the other.
 *
 * REQUEST_LINE is one JSON-RPC request without the newline; the id is
 * left as given (responses come back in order on each connection, so the
 * id is not needed to match them). A response is one line; it counts as
 * an error unless it contains "\"result\"" and, with -m, the string
 * MUST_CONTAIN (e.g. "\"cached\":true").
 *
 * Stops after TOTAL answered requests (counted after WARMUP answered
 * ones, which are not timed), after SECONDS, or on SIGTERM/SIGINT, then
 * prints one line of key=value pairs:
 *   requests= errors= seconds= rps= p50_ms= p90_ms= p99_ms= max_ms=
 *   mean_ms= bytes=
 * Exit status 0, or 1 on a usage or connection error (message on stderr),
 * or 2 when any response was an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct conn {
    int fd;
    int waiting;    /* a request is outstanding */
    double sent_at; /* when it was sent, seconds */
    double next_at; /* with -i: when to send the next one */
    size_t woff;    /* bytes of the request line written so far */
    char *rbuf;     /* the partial response line */
    size_t rlen, rcap;
};

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
    if (!n)
        return 0;
    /* nearest rank */
    size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

static void usage(void)
{
    fprintf(stderr, "usage: loadgen -s SOCKET -r REQUEST [-c CONNS] [-n TOTAL] "
                    "[-d SECONDS] [-i INTERVAL_US] [-w WARMUP] "
                    "[-m MUST_CONTAIN]\n");
    exit(1);
}

int main(int argc, char **argv)
{
    const char *sock = NULL, *req = NULL, *must = NULL;
    long conns = 50, total = 0, warmup = 0, interval_us = 0;
    double duration = 0;
    int opt;
    while ((opt = getopt(argc, argv, "s:r:c:n:d:i:w:m:")) != -1) {
        switch (opt) {
        case 's':
            sock = optarg;
            break;
        case 'r':
            req = optarg;
            break;
        case 'c':
            conns = atol(optarg);
            break;
        case 'n':
            total = atol(optarg);
            break;
        case 'd':
            duration = atof(optarg);
            break;
        case 'i':
            interval_us = atol(optarg);
            break;
        case 'w':
            warmup = atol(optarg);
            break;
        case 'm':
            must = optarg;
            break;
        default:
            usage();
        }
    }
    if (!sock || !req || conns < 1 || conns > 10000 || total < 0 ||
        warmup < 0 || interval_us < 0 ||
        (total == 0 && duration <= 0 && interval_us == 0))
        usage();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    size_t reqlen = strlen(req) + 1;
    char *line = malloc(reqlen + 1);
    if (!line)
        die("malloc");
    memcpy(line, req, reqlen - 1);
    line[reqlen - 1] = '\n';
    line[reqlen] = 0;

    int ep = epoll_create1(0);
    if (ep < 0)
        die("epoll_create1");
    struct conn *cs = calloc((size_t)conns, sizeof *cs);
    if (!cs)
        die("calloc");
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(sock) >= sizeof addr.sun_path) {
        fprintf(stderr, "loadgen: socket path too long\n");
        return 1;
    }
    strcpy(addr.sun_path, sock);
    for (long i = 0; i < conns; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            die("socket");
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
            die(sock);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        cs[i].fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
            die("epoll_ctl");
    }

    size_t lcap = 1 << 16, nlat = 0;
    double *lat = malloc(lcap * sizeof *lat);
    if (!lat)
        die("malloc");
    long answered = 0, errors = 0;
    unsigned long long bytes = 0;
    double t_start = now_s(), t_timed = t_start, t_end = t_start;
    int timing = warmup == 0;

/* send what can be sent on c; returns -1 on a dead connection */
#define SEND(c)                                                                \
    do {                                                                       \
        while ((c)->woff < reqlen) {                                           \
            ssize_t w = write((c)->fd, line + (c)->woff, reqlen - (c)->woff);  \
            if (w < 0 && (errno == EAGAIN || errno == EINTR))                  \
                break; /* rare for a short line: retried on next loop */       \
            if (w <= 0)                                                        \
                die("write");                                                  \
            (c)->woff += (size_t)w;                                            \
        }                                                                      \
    } while (0)

    for (long i = 0; i < conns; i++) {
        cs[i].sent_at = now_s();
        cs[i].next_at = cs[i].sent_at + (double)interval_us / 1e6;
        cs[i].waiting = 1;
        cs[i].woff = 0;
        SEND(&cs[i]);
    }
    struct epoll_event evs[64];
    char rb[1 << 16];
    for (;;) {
        if (stop_flag)
            break;
        double t = now_s();
        if (duration > 0 && t - t_start >= duration)
            break;
        if (total > 0 && answered >= total)
            break;
        /* with -i, send due requests; finish partial writes */
        int timeout_ms = 100;
        for (long i = 0; i < conns; i++) {
            struct conn *c = &cs[i];
            if (c->waiting && c->woff < reqlen) {
                SEND(c);
                timeout_ms = 1;
            }
            if (!c->waiting && interval_us > 0) {
                if (t >= c->next_at) {
                    c->waiting = 1;
                    c->woff = 0;
                    c->sent_at = now_s();
                    c->next_at += (double)interval_us / 1e6;
                    if (c->next_at < c->sent_at)
                        c->next_at = c->sent_at + (double)interval_us / 1e6;
                    SEND(c);
                } else {
                    int ms = (int)((c->next_at - t) * 1e3);
                    if (ms < timeout_ms)
                        timeout_ms = ms < 0 ? 0 : ms;
                }
            }
        }
        int n = epoll_wait(ep, evs, 64, timeout_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (int k = 0; k < n; k++) {
            struct conn *c = &cs[evs[k].data.u64];
            for (;;) {
                ssize_t r = read(c->fd, rb, sizeof rb);
                if (r < 0 && (errno == EAGAIN || errno == EINTR))
                    break;
                if (r <= 0) {
                    fprintf(stderr, "loadgen: spand closed a connection\n");
                    return 1;
                }
                bytes += (unsigned long long)r;
                size_t off = 0;
                while (off < (size_t)r) {
                    char *nl = memchr(rb + off, '\n', (size_t)r - off);
                    size_t take =
                        nl ? (size_t)(nl - (rb + off)) : (size_t)r - off;
                    if (c->rlen + take + 1 > c->rcap) {
                        c->rcap = (c->rlen + take + 1) * 2;
                        c->rbuf = realloc(c->rbuf, c->rcap);
                        if (!c->rbuf)
                            die("realloc");
                    }
                    memcpy(c->rbuf + c->rlen, rb + off, take);
                    c->rlen += take;
                    off += take;
                    if (!nl)
                        break;
                    off++; /* the newline */
                    c->rbuf[c->rlen] = 0;
                    double done = now_s();
                    /* a progress notification is not an answer */
                    if (strstr(c->rbuf, "\"method\"") &&
                        !strstr(c->rbuf, "\"result\"") &&
                        !strstr(c->rbuf, "\"error\"")) {
                        c->rlen = 0;
                        continue;
                    }
                    int ok = strstr(c->rbuf, "\"result\"") != NULL &&
                             (!must || strstr(c->rbuf, must) != NULL);
                    if (!ok && errors < 3)
                        fprintf(stderr, "loadgen: bad response: %.300s\n",
                                c->rbuf);
                    c->rlen = 0;
                    if (timing) {
                        answered++;
                        if (!ok)
                            errors++;
                        if (nlat == lcap) {
                            lcap *= 2;
                            lat = realloc(lat, lcap * sizeof *lat);
                            if (!lat)
                                die("realloc");
                        }
                        lat[nlat++] = (done - c->sent_at) * 1e3;
                        t_end = done;
                    } else if (--warmup <= 0) {
                        timing = 1;
                        t_timed = done;
                    }
                    c->waiting = 0;
                    if (interval_us == 0) {
                        c->waiting = 1;
                        c->woff = 0;
                        c->sent_at = now_s();
                        SEND(c);
                    }
                }
            }
        }
    }
    double secs = t_end - t_timed;
    qsort(lat, nlat, sizeof *lat, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < nlat; i++)
        sum += lat[i];
    printf("requests=%ld errors=%ld seconds=%.3f rps=%.0f p50_ms=%.3f "
           "p90_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f bytes=%llu\n",
           answered, errors, secs, secs > 0 ? (double)answered / secs : 0.0,
           pct(lat, nlat, 50), pct(lat, nlat, 90), pct(lat, nlat, 99),
           nlat ? lat[nlat - 1] : 0.0, nlat ? sum / (double)nlat : 0.0, bytes);
    return errors ? 2 : 0;
}
