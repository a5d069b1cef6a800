/* answer.c - see answer.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r */
#endif
#include "answer.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jnum.h"
#include "ts.h"

struct answer {
    int refs;
    int64_t data_version; /* of the view it was built from */
    /* The body without its closing brace: {"plugin":...,"tables":{...}} */
    char *text;
    size_t len;
    /* The vertex rows are text[rows_at, rows_end), row i being
     * text[row_off[i], row_off[i + 1] - 1) (rows are comma-separated, and
     * row_off[nv] is rows_end + 1). rows_at == 0: no vertex table. */
    size_t rows_at, rows_end;
    size_t nv;
    size_t *row_off;
    /* Sort keys of the vertex rows. */
    int vcols;
    double *cells;   /* nv * vcols (the result's, moved here) */
    char **texts;    /* nv * vcols or NULL (moved) */
    char **colnames; /* vcols, pointing into the plugin's description */
    spand_type_t *coltypes;
    char *idpool;  /* the people's ids, NUL-separated */
    size_t *idoff; /* nv */
    uint32_t *group;
    char **gnames; /* ngroups copies */
    size_t ngroups;
    uint32_t *scope; /* within: each vertex row's scope index; else NULL */
    size_t bytes;
};

answer_t *answer_ref(answer_t *a)
{
    if (a)
        a->refs++;
    return a;
}

static void answer_free(answer_t *a)
{
    free(a->text);
    free(a->row_off);
    free(a->cells);
    if (a->texts) {
        for (size_t i = 0; i < a->nv * (size_t)a->vcols; i++)
            free(a->texts[i]);
        free(a->texts);
    }
    free(a->colnames);
    free(a->coltypes);
    free(a->idpool);
    free(a->idoff);
    free(a->group);
    for (size_t i = 0; a->gnames && i < a->ngroups; i++)
        free(a->gnames[i]);
    free(a->gnames);
    free(a->scope);
    free(a);
}

void answer_unref(answer_t *a)
{
    if (a && --a->refs == 0)
        answer_free(a);
}

size_t answer_bytes(const answer_t *a)
{
    return a->bytes;
}

size_t answer_rows(const answer_t *a)
{
    return a->nv;
}

/* ---- building ---------------------------------------------------------- */

static json_t *window_json(int64_t from, int64_t to)
{
    char a[TS_FORMAT_LEN], b[TS_FORMAT_LEN];
    return json_pack("{s:s?, s:s?}", "from",
                     from == VIEW_OPEN_FROM ? NULL : ts_format(from, a), "to",
                     to == VIEW_OPEN_TO ? NULL : ts_format(to, b));
}

static json_t *columns_json(const plugin_t *p, int t, const char *boundary)
{
    json_t *cols = json_array();
    static const char *const keys[4][2] = {
        {"id", "group"}, {"group", NULL}, {"group_a", "group_b"}, {NULL}};
    for (int k = 0; k < 2 && keys[t][k]; k++) {
        char desc[160];
        snprintf(desc, sizeof desc, "%s",
                 t == 0 && k == 0 ? "person" : boundary);
        json_array_append_new(cols, json_pack("{s:s, s:s}", "name", keys[t][k],
                                              "description", desc));
    }
    for (int i = 0; i < p->ncols[t]; i++) {
        const spand_column_t *c =
            &p->desc->columns[loader_column_index(p, (spand_table_kind_t)t, i)];
        json_array_append_new(cols, json_pack("{s:s, s:s}", "name", c->name,
                                              "description", c->meaning));
    }
    return cols;
}

/* Append json's compact text. */
static int put_json(buf_t *b, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    int rc = s ? buf_puts(b, s) : -1;
    free(s);
    return rc;
}

/* Write number cell x at o as json_real / json_integer would print it
 * (at most JNUM_MAX bytes); returns the end. */
static char *put_num(char *o, double x, spand_type_t type)
{
    if (!isfinite(x)) {
        memcpy(o, "null", 4); /* undefined: null, never NaN or 0 */
        return o + 4;
    }
    if (type == SPAND_INT && x == floor(x) && fabs(x) < 9007199254740992.0)
        return o + jnum_int(o, (int64_t)x);
    return o + jnum_real(o, x);
}

