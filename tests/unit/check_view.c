/* Unit tests: incremental views (daemon/view.c view_build_from). After
 * each ingest, every spec's view is built twice from the same store - in
 * full, and from the previous incremental view - and the two must be the
 * same view: numbering, keys, groups, arcs, weights bit for bit, excluded
 * count, baseline; and the incremental build must really have been
 * incremental after appends and a full build after anything else. The
 * graphs must also be laid out exactly as igraph_create lays them out. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "store.h"
#include "view.h"

static char dir[] = "/tmp/spand-check-view-XXXXXX";
static uv_loop_t loop;
static config_t cfg;
static int completed;

static void on_done(store_op_t *op, int rc)
{
    store_op_t **slot = op->ctx;
    op->rc = rc;
    *slot = op;
    completed++;
}

static void run_op(store_t *s, store_op_t *op)
{
    static store_op_t *slot;
    slot = NULL;
    op->ctx = &slot;
    completed = 0;
    ck_assert_int_eq(store_submit(s, op), 0);
    while (completed < 1)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_msg(slot->rc == 0, "store op failed: %s", slot->err);
    store_op_free(slot);
}

static void ingest(store_t *s, const char *json)
{
    json_error_t je;
    json_t *p = json_loads(json, 0, &je);
    ck_assert_msg(p != NULL, "bad test JSON: %s", je.text);
    ingest_limits_t lim = {
        .max_id_bytes = 256, .max_value_bytes = 1024, .max_rejects = 100};
    store_op_t *op = store_op_new(STORE_OP_INGEST, on_done, NULL);
    char err[256];
    ck_assert_int_eq(ingest_parse(p, &lim, &op->batch, err, sizeof err), 0);
    ck_assert_msg(op->batch.rejected_count == 0, "rejected: %s",
                  json_dumps(op->batch.rejected, 0));
    json_decref(p);
    run_op(s, op);
}

static void forget(store_t *s, const char *id)
{
    store_op_t *op = store_op_new(STORE_OP_FORGET, on_done, NULL);
    op->forget_id = strdup(id);
    run_op(s, op);
}

/* ---- specs ------------------------------------------------------------ */

#define NSPECS 7
/* The first NPLAIN specs have no scoped options: their weights are the
 * ingested ones (newman's 1/(k-1) are not exact; within drops q1-q2). */
#define NPLAIN 5

struct spec_case {
    view_spec_t spec, base;
    bool has_base;
    view_t *prev; /* the last incremental view */
};

static struct spec_case cases[NSPECS];

static view_spec_t mkspec(int64_t from, int64_t to, const char *kind,
                          bool isolates)
{
    view_spec_t sp = {.from = from,
                      .to = to,
                      .boundary = strdup("sector"),
                      .isolates = isolates};
    if (kind) {
        sp.kinds = calloc(1, sizeof *sp.kinds);
        sp.kinds[0] = strdup(kind);
        sp.nkinds = 1;
    }
    return sp;
}

