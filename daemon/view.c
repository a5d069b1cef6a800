/* view.c - see view.h. */
#include "view.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

/* Recursive: a failing view build frees its half-built view while still
 * holding the lock. */
static pthread_mutex_t igraph_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

void view_igraph_lock(void)
{
    pthread_mutex_lock(&igraph_mutex);
}

void view_igraph_unlock(void)
{
    pthread_mutex_unlock(&igraph_mutex);
}


/* ---- arcs, aggregated by ordered pair of person ids ------------------- */

struct arcmap {
    uint64_t *keys; /* (src << 32) | dst; 0 = empty (pids start at 1) */
    double *w;
    size_t cap, n;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static int arcmap_grow(struct arcmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    uint64_t *keys = calloc(cap, sizeof *keys);
    double *w = malloc(cap * sizeof *w);
    if (!keys || !w) {
        free(keys);
        free(w);
        return -ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = mix(m->keys[i]) & (cap - 1);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        w[j] = m->w[i];
    }
    free(m->keys);
    free(m->w);
    m->keys = keys;
    m->w = w;
    m->cap = cap;
    return 0;
}

static int arc_add(struct arcmap *m, int64_t src, int64_t dst, double w)
{
    if ((m->n + 1) * 4 > m->cap * 3 && arcmap_grow(m) < 0)
        return -ENOMEM;
    uint64_t key = ((uint64_t)src << 32) | (uint64_t)dst;
    size_t j = mix(key) & (m->cap - 1);
    while (m->keys[j] && m->keys[j] != key)
        j = (j + 1) & (m->cap - 1);
    if (m->keys[j]) {
        m->w[j] += w;
    } else {
        m->keys[j] = key;
        m->w[j] = w;
        m->n++;
    }
    return 0;
}

/* ---- reading one window ------------------------------------------------ */

struct window {
    struct arcmap arcs;
    uint8_t *excluded_seen; /* by pid */
    int64_t excluded;
};

struct snapshot {
    sqlite3 *db;
    int64_t maxpid;
    int32_t *pid_value; /* by pid: index into values, or -1 */
    char **values;      /* distinct boundary values, sorted */
    size_t nvalues;
};

/* Set flag i; 1 if it was clear. */
static int mark(uint8_t *flags, int64_t i)
{
    if (flags[i])
        return 0;
    flags[i] = 1;
    return 1;
}

static int tie(struct snapshot *s, struct window *w, int64_t a, int64_t b,
               double weight, bool directed)
{
    if (a < 1 || b < 1 || a > s->maxpid || b > s->maxpid || a == b)
        return 0; /* cannot happen with a consistent store; stay safe */
    bool ok = true;
    if (s->pid_value[a] < 0) {
        ok = false;
        w->excluded += mark(w->excluded_seen, a);
    }
    if (s->pid_value[b] < 0) {
        ok = false;
        w->excluded += mark(w->excluded_seen, b);
    }
    if (!ok)
        return 0;
    if (arc_add(&w->arcs, a, b, weight) < 0 ||
        (!directed && arc_add(&w->arcs, b, a, weight) < 0))
        return -ENOMEM;
    return 0;
}

/* SQL with "AND <col> IN (SELECT kid FROM kind WHERE name IN (?3,...))"
 * when kinds are given. */
static int window_sql(buf_t *b, const char *base, const char *col,
                      const view_spec_t *spec)
{
    if (buf_puts(b, base) < 0)
        return -ENOMEM;
    if (!spec->kinds)
        return 0;
    if (buf_printf(b, " AND %s IN (SELECT kid FROM kind WHERE name IN (",
                   col) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < spec->nkinds; i++)
        if (buf_printf(b, "%s?%zu", i ? "," : "", i + 3) < 0)
            return -ENOMEM;
    return buf_puts(b, "))");
}

static int read_window(struct snapshot *s, const view_spec_t *spec,
                       struct window *w, char *err, size_t errlen)
{
    static const char *const sql[2] = {
        "SELECT src, dst, weight, directed FROM record"
        " WHERE ts >= ?1 AND ts < ?2",
        "SELECT p1.pid, p2.pid, e.weight, 0 FROM event e"
        " JOIN participant p1 ON p1.eid = e.eid"
        " JOIN participant p2 ON p2.eid = e.eid AND p2.pid > p1.pid"
        " WHERE e.ts >= ?1 AND e.ts < ?2",
    };
    static const char *const kindcol[2] = {"kind", "e.kind"};
    w->excluded_seen = calloc((size_t)s->maxpid + 1, 1);
    if (!w->excluded_seen) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int q = 0; q < 2; q++) {
        buf_t text = BUF_INIT;
        sqlite3_stmt *st = NULL;
        if (window_sql(&text, sql[q], kindcol[q], spec) < 0 ||
            sqlite3_prepare_v2(s->db, buf_str(&text), -1, &st, NULL) !=
                SQLITE_OK) {
            snprintf(err, errlen, "view query: %s", sqlite3_errmsg(s->db));
            buf_free(&text);
            return -1;
        }
        buf_free(&text);
        sqlite3_bind_int64(st, 1, spec->from);
        sqlite3_bind_int64(st, 2, spec->to);
        for (size_t i = 0; spec->kinds && i < spec->nkinds; i++)
            sqlite3_bind_text(st, (int)i + 3, spec->kinds[i], -1,
                              SQLITE_STATIC);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (tie(s, w, sqlite3_column_int64(st, 0),
                    sqlite3_column_int64(st, 1),
                    sqlite3_column_double(st, 2),
                    sqlite3_column_int(st, 3) != 0) < 0) {
                rc = SQLITE_NOMEM;
                break;
            }
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            snprintf(err, errlen, "view query: %s",
                     rc == SQLITE_NOMEM ? "out of memory"
                                        : sqlite3_errmsg(s->db));
            return -1;
        }
    }
    return 0;
}

