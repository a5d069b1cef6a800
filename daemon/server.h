/* server.h - the event loop: socket, connections, signals, lifecycle.
 *
 * One libuv loop owns every socket. A connection's bytes are framed into
 * lines (frame.h); each line becomes an rpc_req_t (rpc.h) queued on the
 * connection and handed to dispatch.h, with the server's rpc_host_t: the
 * store, engine, plugins and result cache, and the callbacks by which the
 * answer comes back. Finished responses are written strictly in queue
 * order; a response with a streamed body (rpc.h body_fd) is read from its
 * file in chunks as the client takes them. Limits: max_connections (an
 * extra client gets error 1003 and is closed), max_request_bytes (an
 * oversize line gets -32600 and the stream goes on), max_pipeline requests
 * (counted one by one, not per read) and max_output_bytes of answers not
 * yet sent or read per connection, max_inflight_bytes over all of them
 * (lines, parse trees, unsent answers): beyond these a connection is
 * simply not read until it catches up (back-pressure, not an error, so a
 * slow reader costs bounded memory and nobody else notices).
 * request_timeout_ms and idle_timeout_ms close connections that hold a
 * slot without using it, never one with a request being worked on. */
#ifndef SPAND_SERVER_H
#define SPAND_SERVER_H

#include <jansson.h>
#include <stddef.h>
#include <uv.h>

#include "config.h"

typedef struct server server_t;

/* Take ownership of *cfg (moved; the caller's copy is zeroed), open the
 * store, scan the plugins, start the engine and listen on the socket.
 * Returns 0, or -1 with a message in err (nothing left running).
 * The process must ignore SIGPIPE first (spand.c does): a client that
 * leaves mid-answer would otherwise kill the daemon on the next write. */
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

#endif