static void setup_specs(void)
{
    for (int i = 0; i < NSPECS; i++) { /* after a failed test */
        view_unref(cases[i].prev);
        cases[i].prev = NULL;
    }
    cases[0].spec = mkspec(VIEW_OPEN_FROM, VIEW_OPEN_TO, NULL, false);
    cases[1].spec = mkspec(VIEW_OPEN_FROM, VIEW_OPEN_TO, NULL, true);
    cases[2].spec = mkspec(100, 500, NULL, false);
    cases[3].spec = mkspec(VIEW_OPEN_FROM, VIEW_OPEN_TO, "advice", true);
    cases[4].spec = mkspec(300, VIEW_OPEN_TO, NULL, false);
    cases[4].base = mkspec(VIEW_OPEN_FROM, 300, NULL, true);
    cases[4].has_base = true;
    /* Scoped views: where, without, newman weighting (weights 1/(k-1):
     * inexact) with isolates; within with a baseline. */
    cases[5].spec = mkspec(VIEW_OPEN_FROM, VIEW_OPEN_TO, NULL, true);
    view_spec_t *sp = &cases[5].spec;
    sp->where = calloc(1, sizeof *sp->where);
    sp->where[0].attr = strdup("sector");
    sp->where[0].values = calloc(3, sizeof(char *));
    sp->where[0].values[0] = strdup("edu");
    sp->where[0].values[1] = strdup("health");
    sp->where[0].values[2] = strdup("social");
    sp->where[0].nvalues = 3;
    sp->nwhere = 1;
    sp->without_ids = calloc(1, sizeof(char *));
    sp->without_ids[0] = strdup("p7");
    sp->nwithout_ids = 1;
    sp->without_where = calloc(1, sizeof *sp->without_where);
    sp->without_where[0].attr = strdup("site");
    sp->without_where[0].values = calloc(1, sizeof(char *));
    sp->without_where[0].values[0] = strdup("s2");
    sp->without_where[0].nvalues = 1;
    sp->nwithout_where = 1;
    sp->event_weighting = VIEW_EVENTS_NEWMAN;
    cases[6].spec = mkspec(200, VIEW_OPEN_TO, NULL, false);
    cases[6].base = mkspec(VIEW_OPEN_FROM, 200, NULL, true);
    cases[6].has_base = true;
    cases[6].spec.within = strdup("site");
    view_spec_add_attr(&cases[6].spec, "site");
    view_spec_copy_scope(&cases[6].base, &cases[6].spec);
}

/* ---- comparing -------------------------------------------------------- */

static void same_layout(const igraph_t *g)
{
    igraph_integer_t m = igraph_ecount(g);
    igraph_vector_int_t el;
    igraph_t ref;
    ck_assert_int_eq(igraph_vector_int_init(&el, 2 * m), 0);
    for (igraph_integer_t e = 0; e < m; e++) {
        VECTOR(el)[2 * e] = IGRAPH_FROM(g, e);
        VECTOR(el)[2 * e + 1] = IGRAPH_TO(g, e);
    }
    ck_assert_int_eq(
        igraph_create(&ref, &el, igraph_vcount(g), IGRAPH_DIRECTED), 0);
    ck_assert(igraph_vector_int_all_e(&ref.from, &g->from));
    ck_assert(igraph_vector_int_all_e(&ref.to, &g->to));
    ck_assert(igraph_vector_int_all_e(&ref.oi, &g->oi));
    ck_assert(igraph_vector_int_all_e(&ref.ii, &g->ii));
    ck_assert(igraph_vector_int_all_e(&ref.os, &g->os));
    ck_assert(igraph_vector_int_all_e(&ref.is, &g->is));
    ck_assert_int_eq(ref.n, g->n);
    igraph_destroy(&ref);
    igraph_vector_int_destroy(&el);
}

