/* mixing.c - whole-network segregation across the boundary (METRICS.md,
 * "mixing").
 *
 * On the undirected collapse of the view: a pair of people joined by one
 * arc or by two (an undirected tie is two arcs) is ONE edge {i, j}, of
 * weight 1, or w_ij + w_ji when `weighted`.
 *   pair rows, every pair of groups s <= t (also with no ties, so that a
 *     density of 0 shows):
 *     ties     edges between s and t (within s when s = t); with
 *              `weighted` their summed weight, as in the ei plugin
 *     density  ties / possible pairs, n_s n_t or n_s (n_s - 1) / 2 for
 *              s = t; NaN (null) for a group of one with itself
 *   network:
 *     modularity     Newman's Q of the boundary partition, resolution 1,
 *                    with the edge weights above: igraph_modularity of the
 *                    collapse. Q = sum_s [I_s / m - (K_s / 2m)^2], I_s the
 *                    weight inside s, K_s the summed strength of s's
 *                    members, m the total weight; NaN when m = 0.
 *     assortativity  igraph_assortativity_nominal(normalized) of the
 *                    collapse: (sum_s e_ss - sum_s a_s^2) /
 *                    (1 - sum_s a_s^2), e_st the share of edge ends from s
 *                    to t. igraph 0.10's function has no weights, so this
 *                    counts edges even with `weighted`. NaN when there are
 *                    no edges or all edge ends lie in one group (0 / 0).
 *     ei             Krackhardt & Stern's (E - I) / (E + I) over the edges
 *                    (or weights) between (E) and within (I) groups, as
 *                    the ei plugin's network row; NaN without edges.
 * Every edge is visited once (from its lower end), in vertex order, so
 * the sums are reproducible. O(N + arcs + G^2) time and memory; the G^2
 * is the pair table, which the daemon holds anyway.
 */
#include <spand/plugin.h>

#include "collapse.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static const spand_param_t params[] = {
    {"weighted", SPAND_BOOL, "false",
     "weigh each tie by w_ij + w_ji (ties, density, modularity, ei) instead "
     "of counting it once"},
};

enum { P_TIES, P_DENSITY };
enum { N_MODULARITY, N_ASSORTATIVITY, N_EI };

static const spand_column_t columns[] = {
    {SPAND_TABLE_PAIR, "ties", SPAND_REAL,
     "ties between the two groups (within the group if the same), or their "
     "weight"},
    {SPAND_TABLE_PAIR, "density", SPAND_REAL,
     "ties / possible pairs of people (null for a group of one with itself)"},
    {SPAND_TABLE_NETWORK, "modularity", SPAND_REAL,
     "modularity of the partition into groups (igraph_modularity)"},
    {SPAND_TABLE_NETWORK, "assortativity", SPAND_REAL,
     "nominal assortativity by group, normalised, ties counted "
     "(igraph_assortativity_nominal)"},
    {SPAND_TABLE_NETWORK, "ei", SPAND_REAL,
     "E-I index: (between - within) / (between + within)"},
};

