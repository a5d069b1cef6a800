/* ctl_report.c - see ctl_report.h. */
#include "ctl_report.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_table.h"

enum { EI, MIX, BRK, SH, DIV, BB, RES, DEP, GATE, CHG, NSUITE };
static const char *const suite[NSUITE] = {
    "ei",           "mixing",
    "brokerage",    "structural_holes",
    "diversity",    "boundary_betweenness",
    "resilience",   "departure",
    "gate_opening", "change"};

/* The permutations the report asks of `change` (its QAP and cohort
 * tests): stated here so that the sentences can say "of 1,000". */
#define CHANGE_PERMUTATIONS 1000

/* A significance level for the words of the permutation tests. */
#define SIGNIFICANT 0.05

struct ctx {
    ctl_conn_t *conn;
    json_t *people; /* id -> {name, role}: each person asked once */
    json_t *want;   /* ids a first pass met, to ask for in one stream */
    json_t *blank;  /* {name: null, role: null}, for that first pass */
    bool collecting;
    /* Ids are pseudonyms: spand is never asked for names. */
    bool pseudonymised;
    long long top;
    const char *cohort; /* --cohort ATTR=VALUE, or NULL */
};

/* Ids per `people` request: well under the daemon's limit
 * (METHOD_PEOPLE_MAX_IDS), so that one reply stays a modest line. */
#define PEOPLE_BATCH 2000

/* ---- running the suite -------------------------------------------------- */

/* "cohort" in the view params is the report's own (--cohort), not a view
 * parameter: only `change` gets it, as its plugin parameter, with the
 * permutations the sentences quote. */
static int change_params(json_t *p, const char *plugin)
{
    json_t *cohort = json_incref(json_object_get(p, "cohort"));
    json_object_del(p, "cohort");
    int rc = 0;
    if (!strcmp(plugin, "change")) {
        json_t *pp = json_pack("{s:i}", "permutations", CHANGE_PERMUTATIONS);
        if (!pp || (cohort && json_object_set(pp, "cohort", cohort) < 0) ||
            json_object_set_new(p, "params", pp) < 0)
            rc = -1;
    }
    json_decref(cohort);
    return rc;
}

static json_t *analyse(ctl_conn_t *conn, const json_t *view_params,
                       const char *plugin, char **error, int *conn_failed)
{
    json_t *p = json_deep_copy(view_params);
    /* Joining tables by person needs them whole: the report ranks and
     * cuts its lists itself. */
    if (p) {
        json_object_del(p, "top");
        json_object_del(p, "sort");
    }
    if (p && change_params(p, plugin) < 0) {
        json_decref(p);
        p = NULL;
    }
    if (!p || json_object_set_new(p, "plugin", json_string(plugin)) < 0) {
        json_decref(p);
        *error = strdup("out of memory");
        return NULL;
    }
    ctl_reply_t r;
    char err[512];
    int rc = ctl_conn_call(conn, "analyse", p, &r, err, sizeof err);
    json_decref(p);
    if (rc < 0) {
        *conn_failed = 1;
        *error = strdup(err);
        return NULL;
    }
    if (!r.result) {
        const char *detail =
            json_string_value(json_object_get(r.data, "detail"));
        *error =
            detail ? ctl_fmt("%s: %s", r.message ? r.message : "failed", detail)
                   : ctl_fmt("%s", r.message ? r.message : "failed");
        ctl_reply_clear(&r);
        return NULL;
    }
    json_t *res = json_incref(r.result);
    ctl_reply_clear(&r);
    return res;
}

/* ---- tables ------------------------------------------------------------- */

static double num(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *o, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : dflt;
}

/* Was something of row withheld by spand's small-number suppression
 * (its "suppressed" column names the cells)? */
static bool withheld(const json_t *row)
{
    const char *s = json_string_value(json_object_get(row, "suppressed"));
    return s && *s;
}

/* The cells of row that suppression withheld (null, named in its
 * "suppressed" column) become the text "withheld": a reader must not
 * take them for 0 or for "no ties". */
static void mark_withheld(json_t *row)
{
    const char *s = json_string_value(json_object_get(row, "suppressed"));
    while (s && *s) {
        s += strspn(s, ", ");
        size_t n = strcspn(s, ",");
        while (n && s[n - 1] == ' ')
            n--;
        char *col = n ? strndup(s, n) : NULL;
        if (col && json_is_null(json_object_get(row, col)))
            json_object_set_new(row, col, json_string("withheld"));
        free(col);
        s += n;
        s += strcspn(s, ",");
    }
}

/* The named table of an analysis as an array of {column: value}, with
 * the cells spand withheld marked (mark_withheld). */
static json_t *rows_of(const json_t *res, const char *table)
{
    json_t *out = ctl_table_rows(res, table);
    for (size_t i = 0; i < json_array_size(out); i++)
        mark_withheld(json_array_get(out, i));
    return out;
}

/* One scope's share of a `within` answer: every table's rows whose first
 * column (named after the within attribute) is value, without that
 * column. A result without the column is returned as it is (referenced). */
static json_t *scope_result(json_t *res, const char *attr, const char *value)
{
    if (!res)
        return NULL;
    json_t *tables = json_object_get(res, "tables");
    json_t *out = json_object(), *otabs = json_object();
    const char *name;
    json_t *tab;
    json_object_set_new(out, "tables", otabs);
    if (json_object_get(res, "notes"))
        json_object_set(out, "notes", json_object_get(res, "notes"));
    json_object_foreach(tables, name, tab)
    {
        json_t *cols = json_object_get(tab, "columns");
        const char *first =
            json_string_value(json_object_get(json_array_get(cols, 0), "name"));
        if (!first || strcmp(first, attr)) {
            json_object_set(otabs, name, tab);
            continue;
        }
        json_t *ncols = json_array(), *nrows = json_array();
        for (size_t c = 1; c < json_array_size(cols); c++)
            json_array_append(ncols, json_array_get(cols, c));
        json_t *rows = json_object_get(tab, "rows");
        for (size_t i = 0; i < json_array_size(rows); i++) {
            json_t *row = json_array_get(rows, i);
            const char *s = json_string_value(json_array_get(row, 0));
            if (!s || strcmp(s, value))
                continue;
            json_t *nrow = json_array();
            for (size_t c = 1; c < json_array_size(row); c++)
                json_array_append(nrow, json_array_get(row, c));
            json_array_append_new(nrows, nrow);
        }
        json_object_set_new(
            otabs, name,
            json_pack("{s:o, s:o}", "columns", ncols, "rows", nrows));
    }
    return out;
}

/* Index rows (from rows_of) by their "id". */
static json_t *by_id(json_t *rows)
{
    json_t *idx = json_object();
    for (size_t i = 0; idx && i < json_array_size(rows); i++) {
        json_t *r = json_array_get(rows, i);
        const char *id = json_string_value(json_object_get(r, "id"));
        if (id)
            json_object_set(idx, id, r);
    }
    return idx;
}

static void copy_fields(json_t *dst, const json_t *src,
                        const char *const *fields)
{
    for (; *fields; fields++) {
        json_t *v = json_object_get(src, *fields);
        json_object_set(dst, *fields, v ? v : json_null());
    }
}

/* Sorting rows by one column, descending, nulls last, ties in the order
 * the daemon gave (its order is by id). */
struct ranked {
    json_t *row;
    size_t pos;
};
static const char *rank_key;

