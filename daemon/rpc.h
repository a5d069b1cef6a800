/* rpc.h - JSON-RPC 2.0 requests: envelope checks and the methods.
 *
 * The server frames lines and keeps, per connection, a queue of rpc_req_t
 * in arrival order; this module turns each line into a response line in
 * req->out and then calls server_req_done(). Methods that do I/O finish
 * later (on the loop thread), which is why a request is an object and not
 * a call: the server sends responses strictly in queue order whatever
 * order they complete in. */
#ifndef SPAND_RPC_H
#define SPAND_RPC_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "buf.h"
#include "ingest.h"

/* JSON-RPC and application error codes (doc/protocol.md). */
enum {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_STORAGE_ERROR = 1000,
    RPC_BUSY = 1001,
    RPC_RESPONSE_TOO_LARGE = 1002,
    RPC_TOO_MANY_CONNECTIONS = 1003,
    RPC_NOT_FOUND = 1004,
    RPC_BATCH_REJECTED = 1005,
    RPC_SHUTTING_DOWN = 1006,
    RPC_CONFIG_ERROR = 1007,
    RPC_ANALYSIS_FAILED = 1010,
};

struct server;
struct job;

typedef struct rpc_req {
    /* shared with the server */
    struct server *srv;
    void *conn;           /* the server's; NULL once the client is gone */
    struct rpc_req *next; /* the server's queue link */
    bool done;            /* out holds the whole response */
    buf_t out;            /* response line with LF; empty for notifications */
    size_t cost;          /* request bytes counted against max_inflight */

    /* private to rpc.c */
    json_t *id;  /* NULL: notification */
    json_t *msg; /* the parsed request (dropped early by ingest) */
    bool parsed; /* msg was valid JSON: a missing id means notification */
    char *line;  /* raw line, while being parsed off the loop */
    size_t len;
    uv_work_t work;
    void (*work_fn)(struct rpc_req *); /* runs on the thread pool */
    void (*after_fn)(struct rpc_req *); /* then on the loop */
    json_t *result;
    int rc;
    int code;
    char err[512];
    json_t *err_data;
    char *arg;
    ingest_batch_t batch;
    /* Called (loop thread) if the client leaves before the answer. */
    void (*on_cancel)(struct rpc_req *);
    /* analyse */
    struct job *job;
    char *cache_key;
    char *sort;
    bool sort_asc;
    int64_t top; /* -1: all rows */
    uint64_t t0; /* uv_hrtime() when dispatched */
    struct answer *answer; /* the answer being sent (a reference) */
    bool cached;
} rpc_req_t;

rpc_req_t *rpc_req_new(struct server *srv, void *conn);
void rpc_req_free(rpc_req_t *req);

/* Handle one request line (len bytes, not NUL-terminated; copied if
 * needed). The response arrives through server_req_done(). */
void rpc_handle_line(rpc_req_t *req, const char *line, size_t len);
/* Complete req at once with an error and a null id (framing problems). */
void rpc_fail(rpc_req_t *req, int code, const char *message);

/* Lines shorter than this are parsed on the loop; longer ones on the
 * thread pool, so a 16 MB batch does not delay everyone's pings. */
#define RPC_INLINE_PARSE_BYTES (64 * 1024)

#endif
