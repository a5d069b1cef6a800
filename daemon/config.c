/* config.c - see config.h. */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

struct load_ctx {
    config_t *cfg;
    const char *path;    /* the file, as named to config_load() */
    const char *basedir; /* directory of the config file */
    char *err;           /* every problem, one per line */
    size_t errlen;
    size_t errused;
    int nerrors;
    /* The reader hands inih one line at a time, so the handler knows the
     * line it runs for (Debian's inih is built without
     * INI_HANDLER_LINENO), and it can tell a line inih skipped as
     * malformed from one it handed to the handler. */
    FILE *f;
    char *line; /* the current line, as read */
    size_t linecap;
    int lineno;
    int handled; /* last line the handler ran for */
};

/* Record a problem of the current line and go on: a file with several
 * mistakes gets them all reported at once, each with its own line. */
static void add_error(struct load_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_error(struct load_ctx *c, const char *fmt, ...)
{
    c->nerrors++;
    if (c->errused + 1 >= c->errlen)
        return;
    char *at = c->err + c->errused;
    size_t room = c->errlen - c->errused;
    int n = snprintf(at, room, "%s%s:%d: ", c->errused ? "\n" : "", c->path,
                     c->lineno);
    if (n > 0 && (size_t)n < room) {
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(at + n, room - (size_t)n, fmt, ap);
        va_end(ap);
        n = m < 0 ? n : n + m;
    }
    c->errused = n < 0 ? c->errused : c->errused + (size_t)n;
    if (c->errused >= c->errlen)
        c->errused = c->errlen - 1; /* cut short; nothing more fits */
}

/* Make path absolute against base (or the working directory). */
static char *absolute_path(const char *base, const char *path)
{
    if (path[0] == '/')
        return strdup(path);
    char cwd[PATH_MAX];
    if (!base) {
        if (!getcwd(cwd, sizeof cwd))
            return NULL;
        base = cwd;
    }
    size_t n = strlen(base) + strlen(path) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", base, path);
    return out;
}

static const char *sync_names[] = {"OFF", "NORMAL", "FULL", "EXTRA"};

const char *config_synchronous_name(int level)
{
    return level >= 0 && level <= 3 ? sync_names[level] : "?";
}

/* Unsigned integer with an optional k/M/G (binary) suffix. */
static int parse_size(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*v == '-' || *v == '\0')
        return -1;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v)
        return -1;
    uint64_t mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mult = 1024 * 1024, end++;
    else if (*end == 'g' || *end == 'G')
        mult = 1024ULL * 1024 * 1024, end++;
    if (*end != '\0' || n > UINT64_MAX / mult)
        return -1;
    n *= mult;
    if (n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

static int set_path(struct load_ctx *c, char **dst, const char *v)
{
    if (*v == '\0')
        return -1;
    char *abs = absolute_path(c->basedir, v);
    if (!abs)
        return -1;
    free(*dst);
    *dst = abs;
    return 0;
}

#define ERR(...)                                                               \
    do {                                                                       \
        add_error(c, __VA_ARGS__);                                             \
        return 1; /* go on: report every problem of the file */                \
    } while (0)

static int on_key(void *user, const char *section, const char *name,
                  const char *value)
{
    struct load_ctx *c = user;
    config_t *cfg = c->cfg;
    uint64_t n;
    c->handled = c->lineno;
#define IS(s, k) (strcmp(section, s) == 0 && strcmp(name, k) == 0)
#define SIZE(s, k, field, lo, hi)                                              \
    if (IS(s, k)) {                                                            \
        if (parse_size(value, lo, hi, &n) < 0)                                 \
            ERR("[%s] %s: \"%s\" is not a number from %llu to %llu", s, k,     \
                value, (unsigned long long)(lo), (unsigned long long)(hi));    \
        cfg->field = n;                                                        \
        return 1;                                                              \
    }
    if (IS("daemon", "socket")) {
        if (set_path(c, &cfg->socket, value) < 0)
            ERR("[daemon] socket: bad path \"%s\"", value);
        return 1;
    }
    if (IS("daemon", "database")) {
        if (set_path(c, &cfg->database, value) < 0)
            ERR("[daemon] database: bad path \"%s\"", value);
        return 1;
    }
    if (IS("daemon", "pidfile")) {
        if (*value == '\0') {
            free(cfg->pidfile);
            cfg->pidfile = NULL;
        } else if (set_path(c, &cfg->pidfile, value) < 0) {
            ERR("[daemon] pidfile: bad path \"%s\"", value);
        }
        return 1;
    }
    if (IS("daemon", "log_file")) {
        if (*value == '\0') {
            free(cfg->log_file);
            cfg->log_file = NULL;
        } else if (set_path(c, &cfg->log_file, value) < 0) {
            ERR("[daemon] log_file: bad path \"%s\"", value);
        }
        return 1;
    }
    if (IS("daemon", "socket_mode")) {
        char *end;
        errno = 0;
        unsigned long m = strtoul(value, &end, 8);
        if (errno || end == value || *end || m > 0777)
            ERR("[daemon] socket_mode: \"%s\" is not an octal mode such as "
                "0660",
                value);
        cfg->socket_mode = (unsigned)m;
        return 1;
    }
    if (IS("daemon", "log_level")) {
        int l = log_level_parse(value);
        if (l < 0)
            ERR("[daemon] log_level: \"%s\" is not one of error, warning, "
                "notice, info, debug",
                value);
        cfg->log_level = l;
        return 1;
    }
    if (IS("store", "synchronous")) {
        for (int i = 0; i < 4; i++)
            if (strcasecmp(value, sync_names[i]) == 0) {
                cfg->synchronous = i;
                return 1;
            }
        ERR("[store] synchronous: \"%s\" is not one of OFF, NORMAL, FULL, "
            "EXTRA",
            value);
    }
    SIZE("store", "cache_mb", cache_mb, 1, 65536)
    SIZE("store", "commit_items", commit_items, 1, 10000000)
    SIZE("store", "ingest_queue", ingest_queue, 1, 100000)
    SIZE("limits", "max_request_bytes", max_request_bytes, 1024,
         (uint64_t)1 << 32)
    SIZE("limits", "max_connections", max_connections, 1, 100000)
    SIZE("limits", "max_output_bytes", max_output_bytes, 1024,
         (uint64_t)1 << 34)
    SIZE("limits", "max_pipeline", max_pipeline, 1, 100000)
    SIZE("limits", "max_inflight_bytes", max_inflight_bytes, 1024,
         (uint64_t)1 << 36)
    SIZE("limits", "max_id_bytes", max_id_bytes, 1, 65536)
    SIZE("limits", "max_value_bytes", max_value_bytes, 1, 1048576)
    SIZE("limits", "max_rejects", max_rejects, 1, 1000000)
    SIZE("limits", "max_event_participants", max_event_participants, 2, 100000)
    SIZE("limits", "max_groups", max_groups, 2, 1000000)
    if (IS("limits", "max_weight")) {
        char *end;
        errno = 0;
        double w = strtod(value, &end);
        if (errno || end == value || *end || !(w > 0) ||
            w > CONFIG_MAX_WEIGHT_CEILING)
            ERR("[limits] max_weight: \"%s\" is not a number above 0 and at "
                "most %g",
                value, CONFIG_MAX_WEIGHT_CEILING);
        cfg->max_weight = w;
        return 1;
    }
    SIZE("limits", "idle_timeout_ms", idle_timeout_ms, 0, 86400000)
    SIZE("limits", "request_timeout_ms", request_timeout_ms, 0, 86400000)
    SIZE("analysis", "workers", workers, 1, 256)
    SIZE("analysis", "queue", analysis_queue, 1, 100000)
    SIZE("analysis", "cache_mb", result_cache_mb, 0, 1048576)
    SIZE("analysis", "timeout_ms", timeout_ms, 1, 86400000)
    SIZE("analysis", "memory_limit_mb", memory_limit_mb, 16, 1048576)
    SIZE("analysis", "nice", analysis_nice, 0, 19)
    if (IS("analysis", "isolation")) {
        if (strcmp(value, "process") == 0)
            cfg->isolation = ISOLATION_PROCESS;
        else if (strcmp(value, "thread") == 0)
            cfg->isolation = ISOLATION_THREAD;
        else
            ERR("[analysis] isolation: \"%s\" is not process or thread", value);
        return 1;
    }
    if (IS("plugins", "dir")) {
        if (set_path(c, &cfg->plugin_dir, value) < 0)
            ERR("[plugins] dir: bad path \"%s\"", value);
        return 1;
    }
    if (IS("plugins", "builtin_dir")) {
        if (set_path(c, &cfg->builtin_dir, value) < 0)
            ERR("[plugins] builtin_dir: bad path \"%s\"", value);
        return 1;
    }
    if (strcmp(section, "access") == 0 &&
        (strcmp(name, "admin") == 0 || strcmp(name, "analyst") == 0 ||
         strcmp(name, "writer") == 0 || strcmp(name, "reader") == 0)) {
        char **dst = name[1] == 'd'   ? &cfg->access_admin
                     : name[1] == 'n' ? &cfg->access_analyst
                     : name[0] == 'w' ? &cfg->access_writer
                                      : &cfg->access_reader;
        free(*dst);
        *dst = NULL;
        if (*value && !(*dst = strdup(value)))
            ERR("out of memory");
        return 1;
    }
    SIZE("privacy", "retention_days", retention_days, 0, 36500)
    SIZE("privacy", "min_group_size", min_group_size, 1, 1000000)
    if (IS("privacy", "identifying")) {
        char *v = strdup(value);
        if (!v)
            ERR("out of memory");
        free(cfg->identifying);
        cfg->identifying = v;
        return 1;
    }
    if (IS("privacy", "key_file")) {
        if (*value == '\0') {
            free(cfg->key_file);
            cfg->key_file = NULL; /* next to the database */
        } else if (set_path(c, &cfg->key_file, value) < 0) {
            ERR("[privacy] key_file: bad path \"%s\"", value);
        }
        return 1;
    }
    if (strcmp(section, "isolation") == 0) {
        enum config_isolation mode;
        if (strcmp(value, "process") == 0)
            mode = ISOLATION_PROCESS;
        else if (strcmp(value, "thread") == 0)
            mode = ISOLATION_THREAD;
        else
            ERR("[isolation] %s: \"%s\" is not process or thread", name, value);
        struct config_isolation_rule *r = realloc(
            cfg->isolation_rules, (cfg->nisolation_rules + 1) * sizeof *r);
        if (!r)
            ERR("out of memory");
        cfg->isolation_rules = r;
        if (!(r[cfg->nisolation_rules].plugin = strdup(name)))
            ERR("out of memory");
        r[cfg->nisolation_rules++].mode = mode;
        return 1;
    }
    ERR("unknown key [%s] %s", section, name);
#undef SIZE
#undef IS
}

static int set_defaults(config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->socket_mode = 0660;
    cfg->log_level = LOG_INFO;
    cfg->synchronous = 2; /* FULL: an acknowledged item survives power loss */
    cfg->cache_mb = 64;
    cfg->commit_items = 100000;
    cfg->ingest_queue = 256;
    cfg->max_request_bytes = 16u << 20;
    cfg->max_connections = 256;
    cfg->max_output_bytes = 64u << 20;
    cfg->max_pipeline = 128;
    cfg->max_inflight_bytes = 8u << 20;
    cfg->max_id_bytes = 256;
    cfg->max_value_bytes = 1024;
    cfg->max_rejects = 100;
    cfg->max_event_participants = CONFIG_DEFAULT_MAX_EVENT_PARTICIPANTS;
    cfg->max_groups = CONFIG_DEFAULT_MAX_GROUPS;
    cfg->max_weight = CONFIG_DEFAULT_MAX_WEIGHT;
    cfg->idle_timeout_ms = 300000;
    cfg->request_timeout_ms = 30000;
    cfg->workers = 2;
    cfg->analysis_queue = 64;
    cfg->result_cache_mb = 256;
    cfg->timeout_ms = 60000;
    cfg->memory_limit_mb = 2048;
    cfg->analysis_nice = 10;
    cfg->isolation = ISOLATION_PROCESS;
    cfg->socket = absolute_path(NULL, "spand.sock");
    cfg->database = absolute_path(NULL, "spand.db");
    cfg->plugin_dir = absolute_path(NULL, "plugins");
    cfg->builtin_dir = strdup(SPAND_PLUGINDIR);
    cfg->min_group_size = CONFIG_DEFAULT_MIN_GROUP_SIZE;
    cfg->identifying = strdup(CONFIG_DEFAULT_IDENTIFYING);
    return cfg->socket && cfg->database && cfg->plugin_dir &&
                   cfg->builtin_dir && cfg->identifying
               ? 0
               : -1;
}

/* Whether line (a section line, without leading blanks) closes its name
 * with ']' before any inline comment, as inih requires. */
static bool section_closed(const char *s)
{
    for (const char *p = s + 1; *p; p++) {
        if (*p == ']')
            return true;
        if (*p == ';' && (p[-1] == ' ' || p[-1] == '\t'))
            return false;
    }
    return false;
}

/* After inih is done with the current line: report it if inih found it
 * malformed, which it does silently (it neither calls the handler for it
 * nor says which line, beyond the first). inih calls the handler for
 * every line but blanks, comments and [section] headers. */
static void check_line_done(struct load_ctx *c)
{
    if (!c->lineno || c->handled == c->lineno)
        return;
    c->handled = c->lineno; /* checked once */
    const char *s = c->line;
    if (c->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3; /* a UTF-8 byte order mark, which inih skips */
    s += strspn(s, " \t\r\n\f\v");
    if (*s == '\0' || *s == ';' || *s == '#')
        return;
    if (*s == '[') {
        if (!section_closed(s))
            add_error(c, "a section header needs a closing ']'");
        return;
    }
    add_error(c, "expected \"key = value\", a [section] or a ; comment");
}

/* inih's reader: one line per call, counted. A line longer than inih can
 * take would reach it in pieces: it is reported and handed on empty. */
static char *read_line(char *str, int num, void *stream)
{
    struct load_ctx *c = stream;
    check_line_done(c);
    ssize_t n = getline(&c->line, &c->linecap, c->f);
    if (n < 0 || num < 2)
        return NULL;
    c->lineno++;
    size_t len = (size_t)n;
    if (len && c->line[len - 1] == '\n')
        len--;
    if (len > (size_t)num - 1) {
        add_error(c, "line is longer than %d bytes", num - 1);
        c->handled = c->lineno;
        str[0] = '\0';
        return str;
    }
    memcpy(str, c->line, len); /* without the newline: inih needs none */
    str[len] = '\0';
    return str;
}

/* Read path into cfg. Returns 0, or -1 with every problem in c->err. */
static int load_file(struct load_ctx *c)
{
    c->f = fopen(c->path, "re");
    if (!c->f) {
        snprintf(c->err, c->errlen, "%s: cannot open: %s", c->path,
                 strerror(errno));
        return -1;
    }
    int rc = ini_parse_stream(read_line, c, on_key, c);
    check_line_done(c); /* the last line: inih stops reading at EOF */
    free(c->line);
    fclose(c->f);
    if (rc < 0) {
        snprintf(c->err, c->errlen, "%s: out of memory", c->path);
        return -1;
    }
    if (rc > 0 && !c->nerrors) {
        /* inih found a problem no check above knows of. */
        c->lineno = rc;
        add_error(c, "syntax error");
    }
    return c->nerrors ? -1 : 0;
}

int config_load(const char *path, config_t *cfg, char *err, size_t errlen)
{
    if (set_defaults(cfg) < 0) {
        snprintf(err, errlen, "out of memory");
        config_free(cfg);
        return -1;
    }
    if (path) {
        cfg->path = absolute_path(NULL, path);
        char *dir = cfg->path ? strdup(cfg->path) : NULL;
        if (!dir) {
            snprintf(err, errlen, "out of memory");
            config_free(cfg);
            return -1;
        }
        *strrchr(dir, '/') = '\0';
        struct load_ctx c = {.cfg = cfg,
                             .path = path,
                             .basedir = dir[0] ? dir : "/",
                             .err = err,
                             .errlen = errlen};
        if (errlen)
            err[0] = '\0';
        int rc = load_file(&c);
        free(dir);
        if (rc != 0) {
            config_free(cfg);
            return -1;
        }
    }
    if (!cfg->key_file) {
        /* Next to the database, wherever the file put that. */
        size_t n = strlen(cfg->database) + sizeof ".key";
        if (!(cfg->key_file = malloc(n))) {
            snprintf(err, errlen, "out of memory");
            config_free(cfg);
            return -1;
        }
        snprintf(cfg->key_file, n, "%s.key", cfg->database);
    }
    struct sockaddr_un sun;
    if (strlen(cfg->socket) >= sizeof sun.sun_path) {
        snprintf(err, errlen,
                 "socket path is %zu bytes, longer than the %zu a Unix "
                 "socket allows: %s",
                 strlen(cfg->socket), sizeof sun.sun_path - 1, cfg->socket);
        config_free(cfg);
        return -1;
    }
    return 0;
}

void config_free(config_t *cfg)
{
    free(cfg->path);
    free(cfg->socket);
    free(cfg->database);
    free(cfg->pidfile);
    free(cfg->log_file);
    free(cfg->plugin_dir);
    free(cfg->builtin_dir);
    free(cfg->access_admin);
    free(cfg->access_analyst);
    free(cfg->access_writer);
    free(cfg->access_reader);
    free(cfg->identifying);
    free(cfg->key_file);
    for (size_t i = 0; i < cfg->nisolation_rules; i++)
        free(cfg->isolation_rules[i].plugin);
    free(cfg->isolation_rules);
    memset(cfg, 0, sizeof *cfg);
}

int config_isolate(const config_t *cfg, const char *name, int builtin)
{
    /* A plugin not built in has no code in the daemon (loader.h). */
    if (!builtin)
        return 1;
    for (size_t i = cfg->nisolation_rules; i-- > 0;)
        if (strcmp(cfg->isolation_rules[i].plugin, name) == 0)
            return cfg->isolation_rules[i].mode == ISOLATION_PROCESS;
    return !builtin && cfg->isolation == ISOLATION_PROCESS;
}

void config_print(const config_t *cfg, FILE *out)
{
    fprintf(out, "# effective configuration (from %s)\n",
            cfg->path ? cfg->path : "defaults only");
    fprintf(out, "[daemon]\nsocket = %s\nsocket_mode = %04o\n", cfg->socket,
            cfg->socket_mode);
    fprintf(out, "database = %s\nlog_level = %s\npidfile = %s\n", cfg->database,
            log_level_name(cfg->log_level), cfg->pidfile ? cfg->pidfile : "");
    fprintf(out, "log_file = %s\n\n", cfg->log_file ? cfg->log_file : "");
    fprintf(out, "[store]\nsynchronous = %s\ncache_mb = %u\n",
            config_synchronous_name(cfg->synchronous), cfg->cache_mb);
    fprintf(out, "commit_items = %u\ningest_queue = %u\n\n", cfg->commit_items,
            cfg->ingest_queue);
    fprintf(out, "[limits]\nmax_request_bytes = %zu\nmax_connections = %u\n",
            cfg->max_request_bytes, cfg->max_connections);
    fprintf(out, "max_output_bytes = %zu\nmax_pipeline = %u\n",
            cfg->max_output_bytes, cfg->max_pipeline);
    fprintf(out, "max_inflight_bytes = %zu\n", cfg->max_inflight_bytes);
    fprintf(out, "max_id_bytes = %u\nmax_value_bytes = %u\n", cfg->max_id_bytes,
            cfg->max_value_bytes);
    fprintf(out, "max_rejects = %u\n", cfg->max_rejects);
    fprintf(out, "max_event_participants = %u\nmax_groups = %u\n",
            cfg->max_event_participants, cfg->max_groups);
    fprintf(out, "max_weight = %.17g\n", cfg->max_weight);
    fprintf(out, "idle_timeout_ms = %u\nrequest_timeout_ms = %u\n\n",
            cfg->idle_timeout_ms, cfg->request_timeout_ms);
    fprintf(out, "[analysis]\nworkers = %u\nqueue = %u\ncache_mb = %u\n",
            cfg->workers, cfg->analysis_queue, cfg->result_cache_mb);
    fprintf(out, "timeout_ms = %u\n", cfg->timeout_ms);
    fprintf(out, "memory_limit_mb = %u\nnice = %u\nisolation = %s\n\n",
            cfg->memory_limit_mb, cfg->analysis_nice,
            cfg->isolation == ISOLATION_PROCESS ? "process" : "thread");
    if (cfg->nisolation_rules)
        fprintf(out, "[isolation]\n");
    for (size_t i = 0; i < cfg->nisolation_rules; i++)
        fprintf(out, "%s = %s\n", cfg->isolation_rules[i].plugin,
                cfg->isolation_rules[i].mode == ISOLATION_PROCESS ? "process"
                                                                  : "thread");
    fprintf(out, "%s[plugins]\ndir = %s\nbuiltin_dir = %s\n",
            cfg->nisolation_rules ? "\n" : "", cfg->plugin_dir,
            cfg->builtin_dir);
    fprintf(out, "\n[access]\nadmin = %s\nanalyst = %s\n",
            cfg->access_admin ? cfg->access_admin : "",
            cfg->access_analyst ? cfg->access_analyst : "");
    fprintf(out, "writer = %s\nreader = %s\n",
            cfg->access_writer ? cfg->access_writer : "",
            cfg->access_reader ? cfg->access_reader : "");
    fprintf(out, "\n[privacy]\nretention_days = %u\n", cfg->retention_days);
    fprintf(out, "min_group_size = %u\nidentifying = %s\n", cfg->min_group_size,
            cfg->identifying);
    fprintf(out, "key_file = %s\n", cfg->key_file ? cfg->key_file : "");
}
