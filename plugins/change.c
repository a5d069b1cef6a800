/* change.c - what changed between the baseline and the main window
 * (METRICS.md, "change").
 *
 * On the undirected collapses of both windows, unweighted (a pair is tied
 * or not), over U = the people with a tie in either window, matched by
 * key; a person absent from a window has no ties in it. Pairs are
 * unordered.
 *   vertex   ties_before, ties_after, kept, lost, new; external_before,
 *            external_after (ties to other groups) and external_change
 *            (after - before); ei_before, ei_after (the vertex E-I,
 *            (E - I) / (E + I), null without ties). Rows are the main
 *            view's people: a person with ties only in the baseline has
 *            a row only with `isolates` (their ties still count in the
 *            pair and network rows).
 *   pair     groups s <= t: ties_before, ties_after, kept, lost, new.
 *   network  kept, lost, new; jaccard = kept / (kept + lost + new);
 *            hamming = lost + new (sna::hdist); gcor, the correlation of
 *            the two adjacency matrices over the ordered pairs i != j of
 *            U (sna::gcor; the matrices are symmetric, so this is the
 *            correlation over unordered pairs too); gcor_p, the QAP test:
 *            the share of `permutations` random relabellings of the main
 *            window's matrix whose gcor is >= the observed
 *            (sna::qaptest(..., gcor), its pgreq).
 *   cohort   with `cohort` = ATTR=VALUE, over P = the people with ties in
 *            both windows: the mean external_change of the cohort (ATTR
 *            is VALUE) and of the others, their difference, and the two-
 *            sided permutation p: the share of reassignments of the
 *            cohort label within P whose |difference| >= the observed.
 *            When the reassignments number at most `permutations`, all
 *            are enumerated and p is exact (said in a note).
 *
 * QAP cheaply: under a relabelling pi of U, the counts of ties in each
 * window stay the same and only kept changes, to K(pi) = the baseline
 * ties {u, v} with {pi(u), pi(v)} tied in the main window; gcor is
 * increasing in K (its denominator does not change), so gcor(pi) >=
 * gcor exactly when K(pi) >= K: integers, no rounding. Each permutation
 * costs the baseline ties times a binary search in a neighbour list:
 * O(permutations * M_before * log d), memory O(N + M).
 */
#include <spand/plugin.h>

#include "collapse.h"
#include "rng.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const spand_param_t params[] = {
    {"permutations", SPAND_INT, "1000",
     "random relabellings for the QAP test and the cohort test (0: none)"},
    {"seed", SPAND_INT, "1", "seed of the permutations"},
    {"cohort", SPAND_ATTRIBUTE, "",
     "ATTR=VALUE: compare the change in external ties of these people "
     "with everyone else present in both windows"},
    {"respondents_before", SPAND_ATTRIBUTE, "",
     "the attribute marking who answered the baseline's survey wave "
     "(spanctl load --survey sets responded_DATE): non-respondents are "
     "counted, and left out with respondents_only"},
    {"respondents_after", SPAND_ATTRIBUTE, "",
     "the same for the main window's wave"},
    {"respondents_only", SPAND_BOOL, "true",
     "with respondents_before and respondents_after: only the people who "
     "answered both waves, and the ties among them"},
};

enum { V_TB, V_TA, V_KEPT, V_LOST, V_NEW, V_EB, V_EA, V_EC, V_EIB, V_EIA };
enum { P_TB, P_TA, P_KEPT, P_LOST, P_NEW };
enum {
    N_KEPT,
    N_LOST,
    N_NEW,
    N_JACCARD,
    N_HAMMING,
    N_GCOR,
    N_GCOR_P,
    N_COHORT_N,
    N_OTHERS_N,
    N_COHORT_EC,
    N_OTHERS_EC,
    N_COHORT_DIFF,
    N_COHORT_P,
    N_NONRESP_B,
    N_NONRESP_A
};

