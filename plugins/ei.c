/* ei.c - Krackhardt & Stern's (1988) E-I index (METRICS.md, "ei").
 *
 * On the undirected collapse of the view: a pair of people joined by one
 * arc or by two (an undirected tie is two arcs) is ONE edge, of weight 1,
 * or w_ij + w_ji when `weighted`. An edge is external when its ends are in
 * different groups, internal otherwise, and E-I = (E - I) / (E + I):
 *   vertex   E_i, I_i: the edges of i to other groups / to its own group;
 *   group    E_s: edges with exactly one end in s; I_s: both ends in s;
 *   network  E, I over all edges (each once); expected_ei = 1 - 2 P_int
 *            with P_int = sum_s n_s (n_s - 1) / (N (N - 1)), the E-I if
 *            ties fell at random given the group sizes; and a permutation
 *            test of the network E-I (see permutation_test()).
 *   group s  also expected_ei = (2 (N - n_s) - (n_s - 1)) /
 *            (2 (N - n_s) + (n_s - 1)): a tie of a member falls on one of
 *            the N - n_s outsiders or one of the n_s - 1 other members at
 *            random, and each internal edge has two member ends; and
 *            p_greater / p_less from the same permutations as the
 *            network's.
 * `strata` names a people attribute: the permutations then shuffle labels
 * only among people with the same value (people without one form one
 * stratum), so a pooled view of several sites is tested site by site.
 * A ratio over nothing (0/0: an isolate, an empty group, a view without
 * edges, N < 2 for expected_ei) is NaN, which the daemon sends as null.
 */
#include <spand/plugin.h>

#include "rng.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Two E-I values closer than this are equal in the permutation test. The
 * index lies in [-1, 1], so an absolute tolerance is right; it only
 * absorbs rounding of weighted sums (a permuted edge set with the same
 * true internal weight as the observed one may sum in another order),
 * far below any real difference of E-I. */
#define EI_TOLERANCE 1e-12

static const spand_param_t params[] = {
    {"weighted", SPAND_BOOL, "false",
     "sum tie weights (w_ij + w_ji) instead of counting ties"},
    {"permutations", SPAND_INT, "1000",
     "label permutations for p_greater / p_less (0: no test)"},
    {"seed", SPAND_INT, "1", "seed of the permutation test's generator"},
    {"strata", SPAND_ATTRIBUTE, "",
     "people attribute: permute labels only among people with the same "
     "value (\"\": all people together)"},
};

enum { V_EXTERNAL, V_INTERNAL, V_EI };
enum { G_EXTERNAL, G_INTERNAL, G_EI, G_EXPECTED, G_PGREATER, G_PLESS };
enum { N_EXTERNAL, N_INTERNAL, N_EI, N_EXPECTED, N_PGREATER, N_PLESS };

static const spand_column_t columns[] = {
    {SPAND_TABLE_VERTEX, "external", SPAND_REAL,
     "ties (or weight) to people in other groups"},
    {SPAND_TABLE_VERTEX, "internal", SPAND_REAL,
     "ties (or weight) to people in the own group"},
    {SPAND_TABLE_VERTEX, "ei", SPAND_REAL,
     "(external - internal) / (external + internal)"},
    {SPAND_TABLE_GROUP, "external", SPAND_REAL,
     "ties with exactly one end in the group"},
    {SPAND_TABLE_GROUP, "internal", SPAND_REAL,
     "ties with both ends in the group"},
    {SPAND_TABLE_GROUP, "ei", SPAND_REAL,
     "(external - internal) / (external + internal)"},
    {SPAND_TABLE_GROUP, "expected_ei", SPAND_REAL,
     "the group's E-I if its ties fell at random among all people"},
    {SPAND_TABLE_GROUP, "p_greater", SPAND_REAL,
     "share of label permutations with the group's E-I >= the observed"},
    {SPAND_TABLE_GROUP, "p_less", SPAND_REAL,
     "share of label permutations with the group's E-I <= the observed"},
    {SPAND_TABLE_NETWORK, "external", SPAND_REAL, "ties between groups"},
    {SPAND_TABLE_NETWORK, "internal", SPAND_REAL, "ties within groups"},
    {SPAND_TABLE_NETWORK, "ei", SPAND_REAL,
     "(external - internal) / (external + internal)"},
    {SPAND_TABLE_NETWORK, "expected_ei", SPAND_REAL,
     "E-I if ties fell at random given the group sizes: 1 - 2 P_int"},
    {SPAND_TABLE_NETWORK, "p_greater", SPAND_REAL,
     "share of label permutations with E-I >= the observed"},
    {SPAND_TABLE_NETWORK, "p_less", SPAND_REAL,
     "share of label permutations with E-I <= the observed"},
};

