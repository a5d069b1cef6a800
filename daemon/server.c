/* server.c - see server.h. Everything here runs on the loop thread. */
#include "server.h"

#include <errno.h>
#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "answer.h"
#include "cache.h"
#include "dispatch.h"
#include "engine.h"
#include "frame.h"
#include "loader.h"
#include "log.h"
#include "rpc.h"
#include "store.h"

#define READ_CHUNK (64 * 1024)
#define RATE_WINDOW 60      /* seconds in the ingest-rate average */
#define STOP_GRACE_MS 30000 /* how long a stop waits for slow clients */
/* A streamed body is read in chunks of this size, and the next chunk only
 * once less than this is waiting to be written: at most about two chunks
 * of a body are in memory per connection, whatever its length. */
#define BODY_CHUNK (256 * 1024)
/* uv_buf_t holds an unsigned int: longer output goes out in pieces. */
#define WRITE_PIECE ((size_t)1 << 30)
/* Give memory back to the system (malloc_trim) once the in-flight bytes
 * are back to zero after they reached this much, at most once a second. */
#define TRIM_HIGH_WATER ((size_t)4 << 20)
#define TRIM_EVERY_MS 1000
/* Blocks from this size up are mapped on their own (see server_start). */
#define MMAP_THRESHOLD (4 << 20)
/* Warnings a client can provoke at will (refused connections, timeouts)
 * are logged at most once per this period, with a count of the rest. */
#define LOG_PERIOD_MS 10000

/* One class of rate-limited log lines. */
typedef struct ratelog {
    const char *what; /* "refused", for the summary line */
    uint64_t next_ms; /* when a line may be written again */
    unsigned suppressed;
} ratelog_t;

typedef struct conn {
    uv_pipe_t pipe; /* first: the handle's address is the conn's */
    struct server *srv;
    frame_t frame;
    size_t frame_counted; /* frame_memory() as counted in inflight_bytes */
    rpc_req_t *qhead, *qtail;
    unsigned queued;    /* requests in the queue, answered or not */
    unsigned working;   /* of those, not yet answered */
    size_t held;        /* bytes of answers waiting in the queue */
    size_t out_pending; /* bytes handed to uv_write, not yet written */
    /* rbuf[rpos, rlen): read but not framed yet, because the connection
     * reached one of its limits in the middle of a read. */
    size_t rpos, rlen;
    uint64_t last_active; /* ms: last byte read or written, last answer */
    uint64_t line_start;  /* ms: the current partial line began */
    /* The streamed body of the request at the head of the queue. */
    bool head_started; /* its out has been sent */
    int body_fd;       /* taken from the request; -1: none */
    uint64_t body_off, body_left;
    uv_fs_t fs; /* a chunk read in flight (fs_busy) */
    char *chunk;
    bool fs_busy;
    bool reading, eof, finished, closing, closed, refuse, feeding, flushing;
    access_peer_t peer; /* who is connected (SO_PEERCRED at accept) */
    struct conn *prev, *next;
    char rbuf[READ_CHUNK];
} conn_t;

struct write_req {
    uv_write_t w;
    conn_t *c;
    char *data;
    size_t len;
};

struct server {
    uv_loop_t *loop;
    config_t cfg;
    store_t *store;
    loader_registry_t plugins;
    engine_t *engine;
    cache_t *results;
    uv_pipe_t listener;
    bool listening, socket_created;
    uv_signal_t sig[3];
    uv_timer_t tick;
    uv_timer_t drain;
    uv_timer_t sweep; /* idle and request timeouts */
    uv_timer_t wake;  /* hands on the pass to finish a line (line_owner) */
    conn_t *conns;
    unsigned nconns;
    uint64_t requests;
    uint64_t start_ms;
    uint64_t rate_items[RATE_WINDOW + 1];
    uint64_t rate_ms[RATE_WINDOW + 1];
    unsigned rate_pos, rate_n;
    bool stopping, torn_down;
    uint64_t stop_deadline;
    unsigned active_work; /* thread-pool jobs that may use the store */
    /* Memory that clients' requests hold, all connections: unanswered
     * requests (line and parse tree), partial lines, answers not yet sent
     * and output not yet written. */
    size_t inflight_bytes;
    bool over_budget;     /* inflight_bytes >= max_inflight_bytes */
    size_t inflight_high; /* highest inflight_bytes since the last trim */
    uint64_t next_trim;   /* ms */
    bool trimming;
    uv_work_t trim_work;
    /* Over budget, one connection at a time may go on reading the line it
     * is in the middle of, so that a line longer than the budget still
     * arrives; the others wait. */
    conn_t *line_owner;
    ratelog_t log_refused, log_timeout, log_accept, log_access;
    rpc_host_t host;      /* what every request is handed (rpc.h) */
    uv_timer_t retention; /* [privacy] retention_days, at start and daily */
};

static void inflight_add(server_t *srv, size_t n);
static void inflight_sub(server_t *srv, size_t n);

static void conn_close(conn_t *c);
static void conn_update_reading(conn_t *c);
static void conn_flush(conn_t *c);

/* ---- rate-limited logging -------------------------------------------- */

/* Whether a line of class r may be written now; if so, *suppressed gets
 * how many were held back since the last one. */
static bool ratelog_pass(ratelog_t *r, uint64_t now, unsigned *suppressed)
{
    if (now < r->next_ms) {
        r->suppressed++;
        return false;
    }
    *suppressed = r->suppressed;
    r->suppressed = 0;
    r->next_ms = now + LOG_PERIOD_MS;
    return true;
}

/* Called periodically: report what was held back, once its period is
 * over, so that no count is lost however the burst ends. */
static void ratelog_flush(ratelog_t *r, uint64_t now)
{
    if (r->suppressed && now >= r->next_ms) {
        log_warn("%u more %s in the last %d s", r->suppressed, r->what,
                 LOG_PERIOD_MS / 1000);
        r->suppressed = 0;
        r->next_ms = now + LOG_PERIOD_MS;
    }
}

/* ---- writing --------------------------------------------------------- */

