/* layout.c - positions for drawing the view (the HTML report's pictures).
 *
 * Not a metric: where to put each person, and each group, on a page, so
 * that a client can draw the network without a graph library of its own.
 * On the undirected collapse of the view (collapse.h), unweighted:
 *   vertex rows  x, y   Fruchterman-Reingold (igraph), scaled into the
 *                       unit square keeping the aspect ratio; null for
 *                       every vertex when the view has more than
 *                       `max_people` people (a hairball helps nobody: the
 *                       client draws the group-level network instead)
 *                degree neighbours in the collapse, for sizing the dot
 *   group rows   x, y   the group-level network's nodes on a circle, in
 *                       group order (see circle())
 *                people the group's people in the view
 *                ties   ties within the group
 *   network      people_drawn  1 when vertex positions are given, else 0
 * Deterministic: the start positions come from `seed` alone (splitmix64)
 * and igraph's own random numbers are seeded with it too, so the same view
 * and seed give the same picture, bit for bit, in a thread or a child.
 * Time: O(iterations * (N + ties)) with igraph's grid, always: without
 * it each iteration is O(N^2) (igraph's AUTOGRID keeps that up to 1,000
 * people: 8 s at 1,000 here against 0.3 s with the grid and 150
 * iterations, which draw as readable a picture). Memory O(N + ties + G). */
#include <spand/plugin.h>

#include "collapse.h"
#include "rng.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static const spand_param_t params[] = {
    {"seed", SPAND_INT, "42",
     "seed of the start positions (same seed, same "
     "picture)"},
    {"iterations", SPAND_INT, "150", "Fruchterman-Reingold iterations"},
    {"max_people", SPAND_INT, "2000",
     "above this many people, only the group-level network is laid out"},
};

enum { V_X, V_Y, V_DEGREE };
enum { G_X, G_Y, G_PEOPLE, G_TIES };
enum { N_DRAWN };

static const spand_column_t columns[] = {
    {SPAND_TABLE_VERTEX, "x", SPAND_REAL,
     "horizontal position in [0, 1] (null when the view is too large to "
     "draw person by person)"},
    {SPAND_TABLE_VERTEX, "y", SPAND_REAL, "vertical position in [0, 1]"},
    {SPAND_TABLE_VERTEX, "degree", SPAND_INT,
     "people tied to this person (either direction)"},
    {SPAND_TABLE_GROUP, "x", SPAND_REAL,
     "horizontal position of the group in the group-level network (groups "
     "on a circle), [0, 1]"},
    {SPAND_TABLE_GROUP, "y", SPAND_REAL, "vertical position, [0, 1]"},
    {SPAND_TABLE_GROUP, "people", SPAND_INT, "people of the group in the view"},
    {SPAND_TABLE_GROUP, "ties", SPAND_INT, "ties within the group"},
    {SPAND_TABLE_NETWORK, "people_drawn", SPAND_INT,
     "1 when people have positions, 0 when only groups do"},
};

/* Start positions in a square of side sqrt(n), from the seed alone. */
static void start_positions(igraph_matrix_t *m, igraph_integer_t n,
                            uint64_t seed)
{
    const double side = sqrt((double)(n > 0 ? n : 1));
    for (igraph_integer_t i = 0; i < n; i++) {
        MATRIX(*m, i, 0) = side * (double)(splitmix64(&seed) >> 11) / 0x1p53;
        MATRIX(*m, i, 1) = side * (double)(splitmix64(&seed) >> 11) / 0x1p53;
    }
}

/* Scale rows of m into [0, 1]^2 keeping the aspect ratio, centred. */
static void unit_square(igraph_matrix_t *m, igraph_integer_t n)
{
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (igraph_integer_t i = 0; i < n; i++)
        for (int d = 0; d < 2; d++) {
            lo[d] = fmin(lo[d], MATRIX(*m, i, d));
            hi[d] = fmax(hi[d], MATRIX(*m, i, d));
        }
    double span = fmax(hi[0] - lo[0], hi[1] - lo[1]);
    for (igraph_integer_t i = 0; i < n; i++)
        for (int d = 0; d < 2; d++) {
            double off = (span - (hi[d] - lo[d])) / 2;
            MATRIX(*m, i, d) =
                span > 0 ? (MATRIX(*m, i, d) - lo[d] + off) / span : 0.5;
        }
}