static int read_values(struct snapshot *s, const char *boundary, char *err,
                       size_t errlen)
{
    sqlite3_stmt *st;
    int64_t maxpid = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(pid), 0) FROM person",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, errlen, "view: %s", sqlite3_errmsg(s->db));
        sqlite3_finalize(st);
        return -1;
    }
    maxpid = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    s->maxpid = maxpid;
    s->pid_value = malloc(((size_t)maxpid + 1) * sizeof *s->pid_value);
    if (!s->pid_value) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memset(s->pid_value, 0xff, ((size_t)maxpid + 1) * sizeof *s->pid_value);
    /* Ordered by value, so value indices follow byte order of names. */
    if (sqlite3_prepare_v2(s->db,
                           "SELECT pid, value FROM attr WHERE name = ?1"
                           " ORDER BY value COLLATE BINARY",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "view: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    sqlite3_bind_text(st, 1, boundary, -1, SQLITE_STATIC);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t pid = sqlite3_column_int64(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);
        if (!s->nvalues || strcmp(s->values[s->nvalues - 1], v) != 0) {
            if (s->nvalues == cap) {
                cap = cap ? cap * 2 : 16;
                char **nv = realloc(s->values, cap * sizeof *nv);
                if (!nv) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                s->values = nv;
            }
            if (!(s->values[s->nvalues] = strdup(v))) {
                rc = SQLITE_NOMEM;
                break;
            }
            s->nvalues++;
        }
        if (pid >= 1 && pid <= maxpid)
            s->pid_value[pid] = (int32_t)(s->nvalues - 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "view: %s",
                 rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(s->db));
        return -1;
    }
    return 0;
}

/* ---- assembling -------------------------------------------------------- */

struct edge {
    igraph_integer_t from, to;
    double w;
};

static int cmp_edge(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return (x->to > y->to) - (x->to < y->to);
}

