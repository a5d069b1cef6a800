/* method_admin.c - ping, status, plugins, reload, shutdown (methods.h). */
#include "build-config.h" /* autoconf: PACKAGE_VERSION */

#include "methods.h"

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
    rpc_reply(
        req,
        json_pack("{s:s, s:f, s:I, s:I, s:I, s:I, s:I, s:i, s:I,"
                  " s:{s:I, s:f}, s:{s:I, s:I, s:I, s:I}, s:{s:I}, s:o,"
                  " s:{s:b, s:b}}",
                  "version", PACKAGE_VERSION, "uptime_s", st.uptime_s, "people",
                  (json_int_t)c.people, "records", (json_int_t)c.records,
                  "events", (json_int_t)c.events, "data_version",
                  (json_int_t)c.data_version, "db_bytes",
                  (json_int_t)store_db_bytes(req->host->store), "connections",
                  (int)st.connections, "requests", (json_int_t)st.requests,
                  "ingest", "items", (json_int_t)c.items_ingested, "rate_per_s",
                  st.ingest_rate, "cache", "hits", (json_int_t)hits, "misses",
                  (json_int_t)misses, "entries", (json_int_t)entries, "bytes",
                  (json_int_t)bytes, "analyses", "queued",
                  (json_int_t)engine_queued(req->host->engine), "plugins",
                  plugins, "store", "erasure_pending", (int)c.erasure_pending,
                  "files_gone", (int)c.files_gone));
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
