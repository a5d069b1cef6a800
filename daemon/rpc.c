/* rpc.c - see rpc.h. Loop thread, except the work_fn callbacks. */
#include "build-config.h" /* autoconf: PACKAGE_VERSION */

#include "rpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "server.h"
#include "store.h"


/* The plugin ABI version this daemon implements (reported by ping). */
#define RPC_ABI_MAJOR 1
#define RPC_ABI_MINOR 0

rpc_req_t *rpc_req_new(struct server *srv, void *conn)
{
    rpc_req_t *req = calloc(1, sizeof *req);
    if (req) {
        req->srv = srv;
        req->conn = conn;
    }
    return req;
}

void rpc_req_free(rpc_req_t *req)
{
    if (!req)
        return;
    json_decref(req->id);
    json_decref(req->msg);
    json_decref(req->result);
    json_decref(req->err_data);
    free(req->line);
    free(req->arg);
    if (req->batch.live)
        ingest_batch_free(&req->batch);
    buf_free(&req->out);
    free(req);
}

/* ---- responses ------------------------------------------------------- */

static void finish(rpc_req_t *req, json_t *body)
{
    if (!body) {
        buf_clear(&req->out);
        buf_puts(&req->out, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{"
                            "\"code\":-32603,\"message\":\"out of memory\"}}"
                            "\n");
        server_req_done(req);
        return;
    }
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    size_t len = text ? strlen(text) : 0;
    const config_t *cfg = server_config(req->srv);
    buf_clear(&req->out);
    if (text && len + 1 > cfg->max_output_bytes) {
        char *id = json_dumps(req->id, JSON_COMPACT | JSON_ENCODE_ANY);
        buf_printf(&req->out,
                   "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":%d,"
                   "\"message\":\"response of %zu bytes exceeds "
                   "max_output_bytes (%zu)\"}}\n",
                   id ? id : "null", RPC_RESPONSE_TOO_LARGE, len,
                   cfg->max_output_bytes);
        free(id);
    } else if (!text || buf_reserve(&req->out, len + 1) < 0) {
        buf_puts(&req->out, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{"
                            "\"code\":-32603,\"message\":\"out of memory\"}}"
                            "\n");
    } else {
        buf_append(&req->out, text, len);
        buf_putc(&req->out, '\n');
    }
    free(text);
    server_req_done(req);
}

/* Reply with result (reference stolen). Notifications get nothing. */
static void reply(rpc_req_t *req, json_t *result)
{
    if (!req->id) {
        json_decref(result);
        server_req_done(req);
        return;
    }
    if (!result) {
        finish(req, NULL);
        return;
    }
    finish(req, json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", req->id,
                          "result", result));
}

/* Reply with an error; data (may be NULL) is stolen. */
static void reply_error(rpc_req_t *req, int code, const char *message,
                        json_t *data)
{
    if (!req->id && req->parsed) {
        /* A well-formed notification gets no reply, even an error. */
        json_decref(data);
        server_req_done(req);
        return;
    }
    json_t *err = json_pack("{s:i, s:s}", "code", code, "message", message);
    if (err && data)
        json_object_set_new(err, "data", data);
    else
        json_decref(data);
    finish(req, err ? json_pack("{s:s, s:O?, s:o}", "jsonrpc", "2.0", "id",
                                req->id ? req->id : json_null(), "error", err)
                    : NULL);
}

void rpc_fail(rpc_req_t *req, int code, const char *message)
{
    json_decref(req->id);
    req->id = json_null(); /* framing errors have no request id to echo */
    reply_error(req, code, message, NULL);
}

/* ---- off-loop work --------------------------------------------------- */

static void work_cb(uv_work_t *w)
{
    rpc_req_t *req = w->data;
    req->work_fn(req);
}

static void after_work_cb(uv_work_t *w, int status)
{
    rpc_req_t *req = w->data;
    server_work_end(req->srv);
    if (status < 0) {
        reply_error(req, RPC_INTERNAL_ERROR, "request cancelled", NULL);
        return;
    }
    req->after_fn(req);
}

static void run_off_loop(rpc_req_t *req, void (*fn)(rpc_req_t *),
                         void (*after)(rpc_req_t *))
{
    req->work_fn = fn;
    req->after_fn = after;
    req->work.data = req;
    int rc = uv_queue_work(server_loop(req->srv), &req->work, work_cb,
                           after_work_cb);
    if (rc < 0) {
        reply_error(req, RPC_INTERNAL_ERROR, uv_strerror(rc), NULL);
        return;
    }
    server_work_begin(req->srv);
}

/* Reply with req->result or the error in req->rc / req->err. */
static void after_read(rpc_req_t *req)
{
    if (req->rc == -ENOENT) {
        char msg[600];
        snprintf(msg, sizeof msg, "no person with id \"%s\"",
                 req->arg ? req->arg : "");
        reply_error(req, RPC_NOT_FOUND, msg, NULL);
    } else if (req->rc < 0) {
        reply_error(req, RPC_STORAGE_ERROR, req->err, NULL);
    } else {
        json_t *r = req->result;
        req->result = NULL;
        reply(req, r);
    }
}

/* ---- parameter helpers ---------------------------------------------- */

/* Params must be absent or an object whose keys are all in allowed
 * (NULL-terminated). Replies and returns -1 otherwise. */
static int check_params(rpc_req_t *req, json_t *params,
                        const char *const *allowed)
{
    if (!params)
        return 0;
    if (!json_is_object(params)) {
        reply_error(req, RPC_INVALID_PARAMS, "params must be an object",
                    NULL);
        return -1;
    }
    const char *key;
    json_t *val;
    json_object_foreach(params, key, val)
    {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key) != 0)
            a++;
        if (!*a) {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown parameter \"%.64s\"", key);
            reply_error(req, RPC_INVALID_PARAMS, msg, NULL);
            return -1;
        }
    }
    return 0;
}