struct keyed {
    int64_t pid;
    const char *key;
};

static int cmp_keyed(const void *a, const void *b)
{
    return strcmp(((const struct keyed *)a)->key,
                  ((const struct keyed *)b)->key);
}

void view_ref(view_t *v)
{
    atomic_fetch_add(&v->refs, 1);
}

static void view_free(view_t *v)
{
    igraph_integer_t n = v->pub.graph ? igraph_vcount(&v->graph) : 0;
    if (v->keys)
        for (igraph_integer_t i = 0; i < n; i++)
            free(v->keys[i]);
    free(v->keys);
    if (v->owns_groups && v->group_names) {
        for (igraph_integer_t g = 0; g < v->pub.ngroups; g++)
            free(v->group_names[g]);
        free(v->group_names);
    }
    if (v->pub.graph) {
        view_igraph_lock();
        igraph_destroy(&v->graph);
        igraph_vector_destroy(&v->weights);
        igraph_vector_int_destroy(&v->group);
        view_igraph_unlock();
    }
    free(v->boundary);
    view_unref(v->baseline);
    if (v->memfd >= 0)
        close(v->memfd);
    pthread_mutex_destroy(&v->memfd_lock);
    free(v);
}

void view_unref(view_t *v)
{
    if (v && atomic_fetch_sub(&v->refs, 1) == 1)
        view_free(v);
}

/* The vertex set of window w: people with a tie there, or with isolates
 * every person who has a value. Marks in_view[pid]. */
static size_t mark_vertices(const struct snapshot *s, const struct window *w,
                            bool isolates, uint8_t *in_view)
{
    size_t n = 0;
    for (size_t i = 0; i < w->arcs.cap; i++) {
        uint64_t k = w->arcs.keys[i];
        if (!k)
            continue;
        int64_t a = (int64_t)(k >> 32), b = (int64_t)(k & 0xffffffffu);
        n += mark(in_view, a);
        n += mark(in_view, b);
    }
    for (int64_t p = 1; isolates && p <= s->maxpid; p++)
        if (s->pid_value[p] >= 0)
            n += mark(in_view, p);
    return n;
}

/* Make the view of one window; group_of_value maps value index to group
 * index (shared numbering). keys: person key by pid (borrowed). */
