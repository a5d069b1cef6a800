/* method_analyse.c - analyse: read the request into an engine job, answer
 * from the result cache or run the plugin (engine.h), and send the answer
 * text (answer.h) sorted and cut as asked (methods.h). */
#include "methods.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "jnum.h"
#include "log.h"
#include "params.h"
#include "privacy.h"

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
    if (key_int(b, sp->all_attrs * 2 + sp->keep_unvalued) < 0 ||
        key_int(b, (int64_t)sp->nattrs) < 0)
        return -1;
    for (size_t i = 0; i < sp->nattrs; i++)
        if (key_str(b, sp->attrs[i]) < 0)
            return -1;
    return view_spec_put_scope(b, sp);
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
    /* within: top is per scope, so the rows are cut scope by scope (in
     * id order when no sort is asked for). */
    if ((req->sort || (answer_scoped(a) && keep != SIZE_MAX)) &&
        !(order = answer_order(a, req->sort ? req->sort : "id",
                               req->sort ? req->sort_asc : true, &keep)))
        return;
    if (json_is_integer(req->id)) {
        idlen = jnum_int(num, json_integer_value(req->id));
    } else if (rpc_id_text(req->id, &id) == 0) {
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
    if (req->rc < 0) {
        rpc_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    rpc_send_out(req);
}

/* answer_compose, then the rewrite req->privacy asks for (privacy.h), on
 * the facts of the view the answer was made from (the job's, or for a
 * cached answer the engine's view of the same spec). Pool thread. */
static void answer_compose_private(rpc_req_t *req)
{
    job_t *job = req->job;
    unsigned flags = req->privacy;
    int64_t top = req->top;
    /* Pseudonymised rows go in pseudonym order, and top is taken after:
     * the view's order is the real ids'. */
    bool reorder = (flags & PRIVACY_PSEUDONYMISE) && !req->sort;
    if (reorder) {
        flags |= PRIVACY_ORDER_BY_PSEUDONYM;
        req->top = -1;
    }
    answer_compose(req);
    req->top = top;
    if (req->rc < 0)
        return;
    req->err[0] = '\0';
    if (!job->view)
        job->view = engine_view(req->host->engine, &job->spec,
                                job->has_baseline ? &job->base_spec : NULL,
                                req->err, sizeof req->err);
    privacy_facts_t *f = job->view ? privacy_facts_of_view(job->view) : NULL;
    if (!f) {
        if (!req->err[0])
            snprintf(req->err, sizeof req->err, "out of memory");
        req->rc = -EPROTO;
        return;
    }
    if (privacy_apply_line(&req->out, f, flags, req->privacy_min, privacy_key(),
                           reorder && top >= 0 ? (size_t)top : SIZE_MAX,
                           req->err, sizeof req->err) < 0)
        req->rc = -EPROTO;
    privacy_facts_free(f);
}

static void answer_send_private(rpc_req_t *req)
{
    if (req->rc == -EPROTO) {
        buf_clear(&req->out);
        rpc_error(req, RPC_INTERNAL_ERROR, req->err, NULL);
        return;
    }
    answer_send(req);
}

/* Answer req with req->answer: on the loop when that is quick (a cache
 * hit of a small answer: no thread hop, no JSON document), else on the
 * pool. Notifications get nothing. */
static void answer_reply(rpc_req_t *req, bool cached)
{
    if (!req->id) {
        rpc_send_out(req); /* a notification: nothing to send */
        return;
    }
    req->cached = cached;
    if (req->privacy) {
        rpc_run_off_loop(req, answer_compose_private, answer_send_private);
        return;
    }
    const answer_t *a = req->answer;
    if (((req->sort || answer_scoped(a)) &&
         answer_rows(a) > ANSWER_SORT_ON_LOOP_ROWS) ||
        answer_bytes(a) > ANSWER_WRITE_ON_LOOP_BYTES) {
        rpc_run_off_loop(req, answer_compose, answer_send);
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
        rpc_error(req, RPC_ANALYSIS_FAILED, msg,
                  json_pack("{s:s, s:s, s:s}", "plugin", p->name, "reason",
                            job->reason, "detail", job->detail));
        return;
    }
    /* The answer is cached under the data version the view was built at. */
    buf_t key = BUF_INIT;
    if (buf_puts(&key, req->cache_key) == 0 &&
        key_int(&key, job->view->data_version) == 0)
        cache_put(req->host->results, key.data, key.len, job->answer,
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
    json_t *n =
        json_pack("{s:s, s:s, s:{s:O, s:f}}", "jsonrpc", "2.0", "method",
                  "progress", "params", "id", req->id, "fraction", fraction);
    char *text = n ? json_dumps(n, JSON_COMPACT) : NULL;
    json_decref(n);
    if (!text)
        return;
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the NUL; the length is known */
    req->host->notify(req, text, len + 1);
    free(text);
}

static void analysis_cancel(rpc_req_t *req)
{
    if (req->job)
        engine_cancel(req->job);
}

void method_analyse(rpc_req_t *req, json_t *params)
{
    static const char *const allowed[] = {"plugin",         "boundary",
                                          "window",         "baseline",
                                          "kinds",          "params",
                                          "isolates",       "top",
                                          "sort",           "progress",
                                          "where",          "without",
                                          "within",         "event_weighting",
                                          "baseline_kinds", "suppress",
                                          "pseudonymise",   NULL};
    if (rpc_check_params(req, params, allowed) < 0)
        return;
    char err[512] = "";
    json_t *name = params ? json_object_get(params, "plugin") : NULL;
    if (!json_is_string(name)) {
        rpc_error(req, RPC_INVALID_PARAMS, "params.plugin is required", NULL);
        return;
    }
    req->t0 = uv_hrtime();
    job_t *job = engine_job_new();
    if (!job) {
        rpc_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    req->job = job;
    job->plugin = loader_get(req->host->plugins, json_string_value(name));
    if (!job->plugin) {
        snprintf(err, sizeof err,
                 "no plugin named \"%.64s\" (spanctl plugins "
                 "lists them)",
                 json_string_value(name));
        rpc_error(req, RPC_NOT_FOUND, err, NULL);
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
    if (!boundary || !params_attr_name(boundary))
        snprintf(err, sizeof err, "params.boundary must be an attribute name");
    else if (iso && !json_is_boolean(iso))
        snprintf(err, sizeof err, "params.isolates must be true or false");
    else if (top && (!json_is_integer(top) || json_integer_value(top) < 0))
        snprintf(err, sizeof err, "params.top must be a whole number >= 0");
    else if (sort && !json_is_string(sort))
        snprintf(err, sizeof err, "params.sort must be a column name");
    else if (params_privacy(params, &req->privacy, err, sizeof err) == 0 &&
             (req->privacy & (PRIVACY_PSEUDONYMISE | PRIVACY_READER)) &&
             privacy_identifying(req->host->cfg->identifying, boundary))
        snprintf(err, sizeof err,
                 "params.boundary: %s identifies people ([privacy] "
                 "identifying): a pseudonymised answer cannot use it",
                 boundary);
    else if (req->privacy && json_object_get(params, "within"))
        /* privacy.c reads key columns at fixed places (id first, group
         * sizes of the pooled view): a scope column before them would
         * pseudonymise the scope and leave the id, and suppress by the
         * wrong sizes. Refused until it knows scopes; readers' answers
         * always go through it, so readers cannot use within either. */
        snprintf(err, sizeof err,
                 "params.within cannot be combined with suppress or "
                 "pseudonymise (or used by a reader, whose answers always "
                 "have both) in this version: ask per scope with where "
                 "instead");
    else if ((req->privacy & PRIVACY_PSEUDONYMISE) && sort &&
             !strncmp(json_string_value(sort), "id", 2) &&
             (json_string_value(sort)[2] == '\0' ||
              json_string_value(sort)[2] == ':'))
        snprintf(err, sizeof err,
                 "params.sort: pseudonymised rows cannot be put in the "
                 "order of the real ids (without sort they come in "
                 "pseudonym order)");
    req->privacy_min = req->host->cfg->min_group_size;
    if (!err[0] && sort) {
        /* "col" sorts descending, "col:asc" ascending. */
        const char *s = json_string_value(sort);
        const char *colon = strrchr(s, ':');
        size_t len = colon ? (size_t)(colon - s) : strlen(s);
        if (colon && strcmp(colon, ":asc") && strcmp(colon, ":desc"))
            snprintf(err, sizeof err,
                     "params.sort: use COLUMN, COLUMN:asc "
                     "or COLUMN:desc");
        else if (!(req->sort = strndup(s, len)))
            snprintf(err, sizeof err, "out of memory");
        req->sort_asc = colon && !strcmp(colon, ":asc");
        bool known = req->sort &&
                     (!strcmp(req->sort, "id") || !strcmp(req->sort, "group"));
        for (int i = 0; !err[0] && !known && i < p->ncols[0]; i++)
            known = !strcmp(
                p->desc->columns[loader_column_index(p, SPAND_TABLE_VERTEX, i)]
                    .name,
                req->sort);
        if (!err[0] && !known)
            snprintf(err, sizeof err,
                     "params.sort: %s has no vertex column \"%.64s\"", p->name,
                     req->sort);
    }
    if (!err[0] && (p->desc->flags & SPAND_NEEDS_BASELINE) &&
        (!base || json_is_null(base)))
        snprintf(err, sizeof err,
                 "plugin %s compares two windows: give a baseline window",
                 p->name);
    if (err[0] ||
        params_window(json_object_get(params, "window"), "window",
                      &job->spec.from, &job->spec.to, err, sizeof err) < 0 ||
        params_window(base, "baseline", &job->base_spec.from,
                      &job->base_spec.to, err, sizeof err) < 0 ||
        params_kinds(json_object_get(params, "kinds"), &job->spec, err,
                     sizeof err) < 0 ||
        !(job->params = params_plugin(p, json_object_get(params, "params"), err,
                                      sizeof err)) ||
        params_plugin_attrs(p, job->params, &job->spec, err, sizeof err) < 0) {
        rpc_error(req, RPC_INVALID_PARAMS, err, NULL);
        return;
    }
    if (top)
        req->top = json_integer_value(top);
    job->spec.isolates = iso && json_is_true(iso);
    job->spec.boundary = strdup(boundary);
    job->spec.max_groups = req->host->cfg->max_groups;
    job->has_baseline = base && !json_is_null(base);
    json_t *bk = json_object_get(params, "baseline_kinds");
    if (!job->spec.boundary) {
        rpc_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    if (params_scope(params, &job->spec, err, sizeof err) < 0 ||
        (!job->has_baseline && bk && !json_is_null(bk) &&
         snprintf(err, sizeof err,
                  "params.baseline_kinds: give a baseline window too") > 0) ||
        (job->has_baseline &&
         params_baseline_spec(params, &job->spec, &job->base_spec, err,
                              sizeof err) < 0)) {
        rpc_error(req, RPC_INVALID_PARAMS, err, NULL);
        return;
    }
    json_t *prog = json_object_get(params, "progress");
    if (prog && !json_is_boolean(prog)) {
        rpc_error(req, RPC_INVALID_PARAMS,
                  "params.progress must be true or false", NULL);
        return;
    }
    /* Cache key: the plugin file's identity, typed params, view spec;
     * then the data version, for the lookup. */
    buf_t key = BUF_INIT;
    store_counts_t c;
    store_counts(req->host->store, &c);
    size_t base_len;
    if (!job->spec.boundary ||
        !(job->base_spec.boundary || !job->has_baseline) ||
        cache_key(&key, job) < 0 ||
        ((base_len = key.len), key_int(&key, c.data_version) < 0)) {
        buf_free(&key);
        rpc_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    answer_t *hit = cache_get(req->host->results, key.data, key.len);
    key.len = base_len; /* the version goes: analysis_done adds the view's */
    key.data[base_len] = '\0';
    req->cache_key = buf_steal(&key, NULL);
    if (hit) {
        job->plugin->cache_hits++;
        req->answer = hit;
        answer_reply(req, true);
        return;
    }
    const config_t *cfg = req->host->cfg;
    job->isolate = config_isolate(cfg, p->name, p->builtin);
    job->timeout_ms = cfg->timeout_ms;
    job->memory_limit = (size_t)cfg->memory_limit_mb << 20;
    job->cb = analysis_done;
    job->ctx = req;
    if (prog && json_is_true(prog))
        job->progress_cb = analysis_progress;
    if (engine_submit(req->host->engine, job) < 0) {
        rpc_error(req, RPC_BUSY,
                  "busy: the analysis queue is full; retry later", NULL);
        return;
    }
    req->on_cancel = analysis_cancel;
}