static int cmp_desc(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    double u = num(x->row, rank_key), v = num(y->row, rank_key);
    if (isnan(u) != isnan(v))
        return isnan(u) ? 1 : -1;
    if (!isnan(u) && u != v)
        return u > v ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* The first top rows by key (descending), only those with key > 0 when
 * positive; a new array holding references. */
static json_t *top_by(json_t *rows, const char *key, long long top,
                      bool positive)
{
    size_t n = json_array_size(rows);
    struct ranked *r = calloc(n ? n : 1, sizeof *r);
    json_t *out = json_array();
    if (!r || !out) {
        free(r);
        return out;
    }
    for (size_t i = 0; i < n; i++)
        r[i] = (struct ranked){json_array_get(rows, i), i};
    rank_key = key;
    qsort(r, n, sizeof *r, cmp_desc);
    for (size_t i = 0;
         i < n && (top < 0 || (long long)json_array_size(out) < top); i++) {
        if (positive && !(num(r[i].row, key) > 0))
            break;
        json_array_append(out, r[i].row);
    }
    free(r);
    return out;
}

/* ---- people ------------------------------------------------------------- */

/* Ask spand for the name and role of ids[0..n) in one `people` request
 * and cache them; a person it does not know, or a refused request,
 * caches {name: null, role: null}, so that each is asked once. */
static void ask_people(struct ctx *c, const char *const *ids, size_t n)
{
    json_t *q =
        json_pack("{s:[], s:[ss]}", "ids", "attributes", "name", "role");
    json_t *arr = json_object_get(q, "ids");
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_string(ids[i]));
    ctl_reply_t r = {0};
    char err[256];
    bool ok =
        q && ctl_conn_call(c->conn, "people", q, &r, err, sizeof err) == 0;
    json_decref(q);
    json_t *got = ok ? json_object_get(r.result, "people") : NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *a = json_object_get(got, ids[i]);
        json_t *p = json_pack("{s:n, s:n}", "name", "role");
        if (p && json_is_string(json_object_get(a, "name")))
            json_object_set(p, "name", json_object_get(a, "name"));
        if (p && json_is_string(json_object_get(a, "role")))
            json_object_set(p, "role", json_object_get(a, "role"));
        if (p)
            json_object_set_new(c->people, ids[i], p);
    }
    if (ok)
        ctl_reply_clear(&r);
}

/* {name, role} of a person, asked of spand once (both null when unknown or
 * not allowed). Borrowed from the cache. */
static json_t *person(struct ctx *c, const char *id)
{
    json_t *p = json_object_get(c->people, id);
    if (p)
        return p;
    if (c->collecting) {
        json_object_set(c->want, id, json_true());
        return c->blank;
    }
    if (c->pseudonymised)
        return c->blank;
    ask_people(c, &id, 1);
    p = json_object_get(c->people, id);
    return p ? p : c->blank;
}

/* Ask for every person in c->want, PEOPLE_BATCH ids a request, and cache
 * the answers. A person left unasked (out of memory) is asked for alone
 * later, when named. */
static void fetch_people(struct ctx *c)
{
    size_t n = json_object_size(c->want), k = 0;
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    const char *id;
    json_t *v;
    if (!ids || c->pseudonymised) {
        free(ids);
        return;
    }
    json_object_foreach(c->want, id, v) ids[k++] = id;
    for (size_t i = 0; i < k; i += PEOPLE_BATCH)
        ask_people(c, ids + i, k - i < PEOPLE_BATCH ? k - i : PEOPLE_BATCH);
    free(ids);
}

/* A person's name for the text: the name attribute, or the id. */
static json_t *name_of(struct ctx *c, const char *id)
{
    json_t *n = json_object_get(person(c, id), "name");
    return json_is_string(n) ? json_incref(n) : json_string(id);
}

static void add_person(struct ctx *c, json_t *row)
{
    const char *id = json_string_value(json_object_get(row, "id"));
    if (!id)
        return;
    json_t *p = person(c, id);
    json_object_set_new(row, "name", name_of(c, id));
    json_object_set(row, "role", json_object_get(p, "role"));
}

/* The most names of one list a report shows (and asks spand for): a
 * boundary held by 40 people is not at risk, and their names would bury
 * the ones that matter. */
#define MAX_NAMES 5

/* "a, b, c" (as resilience joins ids) -> [name of a, name of b, ...], the
 * first MAX_NAMES of them. */
static json_t *names_of_list(struct ctx *c, const char *ids)
{
    json_t *out = json_array();
    while (out && ids && *ids && json_array_size(out) < MAX_NAMES) {
        const char *end = strstr(ids, ", ");
        size_t len = end ? (size_t)(end - ids) : strlen(ids);
        char *id = strndup(ids, len);
        if (id && *id)
            json_array_append_new(out, name_of(c, id));
        free(id);
        ids = end ? end + 2 : NULL;
    }
    return out;
}

/* ---- boundaries at risk ------------------------------------------------- */

/* The number of people a boundary rests on: its holders when the groups
 * are tied directly, else the people in between (cut_size); 0 when not
 * connected at all. */
static double resting_on(const json_t *p)
{
    double direct = num(p, "direct_ties");
    return direct > 0 ? num(p, "holders") : num(p, "cut_size");
}

/* Fewest people first, then the largest share through one person, then
 * the most ties; boundaries not connected at all last. */
static int cmp_risk(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    double u = resting_on(x), v = resting_on(y);
    bool ux = !(u > 0), vx = !(v > 0);
    if (ux != vx)
        return ux ? 1 : -1;
    if (!ux && u != v)
        return u < v ? -1 : 1;
    double su = num(x, "top_holder_share"), sv = num(y, "top_holder_share");
    su = isnan(su) ? -1 : su;
    sv = isnan(sv) ? -1 : sv;
    if (su != sv)
        return su > sv ? -1 : 1;
    double du = num(x, "direct_ties"), dv = num(y, "direct_ties");
    du = isnan(du) ? -1 : du;
    dv = isnan(dv) ? -1 : dv;
    if (du != dv)
        return du > dv ? -1 : 1;
    int k = strcmp(str(x, "group_a", ""), str(y, "group_a", ""));
    return k ? k : strcmp(str(x, "group_b", ""), str(y, "group_b", ""));
}

static json_t *at_risk(struct ctx *c, json_t *pairs)
{
    size_t n = json_array_size(pairs);
    json_t **list = calloc(n ? n : 1, sizeof *list);
    json_t *risk = json_array();
    if (!list || !risk) {
        free(list);
        return risk;
    }
    for (size_t i = 0; i < n; i++)
        list[i] = json_array_get(pairs, i);
    qsort(list, n, sizeof *list, cmp_risk);
    for (size_t i = 0; i < n && (c->top < 0 || (long long)i < c->top); i++) {
        json_t *p = json_deep_copy(list[i]);
        if (!p)
            break;
        json_object_set_new(p, "holder_names",
                            names_of_list(c, str(p, "holder_ids", NULL)));
        json_object_set_new(p, "separator_names",
                            names_of_list(c, str(p, "separator", NULL)));
        const char *th = str(p, "top_holder", NULL);
        json_object_set_new(p, "top_holder_name",
                            th ? name_of(c, th) : json_null());
        json_array_append_new(risk, p);
    }
    free(list);
    return risk;
}

/* ---- one view's (or one scope's) document ------------------------------ */

static void compose_network(json_t *doc, json_t *const res[NSUITE])
{
    json_t *net = json_object();
    if (res[EI]) {
        json_t *r = rows_of(res[EI], "network");
        static const char *const f[] = {"ei",     "expected_ei", "p_greater",
                                        "p_less", "external",    "internal",
                                        NULL};
        copy_fields(net, json_array_get(r, 0), f);
        if (withheld(json_array_get(r, 0)))
            json_object_set(
                net, "suppressed",
                json_object_get(json_array_get(r, 0), "suppressed"));
        json_decref(r);
        json_object_set_new(doc, "groups", rows_of(res[EI], "group"));
    }
    if (res[MIX]) {
        json_t *r = rows_of(res[MIX], "network");
        static const char *const f[] = {"modularity", "assortativity", NULL};
        copy_fields(net, json_array_get(r, 0), f);
        json_decref(r);
        json_object_set_new(doc, "mixing", rows_of(res[MIX], "pair"));
    }
    json_object_set_new(doc, "network", net);
}

/* Boundary spanners: most cross-group betweenness first, with what the
 * other measures say about them. */