/* A required person id parameter, copied to req->arg. */
static int want_id(rpc_req_t *req, json_t *params)
{
    static const char *const allowed[] = {"id", NULL};
    if (check_params(req, params, allowed) < 0)
        return -1;
    json_t *id = params ? json_object_get(params, "id") : NULL;
    const char *why = "params.id is required";
    if (id && !json_is_string(id))
        why = "params.id must be a string";
    else if (id)
        why = ingest_check_id(json_string_value(id), json_string_length(id),
                              server_config(req->srv)->max_id_bytes);
    if (why) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s%s", id && json_is_string(id) ?
                 "params.id " : "", why);
        reply_error(req, RPC_INVALID_PARAMS, msg, NULL);
        return -1;
    }
    req->arg = strdup(json_string_value(id));
    if (!req->arg) {
        reply_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return -1;
    }
    return 0;
}

/* ---- methods --------------------------------------------------------- */

static void m_ping(rpc_req_t *req, json_t *params)
{
    static const char *const none[] = {NULL};
    if (check_params(req, params, none) < 0)
        return;
    reply(req, json_pack("{s:s, s:{s:i, s:i}}", "version", PACKAGE_VERSION,
                         "abi", "major", RPC_ABI_MAJOR, "minor",
                         RPC_ABI_MINOR));
}

static void m_status(rpc_req_t *req, json_t *params)
{
    static const char *const none[] = {NULL};
    if (check_params(req, params, none) < 0)
        return;
    store_counts_t c;
    server_stats_t st;
    store_counts(server_store(req->srv), &c);
    server_stats(req->srv, &st);
    reply(req,
          json_pack("{s:s, s:f, s:I, s:I, s:I, s:I, s:I, s:i, s:I,"
                    " s:{s:I, s:f}, s:{s:i, s:i}, s:{}}",
                    "version", PACKAGE_VERSION, "uptime_s", st.uptime_s,
                    "people", (json_int_t)c.people, "records",
                    (json_int_t)c.records, "events", (json_int_t)c.events,
                    "data_version", (json_int_t)c.data_version, "db_bytes",
                    (json_int_t)store_db_bytes(server_store(req->srv)),
                    "connections", (int)st.connections, "requests",
                    (json_int_t)st.requests, "ingest", "items",
                    (json_int_t)c.items_ingested, "rate_per_s",
                    st.ingest_rate, "cache", "hits", 0, "misses", 0,
                    "plugins"));
}

static json_t *ingest_result(const ingest_batch_t *b,
                             const store_ingest_result_t *r,
                             int64_t version)
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
        snprintf(msg, sizeof msg, "storage failed, nothing of this batch was "
                                  "stored: %s",
                 op->err);
        reply_error(req, RPC_STORAGE_ERROR, msg, NULL);
    } else {
        reply(req, ingest_result(&op->batch, &op->ingest, op->data_version));
    }
    store_op_free(op);
}

