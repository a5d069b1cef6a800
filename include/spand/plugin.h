/* spand/plugin.h - the public SDK for spand analysis plugins.
 *
 * This is the only header a plugin needs. A plugin is a shared object in
 * spand's plugin directory that computes one analysis of a network (a
 * "view") and fills result tables. It does not link against the daemon:
 * everything it may call comes in the spand_api_t function table.
 *
 * A minimal plugin:
 *
 *     #include <spand/plugin.h>
 *
 *     static const spand_column_t cols[] = {
 *         {SPAND_TABLE_VERTEX, "degree", SPAND_REAL, "ties of the person"},
 *     };
 *     static int run(void *state, const spand_api_t *api, spand_run_t *r,
 *                    const spand_view_t *v)
 *     {
 *         for (igraph_integer_t i = 0; i < igraph_vcount(v->graph); i++) {
 *             igraph_integer_t d;
 *             igraph_degree_1(v->graph, &d, i, IGRAPH_OUT, IGRAPH_NO_LOOPS);
 *             api->set(r, SPAND_TABLE_VERTEX, i, 0, (double)d);
 *         }
 *         return 0;
 *     }
 *     static const spand_plugin_t plugin = {
 *         SPAND_PLUGIN_HEADER, .name = "degree", .version = "1.0",
 *         .summary = "out-degree of each person", .licence = "MIT",
 *         .columns = cols, .ncolumns = 1, .run = run,
 *     };
 *     SPAND_PLUGIN_EXPORT(plugin)
 *
 * Build it with the flags of `pkg-config --cflags spand-plugin` as a shared
 * object (-shared -fPIC), and copy it into the directory that
 * `pkg-config --variable=plugindir spand-plugin` names (or the daemon's
 * configured [plugins] dir); then `spanctl reload`.
 *
 * Where and how often your code runs. spand never runs a plugin's code
 * in the daemon itself unless the plugin is built in (below). When a
 * file is found (at start, and at each `spanctl reload` for a new or
 * changed file) spand loads it in a short-lived scan process: your
 * constructors, describe(), init() and fini() run there once, and only
 * the descriptor's facts (names, types, texts) come back to the daemon.
 * A crash, exit() or hang there refuses the file ("crashed in init
 * (signal 11, ...)"); the daemon keeps serving. Each analysis then runs
 * in a new process of its own with a time and memory limit: your
 * constructors, describe() and init() run again there, then run() once;
 * the process ends without calling fini() or destructors. So init() runs
 * once per scan and once per analysis, each time in a fresh process:
 * keep it cheap, and never rely on state surviving between analyses.
 *
 * Built-in plugins are those built from spand's own source tree together
 * with the daemon: the build generates a random id (spand-build-id.h)
 * that the daemon and each built-in plugin compile in, and
 * SPAND_PLUGIN_EXPORT then also exports it as spand_plugin_build_id. The
 * daemon reads that symbol from the file's ELF image, without running
 * it, and only a file carrying its own build's id counts as built in,
 * whatever directory it is in; a plugin built elsewhere and installed in
 * the built-in directory is not. Built-ins, after the same scan process,
 * are also loaded in the daemon (init() on its main thread, fini() at
 * unload) and may run in analysis worker threads ([isolation]).
 *
 * Several run() calls of one plugin may overlap (in different processes,
 * or threads for built-ins): state given by init() must be treated as
 * read-only in run(). Do not install signal handlers, create threads or
 * processes that outlive run(), or write to stdout.
 *
 * Memory. The view and everything it points to belong to spand and are
 * valid for the duration of run() only; never modify them. Strings passed
 * to api functions are copied by spand before they return.
 *
 * Values. Result cells are doubles; NaN means "undefined" and is sent to
 * clients as JSON null (never as 0 or NaN). Integral counts are exact up to
 * 2^53. Text cells (for example a list of names) use set_text().
 */
#ifndef SPAND_PLUGIN_H
#define SPAND_PLUGIN_H

#include <igraph.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version. The major changes when a layout below changes in a way an
 * existing plugin would misread; the daemon loads only plugins of its own
 * major. The minor grows when fields are appended to spand_plugin_t (or
 * spand_api_t): a plugin built against minor N loads in a daemon of any
 * minor >= N. The daemon keeps the descriptor size of every minor; it
 * accepts a descriptor whose size is at least that of its declared minor
 * and copies it into a zeroed descriptor of its own size, so fields newer
 * than the plugin read as 0 / NULL. A plugin built against a newer minor
 * than the daemon's is refused (it may rely on what the daemon lacks). */
#define SPAND_ABI_MAJOR 1
#define SPAND_ABI_MINOR 1

