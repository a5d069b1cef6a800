/* ctl_analyse.c - spanctl's output for `plugins` and `analyse`; see
 * ctl_analyse.h. Everything here reads the server's JSON defensively: a
 * member that is missing or of another type shows as "-" or is left out,
 * never crashes the client, so a newer server still prints. */
/* POSIX.1-2008: strdup. */
#define _POSIX_C_SOURCE 200809L

#include "ctl_analyse.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_table.h"

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const char *plural(json_int_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* ---- plugins ------------------------------------------------------------ */

static int print_plugin(const json_t *p, FILE *out)
{
    const char *name = jstr(p, "name");
    const char *version = jstr(p, "version");
    const char *file = jstr(p, "file");
    bool builtin = json_is_true(json_object_get(p, "builtin"));
    ctl_table_t t = {0};
    int rc = 0;

    char *title = ctl_fmt("%s %s", name ? name : "?", version ? version : "");
    char *clean = title ? ctl_clean_dup(title) : NULL;
    free(title);
    if (!clean) {
        fputs("spanctl: out of memory\n", stderr);
        return -1;
    }
    fprintf(out, "%s  (%s)\n", clean,
            builtin ? "built in" : "third-party: runs isolated");
    free(clean);

    t.indent = "  ";
    if (jstr(p, "summary")) {
        ctl_table_add(&t, "summary");
        ctl_table_add(&t, jstr(p, "summary"));
    }
    if (file) {
        ctl_table_add(&t, "file");
        ctl_table_add(&t, file);
    }
    if (jstr(p, "licence")) {
        ctl_table_add(&t, "licence");
        ctl_table_add(&t, jstr(p, "licence"));
    }
    if (json_is_true(json_object_get(p, "needs_baseline"))) {
        ctl_table_add(&t, "needs");
        ctl_table_add(&t, "a baseline window (--baseline-from/--baseline-to)");
    }
    rc = ctl_kv_print(&t, out);
    ctl_table_free(&t);

    json_t *params = json_object_get(p, "params");
    size_t i;
    json_t *v;
    if (rc == 0 && json_array_size(params) > 0) {
        static const char *const head[] = {"parameter", "type", "default",
                                           "help"};
        fprintf(out, "  parameters (--param NAME=VALUE):\n");
        t = (ctl_table_t){
            .ncols = 4, .head = head, .align = "llll", .indent = "    "};
        json_array_foreach(params, i, v)
        {
            ctl_table_add(&t, jstr(v, "name"));
            ctl_table_add(&t, jstr(v, "type"));
            const char *def = jstr(v, "default");
            if (def && !*def)
                ctl_table_add(&t, "\"\"");
            else
                ctl_table_add_value(&t, json_object_get(v, "default"));
            ctl_table_add(&t, jstr(v, "help") ? jstr(v, "help") : "");
        }
        rc = ctl_table_print(&t, out);
        ctl_table_free(&t);
    } else if (rc == 0) {
        fprintf(out, "  parameters: none\n");
    }

    json_t *columns = json_object_get(p, "columns");
    if (rc == 0 && json_array_size(columns) > 0) {
        static const char *const head[] = {"table", "column", "type",
                                           "meaning"};
        fprintf(out, "  columns:\n");
        t = (ctl_table_t){
            .ncols = 4, .head = head, .align = "llll", .indent = "    "};
        /* Grouped by table in the order the tables are printed. */
        static const char *const order[] = {"network", "vertex", "group",
                                            "pair", NULL};
        for (const char *const *tab = order;; tab++) {
            json_array_foreach(columns, i, v)
            {
                const char *table = jstr(v, "table");
                bool known = false;
                for (const char *const *k = order; *k; k++)
                    if (table && !strcmp(table, *k))
                        known = true;
                /* Last round: tables this client does not know. */
                if (*tab ? !(table && !strcmp(table, *tab)) : known)
                    continue;
                ctl_table_add(&t, table);
                ctl_table_add(&t, jstr(v, "name"));
                ctl_table_add(&t, jstr(v, "type"));
                ctl_table_add(&t, jstr(v, "meaning") ? jstr(v, "meaning") : "");
            }
            if (!*tab)
                break;
        }
        rc = ctl_table_print(&t, out);
        ctl_table_free(&t);
    }
    return rc;
}

int ctl_print_plugins(const json_t *res, FILE *out)
{
    json_t *plugins = json_object_get(res, "plugins");
    json_t *refused = json_object_get(res, "refused");
    size_t i;
    json_t *p;
    json_t *dirs = json_object_get(res, "dirs");
    if (json_array_size(plugins) == 0)
        fprintf(out, "no plugins loaded\n");
    /* Where the daemon looked, so that an empty list can be explained. */
    if (json_array_size(dirs) > 0) {
        ctl_table_t t = {.indent = "  "};
        fprintf(out, "looked in:\n");
        json_array_foreach(dirs, i, p)
        {
            const char *dir = jstr(p, "dir"), *kind = jstr(p, "kind");
            ctl_table_addf(&t, "%s (%s)", dir ? dir : "?", kind ? kind : "?");
            ctl_table_add(&t, jstr(p, "status"));
        }
        int rc = ctl_kv_print(&t, out);
        ctl_table_free(&t);
        if (rc < 0)
            return -1;
        if (json_array_size(plugins) > 0)
            fputc('\n', out);
    }
    json_array_foreach(plugins, i, p)
    {
        if (i > 0)
            fputc('\n', out);
        if (print_plugin(p, out) < 0)
            return -1;
    }
    if (json_array_size(refused) > 0) {
        fprintf(out, "\nrefused:\n");
        ctl_table_t t = {.indent = "  "};
        json_array_foreach(refused, i, p)
        {
            ctl_table_add(&t, jstr(p, "file"));
            ctl_table_add(&t, jstr(p, "reason"));
        }
        int rc = ctl_kv_print(&t, out);
        ctl_table_free(&t);
        return rc;
    }
    return 0;
}

/* ---- reload ------------------------------------------------------------- */

/* One entry of reload's lists: a name, a file, or {name|file, reason}. */
static char *entry_text(const json_t *e)
{
    if (json_is_string(e))
        return ctl_clean_dup(json_string_value(e));
    if (!json_is_object(e))
        return ctl_value_text(e);
    const char *what = jstr(e, "name");
    if (!what)
        what = jstr(e, "file");
    const char *reason = jstr(e, "reason");
    char *s = reason ? ctl_fmt("%s (%s)", what ? what : "?", reason)
                     : strdup(what ? what : "?");
    char *c = s ? ctl_clean_dup(s) : NULL;
    free(s);
    return c;
}

int ctl_print_reload_plugins(const json_t *plugins, FILE *out)
{
    static const char *const lists[][2] = {
        {"loaded", "plugins loaded"},
        {"removed", "plugins removed"},
        {"refused", "plugins refused"},
    };
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        json_t *a = json_object_get(plugins, lists[l][0]);
        if (json_array_size(a) == 0)
            continue;
        fprintf(out, "%s:", lists[l][1]);
        size_t i;
        json_t *e;
        json_array_foreach(a, i, e)
        {
            char *s = entry_text(e);
            if (!s) {
                fputs("spanctl: out of memory\n", stderr);
                return -1;
            }
            /* A list of names on one line; reasons each on its own. */
            if (json_is_object(e) && json_object_get(e, "reason"))
                fprintf(out, "\n  %s", s);
            else
                fprintf(out, "%s %s", i ? "," : "", s);
            free(s);
        }
        fputc('\n', out);
    }
    return 0;
}

