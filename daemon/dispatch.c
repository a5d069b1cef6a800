/* dispatch.c - see dispatch.h. Loop thread, except parse_work. */
#include "dispatch.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "methods.h"
#include "utf8.h"

static const struct method {
    const char *name;
    void (*fn)(rpc_req_t *, json_t *);
} methods[] = {
    {"ping", method_ping},         {"status", method_status},
    {"ingest", method_ingest},     {"boundaries", method_boundaries},
    {"summary", method_summary},   {"person", method_person},
    {"forget", method_forget},     {"reload", method_reload},
    {"shutdown", method_shutdown}, {"plugins", method_plugins},
    {"analyse", method_analyse},   {"export", method_export},
};

/* ---- the envelope ------------------------------------------------------ */

/* Check the envelope of the parsed req->msg and call its method. */
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
        rpc_fail(req, RPC_INVALID_REQUEST, "a request must be a JSON object");
        return;
    }
    json_t *id = json_object_get(msg, "id");
    if (id && !json_is_string(id) && !json_is_number(id) && !json_is_null(id)) {
        rpc_fail(req, RPC_INVALID_REQUEST,
                 "id must be a string, a number or null");
        return;
    }
    req->id = json_incref(id); /* NULL: notification */
    json_t *ver = json_object_get(msg, "jsonrpc");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
        json_decref(req->id);
        req->id = json_incref(id ? id : json_null());
        rpc_error(req, RPC_INVALID_REQUEST, "\"jsonrpc\": \"2.0\" is required",
                  NULL);
        return;
    }
    json_t *method = json_object_get(msg, "method");
    if (!json_is_string(method)) {
        json_decref(req->id);
        req->id = json_incref(id ? id : json_null());
        rpc_error(req, RPC_INVALID_REQUEST, "method must be a string", NULL);
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
    rpc_error(req, RPC_METHOD_NOT_FOUND, m, NULL);
}
static void parse_line(rpc_req_t *req, const char *line, size_t len)
{
    if (method_ingest_parse_fast(req, line, len) == 0)
        return;
    json_error_t e;
    req->msg =
        json_loadb(line, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
    if (!req->msg) {
        snprintf(req->err, sizeof req->err, "parse error at byte %d: %s",
                 e.position, e.text);
        /* jansson's "near '...'" context can stop inside a UTF-8
         * sequence (an invalid escape such as "\\é" cuts it after the
         * backslash): such a message cannot go into a JSON reply, whose
         * json_pack() then failed as "out of memory". */
        for (size_t i = 0, n = strlen(req->err); i < n;) {
            size_t k = utf8_seq((const unsigned char *)req->err + i, n - i);
            if (!k)
                req->err[i++] = '?';
            i += k;
        }
        req->rc = -1;
    }
}

static void parse_work(rpc_req_t *req)
{
    parse_line(req, req->line, req->len);
    free(req->line);
    req->line = NULL;
}

/* What req costs in memory from now until it is answered: its line (or
 * the batch the fast path made of it) and, if jansson parsed it (tree),
 * the tree, at DISPATCH_TREE_COST_FACTOR times the text (dispatch.h). */
static size_t parse_cost(size_t len, bool tree_built)
{
    size_t tree = tree_built ? len : 0;
    if (tree > (SIZE_MAX - len) / DISPATCH_TREE_COST_FACTOR)
        return SIZE_MAX;
    return len + tree * DISPATCH_TREE_COST_FACTOR;
}

static void after_parse(rpc_req_t *req)
{
    /* A plain ingest read by the fast path has no tree: its batch holds
     * about what its line did. */
    req->host->cost(req, parse_cost(req->len,
                                    req->msg != NULL && !req->batch.live));
    if (req->rc < 0) {
        rpc_fail(req, RPC_PARSE_ERROR, req->err);
        return;
    }
    dispatch(req);
}

void dispatch_line(rpc_req_t *req, const char *line, size_t len)
{
    req->len = len;
    if (len < DISPATCH_INLINE_PARSE_BYTES) {
        parse_line(req, line, len);
        after_parse(req);
        return;
    }
    /* While it is parsed off the loop: the copy and the tree to come. */
    size_t cost = parse_cost(len, true);
    req->host->cost(req, cost > SIZE_MAX - len ? SIZE_MAX : cost + len);
    req->line = malloc(len);
    if (!req->line) {
        rpc_fail(req, RPC_INTERNAL_ERROR, "out of memory");
        return;
    }
    memcpy(req->line, line, len);
    /* Parsing a large line runs on the pool (counted like store work, so
     * that a stop waits for it too). */
    rpc_run_off_loop(req, parse_work, after_parse);
}