static void on_write(uv_write_t *w, int status)
{
    struct write_req *wr = (struct write_req *)w;
    conn_t *c = wr->c;
    c->out_pending -= wr->len;
    inflight_sub(c->srv, wr->len);
    free(wr->data);
    free(wr);
    if (c->closing)
        return;
    c->last_active = uv_now(c->srv->loop);
    if (status < 0) {
        log_debug("client write failed: %s", uv_strerror(status));
        conn_close(c);
        return;
    }
    if (c->refuse) {
        conn_close(c);
        return;
    }
    conn_flush(c); /* the next chunk of a body, or what waited behind it */
}

/* Send data (taking ownership) on c. Lengths past what a uv_buf_t holds
 * go out as several buffers of one write. */
static void conn_send(conn_t *c, char *data, size_t len)
{
    if (c->closing || len == 0) {
        free(data);
        return;
    }
    size_t npieces = len / WRITE_PIECE + (len % WRITE_PIECE != 0);
    uv_buf_t one, *bufs = npieces == 1 ? &one : calloc(npieces, sizeof *bufs);
    struct write_req *wr = malloc(sizeof *wr);
    if (!wr || !bufs) {
        free(data);
        free(wr);
        if (bufs != &one)
            free(bufs);
        log_err("out of memory writing to a client; closing it");
        conn_close(c);
        return;
    }
    for (size_t i = 0; i < npieces; i++) {
        size_t off = i * WRITE_PIECE;
        size_t n = len - off < WRITE_PIECE ? len - off : WRITE_PIECE;
        bufs[i] = uv_buf_init(data + off, (unsigned)n); /* n <= 1 GiB */
    }
    wr->c = c;
    wr->data = data;
    wr->len = len;
    /* uv_write copies the buffer descriptors, not the bytes. */
    int rc = uv_write(&wr->w, (uv_stream_t *)&c->pipe, bufs, (unsigned)npieces,
                      on_write);
    if (bufs != &one)
        free(bufs);
    if (rc < 0) {
        free(data);
        free(wr);
        conn_close(c);
        return;
    }
    c->out_pending += len;
    inflight_add(c->srv, len);
}

/* Send a buffer's contents (taking them). */
static void conn_send_buf(conn_t *c, buf_t *b)
{
    size_t len;
    char *data = buf_steal(b, &len);
    conn_send(c, data, len);
}

static void body_close(conn_t *c)
{
    if (c->body_fd >= 0)
        close(c->body_fd);
    c->body_fd = -1;
    c->body_left = 0;
}

/* The close callback has run and no chunk read is in flight: free c. */
static void conn_free_if_done(conn_t *c)
{
    if (!c->closed || c->fs_busy)
        return;
    body_close(c);
    free(c->chunk);
    frame_free(&c->frame);
    free(c);
}

static void on_body_read(uv_fs_t *fs)
{
    conn_t *c = fs->data;
    ssize_t n = fs->result;
    uv_fs_req_cleanup(fs);
    c->fs_busy = false;
    inflight_sub(c->srv, BODY_CHUNK);
    char *chunk = c->chunk;
    c->chunk = NULL;
    if (c->closing) {
        free(chunk);
        conn_free_if_done(c);
        return;
    }
    if (n <= 0 || (uint64_t)n > c->body_left) {
        /* The response's length is promised already: the only honest
         * thing left is to end the connection. */
        log_err("streaming a response: %s; closing the client",
                n < 0 ? uv_strerror((int)n) : "body shorter than announced");
        free(chunk);
        conn_close(c);
        return;
    }
    c->body_off += (uint64_t)n;
    c->body_left -= (uint64_t)n;
    conn_send(c, chunk, (size_t)n);
    conn_flush(c);
}

/* Read the next chunk of the head's body when little output waits.
 * Returns true while the body is not all sent. */
static bool body_pump(conn_t *c)
{
    if (c->body_left == 0)
        return false;
    if (c->fs_busy || c->out_pending >= BODY_CHUNK)
        return true;
    size_t n = c->body_left < BODY_CHUNK ? (size_t)c->body_left : BODY_CHUNK;
    c->chunk = malloc(BODY_CHUNK);
    if (!c->chunk) {
        log_err("out of memory streaming a response; closing the client");
        conn_close(c);
        return true;
    }
    uv_buf_t b = uv_buf_init(c->chunk, (unsigned)n); /* n <= BODY_CHUNK */
    c->fs.data = c;
    int rc = uv_fs_read(c->srv->loop, &c->fs, c->body_fd, &b, 1,
                        (int64_t)c->body_off, on_body_read);
    if (rc < 0) {
        log_err("streaming a response: %s; closing the client",
                uv_strerror(rc));
        free(c->chunk);
        c->chunk = NULL;
        conn_close(c);
        return true;
    }
    c->fs_busy = true;
    inflight_add(c->srv, BODY_CHUNK);
    return true;
}

/* Take the head request off the queue and free it. */
static void conn_pop(conn_t *c)
{
    rpc_req_t *req = c->qhead;
    c->qhead = req->next;
    if (!c->qhead)
        c->qtail = NULL;
    c->queued--;
    c->head_started = false;
    rpc_req_free(req);
}

/* Send the answers at the head of the queue, in order: each one's out,
 * then its streamed body chunk by chunk (the rest waits behind it), then
 * its tail. Answers are moved to the socket's write queue as they come,
 * so what a slow reader costs is counted in out_pending. Anything here
 * may close c (a failed write; a connection woken by the budget), which
 * frees the head request: c->closing is checked after each such step.
 * Not re-entered: an answer finished meanwhile is sent by this loop. */