/* The undirected collapse: edge k joins u[k] < v[k] with weight w[k], or
 * weight 1 when w is NULL (unweighted). */
typedef struct collapse {
    igraph_integer_t m;
    igraph_integer_t *u, *v;
    double *w;
} collapse_t;

static double edge_weight(const collapse_t *c, igraph_integer_t k)
{
    return c->w ? c->w[k] : 1.0;
}

static void collapse_free(collapse_t *c)
{
    free(c->u);
    free(c->v);
    free(c->w);
}

/* Build the undirected collapse of the view. An arc i->j with i < j makes
 * the edge {i, j} and takes the weight of j->i if that exists; an arc with
 * i > j makes an edge only when j->i does not exist (otherwise the edge was
 * made from j->i). Edges come out in arc order, so sums over them are
 * reproducible. Returns 0, or -1 after logging. */
static int collapse_build(const spand_api_t *api, spand_run_t *r,
                          const spand_view_t *view, int weighted, collapse_t *c)
{
    const igraph_t *g = view->graph;
    const igraph_integer_t arcs = igraph_ecount(g);
    const igraph_vector_t *wv = view->weights;

    c->m = 0;
    c->u = malloc(((size_t)arcs + 1) * sizeof *c->u);
    c->v = malloc(((size_t)arcs + 1) * sizeof *c->v);
    c->w = weighted ? malloc(((size_t)arcs + 1) * sizeof *c->w) : NULL;
    if (!c->u || !c->v || (weighted && !c->w)) {
        api->log(r, SPAND_LOG_ERR, "ei: out of memory (%lld arcs)",
                 (long long)arcs);
        return -1;
    }
    for (igraph_integer_t e = 0; e < arcs; e++) {
        const igraph_integer_t from = IGRAPH_FROM(g, e), to = IGRAPH_TO(g, e);
        igraph_integer_t back;
        if (from == to)
            continue; /* no loops by contract; a loop is no tie anyway */
        if (igraph_get_eid(g, &back, to, from, IGRAPH_DIRECTED, false) !=
            IGRAPH_SUCCESS) {
            api->log(r, SPAND_LOG_ERR, "ei: igraph_get_eid failed");
            return -1;
        }
        if (from > to && back >= 0)
            continue;
        if (c->w) {
            /* No weight vector (not expected) means weight 1 per arc. */
            double w = wv ? VECTOR(*wv)[e] : 1;
            if (back >= 0)
                w += wv ? VECTOR(*wv)[back] : 1;
            c->w[c->m] = w;
        }
        c->u[c->m] = from < to ? from : to;
        c->v[c->m] = from < to ? to : from;
        c->m++;
    }
    return 0;
}

static double ei_ratio(double ext, double in)
{
    return ext + in != 0 ? (ext - in) / (ext + in) : NAN;
}

/* w if keep is 1, +0.0 if keep is 0, without a branch (the outcome is
 * as unpredictable as the labels): clears every bit of w unless keep. */
static double masked(double w, int keep)
{
    uint64_t b;
    memcpy(&b, &w, sizeof b);
    b &= (uint64_t)0 - (uint64_t)keep;
    memcpy(&w, &b, sizeof w);
    return w;
}

/* The network E-I of the collapse under labels lab[], given the total
 * weight `total` of all edges: I is summed and E = total - I, the same way
 * for the observed and every permuted labelling, so equal internal edge
 * sets give bit-identical values. This is the inner loop of the
 * permutation test, so it is branch-free, counts in integers when
 * unweighted (c->w == NULL) and keeps four partial sums when weighted
 * (a fixed order: still reproducible). */
