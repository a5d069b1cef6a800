/* method_admin.c - ping, status, plugins, reload, shutdown, audit
 * (methods.h). */
#include "build-config.h" /* autoconf: PACKAGE_VERSION */

#include "methods.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "params.h"

void method_ping(rpc_req_t *req, json_t *params)
{
    static const char *const none[] = {NULL};
    if (rpc_check_params(req, params, none) < 0)
        return;
    rpc_reply(req, json_pack("{s:s, s:{s:i, s:i}}", "version", PACKAGE_VERSION,
                             "abi", "major", SPAND_ABI_MAJOR, "minor",
                             SPAND_ABI_MINOR));
}

void method_status(rpc_req_t *req, json_t *params)
{
    static const char *const none[] = {NULL};
    if (rpc_check_params(req, params, none) < 0)
        return;
    store_counts_t c;
    rpc_host_stats_t st;
    store_counts(req->host->store, &c);
    req->host->stats(req->host->server, &st);
    uint64_t hits, misses;
    size_t entries, bytes;
    cache_stats(req->host->results, &hits, &misses, &entries, &bytes);
    loader_registry_t *reg = req->host->plugins;
    json_t *plugins = json_object();
    for (size_t i = 0; plugins && i < reg->n; i++) {
        const plugin_t *p = reg->items[i];
        json_object_set_new(
            plugins, p->name,
            json_pack("{s:I, s:I, s:I, s:f}", "runs", (json_int_t)p->runs,
                      "errors", (json_int_t)p->errors, "cache_hits",
                      (json_int_t)p->cache_hits, "busy_ms", p->busy_ms));
    }
    json_t *you = json_pack(
        "{s:s, s:o, s:I, s:s, s:I}", "role", access_role_name(req->roles),
        "roles", access_roles_json(req->roles), "uid", (json_int_t)req->uid,
        "user", req->user, "pid", (json_int_t)req->pid);
    json_t *res = json_pack(
        "{s:s, s:f, s:I, s:I, s:I, s:I, s:I, s:i, s:I,"
        " s:{s:I, s:f}, s:{s:I, s:I, s:I, s:I}, s:{s:I}, s:o,"
        " s:{s:b, s:b}}",
        "version", PACKAGE_VERSION, "uptime_s", st.uptime_s, "people",
        (json_int_t)c.people, "records", (json_int_t)c.records, "events",
        (json_int_t)c.events, "data_version", (json_int_t)c.data_version,
        "db_bytes", (json_int_t)store_db_bytes(req->host->store), "connections",
        (int)st.connections, "requests", (json_int_t)st.requests, "ingest",
        "items", (json_int_t)c.items_ingested, "rate_per_s", st.ingest_rate,
        "cache", "hits", (json_int_t)hits, "misses", (json_int_t)misses,
        "entries", (json_int_t)entries, "bytes", (json_int_t)bytes, "analyses",
        "queued", (json_int_t)engine_queued(req->host->engine), "plugins",
        plugins, "store", "erasure_pending", (int)c.erasure_pending,
        "files_gone", (int)c.files_gone);
    /* The client's own role (access.h): who the daemon takes it for. */
    if (res && (!you || json_object_set_new(res, "client", you) < 0)) {
        json_decref(res);
        res = NULL;
    } else if (!res) {
        json_decref(you);
    }
    rpc_reply(req, res);
}
void method_reload(rpc_req_t *req, json_t *params)
{
    static const char *const none[] = {NULL};
    if (rpc_check_params(req, params, none) < 0)
        return;
    char err[512];
    json_t *report = NULL;
    if (req->host->reload(req->host->server, &report, err, sizeof err) < 0) {
        rpc_error(req, RPC_CONFIG_ERROR, err, NULL);
        return;
    }
    rpc_reply(req, json_pack("{s:b, s:o?}", "reloaded", 1, "plugins", report));
}

