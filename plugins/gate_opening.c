/* gate_opening.c - brokerage that leads to direct ties (METRICS.md,
 * "gate_opening"): the tertius iungens of Obstfeld (2005), per boundary.
 *
 * Two windows: the baseline (view->baseline) and the main window (the
 * view), each on its undirected collapse (a tie {a, b} when either arc
 * exists; weights play no part: a pair is tied or not). People are matched
 * across the windows by key; group numbers are the same in both.
 *
 * For broker v in the baseline, O_v = the unordered pairs {a, b} of v's
 * baseline neighbours with g(a) != g(b) and no baseline tie a-b. Then
 *   brokered           |O_v|;
 *   opened             pairs of O_v tied directly in the main window;
 *   kept_apart         |O_v| - opened, pairs still untied;
 *   gate_opening_rate  opened / |O_v|, NaN (null) when |O_v| = 0;
 *   absent             of kept_apart, pairs with a or b without any tie
 *                      in the main window (not in its view, or there only
 *                      as an isolate): they could not have been tied, which
 *                      says more about turnover than about brokerage;
 *   new_cross_ties     ties of the person to other groups in the main
 *                      window that the baseline did not have.
 *
 * People in one window only. The vertex table is the main view's people:
 *  - a broker of the baseline who is not in the main view has no row, but
 *    their pairs count in the group and network rows (a pair can open
 *    after the broker has gone); run with isolates to give every person a
 *    row;
 *  - a person new in the main window brokered nothing: brokered, opened,
 *    kept_apart, absent 0 and the rate null; every cross tie of theirs is
 *    new;
 *  - a member of a pair who has no tie in the main window leaves the pair
 *    kept apart, counted also in `absent`.
 *
 * Aggregates (each a sum of the vertex quantities, so that a pair with k
 * brokers counts k times, as in the vertex rows):
 *   group    brokered, opened, kept_apart, rate and absent of the brokers
 *            in the group (baseline brokers, present in the main view or
 *            not); new_cross_ties of its members (each new cross tie
 *            counts once for each end's group);
 *   pair     for groups s < t: brokered and opened pairs {a, b} with a in
 *            s and b in t (whoever brokered them), their rate, and the new
 *            ties between s and t (each once);
 *   network  the totals; new_cross_ties counts each new tie once.
 *
 * Method, without enumerating O_v (which is quadratic in the degree):
 *   |O_v| = C(d_v, 2) - sum_s C(d_vs, 2) - T_v, where d_vs counts v's
 *   baseline neighbours in group s and T_v the baseline cross ties among
 *   v's neighbours (cross triangles through v); opened_v = the number of
 *   ties {a, b}, cross, in the main window but not the baseline, with v a
 *   common baseline neighbour of a and b. Both count common neighbours of
 *   the two ends of a tie, by intersecting sorted neighbour lists (binary
 *   search of the shorter in the longer, or a merge), so the time is
 *   O(sum over ties {a, b} of min(d_a, d_b) log) plus sorting, at most
 *   O(M^1.5 log N) and far less on real networks, plus O(sum over v of
 *   min(d_v, G)^2) for the group pairs of each broker's neighbours;
 *   memory O(N + M + G^2). (Measured: two windows of 100k people and 1M
 *   ties in about 2.5 s.)
 */
#include <spand/plugin.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { V_BROKERED, V_OPENED, V_KEPT, V_RATE, V_ABSENT, V_NEW };
enum { G_BROKERED, G_OPENED, G_KEPT, G_RATE, G_ABSENT, G_NEW };
enum { P_BROKERED, P_OPENED, P_RATE, P_NEW };
enum { N_BROKERED, N_OPENED, N_KEPT, N_RATE, N_ABSENT, N_NEW };