/* Lay out graph (with optional weights) into res, deterministically. */
static int lay_out(const spand_api_t *api, spand_run_t *r, const igraph_t *g,
                   const igraph_vector_t *weights, igraph_matrix_t *res,
                   uint64_t seed, igraph_integer_t iterations)
{
    igraph_integer_t n = igraph_vcount(g);
    if (igraph_matrix_resize(res, n, 2) != IGRAPH_SUCCESS)
        return -1;
    start_positions(res, n, seed);
    igraph_rng_seed(igraph_rng_default(), (igraph_uint_t)seed);
    if (n < 2) {
        unit_square(res, n);
        return 0;
    }
    if (igraph_layout_fruchterman_reingold(
            g, res, /*use_seed=*/1, iterations, sqrt((double)n) / 10,
            IGRAPH_LAYOUT_GRID, weights, NULL, NULL, NULL,
            NULL) != IGRAPH_SUCCESS) {
        api->log(r, SPAND_LOG_ERR,
                 "layout: igraph could not lay out %lld "
                 "vertices",
                 (long long)n);
        return -1;
    }
    unit_square(res, n);
    return 0;
}

/* The collapse's edges {i < j} as an igraph graph. */
static int person_graph(const nbrs_t *c, igraph_t *g)
{
    igraph_vector_int_t el;
    if (igraph_vector_int_init(&el, 0) != IGRAPH_SUCCESS)
        return -1;
    int rc = 0;
    for (igraph_integer_t i = 0; i < c->n && rc == 0; i++)
        for (igraph_integer_t k = c->off[i]; k < c->off[i + 1] && rc == 0; k++)
            if (c->adj[k] > i &&
                (igraph_vector_int_push_back(&el, i) != IGRAPH_SUCCESS ||
                 igraph_vector_int_push_back(&el, c->adj[k]) != IGRAPH_SUCCESS))
                rc = -1;
    if (rc == 0 &&
        igraph_create(g, &el, c->n, IGRAPH_UNDIRECTED) != IGRAPH_SUCCESS)
        rc = -1;
    igraph_vector_int_destroy(&el);
    return rc;
}

/* Groups on a circle in their order (byte order of names), starting at
 * the top and going clockwise: a handful of nodes never overlap, each
 * line between two groups can be seen, and the picture does not move
 * when ties change. (A force layout of a few heavy nodes piles tied
 * groups on each other and flings untied ones to the corners.) */
static int circle(igraph_matrix_t *m, igraph_integer_t G)
{
    if (igraph_matrix_resize(m, G, 2) != IGRAPH_SUCCESS)
        return -1;
    for (igraph_integer_t s = 0; s < G; s++) {
        double a = 2 * M_PI * (double)s / (double)(G > 0 ? G : 1);
        MATRIX(*m, s, 0) = G > 1 ? 0.5 + 0.5 * sin(a) : 0.5;
        MATRIX(*m, s, 1) = G > 1 ? 0.5 - 0.5 * cos(a) : 0.5;
    }
    return 0;
}

