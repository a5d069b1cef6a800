/* method_export.c - export: the view as GraphML, GEXF, DOT or CSV text
 * (export.h), built off the loop through the engine's view cache, with
 * every attribute and (unless params.unvalued is false) the people
 * without a boundary value.
 *
 * The answer is the usual JSON object with the text in its "text" member,
 * but the text never exists as one string: the work thread writes it,
 * JSON-escaped, into an unlinked temporary file, and the server sends the
 * envelope head (req->out), then the file (req->body_fd), then the tail
 * `"}}` (req->tail), in chunks (rpc.h). A client sees exactly the line a
 * json_dumps() of the whole object would give. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_TMPFILE, mkostemp */
#endif
#include "methods.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"
#include "params.h"
#include "privacy.h"

/* ---- the text as a JSON string in a temporary file ------------------- */

#define JFILE_BUF 65536

/* A writer of JSON string contents (without the quotes) to fd. limit
 * bounds the escaped length: past it, writing stops with -EFBIG, so that
 * an export over max_output_bytes costs no more disk than the limit. */
typedef struct jfile {
    int fd;
    uint64_t len; /* escaped bytes accepted so far */
    uint64_t limit;
    size_t n; /* bytes in buf */
    char buf[JFILE_BUF];
} jfile_t;

static int jf_flush(jfile_t *j)
{
    size_t off = 0;
    while (off < j->n) {
        ssize_t w = write(j->fd, j->buf + off, j->n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        off += (size_t)w;
    }
    j->n = 0;
    return 0;
}

static int jf_put(jfile_t *j, const char *p, size_t n)
{
    if (n > j->limit - j->len)
        return -EFBIG;
    j->len += n;
    while (n) {
        if (j->n == sizeof j->buf) {
            int rc = jf_flush(j);
            if (rc < 0)
                return rc;
        }
        size_t k = sizeof j->buf - j->n < n ? sizeof j->buf - j->n : n;
        memcpy(j->buf + j->n, p, k);
        j->n += k;
        p += k;
        n -= k;
    }
    return 0;
}

/* The escapes jansson's json_dumps() writes, so that the streamed line is
 * the one the whole object dumped would be: these, \u00XX (upper case)
 * for the other C0 controls, every other byte as itself (UTF-8 passes
 * through; export.h makes sure it is valid). */
static const char *const json_escapes[0x60] = {
    ['"'] = "\\\"", ['\\'] = "\\\\", ['\b'] = "\\b", ['\f'] = "\\f",
    ['\n'] = "\\n", ['\r'] = "\\r",  ['\t'] = "\\t"};

static const char *json_escape(unsigned char c, char seq[7])
{
    if (c >= sizeof json_escapes / sizeof *json_escapes)
        return NULL;
    if (json_escapes[c] || c >= 0x20)
        return json_escapes[c];
    snprintf(seq, 7, "\\u%04X", (unsigned)c);
    return seq;
}

/* export_sink_t.write */
static int jf_write(void *ctx, const char *p, size_t n)
{
    jfile_t *j = ctx;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        char seq[7];
        const char *e = json_escape((unsigned char)p[i], seq);
        if (!e)
            continue;
        int rc = jf_put(j, p + run, i - run);
        if (rc == 0)
            rc = jf_put(j, e, strlen(e));
        if (rc < 0)
            return rc;
        run = i + 1;
    }
    return jf_put(j, p + run, n - run);
}

/* An unlinked file of mode 0600 in dir: the text holds personal data, so
 * it must never be readable by others nor outlive the request. O_TMPFILE
 * gives a file that never has a name; where the filesystem lacks it, a
 * named file unlinked at once. */
static int open_tmp(const char *dir, char *err, size_t errlen)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        buf_t path = BUF_INIT;
        if (buf_printf(&path, "%s/.spand-export-XXXXXX", dir) == 0) {
            fd = mkostemp(path.data, O_CLOEXEC);
            if (fd >= 0)
                unlink(path.data);
        } else {
            errno = ENOMEM;
        }
        buf_free(&path);
    }
    if (fd < 0)
        snprintf(err, errlen,
                 "could not make a temporary file for the "
                 "export: %s",
                 strerror(errno));
    return fd;
}

/* ---- the request ----------------------------------------------------- */

/* req->out = the response line up to the text's opening quote: the
 * envelope and every result member before "text", as json_dumps() orders
 * them; req->tail = what follows the text. */