/* ---- analyse: the header ------------------------------------------------- */

/* An ISO time for a person: midnight UTC as just the date. */
static char *time_text(const json_t *v)
{
    const char *s = json_string_value(v);
    if (s) {
        size_t n = strlen(s);
        if (n == 20 && !strcmp(s + 10, "T00:00:00Z"))
            return ctl_fmt("%.10s", s);
        return strdup(s);
    }
    return ctl_value_text(v);
}

/* A window {from, to} ([from, to), either may be null) in words. */
static char *window_text(const json_t *w)
{
    json_t *from = json_object_get(w, "from");
    json_t *to = json_object_get(w, "to");
    bool hf = from && !json_is_null(from), ht = to && !json_is_null(to);
    char *f = hf ? time_text(from) : NULL;
    char *t = ht ? time_text(to) : NULL;
    char *s = NULL;
    if ((hf && !f) || (ht && !t))
        s = NULL;
    else if (hf && ht)
        s = ctl_fmt("%s to %s", f, t);
    else if (hf)
        s = ctl_fmt("from %s on", f);
    else if (ht)
        s = ctl_fmt("before %s", t);
    else
        s = strdup("all time");
    free(f);
    free(t);
    return s;
}

static char *elapsed_text(double ms)
{
    if (ms < 10)
        return ctl_fmt("%.2f ms", ms);
    if (ms < 1000)
        return ctl_fmt("%.1f ms", ms);
    return ctl_fmt("%.2f s", ms / 1000);
}

