/* spanctl.c - the command-line client of spand.
 *
 * One process, one connection, one command. Results print as aligned text
 * for a person, or with --json as the server's result for a program. Exit
 * status: 0 success, 1 an error (from spand, the connection, or rows that
 * were not stored), 2 bad usage. */
/* POSIX.1-2008: strdup, clock_gettime, MSG_NOSIGNAL, sendmsg. */
#define _POSIX_C_SOURCE 200809L

#ifdef HAVE_CONFIG_H
#include "build-config.h" /* autoconf: PACKAGE_VERSION */
#endif

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_analyse.h"
#include "ctl_html.h"
#include "ctl_report.h"
#include "ctl_conn.h"
#include "ctl_load.h"
#include "ctl_survey.h"
#include "ctl_table.h"
#include "ts.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define EXIT_USAGE 2
#define RPC_CODE_FORBIDDEN 1403     /* doc/protocol.md: the role may not */
#define DEFAULT_SOCKET "spand.sock" /* spand's default: the working dir */

struct ctx {
    const char *socket;
    bool json;
    ctl_conn_t *conn;
};

static void usage(FILE *out)
{
    fputs(
        "usage: spanctl [-s SOCKET] [--json] COMMAND [ARG...]\n"
        "       spanctl -h | -V\n"
        "\n"
        "Talk to spand over its Unix socket: -s SOCKET, else $SPAND_SOCKET,\n"
        "else ./" DEFAULT_SOCKET ".\n"
        "\n"
        "commands:\n"
        "  ping                        check that spand answers\n"
        "  status                      the daemon's counters\n"
        "  load [--batch N] [--strict] [--date-format dmy|mdy] [--tz ZONE]\n"
        "       [--no-implicit] FILE...\n"
        "                              load people, records and events "
        "from CSV or\n"
        "                              JSON Lines files (- reads standard "
        "input)\n"
        "  load --survey FILE --wave DATE --kind K [PEOPLE-FILE...]\n"
        "                              load a survey wave (one row per "
        "respondent)\n"
        "  boundaries                  attributes, their values and people "
        "counts\n"
        "  summary [--by ATTR]         groups, and interactions across the "
        "boundary\n"
        "                              per year (ATTR defaults to sector)\n"
        "  person [--all [--redact]] ID\n"
        "                              one person's attributes and ties;\n"
        "                              --all: everything held about them,\n"
        "                              with the audit lines about them, as\n"
        "                              JSON (a subject access request);\n"
        "                              --redact: other people as \"other\n"
        "                              person N\", to hand over as it is\n"
        "  forget ID                   erase a person with all their records "
        "and\n"
        "                              event participations\n"
        "  forget --before DATE        erase every record and event before "
        "DATE\n"
        "  audit [--since T] [--user U] [--person ID] [--limit N]\n"
        "                              the audit trail (admins only)\n"
        "  plugins                     the analyses spand offers: "
        "parameters,\n"
        "                              columns, and plugin files it "
        "refused\n"
        "  analyse PLUGIN [OPTION...]  run an analysis (options below)\n"
        "  export --format F [OPTION...]\n"
        "                              the view as graphml, gexf, dot or "
        "csv\n"
        "                              (--by --from --to --kind "
        "--isolates;\n"
        "                              --drop-unvalued; csv: "
        "--spreadsheet-safe;\n"
        "                              gexf: --gexf-version 1.2|1.3)\n"
        "  report [OPTION...]          the boundary-spanning suite on one "
        "view:\n"
        "                              E-I against chance, mixing, "
        "spanners,\n"
        "                              boundaries at risk and who holds "
        "them,\n"
        "                              departures, gate-openers (the "
        "analyse\n"
        "                              options, --within site for a "
        "comparison\n"
        "                              of sites and a section each; --top "
        "N,\n"
        "                              --format table|json; with a "
        "baseline,\n"
        "                              what changed, --cohort "
        "ATTR=VALUE)\n"
        "  reload                      make spand re-read its configuration "
        "and\n"
        "                              rescan its plugin directory\n"
        "  shutdown                    stop spand\n"
        "  call METHOD [JSON-PARAMS]   send any request; print the raw "
        "result\n"
        "\n"
        "options:\n"
        "  -s, --socket SOCKET   spand's socket\n"
        "      --json            print the result as JSON, for programs\n"
        "  -h, --help            print this help\n"
        "  -V, --version         print the version\n"
        "\n"
        "load options:\n"
        "  --batch N             items per request (default 2000)\n"
        "  --strict              an invalid row rejects its whole batch and "
        "stops\n"
        "                        the load (default: skip invalid rows); an "
        "unknown\n"
        "                        column of a records or events file skips "
        "the file\n"
        "                        (default: a warning, the column ignored)\n"
        "  --date-format dmy|mdy how to read a date written 03/02/2025 "
        "(never\n"
        "                        guessed: without it such a row is refused)\n"
        "  --tz ZONE             the zone of date-times written without one "
        "(a tz\n"
        "                        database name, e.g. Europe/London; "
        "default UTC)\n"
        "  --no-implicit         refuse rows naming a person described "
        "neither in\n"
        "                        an earlier people file nor in spand\n"
        "  --survey FILE         a survey export: respondent, alter1..N, "
        "[strength1..N]\n"
        "  --wave DATE           the survey's date (its records' ts), "
        "YYYY-MM-DD\n"
        "  --kind K              the survey's records' kind\n"
        "  --respondent-col C, --alter-cols PREFIX, --strength-cols "
        "PREFIX\n"
        "                        column roles (default: from the header)\n"
        "  --match-names         match names that are not ids against the "
        "name\n"
        "                        column of the people files given\n"
        "\n"
        "analyse options:\n"
        "  --by ATTR             the boundary: groups are ATTR's values "
        "(default sector)\n"
        "  --from T, --to T      the window: from T up to, not including, "
        "T; ISO\n"
        "                        8601 (2024-04-01) or Unix seconds; either "
        "may be\n"
        "                        left out\n"
        "  --baseline-from T, --baseline-to T\n"
        "                        the window to compare with, for plugins "
        "that need one\n"
        "  --kind K              only records and events of kind K "
        "(repeatable);\n"
        "                        K = work: the kinds held in records, "
        "events: those\n"
        "                        held in events (also for "
        "--baseline-kind)\n"
        "  --param NAME=VALUE    a parameter of the plugin (repeatable; "
        "see plugins)\n"
        "  --isolates            also take in people without ties\n"
        "  --where ATTR=V[,V...] only people whose ATTR is one of the "
        "values\n"
        "                        (repeatable: all must hold)\n"
        "  --without ID, --without ATTR=V[,V...], --without-file FILE\n"
        "                        take people out first: by id, by value, "
        "or the\n"
        "                        ids in FILE, one a line (repeatable)\n"
        "  --within ATTR         run on each value of ATTR's own network "
        "(per site)\n"
        "  --baseline-kind K     kinds for the baseline window "
        "(default: --kind)\n"
        "  --event-weighting W   pairs (default) or newman: an event of k "
        "people\n"
        "                        weighs 1/(k-1) a pair\n"
        "  --suppress            withhold figures built on fewer people than\n"
        "                        spand's [privacy] min_group_size (also for\n"
        "                        report and export)\n"
        "  --pseudonymise        show keyed pseudonyms instead of ids, and no\n"
        "                        names (also for report and export)\n"
        "  --top N               show the first N rows of each table\n"
        "  --sort COL[:asc]      sort people by COL, descending (nulls "
        "last)\n"
        "  --format F            table (default), csv (each table after "
        "a line\n"
        "                        \"# table NAME\") or json (the result "
        "as spand sent it)\n"
        "\n"
        "Exit status: 0 success, 1 error (also when rows were rejected), 2 "
        "bad usage.\n",
        out);
}

static void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void errmsg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("spanctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int bad_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Report a usage error with the usage text; returns the exit status. */
static int bad_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("spanctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n\n", stderr);
    va_end(ap);
    usage(stderr);
    return EXIT_USAGE;
}

/* ---- talking to spand -------------------------------------------------- */

static int ensure_conn(struct ctx *c)
{
    if (c->conn)
        return 0;
    char err[512];
    if (ctl_conn_open(c->socket, &c->conn, err, sizeof err) < 0) {
        errmsg("%s", err);
        return -1;
    }
    return 0;
}

static void print_server_error(const char *method, const ctl_reply_t *r)
{
    errmsg("%s: %s (error %lld)", method, r->message, r->code);
    const char *plugin = json_string_value(json_object_get(r->data, "plugin"));
    const char *reason = json_string_value(json_object_get(r->data, "reason"));
    if (plugin && reason) {
        /* An analysis that failed: which plugin, how, and the details. */
        const char *detail =
            json_string_value(json_object_get(r->data, "detail"));
        errmsg("%s: plugin %s: %s%s%s", method, plugin, reason,
               detail ? ": " : "", detail ? detail : "");
    } else if (r->data) {
        char *d = json_dumps(r->data, JSON_COMPACT | JSON_ENCODE_ANY);
        if (d)
            errmsg("%s: details: %s", method, d);
        free(d);
    }
}

