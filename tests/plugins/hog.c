/* hog.c - a hostile test plugin whose run() allocates and touches memory
 * without bound (16 MiB at a time, every page written, nothing freed),
 * never polling api->cancelled(). Like careless code it does not check
 * what malloc() returns: under an address-space limit it then crashes
 * writing through NULL. The daemon must stop it at its memory limit and
 * report "memory". */
#include <spand/plugin.h>
#include <stdlib.h>

static const spand_column_t columns[] = {
    {SPAND_TABLE_NETWORK, "zero", SPAND_INT, "never set: run() misbehaves"},
};

#define CHUNK ((size_t)16 << 20)

/* Every chunk allocated, chained through its first word. */
static void *volatile hoard;

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *v)
{
    (void)state;
    (void)v;
    (void)api;
    (void)r;
    for (;;) {
        char *volatile chunk = malloc(CHUNK);
        for (size_t off = 0; off < CHUNK; off += 4096)
            chunk[off] = 1;
        /* Chain the chunks so that none is unreachable. */
        *(void **)chunk = hoard;
        hoard = chunk;
    }
    return 0;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "hog",
    .version = "1.0",
    .summary = "test plugin: allocates memory without bound",
    .licence = "MIT",
    .columns = columns,
    .ncolumns = 1,
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