static void conn_flush(conn_t *c)
{
    if (c->flushing)
        return;
    c->flushing = true;
    while (!c->closing && c->qhead && c->qhead->done) {
        rpc_req_t *req = c->qhead;
        if (!c->head_started) {
            c->head_started = true;
            if (req->body_fd >= 0 && req->body_len > 0) {
                c->body_fd = req->body_fd; /* ours now: closed by us */
                req->body_fd = -1;
                c->body_off = 0;
                c->body_left = req->body_len;
            }
            size_t held = req->out.len + req->tail.len;
            c->held -= held;
            inflight_add(c->srv, req->tail.len); /* still in memory */
            inflight_sub(c->srv, held);
            if (c->closing)
                break;
            conn_send_buf(c, &req->out);
            if (c->closing)
                break;
        }
        if (body_pump(c))
            break; /* the rest waits for the body (or c closed) */
        body_close(c);
        size_t tail = req->tail.len;
        conn_send_buf(c, &req->tail); /* counted in out_pending now */
        inflight_sub(c->srv, tail);
        if (c->closing)
            break;
        conn_pop(c);
    }
    c->flushing = false;
    if (!c->closing)
        conn_update_reading(c);
}

/* rpc_host_t.notify */
static void host_notify(rpc_req_t *req, const char *line, size_t len)
{
    conn_t *c = req->conn;
    /* Progress is advisory: never let it pile up, nor cut into an answer
     * whose body is being streamed. */
    if (!c || c->closing || c->head_started ||
        c->out_pending > c->srv->cfg.max_output_bytes)
        return;
    char *copy = malloc(len);
    if (!copy)
        return;
    memcpy(copy, line, len);
    conn_send(c, copy, len);
}

/* rpc_host_t.cost */
static void host_cost(rpc_req_t *req, size_t bytes)
{
    server_t *srv = req->host->server;
    if (req->done)
        return;
    if (bytes > req->cost)
        inflight_add(srv, bytes - req->cost);
    else
        inflight_sub(srv, req->cost - bytes);
    req->cost = bytes;
}

/* The error code of req's answer, 0 for a result. The answer line starts
 * {"jsonrpc":"2.0","id":ID,"error":{"code":N (rpc.c writes it so). */
static int answer_code(const rpc_req_t *req)
{
    static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":";
    static const char err[] = ",\"error\":{\"code\":";
    const char *p = req->out.data;
    size_t n = req->out.len;
    if (n < sizeof head || memcmp(p, head, sizeof head - 1) != 0)
        return 0;
    buf_t id = BUF_INIT;
    int code = 0;
    /* An error may carry the request's id or null (rpc_fail). */
    const json_t *ids[] = {req->id ? req->id : json_null(), json_null()};
    for (int i = 0; i < 2 && !code; i++) {
        buf_clear(&id);
        if (rpc_id_text(ids[i], &id) < 0)
            break;
        size_t at = sizeof head - 1 + id.len;
        if (n > at + sizeof err &&
            memcmp(p + sizeof head - 1, id.data, id.len) == 0 &&
            memcmp(p + at, err, sizeof err - 1) == 0)
            code = atoi(p + at + sizeof err - 1);
    }
    buf_free(&id);
    return code;
}

/* Put req (answered) in the audit trail, if its method is audited. */
static void audit_request(server_t *srv, rpc_req_t *req)
{
    if (!req->audit_method || !srv->store)
        return;
    int code = answer_code(req);
    int64_t rows = req->audit_rows;
    if (rows < 0 && req->answer && code == 0) {
        size_t nv = answer_rows(req->answer);
        rows =
            req->top >= 0 && (uint64_t)req->top < nv ? req->top : (int64_t)nv;
    }
    store_audit_t a = {.ts = (int64_t)time(NULL),
                       .uid = req->uid,
                       .pid = req->pid,
                       .user = req->user,
                       .method = req->audit_method,
                       .target = req->audit_target,
                       .outcome = code == 0               ? "ok"
                                  : code == RPC_FORBIDDEN ? "refused"
                                                          : "error",
                       .code = code,
                       .rows = code == 0 ? rows : -1};
    if (store_audit(srv->store, &a) == -ENOMEM)
        log_err("out of memory: an audit line is lost");
}

/* rpc_host_t.done */
static void host_req_done(rpc_req_t *req)
{
    server_t *srv = req->host->server;
    audit_request(srv, req);
    req->done = true;
    /* The answer is written: the parse tree has served its purpose. Free
     * it now rather than when the answer has been sent. */
    json_decref(req->msg);
    req->msg = NULL;
    size_t cost = req->cost;
    req->cost = 0;
    conn_t *c = req->conn;
    if (!c) {
        rpc_req_free(req); /* the client left; nobody wants the answer */
        inflight_sub(srv, cost);
        return;
    }
    c->working--;
    c->last_active = uv_now(srv->loop);
    size_t held = req->out.len + req->tail.len;
    c->held += held;
    inflight_add(srv, held);
    /* req may be sent and freed from here on (the budget may wake c). */
    inflight_sub(srv, cost);
    conn_flush(c);
}

/* ---- reading --------------------------------------------------------- */

/* Whether c may have another request framed and dispatched: fewer than
 * max_pipeline in its queue, fewer than max_output_bytes of answers
 * waiting for it, and, over the in-flight budget, nothing outstanding
 * (so that every client can still get one request through). */
static bool conn_can_take(const conn_t *c)
{
    const server_t *srv = c->srv;
    const config_t *cfg = &srv->cfg;
    if (c->closing || srv->stopping)
        return false;
    if (c->queued >= cfg->max_pipeline)
        return false;
    if (c->held + c->out_pending >= cfg->max_output_bytes)
        return false;
    return !srv->over_budget || c->queued == 0;
}

/* The pass to finish a line over the budget is free (its holder finished
 * its line or left) while partial lines still hold the budget: let one of
 * the waiting connections take it. */
static void on_wake(uv_timer_t *t)
{
    server_t *srv = t->data;
    conn_t *c = srv->conns;
    while (c && srv->over_budget && !srv->line_owner) {
        conn_t *next = c->next; /* c may close */
        conn_update_reading(c);
        c = next;
    }
}

/* Release c's pass, and hand it on from the loop (not from here, deep in
 * c's framing). */
static void line_owner_release(conn_t *c)
{
    server_t *srv = c->srv;
    if (srv->line_owner != c)
        return;
    srv->line_owner = NULL;
    if (!srv->torn_down && !uv_is_active((uv_handle_t *)&srv->wake))
        uv_timer_start(&srv->wake, on_wake, 0, 0);
}

