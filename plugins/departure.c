/* departure.c - what each person's leaving would cut (METRICS.md,
 * "departure").
 *
 * On the undirected collapse of the view (weights play no part). For
 * each person i, removing i from the view:
 *   cross_pairs_cut  unordered pairs {u, v} of other people in different
 *                    groups, connected in the view, with no path without i;
 *   pairs_cut        the same for all pairs of other people;
 *   cross_share      cross_pairs_cut / the connected cross-group pairs of
 *                    the view that do not involve i (null when there are
 *                    none).
 * Network: connected_cross_pairs, articulation_points (people whose
 * departure cuts any pair: pairs_cut > 0, exactly the articulation points
 * of the collapse) and max_cross_share (null when no share is defined).
 *
 * Method: everyone at once from one depth-first search (Tarjan's
 * lowpoints), the block-cut tree read off the DFS tree. Removing a from
 * its component C leaves pieces: the DFS subtree of each child c of a with
 * low[c] >= disc[a] (a "separated" child; for a DFS root every child),
 * and the rest of C. Subtrees are intervals of the preorder, so a
 * piece's members of group g are counted by two binary searches in the
 * preorder positions of g's members (or, for a piece smaller than the
 * number of groups, by walking it). With T = |C| - 1 the other people of
 * C, T_g of them in group g, and P_i, P_ig the pieces' sizes:
 *   pairs_cut       = (T^2 - sum_i P_i^2) / 2,
 *   same-group cut  = sum_g (T_g^2 - sum_i P_ig^2) / 2,
 *   cross_pairs_cut = pairs_cut - same-group cut.
 * Time O(N + M) for the search, plus O(min(size, G log N)) per separated
 * child (at most N - 1 of them); memory O(N + M + G). No person is
 * removed and no search is repeated.
 */
#include <spand/plugin.h>

#include "collapse.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { V_CROSS_CUT, V_PAIRS_CUT, V_CROSS_SHARE };
enum { N_CONNECTED_CROSS, N_ARTICULATION, N_MAX_SHARE };

static const spand_column_t columns[] = {
    {SPAND_TABLE_VERTEX, "cross_pairs_cut", SPAND_INT,
     "connected pairs of other people in different groups that the "
     "person's departure would disconnect"},
    {SPAND_TABLE_VERTEX, "pairs_cut", SPAND_INT,
     "connected pairs of other people that the person's departure would "
     "disconnect"},
    {SPAND_TABLE_VERTEX, "cross_share", SPAND_REAL,
     "cross_pairs_cut / the connected cross-group pairs not involving the "
     "person (null when there are none)"},
    {SPAND_TABLE_NETWORK, "connected_cross_pairs", SPAND_INT,
     "unordered pairs of people in different groups joined by a path"},
    {SPAND_TABLE_NETWORK, "articulation_points", SPAND_INT,
     "people whose departure would disconnect any pair"},
    {SPAND_TABLE_NETWORK, "max_cross_share", SPAND_REAL,
     "the largest cross_share (null when none is defined)"},
};

/* The state of a run: the search's arrays, all of N entries unless said. */
typedef struct dep {
    nbrs_t c;
    int64_t n, G;
    const igraph_vector_int_t *grp;
    int64_t *disc;    /* preorder position, -1 unvisited */
    int64_t *low;     /* lowpoint */
    int64_t *parent;  /* DFS parent, -1 for a root */
    int64_t *it;      /* next neighbour to look at; then the DFS stack */
    int64_t *size;    /* DFS subtree size */
    int64_t *order;   /* preorder position -> person */
    int64_t *sephead; /* first separated child, -1 none */
    int64_t *sepnext; /* next separated sibling, -1 none */
    int64_t *stack;
    int64_t *gstart;  /* G + 1: group g's preorder positions are */
    int64_t *gpos;    /*   gpos[gstart[g] .. gstart[g + 1]), ascending */
    int64_t *ccount;  /* G: the component's members per group */
    int64_t *scount;  /* G: members per group of a's separated pieces */
    int64_t *pcount;  /* G: members per group of one piece (walked) */
    int64_t *touched; /* G: groups with scount != 0 */
    int64_t *cross_cut, *pairs_cut;
    int64_t *others; /* people of the component in other groups */
} dep_t;

static void dep_free(dep_t *d)
{
    nbrs_free(&d->c);
    int64_t **arrays[] = {&d->disc,      &d->low,    &d->parent,  &d->it,
                          &d->size,      &d->order,  &d->sephead, &d->sepnext,
                          &d->stack,     &d->gstart, &d->gpos,    &d->ccount,
                          &d->scount,    &d->pcount, &d->touched, &d->cross_cut,
                          &d->pairs_cut, &d->others};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        free(*arrays[i]);
        *arrays[i] = NULL;
    }
}

