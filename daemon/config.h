/* config.h - the daemon's configuration (INI, read with inih).
 *
 * Every key has a default, so spand runs without a config file; conf/
 * spand.conf documents them all. Relative paths in a config file are taken
 * relative to that file's directory (so a unit file can point at a config
 * anywhere); defaults are relative to the working directory at start. All
 * paths are made absolute at load time, because the daemon changes
 * directory when it goes to the background. Unknown sections or keys are
 * errors: a typo must not silently fall back to a default. */
#ifndef SPAND_CONFIG_H
#define SPAND_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum config_isolation { ISOLATION_PROCESS, ISOLATION_THREAD };

typedef struct config {
    char *path; /* the file read, or NULL for defaults only */

    /* [daemon] */
    char *socket;
    unsigned socket_mode;
    char *database;
    int log_level; /* syslog priority */
    char *pidfile; /* NULL: none */
    char *log_file; /* NULL: stderr (or syslog when in the background) */

    /* [store] */
    int synchronous;        /* sqlite PRAGMA synchronous: 0..3 */
    unsigned cache_mb;      /* sqlite page cache of the writer */
    unsigned commit_items;  /* most items in one group commit */
    unsigned ingest_queue;  /* most batches waiting for the writer */

    /* [limits] */
    size_t max_request_bytes;
    unsigned max_connections;
    size_t max_output_bytes;
    unsigned max_pipeline;    /* unanswered requests per connection */
    size_t max_inflight_bytes; /* request bytes being worked on, all clients */
    unsigned max_id_bytes;    /* ids of people, records, events */
    unsigned max_value_bytes; /* attribute values, kinds */
    unsigned max_rejects;     /* rejected items listed in one reply */
    unsigned idle_timeout_ms; /* close an idle connection; 0: never */
    unsigned request_timeout_ms; /* ... one stuck in a line; 0: never */

    /* [analysis] */
    unsigned workers;
    unsigned analysis_queue; /* analyses waiting for a worker */
    unsigned result_cache_mb; /* cached analysis results */
    unsigned timeout_ms;
    unsigned memory_limit_mb;
    unsigned analysis_nice; /* added to the nice value of analysis work */
    enum config_isolation isolation;

    /* [isolation] NAME = process|thread: per-plugin overrides */
    struct config_isolation_rule {
        char *plugin;
        enum config_isolation mode;
    } *isolation_rules;
    size_t nisolation_rules;

    /* [plugins] */
    char *plugin_dir;
    char *builtin_dir; /* plugins shipped with spand */
} config_t;

/* Fill *cfg with defaults, then read path (may be NULL). On error returns
 * -1 with a message naming the file, line and key in err; *cfg is then
 * freed. The caller frees a loaded config with config_free(). */
int config_load(const char *path, config_t *cfg, char *err, size_t errlen);
void config_free(config_t *cfg);
/* Print the effective configuration as INI (what spand -t shows). */
void config_print(const config_t *cfg, FILE *out);
const char *config_synchronous_name(int level);
/* Whether plugin name runs in a child process: its [isolation] rule, or
 * the [analysis] isolation for plugins that are not built in (built-in
 * ones run in threads unless a rule says otherwise). */
int config_isolate(const config_t *cfg, const char *name, int builtin);

#endif
