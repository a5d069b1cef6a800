/* dispatch.c - see dispatch.h. Loop thread, except parse_work. */
#include "dispatch.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "log.h"
#include "methods.h"
#include "privacy.h"
#include "utf8.h"

/* Who may call what (access.h, doc/protocol.md "Roles"), and whether a
 * call goes into the audit: every request that reads person-level data,
 * writes, forgets or changes the daemon. */
#define R_ALL ACCESS_ANY
#define R_READ (ACCESS_READER | ACCESS_ANALYST | ACCESS_ADMIN)
#define R_PERSON (ACCESS_ANALYST | ACCESS_ADMIN)
#define R_WRITE (ACCESS_WRITER | ACCESS_ADMIN)
#define R_ADMIN ACCESS_ADMIN

static const struct method {
    const char *name;
    void (*fn)(rpc_req_t *, json_t *);
    unsigned roles;
    bool audit;
} methods[] = {
    {"ping", method_ping, R_ALL, false},
    {"status", method_status, R_ALL, false},
    {"plugins", method_plugins, R_ALL, false},
    {"boundaries", method_boundaries, R_READ, true},
    {"analyse", method_analyse, R_READ, true},
    {"summary", method_summary, R_PERSON, true},
    {"person", method_person, R_PERSON, true},
    {"people", method_people, R_PERSON, true},
    {"export", method_export, R_PERSON, true},
    {"ingest", method_ingest, R_WRITE, true},
    {"forget", method_forget, R_ADMIN, true},
    {"reload", method_reload, R_ADMIN, true},
    {"shutdown", method_shutdown, R_ADMIN, true},
    {"audit", method_audit, R_ADMIN, true},
};

/* The least of the roles in roles, for a message. */
static const char *least_role(unsigned roles)
{
    static const unsigned order[] = {ACCESS_READER, ACCESS_WRITER,
                                     ACCESS_ANALYST, ACCESS_ADMIN};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (roles & order[i])
            return access_role_name(order[i]);
    return "admin";
}

/* Refuse req: m is outside the client's roles. */
static void refuse(rpc_req_t *req, const struct method *m)
{
    char msg[200];
    snprintf(msg, sizeof msg,
             "permission denied: %s needs the %s role%s; you are %s", m->name,
             least_role(m->roles), m->roles == ACCESS_ADMIN ? "" : " or above",
             access_role_name(req->roles));
    rpc_error(req, RPC_FORBIDDEN, msg,
              json_pack("{s:s, s:s, s:o, s:s}", "method", m->name,
                        "role_needed", least_role(m->roles), "roles_allowed",
                        access_roles_json(m->roles), "role",
                        access_role_name(req->roles)));
}

/* Readers see aggregates only (access.h): an analysis answers them with
 * no vertex rows. 0, or -1 (replied). */
static int aggregates_only(rpc_req_t *req, json_t *params)
{
    /* Suppression, no vertex table, no id in any text cell or note
     * (privacy.h). */
    req->privacy |= PRIVACY_READER;
    if (!json_is_object(params))
        return 0; /* the method reports it */
    if (json_object_set_new(params, "top", json_integer(0)) < 0) {
        rpc_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return -1;
    }
    return 0;
}

/* The person a request names, for the audit (NULL: none). */
static char *audit_target(json_t *params)
{
    json_t *id = json_is_object(params) ? json_object_get(params, "id") : NULL;
    if (!json_is_string(id))
        id = json_is_object(params) ? json_object_get(params, "person") : NULL;
    return json_is_string(id) ? strdup(json_string_value(id)) : NULL;
}

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
        const struct method *m = &methods[i];
        if (strcmp(m->name, name) != 0)
            continue;
        log_debug("request %s", name);
        if (m->audit) {
            req->audit_method = m->name;
            req->audit_target = audit_target(params);
        }
        if (!(req->roles & m->roles)) {
            refuse(req, m);
            return;
        }
        if (access_aggregates_only(req->roles) &&
            strcmp(m->name, "analyse") == 0 && aggregates_only(req, params) < 0)
            return;
        m->fn(req, params);
        return;
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
    req->host->cost(req,
                    parse_cost(req->len, req->msg != NULL && !req->batch.live));
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
