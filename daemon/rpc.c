/* rpc.c - see rpc.h: the request object and the one place reply lines
 * are written. Loop thread, except the work_fn callbacks. */
#include "rpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inttypes.h>
#include <math.h>
#include <stdint.h>

#include <unistd.h>

#include "answer.h"
#include "jnum.h"

rpc_req_t *rpc_req_new(rpc_host_t *host, void *conn)
{
    rpc_req_t *req = calloc(1, sizeof *req);
    if (req) {
        req->host = host;
        req->conn = conn;
        req->body_fd = -1;
        req->audit_rows = -1;
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
    free(req->audit_target);
    free(req->cache_key);
    free(req->sort);
    answer_unref(req->answer);
    engine_job_free(req->job);
    if (req->batch.live)
        ingest_batch_free(&req->batch);
    buf_free(&req->out);
    buf_free(&req->tail);
    if (req->body_fd >= 0)
        close(req->body_fd);
    free(req);
}

static void rpc_done(rpc_req_t *req)
{
    req->host->done(req);
}

/* ---- responses ------------------------------------------------------- */

static const char oom_line[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{"
                               "\"code\":-32603,\"message\":\"out of "
                               "memory\"}}\n";

/* Replace req->out by error 1002 for a response of len bytes (without its
 * LF) over max_output_bytes. */
static void too_large(rpc_req_t *req, size_t len)
{
    size_t max = req->host->cfg->max_output_bytes;
    buf_t id = BUF_INIT;
    buf_clear(&req->out);
    if (rpc_id_text(req->id ? req->id : json_null(), &id) < 0 ||
        buf_printf(&req->out,
                   "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":%d,"
                   "\"message\":\"response of %zu bytes exceeds "
                   "max_output_bytes (%zu)\"}}\n",
                   id.data, RPC_RESPONSE_TOO_LARGE, len, max) < 0) {
        buf_clear(&req->out);
        buf_puts(&req->out, oom_line);
    }
    buf_free(&id);
}

void rpc_send_out(rpc_req_t *req)
{
    uint64_t len = req->out.len + req->body_len + req->tail.len;
    if (len > req->host->cfg->max_output_bytes) {
        too_large(req, (size_t)len - 1); /* without the newline */
        if (req->body_fd >= 0)
            close(req->body_fd);
        req->body_fd = -1;
        req->body_len = 0;
        buf_clear(&req->tail);
    }
    rpc_done(req);
}

/* Write body (a response object, stolen; NULL: out of memory) as req's
 * response line, and send it. */
static void finish(rpc_req_t *req, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    size_t len = text ? strlen(text) : 0;
    buf_clear(&req->out);
    if (!text || buf_reserve(&req->out, len + 1) < 0) {
        buf_puts(&req->out, oom_line);
    } else {
        buf_append(&req->out, text, len);
        buf_putc(&req->out, '\n');
    }
    free(text);
    rpc_send_out(req);
}

void rpc_reply(rpc_req_t *req, json_t *result)
{
    if (!req->id) {
        json_decref(result);
        rpc_done(req);
        return;
    }
    if (!result) {
        finish(req, NULL);
        return;
    }
    finish(req, json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", req->id,
                          "result", result));
}

void rpc_error(rpc_req_t *req, int code, const char *message, json_t *data)
{
    if (!req->id && req->parsed) {
        /* A well-formed notification gets no reply, even an error. */
        json_decref(data);
        rpc_done(req);
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
    rpc_error(req, code, message, NULL);
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
    req->host->work_end(req->host->server);
    if (status < 0) {
        rpc_error(req, RPC_INTERNAL_ERROR, "request cancelled", NULL);
        return;
    }
    req->after_fn(req);
}

void rpc_run_off_loop(rpc_req_t *req, void (*fn)(rpc_req_t *),
                      void (*after)(rpc_req_t *))
{
    req->work_fn = fn;
    req->after_fn = after;
    req->work.data = req;
    int rc = uv_queue_work(req->host->loop, &req->work, work_cb, after_work_cb);
    if (rc < 0) {
        rpc_error(req, RPC_INTERNAL_ERROR, uv_strerror(rc), NULL);
        return;
    }
    req->host->work_begin(req->host->server);
}

void rpc_after_read(rpc_req_t *req)
{
    if (req->rc == -ENOENT) {
        char msg[600];
        snprintf(msg, sizeof msg, "no person with id \"%s\"",
                 req->arg ? req->arg : "");
        rpc_error(req, RPC_NOT_FOUND, msg, NULL);
    } else if (req->rc < 0) {
        rpc_error(req, RPC_STORAGE_ERROR, req->err, NULL);
    } else {
        json_t *r = req->result;
        req->result = NULL;
        rpc_reply(req, r);
    }
}

/* ---- parameter helpers ---------------------------------------------- */

int rpc_check_params(rpc_req_t *req, json_t *params, const char *const *allowed)
{
    if (!params)
        return 0;
    if (!json_is_object(params)) {
        rpc_error(req, RPC_INVALID_PARAMS, "params must be an object", NULL);
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
            rpc_error(req, RPC_INVALID_PARAMS, msg, NULL);
            return -1;
        }
    }
    return 0;
}

int rpc_want_id(rpc_req_t *req, json_t *params)
{
    static const char *const allowed[] = {"id", NULL};
    if (rpc_check_params(req, params, allowed) < 0)
        return -1;
    json_t *id = params ? json_object_get(params, "id") : NULL;
    const char *why = "params.id is required";
    if (id && !json_is_string(id))
        why = "params.id must be a string";
    else if (id)
        why = ingest_check_id(json_string_value(id), json_string_length(id),
                              req->host->cfg->max_id_bytes);
    if (why) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s%s",
                 id && json_is_string(id) ? "params.id " : "", why);
        rpc_error(req, RPC_INVALID_PARAMS, msg, NULL);
        return -1;
    }
    req->arg = strdup(json_string_value(id));
    if (!req->arg) {
        rpc_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return -1;
    }
    return 0;
}

int rpc_id_text(const json_t *id, buf_t *b)
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