static double network_ei(const collapse_t *c, const igraph_integer_t *lab,
                         double total, double *ext, double *in)
{
    const igraph_integer_t m = c->m;
    const igraph_integer_t *u = c->u, *v = c->v;
    double i;
    if (!c->w) {
        int64_t cnt = 0;
        for (igraph_integer_t k = 0; k < m; k++)
            cnt += lab[u[k]] == lab[v[k]];
        i = (double)cnt;
    } else {
        const double *w = c->w;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        igraph_integer_t k = 0;
        for (; k + 4 <= m; k += 4) {
            s0 += masked(w[k], lab[u[k]] == lab[v[k]]);
            s1 += masked(w[k + 1], lab[u[k + 1]] == lab[v[k + 1]]);
            s2 += masked(w[k + 2], lab[u[k + 2]] == lab[v[k + 2]]);
            s3 += masked(w[k + 3], lab[u[k + 3]] == lab[v[k + 3]]);
        }
        for (; k < m; k++)
            s0 += masked(w[k], lab[u[k]] == lab[v[k]]);
        i = (s0 + s1) + (s2 + s3);
    }
    *ext = total - i;
    *in = i;
    return ei_ratio(total - i, i);
}

/* Group internal weight gi[s] and weight of ties touching s gd[s] (the
 * sum of the members' strengths str[], an internal edge counted from both
 * ends) under labels lab[]: then E_s = gd - 2 gi and I_s = gi. Unweighted,
 * every sum is of small integers and exact in any order; weighted, the
 * order is fixed (vertices, then edges in collapse order). */
static void group_sums(const collapse_t *c, const igraph_integer_t *lab,
                       igraph_integer_t n, igraph_integer_t G,
                       const double *str, double *gi, double *gd)
{
    for (igraph_integer_t g = 0; g < G; g++)
        gi[g] = gd[g] = 0;
    for (igraph_integer_t i = 0; i < n; i++)
        gd[lab[i]] += str[i];
    for (igraph_integer_t k = 0; k < c->m; k++) {
        const igraph_integer_t a = lab[c->u[k]];
        gi[a] += masked(edge_weight(c, k), a == lab[c->v[k]]);
    }
}

/* A group's E-I from its sums (see group_sums()). */
static double group_ei(double gi, double gd)
{
    return ei_ratio(gd - 2 * gi, gi);
}

/* The strata of the permutation test: the vertices of stratum k are
 * idx[off[k] .. off[k+1]), in increasing order; labels are shuffled within
 * each. Without a `strata` attribute there is one stratum of every vertex
 * in order, and the shuffle is exactly the unstratified one. */
typedef struct strata {
    igraph_integer_t count;
    igraph_integer_t *idx, *off;
} strata_t;

static void strata_free(strata_t *st)
{
    free(st->idx);
    free(st->off);
}

/* Sort vertices by their value of the attribute (no value first), ties
 * by vertex number: a stable order independent of qsort's. */
typedef struct keyed {
    const char *value; /* NULL: no value */
    igraph_integer_t v;
} keyed_t;

static int keyed_cmp(const void *pa, const void *pb)
{
    const keyed_t *a = pa, *b = pb;
    if (a->value != b->value) {
        if (!a->value || !b->value)
            return a->value ? 1 : -1;
        const int c = strcmp(a->value, b->value);
        if (c != 0)
            return c;
    }
    return (a->v > b->v) - (a->v < b->v);
}

/* Build the strata from attribute attr ("" or NULL: one stratum).
 * Returns 0, or -1 after logging. */