/* Keep the framer's memory counted in the in-flight budget. */
static void conn_count_frame(conn_t *c)
{
    server_t *srv = c->srv;
    size_t now = frame_memory(&c->frame);
    if (now > c->frame_counted)
        inflight_add(srv, now - c->frame_counted);
    else if (now < c->frame_counted)
        inflight_sub(srv, c->frame_counted - now);
    c->frame_counted = now;
    if (frame_pending(&c->frame) == 0) {
        c->line_start = 0;
        line_owner_release(c);
    } else if (c->line_start == 0) {
        c->line_start = uv_now(srv->loop);
    }
}

static int on_frame(void *ctx, frame_event_t ev, const char *line, size_t len)
{
    conn_t *c = ctx;
    server_t *srv = c->srv;
    rpc_req_t *req = rpc_req_new(&srv->host, c);
    if (!req) {
        log_err("out of memory for a request; closing client");
        return -ENOMEM;
    }
    req->roles = c->peer.roles;
    req->uid = c->peer.uid;
    req->pid = c->peer.pid;
    snprintf(req->user, sizeof req->user, "%s", c->peer.user);
    if (c->qtail)
        c->qtail->next = req;
    else
        c->qhead = req;
    c->qtail = req;
    c->queued++;
    c->working++;
    srv->requests++;
    char msg[160];
    switch (ev) {
    case FRAME_LINE:
        req->cost = len;
        inflight_add(srv, len);
        dispatch_line(req, line, len);
        break;
    case FRAME_OVERSIZE:
        snprintf(msg, sizeof msg,
                 "request line of %zu bytes exceeds max_request_bytes (%zu)",
                 len, srv->cfg.max_request_bytes);
        rpc_fail(req, RPC_INVALID_REQUEST, msg);
        break;
    case FRAME_TRUNCATED:
        rpc_fail(req, RPC_PARSE_ERROR,
                 "truncated request: the stream ended before a newline");
        break;
    }
    /* Stop framing the moment a limit is reached; the rest of the read
     * waits in rbuf (max_pipeline is per request, not per read). */
    return conn_can_take(c) ? 0 : FRAME_PAUSE;
}

/* Frame what was read and not yet framed, as far as c's limits allow;
 * after EOF, once all is framed, report a last incomplete line. */
static void conn_feed(conn_t *c)
{
    if (c->feeding)
        return; /* called back from a request answered while framing */
    c->feeding = true;
    while (!c->closing && c->rpos < c->rlen && conn_can_take(c)) {
        size_t used = 0;
        int rc = frame_feed_some(&c->frame, c->rbuf + c->rpos,
                                 c->rlen - c->rpos, on_frame, c, &used);
        c->rpos += used;
        if (rc < 0) {
            conn_close(c);
            break;
        }
    }
    if (!c->closing && c->rpos == c->rlen) {
        c->rpos = c->rlen = 0;
        if (c->eof && !c->finished) {
            c->finished = true;
            if (frame_finish(&c->frame, on_frame, c) < 0)
                conn_close(c);
        }
    }
    if (!c->closing)
        conn_count_frame(c);
    c->feeding = false;
}

/* After EOF: has the client closed its socket entirely, rather than just
 * its sending side? A Unix socket whose peer is gone polls as POLLHUP;
 * after shutdown(SHUT_WR) it does not, and the client still reads. */
static bool conn_peer_gone(conn_t *c)
{
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0)
        return true;
    struct pollfd pf = {fd, POLLOUT, 0};
    return poll(&pf, 1, 0) == 1 && (pf.revents & (POLLHUP | POLLERR));
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    conn_t *c = (conn_t *)h;
    (void)suggested;
    /* Only called while reading, which is only while rbuf is empty. */
    *b = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    conn_t *c = (conn_t *)s;
    (void)b;
    if (n > 0) {
        c->rpos = 0;
        c->rlen = (size_t)n;
        c->last_active = uv_now(c->srv->loop);
        conn_feed(c);
    } else if (n == UV_EOF) {
        /* The client may have only shut down its sending side: answer
         * everything it asked before closing. */
        c->eof = true;
        conn_feed(c);
        /* Gone for good: nobody will read the answers; stop the work. */
        if (!c->closing && c->qhead && conn_peer_gone(c)) {
            conn_close(c);
            return;
        }
    } else if (n < 0) {
        log_debug("client read: %s", uv_strerror((int)n));
        conn_close(c);
        return;
    }
    if (!c->closing)
        conn_update_reading(c);
}

/* Over the budget, a connection in the middle of a line reads on only if
 * it holds the one pass (srv->line_owner) or takes it. */
static bool conn_line_may_grow(conn_t *c)
{
    server_t *srv = c->srv;
    if (!srv->over_budget || frame_pending(&c->frame) == 0)
        return true;
    if (!srv->line_owner)
        srv->line_owner = c;
    return srv->line_owner == c;
}

static void conn_set_reading(conn_t *c, bool want)
{
    if (want && !c->reading) {
        if (uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) == 0) {
            c->reading = true;
            /* Time we did not read is not the client's: the request
             * timeout starts again. */
            if (c->line_start)
                c->line_start = uv_now(c->srv->loop);
        }
    } else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->pipe);
        c->reading = false;
    }
}

/* Frame what waits, then read while the client is within its limits;
 * close once it has left and everything it asked is answered. */
static void conn_update_reading(conn_t *c)
{
    if (c->closing || c->feeding)
        return;
    if (c->rpos < c->rlen || (c->eof && !c->finished))
        conn_feed(c);
    if (c->closing)
        return;
    if (c->eof || c->srv->stopping) {
        conn_set_reading(c, false);
        if (c->eof && c->finished && !c->qhead && c->out_pending == 0)
            conn_close(c);
        return;
    }
    conn_set_reading(c, c->rpos == c->rlen && conn_can_take(c) &&
                            conn_line_may_grow(c));
}

