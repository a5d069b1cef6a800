/* spin.c - a hostile test plugin whose run() loops forever and never polls
 * api->cancelled(): only the time limit (or the client going away) can
 * stop it, by killing the process it runs in. */
#include <spand/plugin.h>

static const spand_column_t columns[] = {
    {SPAND_TABLE_NETWORK, "zero", SPAND_INT, "never set: run() misbehaves"},
};

/* Volatile, so that the loop has an effect and is not optimised away. */
static volatile unsigned long spins;

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *v)
{
    (void)state;
    (void)v;
    (void)api;
    (void)r;
    for (;;)
        spins++;
    return 0;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER, .name = "spin",
    .version = "1.0",    .summary = "test plugin: loops forever",
    .licence = "MIT",    .columns = columns,
    .ncolumns = 1,       .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