static const spand_column_t columns[] = {
    {SPAND_TABLE_VERTEX, "ties_before", SPAND_INT, "ties in the baseline"},
    {SPAND_TABLE_VERTEX, "ties_after", SPAND_INT, "ties in the main window"},
    {SPAND_TABLE_VERTEX, "kept", SPAND_INT, "ties in both windows"},
    {SPAND_TABLE_VERTEX, "lost", SPAND_INT, "baseline ties gone after"},
    {SPAND_TABLE_VERTEX, "new", SPAND_INT, "ties after that were not before"},
    {SPAND_TABLE_VERTEX, "external_before", SPAND_INT,
     "ties to other groups in the baseline"},
    {SPAND_TABLE_VERTEX, "external_after", SPAND_INT,
     "ties to other groups in the main window"},
    {SPAND_TABLE_VERTEX, "external_change", SPAND_INT,
     "external_after - external_before"},
    {SPAND_TABLE_VERTEX, "ei_before", SPAND_REAL,
     "E-I index of the person in the baseline (null without ties)"},
    {SPAND_TABLE_VERTEX, "ei_after", SPAND_REAL,
     "E-I index of the person in the main window (null without ties)"},
    {SPAND_TABLE_PAIR, "ties_before", SPAND_INT,
     "ties between the groups (within, if the same) in the baseline"},
    {SPAND_TABLE_PAIR, "ties_after", SPAND_INT, "the same in the main window"},
    {SPAND_TABLE_PAIR, "kept", SPAND_INT, "of them, in both windows"},
    {SPAND_TABLE_PAIR, "lost", SPAND_INT, "in the baseline only"},
    {SPAND_TABLE_PAIR, "new", SPAND_INT, "in the main window only"},
    {SPAND_TABLE_NETWORK, "kept", SPAND_INT, "ties in both windows"},
    {SPAND_TABLE_NETWORK, "lost", SPAND_INT, "ties in the baseline only"},
    {SPAND_TABLE_NETWORK, "new", SPAND_INT, "ties in the main window only"},
    {SPAND_TABLE_NETWORK, "jaccard", SPAND_REAL,
     "kept / (kept + lost + new): tie stability"},
    {SPAND_TABLE_NETWORK, "hamming", SPAND_INT,
     "lost + new: pairs whose tie changed (sna::hdist)"},
    {SPAND_TABLE_NETWORK, "gcor", SPAND_REAL,
     "correlation of the two windows' adjacency matrices (sna::gcor)"},
    {SPAND_TABLE_NETWORK, "gcor_p", SPAND_REAL,
     "QAP: share of relabellings with gcor >= observed (sna::qaptest)"},
    {SPAND_TABLE_NETWORK, "cohort_n", SPAND_INT,
     "cohort members with ties in both windows"},
    {SPAND_TABLE_NETWORK, "others_n", SPAND_INT,
     "others with ties in both windows"},
    {SPAND_TABLE_NETWORK, "cohort_external_change", SPAND_REAL,
     "mean change in ties to other groups, cohort"},
    {SPAND_TABLE_NETWORK, "others_external_change", SPAND_REAL,
     "mean change in ties to other groups, others"},
    {SPAND_TABLE_NETWORK, "cohort_difference", SPAND_REAL,
     "cohort mean - others' mean"},
    {SPAND_TABLE_NETWORK, "cohort_p", SPAND_REAL,
     "two-sided permutation p of the difference"},
    {SPAND_TABLE_NETWORK, "nonrespondents_before", SPAND_INT,
     "people with ties in the baseline who did not answer its wave"},
    {SPAND_TABLE_NETWORK, "nonrespondents_after", SPAND_INT,
     "people with ties in the main window who did not answer its wave"},
};

/* ---- random numbers -------------------------------------------------- */