static int dep_alloc(dep_t *d)
{
    const size_t N = (size_t)d->n + 1, G = (size_t)d->G + 1;
    int64_t **per_person[] = {
        &d->disc,      &d->low,       &d->parent,  &d->it,    &d->size,
        &d->order,     &d->sephead,   &d->sepnext, &d->stack, &d->gpos,
        &d->cross_cut, &d->pairs_cut, &d->others};
    int64_t **per_group[] = {&d->gstart, &d->ccount, &d->scount, &d->pcount,
                             &d->touched};
    for (size_t i = 0; i < sizeof per_person / sizeof per_person[0]; i++)
        if (!(*per_person[i] = calloc(N, sizeof(int64_t))))
            return -1;
    for (size_t i = 0; i < sizeof per_group / sizeof per_group[0]; i++)
        if (!(*per_group[i] = calloc(G + 1, sizeof(int64_t))))
            return -1;
    return 0;
}

static inline int64_t group_of(const dep_t *d, int64_t v)
{
    return VECTOR(*d->grp)[v];
}

/* Tarjan's search from root over its component (iterative: a path can be
 * as long as the view). *time is the next preorder position. Records
 * disc, low, size, order and each person's separated children. */
static void search(dep_t *d, int64_t root, int64_t *time)
{
    int64_t top = 0;
    d->disc[root] = d->low[root] = *time;
    d->order[(*time)++] = root;
    d->parent[root] = -1;
    d->it[root] = d->c.off[root];
    d->stack[top++] = root;
    while (top > 0) {
        const int64_t v = d->stack[top - 1];
        if (d->it[v] < d->c.off[v + 1]) {
            const int64_t u = d->c.adj[d->it[v]++];
            if (d->disc[u] < 0) {
                d->parent[u] = v;
                d->disc[u] = d->low[u] = *time;
                d->order[(*time)++] = u;
                d->it[u] = d->c.off[u];
                d->stack[top++] = u;
            } else if (u != d->parent[v] && d->disc[u] < d->low[v]) {
                d->low[v] = d->disc[u];
            }
            continue;
        }
        top--;
        d->size[v] = *time - d->disc[v];
        const int64_t p = d->parent[v];
        if (p < 0)
            continue;
        if (d->low[v] < d->low[p])
            d->low[p] = d->low[v];
        if (d->low[v] >= d->disc[p]) {
            d->sepnext[v] = d->sephead[p];
            d->sephead[p] = v;
        }
    }
}

/* Group g's members at preorder positions [lo, hi). */
static int64_t count_in(const dep_t *d, int64_t g, int64_t lo, int64_t hi)
{
    const int64_t *b = d->gpos + d->gstart[g],
                  n = d->gstart[g + 1] - d->gstart[g];
    int64_t x = 0, y = n;
    while (x < y) { /* first position >= lo */
        const int64_t m = x + (y - x) / 2;
        if (b[m] < lo)
            x = m + 1;
        else
            y = m;
    }
    int64_t z = x;
    y = n;
    while (z < y) { /* first position >= hi */
        const int64_t m = z + (y - z) / 2;
        if (b[m] < hi)
            z = m + 1;
        else
            y = m;
    }
    return z - x;
}

/* Add piece [lo, hi) to scount (groups newly non-zero go on touched, *nt
 * of them); returns sum_g (its members in g)^2. */
static int64_t add_piece(dep_t *d, int64_t lo, int64_t hi, int64_t *nt)
{
    int64_t sq = 0;
    if (hi - lo <= d->G) { /* small: walk it */
        for (int64_t p = lo; p < hi; p++) {
            const int64_t g = group_of(d, d->order[p]);
            sq += 2 * d->pcount[g] + 1;
            d->pcount[g]++;
        }
        for (int64_t p = lo; p < hi; p++) {
            const int64_t g = group_of(d, d->order[p]);
            if (d->pcount[g] == 0)
                continue;
            if (d->scount[g] == 0)
                d->touched[(*nt)++] = g;
            d->scount[g] += d->pcount[g];
            d->pcount[g] = 0;
        }
        return sq;
    }
    for (int64_t g = 0; g < d->G; g++) {
        const int64_t k = count_in(d, g, lo, hi);
        if (k == 0)
            continue;
        sq += k * k;
        if (d->scount[g] == 0)
            d->touched[(*nt)++] = g;
        d->scount[g] += k;
    }
    return sq;
}

/* The cuts of person a in a component of C people whose group counts
 * are ccount, with q = sum_g ccount[g]^2. */