static int strata_build(const spand_api_t *api, spand_run_t *r,
                        const spand_view_t *view, const char *attr,
                        strata_t *st)
{
    const igraph_integer_t n = igraph_vcount(view->graph);
    keyed_t *kv = NULL;
    st->count = 0;
    st->idx = malloc(((size_t)n + 1) * sizeof *st->idx);
    st->off = malloc(((size_t)n + 2) * sizeof *st->off);
    if (!st->idx || !st->off)
        goto oom;
    st->off[0] = 0;
    if (!attr || !*attr) {
        for (igraph_integer_t i = 0; i < n; i++)
            st->idx[i] = i;
        st->count = 1;
        st->off[1] = n;
        return 0;
    }
    if (api->size <
        offsetof(spand_api_t, vertex_attr) + sizeof api->vertex_attr) {
        api->log(r, SPAND_LOG_ERR,
                 "ei: strata needs a daemon of plugin ABI 1.1 or later");
        return -1;
    }
    kv = malloc(((size_t)n + 1) * sizeof *kv);
    if (!kv)
        goto oom;
    for (igraph_integer_t i = 0; i < n; i++) {
        kv[i].value = api->vertex_attr(r, view, i, attr);
        kv[i].v = i;
    }
    qsort(kv, (size_t)n, sizeof *kv, keyed_cmp);
    for (igraph_integer_t i = 0; i < n; i++) {
        st->idx[i] = kv[i].v;
        const int same = i > 0 && (kv[i].value == kv[i - 1].value ||
                                   (kv[i].value && kv[i - 1].value &&
                                    strcmp(kv[i].value, kv[i - 1].value) == 0));
        if (i > 0 && !same)
            st->off[++st->count] = i;
    }
    if (n > 0)
        st->off[++st->count] = n;
    free(kv);
    return 0;
oom:
    api->log(r, SPAND_LOG_ERR, "ei: out of memory (%lld people, strata)",
             (long long)n);
    free(kv);
    return -1;
}

/* What the permutation test gives: network p-values, and each group's
 * (NaN where the observed E-I is undefined or there was no test). */
typedef struct ptest {
    double p_greater, p_less;
    double *gp_greater, *gp_less; /* [G] */
} ptest_t;

/* Shuffle the group labels `perms` times (Fisher-Yates within each
 * stratum, each shuffle applied to the previous one: each is a uniform
 * random permutation of the labels within the strata, so group sizes, and
 * each stratum's group mix, are kept) and count permutations whose E-I,
 * of the network and of each group, is >= / <= the observed, within
 * EI_TOLERANCE; a permutation that leaves a group without ties (E-I
 * undefined) counts as neither for that group. The sequence depends only
 * on seed, the labels, the strata and the collapse. Returns 0, 1 if
 * cancelled, -1 on failure (logged). */