static int print_header(const json_t *res, FILE *out)
{
    ctl_table_t t = {0};
    const char *boundary = jstr(res, "boundary");
    ctl_table_add(&t, "plugin");
    ctl_table_add(&t, jstr(res, "plugin"));
    ctl_table_add(&t, "boundary");
    ctl_table_add(&t, boundary);
    ctl_table_add(&t, "window");
    ctl_table_take(&t, window_text(json_object_get(res, "window")));
    json_t *base = json_object_get(res, "baseline");
    if (json_is_object(base)) {
        ctl_table_add(&t, "baseline");
        ctl_table_take(&t, window_text(base));
    }
    json_t *view = json_object_get(res, "view");
    if (json_is_object(view)) {
        json_int_t nv = json_integer_value(json_object_get(view, "vertices"));
        json_int_t ne = json_integer_value(json_object_get(view, "edges"));
        json_int_t ex = json_integer_value(json_object_get(view, "excluded"));
        json_t *g = json_object_get(view, "groups");
        char *groups =
            json_is_integer(g)
                ? ctl_fmt(", %" JSON_INTEGER_FORMAT " %s",
                          json_integer_value(g),
                          plural(json_integer_value(g), "group", "groups"))
                : strdup("");
        char *excl = ex > 0
                         ? ctl_fmt("; %" JSON_INTEGER_FORMAT " %s without a %s "
                                   "left out",
                                   ex, plural(ex, "person", "people"),
                                   boundary ? boundary : "group")
                         : strdup("");
        ctl_table_add(&t, "view");
        if (groups && excl)
            ctl_table_addf(&t,
                           "%" JSON_INTEGER_FORMAT " %s, %" JSON_INTEGER_FORMAT
                           " %s%s%s",
                           nv, plural(nv, "person", "people"), ne,
                           plural(ne, "arc", "arcs"), groups, excl);
        else
            ctl_table_take(&t, NULL);
        free(groups);
        free(excl);
    }
    json_t *dv = json_object_get(res, "data_version");
    char *version = json_is_integer(dv)
                        ? ctl_fmt(" (data version %" JSON_INTEGER_FORMAT ")",
                                  json_integer_value(dv))
                        : strdup("");
    if (json_is_true(json_object_get(res, "cached"))) {
        ctl_table_add(&t, "result");
        ctl_table_take(&t, version ? ctl_fmt("cached%s", version) : NULL);
    } else {
        char *el =
            elapsed_text(json_number_value(json_object_get(res, "elapsed_ms")));
        ctl_table_add(&t, "computed");
        ctl_table_take(&t,
                       el && version ? ctl_fmt("in %s%s", el, version) : NULL);
        free(el);
    }
    free(version);
    size_t i;
    json_t *note;
    json_array_foreach(json_object_get(res, "notes"), i, note)
    {
        ctl_table_add(&t, "note");
        ctl_table_add_value(&t, note);
    }
    /* within: the scopes, and who was in none */
    const char *within = jstr(res, "within");
    if (within) {
        size_t ns = json_array_size(json_object_get(res, "scopes"));
        json_int_t outside =
            json_integer_value(json_object_get(view, "outside_scopes"));
        char *left =
            outside > 0
                ? ctl_fmt("; %" JSON_INTEGER_FORMAT " %s with ties "
                          "but no %s left out",
                          outside, plural(outside, "person", "people"), within)
                : strdup("");
        ctl_table_add(&t, "within");
        if (left)
            ctl_table_addf(&t, "%s: %zu %s, each analysed on its own%s", within,
                           ns, ns == 1 ? "scope" : "scopes", left);
        else
            ctl_table_take(&t, NULL);
        free(left);
    }
    int rc = ctl_kv_print(&t, out);
    ctl_table_free(&t);
    return rc;
}