static int envelope(rpc_req_t *req, const view_t *v, const char *format)
{
    const job_t *job = req->job;
    json_t *r = json_pack(
        "{s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I}, s:I}", "format", format,
        "boundary", job->spec.boundary, "window",
        params_window_json(job->spec.from, job->spec.to), "view", "vertices",
        (json_int_t)igraph_vcount(&v->graph), "edges",
        (json_int_t)igraph_ecount(&v->graph), "excluded",
        (json_int_t)v->pub.excluded, "groups", (json_int_t)v->pub.ngroups,
        "data_version", (json_int_t)v->data_version);
    char *text = r ? json_dumps(r, JSON_COMPACT) : NULL;
    json_decref(r);
    req->audit_rows = (int64_t)igraph_vcount(&v->graph); /* people written */
    size_t len = text ? strlen(text) : 0;
    int rc = !text || len < 2 ||
                     buf_puts(&req->out, "{\"jsonrpc\":\"2.0\",\"id\":") < 0 ||
                     rpc_id_text(req->id, &req->out) < 0 ||
                     buf_puts(&req->out, ",\"result\":") < 0 ||
                     buf_append(&req->out, text, len - 1) < 0 || /* no '}' */
                     buf_puts(&req->out, ",\"text\":\"") < 0 ||
                     buf_puts(&req->tail, "\"}}\n") < 0
                 ? -ENOMEM
                 : 0;
    free(text);
    return rc;
}

/* A pseudonymised export: o->ids = the pseudonym of every vertex of v
 * (*ids, freed with free_pseudonyms), o->identifying = the attributes
 * it must leave out. -1 with req->err when there is no key. */
static int pseudonyms(rpc_req_t *req, const view_t *v, char ***ids,
                      export_opts_t *o)
{
    const unsigned char *key = privacy_key();
    size_t n = (size_t)igraph_vcount(&v->graph);
    char **a = key ? malloc((n + 1) * sizeof *a) : NULL;
    char *pool = a ? malloc((n + 1) * (PRIVACY_PSEUDONYM_LEN + 1)) : NULL;
    if (!pool) {
        free(a);
        snprintf(req->err, sizeof req->err,
                 key ? "out of memory exporting" : "no pseudonym key loaded");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        a[i] = pool + i * (PRIVACY_PSEUDONYM_LEN + 1);
        privacy_pseudonym(key, v->keys[i], strlen(v->keys[i]), a[i]);
    }
    a[n] = pool; /* kept for the free */
    *ids = a;
    o->ids = a;
    o->identifying =
        json_string_value(json_object_get(req->job->params, "identifying"));
    return 0;
}

static void free_pseudonyms(char **ids)
{
    if (!ids)
        return;
    free(ids[0]); /* the pool (a[n] when there are no vertices) */
    free(ids);
}

/* The text of v into a temporary file as req's body. */
static int write_body(rpc_req_t *req, const view_t *v)
{
    json_t *p = req->job->params;
    uint64_t max = (uint64_t)json_integer_value(json_object_get(p, "max"));
    uint64_t around = req->out.len + req->tail.len;
    export_opts_t o = {
        .format = json_string_value(json_object_get(p, "format")),
        .spreadsheet_safe = json_is_true(json_object_get(p, "safe")),
        .gexf_version = json_string_value(json_object_get(p, "gexf"))};
    char **ids = NULL;
    if ((req->privacy & PRIVACY_PSEUDONYMISE) &&
        pseudonyms(req, v, &ids, &o) < 0)
        return -ENOMEM;
    jfile_t *j = malloc(sizeof *j);
    if (!j) {
        free_pseudonyms(ids);
        snprintf(req->err, sizeof req->err, "out of memory exporting");
        return -ENOMEM;
    }
    j->len = j->n = 0;
    j->limit = max > around ? max - around : 0;
    j->fd = open_tmp(json_string_value(json_object_get(p, "dir")), req->err,
                     sizeof req->err);
    int rc = j->fd < 0 ? -EIO : 0;
    if (!rc) {
        export_sink_t sink = {jf_write, j};
        rc = export_view(v, &o, &sink, req->err, sizeof req->err);
        if (rc == 0 && (rc = jf_flush(j)) < 0)
            snprintf(req->err, sizeof req->err,
                     "could not write the export: %s", strerror(-rc));
    }
    if (rc == -EFBIG)
        snprintf(req->err, sizeof req->err,
                 "response of more than %" PRIu64 " bytes exceeds "
                 "max_output_bytes (%" PRIu64 ")",
                 max, max);
    if (rc == 0) {
        req->body_fd = j->fd;
        req->body_len = j->len;
    } else if (j->fd >= 0) {
        close(j->fd);
    }
    free(j);
    free_pseudonyms(ids);
    return rc;
}

static void export_work(rpc_req_t *req)
{
    if (!req->id) {
        req->rc = 0; /* a notification: nobody to send the text to */
        return;
    }
    /* Through the engine's view cache: a second export of the same view
     * (or of data only appended to since) builds little or nothing. An
     * export's view carries every attribute and the unvalued people, so
     * it is not the view an analysis used, unless both asked the same. */
    view_t *v = engine_view(req->host->engine, &req->job->spec, NULL, req->err,
                            sizeof req->err);
    if (!v) {
        req->rc = -EIO;
        return;
    }
    req->rc = envelope(
        req, v, json_string_value(json_object_get(req->job->params, "format")));
    if (req->rc < 0)
        snprintf(req->err, sizeof req->err, "out of memory exporting");
    else
        req->rc = write_body(req, v);
    view_unref(v);
}

