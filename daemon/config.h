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
    int log_level;  /* syslog priority */
    char *pidfile;  /* NULL: none */
    char *log_file; /* NULL: stderr (or syslog when in the background) */

    /* [store] */
    int synchronous;       /* sqlite PRAGMA synchronous: 0..3 */
    unsigned cache_mb;     /* sqlite page cache of the writer */
    unsigned commit_items; /* most items in one group commit */
    unsigned ingest_queue; /* most batches waiting for the writer */

    /* [limits] */
    size_t max_request_bytes;
    unsigned max_connections;
    size_t max_output_bytes;
    unsigned max_pipeline;     /* unanswered requests per connection */
    size_t max_inflight_bytes; /* request bytes being worked on, all clients */
    unsigned max_id_bytes;     /* ids of people, records, events */
    unsigned max_value_bytes;  /* attribute values, kinds */
    unsigned max_rejects;      /* rejected items listed in one reply */
    unsigned max_event_participants; /* an event of k people: k(k-1)/2 ties */
    unsigned max_groups;         /* distinct values of an analysis boundary */
    double max_weight;           /* largest weight of a record or event */
    unsigned idle_timeout_ms;    /* close an idle connection; 0: never */
    unsigned request_timeout_ms; /* ... one stuck in a line; 0: never */

    /* [analysis] */
    unsigned workers;
    unsigned analysis_queue;  /* analyses waiting for a worker */
    unsigned result_cache_mb; /* cached analysis results */
    unsigned timeout_ms;
    unsigned memory_limit_mb;
    unsigned analysis_nice; /* added to the nice value of analysis work */
    enum config_isolation isolation;

    /* [isolation] NAME = process|thread: per-plugin overrides */
    struct config_isolation_rule {
        char *plugin;
        enum config_isolation mode;
    } * isolation_rules;
    size_t nisolation_rules;

    /* [plugins] */
    char *plugin_dir;
    char *builtin_dir; /* plugins shipped with spand */

    /* [access] comma lists of user names, @group names, numeric uids
     * (access.h); NULL: nobody beyond root and the daemon's own user */
    char *access_admin, *access_analyst, *access_writer, *access_reader;

    /* [privacy] (access part) */
    unsigned retention_days; /* erase records and events older; 0: never */
    /* [privacy] (privacy.h, doc/privacy.md) */
    unsigned min_group_size; /* fewer people: a cell is withheld */
    char *identifying;       /* attributes never exported pseudonymised */
    char *key_file;          /* pseudonym key; default DATABASE.key */
} config_t;

#define CONFIG_DEFAULT_MIN_GROUP_SIZE 5
#define CONFIG_DEFAULT_IDENTIFYING "name"

/* Defaults of [limits] keys that other modules also fall back on. */
#define CONFIG_DEFAULT_MAX_EVENT_PARTICIPANTS 1000
#define CONFIG_DEFAULT_MAX_GROUPS 1000
#define CONFIG_DEFAULT_MAX_WEIGHT 1e9

/* Bounds of [limits] max_weight: weights, and their squares, summed
 * over every row a store can hold (2^63) times the ties of one event
 * (under 2^33), stay finite: (1e100)^2 * 2^96 < 1e229 < DBL_MAX. */
#define CONFIG_MAX_WEIGHT_CEILING 1e100

/* Fill *cfg with defaults, then read path (may be NULL). On error returns
 * -1 with every problem of the file in err, one per line, each as
 * "FILE:LINE: message" (the last line cut short if err is too small);
 * *cfg is then freed. The caller frees a loaded config with config_free(). */
int config_load(const char *path, config_t *cfg, char *err, size_t errlen);
void config_free(config_t *cfg);
/* Print the effective configuration as INI (what spand -t shows). */
void config_print(const config_t *cfg, FILE *out);
const char *config_synchronous_name(int level);
/* Whether plugin name runs in a child process: always for a plugin that
 * is not built in (its code is never loaded in the daemon, loader.h);
 * for a built-in one, its [isolation] rule, else a thread. */
int config_isolate(const config_t *cfg, const char *name, int builtin);

#endif