/* Call method and wait for its result. Returns 0 with r->result set, or
 * -1 after reporting the failure (the connection's or the server's). */
static int rpc(struct ctx *c, const char *method, const json_t *params,
               ctl_reply_t *r)
{
    char err[512];
    memset(r, 0, sizeof *r);
    if (ensure_conn(c) < 0)
        return -1;
    if (ctl_conn_call(c->conn, method, params, r, err, sizeof err) < 0) {
        errmsg("%s", err);
        return -1;
    }
    if (r->code != 0) {
        print_server_error(method, r);
        ctl_reply_clear(r);
        return -1;
    }
    return 0;
}

static int print_json(const json_t *v)
{
    if (json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY) < 0) {
        errmsg("cannot write JSON output");
        return -1;
    }
    fputc('\n', stdout);
    return 0;
}

/* ---- text output ------------------------------------------------------- */

static json_int_t jint(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static char *human_bytes(json_int_t b)
{
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
    if (b < 1024)
        return ctl_fmt("%" JSON_INTEGER_FORMAT " bytes", b);
    double v = (double)b;
    size_t u = 0;
    for (v /= 1024; v >= 1024 && u + 1 < sizeof unit / sizeof unit[0]; u++)
        v /= 1024;
    return ctl_fmt("%.1f %s", v, unit[u]);
}

static char *human_duration(json_int_t s)
{
    if (s < 60)
        return ctl_fmt("%" JSON_INTEGER_FORMAT "s", s);
    if (s < 3600)
        return ctl_fmt("%" JSON_INTEGER_FORMAT "m %02" JSON_INTEGER_FORMAT "s",
                       s / 60, s % 60);
    if (s < 86400)
        return ctl_fmt("%" JSON_INTEGER_FORMAT "h %02" JSON_INTEGER_FORMAT
                       "m %02" JSON_INTEGER_FORMAT "s",
                       s / 3600, s / 60 % 60, s % 60);
    return ctl_fmt("%" JSON_INTEGER_FORMAT "d %02" JSON_INTEGER_FORMAT
                   "h %02" JSON_INTEGER_FORMAT "m",
                   s / 86400, s / 3600 % 24, s / 60 % 60);
}

/* Add every member of o not in skip (NULL-terminated) as key/value rows,
 * objects flattened to "key.sub": new fields of the server still show. */
static void kv_rest(ctl_table_t *t, const json_t *o, const char *prefix,
                    const char *const *skip)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        bool skipped = false;
        for (const char *const *s = skip; s && *s; s++)
            if (!strcmp(*s, key))
                skipped = true;
        if (skipped)
            continue;
        char *name = prefix ? ctl_fmt("%s.%s", prefix, key) : strdup(key);
        if (!name) {
            t->oom = true;
            return;
        }
        if (json_is_object(v) && json_object_size(v) > 0) {
            kv_rest(t, v, name, NULL);
        } else {
            ctl_table_add(t, name);
            ctl_table_add_value(t, v);
        }
        free(name);
    }
}

/* ---- commands ---------------------------------------------------------- */

/* Parse a command's options: --json and -h/--help for all, plus the long
 * options in extra (at most MAX_EXTRA), each handed to cb with its value.
 * Returns
 * the index of the first operand, -1 after a usage error was reported, or
 * -2 when the help was printed. */
typedef int (*opt_cb)(int opt, const char *arg, void *data);

static int parse_cmd(struct ctx *c, int argc, char **argv,
                     const struct option *extra, opt_cb cb, void *data)
{
    enum { MAX_EXTRA = 32 };
    struct option all[MAX_EXTRA + 3];
    size_t n = 0;
    for (; extra && extra[n].name && n < MAX_EXTRA; n++)
        all[n] = extra[n];
    all[n++] = (struct option){"json", no_argument, NULL, 'j'};
    all[n++] = (struct option){"help", no_argument, NULL, 'h'};
    all[n] = (struct option){NULL, 0, NULL, 0};
    /* '+': operands may start with '-' after "--" (an id like "-x");
     * ':': report a missing value apart from an unknown option. */
    opterr = 0;
    optind = 0; /* glibc: 0 rescans from scratch with a new argv */
    int o;
    while ((o = getopt_long(argc, argv, "+:h", all, NULL)) != -1) {
        if (o == 'j') {
            c->json = true;
        } else if (o == 'h') {
            usage(stdout);
            return -2;
        } else if (o == '?') {
            bad_usage("%s: unknown option %s", argv[0], argv[optind - 1]);
            return -1;
        } else if (o == ':') {
            bad_usage("%s: option %s needs a value", argv[0], argv[optind - 1]);
            return -1;
        } else if (!cb || cb(o, optarg, data) < 0) {
            return -1;
        }
    }
    return optind;
}

/* The common shape: parse, check the operand count, done. */
static int simple_args(struct ctx *c, int argc, char **argv, int operands)
{
    int first = parse_cmd(c, argc, argv, NULL, NULL, NULL);
    if (first < 0)
        return first == -2 ? 0 : EXIT_USAGE;
    if (argc - first != operands) {
        if (operands == 0)
            return bad_usage("%s takes no arguments", argv[0]);
        return bad_usage("%s needs exactly %d argument%s", argv[0], operands,
                         operands == 1 ? "" : "s");
    }
    return -1; /* go on */
}

#define ARGS_OR_EXIT(c, argc, argv, n)                                         \
    do {                                                                       \
        int rc_ = simple_args((c), (argc), (argv), (n));                       \
        if (rc_ >= 0)                                                          \
            return rc_;                                                        \
    } while (0)

