/* method_ingest.c - ingest: validate a batch (off the loop, or while
 * scanning it on the fast path) and queue it for the store's writer;
 * answered once the transaction holding it has committed (methods.h). */
#include "methods.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jscan.h"

static json_t *ingest_result(const ingest_batch_t *b,
                             const store_ingest_result_t *r, int64_t version)
{
    return json_pack(
        "{s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I}, s:O, s:I, "
        "s:I}",
        "people", "added", (json_int_t)r->people_added, "updated",
        (json_int_t)r->people_updated, "duplicate",
        (json_int_t)r->people_duplicate, "implicit",
        (json_int_t)r->people_implicit, "records", "added",
        (json_int_t)r->records_added, "duplicate",
        (json_int_t)r->records_duplicate, "events", "added",
        (json_int_t)r->events_added, "duplicate",
        (json_int_t)r->events_duplicate, "rejected", b->rejected,
        "rejected_count", (json_int_t)b->rejected_count, "data_version",
        (json_int_t)version);
}

static void ingest_done(store_op_t *op, int rc)
{
    rpc_req_t *req = op->ctx;
    if (rc < 0) {
        char msg[400];
        snprintf(msg, sizeof msg,
                 "storage failed, nothing of this batch was "
                 "stored: %s",
                 op->err);
        rpc_error(req, RPC_STORAGE_ERROR, msg, NULL);
    } else {
        /* The audit's rows for an ingest: the items it stored (new or
         * changed), not those it found already held. */
        const store_ingest_result_t *r = &op->ingest;
        req->audit_rows = (int64_t)(r->people_added + r->people_updated +
                                    r->records_added + r->events_added);
        rpc_reply(req,
                  ingest_result(&op->batch, &op->ingest, op->data_version));
    }
    store_op_free(op);
}

static void ingest_validate(rpc_req_t *req)
{
    const config_t *cfg = req->host->cfg;
    ingest_limits_t lim = ingest_limits(cfg);
    req->rc = ingest_parse(json_object_get(req->msg, "params"), &lim,
                           &req->batch, req->err, sizeof req->err);
    /* The batch has copied what it needs: free the (possibly huge)
     * document here rather than on the loop thread. */
    json_decref(req->msg);
    req->msg = NULL;
}

static void ingest_submit(rpc_req_t *req)
{
    if (req->rc == -1) {
        rpc_error(req, RPC_INVALID_PARAMS, req->err, NULL);
        return;
    }
    if (req->rc < 0) {
        rpc_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    ingest_batch_t *b = &req->batch;
    if (b->rejected_count && !b->skip_invalid) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "batch rejected: %zu invalid item%s; nothing stored",
                 b->rejected_count, b->rejected_count == 1 ? "" : "s");
        rpc_error(req, RPC_BATCH_REJECTED, msg,
                  json_pack("{s:O, s:I}", "rejected", b->rejected,
                            "rejected_count", (json_int_t)b->rejected_count));
        return;
    }
    store_t *store = req->host->store;
    if (ingest_batch_items(b) == 0) {
        store_counts_t c;
        store_counts(store, &c);
        store_ingest_result_t none = {0};
        rpc_reply(req, ingest_result(b, &none, c.data_version));
        return;
    }
    store_op_t *op = store_op_new(STORE_OP_INGEST, ingest_done, req);
    if (!op) {
        rpc_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    op->batch = *b;
    memset(b, 0, sizeof *b);
    int rc = store_submit(store, op);
    if (rc < 0) {
        *b = op->batch; /* back to the request, freed with it */
        memset(&op->batch, 0, sizeof op->batch);
        store_op_free(op);
        rpc_error(req, rc == -EBUSY ? RPC_BUSY : RPC_SHUTTING_DOWN,
                  rc == -EBUSY ? "busy: the ingest queue is full; retry "
                                 "later"
                               : "shutting down",
                  NULL);
    }
}

void method_ingest(rpc_req_t *req, json_t *params)
{
    if (!params) {
        rpc_error(req, RPC_INVALID_PARAMS,
                  "params with people, records and/or events required", NULL);
        return;
    }
    if (req->batch.live) {
        /* parse_line() has already read and checked the batch. */
        ingest_submit(req);
        return;
    }
    /* Checking a large batch takes milliseconds: do it off the loop. */
    rpc_run_off_loop(req, ingest_validate, ingest_submit);
}
/* Decode the short string at j->p (an envelope key or value) into buf;
 * -1 when it is not a string or longer than buf allows. */
