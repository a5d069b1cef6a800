/* loader.h - finding, checking, loading and retiring analysis plugins.
 *
 * A registry holds the plugins loaded from two directories: builtin_dir
 * (shipped with spand, installed by the package) and dir (the site's own).
 * Before any plugin code beyond its describe function runs, the loader
 * checks the file (a regular file, not writable by group or others, owned
 * by root or by the daemon's user, in a directory that is not writable by
 * group or others either) and the descriptor's header (size, ABI major and
 * minor, igraph version and integer size), naming the field that differs.
 *
 * Each plugin is loaded from a private in-memory copy of its file (a
 * memfd), checked against the very file that was inspected: the dynamic
 * linker matches objects by path, so loading the path itself would hand
 * back the old code after a replacement, and a file rewritten in place
 * would change under running analyses.
 *
 * A plugin is reference-counted: the registry holds one reference and every
 * running analysis one more. A rescan that finds a file removed or replaced
 * retires the old plugin: it leaves the registry at once and is unloaded
 * (fini, dlclose) when its last analysis finishes. Loop thread only. */
#ifndef SPAND_PLUGIN_LOADER_H
#define SPAND_PLUGIN_LOADER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spand/plugin.h"

typedef struct plugin {
    unsigned refs;
    char *name; /* desc->name, copied */
    char *file;
    bool builtin;
    bool retired;
    void *dl;
    int memfd; /* the private copy dl was loaded from; -1 when none */
    const spand_plugin_t *desc;
    void *state; /* from init() */
    dev_t dev;
    ino_t ino;
    int64_t mtime_ns;
    off_t fsize;
    int ncols[4]; /* declared columns per table kind */
    /* statistics, for status */
    uint64_t runs, errors, cache_hits;
    double busy_ms;
} plugin_t;

typedef struct loader_registry {
    plugin_t **items;
    size_t n, cap;
    json_t *refused; /* [{file, reason}] from the last scan */
} loader_registry_t;

void loader_init(loader_registry_t *r);
/* Retire every plugin (unloaded once unused) and free the registry. */
void loader_free(loader_registry_t *r);

/* Rescan both directories (either may be NULL or missing). api is handed
 * to init(). If report is not NULL it receives {loaded: [names], removed:
 * [names], refused: [{file, reason}]}. Returns 0 (problems with single
 * files are reported, not fatal). */
int loader_scan(loader_registry_t *r, const char *builtin_dir,
                         const char *dir, const spand_api_t *api,
                         json_t **report);

/* In an analysis child: load the plugin whose object is in fd (taking
 * the descriptor), with the same descriptor checks, and call init().
 * NULL with the reason in why. Unload with loader_unref(). */
plugin_t *loader_open_fd(int fd, const char *label, const spand_api_t *api,
                         char *why, size_t n);

/* The plugin named name with a new reference, or NULL. */
plugin_t *loader_get(loader_registry_t *r, const char *name);
void loader_ref(plugin_t *p);
/* Drop a reference; a retired plugin is unloaded with its last one. */
void loader_unref(plugin_t *p);

/* Columns of table kind k in declaration order: the i-th of them is
 * desc->columns[loader_column_index(p, k, i)]. */
size_t loader_column_index(const plugin_t *p, spand_table_kind_t k, int i);

/* Describe the registry as the `plugins` RPC result. */
json_t *loader_json(const loader_registry_t *r);
const char *loader_type_name(spand_type_t t);
const char *loader_table_name(spand_table_kind_t k);

#endif
