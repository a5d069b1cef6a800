/* echo.c - a well-behaved test plugin: the out-degree of every person, and
 * every declared parameter echoed into the network table, so that tests
 * can see the values (defaults or the client's) that run() received. */
#include <spand/plugin.h>

static const spand_param_t params[] = {
    {"flag", SPAND_BOOL, "false", "echoed as the network column flag (0/1)"},
    {"count", SPAND_INT, "3", "echoed as the network column count"},
    {"ratio", SPAND_REAL, "0.5", "echoed as the network column ratio"},
    {"label", SPAND_STRING, "x", "echoed as the network column label"},
};

static const spand_column_t columns[] = {
    {SPAND_TABLE_VERTEX, "degree", SPAND_INT, "arcs leaving the person"},
    {SPAND_TABLE_NETWORK, "flag", SPAND_INT, "the parameter flag, 1 or 0"},
    {SPAND_TABLE_NETWORK, "count", SPAND_INT, "the parameter count"},
    {SPAND_TABLE_NETWORK, "ratio", SPAND_REAL, "the parameter ratio"},
    {SPAND_TABLE_NETWORK, "label", SPAND_STRING, "the parameter label"},
};

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *v)
{
    (void)state;
    igraph_integer_t n = igraph_vcount(v->graph);
    for (igraph_integer_t i = 0; i < n; i++) {
        igraph_integer_t d;
        if (igraph_degree_1(v->graph, &d, i, IGRAPH_OUT, IGRAPH_NO_LOOPS) !=
            IGRAPH_SUCCESS) {
            api->log(r, SPAND_LOG_ERR, "igraph_degree_1 failed");
            return 1;
        }
        api->set(r, SPAND_TABLE_VERTEX, i, 0, (double)d);
    }
    api->set(r, SPAND_TABLE_NETWORK, 0, 0, api->param_bool(r, "flag") ? 1 : 0);
    api->set(r, SPAND_TABLE_NETWORK, 0, 1, (double)api->param_int(r, "count"));
    api->set(r, SPAND_TABLE_NETWORK, 0, 2, api->param_real(r, "ratio"));
    api->set_text(r, SPAND_TABLE_NETWORK, 0, 3, api->param_string(r, "label"));
    api->note(r, "echo: parameters echoed");
    api->progress(r, 1.0);
    return 0;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "echo",
    .version = "1.0",
    .summary = "test plugin: out-degree and the parameters it was given",
    .licence = "MIT",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
