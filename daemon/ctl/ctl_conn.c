/* ctl_conn.c - spanctl's JSON-RPC connection; see ctl_conn.h. */
/* POSIX.1-2008: strdup, clock_gettime, MSG_NOSIGNAL, sendmsg. */
#define _POSIX_C_SOURCE 200809L

#include "ctl_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

/* Large enough that a whole ingest reply, or many, arrive in one read. */
#define READ_CHUNK (256u * 1024u)

struct ctl_conn {
    int fd;
    char *path;
    /* Bytes received and not yet returned: rbuf[rpos..rlen). rscan is where
     * the search for the next LF resumes, so that a long response arriving
     * in many reads is scanned once. */
    char *rbuf;
    size_t rpos, rscan, rlen, rcap;
    bool eof;          /* the server closed its side */
    bool write_closed; /* sending failed because the server went away */
    int read_errno;    /* a read failed with this error */
    unsigned long long next_id; /* id of the next request */
    size_t pending;             /* requests sent, not yet answered */
    ctl_notify_fn notify;       /* notifications go here (may be NULL) */
    void *notify_data;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(err, errlen, fmt, ap) < 0)
        err[0] = '\0';
    va_end(ap);
}

int ctl_conn_open(const char *path, ctl_conn_t **out, char *err, size_t errlen)
{
    struct sockaddr_un sun;
    size_t plen = strlen(path);
    *out = NULL;
    if (plen == 0) {
        set_err(err, errlen, "the socket path is empty");
        return -EINVAL;
    }
    if (plen >= sizeof sun.sun_path) {
        set_err(err, errlen,
                "socket path %s is %zu bytes, longer than the %zu a Unix "
                "socket allows",
                path, plen, sizeof sun.sun_path - 1);
        return -ENAMETOOLONG;
    }
    ctl_conn_t *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        free(c);
        set_err(err, errlen, "out of memory");
        return -ENOMEM;
    }
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        int e = errno;
        set_err(err, errlen, "cannot create a socket: %s", strerror(e));
        ctl_conn_close(c);
        return -e;
    }
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, plen + 1);
    int rc;
    do
        rc = connect(c->fd, (struct sockaddr *)&sun, sizeof sun);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        int e = errno;
        const char *hint = "";
        if (e == ENOENT || e == ECONNREFUSED)
            hint = " (is spand running? The socket is chosen with -s, "
                   "then $SPAND_SOCKET, then ./spand.sock)";
        else if (e == EACCES || e == EPERM)
            hint = " (the socket's permissions do not let you in; see "
                   "socket_mode in spand.conf)";
        else if (e == ENOTSOCK)
            hint = " (that file is not a socket)";
        set_err(err, errlen, "cannot connect to spand at %s: %s%s", path,
                strerror(e), hint);
        ctl_conn_close(c);
        return -e;
    }
    /* Non-blocking from here on: writes poll for input too (see send). */
    int fl = fcntl(c->fd, F_GETFL);
    if (fl < 0 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        int e = errno;
        set_err(err, errlen, "cannot set up the socket: %s", strerror(e));
        ctl_conn_close(c);
        return -e;
    }
    c->next_id = 1;
    *out = c;
    return 0;
}

void ctl_conn_close(ctl_conn_t *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->rbuf);
    free(c->path);
    free(c);
}

void ctl_conn_on_notify(ctl_conn_t *c, ctl_notify_fn fn, void *data)
{
    c->notify = fn;
    c->notify_data = data;
}

size_t ctl_conn_pending(const ctl_conn_t *c)
{
    return c->pending;
}

/* Make room for READ_CHUNK more bytes at the end of rbuf. */
static int rbuf_room(ctl_conn_t *c)
{
    if (c->rpos > 0 && c->rpos == c->rlen) {
        c->rpos = c->rscan = c->rlen = 0;
    } else if (c->rpos > 0 && c->rcap - c->rlen < READ_CHUNK) {
        memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
        c->rlen -= c->rpos;
        c->rscan -= c->rpos;
        c->rpos = 0;
    }
    if (c->rcap - c->rlen >= READ_CHUNK)
        return 0;
    size_t cap = c->rcap ? c->rcap : READ_CHUNK;
    while (cap - c->rlen < READ_CHUNK) {
        if (cap > SIZE_MAX / 2)
            return -ENOMEM;
        cap *= 2;
    }
    char *p = realloc(c->rbuf, cap);
    if (!p)
        return -ENOMEM;
    c->rbuf = p;
    c->rcap = cap;
    return 0;
}