static void compose_spanners(struct ctx *c, json_t *doc,
                             json_t *const res[NSUITE])
{
    if (!res[BB])
        return;
    json_t *all = rows_of(res[BB], "vertex");
    json_t *top_rows = top_by(all, "cross_betweenness", c->top, true);
    json_t *brk = res[BRK] ? rows_of(res[BRK], "vertex") : json_array();
    json_t *sh = res[SH] ? rows_of(res[SH], "vertex") : json_array();
    json_t *dv = res[DIV] ? rows_of(res[DIV], "vertex") : json_array();
    json_t *ib = by_id(brk), *is = by_id(sh), *id = by_id(dv);
    json_t *spanners = json_array();
    for (size_t i = 0; i < json_array_size(top_rows); i++) {
        json_t *t = json_array_get(top_rows, i);
        const char *pid = json_string_value(json_object_get(t, "id"));
        json_t *row = json_object();
        static const char *const fb[] = {"id", "group", "cross_betweenness",
                                         "cross_share", NULL};
        static const char *const fr[] = {"coordinator",
                                         "itinerant",
                                         "representative",
                                         "gatekeeper",
                                         "liaison",
                                         "total",
                                         "representative_z",
                                         "gatekeeper_z",
                                         "liaison_z",
                                         "total_z",
                                         NULL};
        static const char *const fs[] = {"constraint", "effective_size",
                                         "external_constraint", NULL};
        static const char *const fd[] = {"participation", "participation_norm",
                                         "groups_reached", NULL};
        copy_fields(row, t, fb);
        copy_fields(row, json_object_get(ib, pid ? pid : ""), fr);
        copy_fields(row, json_object_get(is, pid ? pid : ""), fs);
        copy_fields(row, json_object_get(id, pid ? pid : ""), fd);
        add_person(c, row);
        json_array_append_new(spanners, row);
    }
    json_object_set_new(doc, "spanners", spanners);
    json_decref(all);
    json_decref(top_rows);
    json_decref(brk);
    json_decref(sh);
    json_decref(dv);
    json_decref(ib);
    json_decref(is);
    json_decref(id);
}

/* Whose departure would cut most cross-group pairs. */
static void compose_departures(struct ctx *c, json_t *doc,
                               json_t *const res[NSUITE])
{
    if (!res[DEP])
        return;
    json_t *rows = rows_of(res[DEP], "vertex");
    json_t *top = top_by(rows, "cross_pairs_cut", c->top, true);
    json_t *list = json_array();
    for (size_t i = 0; i < json_array_size(top); i++) {
        json_t *row = json_deep_copy(json_array_get(top, i));
        add_person(c, row);
        json_array_append_new(list, row);
    }
    json_object_set_new(doc, "departures", list);
    json_t *net = rows_of(res[DEP], "network");
    json_object_set(doc, "departure", json_array_get(net, 0));
    json_decref(net);
    json_decref(top);
    json_decref(rows);
}

/* Gate-openers: brokers of the baseline whose pairs are now tied. */
static void compose_gates(struct ctx *c, json_t *doc, json_t *const res[NSUITE])
{
    if (!res[GATE])
        return;
    json_t *rows = rows_of(res[GATE], "vertex");
    json_t *top = top_by(rows, "opened", c->top < 0 ? 10 : c->top, true);
    json_t *openers = json_array();
    for (size_t i = 0; i < json_array_size(top); i++) {
        json_t *row = json_deep_copy(json_array_get(top, i));
        add_person(c, row);
        json_array_append_new(openers, row);
    }
    json_object_set_new(doc, "gate_openers", openers);
    json_object_set_new(doc, "new_cross_ties", rows_of(res[GATE], "pair"));
    json_t *g = rows_of(res[GATE], "network");
    json_object_set(doc, "gate_opening", json_array_get(g, 0));
    json_decref(g);
    json_decref(top);
    json_decref(rows);
}

/* ---- what changed -------------------------------------------------------- */

/* Whether an analysis said its cohort p counts every reassignment. */
static bool cohort_exact(const json_t *res)
{
    const json_t *notes = json_object_get(res, "notes");
    for (size_t i = 0; i < json_array_size(notes); i++) {
        const char *n = json_string_value(json_array_get(notes, i));
        if (n && strstr(n, "cohort_p is exact"))
            return true;
    }
    return false;
}

/* The cohort comparison of change's network row, or null without one. */
static json_t *change_cohort(const struct ctx *c, const json_t *net,
                             const json_t *res)
{
    if (!c->cohort || !json_is_number(json_object_get(net, "cohort_n")))
        return json_null();
    json_t *co = json_object();
    json_object_set_new(co, "cohort", json_string(c->cohort));
    static const char *const f[] = {"cohort_n",
                                    "others_n",
                                    "cohort_external_change",
                                    "others_external_change",
                                    "cohort_difference",
                                    "cohort_p",
                                    NULL};
    copy_fields(co, net, f);
    json_object_set_new(co, "exact", json_boolean(cohort_exact(res)));
    return co;
}

/* What changed between the baseline and the window: the network's counts
 * and tests, and each boundary's (a pair of different groups) ties kept,
 * lost and new, with their sums. */
static void compose_change(const struct ctx *c, json_t *doc,
                           json_t *const res[NSUITE])
{
    if (!res[CHG])
        return;
    json_t *net = rows_of(res[CHG], "network");
    json_t *pairs = rows_of(res[CHG], "pair");
    json_t *ch = json_object(), *bounds = json_array();
    const json_t *n0 = json_array_get(net, 0);
    static const char *const f[] = {"kept",    "lost", "new",    "jaccard",
                                    "hamming", "gcor", "gcor_p", NULL};
    copy_fields(ch, n0, f);
    json_object_set_new(ch, "permutations", json_integer(CHANGE_PERMUTATIONS));
    double sum[3] = {0, 0, 0};
    static const char *const k3[] = {"kept", "lost", "new"};
    for (size_t i = 0; i < json_array_size(pairs); i++) {
        json_t *p = json_array_get(pairs, i);
        if (!strcmp(str(p, "group_a", ""), str(p, "group_b", "")))
            continue;
        for (int k = 0; k < 3; k++)
            sum[k] += isnan(num(p, k3[k])) ? 0 : num(p, k3[k]);
        json_array_append(bounds, p);
    }
    json_object_set_new(ch, "boundaries", bounds);
    json_object_set_new(ch, "across",
                        json_pack("{s:I, s:I, s:I}", "kept", (json_int_t)sum[0],
                                  "lost", (json_int_t)sum[1], "new",
                                  (json_int_t)sum[2]));
    json_object_set_new(ch, "cohort", change_cohort(c, n0, res[CHG]));
    json_object_set_new(doc, "change", ch);
    json_decref(net);
    json_decref(pairs);
}

static void compose(struct ctx *c, json_t *doc, json_t *const res[NSUITE])
{
    compose_network(doc, res);
    compose_spanners(c, doc, res);
    if (res[RES]) {
        json_t *pairs = rows_of(res[RES], "pair");
        json_object_set_new(doc, "at_risk", at_risk(c, pairs));
        json_decref(pairs);
    }
    compose_departures(c, doc, res);
    compose_gates(c, doc, res);
    compose_change(c, doc, res);
}

/* One row of the comparison of scopes. */
static json_t *compare_row(const char *attr, const json_t *s)
{
    json_t *row = json_object();
    const json_t *net = json_object_get(s, "network");
    json_object_set_new(row, attr, json_string(str(s, "scope", "")));
    json_object_set(row, "people",
                    json_object_get(json_object_get(s, "view"), "vertices"));
    double ex = num(net, "external"), in = num(net, "internal");
    json_object_set_new(row, "ties",
                        isnan(ex) || isnan(in)
                            ? json_null()
                            : json_integer((json_int_t)(ex + in)));
    static const char *const f[] = {"ei", "expected_ei", "p_greater", "p_less",
                                    NULL};
    copy_fields(row, net, f);
    json_t *risk = json_array_get(json_object_get(s, "at_risk"), 0);
    json_object_set(row, "most_fragile",
                    risk && resting_on(risk) > 0 ? risk : json_null());
    json_t *dep = json_array_get(json_object_get(s, "departures"), 0);
    json_object_set(row, "departure_risk", dep ? dep : json_null());
    return row;
}

/* ---- building ----------------------------------------------------------- */