/* Types of parameters and columns. */
typedef enum spand_type {
    SPAND_BOOL = 1,   /* parameter: true/false */
    SPAND_INT = 2,    /* 64-bit integer */
    SPAND_REAL = 3,   /* double */
    SPAND_STRING = 4, /* UTF-8 text */
    /* ABI 1.1, parameters only: the name of a people attribute (text, ""
     * = none), optionally followed by "=VALUE" (e.g. "programme=2025").
     * spand loads the values of the attribute named before any '=' for
     * the view's people (main and baseline views), for
     * api->vertex_attr(). Read it with param_string(). */
    SPAND_ATTRIBUTE = 5,
} spand_type_t;

/* The result tables. Key columns are added by spand: vertex rows start
 * with the person's `id` and `group`, group rows with `group`, pair rows
 * with `group_a` and `group_b` (group_a <= group_b by index); the network
 * table has one row and no key. */
typedef enum spand_table_kind {
    SPAND_TABLE_VERTEX = 0,
    SPAND_TABLE_GROUP = 1,
    SPAND_TABLE_PAIR = 2,
    SPAND_TABLE_NETWORK = 3,
} spand_table_kind_t;

/* A declared parameter. default_value is the text form ("true", "1000",
 * "0.5", "") and must parse as type; help says what it does. */
typedef struct spand_param {
    const char *name;
    spand_type_t type;
    const char *default_value;
    const char *help;
} spand_param_t;

/* A declared output column, in the order of the column index used with
 * api->set(): index k refers to the k-th column declared for that table
 * (counting only that table's columns). type is SPAND_REAL, SPAND_INT
 * (printed without decimals) or SPAND_STRING (set with set_text()). */
typedef struct spand_column {
    spand_table_kind_t table;
    const char *name;
    spand_type_t type;
    const char *meaning;
} spand_column_t;

/* The network an analysis runs on: immutable, valid during run() only.
 *
 * graph is a simple directed igraph graph: no self-loops, no multi-arcs;
 * an undirected tie is two arcs (i->j and j->i). Vertex i is person
 * keys[i], in group group[i] (0 <= group < ngroups) named
 * group_names[group]. weights[e] is the summed weight of arc e (edge id
 * order of graph). Every vertex has a group: people without a value for
 * the boundary attribute are left out of the view (counted in excluded).
 * Group indices follow the order of group names (byte order). */
typedef struct spand_view {
    size_t size; /* sizeof(spand_view_t) as the daemon built it */
    const igraph_t *graph;
    const igraph_vector_t *weights;
    const igraph_vector_int_t *group;
    igraph_integer_t ngroups;
    const char *const *group_names;
    const char *const *keys;
    const char *boundary; /* the attribute that defines groups */
    int64_t from, to;     /* window [from, to) in Unix seconds */
    int64_t excluded;     /* people with ties but no boundary value */
    /* For plugins with SPAND_NEEDS_BASELINE: the same boundary over the
     * baseline window, else NULL. Its vertices are numbered on their own;
     * match people across views by keys. Its groups are numbered the same
     * as this view's (the union of both views' groups). */
    const struct spand_view *baseline;
} spand_view_t;

/* One run of an analysis; opaque. */
typedef struct spand_run spand_run_t;

/* Log levels for api->log (syslog priorities). */
#define SPAND_LOG_ERR 3
#define SPAND_LOG_WARNING 4
#define SPAND_LOG_INFO 6
#define SPAND_LOG_DEBUG 7

/* What spand offers a plugin. Begins with its size and only ever grows
 * at the end: check api->size >= offsetof(spand_api_t, member) +
 * sizeof(api->member) before using a member added after ABI 1.0. */