static void same_view(const view_t *a, const view_t *b, bool main_view)
{
    igraph_integer_t n = igraph_vcount(&a->graph), m = igraph_ecount(&a->graph);
    ck_assert_int_eq(igraph_vcount(&b->graph), n);
    ck_assert_int_eq(igraph_ecount(&b->graph), m);
    for (igraph_integer_t i = 0; i < n; i++) {
        ck_assert_str_eq(a->keys[i], b->keys[i]);
        ck_assert_int_eq(VECTOR(a->group)[i], VECTOR(b->group)[i]);
    }
    for (igraph_integer_t e = 0; e < m; e++) {
        ck_assert_int_eq(IGRAPH_FROM(&a->graph, e), IGRAPH_FROM(&b->graph, e));
        ck_assert_int_eq(IGRAPH_TO(&a->graph, e), IGRAPH_TO(&b->graph, e));
        double x = VECTOR(a->weights)[e], y = VECTOR(b->weights)[e];
        ck_assert_msg(memcmp(&x, &y, sizeof x) == 0,
                      "arc %ld: weight %.17g != %.17g", (long)e, x, y);
    }
    ck_assert_int_eq(a->pub.ngroups, b->pub.ngroups);
    for (igraph_integer_t g = 0; g < a->pub.ngroups; g++)
        ck_assert_str_eq(a->pub.group_names[g], b->pub.group_names[g]);
    ck_assert_int_eq(a->pub.excluded, b->pub.excluded);
    ck_assert_int_eq(a->pub.from, b->pub.from);
    ck_assert_int_eq(a->pub.to, b->pub.to);
    ck_assert_int_eq(a->data_version, b->data_version);
    same_layout(&a->graph);
    same_layout(&b->graph);
    /* carried attributes and within's counts */
    ck_assert_uint_eq(a->nattrs, b->nattrs);
    for (size_t x = 0; x < a->nattrs; x++) {
        ck_assert_str_eq(a->attr_names[x], b->attr_names[x]);
        for (igraph_integer_t i = 0; i < n; i++) {
            const char *u = view_attr(a, x, i), *w = view_attr(b, x, i);
            ck_assert_int_eq(u == NULL, w == NULL);
            if (u)
                ck_assert_str_eq(u, w);
        }
    }
    ck_assert_int_eq(a->within == NULL, b->within == NULL);
    ck_assert_int_eq(a->outside, b->outside);
    ck_assert_uint_eq(a->nxscope, b->nxscope);
    for (size_t x = 0; x < a->nxscope; x++) {
        ck_assert_str_eq(a->xscope[x], b->xscope[x]);
        ck_assert_int_eq(a->xcount[x], b->xcount[x]);
    }
    if (main_view) {
        ck_assert_int_eq(a->baseline != NULL, b->baseline != NULL);
        if (a->baseline)
            same_view(a->baseline, b->baseline, false);
    }
}

/* Incremental builds seen, with exact and inexact sums. */
static int n_inc_exact, n_inc_inexact;

/* Build every spec both ways and compare; incremental: whether the store
 * has only had appends since the previous views, which the incremental
 * builds must then have started from - unless a window's sums stopped
 * being exact (a full build then). Returns the total arcs seen (so a test
 * can tell it built something). */
static long check_all(store_t *s, bool incremental)
{
    long arcs = 0;
    for (int i = 0; i < NSPECS; i++) {
        struct spec_case *c = &cases[i];
        const view_spec_t *base = c->has_base ? &c->base : NULL;
        view_t *full, *inc;
        char err[256];
        ck_assert_msg(view_build(s, &c->spec, base, &full, err, sizeof err) ==
                          0,
                      "%s", err);
        ck_assert_msg(view_build_from(s, &c->spec, base, c->prev, &inc, err,
                                      sizeof err) == 0,
                      "%s", err);
        ck_assert(!full->incremental);
        bool expect = incremental && c->prev != NULL &&
                      !(view_sums_exact(c->prev) && !view_sums_exact(full));
        ck_assert_msg(inc->incremental == expect,
                      "spec %d: incremental %d, expected %d", i,
                      inc->incremental, expect);
        ck_assert_int_eq(view_sums_exact(inc), view_sums_exact(full));
        if (inc->incremental && view_sums_exact(inc))
            n_inc_exact++;
        else if (inc->incremental)
            n_inc_inexact++;
        same_view(full, inc, true);
        arcs += (long)igraph_ecount(&inc->graph);
        view_unref(full);
        view_unref(c->prev);
        c->prev = inc;
    }
    return arcs;
}

/* ---- tests ------------------------------------------------------------ */