static view_t *assemble(const struct snapshot *s, struct window *w,
                        const view_spec_t *spec, const uint8_t *in_view,
                        size_t n, char **keys, const int32_t *group_of_value,
                        char *err, size_t errlen)
{
    view_t *v = calloc(1, sizeof *v);
    struct keyed *order = malloc((n ? n : 1) * sizeof *order);
    int32_t *vidx = malloc(((size_t)s->maxpid + 1) * sizeof *vidx);
    struct edge *edges = malloc((w->arcs.n ? w->arcs.n : 1) * sizeof *edges);
    igraph_vector_int_t el;
    bool el_ok = false;
    if (!v || !order || !vidx || !edges)
        goto oom;
    atomic_init(&v->refs, 1);
    v->memfd = -1;
    pthread_mutex_init(&v->memfd_lock, NULL);
    size_t k = 0;
    for (int64_t p = 1; p <= s->maxpid; p++)
        if (in_view[p])
            order[k++] = (struct keyed){p, keys[p]};
    qsort(order, n, sizeof *order, cmp_keyed);
    v->keys = calloc(n ? n : 1, sizeof *v->keys);
    if (!v->keys)
        goto oom;
    if (igraph_vector_int_init(&v->group, (igraph_integer_t)n)) {
        free(v->keys);
        goto oom;
    }
    for (size_t i = 0; i < n; i++) {
        vidx[order[i].pid] = (int32_t)i;
        if (!(v->keys[i] = strdup(order[i].key)))
            goto oom_group;
        VECTOR(v->group)
        [i] = group_of_value[s->pid_value[order[i].pid]];
    }
    size_t m = 0;
    for (size_t i = 0; i < w->arcs.cap; i++) {
        uint64_t key = w->arcs.keys[i];
        if (!key)
            continue;
        edges[m++] = (struct edge){vidx[key >> 32], vidx[key & 0xffffffffu],
                                   w->arcs.w[i]};
    }
    qsort(edges, m, sizeof *edges, cmp_edge);
    if (igraph_vector_int_init(&el, (igraph_integer_t)(2 * m)))
        goto oom_group;
    el_ok = true;
    if (igraph_vector_init(&v->weights, (igraph_integer_t)m))
        goto oom_group;
    for (size_t i = 0; i < m; i++) {
        VECTOR(el)[2 * i] = edges[i].from;
        VECTOR(el)[2 * i + 1] = edges[i].to;
        VECTOR(v->weights)[i] = edges[i].w;
    }
    if (igraph_create(&v->graph, &el, (igraph_integer_t)n, IGRAPH_DIRECTED)) {
        igraph_vector_destroy(&v->weights);
        goto oom_group;
    }
    igraph_vector_int_destroy(&el);
    free(order);
    free(vidx);
    free(edges);
    v->boundary = strdup(spec->boundary);
    v->pub.size = sizeof v->pub;
    v->pub.graph = &v->graph;
    v->pub.weights = &v->weights;
    v->pub.group = &v->group;
    v->pub.keys = (const char *const *)v->keys;
    v->pub.boundary = v->boundary;
    v->pub.from = spec->from;
    v->pub.to = spec->to;
    v->pub.excluded = w->excluded;
    v->bytes = sizeof *v + n * 48 + m * 40;
    if (!v->boundary) {
        view_free(v);
        snprintf(err, errlen, "out of memory building the view");
        return NULL;
    }
    return v;
oom_group:
    if (el_ok)
        igraph_vector_int_destroy(&el);
    for (size_t i = 0; i < n; i++)
        free(v->keys[i]);
    free(v->keys);
    igraph_vector_int_destroy(&v->group);
oom:
    free(v);
    free(order);
    free(vidx);
    free(edges);
    snprintf(err, errlen, "out of memory building the view");
    return NULL;
}

static void window_free(struct window *w)
{
    free(w->arcs.keys);
    free(w->arcs.w);
    free(w->excluded_seen);
}