/* Append the plugin cells of one row, each preceded by a comma except
 * the first when first_bare. */
static int put_cells(buf_t *b, const result_table_t *t, int64_t row,
                     const spand_type_t *types, int nc, bool first_bare)
{
    const double *cells = t->cells + (size_t)row * (size_t)t->ncols;
    if (buf_reserve(b, (size_t)nc * (JNUM_MAX + 1)) < 0)
        return -1;
    for (int c = 0; c < nc; c++) {
        if (types[c] == SPAND_STRING) {
            const char *s =
                t->texts ? t->texts[(size_t)row * (size_t)t->ncols + (size_t)c]
                         : NULL;
            if ((c || !first_bare) && buf_putc(b, ',') < 0)
                return -1;
            /* Text that is not UTF-8 cannot be a JSON string: null. */
            if ((!s || jnum_string(b, s, strlen(s)) < 0) &&
                buf_append(b, "null", 4) < 0)
                return -1;
            /* A string may have used the room reserved for numbers. */
            if (buf_reserve(b, (size_t)(nc - c) * (JNUM_MAX + 1)) < 0)
                return -1;
            continue;
        }
        char *o = b->data + b->len;
        if (c || !first_bare)
            *o++ = ',';
        o = put_num(o, cells[c], types[c]);
        b->len = (size_t)(o - b->data);
    }
    b->data[b->len] = '\0';
    return 0;
}

/* Vertex rows [from, to) as comma-separated text, appended to out, with
 * each row's start in off[row - from] (relative to out). */
struct vrows {
    buf_t *out;
    size_t *off;
    const view_t *v;
    const result_table_t *t;
    const spand_type_t *types;
    int nc;
    const char *gjson;
    const size_t *goff;
    int64_t from, to;
    int rc;
};

static void *vrows_write(void *arg)
{
    struct vrows *w = arg;
    buf_t *b = w->out;
    w->rc = -1;
    for (int64_t row = w->from; row < w->to; row++) {
        if ((row > w->from && buf_putc(b, ',') < 0))
            return NULL;
        w->off[row - w->from] = b->len;
        size_t gi = (size_t)VECTOR(w->v->group)[row];
        const char *id = w->v->keys[row];
        if (buf_putc(b, '[') < 0 ||
            (jnum_string(b, id, strlen(id)) < 0 &&
             buf_append(b, "null", 4) < 0) ||
            buf_putc(b, ',') < 0 ||
            buf_append(b, w->gjson + w->goff[gi],
                       w->goff[gi + 1] - w->goff[gi]) < 0 ||
            put_cells(b, w->t, row, w->types, w->nc, false) < 0 ||
            buf_putc(b, ']') < 0)
            return NULL;
    }
    w->rc = 0;
    return NULL;
}

/* Rows of a big table are printed by two threads, one half each: printing
 * the numbers is most of an answer's cost, and the loop and the other
 * core are idle meanwhile. */
#define VERTEX_ROWS_SPLIT 8192

/* All vertex rows appended to b, row starts in off[0..nv). */
static int vertex_rows(buf_t *b, size_t *off, const view_t *v,
                       const result_table_t *t, const spand_type_t *types,
                       int nc, const char *gjson, const size_t *goff)
{
    int64_t nv = t->rows;
    struct vrows one = {b, off, v, t, types, nc, gjson, goff, 0, nv, 0};
    if (nv < VERTEX_ROWS_SPLIT) {
        vrows_write(&one);
        return one.rc;
    }
    buf_t second = BUF_INIT;
    int64_t half = nv / 2;
    struct vrows two = {&second, off + half, v,    t,  types, nc,
                        gjson,   goff,       half, nv, 0};
    one.to = half;
    pthread_t th;
    bool threaded = pthread_create(&th, NULL, vrows_write, &two) == 0;
    vrows_write(&one);
    if (threaded)
        pthread_join(th, NULL);
    else
        vrows_write(&two); /* no thread to be had: in turn, then */
    int rc = -1;
    if (one.rc == 0 && two.rc == 0 && buf_putc(b, ',') == 0) {
        size_t base = b->len;
        if (buf_append(b, second.data, second.len) == 0) {
            for (int64_t i = half; i < nv; i++)
                off[i] += base;
            rc = 0;
        }
    }
    buf_free(&second);
    return rc;
}