START_TEST(scripted)
{
    char err[512];
    store_t *s;
    ck_assert_msg(store_open(&cfg, &loop, &s, err, sizeof err) == 0, "%s", err);
    setup_specs();
    n_inc_exact = n_inc_inexact = 0;
    check_all(s, true); /* empty store */
    ingest(s, "{\"people\":[{\"id\":\"m\",\"sector\":\"health\"},"
              "{\"id\":\"p\",\"sector\":\"social\"},"
              "{\"id\":\"t\",\"sector\":\"health\"},"
              "{\"id\":\"x\",\"sector\":\"police\"},"
              "{\"id\":\"lonely\",\"sector\":\"social\"}],"
              "\"records\":["
              "{\"ts\":100,\"from\":\"m\",\"to\":\"p\",\"kind\":\"advice\","
              "\"weight\":0.1},"
              "{\"ts\":200,\"from\":\"p\",\"to\":\"t\",\"kind\":\"case\","
              "\"weight\":0.7,\"directed\":false},"
              "{\"ts\":400,\"from\":\"t\",\"to\":\"x\",\"kind\":\"advice\","
              "\"weight\":1.3}],"
              "\"events\":[{\"ts\":150,\"kind\":\"meeting\",\"weight\":0.3,"
              "\"participants\":[\"m\",\"p\",\"x\"]}]}");
    ck_assert_int_gt(check_all(s, true), 0);
    /* re-weight existing arcs (records and events on arcs that have both),
     * add new arcs */
    ingest(s, "{\"records\":["
              "{\"ts\":120,\"from\":\"m\",\"to\":\"p\",\"kind\":\"advice\","
              "\"weight\":0.2},"
              "{\"ts\":130,\"from\":\"p\",\"to\":\"m\",\"kind\":\"advice\","
              "\"weight\":0.6},"
              "{\"ts\":450,\"from\":\"x\",\"to\":\"m\",\"kind\":\"case\","
              "\"weight\":0.1},"
              "{\"ts\":210,\"from\":\"t\",\"to\":\"p\",\"kind\":\"case\","
              "\"weight\":0.3}],"
              "\"events\":[{\"ts\":350,\"kind\":\"meeting\",\"weight\":0.7,"
              "\"participants\":[\"t\",\"p\",\"m\"]}]}");
    check_all(s, true);
    /* new people sorting before and between existing ones, a new group
     * value, an isolate, people without the boundary (excluded) */
    ingest(s, "{\"people\":[{\"id\":\"a\",\"sector\":\"zeta\"},"
              "{\"id\":\"n\",\"sector\":\"aardvark\"},"
              "{\"id\":\"iso\",\"sector\":\"health\"},"
              "{\"id\":\"nob\",\"role\":\"x\"}],"
              "\"records\":["
              "{\"ts\":110,\"from\":\"a\",\"to\":\"m\",\"kind\":\"advice\","
              "\"weight\":0.9},"
              "{\"ts\":320,\"from\":\"n\",\"to\":\"x\",\"kind\":\"case\","
              "\"weight\":1.1,\"directed\":false},"
              "{\"ts\":330,\"from\":\"nob\",\"to\":\"x\",\"kind\":\"case\"},"
              "{\"ts\":340,\"from\":\"t\",\"to\":\"implicit\","
              "\"kind\":\"advice\"},"
              "{\"ts\":9000,\"from\":\"m\",\"to\":\"t\",\"kind\":\"advice\","
              "\"weight\":0.4},"
              "{\"ts\":10,\"from\":\"x\",\"to\":\"p\",\"kind\":\"case\","
              "\"weight\":0.4}]}");
    check_all(s, true);
    /* events only: with an excluded participant and a new person */
    ingest(s, "{\"events\":[{\"ts\":250,\"kind\":\"meeting\",\"weight\":0.1,"
              "\"participants\":[\"a\",\"n\",\"implicit\",\"p\"]},"
              "{\"ts\":260,\"kind\":\"advice\",\"weight\":0.2,"
              "\"participants\":[\"m\",\"t\",\"newbie\"]}]}");
    check_all(s, true);
    /* an unchanged attribute is not a change */
    ingest(s, "{\"people\":[{\"id\":\"m\",\"sector\":\"health\"}],"
              "\"records\":[{\"ts\":140,\"from\":\"m\",\"to\":\"p\","
              "\"kind\":\"advice\",\"weight\":0.3}]}");
    check_all(s, true);
    /* the boundary given to someone excluded: a full build */
    ingest(s, "{\"people\":[{\"id\":\"implicit\",\"sector\":\"police\"}]}");
    check_all(s, false);
    ingest(s, "{\"records\":[{\"ts\":150,\"from\":\"implicit\",\"to\":\"p\","
              "\"kind\":\"advice\",\"weight\":0.3}]}");
    check_all(s, true);
    /* another attribute changed: also a full build (conservative) */
    ingest(s, "{\"people\":[{\"id\":\"p\",\"role\":\"lead\"}]}");
    check_all(s, false);
    /* forget: a full build */
    forget(s, "t");
    check_all(s, false);
    ingest(s, "{\"records\":[{\"ts\":160,\"from\":\"x\",\"to\":\"m\","
              "\"kind\":\"advice\",\"weight\":0.5}]}");
    check_all(s, true);
    /* a boundary value removed: a full build */
    ingest(s, "{\"people\":[{\"id\":\"n\",\"sector\":null}]}");
    check_all(s, false);
    ck_assert_int_ge(n_inc_inexact, 30);
    for (int i = 0; i < NSPECS; i++) {
        view_unref(cases[i].prev);
        cases[i].prev = NULL;
        view_spec_free(&cases[i].spec);
        if (cases[i].has_base)
            view_spec_free(&cases[i].base);
    }
    store_close(s);
    uv_run(&loop, UV_RUN_DEFAULT);
}
END_TEST

