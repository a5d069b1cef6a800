/* method_people.c - boundaries, summary, person, forget: reads of the
 * store off the loop, and erasure through the store's writer (methods.h). */
#include "methods.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static void boundaries_work(rpc_req_t *req)
{
    req->rc = store_boundaries(req->host->store, &req->result, req->err,
                               sizeof req->err);
}

void method_boundaries(rpc_req_t *req, json_t *params)
{
    static const char *const none[] = {NULL};
    if (rpc_check_params(req, params, none) < 0)
        return;
    rpc_run_off_loop(req, boundaries_work, rpc_after_read);
}

static void summary_work(rpc_req_t *req)
{
    req->rc = store_summary(req->host->store, req->arg, &req->result, req->err,
                            sizeof req->err);
}

void method_summary(rpc_req_t *req, json_t *params)
{
    static const char *const allowed[] = {"boundary", NULL};
    if (rpc_check_params(req, params, allowed) < 0)
        return;
    json_t *b = params ? json_object_get(params, "boundary") : NULL;
    if (b && !json_is_string(b)) {
        rpc_error(req, RPC_INVALID_PARAMS,
                  "params.boundary must be an attribute name", NULL);
        return;
    }
    req->arg = strdup(b ? json_string_value(b) : "sector");
    if (!req->arg) {
        rpc_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    rpc_run_off_loop(req, summary_work, rpc_after_read);
}

static void person_work(rpc_req_t *req)
{
    req->rc = store_person(req->host->store, req->arg, &req->result, req->err,
                           sizeof req->err);
}

void method_person(rpc_req_t *req, json_t *params)
{
    if (rpc_want_id(req, params) < 0)
        return;
    rpc_run_off_loop(req, person_work, rpc_after_read);
}

static void forget_done(store_op_t *op, int rc)
{
    rpc_req_t *req = op->ctx;
    if (rc == -ENOENT) {
        req->rc = -ENOENT;
        rpc_after_read(req);
    } else if (rc < 0) {
        rpc_error(req, RPC_STORAGE_ERROR, op->err, NULL);
    } else {
        log_notice("forgot a person: %lld records and %lld event "
                   "participations erased",
                   (long long)op->forget.records_removed,
                   (long long)op->forget.participations_removed);
        /* pending_wal: see store_forget_result_t and doc/protocol.md. */
        rpc_reply(req, json_pack("{s:s, s:I, s:I, s:I, s:b, s:b}", "id",
                                 req->arg, "records_removed",
                                 (json_int_t)op->forget.records_removed,
                                 "participations_removed",
                                 (json_int_t)op->forget.participations_removed,
                                 "data_version", (json_int_t)op->data_version,
                                 "erased", 1, "pending_wal",
                                 (int)op->forget.wal_pending));
    }
    store_op_free(op);
}

void method_forget(rpc_req_t *req, json_t *params)
{
    if (rpc_want_id(req, params) < 0)
        return;
    store_op_t *op = store_op_new(STORE_OP_FORGET, forget_done, req);
    if (!op || !(op->forget_id = strdup(req->arg))) {
        store_op_free(op);
        rpc_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    int rc = store_submit(req->host->store, op);
    if (rc < 0) {
        store_op_free(op);
        rpc_error(req, rc == -EBUSY ? RPC_BUSY : RPC_SHUTTING_DOWN,
                  rc == -EBUSY ? "busy: the write queue is full; retry "
                                 "later"
                               : "shutting down",
                  NULL);
    }
}