/* ---- analyse: the tables ------------------------------------------------- */

/* The tables in the order they are printed; others the server may add
 * later follow in its order. */
static const char *const table_order[] = {"network", "vertex", "group", "pair",
                                          NULL};

static bool is_known_table(const char *name)
{
    for (const char *const *k = table_order; *k; k++)
        if (!strcmp(name, *k))
            return true;
    return false;
}

/* Call fn for each table present, in print order. */
static int each_table(const json_t *tables,
                      int (*fn)(const char *name, const json_t *table,
                                void *data),
                      void *data)
{
    for (const char *const *k = table_order; *k; k++) {
        json_t *tab = json_object_get(tables, *k);
        if (json_is_object(tab) && fn(*k, tab, data) < 0)
            return -1;
    }
    const char *name;
    json_t *tab;
    json_object_foreach((json_t *)tables, name, tab)
    {
        if (!is_known_table(name) && json_is_object(tab) &&
            fn(name, tab, data) < 0)
            return -1;
    }
    return 0;
}

static const char *column_name(const json_t *col)
{
    const char *n = json_string_value(col); /* a bare name, just in case */
    if (!n)
        n = jstr(col, "name");
    return n ? n : "?";
}

struct text_ctx {
    FILE *out;
    long long top;
    bool first;
    bool scoped; /* a within answer: one network row per scope, and the
                    server already kept the top rows of each scope */
};

/* The network table: one row, printed as "column: value" lines. */
static int print_network(const json_t *tab, struct text_ctx *x)
{
    json_t *cols = json_object_get(tab, "columns");
    json_t *row = json_array_get(json_object_get(tab, "rows"), 0);
    ctl_table_t t = {.indent = "  "};
    size_t i;
    json_t *col;
    json_array_foreach(cols, i, col)
    {
        ctl_table_add(&t, column_name(col));
        ctl_table_add_value(&t, json_array_get(row, i));
    }
    fprintf(x->out, "network\n");
    if (t.n == 0)
        fprintf(x->out, "  (no columns)\n");
    int rc = ctl_kv_print(&t, x->out);
    ctl_table_free(&t);
    return rc;
}

static int print_text_table(const char *name, const json_t *tab, void *data)
{
    struct text_ctx *x = data;
    if (!x->first)
        fputc('\n', x->out);
    x->first = false;
    if (!strcmp(name, "network") && !x->scoped)
        return print_network(tab, x);

    json_t *cols = json_object_get(tab, "columns");
    json_t *rows = json_object_get(tab, "rows");
    size_t ncols = json_array_size(cols), nrows = json_array_size(rows);
    size_t show = nrows;
    /* --top is the server's cut of the vertex rows only (it sorts them);
     * group, pair and network tables are answered whole, as in JSON. A
     * within answer's vertex rows were cut per scope by the server. */
    if (!strcmp(name, "vertex") && x->top >= 0 &&
        (unsigned long long)x->top < nrows && !x->scoped)
        show = (size_t)x->top;
    json_t *tr = json_object_get(tab, "total_rows");
    size_t total = json_is_integer(tr) && json_integer_value(tr) >= 0 &&
                           (size_t)json_integer_value(tr) > nrows
                       ? (size_t)json_integer_value(tr)
                       : nrows;

    char *clean_name = ctl_clean_dup(name);
    if (!clean_name) {
        fputs("spanctl: out of memory\n", stderr);
        return -1;
    }
    if (total == 0)
        fprintf(x->out, "%s: no rows\n", clean_name);
    else if (show < total)
        fprintf(x->out, "%s: %zu of %zu rows\n", clean_name, show, total);
    else
        fprintf(x->out, "%s: %zu %s\n", clean_name, total,
                plural((json_int_t)total, "row", "rows"));
    free(clean_name);
    if (ncols == 0 || show == 0)
        return 0;

    /* Header cells cleaned; a column is right-aligned when every value in
     * it shown is a number (or null). */
    char **head = calloc(ncols, sizeof *head);
    char *align = calloc(ncols + 1, 1);
    int rc = -1;
    bool oom = true;
    ctl_table_t t = {.ncols = ncols, .indent = "  "};
    if (!head || !align)
        goto out;
    for (size_t c = 0; c < ncols; c++) {
        if (!(head[c] = ctl_clean_dup(column_name(json_array_get(cols, c)))))
            goto out;
        bool numeric = false, text = false;
        for (size_t r = 0; r < show; r++) {
            json_t *v = json_array_get(json_array_get(rows, r), c);
            if (json_is_number(v))
                numeric = true;
            else if (v && !json_is_null(v))
                text = true;
        }
        align[c] = numeric && !text ? 'r' : 'l';
    }
    oom = false;
    t.head = (const char *const *)head;
    t.align = align;
    for (size_t r = 0; r < show; r++) {
        json_t *row = json_array_get(rows, r);
        for (size_t c = 0; c < ncols; c++)
            ctl_table_add_value(&t, json_array_get(row, c));
    }
    rc = ctl_table_print(&t, x->out);
    if (rc == 0 && show < total)
        fprintf(x->out, "  ... %zu more %s\n", total - show,
                plural((json_int_t)(total - show), "row", "rows"));
out:
    if (oom)
        fputs("spanctl: out of memory\n", stderr);
    ctl_table_free(&t);
    for (size_t c = 0; head && c < ncols; c++)
        free(head[c]);
    free(head);
    free(align);
    return rc;
}