/* Weights: whole quarters and eighths (exact sums: one map, no side
 * table) or thousandths (sums that depend on the order). */
static double weight(bool exact, bool event)
{
    if (exact)
        return event ? (rand() % 8) / 8.0 : (rand() % 12) / 4.0;
    return (rand() % 1000) / (event ? 991.0 : 997.0);
}

/* Many random appends: people from a pool (random keys, some without the
 * boundary), records and events. */
static void random_appends(const char *name, bool exact)
{
    char err[512];
    store_t *s;
    char db[PATH_MAX];
    snprintf(db, sizeof db, "%s/%s.db", dir, name);
    free(cfg.database);
    cfg.database = strdup(db);
    ck_assert_msg(store_open(&cfg, &loop, &s, err, sizeof err) == 0, "%s", err);
    setup_specs();
    n_inc_exact = n_inc_inexact = 0;
    srand(7);
    static const char *const sectors[] = {"health", "social", "police",
                                          "edu",    "aa",     "zz"};
    /* the scope of within (none for a quarter of the people) */
    static const char *const sites[] = {",\"site\":\"s1\"", ",\"site\":\"s2\"",
                                        ",\"site\":\"s3\"", ""};
    long arcs = 0;
    for (int round = 0; round < 40; round++) {
        char json[65536];
        size_t len = 0;
        int pool = 10 + round * 3;
        len += (size_t)snprintf(json + len, sizeof json - len, "{\"people\":[");
        for (int i = 0; i < 3; i++) {
            int who = pool - 1 - i;
            if (rand() % 4 == 0)
                continue;
            len += (size_t)snprintf(json + len, sizeof json - len,
                                    "%s{\"id\":\"p%d\",\"sector\":\"%s\"%s}",
                                    len > 12 ? "," : "", (who * 7919) % 1000,
                                    sectors[(round + i) % (round < 20 ? 4 : 6)],
                                    sites[who % 4]);
        }
        len +=
            (size_t)snprintf(json + len, sizeof json - len, "],\"records\":[");
        for (int i = 0; i < 30; i++) {
            /* half the ties among a few people: arcs that take several
             * weights in one batch, whose sum depends on the order */
            int hot = rand() % 2 ? 4 : pool;
            int a = rand() % hot, b = rand() % hot;
            if (b == a)
                b = (a + 1) % hot;
            len += (size_t)snprintf(
                json + len, sizeof json - len,
                "%s{\"ts\":%d,\"from\":\"p%d\",\"to\":\"p%d\",\"kind\":\"%s\","
                "\"weight\":%.17g,\"directed\":%s}",
                i ? "," : "", rand() % 700, (a * 7919) % 1000,
                (b * 7919) % 1000, rand() % 3 ? "advice" : "case",
                weight(exact, false), rand() % 2 ? "true" : "false");
        }
        len +=
            (size_t)snprintf(json + len, sizeof json - len, "],\"events\":[");
        for (int i = 0; i < 3; i++) {
            len += (size_t)snprintf(json + len, sizeof json - len,
                                    "%s{\"ts\":%d,\"kind\":\"meeting\","
                                    "\"weight\":%.17g,\"participants\":[",
                                    i ? "," : "", rand() % 700,
                                    weight(exact, true));
            int k = 2 + rand() % 3, first = rand() % pool;
            for (int j = 0; j < k; j++) /* distinct: pool > k */
                len += (size_t)snprintf(
                    json + len, sizeof json - len, "%s\"p%d\"", j ? "," : "",
                    (((first + j * 3) % pool) * 7919) % 1000);
            len += (size_t)snprintf(json + len, sizeof json - len, "]}");
        }
        snprintf(json + len, sizeof json - len, "]}");
        ingest(s, json);
        arcs = check_all(s, true);
        if (exact && round == 25) {
            /* An inexact event weight in every window (after exact ones:
             * the full build reads again keeping the parts apart): every
             * view built in full, then incremental again. */
            ingest(s, "{\"people\":[{\"id\":\"q1\",\"sector\":\"health\"},"
                      "{\"id\":\"q2\",\"sector\":\"edu\"}],"
                      "\"events\":[{\"ts\":350,\"kind\":\"advice\","
                      "\"weight\":0.1,\"participants\":[\"q1\",\"q2\"]}]}");
            for (int i = 0; i < NPLAIN; i++)
                ck_assert(view_sums_exact(cases[i].prev));
            check_all(s, true);
            for (int i = 0; i < NPLAIN; i++) {
                ck_assert(!cases[i].prev->incremental);
                ck_assert(!view_sums_exact(cases[i].prev));
            }
        }
    }
    ck_assert_int_gt(arcs, 200);
    /* both kinds of incremental build really happened */
    ck_assert_int_ge(n_inc_inexact, exact ? 50 : 150);
    if (exact)
        ck_assert_int_ge(n_inc_exact, 100);
    for (int i = 0; i < NSPECS; i++) {
        view_unref(cases[i].prev);
        cases[i].prev = NULL;
        view_spec_free(&cases[i].spec);
        if (cases[i].has_base)
            view_spec_free(&cases[i].base);
    }
    store_close(s);
    uv_run(&loop, UV_RUN_DEFAULT);
}