answer_t *answer_build(const plugin_t *p, const view_t *v,
                       const view_spec_t *spec, const view_spec_t *base,
                       result_t *res, char *err, size_t errlen)
{
    answer_t *a = calloc(1, sizeof *a);
    buf_t b = BUF_INIT, gjson = BUF_INIT;
    size_t *goff = NULL;
    json_t *head = NULL;
    if (!a)
        goto oom;
    a->refs = 1;
    a->data_version = v->data_version;
    size_t ng = (size_t)v->pub.ngroups;
    size_t nv = (size_t)igraph_vcount(&v->graph);
    head = json_pack("{s:s, s:s, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:I, s:O}",
                     "plugin", p->name, "boundary", spec->boundary, "window",
                     window_json(spec->from, spec->to), "baseline",
                     base ? window_json(base->from, base->to) : json_null(),
                     "view", "vertices", (json_int_t)nv, "edges",
                     (json_int_t)igraph_ecount(&v->graph), "excluded",
                     (json_int_t)v->pub.excluded, "groups", (json_int_t)ng,
                     "data_version", (json_int_t)v->data_version, "notes",
                     res->notes);
    if (put_json(&b, head) < 0 || b.len < 2)
        goto oom;
    b.len--; /* reopen the object: its closing brace goes */
    if (buf_puts(&b, ",\"tables\":{") < 0)
        goto oom;
    /* Group names as JSON strings, written once. */
    goff = malloc((ng + 1) * sizeof *goff);
    if (!goff)
        goto oom;
    for (size_t i = 0; i < ng; i++) {
        goff[i] = gjson.len;
        const char *s = v->group_names[i];
        if (jnum_string(&gjson, s, strlen(s)) < 0 &&
            buf_append(&gjson, "null", 4) < 0)
            goto oom;
    }
    goff[ng] = gjson.len;
    bool first = true;
    for (int k = 0; k < 4; k++) {
        const result_table_t *t = &res->t[k];
        if (p->ncols[k] == 0)
            continue;
        spand_type_t types[256];
        int nc = t->ncols < 256 ? t->ncols : 256;
        for (int c = 0; c < nc; c++)
            types[c] =
                p->desc
                    ->columns[loader_column_index(p, (spand_table_kind_t)k, c)]
                    .type;
        json_t *cols = columns_json(p, k, v->boundary);
        if (buf_printf(&b, "%s\"%s\":{\"columns\":", first ? "" : ",",
                       loader_table_name((spand_table_kind_t)k)) < 0 ||
            put_json(&b, cols) < 0 || buf_puts(&b, ",\"rows\":[") < 0) {
            json_decref(cols);
            goto oom;
        }
        json_decref(cols);
        first = false;
        if (k == SPAND_TABLE_VERTEX) {
            a->rows_at = b.len;
            a->nv = nv;
            if (!(a->row_off = malloc((nv + 1) * sizeof *a->row_off)))
                goto oom;
        }
        if (k == SPAND_TABLE_VERTEX) {
            if (vertex_rows(&b, a->row_off, v, t, types, nc, gjson.data, goff) <
                0)
                goto oom;
        } else {
            bool any = false;
            for (int64_t row = 0; row < t->rows; row++) {
                if (k == SPAND_TABLE_PAIR && !t->set[row])
                    continue;
                if ((any && buf_putc(&b, ',') < 0) || buf_putc(&b, '[') < 0)
                    goto oom;
                any = true;
                int rc = 0;
                if (k == SPAND_TABLE_GROUP) {
                    rc = buf_append(&b, gjson.data + goff[row],
                                    goff[row + 1] - goff[row]);
                } else if (k == SPAND_TABLE_PAIR) {
                    size_t ga = (size_t)row / ng, gb = (size_t)row % ng;
                    rc = buf_append(&b, gjson.data + goff[ga],
                                    goff[ga + 1] - goff[ga]) < 0 ||
                         buf_putc(&b, ',') < 0 ||
                         buf_append(&b, gjson.data + goff[gb],
                                    goff[gb + 1] - goff[gb]) < 0;
                }
                if (rc ||
                    put_cells(&b, t, row, types, nc, k == SPAND_TABLE_NETWORK) <
                        0 ||
                    buf_putc(&b, ']') < 0)
                    goto oom;
            }
        }
        if (k == SPAND_TABLE_VERTEX) {
            a->rows_end = b.len;
            a->row_off[nv] = b.len + 1;
            if (buf_printf(&b, "],\"total_rows\":%zu}", nv) < 0)
                goto oom;
        } else if (buf_puts(&b, "]}") < 0) {
            goto oom;
        }
    }
    if (buf_putc(&b, '}') < 0) /* tables; the body stays open */
        goto oom;
    /* Sort keys: the vertex cells move here, ids and group names are
     * copied (the answer outlives the view). */
    if (p->ncols[SPAND_TABLE_VERTEX]) {
        result_table_t *t = &res->t[SPAND_TABLE_VERTEX];
        a->vcols = t->ncols;
        a->cells = t->cells;
        a->texts = t->texts;
        t->cells = NULL;
        t->texts = NULL;
        a->colnames = calloc((size_t)a->vcols + 1, sizeof *a->colnames);
        a->coltypes = calloc((size_t)a->vcols + 1, sizeof *a->coltypes);
        a->idoff = malloc((nv + 1) * sizeof *a->idoff);
        a->group = malloc((nv + 1) * sizeof *a->group);
        a->gnames = calloc(ng + 1, sizeof *a->gnames);
        if (!a->colnames || !a->coltypes || !a->idoff || !a->group ||
            !a->gnames)
            goto oom;
        for (int c = 0; c < a->vcols; c++) {
            const spand_column_t *col =
                &p->desc
                     ->columns[loader_column_index(p, SPAND_TABLE_VERTEX, c)];
            a->colnames[c] = (char *)col->name;
            a->coltypes[c] = col->type;
        }
        size_t pool = 0;
        for (size_t i = 0; i < nv; i++)
            pool += strlen(v->keys[i]) + 1;
        if (!(a->idpool = malloc(pool + 1)))
            goto oom;
        pool = 0;
        for (size_t i = 0; i < nv; i++) {
            size_t l = strlen(v->keys[i]) + 1;
            memcpy(a->idpool + pool, v->keys[i], l);
            a->idoff[i] = pool;
            pool += l;
            a->group[i] = (uint32_t)VECTOR(v->group)[i];
        }
        a->ngroups = ng;
        for (size_t i = 0; i < ng; i++)
            if (!(a->gnames[i] = strdup(v->group_names[i])))
                goto oom;
        a->bytes += pool + nv * (sizeof(size_t) * 2 + 4) +
                    nv * (size_t)a->vcols * sizeof(double);
    }
    a->len = b.len;
    a->text = buf_steal(&b, NULL);
    a->bytes += a->len + sizeof *a;
    buf_free(&gjson);
    free(goff);
    json_decref(head);
    result_free(res);
    return a;
oom:
    snprintf(err, errlen, "out of memory writing the answer");
    buf_free(&b);
    buf_free(&gjson);
    free(goff);
    json_decref(head);
    result_free(res);
    if (a)
        answer_free(a);
    return NULL;
}