static int print_csv_table(const char *name, const json_t *tab, void *data)
{
    FILE *out = data;
    json_t *cols = json_object_get(tab, "columns");
    json_t *rows = json_object_get(tab, "rows");
    size_t ncols = json_array_size(cols);
    fputs("# table ", out);
    fputs(name, out);
    fputc('\n', out);
    for (size_t c = 0; c < ncols; c++) {
        if (c)
            fputc(',', out);
        ctl_csv_write(out, column_name(json_array_get(cols, c)));
    }
    fputc('\n', out);
    size_t r;
    json_t *row;
    json_array_foreach(rows, r, row)
    {
        for (size_t c = 0; c < ncols; c++) {
            char *s = ctl_csv_text(json_array_get(row, c));
            if (!s) {
                fputs("spanctl: out of memory\n", stderr);
                return -1;
            }
            if (c)
                fputc(',', out);
            ctl_csv_write(out, s);
            free(s);
        }
        fputc('\n', out);
    }
    return 0;
}

int ctl_print_analysis(const json_t *res, ctl_format_t format, long long top,
                       FILE *out)
{
    json_t *tables = json_object_get(res, "tables");
    if (format == CTL_FORMAT_CSV)
        return each_table(tables, print_csv_table, out);
    if (format == CTL_FORMAT_JSON) {
        if (json_dumpf(res, out, JSON_INDENT(2)) < 0)
            return -1;
        fputc('\n', out);
        return 0;
    }
    if (print_header(res, out) < 0)
        return -1;
    struct text_ctx x = {.out = out,
                         .top = top,
                         .first = false,
                         .scoped = jstr(res, "within") != NULL};
    if (json_object_size(tables) == 0) {
        fprintf(out, "\nno tables\n");
        return 0;
    }
    return each_table(tables, print_text_table, &x);
}

/* ---- scoped views ------------------------------------------------------- */

/* Add the comma-separated values of list to (*obj)[attr]. */
static int add_cond(json_t **obj, const char *attr, size_t alen,
                    const char *list, const char *opt, char *err, size_t errlen)
{
    char *name = strndup(attr, alen);
    if (!name)
        goto oom;
    if (!*obj && !(*obj = json_object()))
        goto oom;
    json_t *vals = json_object_get(*obj, name);
    if (!vals) {
        if (!(vals = json_array()) || json_object_set_new(*obj, name, vals) < 0)
            goto oom;
    }
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (!n) {
            snprintf(err, errlen, "%s %s=...: an empty value", opt, name);
            free(name);
            return -1;
        }
        json_t *v = json_stringn(p, n);
        if (!v) {
            snprintf(err, errlen, "%s %s: a value is not valid UTF-8", opt,
                     name);
            free(name);
            return -1;
        }
        if (json_array_append_new(vals, v) < 0)
            goto oom;
        if (!comma)
            break;
        p = comma + 1;
    }
    free(name);
    return 0;
oom:
    free(name);
    snprintf(err, errlen, "out of memory");
    return -1;
}

