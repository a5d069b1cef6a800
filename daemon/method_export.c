/* method_export.c - export: the view as GraphML, GEXF, DOT or CSV text
 * (export.h), built off the loop through the engine's view cache. */
#include "methods.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "params.h"

static void export_work(rpc_req_t *req)
{
    /* Through the engine's view cache: an export of the view an analysis
     * just used (or of data only appended to since) builds nothing. */
    view_t *v = engine_view(req->host->engine, &req->job->spec, NULL, req->err,
                            sizeof req->err);
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
            params_window_json(req->job->spec.from, req->job->spec.to), "view",
            "vertices", (json_int_t)igraph_vcount(&v->graph), "edges",
            (json_int_t)igraph_ecount(&v->graph), "excluded",
            (json_int_t)v->pub.excluded, "groups", (json_int_t)v->pub.ngroups,
            "data_version", (json_int_t)v->data_version, "text", buf_str(&text),
            text.len);
        if (!req->result) {
            snprintf(req->err, sizeof req->err, "out of memory exporting");
            req->rc = -EIO;
        }
    }
    buf_free(&text);
    view_unref(v);
}

void method_export(rpc_req_t *req, json_t *params)
{
    static const char *const allowed[] = {"format", "boundary", "window",
                                          "kinds",  "isolates", NULL};
    if (rpc_check_params(req, params, allowed) < 0)
        return;
    char err[512] = "";
    json_t *f = params ? json_object_get(params, "format") : NULL;
    json_t *b = params ? json_object_get(params, "boundary") : NULL;
    json_t *iso = params ? json_object_get(params, "isolates") : NULL;
    const char *boundary = b ? json_string_value(b) : "sector";
    if (!json_is_string(f) || !export_format_known(json_string_value(f)))
        snprintf(err, sizeof err,
                 "params.format must be graphml, gexf, dot "
                 "or csv");
    else if (!boundary || !params_attr_name(boundary))
        snprintf(err, sizeof err, "params.boundary must be an attribute name");
    else if (iso && !json_is_boolean(iso))
        snprintf(err, sizeof err, "params.isolates must be true or false");
    job_t *job = err[0] ? NULL : engine_job_new();
    if (!err[0] && !job)
        snprintf(err, sizeof err, "out of memory");
    req->job = job;
    if (err[0] ||
        params_window(json_object_get(params, "window"), "window",
                      &job->spec.from, &job->spec.to, err, sizeof err) < 0 ||
        params_kinds(json_object_get(params, "kinds"), &job->spec, err,
                     sizeof err) < 0) {
        rpc_error(req, RPC_INVALID_PARAMS, err, NULL);
        return;
    }
    job->spec.isolates = iso && json_is_true(iso);
    job->spec.boundary = strdup(boundary);
    job->spec.max_groups = req->host->cfg->max_groups;
    req->arg = strdup(json_string_value(f));
    if (!job->spec.boundary || !req->arg) {
        rpc_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    rpc_run_off_loop(req, export_work, rpc_after_read);
}
