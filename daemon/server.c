/* server.c - see server.h. Everything here runs on the loop thread. */
#include "server.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cache.h"
#include "dispatch.h"
#include "engine.h"
#include "frame.h"
#include "loader.h"
#include "log.h"
#include "rpc.h"
#include "store.h"

#define READ_CHUNK (64 * 1024)
#define RATE_WINDOW 60           /* seconds in the ingest-rate average */
#define STOP_GRACE_MS 30000      /* how long a stop waits for slow clients */

typedef struct conn {
    uv_pipe_t pipe; /* first: the handle's address is the conn's */
    struct server *srv;
    frame_t frame;
    rpc_req_t *qhead, *qtail;
    unsigned queued;
    size_t out_pending; /* bytes handed to uv_write, not yet written */
    bool reading, eof, closing, refuse;
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
    size_t inflight_bytes; /* sum of cost of unanswered requests */
    bool over_budget;      /* inflight_bytes >= max_inflight_bytes */
    rpc_host_t host;       /* what every request is handed (rpc.h) */
};

static void inflight_add(server_t *srv, size_t n);
static void inflight_sub(server_t *srv, size_t n);

static void conn_close(conn_t *c);
static void conn_update_reading(conn_t *c);

/* ---- writing --------------------------------------------------------- */

static void on_write(uv_write_t *w, int status)
{
    struct write_req *wr = (struct write_req *)w;
    conn_t *c = wr->c;
    c->out_pending -= wr->len;
    free(wr->data);
    free(wr);
    if (status < 0 && status != UV_ECANCELED) {
        log_debug("client write failed: %s", uv_strerror(status));
        conn_close(c);
        return;
    }
    if (c->refuse) {
        conn_close(c);
        return;
    }
    conn_update_reading(c);
}

/* Send data (taking ownership) on c. */
static void conn_send(conn_t *c, char *data, size_t len)
{
    if (c->closing || len == 0) {
        free(data);
        return;
    }
    struct write_req *wr = malloc(sizeof *wr);
    if (!wr) {
        free(data);
        log_err("out of memory writing to a client; closing it");
        conn_close(c);
        return;
    }
    wr->c = c;
    wr->data = data;
    wr->len = len;
    uv_buf_t b = uv_buf_init(data, (unsigned)len);
    int rc = uv_write(&wr->w, (uv_stream_t *)&c->pipe, &b, 1, on_write);
    if (rc < 0) {
        free(data);
        free(wr);
        conn_close(c);
        return;
    }
    c->out_pending += len;
}

/* Send every finished response at the head of the queue, as one write. */
static void conn_flush(conn_t *c)
{
    buf_t out = BUF_INIT;
    while (c->qhead && c->qhead->done) {
        rpc_req_t *req = c->qhead;
        c->qhead = req->next;
        if (!c->qhead)
            c->qtail = NULL;
        c->queued--;
        if (req->out.len) {
            if (out.len == 0) {
                out = req->out; /* the common case: take it, no copy */
                req->out = (buf_t)BUF_INIT;
            } else if (buf_append(&out, req->out.data, req->out.len) < 0) {
                log_err("out of memory queueing a response; closing client");
                rpc_req_free(req);
                buf_free(&out);
                conn_close(c);
                return;
            }
        }
        rpc_req_free(req);
    }
    if (out.len) {
        size_t len;
        char *data = buf_steal(&out, &len);
        conn_send(c, data, len);
    } else {
        buf_free(&out);
    }
    if (!c->closing)
        conn_update_reading(c);
}

/* rpc_host_t.notify */
static void host_notify(rpc_req_t *req, const char *line, size_t len)
{
    conn_t *c = req->conn;
    if (!c || c->closing || c->out_pending > c->srv->cfg.max_output_bytes)
        return; /* progress is advisory: never let it pile up */
    char *copy = malloc(len);
    if (!copy)
        return;
    memcpy(copy, line, len);
    conn_send(c, copy, len);
}

/* rpc_host_t.done */
static void host_req_done(rpc_req_t *req)
{
    req->done = true;
    inflight_sub(req->host->server, req->cost);
    req->cost = 0;
    conn_t *c = req->conn;
    if (!c) {
        rpc_req_free(req); /* the client left; nobody wants the answer */
        return;
    }
    if (c->qhead == req)
        conn_flush(c);
}

/* ---- reading --------------------------------------------------------- */

static int on_frame(void *ctx, frame_event_t ev, const char *line,
                    size_t len)
{
    conn_t *c = ctx;
    server_t *srv = c->srv;
    rpc_req_t *req = rpc_req_new(&srv->host, c);
    if (!req) {
        log_err("out of memory for a request; closing client");
        return -ENOMEM;
    }
    if (c->qtail)
        c->qtail->next = req;
    else
        c->qhead = req;
    c->qtail = req;
    c->queued++;
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
    return 0;
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
    *b = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    conn_t *c = (conn_t *)s;
    if (n > 0) {
        if (frame_feed(&c->frame, b->base, (size_t)n, on_frame, c) < 0) {
            conn_close(c);
            return;
        }
    } else if (n == UV_EOF) {
        /* The client may have only shut down its sending side: answer
         * everything it asked before closing. */
        c->eof = true;
        if (frame_finish(&c->frame, on_frame, c) < 0) {
            conn_close(c);
            return;
        }
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

/* Read while the client is within its limits; close once it has left
 * and everything it asked is answered. */
static void conn_update_reading(conn_t *c)
{
    if (c->closing)
        return;
    if (c->eof || c->srv->stopping) {
        if (c->reading) {
            uv_read_stop((uv_stream_t *)&c->pipe);
            c->reading = false;
        }
        if (c->eof && !c->qhead && c->out_pending == 0)
            conn_close(c);
        return;
    }
    const config_t *cfg = &c->srv->cfg;
    bool want = c->queued < cfg->max_pipeline &&
                c->out_pending < cfg->max_output_bytes &&
                (!c->srv->over_budget || c->queued == 0);
    if (want && !c->reading) {
        if (uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) == 0)
            c->reading = true;
    } else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->pipe);
        c->reading = false;
    }
}

