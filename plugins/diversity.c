/* diversity.c - participation coefficient and ego-network diversity
 * (METRICS.md, "diversity").
 *
 * On the undirected collapse of the view: a pair of people joined by one
 * arc or by two (an undirected tie is two arcs) is ONE edge, of weight 1,
 * or w_ij + w_ji when `weighted`. For vertex i, k_is is the weight of its
 * edges to group s (its own group included) and k_i = sum_s k_is:
 *   participation        P_i = 1 - sum_s (k_is / k_i)^2
 *                        (Guimera & Amaral 2005)
 *   participation_norm   P_i / (1 - 1/S), S = the number of groups in the
 *                        view, so that 1 means ties spread evenly over all
 *                        groups; NaN when S <= 1
 *   blau                 1 - sum_s p_s^2 with p_s = k_is / k_i the share of
 *                        i's alters (ties) in group s, ego not counted:
 *                        the same number as P_i, as METRICS.md says
 *   shannon              -sum_s p_s ln p_s over the same shares
 *   groups_reached       distinct groups among i's alters, other than g(i)
 * Every ratio over k_i = 0 (an isolate, or only ties of weight 0) is NaN,
 * which the daemon sends as null; groups_reached is then the count of
 * groups among the alters (0 for an isolate), which is always defined.
 *
 * Group rows: the mean and the median of each vertex column over the
 * group's members, NaN values skipped (NaN when no member has a value);
 * the median of an even count is the mean of the middle two.
 *
 * Cost: O(N + arcs) memory and time, plus O(N log N) for the medians.
 */
#include <spand/plugin.h>

#include "collapse.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static const spand_param_t params[] = {
    {"weighted", SPAND_BOOL, "false",
     "weigh each tie by w_ij + w_ji instead of counting it once"},
};

enum { V_PART, V_PNORM, V_BLAU, V_SHANNON, V_REACHED, NVCOLS };

#define GROUP_COLS(name, what)                                                 \
    {SPAND_TABLE_GROUP, name "_mean", SPAND_REAL,                              \
     "mean " what " of the group's members"},                                  \
    {                                                                          \
        SPAND_TABLE_GROUP, name "_median", SPAND_REAL,                         \
            "median " what " of the group's members"                           \
    }

static const spand_column_t columns[] = {
    {SPAND_TABLE_VERTEX, "participation", SPAND_REAL,
     "1 - sum over groups of (share of ties to the group)^2"},
    {SPAND_TABLE_VERTEX, "participation_norm", SPAND_REAL,
     "participation / (1 - 1/S), S groups in the view (null if S <= 1)"},
    {SPAND_TABLE_VERTEX, "blau", SPAND_REAL,
     "Blau's index of the groups of the person's contacts"},
    {SPAND_TABLE_VERTEX, "shannon", SPAND_REAL,
     "Shannon entropy (natural log) of the groups of the person's contacts"},
    {SPAND_TABLE_VERTEX, "groups_reached", SPAND_INT,
     "other groups among the person's contacts"},
    GROUP_COLS("participation", "participation"),
    GROUP_COLS("participation_norm", "normalised participation"),
    GROUP_COLS("blau", "Blau index"),
    GROUP_COLS("shannon", "Shannon entropy"),
    GROUP_COLS("groups_reached", "number of other groups reached"),
};

/* The vertex columns of every vertex into out[NVCOLS * i + col]. Scratch
 * of size G: k[s] sums i's ties to group s, cnt[s] counts its alters
 * there, touched lists the groups with cnt > 0 so that only they are
 * read and cleared: O(deg i) per vertex. Returns 0, 1 if cancelled, -1 on
 * failure (logged). */