static void copy_head(json_t *doc, const json_t *view_params,
                      json_t *const res[NSUITE])
{
    /* The view as every analysis saw it (they share one). */
    for (int i = 0; i < NSUITE; i++) {
        if (!res[i])
            continue;
        static const char *const head[] = {
            "boundary",     "window", "baseline", "view",
            "data_version", "within", "scopes"};
        for (size_t k = 0; k < sizeof head / sizeof head[0]; k++) {
            json_t *v = json_object_get(res[i], head[k]);
            if (v)
                json_object_set(doc, head[k], v);
        }
        break;
    }
    json_t *kinds = json_object_get(view_params, "kinds");
    json_object_set(doc, "kinds", kinds ? kinds : json_null());
}

static void build_scopes(struct ctx *c, json_t *doc, const char *attr,
                         json_t *const res[NSUITE])
{
    json_t *scopes = json_object_get(doc, "scopes");
    json_t *reports = json_array(), *cmp = json_array();
    for (size_t i = 0; i < json_array_size(scopes); i++) {
        json_t *s = json_array_get(scopes, i);
        const char *value = str(s, "scope", NULL);
        if (!value)
            continue;
        json_t *part[NSUITE] = {0};
        for (int k = 0; k < NSUITE; k++)
            part[k] = scope_result(res[k], attr, value);
        json_t *one = json_object();
        json_object_set_new(one, "scope", json_string(value));
        json_t *view = json_deep_copy(s);
        json_object_del(view, "scope");
        json_object_set_new(one, "view", view);
        compose(c, one, part);
        for (int k = 0; k < NSUITE; k++)
            json_decref(part[k]);
        json_array_append_new(cmp, compare_row(attr, one));
        json_array_append_new(reports, one);
    }
    json_object_set_new(doc, "comparison", cmp);
    json_object_set_new(doc, "reports", reports);
}

static void build_body(struct ctx *c, json_t *doc, const char *within,
                       json_t *const res[NSUITE])
{
    if (within)
        build_scopes(c, doc, within, res);
    else
        compose(c, doc, res);
}

json_t *ctl_report_build(ctl_conn_t *conn, const json_t *view_params,
                         long long top, int *incomplete, char *err,
                         size_t errlen)
{
    json_t *res[NSUITE] = {0};
    char *why[NSUITE] = {0};
    bool baseline = json_object_get(view_params, "baseline") != NULL;
    const char *within =
        json_string_value(json_object_get(view_params, "within"));
    int conn_failed = 0;
    *incomplete = 0;
    json_t *doc = json_object(), *unavailable = json_object();
    struct ctx c = {
        .conn = conn,
        .people = json_object(),
        .want = json_object(),
        .blank = json_pack("{s:n, s:n}", "name", "role"),
        .pseudonymised =
            json_is_true(json_object_get(view_params, "pseudonymise")),
        .top = top,
        .cohort = json_string_value(json_object_get(view_params, "cohort"))};
    for (int i = 0; i < NSUITE && !conn_failed; i++) {
        if ((i == GATE || i == CHG) && !baseline)
            continue;
        res[i] = analyse(conn, view_params, suite[i], &why[i], &conn_failed);
        if (!res[i]) {
            *incomplete = 1;
            json_object_set_new(unavailable, suite[i],
                                json_string(why[i] ? why[i] : "failed"));
        }
    }
    if (conn_failed) {
        snprintf(err, errlen, "%s", "lost the connection to spand");
        json_decref(doc);
        json_decref(unavailable);
        doc = NULL;
        goto out;
    }
    copy_head(doc, view_params, res);
    if (within)
        json_object_set_new(doc, "within", json_string(within));
    if (c.cohort)
        json_object_set_new(doc, "cohort", json_string(c.cohort));
    /* A first pass only gathers the people the document names; they are
     * asked for in one pipelined stream (a report of 150 sites names
     * thousands), then the document is built with their names. */
    json_t *scratch = json_deep_copy(doc);
    c.collecting = true;
    if (scratch)
        build_body(&c, scratch, within, res);
    json_decref(scratch);
    c.collecting = false;
    fetch_people(&c);
    build_body(&c, doc, within, res);
    json_object_set_new(doc, "unavailable", unavailable);
out:
    for (int i = 0; i < NSUITE; i++) {
        json_decref(res[i]);
        free(why[i]);
    }
    json_decref(c.people);
    json_decref(c.want);
    json_decref(c.blank);
    return doc;
}

/* ---- printing ----------------------------------------------------------- */

static char *val(const json_t *o, const char *k)
{
    return ctl_value_text(json_object_get(o, k));
}

static void section(FILE *out, const char *title)
{
    fprintf(out, "\n%s\n", title);
}

static void print_unavailable(const json_t *doc, const char *plugin, FILE *out)
{
    json_t *why = json_object_get(json_object_get(doc, "unavailable"), plugin);
    if (why)
        fprintf(out, "  (%s is unavailable: %s)\n", plugin,
                json_string_value(why));
}

static char *p_short(double p); /* "p = 0.042": see below */

/* An E-I against its expected value, in words: "less outward-looking
 * than chance: significantly more inward-looking than random mixing,
 * p < 0.001". NULL (no reading) without an expected value. */
static char *ei_reading(const json_t *row, bool brief)
{
    double ei = num(row, "ei"), ex = num(row, "expected_ei");
    double pg = num(row, "p_greater"), pl = num(row, "p_less");
    if (isnan(ei) && withheld(row))
        return strdup(brief ? "withheld" : "withheld: too few people to show");
    if (isnan(ei))
        return strdup(brief ? "no ties" : "no ties to read");
    if (isnan(ex))
        return NULL;
    const double eps = 1e-9;
    int dir = ei > ex + eps ? 1 : ei < ex - eps ? -1 : 0;
    double p = dir > 0 ? pg : dir < 0 ? pl : NAN;
    const char *side = dir > 0 ? "more outward-looking" : "more inward-looking";
    char *pt = isnan(p) ? NULL : p_short(p);
    char *s;
    if (brief) {
        if (dir != 0 && pt && p < SIGNIFICANT)
            s = ctl_fmt("%s, %s", side, pt);
        else if (dir != 0 && pt)
            s = ctl_fmt("as chance (%s)", pt);
        else
            s = strdup(dir > 0   ? "above chance"
                       : dir < 0 ? "below chance"
                                 : "as chance");
    } else {
        const char *than = dir > 0   ? "more outward-looking than chance"
                           : dir < 0 ? "less outward-looking than chance"
                                     : "exactly as outward-looking as chance";
        if (dir != 0 && pt && p < SIGNIFICANT)
            s = ctl_fmt("%s: significantly %s than random mixing, %s", than,
                        side, pt);
        else if (dir != 0 && pt)
            s = ctl_fmt("%s, but not significantly different from random "
                        "mixing (%s)",
                        than, pt);
        else
            s = strdup(than);
    }
    free(pt);
    return s;
}

static char *count_text(double n);

/* acc + piece (both freed; piece NULL: out of memory). NULL when out of
 * memory. */
static char *cat(char *acc, char *piece)
{
    char *s = acc && piece ? ctl_fmt("%s%s", acc, piece) : NULL;
    free(acc);
    free(piece);
    return s;
}

static bool in_view(const json_t *view_kinds, const char *name)
{
    if (!json_array_size(view_kinds))
        return true;
    for (size_t i = 0; i < json_array_size(view_kinds); i++)
        if (!strcmp(json_string_value(json_array_get(view_kinds, i)), name))
            return true;
    return false;
}

/* "advice (1,204), referral (310)" for records, "meeting (88 events,
 * 2,140 pairs)" for events; "none" when the view has no such kind. */
static char *kinds_from(const json_t *counts, const json_t *view_kinds,
                        bool events)
{
    char *acc = strdup("");
    int n = 0;
    for (size_t i = 0; acc && i < json_array_size(counts); i++) {
        const json_t *k = json_array_get(counts, i);
        const char *name = str(k, "kind", NULL);
        double c = num(k, events ? "events" : "records");
        if (!name || !(c > 0) || !in_view(view_kinds, name))
            continue;
        char *cn = ctl_clean_dup(name), *cc = count_text(c), *piece;
        if (events) {
            /* ties counts a record as one: the rest are event pairs. */
            double t = num(k, "ties") - num(k, "records");
            char *ct = count_text(isnan(t) ? 0 : t);
            piece = ctl_fmt("%s%s (%s %s, %s %s)", n ? ", " : "", cn ? cn : "?",
                            cc ? cc : "?", c == 1 ? "event" : "events",
                            ct ? ct : "?", t == 1 ? "pair" : "pairs");
            free(ct);
        } else {
            piece = ctl_fmt("%s%s (%s)", n ? ", " : "", cn ? cn : "?",
                            cc ? cc : "?");
        }
        free(cn);
        free(cc);
        acc = cat(acc, piece);
        n++;
    }
    return acc && n == 0 ? cat(acc, strdup("none")) : acc;
}