int view_build(store_t *store, const view_spec_t *spec,
               const view_spec_t *baseline, view_t **out, char *err,
               size_t errlen)
{
    struct snapshot s = {0};
    struct window win[2];
    memset(win, 0, sizeof win);
    uint8_t *in_view[2] = {NULL, NULL};
    size_t nv[2] = {0, 0};
    char **keys = NULL;
    int32_t *group_of_value = NULL;
    view_t *views[2] = {NULL, NULL};
    int nwin = baseline ? 2 : 1, rc = -1;
    int64_t version = 0;
    const view_spec_t *specs[2] = {spec, baseline};

    s.db = store_read_begin(store, &version, err, errlen);
    if (!s.db)
        return -1;
    if (read_values(&s, spec->boundary, err, errlen) < 0)
        goto out;
    for (int k = 0; k < nwin; k++) {
        if (read_window(&s, specs[k], &win[k], err, errlen) < 0)
            goto out;
        in_view[k] = calloc((size_t)s.maxpid + 1, 1);
        if (!in_view[k])
            goto oom;
        nv[k] = mark_vertices(&s, &win[k], specs[k]->isolates, in_view[k]);
    }
    /* Person keys of everyone in either view. */
    keys = calloc((size_t)s.maxpid + 1, sizeof *keys);
    group_of_value = malloc((s.nvalues ? s.nvalues : 1) * sizeof *group_of_value);
    if (!keys || !group_of_value)
        goto oom;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s.db, "SELECT pid, key FROM person", -1, &st,
                           NULL) != SQLITE_OK) {
        snprintf(err, errlen, "view: %s", sqlite3_errmsg(s.db));
        goto out;
    }
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t pid = sqlite3_column_int64(st, 0);
        if (pid < 1 || pid > s.maxpid ||
            !(in_view[0][pid] || (in_view[1] && in_view[1][pid])))
            continue;
        if (!(keys[pid] = strdup((const char *)sqlite3_column_text(st, 1)))) {
            step = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        goto oom;
    /* Groups: the values present in either view, in byte order. */
    uint8_t *used = calloc(s.nvalues ? s.nvalues : 1, 1);
    if (!used)
        goto oom;
    for (int k = 0; k < nwin; k++)
        for (int64_t p = 1; p <= s.maxpid; p++)
            if (in_view[k][p])
                used[s.pid_value[p]] = 1;
    igraph_integer_t ngroups = 0;
    for (size_t i = 0; i < s.nvalues; i++)
        group_of_value[i] = used[i] ? (int32_t)ngroups++ : -1;
    char **names = calloc(ngroups ? (size_t)ngroups : 1, sizeof *names);
    if (!names) {
        free(used);
        goto oom;
    }
    for (size_t i = 0; i < s.nvalues; i++)
        if (used[i])
            names[group_of_value[i]] = s.values[i], s.values[i] = NULL;
    free(used);
    for (int k = 0; k < nwin; k++) {
        view_igraph_lock();
        views[k] = assemble(&s, &win[k], specs[k], in_view[k], nv[k], keys,
                            group_of_value, err, errlen);
        view_igraph_unlock();
        if (!views[k]) {
            if (k == 0) {
                for (igraph_integer_t g = 0; g < ngroups; g++)
                    free(names[g]);
                free(names);
            }
            goto out;
        }
        views[k]->group_names = names;
        views[k]->owns_groups = k == 0;
        views[k]->pub.group_names = (const char *const *)names;
        views[k]->pub.ngroups = ngroups;
        views[k]->data_version = version;
    }
    if (views[1]) {
        views[0]->baseline = views[1];
        views[0]->pub.baseline = &views[1]->pub;
        views[0]->bytes += views[1]->bytes;
        views[1] = NULL;
    }
    *out = views[0];
    views[0] = NULL;
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory building the view");
out:
    view_unref(views[1]);
    view_unref(views[0]);
    store_read_end(store, s.db);
    for (int k = 0; k < 2; k++) {
        window_free(&win[k]);
        free(in_view[k]);
    }
    if (keys)
        for (int64_t p = 0; p <= s.maxpid; p++)
            free(keys[p]);
    free(keys);
    free(group_of_value);
    for (size_t i = 0; i < s.nvalues; i++)
        free(s.values[i]);
    free(s.values);
    free(s.pid_value);
    return rc;
}

static int put_spec(buf_t *b, const view_spec_t *sp)
{
    if (buf_printf(b, "%" PRId64 "|%" PRId64 "|%d|%zu:%s|", sp->from, sp->to,
                   sp->isolates, strlen(sp->boundary), sp->boundary) < 0)
        return -1;
    if (!sp->kinds)
        return buf_puts(b, "*");
    for (size_t i = 0; i < sp->nkinds; i++)
        if (buf_printf(b, "%zu:%s,", strlen(sp->kinds[i]), sp->kinds[i]) < 0)
            return -1;
    return 0;
}

char *view_spec_key(const view_spec_t *spec, const view_spec_t *baseline)
{
    buf_t b = BUF_INIT;
    if (put_spec(&b, spec) < 0 ||
        (baseline && (buf_puts(&b, "#") < 0 || put_spec(&b, baseline) < 0))) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b, NULL);
}

void view_spec_free(view_spec_t *spec)
{
    for (size_t i = 0; spec->kinds && i < spec->nkinds; i++)
        free(spec->kinds[i]);
    free(spec->kinds);
    free(spec->boundary);
    memset(spec, 0, sizeof *spec);
}