static int finish_result(struct ctx *c, ctl_reply_t *r,
                         int (*human)(const json_t *))
{
    int rc = c->json ? print_json(r->result) : human(r->result);
    ctl_reply_clear(r);
    return rc < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int human_ping(const json_t *res)
{
    const char *version = json_string_value(json_object_get(res, "version"));
    json_t *abi = json_object_get(res, "abi");
    printf("spand %s, plugin ABI %" JSON_INTEGER_FORMAT ".%" JSON_INTEGER_FORMAT
           "\n",
           version ? version : "?", jint(abi, "major"), jint(abi, "minor"));
    return 0;
}

static int cmd_ping(struct ctx *c, int argc, char **argv)
{
    ARGS_OR_EXIT(c, argc, argv, 0);
    ctl_reply_t r;
    if (rpc(c, "ping", NULL, &r) < 0)
        return EXIT_FAILURE;
    return finish_result(c, &r, human_ping);
}

static int human_status(const json_t *res)
{
    static const char *const known[] = {
        "version",      "uptime_s", "people",      "records",  "events",
        "data_version", "db_bytes", "connections", "requests", "ingest",
        "cache",        "plugins",  NULL};
    ctl_table_t t = {0};
    json_t *v;
    if ((v = json_object_get(res, "version"))) {
        ctl_table_add(&t, "version");
        ctl_table_add_value(&t, v);
    }
    if ((v = json_object_get(res, "uptime_s"))) {
        ctl_table_add(&t, "uptime");
        ctl_table_take(&t, human_duration((json_int_t)json_number_value(v)));
    }
    static const char *const counts[][2] = {
        {"people", "people"},
        {"records", "records"},
        {"events", "events"},
        {"data_version", "data version"},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        if ((v = json_object_get(res, counts[i][0]))) {
            ctl_table_add(&t, counts[i][1]);
            ctl_table_add_value(&t, v);
        }
    }
    if ((v = json_object_get(res, "db_bytes"))) {
        ctl_table_add(&t, "database size");
        ctl_table_take(&t, human_bytes(json_integer_value(v)));
    }
    if ((v = json_object_get(res, "connections"))) {
        ctl_table_add(&t, "connections");
        ctl_table_add_value(&t, v);
    }
    if ((v = json_object_get(res, "requests"))) {
        ctl_table_add(&t, "requests served");
        ctl_table_add_value(&t, v);
    }
    json_t *ing = json_object_get(res, "ingest");
    if (json_is_object(ing)) {
        static const char *const done[] = {"items", "rate_per_s", NULL};
        ctl_table_add(&t, "items ingested");
        ctl_table_add_value(&t, json_object_get(ing, "items"));
        ctl_table_add(&t, "ingest rate");
        ctl_table_addf(&t, "%.1f items/s",
                       json_number_value(json_object_get(ing, "rate_per_s")));
        kv_rest(&t, ing, "ingest", done);
    }
    json_t *cache = json_object_get(res, "cache");
    if (json_is_object(cache)) {
        static const char *const done[] = {"hits", "misses", NULL};
        ctl_table_add(&t, "cache");
        ctl_table_addf(&t,
                       "%" JSON_INTEGER_FORMAT " hits, %" JSON_INTEGER_FORMAT
                       " misses",
                       jint(cache, "hits"), jint(cache, "misses"));
        kv_rest(&t, cache, "cache", done);
    }
    json_t *plugins = json_object_get(res, "plugins");
    if (json_is_object(plugins)) {
        const char *name;
        json_t *p;
        json_object_foreach(plugins, name, p)
        {
            ctl_table_addf(&t, "plugin %s", name);
            if (!json_is_object(p)) {
                ctl_table_add_value(&t, p);
                continue;
            }
            /* runs, errors, time...: whatever the server reports. */
            char *line = strdup("");
            const char *k;
            json_t *pv;
            json_object_foreach(p, k, pv)
            {
                char *val = ctl_value_text(pv);
                char *next = line && val ? ctl_fmt("%s%s%s %s", line,
                                                   *line ? ", " : "", k, val)
                                         : NULL;
                free(val);
                free(line);
                line = next;
            }
            ctl_table_take(&t, line);
        }
    }
    kv_rest(&t, res, NULL, known);
    int rc = ctl_kv_print(&t, stdout);
    ctl_table_free(&t);
    return rc;
}

static int cmd_status(struct ctx *c, int argc, char **argv)
{
    ARGS_OR_EXIT(c, argc, argv, 0);
    ctl_reply_t r;
    if (rpc(c, "status", NULL, &r) < 0)
        return EXIT_FAILURE;
    return finish_result(c, &r, human_status);
}

static int human_boundaries(const json_t *res)
{
    static const char *const head[] = {"ATTRIBUTE", "VALUE", "PEOPLE"};
    json_int_t total = jint(res, "people");
    json_t *attrs = json_object_get(res, "attributes");
    printf("%" JSON_INTEGER_FORMAT " %s\n", total,
           total == 1 ? "person" : "people");
    if (json_array_size(attrs) == 0) {
        printf("no attributes yet\n");
        return 0;
    }
    ctl_table_t t = {.ncols = 3, .head = head, .align = "llr"};
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a)
    {
        const char *name = json_string_value(json_object_get(a, "name"));
        size_t j;
        json_t *v;
        json_array_foreach(json_object_get(a, "values"), j, v)
        {
            ctl_table_add(&t, name);
            ctl_table_add_value(&t, json_object_get(v, "value"));
            ctl_table_add_value(&t, json_object_get(v, "people"));
        }
        /* Those without a value fall outside an analysis by this
         * attribute: worth seeing next to the groups. */
        json_int_t with = jint(a, "people");
        if (!json_object_get(a, "values")) {
            /* A reader: names and counts only (doc/protocol.md). */
            ctl_table_add(&t, name);
            ctl_table_add(&t, "(values not shown to readers)");
            ctl_table_addf(&t, "%" JSON_INTEGER_FORMAT, with);
            continue;
        }
        if (total > with) {
            ctl_table_add(&t, name);
            ctl_table_add(&t, "(no value)");
            ctl_table_addf(&t, "%" JSON_INTEGER_FORMAT, total - with);
        }
    }
    int rc = ctl_table_print(&t, stdout);
    ctl_table_free(&t);
    return rc;
}

static int cmd_boundaries(struct ctx *c, int argc, char **argv)
{
    ARGS_OR_EXIT(c, argc, argv, 0);
    ctl_reply_t r;
    if (rpc(c, "boundaries", NULL, &r) < 0)
        return EXIT_FAILURE;
    return finish_result(c, &r, human_boundaries);
}

/* Summary's kinds: what came from records and what from events (the
 * presets --kind work and --kind events follow this split). */
static int human_summary_kinds(const json_t *kinds)
{
    if (json_array_size(kinds) == 0)
        return 0;
    static const char *const head[] = {"KIND", "RECORDS", "EVENTS",
                                       "INTERACTIONS"};
    ctl_table_t t = {.ncols = 4, .head = head, .align = "lrrr"};
    size_t i;
    json_t *v;
    json_array_foreach(kinds, i, v)
    {
        ctl_table_add_value(&t, json_object_get(v, "kind"));
        ctl_table_add_value(&t, json_object_get(v, "records"));
        ctl_table_add_value(&t, json_object_get(v, "events"));
        ctl_table_add_value(&t, json_object_get(v, "ties"));
    }
    printf("\nby kind (--kind work: the kinds with records; --kind events: "
           "those with events):\n");
    int rc = ctl_table_print(&t, stdout);
    ctl_table_free(&t);
    return rc;
}

static int human_summary(const json_t *res)
{
    const char *boundary = json_string_value(json_object_get(res, "boundary"));
    if (!boundary)
        boundary = "?";
    printf("boundary: %s\n\n", boundary);

    static const char *const ghead[] = {"GROUP", "PEOPLE"};
    ctl_table_t g = {.ncols = 2, .head = ghead, .align = "lr"};
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(res, "groups"), i, v)
    {
        ctl_table_add_value(&g, json_object_get(v, "group"));
        ctl_table_add_value(&g, json_object_get(v, "people"));
    }
    json_int_t unassigned = jint(res, "unassigned");
    if (unassigned > 0) {
        ctl_table_add(&g, "(no value)");
        ctl_table_addf(&g, "%" JSON_INTEGER_FORMAT, unassigned);
    }
    int rc = ctl_table_print(&g, stdout);
    ctl_table_free(&g);
    if (rc < 0)
        return rc;

    json_t *years = json_object_get(res, "years");
    if (json_array_size(years) == 0) {
        printf("\nno records or events yet\n");
        return 0;
    }
    char cross[96];
    snprintf(cross, sizeof cross, "CROSS-%s", boundary);
    for (char *p = cross; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    /* The protocol's "ties" here are interactions (a record, or a pair of
     * an event's participants, repeats counted): not the report's ties
     * (pairs of people) nor its arcs (README, "Words"). */
    const char *yhead[] = {"YEAR",         "RECORDS", "EVENTS",
                           "INTERACTIONS", cross,     "SHARE"};
    ctl_table_t y = {.ncols = 6, .head = yhead, .align = "rrrrrr"};
    json_array_foreach(years, i, v)
    {
        json_int_t ties = jint(v, "ties"), xt = jint(v, "cross_ties");
        ctl_table_add_value(&y, json_object_get(v, "year"));
        ctl_table_add_value(&y, json_object_get(v, "records"));
        ctl_table_add_value(&y, json_object_get(v, "events"));
        ctl_table_add_value(&y, json_object_get(v, "ties"));
        ctl_table_add_value(&y, json_object_get(v, "cross_ties"));
        if (ties > 0)
            ctl_table_addf(&y, "%.1f%%", 100.0 * (double)xt / (double)ties);
        else
            ctl_table_add(&y, "-");
    }
    putchar('\n');
    rc = ctl_table_print(&y, stdout);
    ctl_table_free(&y);
    if (rc < 0)
        return rc;

    static const char *const phead[] = {"GROUP A", "GROUP B", "INTERACTIONS"};
    json_array_foreach(years, i, v)
    {
        json_t *pairs = json_object_get(v, "pairs");
        if (json_array_size(pairs) == 0)
            continue;
        printf("\ncross-%s interactions in %" JSON_INTEGER_FORMAT ":\n",
               boundary, jint(v, "year"));
        ctl_table_t p = {
            .ncols = 3, .head = phead, .align = "llr", .indent = "  "};
        size_t j;
        json_t *pr;
        json_array_foreach(pairs, j, pr)
        {
            ctl_table_add_value(&p, json_object_get(pr, "group_a"));
            ctl_table_add_value(&p, json_object_get(pr, "group_b"));
            ctl_table_add_value(&p, json_object_get(pr, "ties"));
        }
        rc = ctl_table_print(&p, stdout);
        ctl_table_free(&p);
        if (rc < 0)
            return rc;
    }
    return human_summary_kinds(json_object_get(res, "kinds"));
}

static int summary_opt(int opt, const char *arg, void *data)
{
    if (opt == 'b')
        *(const char **)data = arg;
    return 0;
}

