/* method_people.c - boundaries, summary, person, people, forget: reads of the
 * store off the loop, and erasure through the store's writer (methods.h). */
#include "methods.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "log.h"
#include "params.h"
#include "ts.h"

static void boundaries_work(rpc_req_t *req)
{
    req->rc = store_boundaries(req->host->store, &req->result, req->err,
                               sizeof req->err);
    /* Readers see attribute names and counts, not people's values
     * (access.h). */
    if (req->rc == 0 && access_aggregates_only(req->roles)) {
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(req->result, "attributes"), i, a)
            json_object_del(a, "values");
    }
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

/* Kinds and their counts are aggregates over the whole store, as the
 * rest of summary: nothing about a person, so readers may have them. */
static void summary_kinds_work(rpc_req_t *req)
{
    req->rc = store_summary_kinds(req->host->store, &req->result, req->err,
                                  sizeof req->err);
}

void method_summary(rpc_req_t *req, json_t *params)
{
    static const char *const allowed[] = {"boundary", "kinds_only", NULL};
    if (rpc_check_params(req, params, allowed) < 0)
        return;
    json_t *b = params ? json_object_get(params, "boundary") : NULL;
    if (b && !json_is_string(b)) {
        rpc_error(req, RPC_INVALID_PARAMS,
                  "params.boundary must be an attribute name", NULL);
        return;
    }
    json_t *ko = params ? json_object_get(params, "kinds_only") : NULL;
    if (ko && !json_is_boolean(ko)) {
        rpc_error(req, RPC_INVALID_PARAMS,
                  "params.kinds_only must be true or false", NULL);
        return;
    }
    if (json_is_true(ko)) {
        rpc_run_off_loop(req, summary_kinds_work, rpc_after_read);
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
    if (req->rc == 0)
        req->audit_rows = 1;
}

/* The label of other person key in a redacted document: "other person N",
 * N counted in order of first appearance, the same person the same N.
 * Returns a new reference, or NULL out of memory. */
static json_t *other_label(json_t *seen, const char *key)
{
    json_t *label = json_object_get(seen, key);
    if (label)
        return json_incref(label);
    char text[48];
    snprintf(text, sizeof text, "other person %zu", json_object_size(seen) + 1);
    label = json_string(text);
    if (!label || json_object_set(seen, key, label) < 0) {
        json_decref(label);
        return NULL;
    }
    return label;
}

/* Replace, in place, whom else a value names: v is a string id (replaced
 * unless it is the subject's own) or an array of them. -1 out of memory. */
static int redact_value(json_t *v, const char *self, json_t *seen, json_t **out)
{
    *out = NULL;
    if (json_is_string(v)) {
        const char *k = json_string_value(v);
        *out = strcmp(k, self) == 0 ? json_incref(v) : other_label(seen, k);
        return *out ? 0 : -1;
    }
    if (!json_is_array(v)) {
        *out = json_incref(v);
        return 0;
    }
    json_t *arr = json_array();
    size_t i;
    json_t *x, *r;
    json_array_foreach(v, i, x)
    {
        if (!arr || redact_value(x, self, seen, &r) < 0 ||
            json_array_append_new(arr, r) < 0) {
            json_decref(arr);
            return -1;
        }
    }
    *out = arr;
    return 0;
}

/* A subject access document that can be handed over as it is: the other
 * people in the person's records (from, to) and events (participants)
 * become "other person N", consistently within the document, so the
 * person sees the pattern of their own ties without learning who else is
 * held. The audit lines (who looked at the person's data, as the user's
 * login name) are kept: staff access is part of what a subject is owed.
 * Returns 0, or -1 out of memory. */
static int redact_others(json_t *doc, const char *self)
{
    static const char *const members[] = {"from", "to", "participants"};
    static const char *const lists[] = {"records", "events"};
    json_t *seen = json_object();
    if (!seen)
        return -1;
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(doc, lists[l]), i, item)
        {
            for (size_t m = 0; m < 3; m++) {
                json_t *v = json_object_get(item, members[m]), *r;
                if (v && (redact_value(v, self, seen, &r) < 0 ||
                          json_object_set_new(item, members[m], r) < 0)) {
                    json_decref(seen);
                    return -1;
                }
            }
        }
    }
    json_decref(seen);
    return json_object_set_new(doc, "redacted", json_true()) < 0 ? -1 : 0;
}