/* ---- serialized views, for analysis children ---------------------------
 *
 * Layout (native byte order: the reader is this same binary): a header of
 * int64 fields, then int64 arc endpoints, double weights, int64 groups,
 * and NUL-terminated strings (boundary, group names, keys). A baseline
 * follows its main view with its own header; group names are written
 * once, with the main view. */

#define VIEW_MAGIC INT64_C(0x5350414E44564945) /* "SPANDVIE" */

static int put_view(buf_t *b, const view_t *v, bool with_groups)
{
    igraph_integer_t n = igraph_vcount(&v->graph), m = igraph_ecount(&v->graph);
    int64_t head[9] = {VIEW_MAGIC, n, m, v->pub.ngroups, v->pub.excluded,
                       v->pub.from, v->pub.to, v->data_version,
                       v->baseline != NULL};
    if (buf_append(b, head, sizeof head) < 0)
        return -1;
    for (igraph_integer_t e = 0; e < m; e++) {
        int64_t ends[2] = {IGRAPH_FROM(&v->graph, e), IGRAPH_TO(&v->graph, e)};
        if (buf_append(b, ends, sizeof ends) < 0)
            return -1;
    }
    if (buf_append(b, VECTOR(v->weights), (size_t)m * sizeof(double)) < 0)
        return -1;
    for (igraph_integer_t i = 0; i < n; i++) {
        int64_t g = VECTOR(v->group)[i];
        if (buf_append(b, &g, sizeof g) < 0)
            return -1;
    }
    if (buf_append(b, v->boundary, strlen(v->boundary) + 1) < 0)
        return -1;
    for (igraph_integer_t g = 0; with_groups && g < v->pub.ngroups; g++)
        if (buf_append(b, v->group_names[g], strlen(v->group_names[g]) + 1) <
            0)
            return -1;
    for (igraph_integer_t i = 0; i < n; i++)
        if (buf_append(b, v->keys[i], strlen(v->keys[i]) + 1) < 0)
            return -1;
    return 0;
}