static int cmd_summary(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {{"by", required_argument, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    const char *by = NULL;
    int first = parse_cmd(c, argc, argv, opts, summary_opt, &by);
    if (first < 0)
        return first == -2 ? 0 : EXIT_USAGE;
    if (first != argc)
        return bad_usage("summary takes no arguments besides --by ATTR");
    json_t *params = by ? json_pack("{s:s}", "boundary", by) : NULL;
    if (by && !params) {
        errmsg("summary: --by %s is not valid UTF-8", by);
        return EXIT_USAGE;
    }
    ctl_reply_t r;
    int rc = rpc(c, "summary", params, &r);
    json_decref(params);
    if (rc < 0)
        return EXIT_FAILURE;
    return finish_result(c, &r, human_summary);
}

static int human_person(const json_t *res)
{
    static const char *const ties[][2] = {
        {"records_out", "records out"}, {"records_in", "records in"},
        {"events", "events"},           {"contacts", "contacts"},
        {"first_ts", "first"},          {"last_ts", "last"},
    };
    static const char *const known[] = {
        "id",       "attributes", "records_out", "records_in", "events",
        "contacts", "first_ts",   "last_ts",     "kinds",      NULL};
    ctl_table_t t = {0};
    ctl_table_add(&t, "id");
    ctl_table_add_value(&t, json_object_get(res, "id"));
    int rc = ctl_kv_print(&t, stdout);
    ctl_table_free(&t);

    json_t *attrs = json_object_get(res, "attributes");
    printf("attributes:%s\n", json_object_size(attrs) ? "" : " (none)");
    t = (ctl_table_t){.indent = "  "};
    kv_rest(&t, attrs, NULL, NULL);
    if (rc == 0 && t.n)
        rc = ctl_kv_print(&t, stdout);
    ctl_table_free(&t);

    printf("ties:\n");
    t = (ctl_table_t){.indent = "  "};
    for (size_t i = 0; i < sizeof ties / sizeof ties[0]; i++) {
        json_t *v = json_object_get(res, ties[i][0]);
        if (!v)
            continue;
        ctl_table_add(&t, ties[i][1]);
        ctl_table_add_value(&t, v);
    }
    kv_rest(&t, res, NULL, known);
    if (rc == 0 && t.n)
        rc = ctl_kv_print(&t, stdout);
    ctl_table_free(&t);

    json_t *kinds = json_object_get(res, "kinds");
    if (json_object_size(kinds)) {
        printf("kinds:\n");
        t = (ctl_table_t){.indent = "  "};
        kv_rest(&t, kinds, NULL, NULL);
        if (rc == 0)
            rc = ctl_kv_print(&t, stdout);
        ctl_table_free(&t);
    }
    return rc;
}

static int id_command(struct ctx *c, int argc, char **argv,
                      int (*human)(const json_t *))
{
    ARGS_OR_EXIT(c, argc, argv, 1);
    json_t *params = json_pack("{s:s}", "id", argv[argc - 1]);
    if (!params) {
        errmsg("%s: the id is not valid UTF-8", argv[0]);
        return EXIT_USAGE;
    }
    ctl_reply_t r;
    int rc = rpc(c, argv[0], params, &r);
    json_decref(params);
    if (rc < 0)
        return EXIT_FAILURE;
    return finish_result(c, &r, human);
}

/* person's flags: --all, --redact. */
static int person_opt(int opt, const char *arg, void *data)
{
    (void)arg;
    bool *flags = data;
    if (opt == 'a')
        flags[0] = true;
    else if (opt == 'r')
        flags[1] = true;
    return 0;
}

static int cmd_person(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                         {"redact", no_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    bool flags[2] = {false, false}; /* all, redact */
    int first = parse_cmd(c, argc, argv, opts, person_opt, flags);
    if (first < 0)
        return first == -2 ? 0 : EXIT_USAGE;
    const bool all = flags[0];
    if (argc - first != 1)
        return bad_usage("person needs exactly 1 argument, the id");
    if (flags[1] && !all)
        return bad_usage("person: --redact goes with --all");
    json_t *params = json_pack("{s:s, s:b}", "id", argv[first], "all", all);
    if (params && flags[1] &&
        json_object_set_new(params, "redact", json_true()) < 0) {
        json_decref(params);
        params = NULL;
    }
    if (!params) {
        errmsg("person: the id is not valid UTF-8");
        return EXIT_USAGE;
    }
    ctl_reply_t r;
    int rc = rpc(c, "person", params, &r);
    json_decref(params);
    if (rc < 0)
        return EXIT_FAILURE;
    /* Everything held is a document to hand over, not a table. */
    if (all)
        c->json = true;
    return finish_result(c, &r, human_person);
}

static int human_forget(const json_t *res)
{
    const char *id = json_string_value(json_object_get(res, "id"));
    printf("forgot %s: %" JSON_INTEGER_FORMAT
           " records and %" JSON_INTEGER_FORMAT
           " event participations removed (data version %" JSON_INTEGER_FORMAT
           ")\n",
           id ? id : "?", jint(res, "records_removed"),
           jint(res, "participations_removed"), jint(res, "data_version"));
    return 0;
}

static int human_forget_before(const json_t *res)
{
    const char *before = json_string_value(json_object_get(res, "before"));
    printf("forgot everything before %s: %" JSON_INTEGER_FORMAT
           " records, %" JSON_INTEGER_FORMAT " events and %" JSON_INTEGER_FORMAT
           " event participations removed (data version %" JSON_INTEGER_FORMAT
           ")\n",
           before ? before : "?", jint(res, "records_removed"),
           jint(res, "events_removed"), jint(res, "participations_removed"),
           jint(res, "data_version"));
    return 0;
}

static int text_opt(int opt, const char *arg, void *data)
{
    const char **v = data;
    /* data: the values of options 'a'..'z', by letter */
    if (opt >= 'a' && opt <= 'z')
        v[opt - 'a'] = arg;
    return 0;
}

static int cmd_forget(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"before", required_argument, NULL, 'b'}, {NULL, 0, NULL, 0}};
    const char *v[26] = {0};
    int first = parse_cmd(c, argc, argv, opts, text_opt, v);
    if (first < 0)
        return first == -2 ? 0 : EXIT_USAGE;
    const char *before = v['b' - 'a'];
    if (!before)
        return argc - first == 1 ? id_command(c, argc, argv, human_forget)
                                 : bad_usage("forget needs an id or --before "
                                             "DATE");
    if (argc != first)
        return bad_usage("forget: give an id or --before DATE, not both");
    json_t *params = json_pack("{s:s}", "before", before);
    if (!params) {
        errmsg("forget: --before %s is not valid UTF-8", before);
        return EXIT_USAGE;
    }
    ctl_reply_t r;
    int rc = rpc(c, "forget", params, &r);
    json_decref(params);
    if (rc < 0)
        return EXIT_FAILURE;
    return finish_result(c, &r, human_forget_before);
}

static int human_audit(const json_t *res)
{
    static const char *const head[] = {"TIME",   "USER",   "UID",     "PID",
                                       "METHOD", "TARGET", "OUTCOME", "ROWS"};
    ctl_table_t t = {.ncols = 8, .head = head, .align = "llrrllll"};
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(res, "lines"), i, l)
    {
        static const char *const keys[] = {"time",    "user",   "uid",
                                           "pid",     "method", "target",
                                           "outcome", "rows"};
        for (size_t k = 0; k < 8; k++) {
            json_t *v = json_object_get(l, keys[k]);
            if (k == 6 && json_integer_value(json_object_get(l, "code")))
                ctl_table_addf(&t, "%s %" JSON_INTEGER_FORMAT,
                               json_string_value(v),
                               json_integer_value(json_object_get(l, "code")));
            else if (json_is_null(v) || !v)
                ctl_table_add(&t, "-");
            else
                ctl_table_add_value(&t, v);
        }
    }
    int rc = ctl_table_print(&t, stdout);
    ctl_table_free(&t);
    return rc;
}

static int cmd_audit(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"since", required_argument, NULL, 's'},
        {"user", required_argument, NULL, 'u'},
        {"person", required_argument, NULL, 'p'},
        {"limit", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0}};
    const char *v[26] = {0};
    int first = parse_cmd(c, argc, argv, opts, text_opt, v);
    if (first < 0)
        return first == -2 ? 0 : EXIT_USAGE;
    if (first != argc)
        return bad_usage("audit takes no arguments besides its options");
    json_t *params = json_object();
    const char *since = v['s' - 'a'], *user = v['u' - 'a'],
               *person = v['p' - 'a'], *limit = v['l' - 'a'];
    if (!params)
        return EXIT_FAILURE;
    if (since) {
        /* Unix seconds or ISO 8601, as the daemon takes them. */
        char *end;
        long long n = strtoll(since, &end, 10);
        json_object_set_new(params, "since",
                            *since && !*end ? json_integer(n)
                                            : json_string(since));
    }
    if (user)
        json_object_set_new(params, "user", json_string(user));
    if (person)
        json_object_set_new(params, "person", json_string(person));
    if (limit) {
        char *end;
        long long n = strtoll(limit, &end, 10);
        if (!*limit || *end || n < 1) {
            json_decref(params);
            return bad_usage("audit: --limit needs a whole number >= 1");
        }
        json_object_set_new(params, "limit", json_integer(n));
    }
    ctl_reply_t r;
    int rc = rpc(c, "audit", params, &r);
    json_decref(params);
    if (rc < 0)
        return EXIT_FAILURE;
    return finish_result(c, &r, human_audit);
}