START_TEST(random_inexact)
{
    random_appends("inexact", false);
}
END_TEST

START_TEST(random_exact)
{
    random_appends("exact", true);
}
END_TEST

/* A boundary with more distinct values than max_groups is refused with its
 * name and count (a pair table has ngroups^2 rows); at the limit the view
 * is built. 0 is the default, 1,000. */
static void build_groups(store_t *s, size_t max, int want_rc, const char *msg)
{
    view_spec_t sp = {.from = VIEW_OPEN_FROM,
                      .to = VIEW_OPEN_TO,
                      .boundary = strdup("team"),
                      .max_groups = max};
    view_t *v = NULL;
    char err[512] = "";
    int rc = view_build(s, &sp, NULL, &v, err, sizeof err);
    ck_assert_msg(rc == want_rc, "max %zu: rc %d: %s", max, rc, err);
    if (msg)
        ck_assert_msg(strstr(err, msg) != NULL, "\"%s\" lacks \"%s\"", err,
                      msg);
    if (v) {
        ck_assert_int_eq(
            view_check_groups(v, (size_t)v->pub.ngroups, err, sizeof err), 0);
        ck_assert_int_eq(
            view_check_groups(v, (size_t)v->pub.ngroups - 1, err, sizeof err),
            -1);
        ck_assert_ptr_nonnull(strstr(err, "boundary \"team\""));
        view_unref(v);
    }
    view_spec_free(&sp);
}

