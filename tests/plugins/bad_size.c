/* bad_size.c - a test plugin the loader must refuse: its descriptor size
 * is half the daemon's.
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
    .size = sizeof(spand_plugin_t) / 2,
    .abi_major = SPAND_ABI_MAJOR,
    .abi_minor = SPAND_ABI_MINOR,
    .igraph_major = IGRAPH_VERSION_MAJOR,
    .igraph_minor = IGRAPH_VERSION_MINOR,
    .igraph_integer_size = sizeof(igraph_integer_t),
    .name = "bad_size",
    .version = "1.0",
    .summary = "test plugin: its descriptor size is half the daemon's",
    .licence = "MIT",
    .columns = columns,
    .ncolumns = 1,
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