static int human_reload(const json_t *res)
{
    printf("spand reloaded its configuration\n");
    json_t *plugins = json_object_get(res, "plugins");
    if (json_is_object(plugins))
        return ctl_print_reload_plugins(plugins, stdout);
    return 0;
}

static int cmd_reload(struct ctx *c, int argc, char **argv)
{
    ARGS_OR_EXIT(c, argc, argv, 0);
    ctl_reply_t r;
    if (rpc(c, "reload", NULL, &r) < 0)
        return EXIT_FAILURE;
    return finish_result(c, &r, human_reload);
}

static int human_shutdown(const json_t *res)
{
    (void)res;
    printf("spand is shutting down\n");
    return 0;
}

static int cmd_shutdown(struct ctx *c, int argc, char **argv)
{
    ARGS_OR_EXIT(c, argc, argv, 0);
    ctl_reply_t r;
    if (rpc(c, "shutdown", NULL, &r) < 0)
        return EXIT_FAILURE;
    return finish_result(c, &r, human_shutdown);
}

static int cmd_call(struct ctx *c, int argc, char **argv)
{
    int first = parse_cmd(c, argc, argv, NULL, NULL, NULL);
    if (first < 0)
        return first == -2 ? 0 : EXIT_USAGE;
    int n = argc - first;
    if (n < 1 || n > 2)
        return bad_usage("call needs METHOD and optionally JSON-PARAMS");
    json_t *params = NULL;
    if (n == 2) {
        json_error_t je;
        params = json_loads(argv[first + 1], JSON_DECODE_ANY, &je);
        if (!params)
            return bad_usage("call: JSON-PARAMS is not valid JSON: %s "
                             "(column %d)",
                             je.text, je.column);
    }
    ctl_reply_t r;
    int rc = rpc(c, argv[first], params, &r);
    json_decref(params);
    if (rc < 0)
        return EXIT_FAILURE;
    rc = print_json(r.result);
    ctl_reply_clear(&r);
    return rc < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int human_plugins(const json_t *res)
{
    return ctl_print_plugins(res, stdout);
}

static int cmd_plugins(struct ctx *c, int argc, char **argv)
{
    ARGS_OR_EXIT(c, argc, argv, 0);
    ctl_reply_t r;
    if (rpc(c, "plugins", NULL, &r) < 0)
        return EXIT_FAILURE;
    return finish_result(c, &r, human_plugins);
}

/* --suppress and --pseudonymise (analyse, report, export): long options
 * only, after ctl_analyse.h's CTL_OPT_ codes (0x300...). */
#define OPT_SUPPRESS 0x380
#define OPT_PSEUDONYMISE 0x381
#define PRIVACY_OPTIONS                                                        \
    {"suppress", no_argument, NULL, OPT_SUPPRESS},                             \
    {                                                                          \
        "pseudonymise", no_argument, NULL, OPT_PSEUDONYMISE                    \
    }

/* --kind presets: "work" names every kind held in records, "events"
 * every kind held in events (summary's "kinds" says which). */
struct kind_presets {
    json_t *stored; /* summary's kinds, NULL until asked */
    json_t *used;   /* [{option, preset, kinds, both}], NULL until one is */
    json_t *warned; /* {name: true}: said once on stderr */
};

/* analyse's options, gathered into the request's params as they come. */
struct analyse_opts {
    struct kind_presets presets;
    json_t *params;  /* the request's params */
    json_t *window;  /* {from, to}, NULL until given */
    json_t *base;    /* {from, to}, NULL until given */
    json_t *kinds;   /* array, NULL until given */
    json_t *pparams; /* the plugin's params, NULL until given */
    long long top;   /* -1: not given */
    ctl_format_t format;
    bool format_given;
    ctl_scope_opts_t scope; /* --where, --without, --within, ... */
};

/* A time option's value as JSON: Unix seconds as an integer, anything
 * else checked as ISO 8601 here (for an early, precise message) and sent
 * as given. NULL after reporting a usage error. */
static json_t *time_value(const char *opt, const char *arg)
{
    const char *p = arg + (*arg == '-');
    if (*p && strspn(p, "0123456789") == strlen(p)) {
        char *end;
        errno = 0;
        long long v = strtoll(arg, &end, 10);
        if (errno || *end || v < TS_MIN || v > TS_MAX) {
            bad_usage("analyse: %s %s: Unix seconds out of range", opt, arg);
            return NULL;
        }
        return json_integer(v);
    }
    int64_t t;
    const char *why = "not a time";
    if (ts_parse_iso(arg, strlen(arg), &t, &why) < 0) {
        bad_usage("analyse: %s %s: %s (give an ISO 8601 date or date-time "
                  "with a zone, or Unix seconds)",
                  opt, arg, why);
        return NULL;
    }
    json_t *v = json_string(arg);
    if (!v)
        bad_usage("analyse: %s: not valid UTF-8", opt);
    return v;
}

/* Set member key of *obj (created on first use) to v, which is taken. */
static int set_member(json_t **obj, const char *key, json_t *v)
{
    if (!v)
        return -1;
    if (!*obj && !(*obj = json_object())) {
        json_decref(v);
        errmsg("out of memory");
        return -1;
    }
    if (json_object_set_new(*obj, key, v) < 0) {
        errmsg("out of memory");
        return -1;
    }
    return 0;
}

static int analyse_opt(int opt, const char *arg, void *data)
{
    struct analyse_opts *o = data;
    if (ctl_scope_is_opt(opt)) {
        char err[256];
        if (ctl_scope_opt(&o->scope, opt, arg, err, sizeof err) < 0) {
            bad_usage("%s", err);
            return -1;
        }
        return 0;
    }
    switch (opt) {
    case OPT_SUPPRESS:
        return set_member(&o->params, "suppress", json_true());
    case OPT_PSEUDONYMISE:
        return set_member(&o->params, "pseudonymise", json_true());
    case 'b':
        if (!*arg) {
            bad_usage("analyse: --by needs an attribute name");
            return -1;
        }
        return set_member(&o->params, "boundary", json_string(arg));
    case 'f':
        return set_member(&o->window, "from", time_value("--from", arg));
    case 't':
        return set_member(&o->window, "to", time_value("--to", arg));
    case 'F':
        return set_member(&o->base, "from", time_value("--baseline-from", arg));
    case 'T':
        return set_member(&o->base, "to", time_value("--baseline-to", arg));
    case 'k': {
        json_t *k = json_string(arg);
        if (!*arg || !k) {
            json_decref(k);
            bad_usage("analyse: --kind needs a kind name");
            return -1;
        }
        if ((!o->kinds && !(o->kinds = json_array())) ||
            json_array_append_new(o->kinds, k) < 0) {
            errmsg("out of memory");
            return -1;
        }
        return 0;
    }
    case 'p': {
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg) {
            bad_usage("analyse: --param wants NAME=VALUE, not \"%s\"", arg);
            return -1;
        }
        char *name = strndup(arg, (size_t)(eq - arg));
        if (!name) {
            errmsg("out of memory");
            return -1;
        }
        int rc = 0;
        if (o->pparams && json_object_get(o->pparams, name)) {
            bad_usage("analyse: --param %s given twice", name);
            rc = -1;
        } else {
            /* Always a string: spand converts it to the declared type. */
            json_t *v = json_string(eq + 1);
            if (!v)
                bad_usage("analyse: --param %s: not valid UTF-8", name);
            rc = set_member(&o->pparams, name, v);
        }
        free(name);
        return rc;
    }
    case 'C': /* report only: the cohort of the "What changed" section */
        if (!strchr(arg, '=') || *arg == '=') {
            bad_usage("report: --cohort wants ATTR=VALUE, not \"%s\"", arg);
            return -1;
        }
        return set_member(&o->params, "cohort", json_string(arg));
    case 'i':
        return set_member(&o->params, "isolates", json_true());
    case 'n': {
        char *end;
        errno = 0;
        long long v = strtoll(arg, &end, 10);
        if (errno || end == arg || *end || v < 0) {
            bad_usage("analyse: --top must be a number of rows, 0 or more");
            return -1;
        }
        o->top = v;
        return set_member(&o->params, "top", json_integer(v));
    }
    case 'S':
        if (!*arg) {
            bad_usage("analyse: --sort needs a column name");
            return -1;
        }
        return set_member(&o->params, "sort", json_string(arg));
    case 'o':
        if (!strcmp(arg, "table"))
            o->format = CTL_FORMAT_TABLE;
        else if (!strcmp(arg, "json"))
            o->format = CTL_FORMAT_JSON;
        else if (!strcmp(arg, "csv"))
            o->format = CTL_FORMAT_CSV;
        else if (!strcmp(arg, "html"))
            o->format = CTL_FORMAT_HTML; /* report only; analyse refuses */
        else {
            bad_usage("analyse: --format is table, csv or json, not \"%s\"",
                      arg);
            return -1;
        }
        o->format_given = true;
        return 0;
    }
    return 0;
}