static void inflight_add(server_t *srv, size_t n)
{
    srv->inflight_bytes += n;
    srv->over_budget = srv->inflight_bytes >= srv->cfg.max_inflight_bytes;
}

/* Leaving the over-budget state wakes the connections it paused. */
static void inflight_sub(server_t *srv, size_t n)
{
    srv->inflight_bytes -= n;
    bool was = srv->over_budget;
    srv->over_budget = srv->inflight_bytes >= srv->cfg.max_inflight_bytes;
    if (was && !srv->over_budget)
        for (conn_t *c = srv->conns; c; c = c->next)
            conn_update_reading(c);
}

static void on_conn_closed(uv_handle_t *h)
{
    conn_t *c = (conn_t *)h;
    frame_free(&c->frame);
    free(c);
}

static void conn_close(conn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    server_t *srv = c->srv;
    /* Unfinished requests live on and are freed when they finish. */
    rpc_req_t *req = c->qhead;
    while (req) {
        rpc_req_t *next = req->next;
        req->next = NULL;
        if (req->done) {
            rpc_req_free(req);
        } else {
            req->conn = NULL;
            if (req->on_cancel)
                req->on_cancel(req); /* e.g. stop its analysis */
        }
        req = next;
    }
    c->qhead = c->qtail = NULL;
    c->queued = 0;
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

static void on_connection(uv_stream_t *l, int status)
{
    server_t *srv = l->data;
    if (status < 0) {
        log_warn("accept: %s", uv_strerror(status));
        return;
    }
    conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        log_err("out of memory accepting a client");
        return;
    }
    c->srv = srv;
    frame_init(&c->frame, srv->cfg.max_request_bytes);
    if (uv_pipe_init(srv->loop, &c->pipe, 0) < 0) {
        free(c);
        return;
    }
    if (uv_accept(l, (uv_stream_t *)&c->pipe) < 0) {
        uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
        return;
    }
    if (srv->nconns >= srv->cfg.max_connections || srv->stopping) {
        /* Say why before closing, so the client can tell "full" from a
         * crash. */
        c->refuse = true;
        buf_t b = BUF_INIT;
        if (buf_printf(&b,
                       "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
                       "%d,\"message\":\"%s (limit %u)\"}}\n",
                       srv->stopping ? RPC_SHUTTING_DOWN
                                     : RPC_TOO_MANY_CONNECTIONS,
                       srv->stopping ? "server is shutting down"
                                     : "too many connections",
                       srv->cfg.max_connections) < 0) {
            conn_close(c);
            return;
        }
        log_warn("refused a client: %u connections (max_connections %u)",
                 srv->nconns, srv->cfg.max_connections);
        size_t len;
        char *data = buf_steal(&b, &len);
        conn_send(c, data, len);
        return;
    }
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    conn_update_reading(c);
}

/* ---- the socket ------------------------------------------------------ */

/* A socket file left by a dead daemon is replaced; one a live daemon
 * answers on is not. */
static int check_existing_socket(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", path,
                                               strerror(errno)),
                                      -1);
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a socket; not replacing "
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
    log_notice("removed stale socket %s left by a daemon that is gone",
               path);
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
    store_close(srv->store);
    srv->store = NULL;
    for (int i = 0; i < 3; i++)
        uv_close((uv_handle_t *)&srv->sig[i], on_handle_closed);
    uv_close((uv_handle_t *)&srv->tick, on_handle_closed);
    uv_close((uv_handle_t *)&srv->drain, on_handle_closed);
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
    if (srv->socket_created && unlink(srv->cfg.socket) < 0 &&
        errno != ENOENT)
        log_warn("cannot remove %s: %s", srv->cfg.socket, strerror(errno));
    srv->socket_created = false;
    for (conn_t *c = srv->conns; c; c = c->next)
        conn_update_reading(c);
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
    srv->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    srv->start_ms = uv_now(loop);
    loader_init(&srv->plugins);
    srv->host = (rpc_host_t){.loop = loop,
                             .cfg = &srv->cfg,
                             .plugins = &srv->plugins,
                             .server = srv,
                             .done = host_req_done,
                             .notify = host_notify,
                             .work_begin = host_work_begin,
                             .work_end = host_work_end,
                             .stats = host_stats,
                             .reload = host_reload,
                             .stop = host_stop};
    if (store_open(&srv->cfg, loop, &srv->store, err, errlen) < 0)
        goto fail;
    loader_scan(&srv->plugins, srv->cfg.builtin_dir,
                         srv->cfg.plugin_dir, engine_api(), NULL);
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
    on_tick(&srv->tick);
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
        loader_scan(&srv->plugins, srv->cfg.builtin_dir,
                             srv->cfg.plugin_dir, engine_api(), report);
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
    loader_scan(&srv->plugins, srv->cfg.builtin_dir,
                         srv->cfg.plugin_dir, engine_api(), report);
    for (conn_t *c = srv->conns; c; c = c->next) {
        c->frame.max_line = srv->cfg.max_request_bytes;
        conn_update_reading(c);
    }
    log_notice("reloaded %s", srv->cfg.path);
    return 0;
}