/* Subject access: everything held about the person. */
static void person_all_work(rpc_req_t *req)
{
    req->rc = store_person_all(req->host->store, req->arg, &req->result,
                               req->err, sizeof req->err);
    const json_t *params = json_object_get(req->msg, "params");
    if (req->rc == 0 && json_is_true(json_object_get(params, "redact")) &&
        redact_others(req->result, req->arg) < 0) {
        json_decref(req->result);
        req->result = NULL;
        req->rc = -ENOMEM;
        snprintf(req->err, sizeof req->err, "out of memory redacting");
    }
    if (req->rc == 0)
        req->audit_rows =
            1 +
            (int64_t)json_array_size(json_object_get(req->result, "records")) +
            (int64_t)json_array_size(json_object_get(req->result, "events"));
}

static void person_all_synced(store_op_t *op, int rc)
{
    rpc_req_t *req = op->ctx;
    store_op_free(op);
    if (rc < 0) {
        rpc_error(req, RPC_STORAGE_ERROR, "the store cannot be read now", NULL);
        return;
    }
    rpc_run_off_loop(req, person_all_work, rpc_after_read);
}

/* params without key (a shallow copy; NULL stays NULL), so that
 * rpc_want_id() checks the rest. Replies and returns -1 on failure. */
static int without(rpc_req_t *req, json_t *params, const char *key,
                   json_t **out, json_t **val)
{
    *out = NULL;
    *val = NULL;
    if (!json_is_object(params)) {
        *out = json_incref(params);
        return 0;
    }
    if (!(*out = json_copy(params))) {
        rpc_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return -1;
    }
    *val = json_object_get(params, key);
    json_object_del(*out, key);
    return 0;
}

void method_person(rpc_req_t *req, json_t *params)
{
    json_t *rest, *all, *rest2, *redact;
    if (without(req, params, "all", &rest, &all) < 0)
        return;
    rest2 = NULL;
    redact = NULL;
    int rc = without(req, rest, "redact", &rest2, &redact);
    if (rc == 0)
        rc = rpc_want_id(req, rest2);
    json_decref(rest);
    json_decref(rest2);
    if (rc < 0)
        return;
    if (all && !json_is_boolean(all)) {
        rpc_error(req, RPC_INVALID_PARAMS, "params.all must be true or false",
                  NULL);
        return;
    }
    if (redact && (!json_is_boolean(redact) ||
                   (json_is_true(redact) && !json_is_true(all)))) {
        rpc_error(req, RPC_INVALID_PARAMS,
                  "params.redact must be true or false, and true only with "
                  "all",
                  NULL);
        return;
    }
    if (!json_is_true(all)) {
        rpc_run_off_loop(req, person_work, rpc_after_read);
        return;
    }
    /* The answer holds every request about the person answered before. */
    method_after_sync(req, person_all_synced);
}

void method_after_sync(rpc_req_t *req, store_op_cb done)
{
    store_op_t *op = store_op_new(STORE_OP_SYNC, done, req);
    int rc = op ? store_submit(req->host->store, op) : -ENOMEM;
    if (rc < 0) {
        store_op_free(op);
        rpc_error(req, rc == -EBUSY ? RPC_BUSY : RPC_INTERNAL_ERROR,
                  rc == -EBUSY ? "busy: the write queue is full; retry later"
                               : "cannot reach the store",
                  NULL);
    }
}

/* people: the attributes of many ids in one request, so that a client
 * naming the rows of a report asks once per batch rather than once per
 * person (person also counts records, which scans the record table). */

/* The request's ids and attribute names are read again off the loop from
 * req->msg, which nothing changes while the request is being worked. */
static void people_work(rpc_req_t *req)
{
    json_t *params = json_object_get(req->msg, "params");
    json_t *names = json_object_get(params, "attributes");
    req->rc = store_people(req->host->store, json_object_get(params, "ids"),
                           json_is_null(names) ? NULL : names, &req->result,
                           req->err, sizeof req->err);
    if (req->rc == 0)
        req->audit_rows =
            (int64_t)json_object_size(json_object_get(req->result, "people"));
}

/* Is every member of a a string with no NUL (an id or an attribute name
 * stored as text)? */