/* Progress notifications, drawn on a terminal's stderr. */
struct progress {
    const char *plugin;
    bool shown;
};

static void on_progress(const char *method, const json_t *params, void *data)
{
    struct progress *p = data;
    json_t *f = json_object_get(params, "fraction");
    if (strcmp(method, "progress") || !json_is_number(f))
        return;
    double v = json_number_value(f);
    if (!(v >= 0))
        v = 0;
    if (v > 1)
        v = 1;
    fprintf(stderr, "\r%s: %3.0f%%", p->plugin, 100 * v);
    fflush(stderr);
    p->shown = true;
}

/* Summary's kinds, asked once (kinds_only: cheap on a large store). 0,
 * or -1: said on stderr unless quiet (the report then goes without its
 * kinds line). A reader may not call summary (doc/protocol.md, "Roles"):
 * 1 when refused, after saying so unless quiet. */
static int stored_kinds(struct ctx *c, struct kind_presets *kp, bool quiet)
{
    if (kp->stored)
        return 0;
    char err[512];
    ctl_reply_t r = {0};
    json_t *params = json_pack("{s:b}", "kinds_only", 1);
    if (!params || ensure_conn(c) < 0 ||
        ctl_conn_call(c->conn, "summary", params, &r, err, sizeof err) < 0) {
        if (params && c->conn)
            errmsg("%s", err);
        json_decref(params);
        return -1;
    }
    json_decref(params);
    if (r.code == RPC_CODE_FORBIDDEN) {
        if (!quiet)
            errmsg("the --kind presets work and events ask summary which "
                   "kinds are held in records and which in events, and "
                   "this role may not call it: name the kinds instead");
        ctl_reply_clear(&r);
        return 1;
    }
    if (r.code != 0) {
        if (!quiet)
            print_server_error("summary", &r);
        ctl_reply_clear(&r);
        return -1;
    }
    json_t *k = json_object_get(r.result, "kinds");
    kp->stored = json_is_array(k) ? json_incref(k) : NULL;
    ctl_reply_clear(&r);
    if (!kp->stored) {
        if (!quiet)
            errmsg("summary: the daemon does not say which kinds are held "
                   "in records and which in events (too old a spand?)");
        return -1;
    }
    return 0;
}

/* Say a note on stderr once per key. */
static bool first_time(struct kind_presets *kp, const char *key)
{
    if (!kp->warned && !(kp->warned = json_object()))
        return true;
    if (json_object_get(kp->warned, key))
        return false;
    json_object_set_new(kp->warned, key, json_true());
    return true;
}

static int append_unique(json_t *arr, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!strcmp(json_string_value(v), name))
            return 0;
    }
    return json_array_append_new(arr, json_string(name));
}

/* Expand preset (work: kinds with records; events: kinds with events)
 * into out, noting it in kp->used. 0, -1 (out of memory) or -2 (the
 * preset names nothing: a usage error, said here). */
static int expand_preset(struct kind_presets *kp, const char *opt,
                         const char *preset, json_t *out)
{
    bool work = !strcmp(preset, "work");
    const char *mine = work ? "records" : "events",
               *other = work ? "events" : "records";
    json_t *kinds = json_array(), *both = json_array();
    json_t *use = json_pack("{s:s, s:s, s:o, s:o}", "option", opt, "preset",
                            preset, "kinds", kinds, "both", both);
    if (!kinds || !both || !use) {
        json_decref(use);
        errmsg("out of memory");
        return -1;
    }
    size_t i;
    json_t *k;
    json_array_foreach(kp->stored, i, k)
    {
        const char *name = json_string_value(json_object_get(k, "kind"));
        if (!name || json_integer_value(json_object_get(k, mine)) <= 0)
            continue;
        if (json_array_append_new(kinds, json_string(name)) < 0 ||
            append_unique(out, name) < 0)
            goto oom;
        if (json_integer_value(json_object_get(k, other)) <= 0)
            continue;
        if (json_array_append_new(both, json_string(name)) < 0)
            goto oom;
        char key[300];
        snprintf(key, sizeof key, "both:%s", name);
        if (first_time(kp, key)) {
            char *n = ctl_clean_dup(name);
            errmsg("%s %s: kind \"%s\" is held in both records and events; "
                   "the view selects by kind, not by table, so its %s are "
                   "included too",
                   opt, preset, n ? n : "?", other);
            free(n);
        }
    }
    if (json_array_size(kinds) == 0) {
        json_decref(use);
        errmsg("%s %s: no %s are stored, so the preset names no kind", opt,
               preset, mine);
        return -2;
    }
    if ((!kp->used && !(kp->used = json_array())) ||
        json_array_append_new(kp->used, use) < 0) {
        errmsg("out of memory");
        return -1;
    }
    return 0;
oom:
    json_decref(use);
    errmsg("out of memory");
    return -1;
}

static bool is_stored(const json_t *stored, const char *name)
{
    size_t i;
    json_t *k;
    json_array_foreach(stored, i, k)
    {
        const char *n = json_string_value(json_object_get(k, "kind"));
        if (n && !strcmp(n, name))
            return true;
    }
    return false;
}

/* Replace the presets in params' member (kinds or baseline_kinds, given
 * as option opt) by the kinds they name. 0, -1 (failure, said) or -2
 * (usage error, said). */
static int expand_member(struct ctx *c, struct kind_presets *kp, json_t *params,
                         const char *member, const char *opt)
{
    json_t *given = json_object_get(params, member);
    size_t i;
    json_t *v;
    bool any = false;
    json_array_foreach(given, i, v)
    {
        const char *k = json_string_value(v);
        any = any || (k && (!strcmp(k, "work") || !strcmp(k, "events")));
    }
    if (!any)
        return 0;
    if (stored_kinds(c, kp, false) != 0)
        return -1;
    json_t *out = json_array();
    if (!out) {
        errmsg("out of memory");
        return -1;
    }
    int rc = 0;
    bool done[2] = {false, false}; /* work, events: given twice, once */
    json_array_foreach(given, i, v)
    {
        const char *k = json_string_value(v);
        bool preset = !strcmp(k, "work") || !strcmp(k, "events");
        if (preset && done[k[0] == 'e'])
            continue;
        if (preset)
            done[k[0] == 'e'] = true;
        if (preset && is_stored(kp->stored, k)) {
            if (first_time(kp, k))
                errmsg("%s %s: a stored kind is named \"%s\"; it is taken "
                       "as that kind, not as the preset",
                       opt, k, k);
            preset = false;
        }
        rc = preset                      ? expand_preset(kp, opt, k, out)
             : append_unique(out, k) < 0 ? -1
                                         : 0;
        if (rc < 0)
            break;
    }
    if (rc == 0 && json_object_set(params, member, out) < 0)
        rc = -1;
    json_decref(out);
    return rc;
}

/* The --kind and --baseline-kind presets of o->params, expanded. */
static int expand_kind_presets(struct ctx *c, struct analyse_opts *o)
{
    int rc = expand_member(c, &o->presets, o->params, "kinds", "--kind");
    return rc < 0 ? rc
                  : expand_member(c, &o->presets, o->params, "baseline_kinds",
                                  "--baseline-kind");
}

/* Put the view options (window, baseline, kinds) into o->params. */
static int view_params(struct analyse_opts *o)
{
    return (o->window &&
            set_member(&o->params, "window", json_incref(o->window))) ||
                   (o->base &&
                    set_member(&o->params, "baseline", json_incref(o->base))) ||
                   (o->kinds &&
                    set_member(&o->params, "kinds", json_incref(o->kinds))) ||
                   ctl_scope_params(&o->scope, o->params) < 0
               ? -1
               : 0;
}

static void analyse_opts_free(struct analyse_opts *o)
{
    json_decref(o->params);
    json_decref(o->window);
    json_decref(o->base);
    json_decref(o->kinds);
    json_decref(o->pparams);
    ctl_scope_free(&o->scope);
    json_decref(o->presets.stored);
    json_decref(o->presets.used);
    json_decref(o->presets.warned);
}