static void ingest_validate(rpc_req_t *req)
{
    const config_t *cfg = server_config(req->srv);
    ingest_limits_t lim = {cfg->max_id_bytes, cfg->max_value_bytes,
                           cfg->max_rejects};
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
        reply_error(req, RPC_INVALID_PARAMS, req->err, NULL);
        return;
    }
    if (req->rc < 0) {
        reply_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    ingest_batch_t *b = &req->batch;
    if (b->rejected_count && !b->skip_invalid) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "batch rejected: %zu invalid item%s; nothing stored",
                 b->rejected_count, b->rejected_count == 1 ? "" : "s");
        reply_error(req, RPC_BATCH_REJECTED, msg,
                    json_pack("{s:O, s:I}", "rejected", b->rejected,
                              "rejected_count", (json_int_t)b->rejected_count));
        return;
    }
    store_t *store = server_store(req->srv);
    if (ingest_batch_items(b) == 0) {
        store_counts_t c;
        store_counts(store, &c);
        store_ingest_result_t none = {0};
        reply(req, ingest_result(b, &none, c.data_version));
        return;
    }
    store_op_t *op = store_op_new(STORE_OP_INGEST, ingest_done, req);
    if (!op) {
        reply_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    op->batch = *b;
    memset(b, 0, sizeof *b);
    int rc = store_submit(store, op);
    if (rc < 0) {
        *b = op->batch; /* back to the request, freed with it */
        memset(&op->batch, 0, sizeof op->batch);
        store_op_free(op);
        reply_error(req, rc == -EBUSY ? RPC_BUSY : RPC_SHUTTING_DOWN,
                    rc == -EBUSY ? "busy: the ingest queue is full; retry "
                                   "later"
                                 : "shutting down",
                    NULL);
    }
}

static void m_ingest(rpc_req_t *req, json_t *params)
{
    if (!params) {
        reply_error(req, RPC_INVALID_PARAMS,
                    "params with people, records and/or events required",
                    NULL);
        return;
    }
    /* Checking a large batch takes milliseconds: do it off the loop. */
    run_off_loop(req, ingest_validate, ingest_submit);
}

static void boundaries_work(rpc_req_t *req)
{
    req->rc = store_boundaries(server_store(req->srv), &req->result,
                               req->err, sizeof req->err);
}

static void m_boundaries(rpc_req_t *req, json_t *params)
{
    static const char *const none[] = {NULL};
    if (check_params(req, params, none) < 0)
        return;
    run_off_loop(req, boundaries_work, after_read);
}

static void summary_work(rpc_req_t *req)
{
    req->rc = store_summary(server_store(req->srv), req->arg, &req->result,
                            req->err, sizeof req->err);
}