static int add_id(ctl_scope_opts_t *o, const char *id, size_t n, char *err,
                  size_t errlen)
{
    json_t *v = json_stringn(id, n);
    if (!v) {
        snprintf(err, errlen, "--without: an id is not valid UTF-8");
        return -1;
    }
    if ((!o->without_ids && !(o->without_ids = json_array())) ||
        json_array_append_new(o->without_ids, v) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* One id a line; blank lines and trailing CR or spaces ignored. */
static int read_ids(ctl_scope_opts_t *o, const char *path, char *err,
                    size_t errlen)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) {
        snprintf(err, errlen, "--without-file %s: cannot open it", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
                           line[len - 1] == ' ' || line[len - 1] == '\t'))
            len--;
        if (len > 0)
            rc = add_id(o, line, (size_t)len, err, errlen);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "--without-file %s: read error", path);
        rc = -1;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}

int ctl_scope_opt(ctl_scope_opts_t *o, int opt, const char *arg, char *err,
                  size_t errlen)
{
    const char *eq = strchr(arg, '=');
    switch (opt) {
    case CTL_OPT_WHERE:
        if (!eq || eq == arg) {
            snprintf(err, errlen,
                     "--where wants ATTR=VALUE[,VALUE...], not "
                     "\"%.64s\"",
                     arg);
            return -1;
        }
        return add_cond(&o->where, arg, (size_t)(eq - arg), eq + 1, "--where",
                        err, errlen);
    case CTL_OPT_WITHOUT:
        if (!*arg) {
            snprintf(err, errlen, "--without needs an ID or ATTR=VALUE");
            return -1;
        }
        if (eq && eq != arg)
            return add_cond(&o->without_where, arg, (size_t)(eq - arg), eq + 1,
                            "--without", err, errlen);
        return add_id(o, arg, strlen(arg), err, errlen);
    case CTL_OPT_WITHOUT_FILE:
        return read_ids(o, arg, err, errlen);
    case CTL_OPT_WITHIN:
        if (!*arg) {
            snprintf(err, errlen, "--within needs an attribute name");
            return -1;
        }
        json_decref(o->within);
        if (!(o->within = json_string(arg))) {
            snprintf(err, errlen, "--within: not valid UTF-8");
            return -1;
        }
        return 0;
    case CTL_OPT_BASELINE_KIND: {
        json_t *k = *arg ? json_string(arg) : NULL;
        if (!k) {
            snprintf(err, errlen, "--baseline-kind needs a kind name");
            return -1;
        }
        if ((!o->baseline_kinds && !(o->baseline_kinds = json_array())) ||
            json_array_append_new(o->baseline_kinds, k) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    case CTL_OPT_EVENT_WEIGHTING:
        if (strcmp(arg, "pairs") && strcmp(arg, "newman")) {
            snprintf(err, errlen,
                     "--event-weighting is pairs or newman, not \"%.64s\"",
                     arg);
            return -1;
        }
        json_decref(o->event_weighting);
        o->event_weighting = json_string(arg);
        return o->event_weighting ? 0 : -1;
    }
    snprintf(err, errlen, "not a scope option");
    return -1;
}

int ctl_scope_params(const ctl_scope_opts_t *o, json_t *params)
{
    json_t *without = NULL;
    if (o->without_ids || o->without_where) {
        if (!(without = json_object()) ||
            (o->without_ids &&
             json_object_set(without, "ids", o->without_ids) < 0) ||
            (o->without_where &&
             json_object_set(without, "where", o->without_where) < 0)) {
            json_decref(without);
            return -1;
        }
    }
    if ((o->where && json_object_set(params, "where", o->where) < 0) ||
        (without && json_object_set_new(params, "without", without) < 0) ||
        (o->within && json_object_set(params, "within", o->within) < 0) ||
        (o->baseline_kinds &&
         json_object_set(params, "baseline_kinds", o->baseline_kinds) < 0) ||
        (o->event_weighting &&
         json_object_set(params, "event_weighting", o->event_weighting) < 0))
        return -1;
    return 0;
}

void ctl_scope_free(ctl_scope_opts_t *o)
{
    json_decref(o->where);
    json_decref(o->without_ids);
    json_decref(o->without_where);
    json_decref(o->within);
    json_decref(o->baseline_kinds);
    json_decref(o->event_weighting);
    memset(o, 0, sizeof *o);
}