static int permutation_test(const spand_api_t *api, spand_run_t *r,
                            const spand_view_t *view, const collapse_t *c,
                            const strata_t *strata, int64_t perms,
                            uint64_t seed, ptest_t *out)
{
    const igraph_integer_t n = igraph_vcount(view->graph);
    const igraph_integer_t G = view->ngroups;
    const igraph_integer_t *group = VECTOR(*view->group);
    double total = 0, e, in;
    for (igraph_integer_t k = 0; k < c->m; k++)
        total += edge_weight(c, k);
    const double observed = network_ei(c, group, total, &e, &in);
    out->p_greater = out->p_less = NAN;
    for (igraph_integer_t g = 0; g < G; g++)
        out->gp_greater[g] = out->gp_less[g] = NAN;
    if (perms == 0 || isnan(observed))
        return 0; /* no test asked, or no E-I to test (no edges) */

    igraph_integer_t *lab = malloc(((size_t)n + 1) * sizeof *lab);
    double *str = calloc((size_t)n + 1, sizeof *str);
    /* gi, gd, observed group E-I, and the >= / <= counts per group */
    double *gw = malloc(((size_t)G * 3 + 1) * sizeof *gw);
    int64_t *gc = calloc((size_t)G * 2 + 1, sizeof *gc);
    int rc = -1;
    if (!lab || !str || !gw || !gc) {
        api->log(r, SPAND_LOG_ERR, "ei: out of memory (%lld labels)",
                 (long long)n);
        goto out;
    }
    double *gi = gw, *gd = gw + G, *gobs = gw + 2 * G;
    for (igraph_integer_t i = 0; i < n; i++)
        lab[i] = group[i];
    for (igraph_integer_t k = 0; k < c->m; k++) {
        str[c->u[k]] += edge_weight(c, k);
        str[c->v[k]] += edge_weight(c, k);
    }
    group_sums(c, lab, n, G, str, gi, gd);
    for (igraph_integer_t g = 0; g < G; g++)
        gobs[g] = group_ei(gi[g], gd[g]);

    uint64_t s = seed;
    int64_t ge = 0, le = 0;
    for (int64_t p = 0; p < perms; p++) {
        if ((p & 15) == 0) {
            if (api->cancelled(r)) {
                rc = 1;
                goto out;
            }
            api->progress(r, (double)p / (double)perms);
        }
        for (igraph_integer_t k = 0; k < strata->count; k++) {
            const igraph_integer_t *idx = strata->idx + strata->off[k];
            const igraph_integer_t len = strata->off[k + 1] - strata->off[k];
            for (igraph_integer_t i = len - 1; i > 0; i--) {
                const igraph_integer_t j =
                    (igraph_integer_t)uniform_below(&s, (uint64_t)i + 1);
                const igraph_integer_t t = lab[idx[i]];
                lab[idx[i]] = lab[idx[j]];
                lab[idx[j]] = t;
            }
        }
        const double x = network_ei(c, lab, total, &e, &in);
        if (x >= observed - EI_TOLERANCE)
            ge++;
        if (x <= observed + EI_TOLERANCE)
            le++;
        group_sums(c, lab, n, G, str, gi, gd);
        for (igraph_integer_t g = 0; g < G; g++) {
            const double y = group_ei(gi[g], gd[g]);
            gc[2 * g] += y >= gobs[g] - EI_TOLERANCE;
            gc[2 * g + 1] += y <= gobs[g] + EI_TOLERANCE;
        }
    }
    out->p_greater = (double)ge / (double)perms;
    out->p_less = (double)le / (double)perms;
    for (igraph_integer_t g = 0; g < G; g++) {
        if (isnan(gobs[g]))
            continue;
        out->gp_greater[g] = (double)gc[2 * g] / (double)perms;
        out->gp_less[g] = (double)gc[2 * g + 1] / (double)perms;
    }
    rc = 0;
out:
    free(lab);
    free(str);
    free(gw);
    free(gc);
    return rc;
}

/* A group's expected E-I (METRICS.md): its ties falling at random among
 * the N people, a member's tie reaches one of N - n_s outsiders or one of
 * n_s - 1 other members, and an internal edge has two member ends. NaN
 * for a group without members here, or without anybody to tie to. */
