/* rpc.c - see rpc.h. Loop thread, except the work_fn callbacks. */
#include "build-config.h" /* autoconf: PACKAGE_VERSION */

#include "rpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inttypes.h>
#include <math.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "export.h"
#include "jnum.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "ts.h"


/* The plugin ABI version this daemon implements (reported by ping). */
#define RPC_ABI_MAJOR SPAND_ABI_MAJOR
#define RPC_ABI_MINOR SPAND_ABI_MINOR

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
    free(req->cache_key);
    free(req->sort);
    answer_unref(req->answer);
    job_free(req->job);
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
    uint64_t hits, misses;
    size_t entries, bytes;
    cache_stats(server_results(req->srv), &hits, &misses, &entries, &bytes);
    loader_registry_t *reg = server_plugins(req->srv);
    json_t *plugins = json_object();
    for (size_t i = 0; plugins && i < reg->n; i++) {
        const plugin_t *p = reg->items[i];
        json_object_set_new(plugins, p->name,
                            json_pack("{s:I, s:I, s:I, s:f}", "runs",
                                      (json_int_t)p->runs, "errors",
                                      (json_int_t)p->errors, "cache_hits",
                                      (json_int_t)p->cache_hits, "busy_ms",
                                      p->busy_ms));
    }
    reply(req,
          json_pack("{s:s, s:f, s:I, s:I, s:I, s:I, s:I, s:i, s:I,"
                    " s:{s:I, s:f}, s:{s:I, s:I, s:I, s:I}, s:{s:I}, s:o,"
                    " s:{s:b, s:b}}",
                    "version", PACKAGE_VERSION, "uptime_s", st.uptime_s,
                    "people", (json_int_t)c.people, "records",
                    (json_int_t)c.records, "events", (json_int_t)c.events,
                    "data_version", (json_int_t)c.data_version, "db_bytes",
                    (json_int_t)store_db_bytes(server_store(req->srv)),
                    "connections", (int)st.connections, "requests",
                    (json_int_t)st.requests, "ingest", "items",
                    (json_int_t)c.items_ingested, "rate_per_s",
                    st.ingest_rate, "cache", "hits", (json_int_t)hits,
                    "misses", (json_int_t)misses, "entries",
                    (json_int_t)entries, "bytes", (json_int_t)bytes,
                    "analyses", "queued",
                    (json_int_t)engine_queued(server_engine(req->srv)),
                    "plugins", plugins, "store", "erasure_pending",
                    (int)c.erasure_pending, "files_gone",
                    (int)c.files_gone));
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
    if (req->batch.live) {
        /* parse_line() has already read and checked the batch. */
        ingest_submit(req);
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
        reply(req, json_pack("{s:s, s:I, s:I, s:I, s:b, s:b}", "id", req->arg,
                             "records_removed",
                             (json_int_t)op->forget.records_removed,
                             "participations_removed",
                             (json_int_t)op->forget.participations_removed,
                             "data_version", (json_int_t)op->data_version,
                             "erased", 1, "pending_wal",
                             (int)op->forget.wal_pending));
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
    json_t *report = NULL;
    if (server_reload(req->srv, &report, err, sizeof err) < 0) {
        reply_error(req, RPC_CONFIG_ERROR, err, NULL);
        return;
    }
    reply(req, json_pack("{s:b, s:o?}", "reloaded", 1, "plugins", report));
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

static void m_plugins(rpc_req_t *req, json_t *params)
{
    static const char *const none[] = {NULL};
    if (check_params(req, params, none) < 0)
        return;
    reply(req, loader_json(server_plugins(req->srv)));
}

/* ---- analyse ----------------------------------------------------------- */

/* A time bound: ISO 8601 string or integer Unix seconds. */
static int parse_time(json_t *j, int64_t *out, const char *what, char *err,
                      size_t errlen)
{
    const char *why;
    if (json_is_integer(j) && json_integer_value(j) >= TS_MIN &&
        json_integer_value(j) <= TS_MAX) {
        *out = json_integer_value(j);
        return 0;
    }
    if (json_is_string(j)) {
        if (ts_parse_iso(json_string_value(j), json_string_length(j), out,
                         &why) == 0)
            return 0;
        snprintf(err, errlen, "%s: %s", what, why);
        return -1;
    }
    snprintf(err, errlen, "%s must be an ISO 8601 string or Unix seconds",
             what);
    return -1;
}

static int parse_window(json_t *w, const char *name, int64_t *from,
                        int64_t *to, char *err, size_t errlen)
{
    *from = VIEW_OPEN_FROM;
    *to = VIEW_OPEN_TO;
    if (!w || json_is_null(w))
        return 0;
    if (!json_is_object(w)) {
        snprintf(err, errlen, "params.%s must be an object {from, to}", name);
        return -1;
    }
    const char *key;
    json_t *val;
    char what[64];
    json_object_foreach(w, key, val)
    {
        bool is_from = !strcmp(key, "from");
        if (!is_from && strcmp(key, "to") != 0) {
            snprintf(err, errlen, "params.%s.%.32s: unknown (from, to)", name,
                     key);
            return -1;
        }
        if (json_is_null(val))
            continue;
        snprintf(what, sizeof what, "params.%s.%s", name, key);
        if (parse_time(val, is_from ? from : to, what, err, errlen) < 0)
            return -1;
    }
    if (*from >= *to) {
        snprintf(err, errlen, "params.%s: from must be before to", name);
        return -1;
    }
    return 0;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* kinds: sorted, without repeats; NULL when absent (every kind). */
static int parse_kinds(json_t *k, view_spec_t *spec, char *err, size_t errlen)
{
    if (!k || json_is_null(k))
        return 0;
    if (!json_is_array(k) || json_array_size(k) == 0 ||
        json_array_size(k) > 256) {
        snprintf(err, errlen,
                 "params.kinds must be a non-empty array of kind names");
        return -1;
    }
    size_t n = json_array_size(k);
    spec->kinds = calloc(n, sizeof *spec->kinds);
    if (!spec->kinds) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(k, i);
        if (!json_is_string(s) || json_string_length(s) == 0) {
            snprintf(err, errlen, "params.kinds[%zu] must be a kind name", i);
            return -1;
        }
        if (!(spec->kinds[spec->nkinds++] = strdup(json_string_value(s)))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    qsort(spec->kinds, spec->nkinds, sizeof *spec->kinds, cmp_cstr);
    size_t w = 0;
    for (size_t i = 0; i < spec->nkinds; i++) {
        if (w && !strcmp(spec->kinds[w - 1], spec->kinds[i]))
            free(spec->kinds[i]);
        else
            spec->kinds[w++] = spec->kinds[i];
    }
    spec->nkinds = w;
    return 0;
}

/* Check and type the plugin's parameters. Values may come as their JSON
 * type or as text (from a command line). */
static json_t *parse_plugin_params(const plugin_t *p, json_t *given,
                                   char *err, size_t errlen)
{
    json_t *out = json_object();
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!given || json_is_null(given))
        return out;
    if (!json_is_object(given)) {
        snprintf(err, errlen, "params.params must be an object");
        json_decref(out);
        return NULL;
    }
    const char *key;
    json_t *val;
    json_object_foreach(given, key, val)
    {
        const spand_param_t *d = NULL;
        for (size_t i = 0; i < p->desc->nparams; i++)
            if (!strcmp(p->desc->params[i].name, key))
                d = &p->desc->params[i];
        if (!d) {
            snprintf(err, errlen, "plugin %s has no parameter \"%.64s\"",
                     p->name, key);
            json_decref(out);
            return NULL;
        }
        const char *text = json_is_string(val) ? json_string_value(val) : NULL;
        json_t *typed = NULL;
        char *end;
        switch (d->type) {
        case SPAND_BOOL:
            if (json_is_boolean(val))
                typed = json_incref(val);
            else if (text && (!strcmp(text, "true") || !strcmp(text, "yes") ||
                              !strcmp(text, "1")))
                typed = json_true();
            else if (text && (!strcmp(text, "false") || !strcmp(text, "no") ||
                              !strcmp(text, "0")))
                typed = json_false();
            break;
        case SPAND_INT:
            if (json_is_integer(val)) {
                typed = json_incref(val);
            } else if (text && *text) {
                errno = 0;
                long long v = strtoll(text, &end, 10);
                if (!errno && !*end)
                    typed = json_integer(v);
            }
            break;
        case SPAND_REAL:
            if (json_is_number(val)) {
                typed = json_real(json_number_value(val));
            } else if (text && *text) {
                errno = 0;
                double v = strtod(text, &end);
                if (!errno && !*end && isfinite(v))
                    typed = json_real(v);
            }
            break;
        case SPAND_STRING:
            if (text)
                typed = json_incref(val);
            break;
        }
        if (!typed) {
            snprintf(err, errlen, "parameter %s of %s must be %s %s", key,
                     p->name, d->type == SPAND_INT ? "an" : "a",
                     loader_type_name(d->type));
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, key, typed);
    }
    return out;
}

static json_t *window_json(int64_t from, int64_t to)
{
    char a[TS_FORMAT_LEN], b[TS_FORMAT_LEN];
    return json_pack("{s:s?, s:s?}", "from",
                     from == VIEW_OPEN_FROM ? NULL : ts_format(from, a), "to",
                     to == VIEW_OPEN_TO ? NULL : ts_format(to, b));
}

/* Cache key pieces, written without printf: a hit is answered in a few
 * microseconds, and formatting the key was a large part of that. */
static int key_int(buf_t *b, int64_t v)
{
    char num[JNUM_MAX];
    size_t n = jnum_int(num, v);
    return buf_putc(b, '|') < 0 ? -1 : buf_append(b, num, n);
}

/* "|LEN:TEXT": length-prefixed, so no text can fake a separator. */
static int key_str(buf_t *b, const char *s)
{
    size_t n = strlen(s);
    return key_int(b, (int64_t)n) < 0 || buf_putc(b, ':') < 0
               ? -1
               : buf_append(b, s, n);
}

static int key_spec(buf_t *b, const view_spec_t *sp)
{
    if (key_int(b, sp->from) < 0 || key_int(b, sp->to) < 0 ||
        key_int(b, sp->isolates) < 0 || key_str(b, sp->boundary) < 0 ||
        key_int(b, sp->kinds ? (int64_t)sp->nkinds : -1) < 0)
        return -1;
    for (size_t i = 0; sp->kinds && i < sp->nkinds; i++)
        if (key_str(b, sp->kinds[i]) < 0)
            return -1;
    return 0;
}

/* The text naming job's answer but for the data version: the plugin
 * file's identity, its typed parameters, the view spec(s). */
static int cache_key(buf_t *b, const job_t *job)
{
    const plugin_t *p = job->plugin;
    if (key_str(b, p->name) < 0 || key_str(b, p->file) < 0 ||
        key_int(b, (int64_t)p->ino) < 0 || key_int(b, p->mtime_ns) < 0)
        return -1;
    if (json_object_size(job->params) == 0) {
        if (key_str(b, "{}") < 0)
            return -1;
    } else {
        char *pkey = json_dumps(job->params, JSON_COMPACT | JSON_SORT_KEYS);
        int rc = pkey ? key_str(b, pkey) : -1;
        free(pkey);
        if (rc < 0)
            return -1;
    }
    if (key_spec(b, &job->spec) < 0)
        return -1;
    return job->has_baseline ? key_spec(b, &job->base_spec) : key_int(b, -2);
}

/* Answers with more rows than this are sorted, and answers of more bytes
 * than this written, on the thread pool rather than the loop. */
#define ANSWER_SORT_ON_LOOP_ROWS 2000
#define ANSWER_WRITE_ON_LOOP_BYTES (1u << 20)

/* req->id as JSON text into b. 0 or -1 (out of memory). */
static int id_text(const json_t *id, buf_t *b)
{
    if (json_is_integer(id)) {
        char num[JNUM_MAX];
        return buf_append(b, num, jnum_int(num, json_integer_value(id)));
    }
    char *t = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY);
    int rc = t ? buf_puts(b, t) : -1;
    free(t);
    return rc;
}

/* Write the response to req->out: the envelope around req->answer, the
 * vertex rows sorted and cut as asked. Any thread; sets req->rc. */
static void answer_compose(rpc_req_t *req)
{
    const answer_t *a = req->answer;
    size_t keep = req->top >= 0 ? (size_t)req->top : SIZE_MAX;
    uint32_t *order = NULL;
    buf_t id = BUF_INIT;
    char num[JNUM_MAX];
    const char *idt = num;
    size_t idlen = 0;
    req->rc = -ENOMEM;
    if (req->sort &&
        !(order = answer_order(a, req->sort, req->sort_asc, &keep)))
        return;
    if (json_is_integer(req->id)) {
        idlen = jnum_int(num, json_integer_value(req->id));
    } else if (id_text(req->id, &id) == 0) {
        idt = id.data;
        idlen = id.len;
    } else {
        free(order);
        return;
    }
    buf_clear(&req->out);
    if (answer_write(a, &req->out, idt, idlen, req->cached,
                     (double)(uv_hrtime() - req->t0) / 1e6, order, keep) == 0)
        req->rc = 0;
    buf_free(&id);
    free(order);
}

/* On the loop: send what answer_compose wrote, or the error. */
static void answer_send(rpc_req_t *req)
{
    const config_t *cfg = server_config(req->srv);
    if (req->rc < 0) {
        reply_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    if (req->out.len > cfg->max_output_bytes) {
        size_t len = req->out.len - 1; /* without the newline */
        buf_t id = BUF_INIT;
        buf_clear(&req->out);
        if (id_text(req->id, &id) < 0 ||
            buf_printf(&req->out,
                       "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":"
                       "%d,\"message\":\"response of %zu bytes exceeds "
                       "max_output_bytes (%zu)\"}}\n",
                       id.data, RPC_RESPONSE_TOO_LARGE, len,
                       cfg->max_output_bytes) < 0) {
            buf_free(&id);
            reply_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
            return;
        }
        buf_free(&id);
    }
    server_req_done(req);
}

/* Answer req with req->answer: on the loop when that is quick (a cache
 * hit of a small answer: no thread hop, no JSON document), else on the
 * pool. Notifications get nothing. */
static void answer_reply(rpc_req_t *req, bool cached)
{
    if (!req->id) {
        server_req_done(req);
        return;
    }
    req->cached = cached;
    const answer_t *a = req->answer;
    if ((req->sort && answer_rows(a) > ANSWER_SORT_ON_LOOP_ROWS) ||
        answer_bytes(a) > ANSWER_WRITE_ON_LOOP_BYTES) {
        run_off_loop(req, answer_compose, answer_send);
        return;
    }
    answer_compose(req);
    answer_send(req);
}

static void analysis_done(job_t *job)
{
    rpc_req_t *req = job->ctx;
    plugin_t *p = job->plugin;
    p->runs++;
    p->busy_ms += job->elapsed_ms;
    if (job->rc < 0) {
        p->errors++;
        char msg[700];
        snprintf(msg, sizeof msg, "analysis %s failed: %s: %s", p->name,
                 job->reason, job->detail);
        log_warn("%s", msg);
        reply_error(req, RPC_ANALYSIS_FAILED, msg,
                    json_pack("{s:s, s:s, s:s}", "plugin", p->name, "reason",
                              job->reason, "detail", job->detail));
        return;
    }
    /* The answer is cached under the data version the view was built at. */
    buf_t key = BUF_INIT;
    if (buf_puts(&key, req->cache_key) == 0 &&
        key_int(&key, job->view->data_version) == 0)
        cache_put(server_results(req->srv), key.data, key.len, job->answer,
                  answer_bytes(job->answer));
    buf_free(&key);
    req->answer = answer_ref(job->answer);
    answer_reply(req, false);
}

static void analysis_progress(job_t *job, double fraction)
{
    rpc_req_t *req = job->ctx;
    if (!req->conn || !req->id)
        return;
    json_t *n = json_pack("{s:s, s:s, s:{s:O, s:f}}", "jsonrpc", "2.0",
                          "method", "progress", "params", "id", req->id,
                          "fraction", fraction);
    char *text = n ? json_dumps(n, JSON_COMPACT) : NULL;
    json_decref(n);
    if (!text)
        return;
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the NUL; the length is known */
    server_notify(req, text, len + 1);
    free(text);
}

static void analysis_cancel(rpc_req_t *req)
{
    if (req->job)
        engine_cancel(req->job);
}

static int valid_attr_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > INGEST_ATTR_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i && ((c >= '0' && c <= '9') || c == '-' || c == '.'))))
            return 0;
    }
    return 1;
}