static const spand_column_t columns[] = {
    {SPAND_TABLE_VERTEX, "brokered", SPAND_INT,
     "baseline pairs of neighbours in different groups, not tied (|O_v|)"},
    {SPAND_TABLE_VERTEX, "opened", SPAND_INT,
     "of those, pairs tied directly in the main window"},
    {SPAND_TABLE_VERTEX, "kept_apart", SPAND_INT,
     "of those, pairs still untied in the main window"},
    {SPAND_TABLE_VERTEX, "gate_opening_rate", SPAND_REAL, "opened / brokered"},
    {SPAND_TABLE_VERTEX, "absent", SPAND_INT,
     "of kept_apart, pairs with someone without ties in the main window"},
    {SPAND_TABLE_VERTEX, "new_cross_ties", SPAND_INT,
     "ties to other groups in the main window absent from the baseline"},
    {SPAND_TABLE_GROUP, "brokered", SPAND_INT,
     "brokered pairs of the group's baseline brokers"},
    {SPAND_TABLE_GROUP, "opened", SPAND_INT,
     "opened pairs of the group's baseline brokers"},
    {SPAND_TABLE_GROUP, "kept_apart", SPAND_INT,
     "kept-apart pairs of the group's baseline brokers"},
    {SPAND_TABLE_GROUP, "gate_opening_rate", SPAND_REAL, "opened / brokered"},
    {SPAND_TABLE_GROUP, "absent", SPAND_INT,
     "kept-apart pairs with someone without ties in the main window"},
    {SPAND_TABLE_GROUP, "new_cross_ties", SPAND_INT,
     "new cross-group ties with an end in the group"},
    {SPAND_TABLE_PAIR, "brokered", SPAND_INT,
     "brokered pairs with one person in each group (per broker)"},
    {SPAND_TABLE_PAIR, "opened", SPAND_INT,
     "of those, tied directly in the main window"},
    {SPAND_TABLE_PAIR, "gate_opening_rate", SPAND_REAL, "opened / brokered"},
    {SPAND_TABLE_PAIR, "new_cross_ties", SPAND_INT,
     "ties between the two groups in the main window, not in the baseline"},
    {SPAND_TABLE_NETWORK, "brokered", SPAND_INT, "all brokered pairs"},
    {SPAND_TABLE_NETWORK, "opened", SPAND_INT, "all opened pairs"},
    {SPAND_TABLE_NETWORK, "kept_apart", SPAND_INT, "all kept-apart pairs"},
    {SPAND_TABLE_NETWORK, "gate_opening_rate", SPAND_REAL, "opened / brokered"},
    {SPAND_TABLE_NETWORK, "absent", SPAND_INT,
     "kept-apart pairs with someone without ties in the main window"},
    {SPAND_TABLE_NETWORK, "new_cross_ties", SPAND_INT,
     "new cross-group ties, each once"},
};

/* The undirected collapse of one window as compressed rows, each sorted:
 * the neighbours of v are nbr[off[v] .. off[v+1]), increasing, once. */
typedef struct adj {
    int32_t n;
    int64_t *off;
    int32_t *nbr;
} adj_t;

static void adj_free(adj_t *a)
{
    free(a->off);
    free(a->nbr);
}

