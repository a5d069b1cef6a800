/* segv.c - a hostile test plugin whose run() writes through a NULL
 * pointer: the daemon must survive and report a crash (SIGSEGV) naming it. */
#include <spand/plugin.h>

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
    /* Volatile pointer to volatile: the compiler can neither see that it
     * is NULL (and emit a trap instruction, SIGILL) nor drop the store. */
    volatile int *volatile p = NULL;
    *p = 42;
    return 0;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER, .name = "segv",
    .version = "1.0",    .summary = "test plugin: dereferences NULL",
    .licence = "MIT",    .columns = columns,
    .ncolumns = 1,       .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