int view_memfd(view_t *v)
{
    pthread_mutex_lock(&v->memfd_lock);
    if (v->memfd >= 0) {
        pthread_mutex_unlock(&v->memfd_lock);
        return v->memfd;
    }
    buf_t b = BUF_INIT;
    int fd = -1;
    if (put_view(&b, v, true) == 0 &&
        (!v->baseline || put_view(&b, v->baseline, false) == 0)) {
        fd = memfd_create("spand-view", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        size_t off = 0;
        while (fd >= 0 && off < b.len) {
            ssize_t w = write(fd, b.data + off, b.len - off);
            if (w <= 0) {
                close(fd);
                fd = -1;
            } else {
                off += (size_t)w;
            }
        }
        /* Sealed: no child can change what the next one reads. */
        if (fd >= 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
                                                  F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
            close(fd);
            fd = -1;
        }
    }
    buf_free(&b);
    v->memfd = fd;
    pthread_mutex_unlock(&v->memfd_lock);
    return fd;
}

struct reader {
    const char *p, *end;
};

static int take(struct reader *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return -1;
    memcpy(out, r->p, n);
    r->p += n;
    return 0;
}

static char *take_str(struct reader *r)
{
    const char *nul = memchr(r->p, '\0', (size_t)(r->end - r->p));
    if (!nul)
        return NULL;
    char *s = strdup(r->p);
    r->p = nul + 1;
    return s;
}

/* One view; names is NULL for a baseline (its group names are the main
 * view's), else receives the group names read. */
static view_t *get_view(struct reader *r, char ***names, igraph_integer_t *ng,
                        bool *has_baseline)
{
    int64_t head[9];
    if (take(r, head, sizeof head) < 0 || head[0] != VIEW_MAGIC ||
        head[1] < 0 || head[2] < 0 || head[3] < 0)
        return NULL;
    igraph_integer_t n = head[1], m = head[2];
    view_t *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    atomic_init(&v->refs, 1);
    v->memfd = -1;
    pthread_mutex_init(&v->memfd_lock, NULL);
    igraph_vector_int_t el;
    if (igraph_vector_int_init(&el, 2 * m)) {
        free(v);
        return NULL;
    }
    bool ok = true;
    for (igraph_integer_t i = 0; ok && i < 2 * m; i++) {
        int64_t x = 0;
        ok = take(r, &x, sizeof x) == 0 && x >= 0 && x < n;
        VECTOR(el)[i] = x;
    }
    if (!ok || igraph_vector_init(&v->weights, m)) {
        igraph_vector_int_destroy(&el);
        free(v);
        return NULL;
    }
    if (take(r, VECTOR(v->weights), (size_t)m * sizeof(double)) < 0 ||
        igraph_vector_int_init(&v->group, n)) {
        igraph_vector_destroy(&v->weights);
        igraph_vector_int_destroy(&el);
        free(v);
        return NULL;
    }
    for (igraph_integer_t i = 0; ok && i < n; i++) {
        int64_t g = 0;
        ok = take(r, &g, sizeof g) == 0 && g >= 0 && g < head[3];
        VECTOR(v->group)[i] = g;
    }
    if (!ok || igraph_create(&v->graph, &el, n, IGRAPH_DIRECTED)) {
        igraph_vector_int_destroy(&v->group);
        igraph_vector_destroy(&v->weights);
        igraph_vector_int_destroy(&el);
        free(v);
        return NULL;
    }
    igraph_vector_int_destroy(&el);
    v->pub.graph = &v->graph; /* from here view_free can clean up */
    v->boundary = take_str(r);
    if (names) {
        /* The main view carries the group names. */
        char **gn = calloc(head[3] ? (size_t)head[3] : 1, sizeof *gn);
        for (int64_t g = 0; gn && g < head[3]; g++)
            if (!(gn[g] = take_str(r)))
                ok = false;
        *names = gn;
        *ng = head[3];
        v->owns_groups = true;
        if (!gn)
            ok = false;
    }
    v->keys = calloc(n ? (size_t)n : 1, sizeof *v->keys);
    for (igraph_integer_t i = 0; ok && v->keys && i < n; i++)
        ok = (v->keys[i] = take_str(r)) != NULL;
    if (!ok || !v->keys || !v->boundary) {
        view_free(v);
        return NULL;
    }
    v->pub.size = sizeof v->pub;
    v->pub.weights = &v->weights;
    v->pub.group = &v->group;
    v->pub.keys = (const char *const *)v->keys;
    v->pub.boundary = v->boundary;
    v->pub.ngroups = head[3];
    v->pub.excluded = head[4];
    v->pub.from = head[5];
    v->pub.to = head[6];
    v->data_version = head[7];
    *has_baseline = head[8] != 0;
    return v;
}

view_t *view_load(const void *map, size_t len, char *err, size_t errlen)
{
    struct reader r = {map, (const char *)map + len};
    char **names = NULL;
    igraph_integer_t ng = 0;
    bool has_base = false, base_base = false;
    view_t *v = get_view(&r, &names, &ng, &has_base);
    if (!v) {
        snprintf(err, errlen, "the view file is malformed");
        return NULL;
    }
    v->group_names = names;
    v->pub.group_names = (const char *const *)names;
    if (has_base) {
        view_t *b = get_view(&r, NULL, &ng, &base_base);
        if (!b) {
            view_unref(v);
            snprintf(err, errlen, "the baseline in the view file is "
                                  "malformed");
            return NULL;
        }
        b->group_names = names;
        b->pub.group_names = (const char *const *)names;
        b->pub.ngroups = v->pub.ngroups;
        v->baseline = b;
        v->pub.baseline = &b->pub;
    }
    return v;
}