/* "--kind work: records only (advice, referral)." for each preset used. */
static char *presets_text(const json_t *used)
{
    char *acc = strdup("");
    for (size_t i = 0; acc && i < json_array_size(used); i++) {
        const json_t *u = json_array_get(used, i);
        const char *preset = str(u, "preset", "?");
        bool work = !strcmp(preset, "work");
        const json_t *kinds = json_object_get(u, "kinds"),
                     *both = json_object_get(u, "both");
        char *list = strdup("");
        for (size_t k = 0; list && k < json_array_size(kinds); k++) {
            char *cn =
                ctl_clean_dup(json_string_value(json_array_get(kinds, k)));
            list = cat(list, ctl_fmt("%s%s", k ? ", " : "", cn ? cn : "?"));
            free(cn);
        }
        char *piece =
            ctl_fmt("\n%s %s: %s only (%s).", str(u, "option", "?"), preset,
                    work ? "records" : "events", list ? list : "?");
        free(list);
        for (size_t k = 0; piece && k < json_array_size(both); k++) {
            char *cn =
                ctl_clean_dup(json_string_value(json_array_get(both, k)));
            piece =
                cat(piece, ctl_fmt(" %s is held in %s too, and they count: the "
                                   "view selects by kind, not by table.",
                                   cn ? cn : "?", work ? "events" : "records"));
            free(cn);
        }
        acc = cat(acc, piece);
    }
    return acc;
}

char *ctl_report_kinds_text(const json_t *doc)
{
    const json_t *counts = json_object_get(doc, "kind_counts");
    if (!json_is_array(counts))
        return NULL;
    const json_t *view_kinds = json_object_get(doc, "kinds");
    char *rec = kinds_from(counts, view_kinds, false),
         *ev = kinds_from(counts, view_kinds, true);
    char *s = rec && ev ? ctl_fmt("Ties counted (numbers for the whole "
                                  "store): from records: %s; from events: "
                                  "%s.",
                                  rec, ev)
                        : NULL;
    free(rec);
    free(ev);
    const json_t *used = json_object_get(doc, "kind_presets");
    return json_array_size(used) ? cat(s, presets_text(used)) : s;
}

/* Write text in lines of at most width characters, broken at spaces (a
 * word longer than width gets a line of its own; a newline in text starts
 * a new line), then a newline. */
static void put_wrapped(FILE *out, const char *text, size_t width)
{
    size_t col = 0;
    while (*text) {
        while (*text == ' ')
            text++;
        if (*text == '\n') {
            fputc('\n', out);
            col = 0;
            text++;
            continue;
        }
        const size_t len = strcspn(text, " \n");
        if (!len)
            break;
        if (col && col + 1 + len > width) {
            fputc('\n', out);
            col = 0;
        }
        if (col) {
            fputc(' ', out);
            col++;
        }
        fwrite(text, 1, len, out);
        col += len;
        text += len;
    }
    fputc('\n', out);
}

static void print_kinds(const json_t *doc, FILE *out)
{
    char *line = ctl_report_kinds_text(doc);
    const json_t *kinds = json_object_get(doc, "kinds");
    if (line) {
        put_wrapped(out, line, 78); /* as the report's other paragraphs */
        free(line);
    }
    if (json_array_size(kinds)) {
        fputs(line ? "--kind keeps only these kinds:"
                   : "Ties counted: only these kinds of record or event:",
              out);
        for (size_t i = 0; i < json_array_size(kinds); i++) {
            char *k =
                ctl_clean_dup(json_string_value(json_array_get(kinds, i)));
            fprintf(out, "%s %s", i ? "," : "", k ? k : "?");
            free(k);
        }
        fputs(".\n", out);
    } else if (line) {
        fputs("Records are one person with another (advice, referrals, "
              "supervision, joint\ncases); an event puts everyone present "
              "at a meeting or session with everyone\nelse. --kind keeps "
              "only the kinds named (--kind work: the kinds of records;\n"
              "--kind events: those of events).\n",
              out);
    } else {
        fputs("Ties counted: records (one person with another: advice, "
              "referrals, supervision,\njoint cases) and events (everyone "
              "present at a meeting or session with\neveryone else), "
              "together; --kind keeps only the kinds named.\n",
              out);
    }
}

static void print_network(const json_t *doc, const json_t *root, FILE *out,
                          const char *title)
{
    const json_t *net = json_object_get(doc, "network");
    section(out, title);
    ctl_table_t kv = {.indent = "  "};
    ctl_table_add(&kv, "E-I index");
    char *ei = val(net, "ei"), *ex = val(net, "expected_ei");
    char *rd = ei_reading(net, false);
    if (rd) {
        ctl_table_take(&kv,
                       ctl_fmt("%s   (random mixing would give %s)", ei, ex));
        ctl_table_add(&kv, "read against chance");
        ctl_table_take(&kv, rd);
    } else {
        ctl_table_take(&kv, ctl_fmt("%s", ei));
    }
    free(ei);
    free(ex);
    ctl_table_add(&kv, "modularity");
    char *mo = val(net, "modularity");
    ctl_table_take(&kv, ctl_fmt("%s   (0: no more ties within groups than "
                                "chance; higher: more closed groups)",
                                mo));
    free(mo);
    ctl_table_add(&kv, "assortativity");
    char *as = val(net, "assortativity");
    ctl_table_take(&kv, ctl_fmt("%s   (1: ties only within groups, 0: as "
                                "random, below 0: across)",
                                as));
    free(as);
    ctl_kv_print(&kv, out);
    ctl_table_free(&kv);
    print_unavailable(root, "ei", out);
}

static void print_groups(const json_t *doc, FILE *out)
{
    const json_t *groups = json_object_get(doc, "groups");
    if (!json_array_size(groups))
        return;
    section(out, "E-I BY GROUP, AGAINST CHANCE (each group against its own "
                 "expected value:\n-1 all ties inside, +1 all across; a "
                 "small group is outward-looking only above\nits chance "
                 "value, not above 0)");
    static const char *const h[] = {"group", "ties out", "ties in",
                                    "E-I",   "chance",   "reading"};
    ctl_table_t t = {.ncols = 6, .head = h, .align = "lrrrrl", .indent = "  "};
    for (size_t i = 0; i < json_array_size(groups); i++) {
        const json_t *g = json_array_get(groups, i);
        ctl_table_add(&t, str(g, "group", "?"));
        ctl_table_add_value(&t, json_object_get(g, "external"));
        ctl_table_add_value(&t, json_object_get(g, "internal"));
        ctl_table_add_value(&t, json_object_get(g, "ei"));
        ctl_table_add_value(&t, json_object_get(g, "expected_ei"));
        char *rd = ei_reading(g, false);
        ctl_table_add(&t, rd ? rd : "-");
        free(rd);
    }
    ctl_table_print(&t, out);
    ctl_table_free(&t);
    fprintf(out,
            "  significantly: p < %g in the test that shuffles group "
            "labels at random\n",
            SIGNIFICANT);
}

static void print_mixing(const json_t *doc, const json_t *root, FILE *out)
{
    section(out, "MIXING BETWEEN GROUPS (ties; density = ties / possible "
                 "pairs)");
    const json_t *mix = json_object_get(doc, "mixing");
    if (json_array_size(mix)) {
        static const char *const h[] = {"group", "with", "ties", "density"};
        ctl_table_t t = {
            .ncols = 4, .head = h, .align = "llrr", .indent = "  "};
        for (size_t i = 0; i < json_array_size(mix); i++) {
            const json_t *p = json_array_get(mix, i);
            ctl_table_add(&t, str(p, "group_a", "?"));
            ctl_table_add(&t, str(p, "group_b", "?"));
            ctl_table_add_value(&t, json_object_get(p, "ties"));
            ctl_table_add_value(&t, json_object_get(p, "density"));
        }
        ctl_table_print(&t, out);
        ctl_table_free(&t);
    }
    print_unavailable(root, "mixing", out);
}

