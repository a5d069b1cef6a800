/* viewdump - a test plugin that reports the view it was given, so the
 * tests can check how views are built: per person out/in degree and the
 * summed weight of their out-arcs; per network the counts, and the arcs
 * and baseline as text. */
#include <spand/plugin.h>
#include <stdio.h>
#include <string.h>

static const spand_column_t columns[] = {
    {SPAND_TABLE_VERTEX, "out", SPAND_INT, "arcs from the person"},
    {SPAND_TABLE_VERTEX, "in", SPAND_INT, "arcs to the person"},
    {SPAND_TABLE_VERTEX, "out_weight", SPAND_REAL, "weight of those arcs"},
    {SPAND_TABLE_GROUP, "members", SPAND_INT, "vertices in the group"},
    {SPAND_TABLE_NETWORK, "vertices", SPAND_INT, "vertices"},
    {SPAND_TABLE_NETWORK, "arcs", SPAND_INT, "arcs"},
    {SPAND_TABLE_NETWORK, "excluded", SPAND_INT, "excluded people"},
    {SPAND_TABLE_NETWORK, "arc_list", SPAND_STRING, "a>b:w, in order"},
    {SPAND_TABLE_NETWORK, "baseline_vertices", SPAND_INT, "or null"},
    {SPAND_TABLE_NETWORK, "baseline_arcs", SPAND_STRING, "a>b:w, or null"},
};

static void arcs_text(const spand_view_t *v, char *buf, size_t n)
{
    size_t off = 0;
    buf[0] = '\0';
    for (igraph_integer_t e = 0; e < igraph_ecount(v->graph) && off < n; e++) {
        int w =
            snprintf(buf + off, n - off, "%s%s>%s:%g", e ? " " : "",
                     v->keys[IGRAPH_FROM(v->graph, e)],
                     v->keys[IGRAPH_TO(v->graph, e)], VECTOR(*v->weights)[e]);
        if (w < 0)
            break;
        off += (size_t)w;
    }
}

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *v)
{
    (void)state;
    api->progress(r, 0.5); /* the first report always goes out */
    igraph_integer_t n = igraph_vcount(v->graph);
    static char text[65536];
    for (igraph_integer_t i = 0; i < n; i++) {
        igraph_integer_t out, in;
        igraph_degree_1(v->graph, &out, i, IGRAPH_OUT, IGRAPH_NO_LOOPS);
        igraph_degree_1(v->graph, &in, i, IGRAPH_IN, IGRAPH_NO_LOOPS);
        api->set(r, SPAND_TABLE_VERTEX, i, 0, (double)out);
        api->set(r, SPAND_TABLE_VERTEX, i, 1, (double)in);
        api->set(r, SPAND_TABLE_VERTEX, i, 2, 0);
    }
    double w[4096] = {0};
    for (igraph_integer_t e = 0; e < igraph_ecount(v->graph); e++)
        if (IGRAPH_FROM(v->graph, e) < 4096)
            w[IGRAPH_FROM(v->graph, e)] += VECTOR(*v->weights)[e];
    for (igraph_integer_t i = 0; i < n && i < 4096; i++)
        api->set(r, SPAND_TABLE_VERTEX, i, 2, w[i]);
    for (igraph_integer_t g = 0; g < v->ngroups; g++) {
        igraph_integer_t m = 0;
        for (igraph_integer_t i = 0; i < n; i++)
            m += VECTOR(*v->group)[i] == g;
        api->set(r, SPAND_TABLE_GROUP, g, 0, (double)m);
    }
    api->set(r, SPAND_TABLE_NETWORK, 0, 0, (double)n);
    api->set(r, SPAND_TABLE_NETWORK, 0, 1, (double)igraph_ecount(v->graph));
    api->set(r, SPAND_TABLE_NETWORK, 0, 2, (double)v->excluded);
    arcs_text(v, text, sizeof text);
    api->set_text(r, SPAND_TABLE_NETWORK, 0, 3, text);
    if (v->baseline) {
        api->set(r, SPAND_TABLE_NETWORK, 0, 4,
                 (double)igraph_vcount(v->baseline->graph));
        arcs_text(v->baseline, text, sizeof text);
        api->set_text(r, SPAND_TABLE_NETWORK, 0, 5, text);
    }
    return 0;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "viewdump",
    .version = "1.0",
    .summary = "test plugin: reports the view it was given",
    .licence = "MIT",
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