static int cmp_int32(const void *x, const void *y)
{
    const int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

/* Build the sorted collapse of view's graph: both ends of every arc, each
 * row sorted and its duplicates (i->j with j->i) dropped. Returns 0, or
 * -1 out of memory. */
static int adj_build(const spand_view_t *view, adj_t *a)
{
    const igraph_t *ig = view->graph;
    const igraph_integer_t n = igraph_vcount(ig), arcs = igraph_ecount(ig);
    int64_t *cursor = NULL;

    memset(a, 0, sizeof *a);
    a->n = (int32_t)n;
    a->off = calloc((size_t)n + 1, sizeof *a->off);
    a->nbr = malloc(2 * ((size_t)arcs + 1) * sizeof *a->nbr);
    cursor = malloc(((size_t)n + 1) * sizeof *cursor);
    if (!a->off || !a->nbr || !cursor) {
        free(cursor);
        adj_free(a);
        return -1;
    }
    for (igraph_integer_t e = 0; e < arcs; e++) {
        a->off[IGRAPH_FROM(ig, e) + 1]++;
        a->off[IGRAPH_TO(ig, e) + 1]++;
    }
    for (int32_t v = 0; v < a->n; v++)
        a->off[v + 1] += a->off[v];
    memcpy(cursor, a->off, (size_t)n * sizeof *cursor);
    for (igraph_integer_t e = 0; e < arcs; e++) {
        const int32_t x = (int32_t)IGRAPH_FROM(ig, e);
        const int32_t y = (int32_t)IGRAPH_TO(ig, e);
        a->nbr[cursor[x]++] = y;
        a->nbr[cursor[y]++] = x;
    }
    free(cursor);
    int64_t put = 0, begin = 0;
    for (int32_t v = 0; v < a->n; v++) {
        const int64_t end = a->off[v + 1];
        qsort(a->nbr + begin, (size_t)(end - begin), sizeof *a->nbr, cmp_int32);
        a->off[v] = put;
        for (int64_t k = begin; k < end; k++)
            if (k == begin || a->nbr[k] != a->nbr[k - 1])
                a->nbr[put++] = a->nbr[k];
        begin = end;
    }
    a->off[n] = put;
    return 0;
}

static int64_t degree(const adj_t *a, int32_t v)
{
    return a->off[v + 1] - a->off[v];
}

/* Whether x is in the sorted run p[0 .. len). */
static int contains(const int32_t *p, int64_t len, int32_t x)
{
    int64_t lo = 0, hi = len;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (p[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < len && p[lo] == x;
}

/* Whether a and b are neighbours: search the shorter row. */
static int tied(const adj_t *a, int32_t x, int32_t y)
{
    if (degree(a, x) > degree(a, y)) {
        const int32_t t = x;
        x = y;
        y = t;
    }
    return contains(a->nbr + a->off[x], degree(a, x), y);
}

/* Call fn(ctx, v) for every common neighbour v of x and y: each element
 * of the shorter row looked up in the longer by binary search when that
 * is cheaper than a merge of the two. */
typedef void (*common_fn)(void *ctx, int32_t v);

static void common_neighbours(const adj_t *a, int32_t x, int32_t y,
                              common_fn fn, void *ctx)
{
    const int32_t *p = a->nbr + a->off[x], *q = a->nbr + a->off[y];
    int64_t lp = degree(a, x), lq = degree(a, y);
    if (lp > lq) {
        const int32_t *t = p;
        p = q;
        q = t;
        const int64_t tl = lp;
        lp = lq;
        lq = tl;
    }
    if (lp == 0)
        return;
    int lg = 0;
    while (((int64_t)1 << lg) < lq)
        lg++;
    if (lp * (lg + 1) < lp + lq) {
        for (int64_t i = 0; i < lp; i++)
            if (contains(q, lq, p[i]))
                fn(ctx, p[i]);
        return;
    }
    int64_t i = 0, j = 0;
    while (i < lp && j < lq) {
        if (p[i] < q[j])
            i++;
        else if (p[i] > q[j])
            j++;
        else {
            fn(ctx, p[i]);
            i++;
            j++;
        }
    }
}

/* Per baseline vertex counts. */
typedef struct bcount {
    int64_t pairs;  /* cross pairs of neighbours, tied or not */
    int64_t ppairs; /* of those, both with a tie in the main window */
    int64_t tri;    /* cross baseline ties among the neighbours */
    int64_t ptri;   /* of those, both ends with a tie in the main window */
    int64_t opened;
} bcount_t;

/* What the common-neighbour callbacks update. */
typedef struct ctx {
    bcount_t *bc;
    int present;   /* both ends of the current tie have main-window ties */
    int64_t calls; /* common neighbours met for the current tie */
} ctx_t;

static void count_triangle(void *c, int32_t v)
{
    ctx_t *x = c;
    x->bc[v].tri++;
    x->bc[v].ptri += x->present;
    x->calls++;
}

static void count_opened(void *c, int32_t v)
{
    ctx_t *x = c;
    x->bc[v].opened++;
    x->calls++;
}

/* Stable merge sort of vertex indices by key (byte order): the views are
 * numbered in that order already, in which case each merge is skipped
 * after one comparison and the sort is linear. */
static void sort_by_key(int32_t *idx, int32_t *tmp, int32_t n,
                        const char *const *keys)
{
    for (int64_t width = 1; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n - width; lo += 2 * width) {
            const int64_t mid = lo + width;
            const int64_t hi = mid + width < n ? mid + width : n;
            if (strcmp(keys[idx[mid - 1]], keys[idx[mid]]) <= 0)
                continue;
            int64_t i = lo, j = mid, k = 0;
            while (i < mid && j < hi)
                tmp[k++] = strcmp(keys[idx[i]], keys[idx[j]]) <= 0 ? idx[i++]
                                                                   : idx[j++];
            while (i < mid)
                tmp[k++] = idx[i++];
            while (j < hi)
                tmp[k++] = idx[j++];
            memcpy(idx + lo, tmp, (size_t)k * sizeof *idx);
        }
    }
}

/* b2m[v] = the main view's vertex of baseline vertex v, or -1; m2b the
 * other way. Returns 0, or -1 out of memory. */
static int match_people(const spand_view_t *cur, const spand_view_t *base,
                        int32_t nm, int32_t nb, int32_t *m2b, int32_t *b2m)
{
    const int32_t big = nm > nb ? nm : nb;
    int32_t *im = malloc(((size_t)nm + 1) * sizeof *im);
    int32_t *ib = malloc(((size_t)nb + 1) * sizeof *ib);
    int32_t *tmp = malloc(((size_t)big + 1) * sizeof *tmp);
    if (!im || !ib || !tmp) {
        free(im);
        free(ib);
        free(tmp);
        return -1;
    }
    for (int32_t i = 0; i < nm; i++) {
        im[i] = i;
        m2b[i] = -1;
    }
    for (int32_t i = 0; i < nb; i++) {
        ib[i] = i;
        b2m[i] = -1;
    }
    sort_by_key(im, tmp, nm, cur->keys);
    sort_by_key(ib, tmp, nb, base->keys);
    int32_t i = 0, j = 0;
    while (i < nm && j < nb) { /* merge the two sorted key lists */
        const int c = strcmp(cur->keys[im[i]], base->keys[ib[j]]);
        if (c < 0)
            i++;
        else if (c > 0)
            j++;
        else {
            m2b[im[i]] = ib[j];
            b2m[ib[j]] = im[i];
            i++;
            j++;
        }
    }
    free(im);
    free(ib);
    free(tmp);
    return 0;
}

static double ratio(int64_t a, int64_t b)
{
    return b != 0 ? (double)a / (double)b : NAN;
}

static int64_t choose2(int64_t k)
{
    return k * (k - 1) / 2;
}

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *view)
{
    (void)state;
    const spand_view_t *base = view->baseline;
    const igraph_integer_t G = view->ngroups;
    adj_t am, ab;
    bcount_t *bc = NULL;
    int32_t *m2b = NULL, *b2m = NULL, *touched = NULL;
    uint8_t *present = NULL; /* baseline person has a main-window tie */
    int64_t *newties = NULL, *gcnt = NULL, *gpres = NULL;
    /* group sums: brokered, opened, absent, new; pair sums: brokered,
     * opened, new (G x G, s < t, like the daemon's own pair table) */
    int64_t *gsum = NULL, *psum = NULL;
    int rc = -1, bad = 0;

    memset(&am, 0, sizeof am);
    memset(&ab, 0, sizeof ab);
    if (!base) {
        api->log(r, SPAND_LOG_ERR,
                 "gate_opening: no baseline view (give a baseline window)");
        return -1;
    }
    if (base->ngroups != G) {
        api->log(r, SPAND_LOG_ERR,
                 "gate_opening: the windows number groups differently "
                 "(%lld and %lld)",
                 (long long)G, (long long)base->ngroups);
        return -1;
    }
    if (igraph_vcount(view->graph) >= INT32_MAX ||
        igraph_vcount(base->graph) >= INT32_MAX) {
        api->log(r, SPAND_LOG_ERR, "gate_opening: view too large");
        return -1;
    }
    const igraph_vector_int_t *gm = view->group, *gb = base->group;
    if (adj_build(view, &am) != 0 || adj_build(base, &ab) != 0)
        goto oom;
    const int32_t nm = am.n, nb = ab.n;
    bc = calloc((size_t)nb + 1, sizeof *bc);
    m2b = malloc(((size_t)nm + 1) * sizeof *m2b);
    b2m = malloc(((size_t)nb + 1) * sizeof *b2m);
    newties = calloc((size_t)nm + 1, sizeof *newties);
    gcnt = calloc((size_t)G + 1, sizeof *gcnt);
    gpres = calloc((size_t)G + 1, sizeof *gpres);
    touched = malloc(((size_t)G + 1) * sizeof *touched);
    present = malloc((size_t)nb + 1);
    gsum = calloc(4 * (size_t)G + 1, sizeof *gsum);
    psum = calloc(3 * (size_t)G * (size_t)G + 1, sizeof *psum);
    if (!bc || !m2b || !b2m || !newties || !gcnt || !gpres || !touched ||
        !present || !gsum || !psum ||
        match_people(view, base, nm, nb, m2b, b2m) != 0)
        goto oom;
    for (int32_t v = 0; v < nb; v++)
        present[v] = b2m[v] >= 0 && degree(&am, b2m[v]) > 0;
#define GSUM(g, k) gsum[4 * (size_t)(g) + (k)]
#define PSUM(s, t, k) psum[3 * ((size_t)(s) * (size_t)G + (size_t)(t)) + (k)]

    /* 1. Cross pairs among each baseline broker's neighbours, by group
     * counts: all, and with both present in the main window; per group
     * pair too. Touched groups are reset after each broker. */
    for (int32_t v = 0; v < nb; v++) {
        if ((v & 4095) == 0) {
            if (api->cancelled(r))
                goto cancelled;
            api->progress(r, 0.2 * (double)v / (double)nb);
        }
        int32_t nt = 0;
        int64_t d = 0, dp = 0;
        for (int64_t k = ab.off[v]; k < ab.off[v + 1]; k++) {
            const int32_t x = ab.nbr[k];
            const igraph_integer_t gx = VECTOR(*gb)[x];
            if (gcnt[gx] == 0)
                touched[nt++] = (int32_t)gx;
            gcnt[gx]++;
            d++;
            if (present[x]) {
                gpres[gx]++;
                dp++;
            }
        }
        int64_t same = 0, psame = 0;
        for (int32_t i = 0; i < nt; i++) {
            const int32_t s = touched[i];
            same += choose2(gcnt[s]);
            psame += choose2(gpres[s]);
            for (int32_t j = i + 1; j < nt; j++) {
                const int32_t t = touched[j];
                PSUM(s < t ? s : t, s < t ? t : s, 0) += gcnt[s] * gcnt[t];
            }
        }
        bc[v].pairs = choose2(d) - same;
        bc[v].ppairs = choose2(dp) - psame;
        for (int32_t i = 0; i < nt; i++)
            gcnt[touched[i]] = gpres[touched[i]] = 0;
    }

    /* 2. Baseline cross ties among each broker's neighbours: for each
     * baseline cross tie {x, y}, its common neighbours. Such a pair is not
     * brokered, so it leaves its group pair's count too. */
    ctx_t cx = {bc, 0, 0};
    for (int32_t x = 0; x < nb; x++) {
        if ((x & 1023) == 0) {
            if (api->cancelled(r))
                goto cancelled;
            api->progress(r, 0.2 + 0.4 * (double)x / (double)nb);
        }
        const igraph_integer_t gx = VECTOR(*gb)[x];
        for (int64_t k = ab.off[x]; k < ab.off[x + 1]; k++) {
            const int32_t y = ab.nbr[k];
            const igraph_integer_t gy = VECTOR(*gb)[y];
            if (y < x || gy == gx)
                continue;
            cx.present = present[x] && present[y];
            cx.calls = 0;
            common_neighbours(&ab, x, y, count_triangle, &cx);
            PSUM(gx < gy ? gx : gy, gx < gy ? gy : gx, 0) -= cx.calls;
        }
    }

    /* 3. Main-window cross ties: new ones (not tied in the baseline, or an
     * end not in the baseline); of those with both ends in the baseline,
     * the common baseline neighbours are the brokers whose pair opened. */
    int64_t net_new = 0;
    for (int32_t x = 0; x < nm; x++) {
        if ((x & 1023) == 0) {
            if (api->cancelled(r))
                goto cancelled;
            api->progress(r, 0.6 + 0.35 * (double)x / (double)nm);
        }
        const igraph_integer_t gx = VECTOR(*gm)[x];
        for (int64_t k = am.off[x]; k < am.off[x + 1]; k++) {
            const int32_t y = am.nbr[k];
            const igraph_integer_t gy = VECTOR(*gm)[y];
            if (y < x || gy == gx)
                continue;
            const int32_t bx = m2b[x], by = m2b[y];
            if (bx >= 0 && by >= 0 && tied(&ab, bx, by))
                continue; /* an old tie */
            const igraph_integer_t lo = gx < gy ? gx : gy;
            const igraph_integer_t hi = gx < gy ? gy : gx;
            newties[x]++;
            newties[y]++;
            GSUM(gx, 3)++;
            GSUM(gy, 3)++;
            PSUM(lo, hi, 2)++;
            net_new++;
            if (bx >= 0 && by >= 0) {
                cx.calls = 0;
                common_neighbours(&ab, bx, by, count_opened, &cx);
                PSUM(lo, hi, 1) += cx.calls;
            }
        }
    }

    /* Rows. Broker sums go to the broker's group, present or not. */
    int64_t tb = 0, to = 0, ta = 0;
    for (int32_t v = 0; v < nb; v++) {
        const int64_t brokered = bc[v].pairs - bc[v].tri;
        const int64_t absent =
            (bc[v].pairs - bc[v].ppairs) - (bc[v].tri - bc[v].ptri);
        const igraph_integer_t g = VECTOR(*gb)[v];
        GSUM(g, 0) += brokered;
        GSUM(g, 1) += bc[v].opened;
        GSUM(g, 2) += absent;
        tb += brokered;
        to += bc[v].opened;
        ta += absent;
    }
    for (int32_t x = 0; x < nm; x++) {
        const int32_t v = m2b[x];
        int64_t brokered = 0, opened = 0, absent = 0;
        if (v >= 0) {
            brokered = bc[v].pairs - bc[v].tri;
            opened = bc[v].opened;
            absent = (bc[v].pairs - bc[v].ppairs) - (bc[v].tri - bc[v].ptri);
        }
        bad |= api->set(r, SPAND_TABLE_VERTEX, x, V_BROKERED, (double)brokered);
        bad |= api->set(r, SPAND_TABLE_VERTEX, x, V_OPENED, (double)opened);
        bad |= api->set(r, SPAND_TABLE_VERTEX, x, V_KEPT,
                        (double)(brokered - opened));
        bad |=
            api->set(r, SPAND_TABLE_VERTEX, x, V_RATE, ratio(opened, brokered));
        bad |= api->set(r, SPAND_TABLE_VERTEX, x, V_ABSENT, (double)absent);
        bad |= api->set(r, SPAND_TABLE_VERTEX, x, V_NEW, (double)newties[x]);
    }
    for (igraph_integer_t g = 0; g < G; g++) {
        const int64_t b = GSUM(g, 0), o = GSUM(g, 1);
        bad |= api->set(r, SPAND_TABLE_GROUP, g, G_BROKERED, (double)b);
        bad |= api->set(r, SPAND_TABLE_GROUP, g, G_OPENED, (double)o);
        bad |= api->set(r, SPAND_TABLE_GROUP, g, G_KEPT, (double)(b - o));
        bad |= api->set(r, SPAND_TABLE_GROUP, g, G_RATE, ratio(o, b));
        bad |= api->set(r, SPAND_TABLE_GROUP, g, G_ABSENT, (double)GSUM(g, 2));
        bad |= api->set(r, SPAND_TABLE_GROUP, g, G_NEW, (double)GSUM(g, 3));
        for (igraph_integer_t t = g + 1; t < G; t++) {
            const int64_t pb = PSUM(g, t, 0), po = PSUM(g, t, 1);
            bad |= api->set_pair(r, g, t, P_BROKERED, (double)pb);
            bad |= api->set_pair(r, g, t, P_OPENED, (double)po);
            bad |= api->set_pair(r, g, t, P_RATE, ratio(po, pb));
            bad |= api->set_pair(r, g, t, P_NEW, (double)PSUM(g, t, 2));
        }
    }
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_BROKERED, (double)tb);
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_OPENED, (double)to);
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_KEPT, (double)(tb - to));
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_RATE, ratio(to, tb));
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_ABSENT, (double)ta);
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_NEW, (double)net_new);
#undef GSUM
#undef PSUM
    if (bad) {
        api->log(r, SPAND_LOG_ERR, "gate_opening: a result cell was refused");
        goto out;
    }
    api->progress(r, 1.0);
    rc = 0;
    goto out;
cancelled:
    api->log(r, SPAND_LOG_INFO, "gate_opening: cancelled");
    goto out;
oom:
    api->log(r, SPAND_LOG_ERR,
             "gate_opening: out of memory (%lld and %lld "
             "people)",
             (long long)igraph_vcount(view->graph),
             (long long)igraph_vcount(base->graph));
out:
    adj_free(&am);
    adj_free(&ab);
    free(bc);
    free(m2b);
    free(b2m);
    free(newties);
    free(gcnt);
    free(gpres);
    free(touched);
    free(present);
    free(gsum);
    free(psum);
    return rc;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "gate_opening",
    .version = "1.0",
    .summary = "brokered cross-group pairs that became direct ties "
               "(tertius iungens), and new cross-group ties",
    .licence = "MIT",
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .flags = SPAND_NEEDS_BASELINE,
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