static void on_trim_work(uv_work_t *w)
{
    (void)w;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

static void after_trim_work(uv_work_t *w, int status)
{
    server_t *srv = w->data;
    (void)status;
    srv->trimming = false;
    srv->active_work--;
}

/* After a burst: the budget is back to zero, but glibc keeps the freed
 * pages of every arena; hand them back (off the loop: it walks the heap). */
static void maybe_trim(server_t *srv)
{
    uint64_t now = uv_now(srv->loop);
    if (srv->inflight_bytes || srv->inflight_high < TRIM_HIGH_WATER ||
        srv->trimming || now < srv->next_trim || srv->torn_down)
        return;
    srv->trim_work.data = srv;
    if (uv_queue_work(srv->loop, &srv->trim_work, on_trim_work,
                      after_trim_work) < 0)
        return;
    log_debug("giving memory back after a burst of %zu bytes in flight",
              srv->inflight_high);
    srv->trimming = true;
    srv->active_work++;
    srv->inflight_high = 0;
    srv->next_trim = now + TRIM_EVERY_MS;
}

static void inflight_add(server_t *srv, size_t n)
{
    srv->inflight_bytes += n;
    if (srv->inflight_bytes > srv->inflight_high)
        srv->inflight_high = srv->inflight_bytes;
    srv->over_budget = srv->inflight_bytes >= srv->cfg.max_inflight_bytes;
}

/* Leaving the over-budget state wakes the connections it paused. */
static void inflight_sub(server_t *srv, size_t n)
{
    srv->inflight_bytes -= n;
    bool was = srv->over_budget;
    srv->over_budget = srv->inflight_bytes >= srv->cfg.max_inflight_bytes;
    if (was && !srv->over_budget) {
        srv->line_owner = NULL;
        conn_t *c = srv->conns;
        while (c) {
            conn_t *next = c->next; /* c may close */
            conn_update_reading(c);
            c = next;
        }
    }
    if (srv->inflight_bytes == 0)
        maybe_trim(srv);
}

static void on_conn_closed(uv_handle_t *h)
{
    conn_t *c = (conn_t *)h;
    c->closed = true;
    conn_free_if_done(c);
}

static void conn_close(conn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    server_t *srv = c->srv;
    /* Unfinished requests live on and are freed when they finish. */
    rpc_req_t *req = c->qhead;
    bool first = true;
    while (req) {
        rpc_req_t *next = req->next;
        req->next = NULL;
        if (req->done) {
            if (!first || !c->head_started) {
                size_t held = req->out.len + req->tail.len;
                c->held -= held;
                inflight_sub(srv, held);
            } else {
                inflight_sub(srv, req->tail.len);
            }
            rpc_req_free(req);
        } else {
            req->conn = NULL;
            if (req->on_cancel)
                req->on_cancel(req); /* e.g. stop its analysis */
        }
        first = false;
        req = next;
    }
    c->qhead = c->qtail = NULL;
    c->queued = c->working = 0;
    if (!c->fs_busy)
        body_close(c); /* else when the read in flight returns */
    /* The framer's memory is freed with c: a line being framed may still
     * be in use up the stack. */
    inflight_sub(srv, c->frame_counted);
    c->frame_counted = 0;
    line_owner_release(c);
    if (c->prev)
        c->prev->next = c->next;
    else if (srv->conns == c)
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (!c->refuse)
        srv->nconns--;
    uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

/* Tell a client why it is not served, then close. */
static void conn_refuse(conn_t *c)
{
    server_t *srv = c->srv;
    c->refuse = true;
    buf_t b = BUF_INIT;
    if (buf_printf(&b,
                   "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
                   "%d,\"message\":\"%s (limit %u)\"}}\n",
                   srv->stopping ? RPC_SHUTTING_DOWN : RPC_TOO_MANY_CONNECTIONS,
                   srv->stopping ? "server is shutting down"
                                 : "too many connections",
                   srv->cfg.max_connections) < 0) {
        conn_close(c);
        return;
    }
    unsigned more;
    if (!srv->stopping &&
        ratelog_pass(&srv->log_refused, uv_now(srv->loop), &more)) {
        if (more)
            log_warn("refused a client: %u connections (max_connections "
                     "%u); %u more refused in the last %d s",
                     srv->nconns, srv->cfg.max_connections, more,
                     LOG_PERIOD_MS / 1000);
        else
            log_warn("refused a client: %u connections (max_connections "
                     "%u)",
                     srv->nconns, srv->cfg.max_connections);
    }
    conn_send_buf(c, &b);
}

/* Refuse a client that has no role: one error line, then close. */
static void conn_refuse_access(conn_t *c)
{
    server_t *srv = c->srv;
    c->refuse = true;
    buf_t b = BUF_INIT;
    if (buf_printf(&b,
                   "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
                   "%d,\"message\":\"permission denied: uid %lu has no role "
                   "in [access]\",\"data\":{\"role\":\"none\"}}}\n",
                   RPC_FORBIDDEN, (unsigned long)c->peer.uid) < 0) {
        conn_close(c);
        return;
    }
    store_audit_t a = {.ts = (int64_t)time(NULL),
                       .uid = c->peer.uid,
                       .pid = c->peer.pid,
                       .user = c->peer.user,
                       .method = "connect",
                       .outcome = "refused",
                       .code = RPC_FORBIDDEN,
                       .rows = -1};
    store_audit(srv->store, &a);
    unsigned more;
    if (ratelog_pass(&srv->log_access, uv_now(srv->loop), &more))
        log_notice("refused a client without a role: uid %lu (%u more "
                   "refused before)",
                   (unsigned long)c->peer.uid, more);
    conn_send_buf(c, &b);
}

static void on_connection(uv_stream_t *l, int status)
{
    server_t *srv = l->data;
    unsigned more;
    if (status < 0) {
        if (ratelog_pass(&srv->log_accept, uv_now(srv->loop), &more))
            log_warn("accept: %s (%u more accept errors before)",
                     uv_strerror(status), more);
        return;
    }
    conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        log_err("out of memory accepting a client");
        return;
    }
    c->srv = srv;
    c->body_fd = -1;
    c->last_active = uv_now(srv->loop);
    frame_init(&c->frame, srv->cfg.max_request_bytes);
    if (uv_pipe_init(srv->loop, &c->pipe, 0) < 0) {
        free(c);
        return;
    }
    if (uv_accept(l, (uv_stream_t *)&c->pipe) < 0) {
        uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
        return;
    }
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
        access_peer(fd, &srv->cfg, &c->peer) < 0 || !c->peer.roles) {
        conn_refuse_access(c);
        return;
    }
    if (srv->nconns >= srv->cfg.max_connections || srv->stopping) {
        conn_refuse(c);
        return;
    }
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    conn_update_reading(c);
}

