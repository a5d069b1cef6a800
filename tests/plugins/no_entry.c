/* no_entry.c - a test plugin the loader must refuse: a valid descriptor,
 * but the function that returns it is exported under another name than
 * spand_plugin_describe (a plausible typo), so the loader finds no entry
 * point and must say so, naming the symbol it looked for. */
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
    SPAND_PLUGIN_HEADER,
    .name = "no_entry",
    .version = "1.0",
    .summary = "test plugin: exports no spand_plugin_describe",
    .licence = "MIT",
    .columns = columns,
    .ncolumns = 1,
    .run = run,
};

__attribute__((visibility("default"))) const spand_plugin_t *
spand_plugin_descibe(void);

const spand_plugin_t *spand_plugin_descibe(void)
{
    return &plugin;
}