static void cut_of(dep_t *d, int64_t a, int64_t C, int64_t q)
{
    const int64_t ga = group_of(d, a), T = C - 1;
    const int64_t Tq = q - 2 * d->ccount[ga] + 1; /* sum_g T_g^2 */
    int64_t sizes_sq = 0, groups_sq = 0, rest = T, nt = 0;
    for (int64_t c = d->sephead[a]; c >= 0; c = d->sepnext[c]) {
        sizes_sq += d->size[c] * d->size[c];
        rest -= d->size[c];
        groups_sq += add_piece(d, d->disc[c], d->disc[c] + d->size[c], &nt);
    }
    sizes_sq += rest * rest;
    /* The rest's groups: T_g - scount[g]; untouched groups have all T_g. */
    int64_t rest_sq = Tq;
    for (int64_t i = 0; i < nt; i++) {
        const int64_t g = d->touched[i];
        const int64_t Tg = d->ccount[g] - (g == ga);
        rest_sq += (Tg - d->scount[g]) * (Tg - d->scount[g]) - Tg * Tg;
        d->scount[g] = 0;
    }
    const int64_t pairs = (T * T - sizes_sq) / 2;
    const int64_t same = (Tq - groups_sq - rest_sq) / 2;
    d->pairs_cut[a] = pairs;
    d->cross_cut[a] = pairs - same;
}

/* The component at preorder positions [lo, hi): its group counts, each
 * member's `others`, and the cuts of its articulation points. Returns its
 * connected cross-group pairs. */
static int64_t component(dep_t *d, int64_t lo, int64_t hi)
{
    const int64_t C = hi - lo;
    int64_t q = 0;
    for (int64_t p = lo; p < hi; p++) {
        const int64_t g = group_of(d, d->order[p]);
        q += 2 * d->ccount[g] + 1;
        d->ccount[g]++;
    }
    for (int64_t p = lo; p < hi; p++) {
        const int64_t v = d->order[p];
        d->others[v] = C - d->ccount[group_of(d, v)];
        if (d->sephead[v] >= 0)
            cut_of(d, v, C, q);
    }
    for (int64_t p = lo; p < hi; p++)
        d->ccount[group_of(d, d->order[p])] = 0;
    return (C * C - q) / 2;
}

/* Search every component; group positions; then every component's cuts.
 * Returns the view's connected cross-group pairs. */
static int64_t all_cuts(dep_t *d)
{
    int64_t time = 0, total = 0;
    for (int64_t v = 0; v < d->n; v++) {
        d->disc[v] = -1;
        d->sephead[v] = d->sepnext[v] = -1;
    }
    for (int64_t v = 0; v < d->n; v++)
        if (d->disc[v] < 0)
            search(d, v, &time);
    /* Counting sort of preorder positions by group: ascending within. */
    for (int64_t v = 0; v < d->n; v++)
        d->gstart[group_of(d, v) + 1]++;
    for (int64_t g = 0; g < d->G; g++)
        d->gstart[g + 1] += d->gstart[g];
    for (int64_t g = 0; g <= d->G; g++)
        d->scount[g] = d->gstart[g]; /* fill cursor, zeroed below */
    for (int64_t p = 0; p < d->n; p++)
        d->gpos[d->scount[group_of(d, d->order[p])]++] = p;
    memset(d->scount, 0, ((size_t)d->G + 1) * sizeof *d->scount);
    for (int64_t lo = 0; lo < d->n;) {
        const int64_t hi = lo + d->size[d->order[lo]];
        total += component(d, lo, hi);
        lo = hi;
    }
    return total;
}

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *view)
{
    (void)state;
    dep_t d;
    int rc = -1, bad = 0;

    memset(&d, 0, sizeof d);
    if (nbrs_build(api, r, view, &d.c, "departure") != 0) {
        nbrs_free(&d.c);
        return -1;
    }
    d.n = d.c.n;
    d.G = view->ngroups;
    d.grp = view->group;
    if (dep_alloc(&d) != 0) {
        api->log(r, SPAND_LOG_ERR, "departure: out of memory (%lld people)",
                 (long long)d.n);
        goto out;
    }
    const int64_t total = all_cuts(&d);
    int64_t points = 0;
    double max_share = NAN;
    for (int64_t v = 0; v < d.n; v++) {
        const int64_t denom = total - d.others[v];
        const double share =
            denom > 0 ? (double)d.cross_cut[v] / (double)denom : NAN;
        points += d.pairs_cut[v] > 0;
        if (!isnan(share) && !(max_share >= share))
            max_share = share;
        bad |= api->set(r, SPAND_TABLE_VERTEX, v, V_CROSS_CUT,
                        (double)d.cross_cut[v]);
        bad |= api->set(r, SPAND_TABLE_VERTEX, v, V_PAIRS_CUT,
                        (double)d.pairs_cut[v]);
        bad |= api->set(r, SPAND_TABLE_VERTEX, v, V_CROSS_SHARE, share);
    }
    bad |=
        api->set(r, SPAND_TABLE_NETWORK, 0, N_CONNECTED_CROSS, (double)total);
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_ARTICULATION, (double)points);
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_MAX_SHARE, max_share);
    if (bad) {
        api->log(r, SPAND_LOG_ERR, "departure: a result cell was refused");
        goto out;
    }
    api->progress(r, 1.0);
    rc = 0;
out:
    dep_free(&d);
    return rc;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "departure",
    .version = "1.0",
    .summary = "what each person's leaving would cut: connected pairs, "
               "across groups and in all, that lose every path",
    .licence = "MIT",
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