void method_shutdown(rpc_req_t *req, json_t *params)
{
    static const char *const none[] = {NULL};
    if (rpc_check_params(req, params, none) < 0)
        return;
    rpc_host_t *host = req->host; /* req may be gone after the reply */
    rpc_reply(req, json_pack("{s:b}", "stopping", 1));
    host->stop(host->server, "shutdown request");
}

void method_plugins(rpc_req_t *req, json_t *params)
{
    static const char *const none[] = {NULL};
    if (rpc_check_params(req, params, none) < 0)
        return;
    rpc_reply(req, loader_json(req->host->plugins));
}

/* ---- audit ------------------------------------------------------------- */

#define AUDIT_DEFAULT_LIMIT 1000
#define AUDIT_MAX_LIMIT 1000000

/* req->arg holds it (one block, freed with req). */
struct audit_query {
    int64_t since, limit;
    bool by_user, by_person;
    char user[256];
    char person[4096];
};

static void audit_work(rpc_req_t *req)
{
    struct audit_query *q = (struct audit_query *)req->arg;
    req->rc = store_audit_read(req->host->store, q->since,
                               q->by_user ? q->user : NULL,
                               q->by_person ? q->person : NULL, q->limit,
                               &req->result, req->err, sizeof req->err);
    if (req->rc == 0)
        req->audit_rows = (int64_t)json_array_size(req->result);
}

static void audit_after(rpc_req_t *req)
{
    if (req->rc < 0) {
        rpc_error(req, RPC_STORAGE_ERROR, req->err, NULL);
        return;
    }
    rpc_reply(req, json_pack("{s:O}", "lines", req->result));
}

static void audit_synced(store_op_t *op, int rc)
{
    rpc_req_t *req = op->ctx;
    store_op_free(op);
    if (rc < 0) {
        rpc_error(req, RPC_STORAGE_ERROR, "the audit trail cannot be read now",
                  NULL);
        return;
    }
    rpc_run_off_loop(req, audit_work, audit_after);
}

/* Copy string j (when given) into dst; false if it is no string or too
 * long. */
static bool take_text(json_t *j, char *dst, size_t n, bool *given)
{
    *given = j != NULL;
    if (!j)
        return true;
    if (!json_is_string(j) || json_string_length(j) >= n ||
        strlen(json_string_value(j)) != json_string_length(j))
        return false;
    memcpy(dst, json_string_value(j), json_string_length(j) + 1);
    return true;
}

void method_audit(rpc_req_t *req, json_t *params)
{
    static const char *const allowed[] = {"since", "user", "person", "limit",
                                          NULL};
    if (rpc_check_params(req, params, allowed) < 0)
        return;
    json_t *since = params ? json_object_get(params, "since") : NULL;
    json_t *limit = params ? json_object_get(params, "limit") : NULL;
    char err[256];
    struct audit_query *q = calloc(1, sizeof *q);
    if (!q) {
        rpc_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    req->arg = (char *)q;
    q->since = INT64_MIN;
    q->limit = AUDIT_DEFAULT_LIMIT;
    if (since &&
        params_time(since, &q->since, "params.since", err, sizeof err) < 0) {
        rpc_error(req, RPC_INVALID_PARAMS, err, NULL);
        return;
    }
    if (!take_text(params ? json_object_get(params, "user") : NULL, q->user,
                   sizeof q->user, &q->by_user) ||
        !take_text(params ? json_object_get(params, "person") : NULL, q->person,
                   sizeof q->person, &q->by_person)) {
        rpc_error(req, RPC_INVALID_PARAMS,
                  "params.user and params.person must be strings (of at "
                  "most 255 and 4095 bytes)",
                  NULL);
        return;
    }
    if (limit && (!json_is_integer(limit) || json_integer_value(limit) < 1 ||
                  json_integer_value(limit) > AUDIT_MAX_LIMIT)) {
        rpc_error(req, RPC_INVALID_PARAMS,
                  "params.limit must be a whole number from 1 to 1000000",
                  NULL);
        return;
    }
    if (limit)
        q->limit = json_integer_value(limit);
    /* The audit shows every request answered before it. */
    method_after_sync(req, audit_synced);
}