/* Uniform in [0, n), n >= 1 (Lemire's multiply-shift with rejection). */
static uint64_t below(uint64_t *s, uint64_t n)
{
    uint64_t x = splitmix64(s);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t t = -n % n;
        while (lo < t) {
            x = splitmix64(s);
            m = (__uint128_t)x * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

static void shuffle(int32_t *a, int32_t n, uint64_t *s)
{
    for (int32_t i = n - 1; i > 0; i--) {
        int32_t j = (int32_t)below(s, (uint64_t)i + 1);
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* ---- the two windows over U ------------------------------------------ */

/* U: the people of either view, by key. For each: the vertex in the main
 * view and in the baseline (-1 when absent), the group, and the sorted
 * neighbour lists of each window as U indexes. */
struct both {
    int32_t n;
    int32_t *main_of, *base_of, *group;
    int64_t *aoff, *boff; /* after / before: neighbours off[u]..off[u+1] */
    int32_t *aadj, *badj;
};

static const char *const *sort_keys;
static int cmp_key(const void *a, const void *b)
{
    return strcmp(sort_keys[*(const int32_t *)a],
                  sort_keys[*(const int32_t *)b]);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Vertex order of a view by key. Uses a file-level pointer for qsort:
 * a run is one thread. */
static int32_t *by_key(const spand_view_t *v, int32_t n)
{
    int32_t *idx = malloc(((size_t)n + 1) * sizeof *idx);
    if (!idx)
        return NULL;
    for (int32_t i = 0; i < n; i++)
        idx[i] = i;
    sort_keys = v->keys;
    qsort(idx, (size_t)n, sizeof *idx, cmp_key);
    return idx;
}

/* The neighbours of a collapse as U indexes, sorted. */
static int relabel(const nbrs_t *c, const int32_t *to_u, int32_t nu,
                   const int32_t *of, int64_t **off, int32_t **adj)
{
    *off = calloc((size_t)nu + 1, sizeof **off);
    *adj = malloc(((size_t)(c->n ? c->off[c->n] : 0) + 1) * sizeof **adj);
    if (!*off || !*adj)
        return -1;
    for (int32_t u = 0; u < nu; u++) {
        int32_t i = of[u];
        int64_t d = 0;
        for (igraph_integer_t k = i >= 0 ? c->off[i] : 0;
             i >= 0 && k < c->off[i + 1]; k++)
            d += to_u[c->adj[k]] >= 0; /* -1: a left-out non-respondent */
        (*off)[u + 1] = (*off)[u] + d;
    }
    for (int32_t u = 0; u < nu; u++) {
        int32_t i = of[u];
        if (i < 0)
            continue;
        int32_t *out = *adj + (*off)[u];
        for (igraph_integer_t k = c->off[i]; k < c->off[i + 1]; k++)
            if (to_u[c->adj[k]] >= 0)
                *out++ = to_u[c->adj[k]];
        qsort(*adj + (*off)[u], (size_t)((*off)[u + 1] - (*off)[u]),
              sizeof **adj, cmp_i32);
    }
    return 0;
}

static void both_free(struct both *b)
{
    free(b->main_of);
    free(b->base_of);
    free(b->group);
    free(b->aoff);
    free(b->boff);
    free(b->aadj);
    free(b->badj);
}

/* Survey waves: who answered each (respondents_before/_after), counted
 * among each window's people, and left out of U with respondents_only. */
struct resp {
    const spand_api_t *api;
    spand_run_t *r;
    const char *before, *after; /* attribute names, NULL when not given */
    int only;
    int64_t missing_before, missing_after;
};

static int answered(struct resp *w, const spand_view_t *v, int32_t i,
                    const char *attr)
{
    const char *val = w->api->vertex_attr(w->r, v, i, attr);
    return val && *val;
}

/* Whether merged person (i in the main view, j in the baseline, -1 when
 * absent) stays in U; counts the non-respondents. */
static int keep(struct resp *w, const spand_view_t *view, int32_t i, int32_t j)
{
    if (!w->before)
        return 1;
    const spand_view_t *v = i >= 0 ? view : view->baseline;
    int32_t k = i >= 0 ? i : j;
    int b = answered(w, v, k, w->before), a = answered(w, v, k, w->after);
    w->missing_before += j >= 0 && !b;
    w->missing_after += i >= 0 && !a;
    return !w->only || (a && b);
}

/* Merge both views' people by key into U and build the neighbour lists. */
static int both_build(const spand_view_t *view, const nbrs_t *ca,
                      const nbrs_t *cb, struct resp *w, struct both *b)
{
    const spand_view_t *base = view->baseline;
    int32_t na = (int32_t)ca->n, nb = (int32_t)cb->n;
    int32_t *ia = by_key(view, na), *ib = by_key(base, nb);
    int32_t *a2u = malloc(((size_t)na + 1) * sizeof *a2u);
    int32_t *b2u = malloc(((size_t)nb + 1) * sizeof *b2u);
    size_t cap = (size_t)na + (size_t)nb + 1;
    b->main_of = malloc(cap * sizeof *b->main_of);
    b->base_of = malloc(cap * sizeof *b->base_of);
    b->group = malloc(cap * sizeof *b->group);
    int rc = -1;
    if (!ia || !ib || !a2u || !b2u || !b->main_of || !b->base_of || !b->group)
        goto out;
    int32_t i = 0, j = 0, u = 0;
    while (i < na || j < nb) {
        int c = i >= na   ? 1
                : j >= nb ? -1
                          : strcmp(view->keys[ia[i]], base->keys[ib[j]]);
        int in = keep(w, view, c <= 0 ? ia[i] : -1, c >= 0 ? ib[j] : -1);
        b->main_of[u] = c <= 0 ? ia[i] : -1;
        b->base_of[u] = c >= 0 ? ib[j] : -1;
        b->group[u] = c <= 0 ? (int32_t)VECTOR(*view->group)[ia[i]]
                             : (int32_t)VECTOR(*base->group)[ib[j]];
        if (c <= 0)
            a2u[ia[i++]] = in ? u : -1;
        if (c >= 0)
            b2u[ib[j++]] = in ? u : -1;
        u += in;
    }
    b->n = u;
    if (relabel(ca, a2u, u, b->main_of, &b->aoff, &b->aadj) == 0 &&
        relabel(cb, b2u, u, b->base_of, &b->boff, &b->badj) == 0)
        rc = 0;
out:
    free(ia);
    free(ib);
    free(a2u);
    free(b2u);
    return rc;
}

/* Whether v is in the sorted list adj[lo..hi). */
static int has(const int32_t *adj, int64_t lo, int64_t hi, int32_t v)
{
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (adj[mid] < v)
            lo = mid + 1;
        else if (adj[mid] > v)
            hi = mid;
        else
            return 1;
    }
    return 0;
}

static int tied_after(const struct both *b, int32_t u, int32_t v)
{
    return has(b->aadj, b->aoff[u], b->aoff[u + 1], v);
}

/* ---- vertex, pair and network counts ----------------------------------- */

struct counts {
    int64_t before, after, kept; /* ties, each once */
};

static double ei_of(int64_t ext, int64_t all)
{
    return all > 0 ? (double)(ext - (all - ext)) / (double)all : NAN;
}

/* Ties of u in the sorted lists: total, to other groups, and kept. */
static void person(const struct both *b, int32_t u, int64_t *tb, int64_t *ta,
                   int64_t *kept, int64_t *eb, int64_t *ea)
{
    int64_t i = b->boff[u], j = b->aoff[u];
    const int64_t ie = b->boff[u + 1], je = b->aoff[u + 1];
    *tb = ie - i;
    *ta = je - j;
    *kept = *eb = *ea = 0;
    for (int64_t k = i; k < ie; k++)
        *eb += b->group[b->badj[k]] != b->group[u];
    for (int64_t k = j; k < je; k++)
        *ea += b->group[b->aadj[k]] != b->group[u];
    while (i < ie && j < je) { /* merge: common neighbours */
        if (b->badj[i] < b->aadj[j])
            i++;
        else if (b->badj[i] > b->aadj[j])
            j++;
        else {
            (*kept)++;
            i++;
            j++;
        }
    }
}

static int vertex_rows(const spand_api_t *api, spand_run_t *r,
                       const struct both *b, int64_t *external_change)
{
    int bad = 0;
    for (int32_t u = 0; u < b->n; u++) {
        int64_t tb, ta, kept, eb, ea;
        person(b, u, &tb, &ta, &kept, &eb, &ea);
        external_change[u] = ea - eb;
        const igraph_integer_t row = b->main_of[u];
        if (row < 0)
            continue;
        const double v[] = {(double)tb,          (double)ta,
                            (double)kept,        (double)(tb - kept),
                            (double)(ta - kept), (double)eb,
                            (double)ea,          (double)(ea - eb),
                            ei_of(eb, tb),       ei_of(ea, ta)};
        for (int c = 0; c < (int)(sizeof v / sizeof v[0]); c++)
            bad |= api->set(r, SPAND_TABLE_VERTEX, row, c, v[c]);
    }
    return bad ? -1 : 0;
}

/* Pair rows for every pair of groups s <= t with a tie in either window,
 * and the network's totals. */
static int pair_rows(const spand_api_t *api, spand_run_t *r,
                     const struct both *b, igraph_integer_t G,
                     struct counts *net)
{
    struct counts *pc = calloc((size_t)G * (size_t)G + 1, sizeof *pc);
    if (!pc)
        return -1;
    for (int32_t u = 0; u < b->n; u++) {
        for (int64_t k = b->boff[u]; k < b->boff[u + 1]; k++) {
            int32_t v = b->badj[k];
            if (v < u)
                continue;
            int32_t s = b->group[u], t = b->group[v];
            struct counts *c = &pc[(s < t ? s : t) * G + (s < t ? t : s)];
            c->before++;
            c->kept += tied_after(b, u, v);
        }
        for (int64_t k = b->aoff[u]; k < b->aoff[u + 1]; k++) {
            int32_t v = b->aadj[k];
            if (v < u)
                continue;
            int32_t s = b->group[u], t = b->group[v];
            pc[(s < t ? s : t) * G + (s < t ? t : s)].after++;
        }
    }
    int bad = 0;
    *net = (struct counts){0, 0, 0};
    for (igraph_integer_t s = 0; s < G; s++)
        for (igraph_integer_t t = s; t < G; t++) {
            const struct counts *c = &pc[s * G + t];
            net->before += c->before;
            net->after += c->after;
            net->kept += c->kept;
            if (!c->before && !c->after)
                continue;
            bad |= api->set_pair(r, s, t, P_TB, (double)c->before);
            bad |= api->set_pair(r, s, t, P_TA, (double)c->after);
            bad |= api->set_pair(r, s, t, P_KEPT, (double)c->kept);
            bad |=
                api->set_pair(r, s, t, P_LOST, (double)(c->before - c->kept));
            bad |= api->set_pair(r, s, t, P_NEW, (double)(c->after - c->kept));
        }
    free(pc);
    return bad ? -1 : 0;
}

/* Pearson's correlation of two 0/1 vectors of m entries with sums x, y
 * and x.y = k; NaN when either is constant. */
static double gcor_of(double m, double x, double y, double k)
{
    double den = (m * x - x * x) * (m * y - y * y);
    return den > 0 ? (m * k - x * y) / sqrt(den) : NAN;
}

/* QAP: the share of relabellings pi of U with K(pi) >= kept. NaN when the
 * correlation is undefined or there are no permutations. */
static double qap_p(const spand_api_t *api, spand_run_t *r,
                    const struct both *b, int64_t kept, int64_t perms,
                    uint64_t seed, int *cancelled)
{
    int32_t *pi = malloc(((size_t)b->n + 1) * sizeof *pi);
    if (!pi)
        return NAN;
    for (int32_t u = 0; u < b->n; u++)
        pi[u] = u;
    int64_t hits = 0, done = 0;
    for (; done < perms; done++) {
        if ((done & 15) == 0 && api->cancelled(r)) {
            *cancelled = 1;
            break;
        }
        shuffle(pi, b->n, &seed);
        int64_t k = 0;
        for (int32_t u = 0; u < b->n; u++)
            for (int64_t e = b->boff[u]; e < b->boff[u + 1]; e++)
                if (b->badj[e] > u)
                    k += tied_after(b, pi[u], pi[b->badj[e]]);
        hits += k >= kept;
        if ((done & 63) == 0)
            api->progress(r, 0.2 + 0.6 * (double)done / (double)perms);
    }
    free(pi);
    return done > 0 ? (double)hits / (double)done : NAN;
}

/* ---- the cohort ------------------------------------------------------- */

struct cohort {
    int32_t *ec;     /* external_change of each member of P */
    uint8_t *in;     /* 1: in the cohort */
    int32_t n, k;    /* |P|, cohort members in P */
    int64_t sum_all; /* sum of ec over P */
};

/* |mean(cohort) - mean(others)| for a cohort whose ec sum to s. */
static double gap(const struct cohort *c, int64_t s)
{
    double mc = (double)s / c->k;
    double mo = (double)(c->sum_all - s) / (c->n - c->k);
    return mc - mo;
}

/* C(n, k) when it is at most cap, else cap + 1. */
static uint64_t binom_capped(int32_t n, int32_t k, uint64_t cap)
{
    if (k > n - k)
        k = n - k;
    double x = 1;
    for (int32_t i = 1; i <= k; i++) {
        x = x * (double)(n - k + i) / (double)i;
        if (x > (double)cap)
            return cap + 1;
    }
    return (uint64_t)llround(x);
}

/* Every k-subset of P: the exact share with |gap| >= observed (within a
 * relative 1e-12, so that equal differences computed in another order
 * count as equal). */
static double cohort_exact(const struct cohort *c, double observed)
{
    int32_t *pick = malloc(((size_t)c->k + 1) * sizeof *pick);
    if (!pick)
        return NAN;
    for (int32_t i = 0; i < c->k; i++)
        pick[i] = i;
    uint64_t hits = 0, total = 0;
    const double eps = 1e-12 * fmax(1, fabs(observed));
    for (;;) {
        int64_t s = 0;
        for (int32_t i = 0; i < c->k; i++)
            s += c->ec[pick[i]];
        hits += fabs(gap(c, s)) >= fabs(observed) - eps;
        total++;
        int32_t i = c->k - 1;
        while (i >= 0 && pick[i] == c->n - c->k + i)
            i--;
        if (i < 0)
            break;
        pick[i]++;
        for (int32_t j = i + 1; j < c->k; j++)
            pick[j] = pick[j - 1] + 1;
    }
    free(pick);
    return (double)hits / (double)total;
}

static double cohort_random(const struct cohort *c, double observed,
                            int64_t perms, uint64_t seed)
{
    int32_t *idx = malloc(((size_t)c->n + 1) * sizeof *idx);
    if (!idx)
        return NAN;
    for (int32_t i = 0; i < c->n; i++)
        idx[i] = i;
    int64_t hits = 0;
    const double eps = 1e-12 * fmax(1, fabs(observed));
    for (int64_t p = 0; p < perms; p++) {
        /* A random k-subset: the first k of a partial shuffle. */
        int64_t s = 0;
        for (int32_t i = 0; i < c->k; i++) {
            int32_t j = i + (int32_t)below(&seed, (uint64_t)(c->n - i));
            int32_t t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
            s += c->ec[idx[i]];
        }
        hits += fabs(gap(c, s)) >= fabs(observed) - eps;
    }
    free(idx);
    return perms > 0 ? (double)hits / (double)perms : NAN;
}

/* Network cells of the cohort comparison; nulls without a cohort. */
static int cohort_cells(const spand_api_t *api, spand_run_t *r,
                        const spand_view_t *view, const struct both *b,
                        const int64_t *external_change, int64_t perms,
                        uint64_t seed)
{
    const char *spec = api->param_string(r, "cohort");
    double cells[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
    if (spec && *spec) {
        const char *eq = strchr(spec, '=');
        if (!eq || api->size < offsetof(spand_api_t, vertex_attr) +
                                   sizeof api->vertex_attr) {
            api->log(r, SPAND_LOG_ERR, "change: cohort must be ATTR=VALUE%s",
                     eq ? " (and needs a daemon of ABI 1.1)" : "");
            return -1;
        }
        char attr[256];
        snprintf(attr, sizeof attr, "%.*s", (int)(eq - spec), spec);
        struct cohort c = {0};
        c.ec = malloc(((size_t)b->n + 1) * sizeof *c.ec);
        c.in = calloc((size_t)b->n + 1, 1);
        if (!c.ec || !c.in) {
            free(c.ec);
            free(c.in);
            api->log(r, SPAND_LOG_ERR, "change: out of memory");
            return -1;
        }
        for (int32_t u = 0; u < b->n; u++) {
            if (b->boff[u + 1] == b->boff[u] || b->aoff[u + 1] == b->aoff[u])
                continue; /* not in P */
            const char *v = api->vertex_attr(r, view, b->main_of[u], attr);
            c.ec[c.n] = (int32_t)external_change[u];
            c.sum_all += external_change[u];
            c.in[c.n] = v && !strcmp(v, eq + 1);
            c.k += c.in[c.n];
            c.n++;
        }
        /* Cohort first, so that an exact enumeration can pick from 0. */
        int64_t s = 0;
        for (int32_t i = 0; i < c.n; i++)
            s += c.in[i] ? c.ec[i] : 0;
        cells[0] = c.k;
        cells[1] = c.n - c.k;
        if (c.k > 0 && c.k < c.n) {
            double observed = gap(&c, s);
            cells[2] = (double)s / c.k;
            cells[3] = (double)(c.sum_all - s) / (c.n - c.k);
            cells[4] = observed;
            if (binom_capped(c.n, c.k, (uint64_t)perms) <= (uint64_t)perms) {
                cells[5] = cohort_exact(&c, observed);
                api->note(r, "cohort_p is exact: every reassignment of the "
                             "cohort label was counted");
            } else {
                cells[5] = cohort_random(&c, observed, perms, seed ^ 0xc0);
            }
        } else if (c.k > 0) {
            cells[2] = (double)s / c.k;
        } else if (c.n > 0) {
            cells[3] = (double)c.sum_all / c.n;
        }
        free(c.ec);
        free(c.in);
    }
    int bad = 0;
    for (int i = 0; i < 6; i++)
        bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_COHORT_N + i, cells[i]);
    return bad ? -1 : 0;
}

/* ---- run --------------------------------------------------------------- */

static int network_cells(const spand_api_t *api, spand_run_t *r,
                         const struct both *b, const struct counts *net,
                         int64_t perms, uint64_t seed)
{
    const int64_t lost = net->before - net->kept,
                  added = net->after - net->kept;
    const double m = (double)b->n * (double)(b->n - 1) / 2;
    const double g =
        gcor_of(m, (double)net->before, (double)net->after, (double)net->kept);
    int cancelled = 0;
    const double p = isnan(g) || perms <= 0
                         ? NAN
                         : qap_p(api, r, b, net->kept, perms, seed, &cancelled);
    if (cancelled)
        return -1;
    const double v[] = {(double)net->kept,
                        (double)lost,
                        (double)added,
                        net->kept + lost + added > 0
                            ? (double)net->kept /
                                  (double)(net->kept + lost + added)
                            : NAN,
                        (double)(lost + added),
                        g,
                        p};
    int bad = 0;
    for (int c = 0; c < (int)(sizeof v / sizeof v[0]); c++)
        bad |= api->set(r, SPAND_TABLE_NETWORK, 0, c, v[c]);
    return bad ? -1 : 0;
}

/* Both wave attributes or neither. */
static int respondents(const spand_api_t *api, spand_run_t *r, struct resp *w)
{
    const char *b = api->param_string(r, "respondents_before");
    const char *a = api->param_string(r, "respondents_after");
    int nb = b && *b, na = a && *a;
    if (nb != na) {
        api->log(r, SPAND_LOG_ERR,
                 "change: respondents_before and respondents_after go "
                 "together");
        return -1;
    }
    if (nb && api->size < offsetof(spand_api_t, vertex_attr) +
                              sizeof api->vertex_attr) {
        api->log(r, SPAND_LOG_ERR,
                 "change: respondents_* need a daemon of ABI 1.1");
        return -1;
    }
    w->before = nb ? b : NULL;
    w->after = na ? a : NULL;
    w->only = api->param_bool(r, "respondents_only");
    return 0;
}

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *view)
{
    (void)state;
    const int64_t perms = api->param_int(r, "permutations");
    const uint64_t seed = (uint64_t)api->param_int(r, "seed");
    if (perms < 0 || perms > 1000000) {
        api->log(r, SPAND_LOG_ERR, "change: permutations must be 0..1000000");
        return -1;
    }
    if (!view->baseline) {
        api->log(r, SPAND_LOG_ERR, "change: needs a baseline window");
        return -1;
    }
    nbrs_t ca = {0, NULL, NULL, NULL}, cb = {0, NULL, NULL, NULL};
    struct both b = {0};
    int64_t *ec = NULL;
    struct counts net;
    int rc = -1;
    if (nbrs_build(api, r, view, &ca, "change") != 0 ||
        nbrs_build(api, r, view->baseline, &cb, "change") != 0)
        goto out;
    struct resp w = {.api = api, .r = r};
    if (respondents(api, r, &w) != 0)
        goto out;
    if (ca.n > INT32_MAX / 2 || cb.n > INT32_MAX / 2 ||
        both_build(view, &ca, &cb, &w, &b) != 0 ||
        !(ec = malloc(((size_t)b.n + 1) * sizeof *ec))) {
        api->log(r, SPAND_LOG_ERR, "change: out of memory");
        goto out;
    }
    api->progress(r, 0.1);
    if (vertex_rows(api, r, &b, ec) != 0 ||
        pair_rows(api, r, &b, view->ngroups, &net) != 0 ||
        network_cells(api, r, &b, &net, perms, seed) != 0 ||
        cohort_cells(api, r, view, &b, ec, perms, seed) != 0 ||
        api->set(r, SPAND_TABLE_NETWORK, 0, N_NONRESP_B,
                 w.before ? (double)w.missing_before : NAN) != 0 ||
        api->set(r, SPAND_TABLE_NETWORK, 0, N_NONRESP_A,
                 w.before ? (double)w.missing_after : NAN) != 0)
        goto out;
    if (w.before && w.only)
        api->note(r, "respondents_only: only people who answered both "
                     "survey waves, and the ties among them");
    rc = 0;
out:
    free(ec);
    both_free(&b);
    nbrs_free(&ca);
    nbrs_free(&cb);
    return rc;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "change",
    .version = "1.0",
    .summary = "what changed between the baseline and the main window: "
               "ties kept, lost and new, QAP, and a cohort's gain",
    .licence = "MIT",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .flags = SPAND_NEEDS_BASELINE,
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