static int cmd_analyse(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"by", required_argument, NULL, 'b'},
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"baseline-from", required_argument, NULL, 'F'},
        {"baseline-to", required_argument, NULL, 'T'},
        {"kind", required_argument, NULL, 'k'},
        {"param", required_argument, NULL, 'p'},
        {"isolates", no_argument, NULL, 'i'},
        {"top", required_argument, NULL, 'n'},
        {"sort", required_argument, NULL, 'S'},
        {"format", required_argument, NULL, 'o'},
        CTL_SCOPE_OPTIONS,
        PRIVACY_OPTIONS,
        {NULL, 0, NULL, 0}};
    struct analyse_opts o = {.params = json_object(), .top = -1};
    int status = EXIT_USAGE;
    if (!o.params) {
        errmsg("out of memory");
        return EXIT_FAILURE;
    }
    /* Options may come before or after PLUGIN: parse, take PLUGIN, parse
     * the rest. */
    int first = parse_cmd(c, argc, argv, opts, analyse_opt, &o);
    if (first < 0) {
        status = first == -2 ? EXIT_SUCCESS : EXIT_USAGE;
        goto out;
    }
    if (first >= argc) {
        status = bad_usage("analyse needs a PLUGIN (spanctl plugins lists "
                           "them)");
        goto out;
    }
    const char *plugin = argv[first];
    if (first + 1 < argc) {
        int rest =
            parse_cmd(c, argc - first, argv + first, opts, analyse_opt, &o);
        if (rest < 0) {
            status = rest == -2 ? EXIT_SUCCESS : EXIT_USAGE;
            goto out;
        }
        if (first + rest < argc) {
            status = bad_usage("analyse takes one PLUGIN; unexpected \"%s\"",
                               argv[first + rest]);
            goto out;
        }
    }
    if (o.format == CTL_FORMAT_HTML) {
        status = bad_usage("analyse: --format is table, csv or json (html is "
                           "for report)");
        goto out;
    }
    if (!o.format_given && c->json)
        o.format = CTL_FORMAT_JSON;
    if (set_member(&o.params, "plugin", json_string(plugin)) < 0 ||
        view_params(&o) < 0 ||
        (o.pparams &&
         set_member(&o.params, "params", json_incref(o.pparams)))) {
        status = EXIT_FAILURE;
        goto out;
    }
    int ex = expand_kind_presets(c, &o);
    if (ex < 0) {
        status = ex == -2 ? EXIT_USAGE : EXIT_FAILURE;
        goto out;
    }

    struct progress prog = {.plugin = plugin};
    if (isatty(STDERR_FILENO)) {
        if (set_member(&o.params, "progress", json_true()) < 0 ||
            ensure_conn(c) < 0) {
            status = EXIT_FAILURE;
            goto out;
        }
        ctl_conn_on_notify(c->conn, on_progress, &prog);
    }
    ctl_reply_t r;
    int rc = rpc(c, "analyse", o.params, &r);
    if (prog.shown) {
        fputs("\r\033[K", stderr); /* erase the progress line */
        fflush(stderr);
    }
    if (c->conn)
        ctl_conn_on_notify(c->conn, NULL, NULL);
    if (rc < 0) {
        status = EXIT_FAILURE;
        goto out;
    }
    if (o.format == CTL_FORMAT_JSON)
        rc = print_json(r.result);
    else
        rc = ctl_print_analysis(r.result, o.format, o.top, stdout);
    ctl_reply_clear(&r);
    status = rc < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
out:
    analyse_opts_free(&o);
    return status;
}

struct load_args {
    ctl_load_opts_t load;
    ctl_survey_opts_t survey;
};

static bool wave_ok(const char *s)
{
    static const char pat[] = "dddd-dd-dd";
    for (size_t i = 0; i < sizeof pat - 1; i++)
        if (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != '-')
            return false;
    return s[sizeof pat - 1] == '\0';
}

static int load_opt(int opt, const char *arg, void *data)
{
    struct load_args *a = data;
    ctl_load_opts_t *o = &a->load;
    switch (opt) {
    case 's':
        o->strict = true;
        return 0;
    case 'S':
        a->survey.path = arg;
        return 0;
    case 'W':
        if (!wave_ok(arg)) {
            bad_usage("load: --wave must be a date YYYY-MM-DD");
            return -1;
        }
        a->survey.wave = arg;
        return 0;
    case 'K':
        a->survey.kind = arg;
        return 0;
    case 'R':
        a->survey.respondent_col = arg;
        return 0;
    case 'A':
        a->survey.alter_prefix = arg;
        return 0;
    case 'G':
        a->survey.strength_prefix = arg;
        return 0;
    case 'M':
        a->survey.match_names = true;
        return 0;
    default:
        break;
    }
    if (opt == 'd') {
        if (!strcmp(arg, "dmy")) {
            o->date_format = CTL_DATE_DMY;
        } else if (!strcmp(arg, "mdy")) {
            o->date_format = CTL_DATE_MDY;
        } else {
            bad_usage("load: --date-format must be dmy or mdy");
            return -1;
        }
        return 0;
    }
    if (opt == 'z') {
        char err[256];
        if (ctl_load_tz_check(arg, err, sizeof err) < 0) {
            bad_usage("load: %s", err);
            return -1;
        }
        o->tz = arg;
        return 0;
    }
    if (opt == 'n') {
        o->no_implicit = true;
        return 0;
    }
    if (opt == 'b') {
        char *end;
        errno = 0;
        long long v = strtoll(arg, &end, 10);
        if (errno || end == arg || *end || v < 1 || v > CTL_LOAD_BATCH_MAX) {
            bad_usage("load: --batch must be a number from 1 to %d",
                      CTL_LOAD_BATCH_MAX);
            return -1;
        }
        o->batch = (size_t)v;
    }
    return 0;
}

/* The survey after the files, so that the people they describe are known
 * and their names can be matched. */
static int load_survey(struct ctx *c, struct load_args *a, char **files,
                       size_t nfiles)
{
    ctl_survey_opts_t *s = &a->survey;
    s->people_paths = files;
    s->npeople_paths = nfiles;
    s->json = c->json;
    s->out = stdout;
    ctl_survey_result_t res;
    char err[512];
    if (ctl_survey_load(c->conn, s, &res, err, sizeof err) < 0) {
        errmsg("load: %s", err);
        return EXIT_FAILURE;
    }
    return res.unmatched || res.rejected ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int cmd_load(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"batch", required_argument, NULL, 'b'},
        {"strict", no_argument, NULL, 's'},
        {"survey", required_argument, NULL, 'S'},
        {"wave", required_argument, NULL, 'W'},
        {"kind", required_argument, NULL, 'K'},
        {"respondent-col", required_argument, NULL, 'R'},
        {"alter-cols", required_argument, NULL, 'A'},
        {"strength-cols", required_argument, NULL, 'G'},
        {"match-names", no_argument, NULL, 'M'},
        {"date-format", required_argument, NULL, 'd'},
        {"tz", required_argument, NULL, 'z'},
        {"no-implicit", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0}};
    struct load_args a = {.load = {.batch = CTL_LOAD_BATCH_DEFAULT,
                                   .strict = false,
                                   .out = stdout}};
    ctl_load_opts_t o;
    int first = parse_cmd(c, argc, argv, opts, load_opt, &a);
    if (first < 0)
        return first == -2 ? 0 : EXIT_USAGE;
    o = a.load;
    bool survey = a.survey.path != NULL;
    if (survey && (!a.survey.wave || !a.survey.kind))
        return bad_usage("load --survey needs --wave DATE and --kind K");
    if (!survey && (a.survey.wave || a.survey.kind || a.survey.match_names ||
                    a.survey.respondent_col || a.survey.alter_prefix ||
                    a.survey.strength_prefix))
        return bad_usage("load: --wave, --kind, --match-names and the "
                         "column options go with --survey FILE");
    if (first == argc && !survey)
        return bad_usage("load needs at least one FILE (- for standard "
                         "input)");
    o.json = c->json;
    if (ensure_conn(c) < 0)
        return EXIT_FAILURE;
    int status = EXIT_SUCCESS;
    if (first < argc) {
        ctl_load_result_t res;
        char err[512];
        int rc = ctl_load_files(c->conn, argv + first, (size_t)(argc - first),
                                &o, &res, err, sizeof err);
        if (rc < 0) {
            errmsg("load: %s", err);
            return EXIT_FAILURE;
        }
        if (res.rejected || res.unsent || res.failed_files)
            status = EXIT_FAILURE;
    }
    if (survey && load_survey(c, &a, argv + first, (size_t)(argc - first)) !=
                      EXIT_SUCCESS)
        status = EXIT_FAILURE;
    return status;
}

