/* rpc.h - one JSON-RPC 2.0 request and its reply envelope.
 *
 * Requests flow one way: the server (connections, framing) hands each line
 * to dispatch.h, which checks the envelope and calls one method handler
 * (method_*.c); the handler works with the store, views and engine, and
 * answers through the functions below. The reply reaches the server
 * through host->done(), a callback the server installed: nothing here
 * knows the server. Every reply line is written by this module (rpc.c),
 * except an analysis answer, whose body answer.c writes around the same
 * envelope.
 *
 * Methods that do I/O finish later (on the loop thread), which is why a
 * request is an object and not a call: the server sends responses strictly
 * in queue order whatever order they complete in. */
#ifndef SPAND_RPC_H
#define SPAND_RPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "buf.h"
#include "cache.h"
#include "config.h"
#include "engine.h"
#include "ingest.h"
#include "loader.h"
#include "store.h"

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
    RPC_FORBIDDEN = 1403, /* the client's role may not (access.h) */
};

typedef struct rpc_req rpc_req_t;

/* What the server reports for `status`. */
typedef struct rpc_host_stats {
    double uptime_s;
    unsigned connections;
    uint64_t requests;
    double ingest_rate; /* items per second over the last minute */
} rpc_host_stats_t;

/* What the server hands to every request: the lower layers it may use and
 * the callbacks that lead back up. Owned by the server, which keeps it
 * valid (and its pointers) for as long as any request lives. cfg is the
 * current configuration; a reload changes what it points to in place. */
typedef struct rpc_host {
    uv_loop_t *loop;
    const config_t *cfg;
    store_t *store;
    engine_t *engine;
    loader_registry_t *plugins;
    cache_t *results;
    void *server; /* passed back to the callbacks below */
    /* req->out holds the whole response (or nothing, for a notification):
     * send it in queue order. Called exactly once per request. */
    void (*done)(rpc_req_t *req);
    /* Set the bytes of memory req is counted for against
     * max_inflight_bytes until it is answered (the line, and an estimate
     * of its parse tree): dispatch.c calls it when it knows more. */
    void (*cost)(rpc_req_t *req, size_t bytes);
    /* Send a notification line (with its LF) to req's client now, ahead
     * of queued answers; dropped if the client has gone. */
    void (*notify)(rpc_req_t *req, const char *line, size_t len);
    /* Bracket thread-pool work that may touch the store, so that a stop
     * waits for it before closing the store. */
    void (*work_begin)(void *server);
    void (*work_end)(void *server);
    void (*stats)(void *server, rpc_host_stats_t *out);
    /* Re-read the config, rescan plugins (report may be NULL). 0 or -1
     * with the reason in err. */
    int (*reload)(void *server, json_t **report, char *err, size_t errlen);
    /* Begin an orderly stop. */
    void (*stop)(void *server, const char *why);
} rpc_host_t;

struct rpc_req {
    /* shared with the server */
    rpc_host_t *host;
    void *conn;           /* the server's; NULL once the client is gone */
    struct rpc_req *next; /* the server's queue link */
    bool done;            /* out holds the whole response */
    buf_t out;            /* response line with LF; empty for notifications */
    /* Optional streamed body, sent after out: body_len bytes of body_fd
     * from offset 0, then tail. -1 when there is none. The request owns
     * body_fd (closed by rpc_req_free); the server reads it in chunks so
     * that a large export is never one string in memory. */
    int body_fd;
    uint64_t body_len;
    buf_t tail;
    size_t cost; /* bytes counted against max_inflight (host->cost) */

    /* The handlers' (dispatch.c, method_*.c) */
    json_t *id;  /* NULL: notification */
    json_t *msg; /* the parsed request (dropped early by ingest) */
    bool parsed; /* msg was valid JSON: a missing id means notification */
    char *line;  /* raw line, while being parsed off the loop */
    size_t len;
    uv_work_t work;
    void (*work_fn)(struct rpc_req *);  /* runs on the thread pool */
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
    int64_t top;           /* -1: all rows */
    uint64_t t0;           /* uv_hrtime() when dispatched */
    struct answer *answer; /* the answer being sent (a reference) */
    bool cached;
    /* Who asked (access.h), copied from the connection by the server:
     * the kernel's word (SO_PEERCRED), never the client's. */
    unsigned roles; /* ACCESS_* bits */
    uid_t uid;
    pid_t pid;
    char user[64]; /* uid's name, or its digits */
    /* For the audit (server.c writes the line when the answer is done):
     * the method called (static text; NULL: not audited), the person it
     * is about (malloc'd; NULL: none), rows returned (-1: not counted). */
    const char *audit_method;
    char *audit_target;
    int64_t audit_rows;
    /* PRIVACY_* flags (privacy.h) of analyse and export: the request's
     * suppress / pseudonymise, and PRIVACY_READER, which the access
     * rules set for a reader before the handler runs. */
    unsigned privacy;
    unsigned privacy_min; /* [privacy] min_group_size when it was asked */
};

/* A new request of conn on host, or NULL (out of memory). */
rpc_req_t *rpc_req_new(rpc_host_t *host, void *conn);
void rpc_req_free(rpc_req_t *req);

/* ---- answering (loop thread) ------------------------------------------
 * Each request is answered exactly once, by one of these. */

/* Reply with result (reference stolen; NULL means out of memory).
 * Notifications get nothing. */
void rpc_reply(rpc_req_t *req, json_t *result);
/* Reply with an error; data (may be NULL) is stolen. A well-formed
 * notification gets nothing. */
void rpc_error(rpc_req_t *req, int code, const char *message, json_t *data);
/* Complete req at once with an error and a null id (framing problems). */
void rpc_fail(rpc_req_t *req, int code, const char *message);
/* req->out already holds the whole response line: check it against
 * max_output_bytes (replacing it by error 1002 when over) and send it. */
void rpc_send_out(rpc_req_t *req);
/* Reply with req->result, or the error of req->rc / req->err (-ENOENT:
 * no person req->arg; other: storage error). */
void rpc_after_read(rpc_req_t *req);

/* Run fn(req) on the thread pool, then after(req) on the loop. On failure
 * to queue, req is answered with an error and neither runs. */
void rpc_run_off_loop(rpc_req_t *req, void (*fn)(rpc_req_t *),
                      void (*after)(rpc_req_t *));

/* ---- parameters -------------------------------------------------------- */

/* Params must be absent or an object whose keys are all in allowed
 * (NULL-terminated). Replies and returns -1 otherwise. */
int rpc_check_params(rpc_req_t *req, json_t *params,
                     const char *const *allowed);
/* A required person id parameter (the only one), copied to req->arg.
 * Replies and returns -1 when missing or invalid. */
int rpc_want_id(rpc_req_t *req, json_t *params);
/* req->id as JSON text appended to b. 0 or -1 (out of memory). */
int rpc_id_text(const json_t *id, buf_t *b);

#endif