START_TEST(group_limit)
{
    char err[512], db[PATH_MAX];
    store_t *s;
    snprintf(db, sizeof db, "%s/groups.db", dir);
    free(cfg.database);
    cfg.database = strdup(db);
    ck_assert_msg(store_open(&cfg, &loop, &s, err, sizeof err) == 0, "%s", err);
    /* A chain of people p0 - p1 - ... each in a team of their own. */
    size_t cap = 200000;
    char *json = malloc(cap);
    ck_assert_ptr_nonnull(json);
    for (size_t n = 0; n < 1001; n += 200) {
        size_t end = n + 200 < 1001 ? n + 200 : 1001, off = 0;
        off += (size_t)snprintf(json + off, cap - off, "{\"people\":[");
        for (size_t i = n; i < end; i++)
            off += (size_t)snprintf(json + off, cap - off,
                                    "%s{\"id\":\"p%zu\",\"team\":\"t%zu\"}",
                                    i > n ? "," : "", i, i);
        off += (size_t)snprintf(json + off, cap - off, "],\"records\":[");
        for (size_t i = n; i < end; i++)
            off += (size_t)snprintf(json + off, cap - off,
                                    "%s{\"ts\":1,\"from\":\"p%zu\",\"to\":"
                                    "\"p%zu\",\"kind\":\"k\"}",
                                    i > n ? "," : "", i, i + 1);
        snprintf(json + off, cap - off, "]}");
        ingest(s, json);
    }
    free(json);
    /* p1001 has no team: 1001 groups (t0 .. t1000). */
    build_groups(s, 1000, -1,
                 "boundary \"team\" has 1001 groups in this view, more than "
                 "max_groups (1000)");
    build_groups(s, 0, -1, "max_groups (1000)"); /* the default */
    build_groups(s, 1001, 0, NULL);
    build_groups(s, VIEW_GROUPS_UNLIMITED, 0, NULL);
    build_groups(s, 2, -1, "has 1001 groups");
    store_close(s);
    uv_run(&loop, UV_RUN_DEFAULT);
}
END_TEST

/* The view's copy of v, through the memfd an analysis child reads. */
static view_t *round_trip(view_t *v)
{
    int fd = view_memfd(v);
    ck_assert_int_ge(fd, 0);
    off_t len = lseek(fd, 0, SEEK_END);
    void *map = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, fd, 0);
    ck_assert_ptr_ne(map, MAP_FAILED);
    char err[256];
    view_t *c = view_load(map, (size_t)len, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    munmap(map, (size_t)len);
    return c;
}

static const char *attr_of(const view_t *v, const char *name, const char *key)
{
    int a = view_attr_index(v, name);
    for (igraph_integer_t i = 0; a >= 0 && i < igraph_vcount(&v->graph); i++)
        if (!strcmp(v->keys[i], key))
            return view_attr(v, (size_t)a, i);
    return "(not a vertex or not carried)";
}

/* Carried attributes: the spec's, or all; people without a boundary
 * value kept in group "" with keep_unvalued; the memfd keeps them. */