/* Read what is available without blocking. Returns 1 when bytes arrived,
 * 0 when none were ready, -ENOMEM; end of stream and read errors are
 * recorded in c and also return 0. */
static int read_some(ctl_conn_t *c)
{
    if (c->eof || c->read_errno)
        return 0;
    if (rbuf_room(c) < 0)
        return -ENOMEM;
    for (;;) {
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
        if (n > 0) {
            c->rlen += (size_t)n;
            return 1;
        }
        if (n == 0) {
            c->eof = true;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        c->read_errno = errno;
        return 0;
    }
}

/* Wait until fd is ready for events; returns revents or -errno. */
static int wait_fd(int fd, short events)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    for (;;) {
        int rc = poll(&pfd, 1, -1);
        if (rc > 0)
            return pfd.revents;
        if (rc < 0 && errno != EINTR)
            return -errno;
    }
}

/* Write the whole of iov, reading whatever arrives meanwhile. */
static int write_all(ctl_conn_t *c, struct iovec *iov, int iovcnt, char *err,
                     size_t errlen)
{
    while (iovcnt > 0 && !c->write_closed) {
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
        /* MSG_NOSIGNAL: a daemon that went away is an error to report, not
         * a SIGPIPE that kills the client silently. */
        ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (n >= 0) {
            size_t left = (size_t)n;
            while (iovcnt > 0 && left >= iov->iov_len) {
                left -= iov->iov_len;
                iov++;
                iovcnt--;
            }
            if (iovcnt > 0) {
                iov->iov_base = (char *)iov->iov_base + left;
                iov->iov_len -= left;
            }
            continue;
        }
        int e = errno;
        if (e == EINTR)
            continue;
        if (e == EPIPE || e == ECONNRESET) {
            /* The server may have said why before closing; keep it for
             * ctl_conn_recv(). */
            c->write_closed = true;
            while (read_some(c) > 0)
                ;
            return 0;
        }
        if (e != EAGAIN && e != EWOULDBLOCK) {
            set_err(err, errlen, "cannot send to spand at %s: %s", c->path,
                    strerror(e));
            return -e;
        }
        int ev = wait_fd(c->fd, POLLIN | POLLOUT);
        if (ev < 0) {
            set_err(err, errlen, "poll: %s", strerror(-ev));
            return ev;
        }
        if (ev & (POLLIN | POLLHUP | POLLERR)) {
            if (read_some(c) < 0) {
                set_err(err, errlen, "out of memory");
                return -ENOMEM;
            }
        }
    }
    return 0;
}