static double group_expected(double N, double ns)
{
    const double ext = 2 * (N - ns), in = ns - 1;
    return ns >= 1 && ext + in > 0 ? (ext - in) / (ext + in) : NAN;
}

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *view)
{
    (void)state;
    const igraph_integer_t n = igraph_vcount(view->graph);
    const igraph_integer_t G = view->ngroups;
    const igraph_vector_int_t *grp = view->group;
    const int weighted = api->param_bool(r, "weighted");
    const int64_t perms = api->param_int(r, "permutations");
    const uint64_t seed = (uint64_t)api->param_int(r, "seed");
    const char *strata_attr = api->param_string(r, "strata");
    collapse_t c = {0, NULL, NULL, NULL};
    strata_t strata = {0, NULL, NULL};
    ptest_t pt = {NAN, NAN, NULL, NULL};
    double *vx = NULL, *gx = NULL, *gsize = NULL;
    int rc = -1, bad = 0;

    if (perms < 0) {
        api->log(r, SPAND_LOG_ERR, "ei: permutations must be >= 0, not %lld",
                 (long long)perms);
        return -1;
    }
    vx = calloc((size_t)n * 2 + 1, sizeof *vx); /* E_i, I_i */
    gx = calloc((size_t)G * 2 + 1, sizeof *gx); /* E_s, I_s */
    gsize = calloc((size_t)G + 1, sizeof *gsize);
    pt.gp_greater = calloc((size_t)G * 2 + 1, sizeof *pt.gp_greater);
    pt.gp_less = pt.gp_greater ? pt.gp_greater + G : NULL;
    if (!vx || !gx || !gsize || !pt.gp_greater) {
        api->log(r, SPAND_LOG_ERR, "ei: out of memory (%lld vertices)",
                 (long long)n);
        goto out;
    }
    if (collapse_build(api, r, view, weighted, &c) != 0 ||
        strata_build(api, r, view, strata_attr, &strata) != 0)
        goto out;

    for (igraph_integer_t k = 0; k < c.m; k++) {
        const igraph_integer_t a = c.u[k], b = c.v[k];
        const igraph_integer_t ga = VECTOR(*grp)[a], gb = VECTOR(*grp)[b];
        const double w = edge_weight(&c, k);
        if (ga == gb) {
            vx[2 * a + 1] += w;
            vx[2 * b + 1] += w;
            gx[2 * ga + 1] += w;
        } else {
            vx[2 * a] += w;
            vx[2 * b] += w;
            gx[2 * ga] += w;
            gx[2 * gb] += w;
        }
    }
    for (igraph_integer_t i = 0; i < n; i++) {
        const double e = vx[2 * i], in = vx[2 * i + 1];
        gsize[VECTOR(*grp)[i]] += 1;
        bad |= api->set(r, SPAND_TABLE_VERTEX, i, V_EXTERNAL, e);
        bad |= api->set(r, SPAND_TABLE_VERTEX, i, V_INTERNAL, in);
        bad |= api->set(r, SPAND_TABLE_VERTEX, i, V_EI, ei_ratio(e, in));
    }

    /* Network counts summed directly, edge by edge (each once). */
    double e = 0, in = 0;
    for (igraph_integer_t k = 0; k < c.m; k++) {
        if (VECTOR(*grp)[c.u[k]] == VECTOR(*grp)[c.v[k]])
            in += edge_weight(&c, k);
        else
            e += edge_weight(&c, k);
    }

    const double N = (double)n;
    double pint = 0;
    for (igraph_integer_t g = 0; g < G; g++)
        pint += gsize[g] * (gsize[g] - 1);
    const double expected = n >= 2 ? 1 - 2 * (pint / (N * (N - 1))) : NAN;

    const int t = permutation_test(api, r, view, &c, &strata, perms, seed, &pt);
    if (t != 0) {
        if (t > 0)
            api->log(r, SPAND_LOG_INFO, "ei: cancelled");
        goto out;
    }
    for (igraph_integer_t g = 0; g < G; g++) {
        const double ge = gx[2 * g], gi = gx[2 * g + 1];
        bad |= api->set(r, SPAND_TABLE_GROUP, g, G_EXTERNAL, ge);
        bad |= api->set(r, SPAND_TABLE_GROUP, g, G_INTERNAL, gi);
        bad |= api->set(r, SPAND_TABLE_GROUP, g, G_EI, ei_ratio(ge, gi));
        bad |= api->set(r, SPAND_TABLE_GROUP, g, G_EXPECTED,
                        group_expected(N, gsize[g]));
        bad |= api->set(r, SPAND_TABLE_GROUP, g, G_PGREATER, pt.gp_greater[g]);
        bad |= api->set(r, SPAND_TABLE_GROUP, g, G_PLESS, pt.gp_less[g]);
    }
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_EXTERNAL, e);
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_INTERNAL, in);
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_EI, ei_ratio(e, in));
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_EXPECTED, expected);
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_PGREATER, pt.p_greater);
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_PLESS, pt.p_less);
    if (bad) {
        api->log(r, SPAND_LOG_ERR, "ei: a result cell was refused");
        goto out;
    }
    api->progress(r, 1.0);
    rc = 0;
out:
    collapse_free(&c);
    strata_free(&strata);
    free(pt.gp_greater);
    free(vx);
    free(gx);
    free(gsize);
    return rc;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "ei",
    .version = "1.0",
    .summary = "Krackhardt-Stern E-I index per person, group and network",
    .licence = "MIT",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