/* "12 (z 2.3)": a brokerage count with its z-score when there is one. */
static void add_count_z(ctl_table_t *t, const json_t *p, const char *role)
{
    char zk[64];
    snprintf(zk, sizeof zk, "%s_z", role);
    char *n = val(p, role);
    double z = num(p, zk);
    if (isnan(z)) {
        ctl_table_take(t, n);
        return;
    }
    char *zt = ctl_number_text(round(z * 10) / 10);
    ctl_table_take(t, ctl_fmt("%s (z %s)", n ? n : "-", zt ? zt : "?"));
    free(n);
    free(zt);
}

static void print_spanners(const json_t *doc, const json_t *root, FILE *out)
{
    section(out, "TOP BOUNDARY SPANNERS (shortest paths between groups "
                 "that run through them)");
    const json_t *sp = json_object_get(doc, "spanners");
    if (json_array_size(sp)) {
        static const char *const h[] = {
            "name",        "group",          "role",           "cross-btw",
            "share",       "representative", "G-F gatekeeper", "liaison",
            "brokerage z", "groups",         "constraint"};
        ctl_table_t t = {
            .ncols = 11, .head = h, .align = "lllrrrrrrrr", .indent = "  "};
        for (size_t i = 0; i < json_array_size(sp); i++) {
            const json_t *p = json_array_get(sp, i);
            ctl_table_add(&t, str(p, "name", str(p, "id", "?")));
            ctl_table_add(&t, str(p, "group", ""));
            ctl_table_add(&t, str(p, "role", ""));
            ctl_table_add_value(&t, json_object_get(p, "cross_betweenness"));
            ctl_table_add_value(&t, json_object_get(p, "cross_share"));
            add_count_z(&t, p, "representative");
            add_count_z(&t, p, "gatekeeper");
            add_count_z(&t, p, "liaison");
            double z = num(p, "total_z");
            if (isnan(z))
                ctl_table_add(&t, "-");
            else
                ctl_table_take(&t, ctl_number_text(round(z * 10) / 10));
            ctl_table_add_value(&t, json_object_get(p, "groups_reached"));
            ctl_table_add_value(&t, json_object_get(p, "constraint"));
        }
        ctl_table_print(&t, out);
        ctl_table_free(&t);
        fputs("  share: of all their betweenness. representative, G-F "
              "gatekeeper, liaison:\n"
              "  Gould-Fernandez brokerage, how often they link two people "
              "who are not tied\n"
              "  (representative: from their own group out; G-F gatekeeper: "
              "from another\n"
              "  group into their own, a filter on what comes in; liaison: "
              "between two other\n"
              "  groups). A G-F gatekeeper is NOT a gate-opener (below). z: "
              "the count against\n"
              "  a random network of the same density; counts grow with "
              "contacts, so read\n"
              "  the z (above 2: more brokerage than chance). groups: other "
              "groups among\n"
              "  their contacts; constraint: low = many structural holes "
              "(Burt).\n",
              out);
    }
    print_unavailable(root, "boundary_betweenness", out);
}

/* "Ruth Miah, Sam Lee" from an array of names, "and N more" when the
 * list (of count people, NaN when unknown) was longer. */
static char *join_names(const json_t *names, double count)
{
    char *s = strdup("");
    size_t n = json_array_size(names);
    for (size_t i = 0; s && i < n; i++) {
        char *t = ctl_fmt("%s%s%s", s, i ? ", " : "",
                          json_string_value(json_array_get(names, i)));
        free(s);
        s = t;
    }
    if (s && count > (double)n) {
        char *t = ctl_fmt("%s and %.0f more", s, count - (double)n);
        free(s);
        s = t;
    }
    return s;
}

static char *percent(double share)
{
    return ctl_fmt("%.0f%%", share * 100);
}

/* Text from the data on a terminal: control characters as '?'. */
static void put_clean(FILE *out, const char *s)
{
    char *c = ctl_clean_dup(s ? s : "?");
    fputs(c ? c : "?", out);
    free(c);
}

/* One boundary at risk as a sentence, and in *tail what else links the
 * two groups (empty when nothing to add). */
static char *risk_text(const json_t *p, char **tail)
{
    const char *a = str(p, "group_a", "?"), *b = str(p, "group_b", "?");
    double direct = num(p, "direct_ties"), holders = num(p, "holders");
    double cut = num(p, "cut_size");
    char *hn = join_names(json_object_get(p, "holder_names"), holders);
    char *sn = join_names(json_object_get(p, "separator_names"), cut);
    char *share = percent(num(p, "top_holder_share"));
    const char *top = str(p, "top_holder_name", "?");
    char *head;
    if (withheld(p) && isnan(direct))
        head = ctl_fmt("%s - %s: withheld (too few people to show)", a, b);
    else if (!(direct > 0) && !(cut > 0))
        head = ctl_fmt("%s - %s: not connected at all", a, b);
    else if (!(direct > 0))
        head = ctl_fmt("%s - %s: no direct tie; every path runs through "
                       "%.0f %s: %s",
                       a, b, cut, cut == 1 ? "person" : "people", sn);
    else if (isnan(holders))
        head = ctl_fmt("%s - %s: %.0f %s", a, b, direct,
                       direct == 1 ? "tie" : "ties");
    else if (holders == 1)
        head = ctl_fmt("%s - %s: %.0f %s, all through 1 person: %s (%s)", a, b,
                       direct, direct == 1 ? "tie" : "ties", top, share);
    else
        head = ctl_fmt("%s - %s: %.0f ties, held by %.0f people (%s); most "
                       "through %s (%s)",
                       a, b, direct, holders, hn, top, share);
    if (!(direct > 0))
        *tail = NULL;
    else if (cut > 0)
        *tail = ctl_fmt("besides those ties, %.0f %s in other groups link "
                        "them: %s",
                        cut, cut == 1 ? "person" : "people", sn);
    else if (cut == 0)
        *tail = strdup("and no other path: nobody in another group links "
                       "them");
    else
        *tail = NULL;
    free(hn);
    free(sn);
    free(share);
    return head;
}

static void print_risk(const json_t *doc, const json_t *root, FILE *out)
{
    section(out, "BOUNDARIES MOST AT RISK (fewest people holding the ties "
                 "between two groups first)");
    const json_t *risk = json_object_get(doc, "at_risk");
    for (size_t i = 0; i < json_array_size(risk); i++) {
        char *tail = NULL;
        char *s = risk_text(json_array_get(risk, i), &tail);
        fputs("  ", out);
        put_clean(out, s);
        if (tail) {
            fputs("\n      ", out);
            put_clean(out, tail);
        }
        fputc('\n', out);
        free(s);
        free(tail);
    }
    if (json_array_size(risk))
        fputs("  held by: the fewest people who between them take part in "
              "every direct tie\n  (if they all left, no direct tie would "
              "remain); the share is of the ties.\n",
              out);
    print_unavailable(root, "resilience", out);
}

static void print_departures(const json_t *doc, const json_t *root, FILE *out)
{
    if (!json_object_get(doc, "departures") &&
        !json_object_get(json_object_get(root, "unavailable"), "departure"))
        return;
    section(out, "IF ONE PERSON LEFT (cross-group pairs of people who could "
                 "no longer reach each other)");
    const json_t *dep = json_object_get(doc, "departures");
    const json_t *net = json_object_get(doc, "departure");
    char *conn = val(net, "connected_cross_pairs");
    for (size_t i = 0; i < json_array_size(dep); i++) {
        const json_t *p = json_array_get(dep, i);
        char *n = val(p, "cross_pairs_cut");
        char *sh = percent(num(p, "cross_share"));
        const char *role = str(p, "role", NULL);
        char *line = ctl_fmt("%s (%s%s%s): %s cross-group pairs cut, %s of "
                             "those connected",
                             str(p, "name", str(p, "id", "?")),
                             str(p, "group", "?"), role ? ", " : "",
                             role ? role : "", n ? n : "?", sh ? sh : "?");
        fputs("  ", out);
        put_clean(out, line);
        fputc('\n', out);
        free(line);
        free(n);
        free(sh);
    }
    if (dep && !json_array_size(dep))
        fputs("  nobody: no one person's leaving would cut a cross-group "
              "pair\n",
              out);
    else if (dep)
        fprintf(out, "  (%s cross-group pairs are connected now)\n",
                conn ? conn : "?");
    free(conn);
    print_unavailable(root, "departure", out);
}