static void m_analyse(rpc_req_t *req, json_t *params)
{
    static const char *const allowed[] = {
        "plugin", "boundary", "window", "baseline", "kinds",    "params",
        "isolates", "top",   "sort",   "progress", NULL};
    if (check_params(req, params, allowed) < 0)
        return;
    char err[512] = "";
    json_t *name = params ? json_object_get(params, "plugin") : NULL;
    if (!json_is_string(name)) {
        reply_error(req, RPC_INVALID_PARAMS, "params.plugin is required",
                    NULL);
        return;
    }
    req->t0 = uv_hrtime();
    job_t *job = job_new();
    if (!job) {
        reply_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    req->job = job;
    job->plugin = loader_get(server_plugins(req->srv), json_string_value(name));
    if (!job->plugin) {
        snprintf(err, sizeof err, "no plugin named \"%.64s\" (spanctl plugins "
                                  "lists them)",
                 json_string_value(name));
        reply_error(req, RPC_NOT_FOUND, err, NULL);
        return;
    }
    const plugin_t *p = job->plugin;
    json_t *b = json_object_get(params, "boundary");
    const char *boundary = b ? json_string_value(b) : "sector";
    json_t *iso = json_object_get(params, "isolates");
    json_t *top = json_object_get(params, "top");
    json_t *sort = json_object_get(params, "sort");
    json_t *base = json_object_get(params, "baseline");
    req->top = -1;
    if (!boundary || !valid_attr_name(boundary))
        snprintf(err, sizeof err, "params.boundary must be an attribute name");
    else if (iso && !json_is_boolean(iso))
        snprintf(err, sizeof err, "params.isolates must be true or false");
    else if (top && (!json_is_integer(top) || json_integer_value(top) < 0))
        snprintf(err, sizeof err, "params.top must be a whole number >= 0");
    else if (sort && !json_is_string(sort))
        snprintf(err, sizeof err, "params.sort must be a column name");
    if (!err[0] && sort) {
        /* "col" sorts descending, "col:asc" ascending. */
        const char *s = json_string_value(sort);
        const char *colon = strrchr(s, ':');
        size_t len = colon ? (size_t)(colon - s) : strlen(s);
        if (colon && strcmp(colon, ":asc") && strcmp(colon, ":desc"))
            snprintf(err, sizeof err, "params.sort: use COLUMN, COLUMN:asc "
                                      "or COLUMN:desc");
        else if (!(req->sort = strndup(s, len)))
            snprintf(err, sizeof err, "out of memory");
        req->sort_asc = colon && !strcmp(colon, ":asc");
        bool known = req->sort && (!strcmp(req->sort, "id") ||
                                   !strcmp(req->sort, "group"));
        for (int i = 0; !err[0] && !known && i < p->ncols[0]; i++)
            known = !strcmp(
                p->desc->columns[loader_column_index(p, SPAND_TABLE_VERTEX, i)]
                    .name,
                req->sort);
        if (!err[0] && !known)
            snprintf(err, sizeof err,
                     "params.sort: %s has no vertex column \"%.64s\"",
                     p->name, req->sort);
    }
    if (!err[0] && (p->desc->flags & SPAND_NEEDS_BASELINE) &&
        (!base || json_is_null(base)))
        snprintf(err, sizeof err,
                 "plugin %s compares two windows: give a baseline window",
                 p->name);
    if (err[0] ||
        parse_window(json_object_get(params, "window"), "window",
                     &job->spec.from, &job->spec.to, err, sizeof err) < 0 ||
        parse_window(base, "baseline", &job->base_spec.from,
                     &job->base_spec.to, err, sizeof err) < 0 ||
        parse_kinds(json_object_get(params, "kinds"), &job->spec, err,
                    sizeof err) < 0 ||
        !(job->params = parse_plugin_params(p, json_object_get(params,
                                                               "params"),
                                            err, sizeof err))) {
        reply_error(req, RPC_INVALID_PARAMS, err, NULL);
        return;
    }
    if (top)
        req->top = json_integer_value(top);
    job->spec.isolates = iso && json_is_true(iso);
    job->spec.boundary = strdup(boundary);
    job->has_baseline = base && !json_is_null(base);
    if (job->has_baseline) {
        job->base_spec.boundary = strdup(boundary);
        job->base_spec.isolates = job->spec.isolates;
        /* The baseline uses the same kinds as the main window. */
        if (job->spec.kinds) {
            job->base_spec.kinds = calloc(job->spec.nkinds, sizeof(char *));
            for (size_t i = 0; job->base_spec.kinds && i < job->spec.nkinds;
                 i++)
                job->base_spec.kinds[job->base_spec.nkinds++] =
                    strdup(job->spec.kinds[i]);
        }
    }
    json_t *prog = json_object_get(params, "progress");
    if (prog && !json_is_boolean(prog)) {
        reply_error(req, RPC_INVALID_PARAMS,
                    "params.progress must be true or false", NULL);
        return;
    }
    /* Cache key: the plugin file's identity, typed params, view spec;
     * then the data version, for the lookup. */
    buf_t key = BUF_INIT;
    store_counts_t c;
    store_counts(server_store(req->srv), &c);
    size_t base_len;
    if (!job->spec.boundary ||
        !(job->base_spec.boundary || !job->has_baseline) ||
        cache_key(&key, job) < 0 ||
        ((base_len = key.len), key_int(&key, c.data_version) < 0)) {
        buf_free(&key);
        reply_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    answer_t *hit = cache_get(server_results(req->srv), key.data, key.len);
    key.len = base_len; /* the version goes: analysis_done adds the view's */
    key.data[base_len] = '\0';
    req->cache_key = buf_steal(&key, NULL);
    if (hit) {
        job->plugin->cache_hits++;
        req->answer = hit;
        answer_reply(req, true);
        return;
    }
    const config_t *cfg = server_config(req->srv);
    job->isolate = config_isolate(cfg, p->name, p->builtin);
    job->timeout_ms = cfg->timeout_ms;
    job->memory_limit = (size_t)cfg->memory_limit_mb << 20;
    job->cb = analysis_done;
    job->ctx = req;
    if (prog && json_is_true(prog))
        job->progress_cb = analysis_progress;
    if (engine_submit(server_engine(req->srv), job) < 0) {
        reply_error(req, RPC_BUSY,
                    "busy: the analysis queue is full; retry later", NULL);
        return;
    }
    req->on_cancel = analysis_cancel;
}

/* ---- export ------------------------------------------------------------ */

static void export_work(rpc_req_t *req)
{
    /* Through the engine's view cache: an export of the view an analysis
     * just used (or of data only appended to since) builds nothing. */
    view_t *v = engine_view(server_engine(req->srv), &req->job->spec, NULL,
                            req->err, sizeof req->err);
    req->rc = v ? 0 : -EIO;
    if (!v)
        return;
    buf_t text = BUF_INIT;
    if (export_view(v, req->arg, &text) < 0) {
        snprintf(req->err, sizeof req->err, "out of memory exporting");
        req->rc = -EIO;
    } else {
        req->result = json_pack(
            "{s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I}, s:I, s:s%}", "format",
            req->arg, "boundary", req->job->spec.boundary, "window",
            window_json(req->job->spec.from, req->job->spec.to), "view",
            "vertices", (json_int_t)igraph_vcount(&v->graph), "edges",
            (json_int_t)igraph_ecount(&v->graph), "excluded",
            (json_int_t)v->pub.excluded, "groups", (json_int_t)v->pub.ngroups,
            "data_version", (json_int_t)v->data_version, "text",
            buf_str(&text), text.len);
        if (!req->result) {
            snprintf(req->err, sizeof req->err, "out of memory exporting");
            req->rc = -EIO;
        }
    }
    buf_free(&text);
    view_unref(v);
}

static void m_export(rpc_req_t *req, json_t *params)
{
    static const char *const allowed[] = {"format", "boundary", "window",
                                          "kinds",  "isolates", NULL};
    if (check_params(req, params, allowed) < 0)
        return;
    char err[512] = "";
    json_t *f = params ? json_object_get(params, "format") : NULL;
    json_t *b = params ? json_object_get(params, "boundary") : NULL;
    json_t *iso = params ? json_object_get(params, "isolates") : NULL;
    const char *boundary = b ? json_string_value(b) : "sector";
    if (!json_is_string(f) || !export_format_known(json_string_value(f)))
        snprintf(err, sizeof err, "params.format must be graphml, gexf, dot "
                                  "or csv");
    else if (!boundary || !valid_attr_name(boundary))
        snprintf(err, sizeof err, "params.boundary must be an attribute name");
    else if (iso && !json_is_boolean(iso))
        snprintf(err, sizeof err, "params.isolates must be true or false");
    job_t *job = err[0] ? NULL : job_new();
    if (!err[0] && !job)
        snprintf(err, sizeof err, "out of memory");
    req->job = job;
    if (err[0] ||
        parse_window(json_object_get(params, "window"), "window",
                     &job->spec.from, &job->spec.to, err, sizeof err) < 0 ||
        parse_kinds(json_object_get(params, "kinds"), &job->spec, err,
                    sizeof err) < 0) {
        reply_error(req, RPC_INVALID_PARAMS, err, NULL);
        return;
    }
    job->spec.isolates = iso && json_is_true(iso);
    job->spec.boundary = strdup(boundary);
    req->arg = strdup(json_string_value(f));
    if (!job->spec.boundary || !req->arg) {
        reply_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    run_off_loop(req, export_work, after_read);
}

static const struct method {
    const char *name;
    void (*fn)(rpc_req_t *, json_t *);
} methods[] = {
    {"ping", m_ping},       {"status", m_status},
    {"ingest", m_ingest},   {"boundaries", m_boundaries},
    {"summary", m_summary}, {"person", m_person},
    {"forget", m_forget},   {"reload", m_reload},
    {"shutdown", m_shutdown}, {"plugins", m_plugins},
    {"analyse", m_analyse}, {"export", m_export},
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
 * dispatch() checks it as usual, and m_ingest() finds the batch live and
 * skips validation. Returns 0 when taken, or 1 when the line must take
 * the usual way: anything unusual, including every error, so that jansson
 * and ingest_parse() report problems exactly as they always did. */
static int parse_ingest_fast(rpc_req_t *req, const char *line, size_t len)
{
    enum { F_JSONRPC = 1, F_ID = 2, F_METHOD = 4, F_PARAMS = 8 };
    const config_t *cfg = server_config(req->srv);
    ingest_limits_t lim = {cfg->max_id_bytes, cfg->max_value_bytes,
                           cfg->max_rejects};
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

static void parse_line(rpc_req_t *req, const char *line, size_t len)
{
    if (parse_ingest_fast(req, line, len) == 0)
        return;
    json_error_t e;
    req->msg =
        json_loadb(line, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
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