static bool all_strings(json_t *a)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!json_is_string(v) ||
            strlen(json_string_value(v)) != json_string_length(v))
            return false;
    }
    return true;
}

void method_people(rpc_req_t *req, json_t *params)
{
    static const char *const allowed[] = {"ids", "attributes", NULL};
    if (rpc_check_params(req, params, allowed) < 0)
        return;
    json_t *ids = params ? json_object_get(params, "ids") : NULL;
    json_t *names = params ? json_object_get(params, "attributes") : NULL;
    char msg[160];
    if (!json_is_array(ids) || !all_strings(ids)) {
        rpc_error(req, RPC_INVALID_PARAMS,
                  "params.ids must be an array of person ids (strings)", NULL);
        return;
    }
    if (json_array_size(ids) > METHOD_PEOPLE_MAX_IDS) {
        snprintf(msg, sizeof msg,
                 "params.ids: at most %d ids in one request; send several",
                 METHOD_PEOPLE_MAX_IDS);
        rpc_error(req, RPC_INVALID_PARAMS, msg,
                  json_pack("{s:i}", "max_ids", METHOD_PEOPLE_MAX_IDS));
        return;
    }
    if (names && !json_is_null(names) &&
        (!json_is_array(names) || !all_strings(names) ||
         json_array_size(names) > METHOD_PEOPLE_MAX_ATTRIBUTES)) {
        snprintf(msg, sizeof msg,
                 "params.attributes must be an array of at most %d "
                 "attribute names",
                 METHOD_PEOPLE_MAX_ATTRIBUTES);
        rpc_error(req, RPC_INVALID_PARAMS, msg, NULL);
        return;
    }
    rpc_run_off_loop(req, people_work, rpc_after_read);
}

/* After an erasure: no cached answer or view may hold what was erased. */
static void drop_caches(rpc_req_t *req, int64_t data_version)
{
    if (req->host->results)
        cache_clear(req->host->results, data_version);
    if (req->host->engine)
        engine_drop_views(req->host->engine, data_version);
}

static void forget_done(store_op_t *op, int rc)
{
    rpc_req_t *req = op->ctx;
    if (rc == -ENOENT) {
        req->rc = -ENOENT;
        rpc_after_read(req);
    } else if (rc < 0) {
        rpc_error(req, RPC_STORAGE_ERROR, op->err, NULL);
    } else if (!op->forget_id) {
        drop_caches(req, op->data_version);
        log_notice("forgot everything before a date: %lld records, %lld "
                   "events and %lld event participations erased",
                   (long long)op->forget.records_removed,
                   (long long)op->forget.events_removed,
                   (long long)op->forget.participations_removed);
        req->audit_rows =
            op->forget.records_removed + op->forget.events_removed;
        char at[TS_FORMAT_LEN];
        rpc_reply(
            req,
            json_pack("{s:s, s:I, s:I, s:I, s:I, s:b, s:b}", "before",
                      ts_format(op->forget_before, at), "records_removed",
                      (json_int_t)op->forget.records_removed, "events_removed",
                      (json_int_t)op->forget.events_removed,
                      "participations_removed",
                      (json_int_t)op->forget.participations_removed,
                      "data_version", (json_int_t)op->data_version, "erased", 1,
                      "pending_wal", (int)op->forget.wal_pending));
    } else {
        drop_caches(req, op->data_version);
        req->audit_rows =
            op->forget.records_removed + op->forget.participations_removed;
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
    json_t *rest, *before;
    int64_t t = 0;
    char err[256];
    if (without(req, params, "before", &rest, &before) < 0)
        return;
    if (before) {
        /* By date: {before} alone. */
        bool alone = json_object_size(rest) == 0;
        json_decref(rest);
        if (!alone) {
            rpc_error(req, RPC_INVALID_PARAMS,
                      "params: give id or before, not both", NULL);
            return;
        }
        if (params_time(before, &t, "params.before", err, sizeof err) < 0) {
            rpc_error(req, RPC_INVALID_PARAMS, err, NULL);
            return;
        }
    } else {
        int rc = rpc_want_id(req, rest);
        json_decref(rest);
        if (rc < 0)
            return;
    }
    store_op_t *op = store_op_new(STORE_OP_FORGET, forget_done, req);
    if (op)
        op->forget_before = t;
    if (!op || (!before && !(op->forget_id = strdup(req->arg)))) {
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