static void m_summary(rpc_req_t *req, json_t *params)
{
    static const char *const allowed[] = {"boundary", NULL};
    if (check_params(req, params, allowed) < 0)
        return;
    json_t *b = params ? json_object_get(params, "boundary") : NULL;
    if (b && !json_is_string(b)) {
        reply_error(req, RPC_INVALID_PARAMS,
                    "params.boundary must be an attribute name", NULL);
        return;
    }
    req->arg = strdup(b ? json_string_value(b) : "sector");
    if (!req->arg) {
        reply_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    run_off_loop(req, summary_work, after_read);
}

static void person_work(rpc_req_t *req)
{
    req->rc = store_person(server_store(req->srv), req->arg, &req->result,
                           req->err, sizeof req->err);
}

static void m_person(rpc_req_t *req, json_t *params)
{
    if (want_id(req, params) < 0)
        return;
    run_off_loop(req, person_work, after_read);
}

static void forget_done(store_op_t *op, int rc)
{
    rpc_req_t *req = op->ctx;
    if (rc == -ENOENT) {
        req->rc = -ENOENT;
        after_read(req);
    } else if (rc < 0) {
        reply_error(req, RPC_STORAGE_ERROR, op->err, NULL);
    } else {
        log_notice("forgot a person: %lld records and %lld event "
                   "participations erased",
                   (long long)op->forget.records_removed,
                   (long long)op->forget.participations_removed);
        reply(req, json_pack("{s:s, s:I, s:I, s:I}", "id", req->arg,
                             "records_removed",
                             (json_int_t)op->forget.records_removed,
                             "participations_removed",
                             (json_int_t)op->forget.participations_removed,
                             "data_version", (json_int_t)op->data_version));
    }
    store_op_free(op);
}

static void m_forget(rpc_req_t *req, json_t *params)
{
    if (want_id(req, params) < 0)
        return;
    store_op_t *op = store_op_new(STORE_OP_FORGET, forget_done, req);
    if (!op || !(op->forget_id = strdup(req->arg))) {
        store_op_free(op);
        reply_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    int rc = store_submit(server_store(req->srv), op);
    if (rc < 0) {
        store_op_free(op);
        reply_error(req, rc == -EBUSY ? RPC_BUSY : RPC_SHUTTING_DOWN,
                    rc == -EBUSY ? "busy: the write queue is full; retry "
                                   "later"
                                 : "shutting down",
                    NULL);
    }
}

static void m_reload(rpc_req_t *req, json_t *params)
{
    static const char *const none[] = {NULL};
    if (check_params(req, params, none) < 0)
        return;
    char err[512];
    if (server_reload(req->srv, err, sizeof err) < 0) {
        reply_error(req, RPC_CONFIG_ERROR, err, NULL);
        return;
    }
    reply(req, json_pack("{s:b}", "reloaded", 1));
}

static void m_shutdown(rpc_req_t *req, json_t *params)
{
    static const char *const none[] = {NULL};
    if (check_params(req, params, none) < 0)
        return;
    struct server *srv = req->srv;
    reply(req, json_pack("{s:b}", "stopping", 1));
    server_stop(srv, "shutdown request");
}

static const struct method {
    const char *name;
    void (*fn)(rpc_req_t *, json_t *);
} methods[] = {
    {"ping", m_ping},       {"status", m_status},
    {"ingest", m_ingest},   {"boundaries", m_boundaries},
    {"summary", m_summary}, {"person", m_person},
    {"forget", m_forget},   {"reload", m_reload},
    {"shutdown", m_shutdown},
};

/* ---- envelope -------------------------------------------------------- */

static void dispatch(rpc_req_t *req)
{
    json_t *msg = req->msg;
    req->parsed = true;
    if (json_is_array(msg)) {
        rpc_fail(req, RPC_INVALID_REQUEST,
                 "batch requests are not supported: send one request object "
                 "per line");
        return;
    }
    if (!json_is_object(msg)) {
        rpc_fail(req, RPC_INVALID_REQUEST,
                 "a request must be a JSON object");
        return;
    }
    json_t *id = json_object_get(msg, "id");
    if (id && !json_is_string(id) && !json_is_number(id) &&
        !json_is_null(id)) {
        rpc_fail(req, RPC_INVALID_REQUEST,
                 "id must be a string, a number or null");
        return;
    }
    req->id = json_incref(id); /* NULL: notification */
    json_t *ver = json_object_get(msg, "jsonrpc");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
        json_decref(req->id);
        req->id = json_incref(id ? id : json_null());
        reply_error(req, RPC_INVALID_REQUEST,
                    "\"jsonrpc\": \"2.0\" is required", NULL);
        return;
    }
    json_t *method = json_object_get(msg, "method");
    if (!json_is_string(method)) {
        json_decref(req->id);
        req->id = json_incref(id ? id : json_null());
        reply_error(req, RPC_INVALID_REQUEST, "method must be a string",
                    NULL);
        return;
    }
    json_t *params = json_object_get(msg, "params");
    if (params && json_is_null(params))
        params = NULL;
    const char *name = json_string_value(method);
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        if (strcmp(methods[i].name, name) == 0) {
            log_debug("request %s", name);
            methods[i].fn(req, params);
            return;
        }
    }
    char m[160];
    snprintf(m, sizeof m, "unknown method \"%.64s\"", name);
    reply_error(req, RPC_METHOD_NOT_FOUND, m, NULL);
}

static void parse_line(rpc_req_t *req, const char *line, size_t len)
{
    json_error_t e;
    req->msg = json_loadb(line, len,
                          JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
    if (!req->msg) {
        snprintf(req->err, sizeof req->err, "parse error at byte %d: %s",
                 e.position, e.text);
        req->rc = -1;
    }
}

static void parse_work(rpc_req_t *req)
{
    parse_line(req, req->line, req->len);
    free(req->line);
    req->line = NULL;
}

static void after_parse(rpc_req_t *req)
{
    if (req->rc < 0) {
        rpc_fail(req, RPC_PARSE_ERROR, req->err);
        return;
    }
    dispatch(req);
}

void rpc_handle_line(rpc_req_t *req, const char *line, size_t len)
{
    if (len < RPC_INLINE_PARSE_BYTES) {
        parse_line(req, line, len);
        after_parse(req);
        return;
    }
    req->line = malloc(len);
    if (!req->line) {
        rpc_fail(req, RPC_INTERNAL_ERROR, "out of memory");
        return;
    }
    memcpy(req->line, line, len);
    req->len = len;
    /* Parsing a large line runs on the pool (counted like store work, so
     * that a stop waits for it too). */
    req->work_fn = parse_work;
    req->after_fn = after_parse;
    req->work.data = req;
    int rc = uv_queue_work(server_loop(req->srv), &req->work, work_cb,
                           after_work_cb);
    if (rc < 0)
        rpc_fail(req, RPC_INTERNAL_ERROR, uv_strerror(rc));
    else
        server_work_begin(req->srv);
}