static void print_gates(const json_t *doc, const json_t *root, FILE *out)
{
    if (!json_object_get(doc, "gate_openers") &&
        !json_object_get(json_object_get(root, "unavailable"),
                         "gate_opening")) {
        fputs("\n(give --baseline-from/--baseline-to for the gate-openers "
              "and new ties)\n",
              out);
        return;
    }
    section(out, "GATE-OPENERS (brokers whose separate contacts of the "
                 "baseline now work together\ndirectly; not the "
                 "Gould-Fernandez gatekeepers above, who filter what comes "
                 "in)");
    const json_t *go = json_object_get(doc, "gate_openers");
    if (json_array_size(go)) {
        static const char *const h[] = {"name",          "group",  "role",
                                        "brokered",      "opened", "rate",
                                        "new cross ties"};
        ctl_table_t t = {
            .ncols = 7, .head = h, .align = "lllrrrr", .indent = "  "};
        for (size_t i = 0; i < json_array_size(go); i++) {
            const json_t *p = json_array_get(go, i);
            ctl_table_add(&t, str(p, "name", str(p, "id", "?")));
            ctl_table_add(&t, str(p, "group", ""));
            ctl_table_add(&t, str(p, "role", ""));
            ctl_table_add_value(&t, json_object_get(p, "brokered"));
            ctl_table_add_value(&t, json_object_get(p, "opened"));
            ctl_table_add_value(&t, json_object_get(p, "gate_opening_rate"));
            ctl_table_add_value(&t, json_object_get(p, "new_cross_ties"));
        }
        ctl_table_print(&t, out);
        ctl_table_free(&t);
    } else if (go) {
        fputs("  none: no pair a broker kept apart is tied now\n", out);
    }
    print_unavailable(root, "gate_opening", out);
}

/* x rounded to at most `decimals` places, without trailing zeros: the
 * sentences' "0.3", "33.3%", "1". */
static char *short_num(double x, int decimals)
{
    char b[64];
    snprintf(b, sizeof b, "%.*f", decimals, x);
    if (strchr(b, '.')) {
        size_t n = strlen(b);
        while (n > 0 && b[n - 1] == '0')
            b[--n] = '\0';
        if (n > 0 && b[n - 1] == '.')
            b[--n] = '\0';
    }
    if (!strcmp(b, "-0"))
        snprintf(b, sizeof b, "0");
    return strdup(b);
}

/* "p < 0.001" or "p = 0.42" (three places at most). */
static char *p_short(double p)
{
    if (p < 0.001)
        return strdup("p < 0.001");
    char *n = short_num(p, 3);
    char *s = n ? ctl_fmt("p = %s", n) : NULL;
    free(n);
    return s;
}

