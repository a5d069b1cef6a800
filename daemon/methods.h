/* methods.h - one handler per JSON-RPC method (doc/protocol.md).
 *
 * Each handler gets a request whose envelope dispatch.c has checked and
 * its params (NULL when absent or null). It checks the params, does or
 * queues the work against the store, views and engine, and answers the
 * request exactly once through rpc.h (perhaps later, on the loop thread).
 *
 *   method_admin.c    ping, status, plugins, reload, shutdown, audit
 *   method_ingest.c   ingest (and the streaming parse of a plain ingest)
 *   method_people.c   boundaries, summary, person, people, forget
 *   method_analyse.c  analyse (result cache, answer text)
 *   method_export.c   export
 * Parameters the analyse and export handlers share are read by params.h. */
#ifndef SPAND_METHODS_H
#define SPAND_METHODS_H

#include <jansson.h>
#include <stddef.h>

#include "rpc.h"
#include "store.h"

void method_ping(rpc_req_t *req, json_t *params);
void method_status(rpc_req_t *req, json_t *params);
void method_plugins(rpc_req_t *req, json_t *params);
void method_reload(rpc_req_t *req, json_t *params);
void method_shutdown(rpc_req_t *req, json_t *params);
void method_audit(rpc_req_t *req, json_t *params);

void method_ingest(rpc_req_t *req, json_t *params);
/* The fast path of the one hot request: read a plain ingest line straight
 * into req->batch. 0 when taken (req->msg then holds the envelope), 1
 * when the line must be parsed the usual way. */
int method_ingest_parse_fast(rpc_req_t *req, const char *line, size_t len);

void method_boundaries(rpc_req_t *req, json_t *params);
void method_summary(rpc_req_t *req, json_t *params);
void method_person(rpc_req_t *req, json_t *params);
/* people: {ids, attributes?} -> {people: {id: {name: value}}, unknown};
 * more ids than this in one request is -32602 (one reply's size stays
 * bounded); at most this many attribute names. */
#define METHOD_PEOPLE_MAX_IDS 10000
#define METHOD_PEOPLE_MAX_ATTRIBUTES 256
void method_people(rpc_req_t *req, json_t *params);
void method_forget(rpc_req_t *req, json_t *params);
/* For handlers whose answer must include every request answered before it
 * (audit, person all): queue a sync behind the writes already queued (the
 * audit lines among them) and call done(op, rc) on the loop once they are
 * committed; done owns op. When the sync cannot be queued, answer req
 * with the error (busy, or internal) instead. */
void method_after_sync(rpc_req_t *req, store_op_cb done);

void method_analyse(rpc_req_t *req, json_t *params);

void method_export(rpc_req_t *req, json_t *params);

#endif