static int cmd_report(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"by", required_argument, NULL, 'b'},
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"baseline-from", required_argument, NULL, 'F'},
        {"baseline-to", required_argument, NULL, 'T'},
        {"kind", required_argument, NULL, 'k'},
        {"isolates", no_argument, NULL, 'i'},
        {"top", required_argument, NULL, 'n'},
        {"format", required_argument, NULL, 'o'},
        {"cohort", required_argument, NULL, 'C'},
        CTL_SCOPE_OPTIONS,
        PRIVACY_OPTIONS,
        {NULL, 0, NULL, 0}};
    struct analyse_opts o = {.params = json_object(), .top = -1};
    int status = EXIT_USAGE;
    if (!o.params) {
        errmsg("out of memory");
        return EXIT_FAILURE;
    }
    int first = parse_cmd(c, argc, argv, opts, analyse_opt, &o);
    if (first < 0) {
        status = first == -2 ? EXIT_SUCCESS : EXIT_USAGE;
        goto out;
    }
    if (first < argc) {
        status = bad_usage("report: unexpected \"%s\"", argv[first]);
        goto out;
    }
    if (o.format == CTL_FORMAT_CSV) {
        status = bad_usage("report: --format is table, json or html");
        goto out;
    }
    if (json_object_get(o.params, "cohort") && !o.base) {
        status = bad_usage("report: --cohort needs a baseline "
                           "(--baseline-from/--baseline-to)");
        goto out;
    }
    if ((json_object_get(o.params, "suppress") ||
         json_object_get(o.params, "pseudonymise")) &&
        o.scope.within) {
        /* spand refuses within with either (doc/protocol.md "Privacy"):
         * say so once rather than mark every section unavailable. */
        status = bad_usage("report: --within cannot be combined with "
                           "--suppress or --pseudonymise; run one report per "
                           "value with --where instead");
        goto out;
    }
    if (view_params(&o) < 0 || ensure_conn(c) < 0) {
        status = EXIT_FAILURE;
        goto out;
    }
    int ex = expand_kind_presets(c, &o);
    if (ex < 0) {
        status = ex == -2 ? EXIT_USAGE : EXIT_FAILURE;
        goto out;
    }
    char err[512];
    int incomplete = 0;
    json_t *doc = ctl_report_build(c->conn, o.params, o.top < 0 ? 10 : o.top,
                                   &incomplete, err, sizeof err);
    json_object_del(o.params, "cohort"); /* the report's, not the view's */
    if (!doc) {
        errmsg("report: %s", err);
        status = EXIT_FAILURE;
        goto out;
    }
    /* What came from records and what from events, for the report's
     * "Ties counted" line; without it the line says less, nothing fails. */
    if (stored_kinds(c, &o.presets, true) == 0)
        json_object_set(doc, "kind_counts", o.presets.stored);
    if (o.presets.used)
        json_object_set(doc, "kind_presets", o.presets.used);
    int rc;
    if (o.format == CTL_FORMAT_HTML) {
        rc = ctl_html_print(c->conn, o.params, doc, stdout, err, sizeof err);
        if (rc < 0)
            errmsg("report: %s", err);
    } else if (o.format == CTL_FORMAT_JSON || c->json) {
        rc = print_json(doc);
    } else {
        rc = ctl_report_print(doc, stdout);
    }
    json_decref(doc);
    if (incomplete)
        errmsg("report: some analyses were unavailable (see above)");
    status = rc < 0 || incomplete ? EXIT_FAILURE : EXIT_SUCCESS;
out:
    analyse_opts_free(&o);
    return status;
}

/* export takes the view options of analyse, and its own --format and
 * --spreadsheet-safe. */
struct export_opts {
    struct analyse_opts a;
    const char *format;
    bool spreadsheet_safe;
    bool drop_unvalued;
    const char *gexf_version;
};

static int export_opt(int opt, const char *arg, void *data)
{
    struct export_opts *o = data;
    if (opt == 'X') {
        o->format = arg;
        return 0;
    }
    if (opt == 'Q') { /* Q: no short option, not analyse's 'S' (--sort) */
        o->spreadsheet_safe = true;
        return 0;
    }
    if (opt == 'U') {
        o->drop_unvalued = true;
        return 0;
    }
    if (opt == 'G') {
        o->gexf_version = arg;
        return 0;
    }
    if (opt == OPT_SUPPRESS) {
        /* spand suppresses small numbers in analyses' aggregate tables; an
         * export is the person-level network itself. */
        bad_usage("export: --suppress is for analyse and report (an export "
                  "is person-level; --pseudonymise applies)");
        return -1;
    }
    return analyse_opt(opt, arg, &o->a);
}

/* People the export left out (no value for the boundary, with
 * --drop-unvalued): said on stderr too, since stdout is the file. */
static void export_left_out(json_t *result)
{
    json_int_t n = json_integer_value(
        json_object_get(json_object_get(result, "view"), "excluded"));
    if (n > 0)
        fprintf(stderr,
                "spanctl: export: %" JSON_INTEGER_FORMAT " %s without a "
                "value for %s left out\n",
                n, n == 1 ? "person" : "people",
                json_string_value(json_object_get(result, "boundary")));
}

static int cmd_export(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'X'},
        {"by", required_argument, NULL, 'b'},
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"kind", required_argument, NULL, 'k'},
        {"isolates", no_argument, NULL, 'i'},
        {"spreadsheet-safe", no_argument, NULL, 'Q'},
        {"drop-unvalued", no_argument, NULL, 'U'},
        {"gexf-version", required_argument, NULL, 'G'},
        CTL_SCOPE_OPTIONS,
        PRIVACY_OPTIONS,
        {NULL, 0, NULL, 0}};
    struct export_opts o = {.a = {.params = json_object(), .top = -1}};
    int status = EXIT_USAGE;
    if (!o.a.params) {
        errmsg("out of memory");
        return EXIT_FAILURE;
    }
    int first = parse_cmd(c, argc, argv, opts, export_opt, &o);
    if (first < 0) {
        status = first == -2 ? EXIT_SUCCESS : EXIT_USAGE;
        goto out;
    }
    if (first < argc) {
        status = bad_usage("export: unexpected \"%s\"", argv[first]);
        goto out;
    }
    if (!o.format) {
        status = bad_usage("export needs --format graphml|gexf|dot|csv");
        goto out;
    }
    if (o.spreadsheet_safe && strcmp(o.format, "csv") != 0) {
        status = bad_usage("export: --spreadsheet-safe is for --format csv");
        goto out;
    }
    if (set_member(&o.a.params, "format", json_string(o.format)) < 0 ||
        (o.spreadsheet_safe &&
         set_member(&o.a.params, "spreadsheet_safe", json_true()) < 0) ||
        (o.drop_unvalued &&
         set_member(&o.a.params, "unvalued", json_false()) < 0) ||
        (o.gexf_version && set_member(&o.a.params, "gexf_version",
                                      json_string(o.gexf_version)) < 0) ||
        view_params(&o.a) < 0) {
        status = EXIT_FAILURE;
        goto out;
    }
    int ex = expand_kind_presets(c, &o.a);
    if (ex < 0) {
        status = ex == -2 ? EXIT_USAGE : EXIT_FAILURE;
        goto out;
    }
    ctl_reply_t r;
    if (rpc(c, "export", o.a.params, &r) < 0) {
        status = EXIT_FAILURE;
        goto out;
    }
    export_left_out(r.result);
    if (c->json) {
        status = print_json(r.result) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
    } else {
        json_t *text = json_object_get(r.result, "text");
        size_t n = json_string_length(text);
        status = fwrite(json_string_value(text), 1, n, stdout) == n &&
                         fflush(stdout) == 0
                     ? EXIT_SUCCESS
                     : EXIT_FAILURE;
    }
    ctl_reply_clear(&r);
out:
    analyse_opts_free(&o.a);
    return status;
}

static const struct command {
    const char *name;
    int (*run)(struct ctx *, int, char **);
} commands[] = {
    {"ping", cmd_ping},         {"status", cmd_status},
    {"load", cmd_load},         {"boundaries", cmd_boundaries},
    {"summary", cmd_summary},   {"person", cmd_person},
    {"forget", cmd_forget},     {"reload", cmd_reload},
    {"plugins", cmd_plugins},   {"analyse", cmd_analyse},
    {"report", cmd_report},     {"export", cmd_export},
    {"shutdown", cmd_shutdown}, {"call", cmd_call},
    {"audit", cmd_audit},
};

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"socket", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    struct ctx c = {0};
    int o;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+:s:hV", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            c.socket = optarg;
            break;
        case 'j':
            c.json = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_SUCCESS;
        case 'V':
            printf("spanctl %s\n", PACKAGE_VERSION);
            return EXIT_SUCCESS;
        case ':':
            return bad_usage("option %s needs a value", argv[optind - 1]);
        default:
            return bad_usage("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return bad_usage("no command given");
    if (!c.socket)
        c.socket = getenv("SPAND_SOCKET");
    if (!c.socket || !*c.socket)
        c.socket = DEFAULT_SOCKET;

    const char *name = argv[optind];
    const struct command *cmd = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            cmd = &commands[i];
    if (!cmd)
        return bad_usage("unknown command \"%s\"", name);
    int rc = cmd->run(&c, argc - optind, argv + optind);
    ctl_conn_close(c.conn);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        errmsg("cannot write output: %s", strerror(errno));
        return EXIT_FAILURE;
    }
    return rc;
}