/* "1,000": a count with thousands separators. */
static char *count_text(double n)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", n);
    char out[48];
    size_t len = strlen(digits), o = 0;
    for (size_t i = 0; i < len && o + 2 < sizeof out; i++) {
        if (i && digits[i - 1] != '-' && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return strdup(out);
}

/* The QAP test in words: "this window's network is strongly related to
 * the baseline's: correlation 0.51, higher than in any of 1,000 random
 * relabellings (p < 0.001)". */
static char *qap_text(const json_t *ch)
{
    double r = num(ch, "gcor"), p = num(ch, "gcor_p");
    double perms = num(ch, "permutations");
    if (isnan(r))
        return strdup("the correlation of the two windows cannot be "
                      "computed (a window without ties, or with every "
                      "pair tied)");
    char *rt = short_num(r, 2);
    char *nt = count_text(perms);
    char *pt = isnan(p) ? NULL : p_short(p);
    double a = fabs(r);
    const char *how = a >= 0.5   ? "strongly"
                      : a >= 0.3 ? "moderately"
                                 : "weakly";
    char *s;
    if (isnan(p) || !pt)
        s = ctl_fmt("this window's network and the baseline's have "
                    "correlation %s (no permutation test)",
                    rt);
    else if (p >= SIGNIFICANT)
        s = ctl_fmt("this window's network is no more related to the "
                    "baseline's than chance: correlation %s, as high or "
                    "higher in %.0f of %s random relabellings (%s)",
                    rt, round(p * perms), nt, pt);
    else if (p * perms < 0.5)
        s = ctl_fmt("this window's network is %s %srelated to the "
                    "baseline's: correlation %s, higher than in any of %s "
                    "random relabellings (%s)",
                    how, r < 0 ? "inversely " : "", rt, nt, pt);
    else
        s = ctl_fmt("this window's network is %s %srelated to the "
                    "baseline's: correlation %s, as high or higher in only "
                    "%.0f of %s random relabellings (%s)",
                    how, r < 0 ? "inversely " : "", rt, round(p * perms), nt,
                    pt);
    free(rt);
    free(nt);
    free(pt);
    return s;
}

/* "gained 3.1 cross-boundary ties", "lost 0.5 ...". */
static char *gain_text(double mean)
{
    char *m = short_num(fabs(mean), 1);
    const char *ties = m && !strcmp(m, "1") ? "tie" : "ties";
    char *s = mean > 0   ? ctl_fmt("gained %s cross-boundary %s", m, ties)
              : mean < 0 ? ctl_fmt("lost %s cross-boundary %s", m, ties)
                         : strdup("kept as many cross-boundary ties");
    free(m);
    return s;
}

/* The cohort comparison in words and numbers. */
static char *cohort_text(const json_t *co)
{
    const char *spec = str(co, "cohort", "?");
    double k = num(co, "cohort_n"), o = num(co, "others_n");
    double p = num(co, "cohort_p");
    if (!(k > 0))
        return ctl_fmt("cohort %s: nobody in it has ties in both windows, "
                       "so there is nothing to compare",
                       spec);
    if (!(o > 0))
        return ctl_fmt("cohort %s: everyone with ties in both windows is in "
                       "it, so there is no one to compare it with",
                       spec);
    char *g = gain_text(num(co, "cohort_external_change"));
    char *h = gain_text(num(co, "others_external_change"));
    char *pt = isnan(p) ? NULL : p_short(p);
    char *share = isnan(p) ? NULL : short_num(p * 100, 1);
    const char *of = json_is_true(json_object_get(co, "exact"))
                         ? "of all possible reassignments of the cohort label"
                         : "of random reassignments of the cohort label";
    char *s;
    if (!pt || !share)
        s = ctl_fmt("cohort %s (%.0f people with ties in both windows, "
                    "against %.0f others): participants %s on average, "
                    "others %s (no permutation test)",
                    spec, k, o, g, h);
    else
        s = ctl_fmt("cohort %s (%.0f people with ties in both windows, "
                    "against %.0f others): participants %s on average, "
                    "others %s; a difference this large arose in %s%% %s "
                    "(%s): %s",
                    spec, k, o, g, h, share, of, pt,
                    p < SIGNIFICANT ? "unlikely to be chance"
                                    : "it could well be chance");
    free(g);
    free(h);
    free(pt);
    free(share);
    return s;
}

static void print_boundary_changes(const json_t *ch, FILE *out)
{
    const json_t *b = json_object_get(ch, "boundaries");
    if (!json_array_size(b)) {
        fputs("  no ties across boundaries in either window\n", out);
        return;
    }
    static const char *const h[] = {"group", "with", "before", "after",
                                    "kept",  "lost", "new"};
    ctl_table_t t = {.ncols = 7, .head = h, .align = "llrrrrr", .indent = "  "};
    for (size_t i = 0; i < json_array_size(b); i++) {
        const json_t *p = json_array_get(b, i);
        ctl_table_add(&t, str(p, "group_a", "?"));
        ctl_table_add(&t, str(p, "group_b", "?"));
        ctl_table_add_value(&t, json_object_get(p, "ties_before"));
        ctl_table_add_value(&t, json_object_get(p, "ties_after"));
        ctl_table_add_value(&t, json_object_get(p, "kept"));
        ctl_table_add_value(&t, json_object_get(p, "lost"));
        ctl_table_add_value(&t, json_object_get(p, "new"));
    }
    ctl_table_print(&t, out);
    ctl_table_free(&t);
    const json_t *a = json_object_get(ch, "across");
    fprintf(out, "  across all boundaries: %.0f kept, %.0f lost, %.0f new\n",
            num(a, "kept"), num(a, "lost"), num(a, "new"));
}

static void print_change(const json_t *doc, const json_t *root, FILE *out)
{
    const json_t *ch = json_object_get(doc, "change");
    if (!ch && !json_object_get(json_object_get(root, "unavailable"), "change"))
        return;
    section(out, "WHAT CHANGED (ties of the baseline against ties of this "
                 "window; each window's ties\nundirected, counted once)");
    if (ch) {
        double jv = num(ch, "jaccard");
        char *j = isnan(jv) ? strdup("-") : short_num(jv, 2);
        fprintf(out,
                "  ties: %.0f kept, %.0f lost, %.0f new; Jaccard index %s "
                "(the share of ties in\n  either window that are in both)\n",
                num(ch, "kept"), num(ch, "lost"), num(ch, "new"), j);
        free(j);
        print_boundary_changes(ch, out);
        char *q = qap_text(ch);
        fputs("  ", out);
        put_clean(out, q);
        fputs("\n", out);
        free(q);
        const json_t *co = json_object_get(ch, "cohort");
        if (json_is_object(co)) {
            char *cs = cohort_text(co);
            fputs("  ", out);
            put_clean(out, cs);
            fputs("\n", out);
            free(cs);
        }
    }
    print_unavailable(root, "change", out);
}

static void print_body(const json_t *doc, const json_t *root, FILE *out,
                       const char *whole)
{
    print_network(doc, root, out, whole);
    print_groups(doc, out);
    print_mixing(doc, root, out);
    print_spanners(doc, root, out);
    print_risk(doc, root, out);
    print_departures(doc, root, out);
    print_gates(doc, root, out);
    print_change(doc, root, out);
}

/* A section title such as "EACH SITE COMPARED": before, word in upper
 * case (titles are capitals throughout), after. Caller frees; NULL when
 * out of memory. */
static char *title_with(const char *before, const char *word, const char *after)
{
    char *up = strdup(word);
    for (char *p = up; p && *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    char *t = up ? ctl_fmt("%s%s%s", before, up, after) : NULL;
    free(up);
    return t;
}

static void print_comparison(const json_t *doc, FILE *out)
{
    const char *attr = str(doc, "within", "scope");
    const json_t *cmp = json_object_get(doc, "comparison");
    char *title = title_with("EACH ", attr,
                             " COMPARED (E-I against its chance value; the "
                             "boundary resting on the\nfewest people; whose "
                             "leaving would cut most cross-group pairs)");
    section(out, title ? title : "COMPARISON");
    free(title);
    static const char *const h[] = {"",
                                    "people",
                                    "ties",
                                    "E-I",
                                    "chance",
                                    "reading",
                                    "most fragile boundary",
                                    "held by",
                                    "if they left",
                                    "cuts"};
    ctl_table_t t = {
        .ncols = 10, .head = h, .align = "lrrrrlllll", .indent = "  "};
    for (size_t i = 0; i < json_array_size(cmp); i++) {
        const json_t *r = json_array_get(cmp, i);
        ctl_table_add(&t, str(r, attr, "?"));
        ctl_table_add_value(&t, json_object_get(r, "people"));
        ctl_table_add_value(&t, json_object_get(r, "ties"));
        ctl_table_add_value(&t, json_object_get(r, "ei"));
        ctl_table_add_value(&t, json_object_get(r, "expected_ei"));
        char *rd = ei_reading(r, true);
        ctl_table_add(&t, rd ? rd : "-");
        free(rd);
        const json_t *f = json_object_get(r, "most_fragile");
        if (json_is_object(f)) {
            double direct = num(f, "direct_ties");
            ctl_table_take(
                &t, ctl_fmt("%s - %s (%s)", str(f, "group_a", "?"),
                            str(f, "group_b", "?"),
                            direct > 0 ? "direct ties" : "through others"));
            double n = resting_on(f);
            char *names =
                join_names(json_object_get(f, direct > 0 ? "holder_names"
                                                         : "separator_names"),
                           n);
            ctl_table_take(&t, ctl_fmt("%.0f: %s", n, names ? names : "?"));
            free(names);
        } else {
            ctl_table_add(&t, "-");
            ctl_table_add(&t, "-");
        }
        const json_t *d = json_object_get(r, "departure_risk");
        if (json_is_object(d)) {
            ctl_table_add(&t, str(d, "name", str(d, "id", "?")));
            char *sh = percent(num(d, "cross_share"));
            char *n = val(d, "cross_pairs_cut");
            ctl_table_take(
                &t, ctl_fmt("%s pairs (%s)", n ? n : "?", sh ? sh : "?"));
            free(sh);
            free(n);
        } else {
            ctl_table_add(&t, "nobody");
            ctl_table_add(&t, "-");
        }
    }
    ctl_table_print(&t, out);
    ctl_table_free(&t);
    fputs("  reading: E-I against chance (permutation test); held by: the "
          "fewest people\n  taking part in every tie of that boundary; "
          "cuts: cross-group pairs of people\n  who could no longer reach "
          "each other, and their share of those connected.\n",
          out);
}

int ctl_report_print(const json_t *doc, FILE *out)
{
    const json_t *w = json_object_get(doc, "window");
    const json_t *b = json_object_get(doc, "baseline");
    const json_t *v = json_object_get(doc, "view");
    const char *within = str(doc, "within", NULL);
    fprintf(out, "Boundary-spanning report: groups by %s, %s to %s",
            str(doc, "boundary", "?"), str(w, "from", "the beginning"),
            str(w, "to", "now"));
    if (json_is_object(b))
        fprintf(out, ", against %s to %s", str(b, "from", "the beginning"),
                str(b, "to", "now"));
    if (within)
        fprintf(out, ", each %s on its own", within);
    char *nv = val(v, "vertices"), *ne = val(v, "edges"),
         *nx = val(v, "excluded");
    if (within) {
        char *os = val(v, "outside_scopes");
        fprintf(out,
                "\n%zu %s values, %s people in them with ties; %s "
                "people without a %s value left out\n",
                json_array_size(json_object_get(doc, "comparison")), within, nv,
                os, within);
        free(os);
    } else {
        char *ng = val(v, "groups");
        fprintf(out,
                "\n%s people with ties, %s arcs, %s groups; %s people "
                "without a value left out\n",
                nv, ne, ng, nx);
        free(ng);
    }
    free(nv);
    free(ne);
    free(nx);
    print_kinds(doc, out);

    if (!within) {
        print_body(doc, doc, out, "WHOLE NETWORK");
        return ferror(out) ? -1 : 0;
    }
    print_comparison(doc, out);
    const json_t *reports = json_object_get(doc, "reports");
    for (size_t i = 0; i < json_array_size(reports); i++) {
        const json_t *r = json_array_get(reports, i);
        const json_t *rv = json_object_get(r, "view");
        char *n = val(rv, "vertices"), *x = val(rv, "excluded");
        char *head = ctl_fmt("==== %s %s: %s people with ties (%s left out: "
                             "no group) ====",
                             within, str(r, "scope", "?"), n, x);
        fputs("\n\n", out);
        put_clean(out, head);
        fputc('\n', out);
        char *whole = title_with("THE ", within, " AS A WHOLE");
        print_body(r, doc, out, whole ? whole : "AS A WHOLE");
        free(whole);
        free(head);
        free(n);
        free(x);
    }
    return ferror(out) ? -1 : 0;
}
