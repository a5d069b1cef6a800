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

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_conn.h"
#include "ctl_load.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define EXIT_USAGE 2
#define DEFAULT_SOCKET "spand.sock" /* spand's default: the working dir */

struct ctx {
    const char *socket;
    bool json;
    ctl_conn_t *conn;
};

static void usage(FILE *out)
{
    fputs("usage: spanctl [-s SOCKET] [--json] COMMAND [ARG...]\n"
          "       spanctl -h | -V\n"
          "\n"
          "Talk to spand over its Unix socket: -s SOCKET, else $SPAND_SOCKET,\n"
          "else ./" DEFAULT_SOCKET ".\n"
          "\n"
          "commands:\n"
          "  ping                        check that spand answers\n"
          "  status                      the daemon's counters\n"
          "  load [--batch N] [--strict] FILE...\n"
          "                              load people, records and events "
          "from CSV or\n"
          "                              JSON Lines files (- reads standard "
          "input)\n"
          "  boundaries                  attributes, their values and people "
          "counts\n"
          "  summary [--by ATTR]         groups and cross-boundary ties per "
          "year\n"
          "                              (ATTR defaults to sector)\n"
          "  person ID                   one person's attributes and ties\n"
          "  forget ID                   erase a person with all their records "
          "and\n"
          "                              event participations\n"
          "  reload                      make spand re-read its configuration\n"
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
          "                        the load (default: skip invalid rows)\n"
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
    if (r->data) {
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

/* Display width of UTF-8 text, counting code points: good enough for the
 * names and places this data holds. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

/* A copy of s safe to print on a terminal: control characters from the
 * data must not move the cursor or change colours. */
static char *clean_dup(const char *s)
{
    char *d = strdup(s);
    if (d)
        for (char *p = d; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
    return d;
}

static char *vfmt(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

static char *vfmt(const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s && vsnprintf(s, (size_t)n + 1, fmt, ap) != n) {
        free(s);
        s = NULL;
    }
    return s;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = vfmt(f, ap);
    va_end(ap);
    return s;
}

/* Any JSON value as a short text: strings bare, the rest as JSON. */
static char *value_text(const json_t *v)
{
    if (!v || json_is_null(v))
        return strdup("-");
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v))
        return fmt("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_real(v))
        return fmt("%.6g", json_real_value(v));
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* A table of text cells, printed with aligned columns. Cells are owned;
 * the first allocation failure is remembered and reported on print. */
struct table {
    size_t ncols;
    const char *const *head; /* NULL: no header row */
    const char *align;       /* per column: 'l' or 'r' */
    char **cell;
    size_t n, cap;
    bool oom;
    const char *indent;
};

/* Add one cell, taking ownership of s (NULL: allocation failed). */
static void table_take(struct table *t, char *s)
{
    if (!s) {
        t->oom = true;
        return;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **p = realloc(t->cell, cap * sizeof *p);
        if (!p) {
            free(s);
            t->oom = true;
            return;
        }
        t->cell = p;
        t->cap = cap;
    }
    t->cell[t->n++] = s;
}

static void table_add(struct table *t, const char *s)
{
    table_take(t, clean_dup(s ? s : "-"));
}

static void table_addf(struct table *t, const char *f, ...)
    __attribute__((format(printf, 2, 3)));

static void table_addf(struct table *t, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = vfmt(f, ap);
    va_end(ap);
    table_take(t, s);
}

static void table_add_value(struct table *t, const json_t *v)
{
    char *s = value_text(v);
    if (!s) {
        t->oom = true;
        return;
    }
    table_add(t, s);
    free(s);
}

static void pad(FILE *out, size_t n)
{
    while (n--)
        fputc(' ', out);
}

static int table_print(const struct table *t, FILE *out)
{
    if (t->oom) {
        errmsg("out of memory");
        return -1;
    }
    size_t *w = calloc(t->ncols, sizeof *w);
    if (!w) {
        errmsg("out of memory");
        return -1;
    }
    for (size_t c = 0; t->head && c < t->ncols; c++)
        w[c] = text_width(t->head[c]);
    for (size_t i = 0; i < t->n; i++) {
        size_t tw = text_width(t->cell[i]);
        if (tw > w[i % t->ncols])
            w[i % t->ncols] = tw;
    }
    size_t rows = t->n / t->ncols;
    for (size_t r = 0; r < rows + (t->head ? 1 : 0); r++) {
        fputs(t->indent ? t->indent : "", out);
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s =
                t->head && r == 0
                    ? t->head[c]
                    : t->cell[(r - (t->head ? 1 : 0)) * t->ncols + c];
            size_t gap = w[c] - text_width(s);
            bool last = c + 1 == t->ncols;
            if (t->align[c] == 'r')
                pad(out, gap);
            fputs(s, out);
            if (!last && t->align[c] != 'r')
                pad(out, gap);
            if (!last)
                fputs("  ", out);
        }
        fputc('\n', out);
    }
    free(w);
    return 0;
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->cell[i]);
    free(t->cell);
    t->cell = NULL;
    t->n = t->cap = 0;
}

/* "key: value" lines with the values aligned. */
static int kv_print(struct table *t, FILE *out)
{
    static const char align[] = "ll";
    t->ncols = 2;
    t->align = align;
    for (size_t i = 0; i + 1 < t->n; i += 2) {
        char *k = fmt("%s:", t->cell[i]);
        if (!k) {
            t->oom = true;
            break;
        }
        free(t->cell[i]);
        t->cell[i] = k;
    }
    return table_print(t, out);
}

static json_int_t jint(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static char *human_bytes(json_int_t b)
{
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
    if (b < 1024)
        return fmt("%" JSON_INTEGER_FORMAT " bytes", b);
    double v = (double)b;
    size_t u = 0;
    for (v /= 1024; v >= 1024 && u + 1 < sizeof unit / sizeof unit[0]; u++)
        v /= 1024;
    return fmt("%.1f %s", v, unit[u]);
}

static char *human_duration(json_int_t s)
{
    if (s < 60)
        return fmt("%" JSON_INTEGER_FORMAT "s", s);
    if (s < 3600)
        return fmt("%" JSON_INTEGER_FORMAT "m %02" JSON_INTEGER_FORMAT "s",
                   s / 60, s % 60);
    if (s < 86400)
        return fmt("%" JSON_INTEGER_FORMAT "h %02" JSON_INTEGER_FORMAT
                   "m %02" JSON_INTEGER_FORMAT "s",
                   s / 3600, s / 60 % 60, s % 60);
    return fmt("%" JSON_INTEGER_FORMAT "d %02" JSON_INTEGER_FORMAT
               "h %02" JSON_INTEGER_FORMAT "m",
               s / 86400, s / 3600 % 24, s / 60 % 60);
}

/* Add every member of o not in skip (NULL-terminated) as key/value rows,
 * objects flattened to "key.sub": new fields of the server still show. */
static void kv_rest(struct table *t, const json_t *o, const char *prefix,
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
        char *name = prefix ? fmt("%s.%s", prefix, key) : strdup(key);
        if (!name) {
            t->oom = true;
            return;
        }
        if (json_is_object(v) && json_object_size(v) > 0) {
            kv_rest(t, v, name, NULL);
        } else {
            table_add(t, name);
            table_add_value(t, v);
        }
        free(name);
    }
}

/* ---- commands ---------------------------------------------------------- */

/* Parse a command's options: --json and -h/--help for all, plus the long
 * options in extra (at most 4), each handed to cb with its value. Returns
 * the index of the first operand, -1 after a usage error was reported, or
 * -2 when the help was printed. */
typedef int (*opt_cb)(int opt, const char *arg, void *data);

static int parse_cmd(struct ctx *c, int argc, char **argv,
                     const struct option *extra, opt_cb cb, void *data)
{
    struct option all[8];
    size_t n = 0;
    for (; extra && extra[n].name && n < 4; n++)
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
    struct table t = {0};
    json_t *v;
    if ((v = json_object_get(res, "version"))) {
        table_add(&t, "version");
        table_add_value(&t, v);
    }
    if ((v = json_object_get(res, "uptime_s"))) {
        table_add(&t, "uptime");
        table_take(&t, human_duration((json_int_t)json_number_value(v)));
    }
    static const char *const counts[][2] = {
        {"people", "people"},
        {"records", "records"},
        {"events", "events"},
        {"data_version", "data version"},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        if ((v = json_object_get(res, counts[i][0]))) {
            table_add(&t, counts[i][1]);
            table_add_value(&t, v);
        }
    }
    if ((v = json_object_get(res, "db_bytes"))) {
        table_add(&t, "database size");
        table_take(&t, human_bytes(json_integer_value(v)));
    }
    if ((v = json_object_get(res, "connections"))) {
        table_add(&t, "connections");
        table_add_value(&t, v);
    }
    if ((v = json_object_get(res, "requests"))) {
        table_add(&t, "requests served");
        table_add_value(&t, v);
    }
    json_t *ing = json_object_get(res, "ingest");
    if (json_is_object(ing)) {
        static const char *const done[] = {"items", "rate_per_s", NULL};
        table_add(&t, "items ingested");
        table_add_value(&t, json_object_get(ing, "items"));
        table_add(&t, "ingest rate");
        table_addf(&t, "%.1f items/s",
                   json_number_value(json_object_get(ing, "rate_per_s")));
        kv_rest(&t, ing, "ingest", done);
    }
    json_t *cache = json_object_get(res, "cache");
    if (json_is_object(cache)) {
        static const char *const done[] = {"hits", "misses", NULL};
        table_add(&t, "cache");
        table_addf(&t,
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
            table_addf(&t, "plugin %s", name);
            if (!json_is_object(p)) {
                table_add_value(&t, p);
                continue;
            }
            /* runs, errors, time...: whatever the server reports. */
            char *line = strdup("");
            const char *k;
            json_t *pv;
            json_object_foreach(p, k, pv)
            {
                char *val = value_text(pv);
                char *next = line && val ? fmt("%s%s%s %s", line,
                                               *line ? ", " : "", k, val)
                                         : NULL;
                free(val);
                free(line);
                line = next;
            }
            table_take(&t, line);
        }
    }
    kv_rest(&t, res, NULL, known);
    int rc = kv_print(&t, stdout);
    table_free(&t);
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
    printf("%" JSON_INTEGER_FORMAT " people\n", total);
    if (json_array_size(attrs) == 0) {
        printf("no attributes yet\n");
        return 0;
    }
    struct table t = {.ncols = 3, .head = head, .align = "llr"};
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a)
    {
        const char *name = json_string_value(json_object_get(a, "name"));
        size_t j;
        json_t *v;
        json_array_foreach(json_object_get(a, "values"), j, v)
        {
            table_add(&t, name);
            table_add_value(&t, json_object_get(v, "value"));
            table_add_value(&t, json_object_get(v, "people"));
        }
        /* Those without a value fall outside an analysis by this
         * attribute: worth seeing next to the groups. */
        json_int_t with = jint(a, "people");
        if (total > with) {
            table_add(&t, name);
            table_add(&t, "(no value)");
            table_addf(&t, "%" JSON_INTEGER_FORMAT, total - with);
        }
    }
    int rc = table_print(&t, stdout);
    table_free(&t);
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

static int human_summary(const json_t *res)
{
    const char *boundary = json_string_value(json_object_get(res, "boundary"));
    if (!boundary)
        boundary = "?";
    printf("boundary: %s\n\n", boundary);

    static const char *const ghead[] = {"GROUP", "PEOPLE"};
    struct table g = {.ncols = 2, .head = ghead, .align = "lr"};
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(res, "groups"), i, v)
    {
        table_add_value(&g, json_object_get(v, "group"));
        table_add_value(&g, json_object_get(v, "people"));
    }
    json_int_t unassigned = jint(res, "unassigned");
    if (unassigned > 0) {
        table_add(&g, "(no value)");
        table_addf(&g, "%" JSON_INTEGER_FORMAT, unassigned);
    }
    int rc = table_print(&g, stdout);
    table_free(&g);
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
    const char *yhead[] = {"YEAR", "RECORDS", "EVENTS", "TIES", cross, "SHARE"};
    struct table y = {.ncols = 6, .head = yhead, .align = "rrrrrr"};
    json_array_foreach(years, i, v)
    {
        json_int_t ties = jint(v, "ties"), xt = jint(v, "cross_ties");
        table_add_value(&y, json_object_get(v, "year"));
        table_add_value(&y, json_object_get(v, "records"));
        table_add_value(&y, json_object_get(v, "events"));
        table_add_value(&y, json_object_get(v, "ties"));
        table_add_value(&y, json_object_get(v, "cross_ties"));
        if (ties > 0)
            table_addf(&y, "%.1f%%", 100.0 * (double)xt / (double)ties);
        else
            table_add(&y, "-");
    }
    putchar('\n');
    rc = table_print(&y, stdout);
    table_free(&y);
    if (rc < 0)
        return rc;

    static const char *const phead[] = {"GROUP A", "GROUP B", "TIES"};
    json_array_foreach(years, i, v)
    {
        json_t *pairs = json_object_get(v, "pairs");
        if (json_array_size(pairs) == 0)
            continue;
        printf("\ncross-%s ties in %" JSON_INTEGER_FORMAT ":\n", boundary,
               jint(v, "year"));
        struct table p = {
            .ncols = 3, .head = phead, .align = "llr", .indent = "  "};
        size_t j;
        json_t *pr;
        json_array_foreach(pairs, j, pr)
        {
            table_add_value(&p, json_object_get(pr, "group_a"));
            table_add_value(&p, json_object_get(pr, "group_b"));
            table_add_value(&p, json_object_get(pr, "ties"));
        }
        rc = table_print(&p, stdout);
        table_free(&p);
        if (rc < 0)
            return rc;
    }
    return 0;
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
    struct table t = {0};
    table_add(&t, "id");
    table_add_value(&t, json_object_get(res, "id"));
    int rc = kv_print(&t, stdout);
    table_free(&t);

    json_t *attrs = json_object_get(res, "attributes");
    printf("attributes:%s\n", json_object_size(attrs) ? "" : " (none)");
    t = (struct table){.indent = "  "};
    kv_rest(&t, attrs, NULL, NULL);
    if (rc == 0 && t.n)
        rc = kv_print(&t, stdout);
    table_free(&t);

    printf("ties:\n");
    t = (struct table){.indent = "  "};
    for (size_t i = 0; i < sizeof ties / sizeof ties[0]; i++) {
        json_t *v = json_object_get(res, ties[i][0]);
        if (!v)
            continue;
        table_add(&t, ties[i][1]);
        table_add_value(&t, v);
    }
    kv_rest(&t, res, NULL, known);
    if (rc == 0 && t.n)
        rc = kv_print(&t, stdout);
    table_free(&t);

    json_t *kinds = json_object_get(res, "kinds");
    if (json_object_size(kinds)) {
        printf("kinds:\n");
        t = (struct table){.indent = "  "};
        kv_rest(&t, kinds, NULL, NULL);
        if (rc == 0)
            rc = kv_print(&t, stdout);
        table_free(&t);
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

static int cmd_person(struct ctx *c, int argc, char **argv)
{
    return id_command(c, argc, argv, human_person);
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

static int cmd_forget(struct ctx *c, int argc, char **argv)
{
    return id_command(c, argc, argv, human_forget);
}

static int human_reload(const json_t *res)
{
    (void)res;
    printf("spand reloaded its configuration\n");
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

static int load_opt(int opt, const char *arg, void *data)
{
    ctl_load_opts_t *o = data;
    if (opt == 's') {
        o->strict = true;
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

static int cmd_load(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"batch", required_argument, NULL, 'b'},
        {"strict", no_argument, NULL, 's'},
        {NULL, 0, NULL, 0}};
    ctl_load_opts_t o = {
        .batch = CTL_LOAD_BATCH_DEFAULT, .strict = false, .out = stdout};
    int first = parse_cmd(c, argc, argv, opts, load_opt, &o);
    if (first < 0)
        return first == -2 ? 0 : EXIT_USAGE;
    if (first == argc)
        return bad_usage("load needs at least one FILE (- for standard "
                         "input)");
    o.json = c->json;
    if (ensure_conn(c) < 0)
        return EXIT_FAILURE;
    ctl_load_result_t res;
    char err[512];
    int rc = ctl_load_files(c->conn, argv + first, (size_t)(argc - first), &o,
                            &res, err, sizeof err);
    if (rc < 0) {
        errmsg("load: %s", err);
        return EXIT_FAILURE;
    }
    return res.rejected || res.unsent || res.failed_files ? EXIT_FAILURE
                                                          : EXIT_SUCCESS;
}

static const struct command {
    const char *name;
    int (*run)(struct ctx *, int, char **);
} commands[] = {
    {"ping", cmd_ping},         {"status", cmd_status},
    {"load", cmd_load},         {"boundaries", cmd_boundaries},
    {"summary", cmd_summary},   {"person", cmd_person},
    {"forget", cmd_forget},     {"reload", cmd_reload},
    {"shutdown", cmd_shutdown}, {"call", cmd_call},
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