static int groups_part(const spand_api_t *api, spand_run_t *r,
                       const spand_view_t *view, const nbrs_t *c)
{
    const igraph_integer_t G = view->ngroups;
    double *ties = calloc((size_t)G + 1, sizeof *ties); /* within s */
    double *people = calloc((size_t)G + 1, sizeof *people);
    igraph_matrix_t m;
    int rc = -1;
    if (ties && people && igraph_matrix_init(&m, 0, 2) == IGRAPH_SUCCESS) {
        for (igraph_integer_t i = 0; i < c->n; i++) {
            igraph_integer_t gi = VECTOR(*view->group)[i];
            people[gi] += 1;
            for (igraph_integer_t k = c->off[i]; k < c->off[i + 1]; k++)
                if (c->adj[k] > i && VECTOR(*view->group)[c->adj[k]] == gi)
                    ties[gi] += 1;
        }
        if (circle(&m, G) == 0) {
            for (igraph_integer_t s = 0; s < G; s++) {
                api->set(r, SPAND_TABLE_GROUP, s, G_X, MATRIX(m, s, 0));
                api->set(r, SPAND_TABLE_GROUP, s, G_Y, MATRIX(m, s, 1));
                api->set(r, SPAND_TABLE_GROUP, s, G_PEOPLE, people[s]);
                api->set(r, SPAND_TABLE_GROUP, s, G_TIES, ties[s]);
            }
            rc = 0;
        }
        igraph_matrix_destroy(&m);
    }
    if (rc != 0)
        api->log(r, SPAND_LOG_ERR, "layout: out of memory (%lld groups)",
                 (long long)G);
    free(ties);
    free(people);
    return rc;
}

static int people_part(const spand_api_t *api, spand_run_t *r, const nbrs_t *c,
                       uint64_t seed, igraph_integer_t iterations)
{
    igraph_t g;
    igraph_matrix_t m;
    if (person_graph(c, &g) != 0) {
        api->log(r, SPAND_LOG_ERR, "layout: out of memory (%lld people)",
                 (long long)c->n);
        return -1;
    }
    int rc = -1;
    if (igraph_matrix_init(&m, 0, 2) == IGRAPH_SUCCESS) {
        if (lay_out(api, r, &g, NULL, &m, seed, iterations) == 0) {
            for (igraph_integer_t i = 0; i < c->n; i++) {
                api->set(r, SPAND_TABLE_VERTEX, i, V_X, MATRIX(m, i, 0));
                api->set(r, SPAND_TABLE_VERTEX, i, V_Y, MATRIX(m, i, 1));
            }
            rc = 0;
        }
        igraph_matrix_destroy(&m);
    }
    igraph_destroy(&g);
    return rc;
}

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *view)
{
    (void)state;
    const int64_t seed = api->param_int(r, "seed");
    const int64_t iterations = api->param_int(r, "iterations");
    const int64_t max_people = api->param_int(r, "max_people");
    if (iterations < 1 || iterations > 100000 || max_people < 0) {
        api->log(r, SPAND_LOG_ERR,
                 "layout: iterations must be 1..100000 and max_people >= 0");
        return -1;
    }
    nbrs_t c = {0, NULL, NULL, NULL};
    if (nbrs_build(api, r, view, &c, "layout") != 0)
        return -1;
    int rc = groups_part(api, r, view, &c);
    for (igraph_integer_t i = 0; rc == 0 && i < c.n; i++)
        api->set(r, SPAND_TABLE_VERTEX, i, V_DEGREE,
                 (double)(c.off[i + 1] - c.off[i]));
    const int drawn = c.n <= max_people;
    if (rc == 0 && drawn)
        rc = people_part(api, r, &c, (uint64_t)seed, iterations);
    else if (rc == 0) {
        char note[160];
        snprintf(note, sizeof note,
                 "%lld people is more than max_people (%lld): only the "
                 "group-level network is laid out",
                 (long long)c.n, (long long)max_people);
        api->note(r, note);
        for (igraph_integer_t i = 0; i < c.n; i++) {
            api->set(r, SPAND_TABLE_VERTEX, i, V_X, NAN);
            api->set(r, SPAND_TABLE_VERTEX, i, V_Y, NAN);
        }
    }
    if (rc == 0)
        api->set(r, SPAND_TABLE_NETWORK, 0, N_DRAWN, drawn);
    nbrs_free(&c);
    return rc;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "layout",
    .version = "1.0",
    .summary = "positions for drawing the view: people (Fruchterman-Reingold) "
               "and the group-level network",
    .licence = "MIT",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
