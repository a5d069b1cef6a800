/* load_hostile.c - test plugins that misbehave while being loaded, one
 * behaviour per build (-DHOSTILE_...; the name in HOSTILE_NAME):
 *   CTOR_SEGV, CTOR_EXIT     a constructor writes through NULL / exit(7)
 *   DESCRIBE_SEGV            spand_plugin_describe writes through NULL
 *   INIT_SEGV, INIT_EXIT     init() writes through NULL / exit(7)
 *   FINI_SEGV                fini() writes through NULL
 *   INIT_LOG                 loads, but tries to forge log lines: a
 *                            constructor writes raw lines to stderr and
 *                            init() logs text with newlines and escapes.
 * The loader must refuse each file that fails (naming it and where it
 * failed) and keep serving; none of this may run in the daemon. */
#include <spand/plugin.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef HOSTILE_NAME
#error HOSTILE_NAME must be set
#endif

/* Volatile pointer to volatile: the compiler can neither see that it is
 * NULL (and emit a trap, SIGILL) nor drop the store. */
__attribute__((unused)) static void crash(void)
{
    volatile int *volatile p = NULL;
    *p = 42;
}

#if defined(HOSTILE_CTOR_SEGV) || defined(HOSTILE_CTOR_EXIT) ||                \
    defined(HOSTILE_INIT_LOG)
__attribute__((constructor)) static void hostile_ctor(void)
{
#ifdef HOSTILE_CTOR_SEGV
    crash();
#elif defined(HOSTILE_CTOR_EXIT)
    exit(7);
#else
    fputs("\n<3>FORGED-BY-CONSTRUCTOR spand listening\n", stderr);
    fflush(stderr);
#endif
}
#endif

static int init(const spand_api_t *api, void **state)
{
    (void)api;
    *state = NULL;
#ifdef HOSTILE_INIT_SEGV
    crash();
#elif defined(HOSTILE_INIT_EXIT)
    exit(7);
#elif defined(HOSTILE_INIT_LOG)
    api->log(NULL, SPAND_LOG_WARNING,
             "harmless\n<3>FORGED-BY-INIT spand listening\r\x1b[2J");
#endif
    return 0;
}

static void fini(void *state)
{
    (void)state;
#ifdef HOSTILE_FINI_SEGV
    crash();
#endif
}

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
    .name = HOSTILE_NAME,
    .version = "1.0",
    .summary = "test plugin: misbehaves while being loaded",
    .licence = "MIT",
    .columns = columns,
    .ncolumns = 1,
    .init = init,
    .run = run,
    .fini = fini,
};

#ifdef HOSTILE_DESCRIBE_SEGV
__attribute__((visibility("default"))) const spand_plugin_t *
spand_plugin_describe(void);
const spand_plugin_t *spand_plugin_describe(void)
{
    crash();
    return &plugin;
}
#else
SPAND_PLUGIN_EXPORT(plugin)
#endif