/* ---- within: one table per kind over every scope ------------------------ */

/* The notes of the scopes' results: a note every scope gave, once; any
 * other prefixed by its scope ("s01: ..."). */
static json_t *scoped_notes(const view_scopes_t *sc, result_t **res)
{
    json_t *out = json_array();
    for (size_t s = 0; out && s < sc->n; s++) {
        size_t i;
        json_t *note;
        json_array_foreach(res[s]->notes, i, note)
        {
            const char *t = json_string_value(note);
            bool everywhere = true, seen = false;
            for (size_t o = 0; o < sc->n && everywhere; o++) {
                bool has = false;
                size_t j;
                json_t *x;
                json_array_foreach(res[o]->notes, j, x) has |=
                    !strcmp(json_string_value(x), t);
                everywhere = has;
            }
            size_t j;
            json_t *x;
            json_array_foreach(out, j, x) seen |=
                !strcmp(json_string_value(x), t);
            if (everywhere && seen)
                continue;
            if (everywhere) {
                json_array_append(out, note);
                continue;
            }
            size_t len = strlen(sc->names[s]) + strlen(t) + 3;
            char *pre = malloc(len);
            if (pre) {
                snprintf(pre, len, "%s: %s", sc->names[s], t);
                json_array_append_new(out, json_string(pre));
                free(pre);
            }
        }
    }
    return out;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append JSON string s (null if not UTF-8). */
static int put_jstr(buf_t *b, const char *s)
{
    return jnum_string(b, s, strlen(s)) < 0 && buf_append(b, "null", 4) < 0 ? -1
                                                                            : 0;
}

/* The vertex rows of all scopes, and their sort keys, into a and b. */
static int scoped_vertex_rows(answer_t *a, buf_t *b, const view_t *v,
                              const view_scopes_t *sc, result_t **res,
                              const spand_type_t *types, int nc, size_t nv)
{
    size_t row = 0, pool = 0;
    bool texts = false;
    for (size_t s = 0; s < sc->n; s++) {
        texts |= res[s]->t[SPAND_TABLE_VERTEX].texts != NULL;
        for (igraph_integer_t i = 0; i < igraph_vcount(&sc->views[s]->graph);
             i++)
            pool += strlen(sc->views[s]->keys[i]) + 1;
    }
    a->vcols = nc;
    a->cells = malloc((nv * (size_t)nc + 1) * sizeof *a->cells);
    a->texts = texts ? calloc(nv * (size_t)nc + 1, sizeof *a->texts) : NULL;
    a->idoff = malloc((nv + 1) * sizeof *a->idoff);
    a->group = malloc((nv + 1) * sizeof *a->group);
    a->scope = malloc((nv + 1) * sizeof *a->scope);
    a->idpool = malloc(pool + 1);
    if (!a->cells || (texts && !a->texts) || !a->idoff || !a->group ||
        !a->scope || !a->idpool)
        return -1;
    pool = 0;
    for (size_t s = 0; s < sc->n; s++) {
        const view_t *sv = sc->views[s];
        result_table_t *t = &res[s]->t[SPAND_TABLE_VERTEX];
        for (int64_t i = 0; i < t->rows; i++, row++) {
            if (row && buf_putc(b, ',') < 0)
                return -1;
            a->row_off[row] = b->len;
            const char *g = sv->group_names[VECTOR(sv->group)[i]];
            if (buf_putc(b, '[') < 0 || put_jstr(b, sc->names[s]) < 0 ||
                buf_putc(b, ',') < 0 || put_jstr(b, sv->keys[i]) < 0 ||
                buf_putc(b, ',') < 0 || put_jstr(b, g) < 0 ||
                put_cells(b, t, i, types, nc, false) < 0 ||
                buf_putc(b, ']') < 0)
                return -1;
            /* sort keys */
            memcpy(a->cells + row * (size_t)nc,
                   t->cells + (size_t)i * (size_t)t->ncols,
                   (size_t)nc * sizeof *a->cells);
            for (int c = 0; t->texts && c < nc; c++) {
                size_t at = (size_t)i * (size_t)t->ncols + (size_t)c;
                a->texts[row * (size_t)nc + (size_t)c] = t->texts[at];
                t->texts[at] = NULL;
            }
            size_t l = strlen(sv->keys[i]) + 1;
            memcpy(a->idpool + pool, sv->keys[i], l);
            a->idoff[row] = pool;
            pool += l;
            char *const *hit =
                bsearch(&g, v->group_names, (size_t)v->pub.ngroups,
                        sizeof *v->group_names, cmp_cstr);
            a->group[row] = hit ? (uint32_t)(hit - v->group_names) : 0;
            a->scope[row] = (uint32_t)s;
        }
    }
    a->bytes +=
        pool + nv * (sizeof(size_t) * 2 + 8) + nv * (size_t)nc * sizeof(double);
    return 0;
}

/* The rows of a group, pair or network table of all scopes into b. */
static int scoped_rows(buf_t *b, int k, const view_scopes_t *sc, result_t **res,
                       const spand_type_t *types, int nc)
{
    bool any = false;
    for (size_t s = 0; s < sc->n; s++) {
        const view_t *sv = sc->views[s];
        const result_table_t *t = &res[s]->t[k];
        size_t ng = (size_t)sv->pub.ngroups;
        for (int64_t row = 0; row < t->rows; row++) {
            if (k == SPAND_TABLE_PAIR && !t->set[row])
                continue;
            if ((any && buf_putc(b, ',') < 0) || buf_putc(b, '[') < 0 ||
                put_jstr(b, sc->names[s]) < 0)
                return -1;
            any = true;
            if (k == SPAND_TABLE_GROUP) {
                if (buf_putc(b, ',') < 0 ||
                    put_jstr(b, sv->group_names[row]) < 0)
                    return -1;
            } else if (k == SPAND_TABLE_PAIR) {
                size_t ga = (size_t)row / ng, gb = (size_t)row % ng;
                if (buf_putc(b, ',') < 0 ||
                    put_jstr(b, sv->group_names[ga]) < 0 ||
                    buf_putc(b, ',') < 0 ||
                    put_jstr(b, sv->group_names[gb]) < 0)
                    return -1;
            }
            if (put_cells(b, t, row, types, nc, false) < 0 ||
                buf_putc(b, ']') < 0)
                return -1;
        }
    }
    return 0;
}

answer_t *answer_build_scoped(const plugin_t *p, const view_t *v,
                              const view_scopes_t *sc, const view_spec_t *spec,
                              const view_spec_t *base, result_t **res,
                              char *err, size_t errlen)
{
    answer_t *a = calloc(1, sizeof *a);
    buf_t b = BUF_INIT;
    json_t *head = NULL, *scopes = json_array();
    size_t nv = 0;
    if (!a || !scopes)
        goto oom;
    a->refs = 1;
    for (size_t s = 0; s < sc->n; s++) {
        const view_t *sv = sc->views[s];
        nv += (size_t)igraph_vcount(&sv->graph);
        if (json_array_append_new(
                scopes,
                json_pack("{s:s, s:I, s:I, s:I}", "scope", sc->names[s],
                          "vertices", (json_int_t)igraph_vcount(&sv->graph),
                          "edges", (json_int_t)igraph_ecount(&sv->graph),
                          "excluded", (json_int_t)sv->pub.excluded)) < 0)
            goto oom;
    }
    head = json_pack(
        "{s:s, s:s, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I}, s:I, s:s, s:O, "
        "s:o}",
        "plugin", p->name, "boundary", spec->boundary, "window",
        window_json(spec->from, spec->to), "baseline",
        base ? window_json(base->from, base->to) : json_null(), "view",
        "vertices", (json_int_t)igraph_vcount(&v->graph), "edges",
        (json_int_t)igraph_ecount(&v->graph), "excluded",
        (json_int_t)v->pub.excluded, "groups", (json_int_t)v->pub.ngroups,
        "outside_scopes", (json_int_t)v->outside, "data_version",
        (json_int_t)v->data_version, "within", v->within, "scopes", scopes,
        "notes", scoped_notes(sc, res));
    /* "O" took its own reference to scopes (head holds it now, or
     * nothing does when the pack failed): drop ours either way. */
    json_decref(scopes);
    scopes = NULL;
    if (put_json(&b, head) < 0 || b.len < 2)
        goto oom;
    b.len--; /* reopen the object */
    if (buf_puts(&b, ",\"tables\":{") < 0)
        goto oom;
    bool first = true;
    for (int k = 0; k < 4; k++) {
        if (p->ncols[k] == 0)
            continue;
        spand_type_t types[256];
        int nc = p->ncols[k] < 256 ? p->ncols[k] : 256;
        for (int c = 0; c < nc; c++)
            types[c] =
                p->desc
                    ->columns[loader_column_index(p, (spand_table_kind_t)k, c)]
                    .type;
        json_t *cols = columns_json(p, k, v->boundary);
        char desc[160];
        snprintf(desc, sizeof desc, "scope (%.100s)", v->within);
        if (!cols ||
            json_array_insert_new(cols, 0,
                                  json_pack("{s:s, s:s}", "name", v->within,
                                            "description", desc)) < 0 ||
            buf_printf(&b, "%s\"%s\":{\"columns\":", first ? "" : ",",
                       loader_table_name((spand_table_kind_t)k)) < 0 ||
            put_json(&b, cols) < 0 || buf_puts(&b, ",\"rows\":[") < 0) {
            json_decref(cols);
            goto oom;
        }
        json_decref(cols);
        first = false;
        if (k == SPAND_TABLE_VERTEX) {
            a->rows_at = b.len;
            a->nv = nv;
            if (!(a->row_off = malloc((nv + 1) * sizeof *a->row_off)) ||
                scoped_vertex_rows(a, &b, v, sc, res, types, nc, nv) < 0)
                goto oom;
            a->rows_end = b.len;
            a->row_off[nv] = b.len + 1;
            if (buf_printf(&b, "],\"total_rows\":%zu}", nv) < 0)
                goto oom;
        } else if (scoped_rows(&b, k, sc, res, types, nc) < 0 ||
                   buf_puts(&b, "]}") < 0) {
            goto oom;
        }
    }
    if (buf_putc(&b, '}') < 0)
        goto oom;
    if (p->ncols[SPAND_TABLE_VERTEX]) {
        size_t ng = (size_t)v->pub.ngroups;
        a->colnames = calloc((size_t)a->vcols + 1, sizeof *a->colnames);
        a->coltypes = calloc((size_t)a->vcols + 1, sizeof *a->coltypes);
        a->gnames = calloc(ng + 1, sizeof *a->gnames);
        if (!a->colnames || !a->coltypes || !a->gnames)
            goto oom;
        for (int c = 0; c < a->vcols; c++) {
            const spand_column_t *col =
                &p->desc
                     ->columns[loader_column_index(p, SPAND_TABLE_VERTEX, c)];
            a->colnames[c] = (char *)col->name;
            a->coltypes[c] = col->type;
        }
        a->ngroups = ng;
        for (size_t i = 0; i < ng; i++)
            if (!(a->gnames[i] = strdup(v->group_names[i])))
                goto oom;
    } else if (!(a->scope = calloc(1, sizeof *a->scope))) {
        goto oom; /* still marks the answer as scoped */
    }
    a->len = b.len;
    a->text = buf_steal(&b, NULL);
    a->bytes += a->len + sizeof *a;
    json_decref(head);
    for (size_t s = 0; s < sc->n; s++)
        result_free(res[s]);
    return a;
oom:
    snprintf(err, errlen, "out of memory writing the answer");
    buf_free(&b);
    json_decref(head);
    json_decref(scopes);
    for (size_t s = 0; s < sc->n; s++)
        result_free(res[s]);
    if (a)
        answer_free(a);
    return NULL;
}

/* ---- ordering ---------------------------------------------------------- */

struct sort_ctx {
    const answer_t *a;
    int col; /* -1 id, -2 group, else a plugin column */
    bool asc;
};

static const char *row_id(const answer_t *a, uint32_t i)
{
    return a->idpool + a->idoff[i];
}

/* Numbers by value, strings by bytes; nulls always last; ties by id. */
static int cmp_rows(const void *pa, const void *pb, void *arg)
{
    const struct sort_ctx *s = arg;
    const answer_t *a = s->a;
    uint32_t x = *(const uint32_t *)pa, y = *(const uint32_t *)pb;
    int c = 0;
    /* within: rows stay in their scope, scopes in order */
    if (a->scope && a->scope[x] != a->scope[y])
        return a->scope[x] < a->scope[y] ? -1 : 1;
    if (s->col == -1) {
        c = strcmp(row_id(a, x), row_id(a, y));
    } else if (s->col == -2) {
        c = strcmp(a->gnames[a->group[x]], a->gnames[a->group[y]]);
    } else if (a->coltypes[s->col] == SPAND_STRING) {
        size_t ix = (size_t)x * (size_t)a->vcols + (size_t)s->col;
        size_t iy = (size_t)y * (size_t)a->vcols + (size_t)s->col;
        const char *tx = a->texts ? a->texts[ix] : NULL;
        const char *ty = a->texts ? a->texts[iy] : NULL;
        if (!tx != !ty)
            return !tx - !ty;
        c = tx ? strcmp(tx, ty) : 0;
    } else {
        double dx = a->cells[(size_t)x * (size_t)a->vcols + (size_t)s->col];
        double dy = a->cells[(size_t)y * (size_t)a->vcols + (size_t)s->col];
        bool nx = !isfinite(dx), ny = !isfinite(dy);
        if (nx != ny)
            return nx - ny;
        c = nx ? 0 : (dx > dy) - (dx < dy);
    }
    if (c)
        return s->asc ? c : -c;
    return strcmp(row_id(a, x), row_id(a, y));
}

uint32_t *answer_order(const answer_t *a, const char *col, bool asc,
                       size_t *keep)
{
    struct sort_ctx s = {a, -1, asc};
    if (!strcmp(col, "group"))
        s.col = -2;
    /* The last column of that name, as the columns list reads. */
    for (int c = 0; c < a->vcols; c++)
        if (!strcmp(a->colnames[c], col))
            s.col = c;
    uint32_t *order = malloc((a->nv ? a->nv : 1) * sizeof *order);
    if (!order)
        return NULL;
    for (size_t i = 0; i < a->nv; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, a->nv, sizeof *order, cmp_rows, &s);
    if (a->scope) {
        /* top applies per scope: the first *keep rows of each. */
        size_t w = 0, run = 0;
        for (size_t i = 0; i < a->nv; i++) {
            if (i && a->scope[order[i]] != a->scope[order[i - 1]])
                run = 0;
            if (run++ < *keep)
                order[w++] = order[i];
        }
        *keep = w;
        return order;
    }
    if (*keep > a->nv)
        *keep = a->nv;
    return order;
}

bool answer_scoped(const answer_t *a)
{
    return a->scope != NULL;
}

/* ---- writing ----------------------------------------------------------- */

int answer_write(const answer_t *a, buf_t *out, const char *id, size_t idlen,
                 bool cached, double elapsed_ms, const uint32_t *order,
                 size_t keep)
{
    if (keep > a->nv)
        keep = a->nv;
    char num[JNUM_MAX];
    size_t numlen = jnum_real(num, elapsed_ms);
    static const char pre[] = "{\"jsonrpc\":\"2.0\",\"id\":";
    static const char res[] = ",\"result\":";
    const char *cflag = cached ? ",\"cached\":true,\"elapsed_ms\":"
                               : ",\"cached\":false,\"elapsed_ms\":";
    size_t rows_len = 0;
    if (a->rows_at) {
        if (order) {
            for (size_t i = 0; i < keep; i++)
                rows_len += a->row_off[order[i] + 1] - a->row_off[order[i]];
        } else {
            rows_len = a->row_off[keep] - a->row_off[0];
        }
    }
    size_t need = sizeof pre + idlen + sizeof res + a->len + rows_len +
                  strlen(cflag) + numlen + 4;
    if (buf_reserve(out, need) < 0)
        return -1;
    buf_append(out, pre, sizeof pre - 1);
    buf_append(out, id, idlen);
    buf_append(out, res, sizeof res - 1);
    if (!a->rows_at) {
        buf_append(out, a->text, a->len);
    } else {
        buf_append(out, a->text, a->rows_at);
        if (order) {
            for (size_t i = 0; i < keep; i++) {
                if (i)
                    buf_putc(out, ',');
                size_t at = a->row_off[order[i]];
                buf_append(out, a->text + at,
                           a->row_off[order[i] + 1] - 1 - at);
            }
        } else if (keep) {
            buf_append(out, a->text + a->rows_at,
                       a->row_off[keep] - 1 - a->rows_at);
        }
        buf_append(out, a->text + a->rows_end, a->len - a->rows_end);
    }
    buf_puts(out, cflag);
    buf_append(out, num, numlen);
    buf_append(out, "}}\n", 3);
    return 0;
}

int64_t answer_data_version(const answer_t *a)
{
    return a->data_version;
}