static int measures(const spand_api_t *api, spand_run_t *r,
                    const spand_view_t *view, const nbrs_t *c, int weighted,
                    double *out)
{
    const igraph_integer_t n = c->n, G = view->ngroups;
    const igraph_vector_int_t *grp = view->group;
    double *k = calloc((size_t)G + 1, sizeof *k);
    igraph_integer_t *cnt = calloc((size_t)G + 1, sizeof *cnt);
    igraph_integer_t *touched = malloc(((size_t)G + 1) * sizeof *touched);
    int rc = -1;

    if (!k || !cnt || !touched) {
        api->log(r, SPAND_LOG_ERR, "diversity: out of memory (%lld groups)",
                 (long long)G);
        goto out;
    }
    for (igraph_integer_t i = 0; i < n; i++) {
        double *o = out + (size_t)NVCOLS * (size_t)i;
        igraph_integer_t nt = 0;
        if ((i & 4095) == 0) {
            if (api->cancelled(r)) {
                rc = 1;
                goto out;
            }
            api->progress(r, 0.9 * (double)i / (double)n);
        }
        for (igraph_integer_t e = c->off[i]; e < c->off[i + 1]; e++) {
            const igraph_integer_t s = VECTOR(*grp)[c->adj[e]];
            if (cnt[s]++ == 0)
                touched[nt++] = s;
            k[s] += weighted ? c->w[e] : 1.0;
        }
        double ki = 0;
        igraph_integer_t reached = 0;
        for (igraph_integer_t t = 0; t < nt; t++) {
            ki += k[touched[t]];
            reached += touched[t] != VECTOR(*grp)[i];
        }
        double sq = 0, h = 0;
        if (ki > 0)
            for (igraph_integer_t t = 0; t < nt; t++) {
                const double p = k[touched[t]] / ki;
                sq += p * p;
                if (p > 0)
                    h -= p * log(p);
            }
        for (igraph_integer_t t = 0; t < nt; t++) {
            k[touched[t]] = 0;
            cnt[touched[t]] = 0;
        }
        const double P = ki > 0 ? 1.0 - sq : NAN;
        o[V_PART] = P;
        o[V_PNORM] = G > 1 ? P / (1.0 - 1.0 / (double)G) : NAN;
        o[V_BLAU] = P;
        o[V_SHANNON] = ki > 0 ? h : NAN;
        o[V_REACHED] = (double)reached;
    }
    rc = 0;
out:
    free(k);
    free(cnt);
    free(touched);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Group rows: for each column, the non-NaN values are bucketed by group
 * (a counting sort into buf, starts in pos), each bucket sorted for its
 * median. pos and buf are caller scratch of G + 1 and N entries. Returns
 * the OR of the api->set results. */
static int group_rows(const spand_api_t *api, spand_run_t *r,
                      const spand_view_t *view, const double *out,
                      igraph_integer_t *pos, double *buf)
{
    const igraph_integer_t n = igraph_vcount(view->graph), G = view->ngroups;
    const igraph_vector_int_t *grp = view->group;
    int bad = 0;

    for (int col = 0; col < NVCOLS; col++) {
        for (igraph_integer_t g = 0; g <= G; g++)
            pos[g] = 0;
        for (igraph_integer_t i = 0; i < n; i++)
            if (!isnan(out[(size_t)NVCOLS * (size_t)i + (size_t)col]))
                pos[VECTOR(*grp)[i] + 1]++;
        for (igraph_integer_t g = 0; g < G; g++)
            pos[g + 1] += pos[g];
        /* Fill advancing pos[g]; afterwards pos[g] is the end of bucket g
         * and pos[g - 1] (0 for g = 0) its start. */
        for (igraph_integer_t i = 0; i < n; i++) {
            const double x = out[(size_t)NVCOLS * (size_t)i + (size_t)col];
            if (!isnan(x))
                buf[pos[VECTOR(*grp)[i]]++] = x;
        }
        for (igraph_integer_t g = 0; g < G; g++) {
            const igraph_integer_t lo = g ? pos[g - 1] : 0, hi = pos[g];
            const igraph_integer_t m = hi - lo;
            double mean = NAN, median = NAN;
            if (m > 0) {
                double s = 0;
                for (igraph_integer_t i = lo; i < hi; i++)
                    s += buf[i];
                mean = s / (double)m;
                qsort(buf + lo, (size_t)m, sizeof *buf, cmp_double);
                median = m % 2 ? buf[lo + m / 2]
                               : (buf[lo + m / 2 - 1] + buf[lo + m / 2]) / 2;
            }
            bad |= api->set(r, SPAND_TABLE_GROUP, g, 2 * col, mean);
            bad |= api->set(r, SPAND_TABLE_GROUP, g, 2 * col + 1, median);
        }
    }
    return bad;
}

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *view)
{
    (void)state;
    const igraph_integer_t n = igraph_vcount(view->graph);
    const igraph_integer_t G = view->ngroups;
    const int weighted = api->param_bool(r, "weighted");
    nbrs_t c = {0, NULL, NULL, NULL};
    double *out = NULL, *buf = NULL;
    igraph_integer_t *pos = NULL;
    int rc = -1, bad = 0;

    out = malloc(((size_t)n * NVCOLS + 1) * sizeof *out);
    buf = malloc(((size_t)n + 1) * sizeof *buf);
    pos = malloc(((size_t)G + 1) * sizeof *pos);
    if (!out || !buf || !pos) {
        api->log(r, SPAND_LOG_ERR, "diversity: out of memory (%lld vertices)",
                 (long long)n);
        goto done;
    }
    if (nbrs_build(api, r, view, &c, "diversity") != 0)
        goto done;
    const int m = measures(api, r, view, &c, weighted, out);
    if (m != 0) {
        if (m > 0)
            api->log(r, SPAND_LOG_INFO, "diversity: cancelled");
        goto done;
    }
    for (igraph_integer_t i = 0; i < n; i++)
        for (int col = 0; col < NVCOLS; col++)
            bad |= api->set(r, SPAND_TABLE_VERTEX, i, col,
                            out[(size_t)NVCOLS * (size_t)i + (size_t)col]);
    if (api->cancelled(r)) {
        api->log(r, SPAND_LOG_INFO, "diversity: cancelled");
        goto done;
    }
    bad |= group_rows(api, r, view, out, pos, buf);
    if (bad) {
        api->log(r, SPAND_LOG_ERR, "diversity: a result cell was refused");
        goto done;
    }
    api->progress(r, 1.0);
    rc = 0;
done:
    nbrs_free(&c);
    free(out);
    free(buf);
    free(pos);
    return rc;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "diversity",
    .version = "1.0",
    .summary = "participation coefficient, Blau and Shannon diversity of "
               "each person's contacts across groups",
    .licence = "MIT",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