int ctl_conn_send(ctl_conn_t *c, const char *method, const char *params,
                  size_t params_len, char *err, size_t errlen)
{
    /* The method goes through jansson for correct escaping; it is short. */
    json_t *m = json_string(method);
    char *mtext = m ? json_dumps(m, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(m);
    if (!mtext) {
        set_err(err, errlen,
                m ? "out of memory" : "method name is not valid UTF-8");
        return m ? -ENOMEM : -EINVAL;
    }
    char head[96];
    int hn =
        snprintf(head, sizeof head,
                 "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":", c->next_id);
    if (hn < 0 || (size_t)hn >= sizeof head) {
        free(mtext);
        set_err(err, errlen, "request header too long");
        return -EINVAL;
    }
    static const char mid[] = ",\"params\":";
    static const char tail[] = "}\n";
    struct iovec iov[5];
    int n = 0;
    iov[n++] = (struct iovec){head, (size_t)hn};
    iov[n++] = (struct iovec){mtext, strlen(mtext)};
    if (params) {
        iov[n++] = (struct iovec){(void *)mid, sizeof mid - 1};
        iov[n++] = (struct iovec){(void *)params, params_len};
    }
    iov[n++] = (struct iovec){(void *)tail, sizeof tail - 1};
    int rc = write_all(c, iov, n, err, errlen);
    free(mtext);
    if (rc < 0)
        return rc;
    c->next_id++;
    c->pending++;
    return 0;
}

/* Find the next complete line in rbuf; returns its length (without the
 * LF, CR stripped) and sets *line, or -1 when none is complete yet. */
static long long next_line(ctl_conn_t *c, char **line)
{
    if (c->rscan == c->rlen)
        return -1; /* also before the first read, when rbuf is NULL */
    char *nl = memchr(c->rbuf + c->rscan, '\n', c->rlen - c->rscan);
    if (!nl) {
        c->rscan = c->rlen;
        return -1;
    }
    *line = c->rbuf + c->rpos;
    size_t len = (size_t)(nl - *line);
    c->rpos = c->rscan = (size_t)(nl - c->rbuf) + 1;
    if (len > 0 && (*line)[len - 1] == '\r')
        len--;
    return (long long)len;
}

/* Interpret one response line. Returns 1 when it answered a request, 0 for
 * a line to skip (empty, or a notification), negative on a bad message. */
static int parse_reply(ctl_conn_t *c, const char *line, size_t len,
                       ctl_reply_t *r, char *err, size_t errlen)
{
    if (len == 0)
        return 0;
    json_error_t je;
    json_t *doc = json_loadb(line, len, 0, &je);
    if (!doc) {
        set_err(err, errlen, "malformed response from spand: %s", je.text);
        return -EPROTO;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        set_err(err, errlen, "malformed response from spand: not an object");
        return -EPROTO;
    }
    json_t *id = json_object_get(doc, "id");
    json_t *method = json_object_get(doc, "method");
    if (!id || method) {
        /* A notification (for example progress). */
        if (c->notify && json_is_string(method))
            c->notify(json_string_value(method), json_object_get(doc, "params"),
                      c->notify_data);
        json_decref(doc);
        return 0;
    }
    json_t *result = json_object_get(doc, "result");
    json_t *error = json_object_get(doc, "error");
    unsigned long long want = c->next_id - c->pending;
    /* A null id is how a server answers a request it could not read; it
     * still takes the place of the oldest one, as answers come in order. */
    if (!json_is_null(id) &&
        (!json_is_integer(id) || json_integer_value(id) < 0 ||
         (unsigned long long)json_integer_value(id) != want)) {
        json_decref(doc);
        set_err(err, errlen,
                "response from spand out of order (expected id %llu)", want);
        return -EPROTO;
    }
    memset(r, 0, sizeof *r);
    r->doc = doc;
    if (error) {
        json_t *code = json_object_get(error, "code");
        json_t *msg = json_object_get(error, "message");
        r->code = json_is_integer(code) ? json_integer_value(code) : -32603;
        if (r->code == 0)
            r->code = -32603; /* 0 means success to our callers */
        r->message =
            json_is_string(msg) ? json_string_value(msg) : "(no message)";
        r->data = json_object_get(error, "data");
    } else if (result) {
        r->result = result;
    } else {
        json_decref(doc);
        memset(r, 0, sizeof *r);
        set_err(err, errlen,
                "malformed response from spand: neither result nor error");
        return -EPROTO;
    }
    c->pending--;
    return 1;
}

int ctl_conn_recv(ctl_conn_t *c, ctl_reply_t *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (c->pending == 0) {
        set_err(err, errlen, "no request is waiting for a response");
        return -EINVAL;
    }
    for (;;) {
        char *line;
        long long len;
        while ((len = next_line(c, &line)) >= 0) {
            int rc = parse_reply(c, line, (size_t)len, r, err, errlen);
            if (rc != 0)
                return rc < 0 ? rc : 0;
        }
        if (c->eof || c->read_errno == ECONNRESET) {
            set_err(err, errlen,
                    "spand closed the connection with %zu request%s "
                    "unanswered",
                    c->pending, c->pending == 1 ? "" : "s");
            return -ECONNRESET;
        }
        if (c->read_errno) {
            set_err(err, errlen, "cannot read from spand at %s: %s", c->path,
                    strerror(c->read_errno));
            return -c->read_errno;
        }
        int rd = read_some(c);
        if (rd < 0) {
            set_err(err, errlen, "out of memory");
            return rd;
        }
        if (rd > 0 || c->eof || c->read_errno)
            continue;
        int ev = wait_fd(c->fd, POLLIN);
        if (ev < 0) {
            set_err(err, errlen, "poll: %s", strerror(-ev));
            return ev;
        }
    }
}

int ctl_conn_call(ctl_conn_t *c, const char *method, const json_t *params,
                  ctl_reply_t *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    char *text = NULL;
    if (params) {
        text = json_dumps(params, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text) {
            set_err(err, errlen, "cannot encode the parameters");
            return -ENOMEM;
        }
    }
    int rc =
        ctl_conn_send(c, method, text, text ? strlen(text) : 0, err, errlen);
    free(text);
    if (rc < 0)
        return rc;
    return ctl_conn_recv(c, r, err, errlen);
}

void ctl_reply_clear(ctl_reply_t *r)
{
    json_decref(r->doc);
    memset(r, 0, sizeof *r);
}
