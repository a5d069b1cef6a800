/* bad_igraph_int.c - a test plugin the loader must refuse: it claims a
 * 32-bit igraph_integer_t (igraph_integer_size 4).
 * Everything else about it is valid, so the refusal can only be for that
 * field, and the reason must name it. */
#include <spand/plugin.h>

static const spand_column_t columns[] = {
    {SPAND_TABLE_NETWORK, "zero", SPAND_INT, "always 0"},
};

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *v)
{
    (void)state;
    (void)v;
    api->set(r, SPAND_TABLE_NETWORK, 0, 0, 0);
    return 0;
}

static const spand_plugin_t plugin = {
    .size = sizeof(spand_plugin_t),
    .abi_major = SPAND_ABI_MAJOR,
    .abi_minor = SPAND_ABI_MINOR,
    .igraph_major = IGRAPH_VERSION_MAJOR,
    .igraph_minor = IGRAPH_VERSION_MINOR,
    .igraph_integer_size = 4,
    .name = "bad_igraph_int",
    .version = "1.0",
    .summary = "test plugin: igraph_integer_size 4",
    .licence = "MIT",
    .columns = columns,
    .ncolumns = 1,
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