/* ---- timeouts ---------------------------------------------------------- */

/* Close c if it has outstayed a timeout; true if closed. A connection
 * with a request being worked on is never closed for waiting. */
static bool conn_timed_out(conn_t *c, uint64_t now)
{
    server_t *srv = c->srv;
    const config_t *cfg = &srv->cfg;
    if (c->closing || c->working)
        return false;
    const char *why = NULL;
    uint64_t limit = 0;
    if (frame_pending(&c->frame) && !c->reading)
        return false; /* we paused it (budget): not the client's doing */
    if (frame_pending(&c->frame)) {
        limit = cfg->request_timeout_ms;
        if (limit && now - c->line_start >= limit)
            why = "request line not finished";
    } else {
        limit = cfg->idle_timeout_ms;
        if (limit && now - c->last_active >= limit)
            why = c->out_pending ? "answers not read" : "idle";
    }
    if (!why)
        return false;
    unsigned more;
    if (ratelog_pass(&srv->log_timeout, now, &more))
        log_notice("closed a client: %s for %" PRIu64 " ms (%u more closed "
                   "for a timeout before)",
                   why, limit, more);
    conn_close(c);
    return true;
}

static void on_sweep(uv_timer_t *t)
{
    server_t *srv = t->data;
    uint64_t now = uv_now(srv->loop);
    conn_t *c = srv->conns;
    while (c) {
        conn_t *next = c->next;
        conn_timed_out(c, now);
        c = next;
    }
    ratelog_flush(&srv->log_refused, now);
    ratelog_flush(&srv->log_timeout, now);
    ratelog_flush(&srv->log_accept, now);
    ratelog_flush(&srv->log_access, now);
    maybe_trim(srv);
}

/* Look at the timeouts four times per the shortest of them (at least
 * every second, at most every 50 ms). */
static void sweep_start(server_t *srv)
{
    uint64_t every = 1000;
    uint64_t t[2] = {srv->cfg.idle_timeout_ms, srv->cfg.request_timeout_ms};
    for (int i = 0; i < 2; i++)
        if (t[i] && t[i] / 4 < every)
            every = t[i] / 4;
    if (every < 50)
        every = 50;
    uv_timer_start(&srv->sweep, on_sweep, every, every);
}

/* ---- the socket ------------------------------------------------------ */

/* A socket file left by a dead daemon is replaced; one a live daemon
 * answers on is not. */
static int check_existing_socket(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT
                   ? 0
                   : (snprintf(err, errlen, "%s: %s", path, strerror(errno)),
                      -1);
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen,
                 "%s exists and is not a socket; not replacing "
                 "it",
                 path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    int e = errno;
    close(fd);
    if (rc == 0) {
        snprintf(err, errlen,
                 "another spand is already listening on %s; stop it first "
                 "or choose another socket",
                 path);
        return -1;
    }
    if (e != ECONNREFUSED) {
        snprintf(err, errlen, "cannot probe existing socket %s: %s", path,
                 strerror(e));
        return -1;
    }
    if (unlink(path) < 0) {
        snprintf(err, errlen, "cannot remove stale socket %s: %s", path,
                 strerror(errno));
        return -1;
    }
    log_notice("removed stale socket %s left by a daemon that is gone", path);
    return 0;
}

static int listen_socket(server_t *srv, char *err, size_t errlen)
{
    const char *path = srv->cfg.socket;
    if (check_existing_socket(path, err, errlen) < 0)
        return -1;
    int rc = uv_pipe_init(srv->loop, &srv->listener, 0);
    if (rc < 0) {
        snprintf(err, errlen, "uv_pipe_init: %s", uv_strerror(rc));
        return -1;
    }
    srv->listener.data = srv;
    srv->listening = true;
    /* Bind with a tight umask, then widen to socket_mode: the socket is
     * never more open than configured, not even for an instant. */
    mode_t old = umask(0177);
    rc = uv_pipe_bind(&srv->listener, path);
    umask(old);
    if (rc < 0) {
        snprintf(err, errlen, "cannot bind %s: %s", path, uv_strerror(rc));
        return -1;
    }
    srv->socket_created = true;
    if (chmod(path, srv->cfg.socket_mode) < 0) {
        snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
        return -1;
    }
    rc = uv_listen((uv_stream_t *)&srv->listener, 128, on_connection);
    if (rc < 0) {
        snprintf(err, errlen, "listen %s: %s", path, uv_strerror(rc));
        return -1;
    }
    return 0;
}

/* ---- signals, timers, lifecycle -------------------------------------- */