/* (E - I) / (E + I), NaN over nothing. */
static double ei_ratio(double ext, double in)
{
    return ext + in != 0 ? (ext - in) / (ext + in) : NAN;
}

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *view)
{
    (void)state;
    const igraph_integer_t n = igraph_vcount(view->graph);
    const igraph_integer_t G = view->ngroups;
    const igraph_vector_int_t *grp = view->group;
    const int weighted = api->param_bool(r, "weighted");
    nbrs_t c = {0, NULL, NULL, NULL};
    double *pair = NULL, *size = NULL, *strength = NULL, *ends = NULL;
    int rc = -1, bad = 0;

    /* pair[s * G + t], s <= t: ties (or weight) between s and t. */
    if ((uint64_t)G > 0 && (uint64_t)G > (uint64_t)SIZE_MAX / 8 / (uint64_t)G) {
        api->log(r, SPAND_LOG_ERR, "mixing: %lld groups is too many",
                 (long long)G);
        return -1;
    }
    pair = calloc((size_t)G * (size_t)G + 1, sizeof *pair);
    size = calloc((size_t)G + 1, sizeof *size);
    strength = calloc((size_t)G + 1, sizeof *strength); /* K_s */
    ends = calloc((size_t)G + 1, sizeof *ends); /* edge ends in s, counted */
    if (!pair || !size || !strength || !ends) {
        api->log(r, SPAND_LOG_ERR, "mixing: out of memory (%lld groups)",
                 (long long)G);
        goto done;
    }
    if (nbrs_build(api, r, view, &c, "mixing") != 0)
        goto done;

    /* One pass over the edges, each from its lower end. */
    double m = 0, in = 0, ext = 0; /* weights per `weighted` */
    double edges = 0, same = 0;    /* counted, for assortativity */
    for (igraph_integer_t i = 0; i < n; i++) {
        const igraph_integer_t gi = VECTOR(*grp)[i];
        if ((i & 4095) == 0) {
            if (api->cancelled(r)) {
                api->log(r, SPAND_LOG_INFO, "mixing: cancelled");
                goto done;
            }
            api->progress(r, 0.9 * (double)i / (double)n);
        }
        size[gi] += 1;
        for (igraph_integer_t k = c.off[i]; k < c.off[i + 1]; k++) {
            const igraph_integer_t j = c.adj[k];
            if (j < i)
                continue;
            const igraph_integer_t gj = VECTOR(*grp)[j];
            const double x = weighted ? c.w[k] : 1.0;
            const igraph_integer_t lo = gi < gj ? gi : gj;
            const igraph_integer_t hi = gi < gj ? gj : gi;
            pair[(size_t)lo * (size_t)G + (size_t)hi] += x;
            m += x;
            strength[gi] += x;
            strength[gj] += x;
            ends[gi] += 1;
            ends[gj] += 1;
            edges += 1;
            if (gi == gj) {
                in += x;
                same += 1;
            } else {
                ext += x;
            }
        }
    }

    for (igraph_integer_t s = 0; s < G; s++)
        for (igraph_integer_t t = s; t < G; t++) {
            const double ties = pair[(size_t)s * (size_t)G + (size_t)t];
            const double possible =
                s == t ? size[s] * (size[s] - 1) / 2 : size[s] * size[t];
            bad |= api->set_pair(r, s, t, P_TIES, ties);
            bad |= api->set_pair(r, s, t, P_DENSITY,
                                 possible > 0 ? ties / possible : NAN);
        }

    /* Modularity as igraph computes it for an undirected graph: each edge
     * adds 2w inside its group when internal and w to the strength of each
     * end's group; Q = sum_s (e_s - K_s^2 / 2m) / 2m. */
    double Q = NAN;
    if (m > 0) {
        double q = 0;
        for (igraph_integer_t s = 0; s < G; s++) {
            const double e_s = 2 * pair[(size_t)s * (size_t)G + (size_t)s];
            q += e_s - strength[s] * strength[s] / (2 * m);
        }
        Q = q / (2 * m);
    }

    /* Nominal assortativity, normalised, undirected and unweighted as in
     * igraph: each edge counts in both directions, so a_s = b_s = the
     * share of edge ends in s and sum_s e_ss = same / edges. */
    double A = NAN;
    if (edges > 0) {
        double sumab = 0;
        for (igraph_integer_t s = 0; s < G; s++) {
            const double a = ends[s] / (2 * edges);
            sumab += a * a;
        }
        const double num = same / edges - sumab, den = 1 - sumab;
        A = den != 0 ? num / den : NAN;
    }

    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_MODULARITY, Q);
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_ASSORTATIVITY, A);
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_EI, ei_ratio(ext, in));
    if (bad) {
        api->log(r, SPAND_LOG_ERR, "mixing: a result cell was refused");
        goto done;
    }
    api->progress(r, 1.0);
    rc = 0;
done:
    nbrs_free(&c);
    free(pair);
    free(size);
    free(strength);
    free(ends);
    return rc;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "mixing",
    .version = "1.0",
    .summary = "ties and density between groups; modularity, assortativity "
               "and E-I of the boundary",
    .licence = "MIT",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
