/* server.h - the event loop: socket, connections, signals, lifecycle.
 *
 * One libuv loop owns every socket. A connection's bytes are framed into
 * lines (frame.h); each line becomes an rpc_req_t queued on the connection
 * and handed to rpc.c; finished responses are written strictly in queue
 * order. Limits: max_connections (an extra client gets error 1003 and is
 * closed), max_request_bytes (an oversize line gets -32600 and the stream
 * goes on), max_pipeline unanswered requests and max_output_bytes of
 * unsent output per connection (beyond either, that connection is simply
 * not read until it catches up: back-pressure, not an error, so a slow
 * reader costs bounded memory and nobody else notices). */
#ifndef SPAND_SERVER_H
#define SPAND_SERVER_H

#include <stdint.h>
#include <uv.h>

#include "cache.h"
#include "config.h"
#include "engine.h"
#include "loader.h"
#include "rpc.h"
#include "store.h"

typedef struct server server_t;

typedef struct server_stats {
    double uptime_s;
    unsigned connections;
    uint64_t requests;
    double ingest_rate; /* items per second over the last minute */
} server_stats_t;

/* Take ownership of *cfg (moved; the caller's copy is zeroed), open the
 * store and listen on the socket. Returns 0, or -1 with a message in err
 * (nothing left running). */
int server_start(uv_loop_t *loop, config_t *cfg, server_t **out, char *err,
                 size_t errlen);
/* Begin an orderly stop: stop accepting, answer what was asked, commit
 * what was queued, close the store, remove the socket. The loop ends once
 * all is closed. Idempotent. */
void server_stop(server_t *srv, const char *why);
/* Release what is left after the loop has ended. */
void server_free(server_t *srv);
/* Re-read the config file and rescan the plugin directories: limits, log
 * level, store settings and plugins take effect; a changed socket or
 * database path is reported and ignored until restart. report (may be
 * NULL) receives the plugin changes. Returns 0 or -1 with the reason in
 * err (the old config stays; plugins are not rescanned). */
int server_reload(server_t *srv, json_t **report, char *err, size_t errlen);

const config_t *server_config(const server_t *srv);
store_t *server_store(const server_t *srv);
loader_registry_t *server_plugins(server_t *srv);
engine_t *server_engine(const server_t *srv);
cache_t *server_results(const server_t *srv);
void server_stats(const server_t *srv, server_stats_t *out);
uv_loop_t *server_loop(const server_t *srv);
int server_stopping(const server_t *srv);

/* Bracket thread-pool work that touches the store, so that a stop waits
 * for it before closing the store. Loop thread only. */
void server_work_begin(server_t *srv);
void server_work_end(server_t *srv);

/* Send a notification line (with its LF) to req's client at once, ahead
 * of any answers still queued; dropped if the client has gone. */
void server_notify(rpc_req_t *req, const char *line, size_t len);

/* Called by rpc.c when req->out is complete. */
void server_req_done(rpc_req_t *req);

#endif