static void on_signal(uv_signal_t *h, int signum)
{
    server_t *srv = h->data;
    if (signum == SIGHUP) {
        char err[512];
        if (server_reload(srv, NULL, err, sizeof err) < 0)
            log_err("reload failed, keeping the running config: %s", err);
        return;
    }
    server_stop(srv, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void on_tick(uv_timer_t *t)
{
    server_t *srv = t->data;
    store_counts_t cnt;
    store_counts(srv->store, &cnt);
    srv->rate_pos = (srv->rate_pos + 1) % (RATE_WINDOW + 1);
    srv->rate_items[srv->rate_pos] = cnt.items_ingested;
    srv->rate_ms[srv->rate_pos] = uv_now(srv->loop);
    if (srv->rate_n < RATE_WINDOW + 1)
        srv->rate_n++;
    /* A half-closed client waiting for a long answer may have left since;
     * look once a second, so its analysis does not run on for nobody. */
    conn_t *c = srv->conns;
    while (c) {
        conn_t *next = c->next;
        if (c->eof && c->qhead && conn_peer_gone(c))
            conn_close(c);
        c = next;
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

/* ---- retention ([privacy] retention_days) ------------------------------ */

#define RETENTION_EVERY_MS (24u * 3600 * 1000)

static void retention_done(store_op_t *op, int rc)
{
    server_t *srv = op->ctx;
    if (rc < 0) {
        log_err("retention: records and events were not erased: %s", op->err);
    } else {
        log_notice("retention: erased %lld records and %lld events older "
                   "than %u days",
                   (long long)op->forget.records_removed,
                   (long long)op->forget.events_removed,
                   srv->cfg.retention_days);
        if (srv->host.results)
            cache_clear(srv->host.results, op->data_version);
        if (srv->host.engine)
            engine_drop_views(srv->host.engine, op->data_version);
    }
    if (srv->store) {
        char user[64];
        access_user_name(geteuid(), user, sizeof user);
        store_audit_t a = {.ts = (int64_t)time(NULL),
                           .uid = geteuid(),
                           .pid = getpid(),
                           .user = user,
                           .method = "retention",
                           .outcome = rc < 0 ? "error" : "ok",
                           .code = rc < 0 ? RPC_STORAGE_ERROR : 0,
                           .rows = rc < 0 ? -1
                                          : op->forget.records_removed +
                                                op->forget.events_removed};
        store_audit(srv->store, &a);
    }
    store_op_free(op);
}

static void on_retention(uv_timer_t *t)
{
    server_t *srv = t->data;
    if (!srv->cfg.retention_days || srv->stopping)
        return;
    store_op_t *op = store_op_new(STORE_OP_FORGET, retention_done, srv);
    if (!op) {
        log_err("retention: out of memory; trying again tomorrow");
        return;
    }
    op->forget_before =
        (int64_t)time(NULL) - (int64_t)srv->cfg.retention_days * 86400;
    int rc = store_submit(srv->store, op);
    if (rc < 0) {
        log_warn("retention: the store is %s; trying again tomorrow",
                 rc == -EBUSY ? "busy" : "closing");
        store_op_free(op);
    }
}

static void teardown(server_t *srv)
{
    if (srv->torn_down)
        return;
    srv->torn_down = true;
    while (srv->conns)
        conn_close(srv->conns);
    /* Analyses read the store: stop them first. */
    engine_free(srv->engine);
    srv->engine = NULL;
    loader_free(&srv->plugins);
    cache_free(srv->results);
    srv->results = NULL;
    /* A forget finishing in store_close must not reach them. */
    srv->host.results = NULL;
    srv->host.engine = NULL;
    store_close(srv->store);
    srv->store = NULL;
    uv_close((uv_handle_t *)&srv->retention, on_handle_closed);
    for (int i = 0; i < 3; i++)
        uv_close((uv_handle_t *)&srv->sig[i], on_handle_closed);
    uv_close((uv_handle_t *)&srv->tick, on_handle_closed);
    uv_close((uv_handle_t *)&srv->drain, on_handle_closed);
    uv_close((uv_handle_t *)&srv->sweep, on_handle_closed);
    uv_close((uv_handle_t *)&srv->wake, on_handle_closed);
    log_notice("stopped");
}

/* During a stop: wait until every client has its answers and every
 * queued write is committed, then close everything. */
static void on_drain(uv_timer_t *t)
{
    server_t *srv = t->data;
    bool busy = store_pending(srv->store) > 0;
    for (conn_t *c = srv->conns; c && !busy; c = c->next)
        if (c->qhead || c->out_pending)
            busy = true;
    /* A read running on the thread pool holds a store connection: the
     * store cannot close under it, whatever the deadline. */
    if (srv->active_work > 0 ||
        (busy && uv_now(srv->loop) < srv->stop_deadline))
        return;
    if (busy)
        log_warn("stop: clients still waiting after %d ms; closing them",
                 STOP_GRACE_MS);
    uv_timer_stop(t);
    teardown(srv);
}

/* ---- the host side of rpc.h --------------------------------------------- */

static void host_work_begin(void *server)
{
    ((server_t *)server)->active_work++;
}

static void host_work_end(void *server)
{
    ((server_t *)server)->active_work--;
}

static int host_reload(void *server, json_t **report, char *err, size_t errlen)
{
    return server_reload(server, report, err, errlen);
}

static void host_stop(void *server, const char *why)
{
    server_stop(server, why);
}

static void host_stats(void *server, rpc_host_stats_t *out)
{
    const server_t *srv = server;
    uint64_t now = uv_now(srv->loop);
    out->uptime_s = (double)(now - srv->start_ms) / 1000.0;
    out->connections = srv->nconns;
    out->requests = srv->requests;
    out->ingest_rate = 0;
    /* From the oldest sample in the window to this instant, so that a
     * load in the first second already shows a rate. */
    store_counts_t cnt;
    store_counts(srv->store, &cnt);
    unsigned oldest =
        (srv->rate_pos + RATE_WINDOW + 2 - srv->rate_n) % (RATE_WINDOW + 1);
    uint64_t ms = now - srv->rate_ms[oldest];
    if (srv->rate_n >= 1 && ms > 0)
        out->ingest_rate =
            (double)(cnt.items_ingested - srv->rate_items[oldest]) * 1000.0 /
            (double)ms;
}

void server_stop(server_t *srv, const char *why)
{
    if (srv->stopping)
        return;
    srv->stopping = true;
    log_notice("stopping (%s): finishing in-flight requests", why);
    if (srv->listening) {
        uv_close((uv_handle_t *)&srv->listener, on_handle_closed);
        srv->listening = false;
    }
    if (srv->socket_created && unlink(srv->cfg.socket) < 0 && errno != ENOENT)
        log_warn("cannot remove %s: %s", srv->cfg.socket, strerror(errno));
    srv->socket_created = false;
    conn_t *c = srv->conns;
    while (c) {
        conn_t *next = c->next; /* c may close */
        conn_update_reading(c);
        c = next;
    }
    /* Commits finish; analyses do not hold the stop up: they are
     * cancelled and their clients told so. */
    engine_cancel_all(srv->engine);
    srv->stop_deadline = uv_now(srv->loop) + STOP_GRACE_MS;
    uv_timer_start(&srv->drain, on_drain, 0, 10);
}

int server_start(uv_loop_t *loop, config_t *cfg, server_t **out, char *err,
                 size_t errlen)
{
    server_t *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    srv->loop = loop;
#ifdef __GLIBC__
    /* glibc raises its mmap threshold to the size of the largest block
     * freed (up to 32 MB): after one 15 MB request, the next ones come
     * from a thread's arena, whose top malloc_trim cannot give back. A
     * fixed threshold keeps large blocks mapped, returned when freed. */
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
#endif
    srv->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    srv->start_ms = uv_now(loop);
    loader_init(&srv->plugins);
    srv->host = (rpc_host_t){.loop = loop,
                             .cfg = &srv->cfg,
                             .plugins = &srv->plugins,
                             .server = srv,
                             .done = host_req_done,
                             .cost = host_cost,
                             .notify = host_notify,
                             .work_begin = host_work_begin,
                             .work_end = host_work_end,
                             .stats = host_stats,
                             .reload = host_reload,
                             .stop = host_stop};
    if (store_open(&srv->cfg, loop, &srv->store, err, errlen) < 0)
        goto fail;
    loader_scan(&srv->plugins, srv->cfg.builtin_dir, srv->cfg.plugin_dir,
                engine_api(), NULL);
    srv->results = cache_new((size_t)srv->cfg.result_cache_mb << 20);
    srv->engine = engine_new(loop, &srv->cfg, srv->store, err, errlen);
    if (!srv->results || !srv->engine)
        goto fail_store;
    srv->host.store = srv->store;
    srv->host.results = srv->results;
    srv->host.engine = srv->engine;
    if (listen_socket(srv, err, errlen) < 0)
        goto fail_store;
    static const int signums[3] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(loop, &srv->sig[i]);
        srv->sig[i].data = srv;
        uv_signal_start(&srv->sig[i], on_signal, signums[i]);
    }
    uv_timer_init(loop, &srv->tick);
    srv->tick.data = srv;
    uv_timer_start(&srv->tick, on_tick, 1000, 1000);
    uv_timer_init(loop, &srv->drain);
    srv->drain.data = srv;
    uv_timer_init(loop, &srv->sweep);
    srv->sweep.data = srv;
    uv_timer_init(loop, &srv->wake);
    srv->wake.data = srv;
    sweep_start(srv);
    srv->log_refused.what = "clients refused (max_connections)";
    srv->log_timeout.what = "clients closed for a timeout";
    srv->log_accept.what = "accept errors";
    srv->log_access.what = "clients refused (no role)";
    on_tick(&srv->tick);
    access_check_config(&srv->cfg);
    uv_timer_init(loop, &srv->retention);
    srv->retention.data = srv;
    uv_timer_start(&srv->retention, on_retention, 0, RETENTION_EVERY_MS);
    *out = srv;
    return 0;
fail_store:
    if (srv->listening)
        uv_close((uv_handle_t *)&srv->listener, on_handle_closed);
    if (srv->socket_created)
        unlink(srv->cfg.socket);
    engine_free(srv->engine);
    cache_free(srv->results);
    store_close(srv->store);
fail:
    loader_free(&srv->plugins);
    config_free(&srv->cfg);
    free(srv);
    return -1;
}

void server_free(server_t *srv)
{
    if (!srv)
        return;
    config_free(&srv->cfg);
    free(srv);
}

int server_reload(server_t *srv, json_t **report, char *err, size_t errlen)
{
    if (!srv->cfg.path) {
        log_notice("reload: no config file; rescanning plugins");
        loader_scan(&srv->plugins, srv->cfg.builtin_dir, srv->cfg.plugin_dir,
                    engine_api(), report);
        return 0;
    }
    config_t next;
    if (config_load(srv->cfg.path, &next, err, errlen) < 0)
        return -1;
    /* What is bound or open stays until restart. */
    if (strcmp(next.socket, srv->cfg.socket) != 0)
        log_warn("reload: socket changed to %s; takes effect on restart",
                 next.socket);
    if (strcmp(next.database, srv->cfg.database) != 0)
        log_warn("reload: database changed to %s; takes effect on restart",
                 next.database);
    char *keep_socket = srv->cfg.socket, *keep_db = srv->cfg.database;
    srv->cfg.socket = srv->cfg.database = NULL;
    free(next.socket);
    free(next.database);
    next.socket = keep_socket;
    next.database = keep_db;
    config_free(&srv->cfg);
    srv->cfg = next;
    log_set_level(srv->cfg.log_level);
    store_reconfigure(srv->store, &srv->cfg);
    cache_set_limit(srv->results, (size_t)srv->cfg.result_cache_mb << 20);
    loader_scan(&srv->plugins, srv->cfg.builtin_dir, srv->cfg.plugin_dir,
                engine_api(), report);
    sweep_start(srv);
    srv->over_budget = srv->inflight_bytes >= srv->cfg.max_inflight_bytes;
    access_check_config(&srv->cfg);
    conn_t *c = srv->conns;
    while (c) {
        conn_t *nc = c->next; /* c may close */
        c->frame.max_line = srv->cfg.max_request_bytes;
        /* Roles follow the config: a client struck off is closed. */
        c->peer.roles =
            access_roles(&srv->cfg, c->peer.uid, c->peer.gid, c->peer.user);
        if (!c->peer.roles) {
            conn_close(c);
            c = nc;
            continue;
        }
        conn_update_reading(c);
        c = nc;
    }
    log_notice("reloaded %s", srv->cfg.path);
    return 0;
}