static int fast_short_string(jscan_t *j, char *buf, size_t size, size_t *len)
{
    const char *at = j->p;
    if (jscan_peek(j) != JSCAN_STRING || jscan_skip_scalar(j) < 0 ||
        (size_t)(j->p - at) > size)
        return -1;
    j->p = at;
    return jscan_string(j, buf, len);
}

/* The fast path of the one hot request. An ingest whose envelope is plain
 * (jsonrpc, id, method and params in any order, nothing else) and whose
 * params are well formed with every item valid is read straight into
 * req->batch by ingest_scan(), without a jansson tree of the batch;
 * req->msg then holds the envelope with an empty params object, so that
 * dispatch.c checks it as usual, and method_ingest() finds the batch live and
 * skips validation. Returns 0 when taken, or 1 when the line must take
 * the usual way: anything unusual, including every error, so that jansson
 * and ingest_parse() report problems exactly as they always did. */
int method_ingest_parse_fast(rpc_req_t *req, const char *line, size_t len)
{
    enum { F_JSONRPC = 1, F_ID = 2, F_METHOD = 4, F_PARAMS = 8 };
    const config_t *cfg = req->host->cfg;
    ingest_limits_t lim = ingest_limits(cfg);
    jscan_t j = {line, line + len};
    unsigned seen = 0;
    const char *id_at = NULL, *id_end = NULL;
    char key[64], val[64];
    size_t klen, vlen;
    if (jscan_expect(&j, '{') < 0)
        return 1;
    for (bool first = true;; first = false) {
        jscan_ws(&j);
        if (!first) {
            if (j.p < j.end && *j.p == '}') {
                j.p++;
                break;
            }
            if (jscan_expect(&j, ',') < 0)
                goto no;
            jscan_ws(&j);
        }
        if (fast_short_string(&j, key, sizeof key, &klen) < 0 ||
            jscan_expect(&j, ':') < 0)
            goto no;
        jscan_ws(&j);
        unsigned bit;
        if (strcmp(key, "jsonrpc") == 0) {
            bit = F_JSONRPC;
            if (fast_short_string(&j, val, sizeof val, &vlen) < 0 ||
                strcmp(val, "2.0") != 0)
                goto no;
        } else if (strcmp(key, "method") == 0) {
            bit = F_METHOD;
            if (fast_short_string(&j, val, sizeof val, &vlen) < 0 ||
                strcmp(val, "ingest") != 0)
                goto no;
        } else if (strcmp(key, "id") == 0) {
            bit = F_ID;
            id_at = j.p;
            jscan_type_t t = jscan_peek(&j);
            if ((t != JSCAN_STRING && t != JSCAN_NUMBER && t != JSCAN_NULL) ||
                jscan_skip_scalar(&j) < 0)
                goto no;
            id_end = j.p;
        } else if (strcmp(key, "params") == 0) {
            bit = F_PARAMS;
            if (req->batch.live || jscan_peek(&j) != JSCAN_OBJECT ||
                ingest_scan(&j, &lim, &req->batch) != 0)
                goto no;
        } else {
            goto no;
        }
        if (seen & bit)
            goto no; /* a duplicate key */
        seen |= bit;
    }
    jscan_ws(&j);
    if (j.p != j.end || (seen & (F_JSONRPC | F_METHOD | F_PARAMS)) !=
                            (F_JSONRPC | F_METHOD | F_PARAMS))
        goto no;
    json_t *msg = json_object();
    if (!msg || json_object_set_new(msg, "jsonrpc", json_string("2.0")) < 0 ||
        json_object_set_new(msg, "method", json_string("ingest")) < 0 ||
        json_object_set_new(msg, "params", json_object()) < 0) {
        json_decref(msg);
        goto no;
    }
    if (seen & F_ID) {
        /* jansson reads the id itself: the reply must carry the very same
         * value (integer or real, escapes decoded). */
        json_error_t e;
        json_t *id =
            json_loadb(id_at, (size_t)(id_end - id_at), JSON_DECODE_ANY, &e);
        if (!id || json_object_set_new(msg, "id", id) < 0) {
            json_decref(msg);
            goto no;
        }
    }
    req->msg = msg;
    return 0;
no:
    if (req->batch.live)
        ingest_batch_free(&req->batch);
    return 1;
}
