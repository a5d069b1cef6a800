/* abort.c - a hostile test plugin whose run() calls abort(): the daemon must
 * survive and report a crash (SIGABRT) naming it. */
#include <spand/plugin.h>
#include <stdlib.h>

static const spand_column_t columns[] = {
    {SPAND_TABLE_NETWORK, "zero", SPAND_INT, "never set: run() misbehaves"},
};

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *v)
{
    (void)state;
    (void)v;
    (void)api;
    (void)r;
    abort();
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER, .name = "abort",
    .version = "1.0",    .summary = "test plugin: calls abort()",
    .licence = "MIT",    .columns = columns,
    .ncolumns = 1,       .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
