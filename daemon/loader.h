/* loader.h - finding, checking, loading and retiring analysis plugins.
 *
 * A registry holds the plugins found in two directories: builtin_dir
 * (where the package installs the plugins built with spand) and dir (the
 * site's own). Both directories, every directory above them, and every
 * file are checked before anything is loaded (loader.c, check_path):
 * owned by root or the daemon's user, writable by nobody else, plugin
 * files regular files (not symbolic links).
 *
 * No plugin code runs in the daemon before the plugin is known to be
 * built in. Each candidate is copied into a sealed private memfd and
 * loaded first in a scan child (`spand --scan-child`, posix_spawn of this
 * very binary): the child runs its constructors, describe(), the
 * descriptor checks, init() and fini(), and reports the descriptor's
 * facts through a pipe in a length-checked form. A crash, an exit() or a
 * hang there costs that file ("crashed in init (signal 11, ...)"), never
 * the daemon. The daemon keeps only what the child reported, checked
 * again.
 *
 * "Built in" means built from the same tree as this daemon: the file
 * carries the build's random id (spand-build-id.h, generated at build
 * time) as the exported symbol spand_plugin_build_id, read by the daemon
 * from the ELF image without running anything. Only such a plugin is also
 * loaded in the daemon (for isolation "thread"); every other plugin, in
 * whatever folder, exists in the daemon only as its reported facts and
 * runs in analysis children (engine.c). Built-ins win name clashes.
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
    bool builtin;    /* carries this build's id */
    bool in_process; /* dlopened in this process: desc->run may be called */
    bool retired;
    void *dl;  /* NULL unless in_process */
    int memfd; /* the sealed private copy; -1 when none */
    /* The descriptor, always full size (a smaller one of an older minor
     * is copied into zeroes). In the daemon, for a plugin that is not in
     * process, its strings and arrays are the scan child's report, owned
     * here, and run, init and fini are NULL. */
    const spand_plugin_t *desc;
    spand_plugin_t desc_copy;
    json_t *facts;         /* the report desc_copy's strings live in */
    spand_param_t *params; /* owned arrays of desc_copy, or NULL */
    spand_column_t *columns;
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
    json_t *dirs;    /* [{dir, kind, status}] of the last scan */
} loader_registry_t;

void loader_init(loader_registry_t *r);
/* Retire every plugin (unloaded once unused) and free the registry. */
void loader_free(loader_registry_t *r);

/* Rescan both directories (either may be NULL or missing). When
 * builtin_dir does not exist and this executable is the one in its own
 * build tree, that tree's plugins/.libs is scanned instead (so `./spand
 * -f` finds the built-ins). api is handed to init() of built-ins. If
 * report is not NULL it receives {loaded: [names], removed: [names],
 * refused: [{file, reason}]}. Returns 0 (problems with single files are
 * reported, not fatal); logs a warning when no plugin at all is loaded. */
int loader_scan(loader_registry_t *r, const char *builtin_dir, const char *dir,
                const spand_api_t *api, json_t **report);

/* Main of `spand --scan-child LABEL`: the plugin's object on fd 3, the
 * report pipe on fd 4 (see loader.c, "the scan child"). init() gets api. */
int loader_scan_child_main(int argc, char **argv, const spand_api_t *api);

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

/* ---- internal, exposed for tests/unit/check_loader.c ------------------ */

/* The descriptor ABI a daemon speaks: its minor, the size of the
 * descriptor at each minor 0..minor (min_size[m]), and the full size. */
typedef struct loader_abi {
    unsigned minor;
    const size_t *min_size;
    size_t full_size;
} loader_abi_t;

/* This daemon's ABI. */
const loader_abi_t *loader_abi(void);

/* Check the header of descriptor d against abi (size at least that of its
 * declared minor, same major, minor not newer, igraph) and copy its
 * d->size bytes (at most abi->full_size) into out, abi->full_size bytes
 * zeroed beyond them. 0, or -1 with the field that differs in why. */
int loader_check_header(const spand_plugin_t *d, const loader_abi_t *abi,
                        void *out, char *why, size_t n);

/* Does the ELF image (len bytes) carry this build's id? */
bool loader_image_is_builtin(const void *image, size_t len);

#endif