typedef struct spand_api {
    size_t size;

    /* Parameters, as the client gave them or by their declared default.
     * Asking for an undeclared name, or with the wrong type, returns 0 /
     * NaN / "" and logs the mistake. Strings live until run() returns. */
    int (*param_bool)(spand_run_t *run, const char *name);
    int64_t (*param_int)(spand_run_t *run, const char *name);
    double (*param_real)(spand_run_t *run, const char *name);
    const char *(*param_string)(spand_run_t *run, const char *name);

    /* Set one cell. row is the vertex id (vertex table), the group index
     * (group table), 0 (network table); for the pair table use
     * set_pair(). col is the index among the table's declared columns.
     * Returns 0, or -1 for a row or column out of range (logged). */
    int (*set)(spand_run_t *run, spand_table_kind_t table, igraph_integer_t row,
               int col, double value);
    int (*set_pair)(spand_run_t *run, igraph_integer_t group_a,
                    igraph_integer_t group_b, int col, double value);
    /* Set a text cell (a SPAND_STRING column); text is copied. For the
     * pair table, row is group_a * ngroups + group_b. */
    int (*set_text)(spand_run_t *run, spand_table_kind_t table,
                    igraph_integer_t row, int col, const char *text);

    /* A sentence for the client about the result as a whole, for example
     * "estimated from 500 random sources". */
    void (*note)(spand_run_t *run, const char *text);
    void (*log)(spand_run_t *run, int level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    /* Report progress in [0, 1]; cheap, call it from outer loops. */
    void (*progress)(spand_run_t *run, double fraction);
    /* Non-zero once the client has gone or the time limit is near: return
     * from run() promptly (any value). Cheap; poll it in outer loops. */
    int (*cancelled)(spand_run_t *run);

    /* ABI 1.1. The value of attribute attr for vertex v of view (the view
     * run() was given or its baseline), or NULL when the person has no
     * value or attr is not carried by the view. Carried: the boundary,
     * the `within` attribute of the request, and every attribute named by
     * a SPAND_ATTRIBUTE parameter of the running plugin. The text lives
     * until run() returns. Check
     *     api->size >= offsetof(spand_api_t, vertex_attr) +
     *                  sizeof api->vertex_attr
     * before calling it (a daemon of ABI 1.0 lacks it). */
    const char *(*vertex_attr)(spand_run_t *run, const spand_view_t *view,
                               igraph_integer_t v, const char *attr);
} spand_api_t;

/* Flags of a plugin. */
#define SPAND_NEEDS_BASELINE 0x1u /* run() needs view->baseline */

/* The descriptor. Begins with the fields SPAND_PLUGIN_HEADER fills, which
 * the loader checks before it calls anything else in the plugin. */
typedef struct spand_plugin {
    size_t size; /* sizeof(spand_plugin_t) */
    uint16_t abi_major, abi_minor;
    uint16_t igraph_major, igraph_minor; /* igraph the plugin was built with */
    uint16_t igraph_integer_size;        /* sizeof(igraph_integer_t) */

    const char *name;    /* [a-z0-9_]+, unique in the plugin directory */
    const char *version; /* the plugin's own version */
    const char *summary; /* one line, for `spanctl plugins` */
    const char *licence; /* SPDX identifier */
    const spand_param_t *params;
    size_t nparams;
    const spand_column_t *columns;
    size_t ncolumns;
    unsigned flags;

    /* Optional. Called after loading, in every process that loads the
     * plugin (the scan process, each analysis process, and the daemon
     * for built-ins: see the top of this file); *state is passed to run()
     * and fini() of that process. Return 0, or non-zero to refuse loading
     * (logged). */
    int (*init)(const spand_api_t *api, void **state);
    /* Required. Compute the analysis of view into run's tables. Return 0,
     * or non-zero on failure after api->log() says why. */
    int (*run)(void *state, const spand_api_t *api, spand_run_t *run,
               const spand_view_t *view);
    /* Optional. Called before unloading: in the scan process after
     * init(), and in the daemon for built-ins; not in analysis
     * processes, which just end. */
    void (*fini)(void *state);
} spand_plugin_t;

#define SPAND_PLUGIN_HEADER                                                    \
    .size = sizeof(spand_plugin_t), .abi_major = SPAND_ABI_MAJOR,              \
    .abi_minor = SPAND_ABI_MINOR, .igraph_major = IGRAPH_VERSION_MAJOR,        \
    .igraph_minor = IGRAPH_VERSION_MINOR,                                      \
    .igraph_integer_size = sizeof(igraph_integer_t)

/* The entry point every plugin exports. It must only return the address
 * of a constant descriptor. */
#define SPAND_PLUGIN_SYMBOL "spand_plugin_describe"
typedef const spand_plugin_t *(*spand_plugin_describe_fn)(void);

/* Built-in plugins only: the id of the build they belong to (see "Where
 * and how often your code runs" above). SPAND_BUILD_ID is defined by the
 * header spand's build generates, never by the installed SDK. */
#ifdef SPAND_BUILD_ID
#define SPAND_PLUGIN_BUILD_ID_                                                 \
    __attribute__((                                                            \
        visibility("default"))) extern const char spand_plugin_build_id[];     \
    __attribute__((visibility("default"), used))                               \
    const char spand_plugin_build_id[] = "spand-build-id:" SPAND_BUILD_ID;
#else
#define SPAND_PLUGIN_BUILD_ID_
#endif

#define SPAND_PLUGIN_EXPORT(descriptor)                                        \
    SPAND_PLUGIN_BUILD_ID_                                                     \
    __attribute__((visibility("default"))) const spand_plugin_t *              \
    spand_plugin_describe(void);                                               \
    const spand_plugin_t *spand_plugin_describe(void)                          \
    {                                                                          \
        return &(descriptor);                                                  \
    }

#ifdef __cplusplus
}
#endif
#endif