START_TEST(carried_attrs)
{
    char err[512], db[PATH_MAX];
    store_t *s;
    snprintf(db, sizeof db, "%s/attrs.db", dir);
    free(cfg.database);
    cfg.database = strdup(db);
    ck_assert_msg(store_open(&cfg, &loop, &s, err, sizeof err) == 0, "%s", err);
    ingest(s,
           "{\"people\":[{\"id\":\"a\",\"sector\":\"x\",\"role\":\"PSW\"},"
           "{\"id\":\"b\",\"sector\":\"y\"},"
           "{\"id\":\"c\",\"role\":\"OT\"},"
           "{\"id\":\"d\",\"sector\":\"x\",\"role\":\"nurse\"}],"
           "\"records\":[{\"ts\":1,\"from\":\"a\",\"to\":\"b\",\"kind\":\"k\"},"
           "{\"ts\":2,\"from\":\"b\",\"to\":\"c\",\"kind\":\"k\"}]}");
    view_spec_t sp = {.from = VIEW_OPEN_FROM,
                      .to = VIEW_OPEN_TO,
                      .boundary = strdup("sector")};
    ck_assert_int_eq(view_spec_add_attr(&sp, "role"), 0);
    ck_assert_int_eq(view_spec_add_attr(&sp, "role"), 0);
    ck_assert_int_eq(view_spec_add_attr(&sp, "org"), 0);
    ck_assert_uint_eq(sp.nattrs, 2);
    ck_assert_str_eq(sp.attrs[0], "org"); /* kept sorted */
    view_t *v = NULL;
    ck_assert_msg(view_build(s, &sp, NULL, &v, err, sizeof err) == 0, "%s",
                  err);
    /* a, b; c (no sector) excluded; d has no tie. */
    ck_assert_int_eq(igraph_vcount(&v->graph), 2);
    ck_assert_int_eq(v->pub.excluded, 1);
    ck_assert_uint_eq(v->nattrs, 2);
    ck_assert_int_eq(view_attr_index(v, "role"), 1);
    ck_assert_int_eq(view_attr_index(v, "sector"), -1);
    ck_assert_str_eq(attr_of(v, "role", "a"), "PSW");
    ck_assert_ptr_null(attr_of(v, "role", "b"));
    ck_assert_ptr_null(attr_of(v, "org", "a")); /* nobody has one */
    ck_assert_ptr_null(view_attr(v, 1, 2));     /* no vertex 2 */
    ck_assert_ptr_null(view_attr(v, 2, 0));     /* no attribute 2 */
    view_t *c = round_trip(v);
    ck_assert_uint_eq(c->nattrs, 2);
    ck_assert_str_eq(attr_of(c, "role", "a"), "PSW");
    ck_assert_ptr_null(attr_of(c, "role", "b"));
    view_unref(c);
    char *k1 = view_spec_key(&sp, NULL);

    /* keep_unvalued and all_attrs (export): c in group "", every
     * attribute. */
    sp.keep_unvalued = true;
    sp.all_attrs = true;
    char *k2 = view_spec_key(&sp, NULL);
    ck_assert_str_ne(k1, k2);
    free(k1);
    free(k2);
    view_unref(v);
    ck_assert_msg(view_build(s, &sp, NULL, &v, err, sizeof err) == 0, "%s",
                  err);
    ck_assert_int_eq(igraph_vcount(&v->graph), 3);
    ck_assert_int_eq(v->pub.excluded, 0);
    ck_assert_int_eq(v->pub.ngroups, 3);
    ck_assert_str_eq(v->group_names[0], "");
    ck_assert_int_eq(VECTOR(v->group)[2], 0); /* c */
    ck_assert_uint_eq(v->nattrs, 3);          /* org, role, sector */
    ck_assert_str_eq(v->attr_names[2], "sector");
    ck_assert_ptr_null(attr_of(v, "sector", "c"));
    ck_assert_str_eq(attr_of(v, "sector", "b"), "y");
    ck_assert_str_eq(attr_of(v, "role", "c"), "OT");
    c = round_trip(v);
    ck_assert_str_eq(attr_of(c, "role", "c"), "OT");
    ck_assert_str_eq(c->group_names[0], "");
    view_unref(c);
    view_unref(v);
    view_spec_free(&sp);
    store_close(s);
    uv_run(&loop, UV_RUN_DEFAULT);
}
END_TEST

int main(void)
{
    log_set_level(LOG_ERR);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    char err[256], db[PATH_MAX];
    if (config_load(NULL, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_FAILURE;
    }
    snprintf(db, sizeof db, "%s/store.db", dir);
    free(cfg.database);
    cfg.database = strdup(db);
    cfg.synchronous = 0;
    uv_loop_init(&loop);

    Suite *s = suite_create("view");
    TCase *tc = tcase_create("view");
    tcase_add_test(tc, scripted);
    tcase_add_test(tc, random_inexact);
    tcase_add_test(tc, random_exact);
    tcase_add_test(tc, group_limit);
    tcase_add_test(tc, carried_attrs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    uv_loop_close(&loop);
    config_free(&cfg);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