static void export_after(rpc_req_t *req)
{
    if (req->rc == 0 && !req->id) {
        rpc_reply(req, NULL); /* a notification: no answer */
        return;
    }
    if (req->rc == 0) {
        rpc_send_out(req); /* checks max_output_bytes on the whole line */
        return;
    }
    buf_clear(&req->out);
    buf_clear(&req->tail);
    if (req->body_fd >= 0)
        close(req->body_fd);
    req->body_fd = -1;
    req->body_len = 0;
    int code = req->rc == -EFBIG    ? RPC_RESPONSE_TOO_LARGE
               : req->rc == -EEXIST ? RPC_INVALID_PARAMS
               : req->rc == -ENOMEM ? RPC_INTERNAL_ERROR
                                    : RPC_STORAGE_ERROR;
    rpc_error(req, code, req->err, NULL);
}

/* The directory of path (a copy), for the temporary file. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* What the work needs from the configuration, fixed now (a reload may
 * change it under the work thread): in job->params. */
static int fix_params(rpc_req_t *req, const char *format, int safe,
                      const char *gexf)
{
    char *dir = dir_of(req->host->cfg->database);
    req->job->params =
        dir ? json_pack("{s:s, s:b, s:I, s:s, s:s, s:s}", "format", format,
                        "safe", safe, "max",
                        (json_int_t)req->host->cfg->max_output_bytes, "dir",
                        dir, "gexf", gexf, "identifying",
                        req->host->cfg->identifying)
            : NULL;
    free(dir);
    return req->job->params ? 0 : -1;
}

void method_export(rpc_req_t *req, json_t *params)
{
    static const char *const allowed[] = {"format",       "boundary",
                                          "window",       "kinds",
                                          "isolates",     "spreadsheet_safe",
                                          "unvalued",     "gexf_version",
                                          "where",        "without",
                                          "within",       "event_weighting",
                                          "pseudonymise", NULL};
    if (rpc_check_params(req, params, allowed) < 0)
        return;
    char err[512] = "";
    json_t *f = params ? json_object_get(params, "format") : NULL;
    json_t *b = params ? json_object_get(params, "boundary") : NULL;
    json_t *iso = params ? json_object_get(params, "isolates") : NULL;
    json_t *safe = params ? json_object_get(params, "spreadsheet_safe") : NULL;
    json_t *unvalued = params ? json_object_get(params, "unvalued") : NULL;
    json_t *gexf = params ? json_object_get(params, "gexf_version") : NULL;
    const char *boundary = b ? json_string_value(b) : "sector";
    if (!json_is_string(f) || !export_format_known(json_string_value(f)))
        snprintf(err, sizeof err,
                 "params.format must be graphml, gexf, dot "
                 "or csv");
    else if (!boundary || !params_attr_name(boundary))
        snprintf(err, sizeof err, "params.boundary must be an attribute name");
    else if (iso && !json_is_boolean(iso))
        snprintf(err, sizeof err, "params.isolates must be true or false");
    else if (safe && !json_is_boolean(safe))
        snprintf(err, sizeof err,
                 "params.spreadsheet_safe must be true or false");
    else if (unvalued && !json_is_boolean(unvalued))
        snprintf(err, sizeof err, "params.unvalued must be true or false");
    else if (gexf && (!json_is_string(gexf) ||
                      !export_gexf_version_known(json_string_value(gexf))))
        snprintf(err, sizeof err,
                 "params.gexf_version must be \"1.2\" or "
                 "\"1.3\"");
    else if (params_privacy(params, &req->privacy, err, sizeof err) == 0 &&
             (req->privacy & PRIVACY_PSEUDONYMISE) &&
             privacy_identifying(req->host->cfg->identifying, boundary))
        snprintf(err, sizeof err,
                 "params.boundary: %s identifies people ([privacy] "
                 "identifying): a pseudonymised export cannot use it",
                 boundary);
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
    /* An export keeps everything unless asked otherwise: every attribute
     * of every person, and people without a boundary value (group ""). */
    job->spec.all_attrs = true;
    job->spec.keep_unvalued = !unvalued || json_is_true(unvalued);
    job->spec.boundary = strdup(boundary);
    job->spec.max_groups = req->host->cfg->max_groups;
    if (!job->spec.boundary ||
        fix_params(req, json_string_value(f), safe && json_is_true(safe),
                   gexf ? json_string_value(gexf) : "1.2") < 0) {
        rpc_error(req, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    /* where, without, event weighting; within: the pooled graph without
     * cross-scope ties, the within attribute carried for each node. */
    if (params_scope(params, &job->spec, err, sizeof err) < 0) {
        rpc_error(req, RPC_INVALID_PARAMS, err, NULL);
        return;
    }
    rpc_run_off_loop(req, export_work, export_after);
}
