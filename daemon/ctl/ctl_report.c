/* ctl_report.c - see ctl_report.h. */
#include "ctl_report.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_table.h"

/* One analysis of the suite; NULL result with the reason on failure. */
struct run {
    const char *plugin;
    json_t *result;
    char *error;
};

static json_t *analyse(ctl_conn_t *conn, const json_t *view_params,
                       const char *plugin, const char *sort, long long top,
                       char **error, int *conn_failed)
{
    json_t *p = json_deep_copy(view_params);
    /* Joining tables by person needs them whole: only the ranking
     * analysis is cut to the top rows. */
    if (p) {
        json_object_del(p, "top");
        json_object_del(p, "sort");
    }
    if (!p || json_object_set_new(p, "plugin", json_string(plugin)) < 0) {
        json_decref(p);
        *error = strdup("out of memory");
        return NULL;
    }
    if (sort)
        json_object_set_new(p, "sort", json_string(sort));
    if (top >= 0)
        json_object_set_new(p, "top", json_integer(top));
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
        *error = ctl_fmt("%s", r.message ? r.message : "failed");
        ctl_reply_clear(&r);
        return NULL;
    }
    json_t *res = json_incref(r.result);
    ctl_reply_clear(&r);
    return res;
}

/* The named table of an analysis as an array of {column: value}. */
static json_t *rows_of(const json_t *res, const char *table)
{
    json_t *t = json_object_get(json_object_get(res, "tables"), table);
    json_t *cols = json_object_get(t, "columns"), *rows = json_object_get(t, "rows");
    json_t *out = json_array();
    for (size_t i = 0; out && i < json_array_size(rows); i++) {
        json_t *o = json_object();
        json_t *row = json_array_get(rows, i);
        for (size_t c = 0; o && c < json_array_size(cols); c++)
            json_object_set(o,
                            json_string_value(json_object_get(
                                json_array_get(cols, c), "name")),
                            json_array_get(row, c));
        json_array_append_new(out, o);
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

/* Name and role of a person, for the lists (null when unknown). */
static void add_person(ctl_conn_t *conn, json_t *row)
{
    json_t *p = json_pack("{s:O}", "id", json_object_get(row, "id"));
    ctl_reply_t r;
    char err[256];
    if (p && ctl_conn_call(conn, "person", p, &r, err, sizeof err) == 0 &&
        r.result) {
        json_t *a = json_object_get(r.result, "attributes");
        json_object_set(row, "name", json_object_get(a, "name")
                                         ? json_object_get(a, "name")
                                         : json_null());
        json_object_set(row, "role", json_object_get(a, "role")
                                         ? json_object_get(a, "role")
                                         : json_null());
        ctl_reply_clear(&r);
    }
    json_decref(p);
}

static double num(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* o.k as a count with the word that agrees ("1 tie"); "? ties" when it is
 * not a whole number. Caller frees. */
static char *count(const json_t *o, const char *k, const char *one,
                   const char *many)
{
    double n = num(o, k);
    if (!(n >= 0 && n < 9e15) || n != (double)(long long)n)
        return ctl_fmt("? %s", many);
    return ctl_count((long long)n, one, many);
}

/* Pairs by cut size, smallest first; direct ties (null) after. */
static int cmp_risk(const void *a, const void *b)
{
    double x = num(*(json_t *const *)a, "cut_size");
    double y = num(*(json_t *const *)b, "cut_size");
    if (isnan(x) != isnan(y))
        return isnan(x) ? 1 : -1;
    if (!isnan(x) && x != y)
        return x < y ? -1 : 1;
    double dx = num(*(json_t *const *)a, "direct_ties");
    double dy = num(*(json_t *const *)b, "direct_ties");
    return (dx > dy) - (dx < dy);
}

json_t *ctl_report_build(ctl_conn_t *conn, const json_t *view_params,
                         long long top, int *incomplete, char *err,
                         size_t errlen)
{
    static const char *const suite[] = {
        "ei",          "mixing",     "brokerage",  "structural_holes",
        "diversity",   "boundary_betweenness", "resilience", "gate_opening"};
    enum { EI, MIX, BRK, SH, DIV, BB, RES, GATE, NSUITE };
    struct run runs[NSUITE] = {{0}};
    bool baseline = json_object_get(view_params, "baseline") != NULL;
    int conn_failed = 0;
    *incomplete = 0;
    json_t *doc = json_object(), *unavailable = json_object();
    for (int i = 0; i < NSUITE && !conn_failed; i++) {
        runs[i].plugin = suite[i];
        if (i == GATE && !baseline)
            continue;
        runs[i].result =
            analyse(conn, view_params, suite[i],
                    i == BB ? "cross_betweenness" : NULL, i == BB ? top : -1,
                    &runs[i].error, &conn_failed);
        if (!runs[i].result) {
            *incomplete = 1;
            json_object_set_new(unavailable, suite[i],
                                json_string(runs[i].error ? runs[i].error
                                                          : "failed"));
        }
    }
    if (conn_failed) {
        snprintf(err, errlen, "%s", "lost the connection to spand");
        for (int i = 0; i < NSUITE; i++) {
            json_decref(runs[i].result);
            free(runs[i].error);
        }
        json_decref(doc);
        json_decref(unavailable);
        return NULL;
    }
    /* The view as every analysis saw it (they share one). */
    for (int i = 0; i < NSUITE; i++) {
        if (!runs[i].result)
            continue;
        static const char *const head[] = {"boundary", "window", "baseline",
                                           "view", "data_version"};
        for (size_t k = 0; k < sizeof head / sizeof head[0]; k++)
            json_object_set(doc, head[k], json_object_get(runs[i].result,
                                                          head[k]));
        break;
    }

    /* Whole network. */
    json_t *net = json_object();
    if (runs[EI].result) {
        json_t *r = rows_of(runs[EI].result, "network");
        static const char *const f[] = {"ei", "expected_ei", "p_greater",
                                        "p_less", "external", "internal",
                                        NULL};
        copy_fields(net, json_array_get(r, 0), f);
        json_decref(r);
    }
    if (runs[MIX].result) {
        json_t *r = rows_of(runs[MIX].result, "network");
        static const char *const f[] = {"modularity", "assortativity", NULL};
        copy_fields(net, json_array_get(r, 0), f);
        json_decref(r);
        json_object_set_new(doc, "mixing", rows_of(runs[MIX].result, "pair"));
    }
    json_object_set_new(doc, "network", net);
    if (runs[EI].result)
        json_object_set_new(doc, "groups", rows_of(runs[EI].result, "group"));

    /* Boundary spanners: most cross-group betweenness first, with what
     * the other measures say about them. */
    if (runs[BB].result) {
        json_t *top_rows = rows_of(runs[BB].result, "vertex");
        json_t *brk = runs[BRK].result ? rows_of(runs[BRK].result, "vertex")
                                       : json_array();
        json_t *sh = runs[SH].result ? rows_of(runs[SH].result, "vertex")
                                     : json_array();
        json_t *dv = runs[DIV].result ? rows_of(runs[DIV].result, "vertex")
                                      : json_array();
        json_t *ib = by_id(brk), *is = by_id(sh), *id = by_id(dv);
        json_t *spanners = json_array();
        for (size_t i = 0; i < json_array_size(top_rows); i++) {
            json_t *t = json_array_get(top_rows, i);
            const char *pid = json_string_value(json_object_get(t, "id"));
            json_t *row = json_object();
            static const char *const fb[] = {"id", "group", "cross_betweenness",
                                             "cross_share", NULL};
            static const char *const fr[] = {
                "coordinator", "itinerant", "representative", "gatekeeper",
                "liaison",     "total",     "total_z",        NULL};
            static const char *const fs[] = {"constraint", "effective_size",
                                             "external_constraint", NULL};
            static const char *const fd[] = {"participation",
                                             "participation_norm",
                                             "groups_reached", NULL};
            copy_fields(row, t, fb);
            copy_fields(row, json_object_get(ib, pid), fr);
            copy_fields(row, json_object_get(is, pid), fs);
            copy_fields(row, json_object_get(id, pid), fd);
            add_person(conn, row);
            json_array_append_new(spanners, row);
        }
        json_object_set_new(doc, "spanners", spanners);
        json_decref(top_rows);
        json_decref(brk);
        json_decref(sh);
        json_decref(dv);
        json_decref(ib);
        json_decref(is);
        json_decref(id);
    }

    /* Boundaries at risk: the smallest separators first. */
    if (runs[RES].result) {
        json_t *pairs = rows_of(runs[RES].result, "pair");
        size_t n = json_array_size(pairs);
        json_t **list = calloc(n ? n : 1, sizeof *list);
        json_t *risk = json_array();
        if (list && risk) {
            for (size_t i = 0; i < n; i++)
                list[i] = json_array_get(pairs, i);
            qsort(list, n, sizeof *list, cmp_risk);
            for (size_t i = 0; i < n && (top < 0 || (long long)i < top); i++)
                json_array_append(risk, list[i]);
        }
        free(list);
        json_object_set_new(doc, "at_risk", risk);
        json_decref(pairs);
    }

    /* Gate-openers: brokers of the baseline whose pairs are now tied. */
    if (runs[GATE].result) {
        json_t *p = json_deep_copy(view_params);
        json_object_del(p, "top");
        json_object_set_new(p, "plugin", json_string("gate_opening"));
        json_object_set_new(p, "sort", json_string("opened"));
        json_object_set_new(p, "top", json_integer(top < 0 ? 10 : top));
        ctl_reply_t r;
        char e2[256];
        json_t *openers = json_array();
        if (ctl_conn_call(conn, "analyse", p, &r, e2, sizeof e2) == 0 &&
            r.result) {
            json_t *rows = rows_of(r.result, "vertex");
            for (size_t i = 0; i < json_array_size(rows); i++) {
                json_t *row = json_array_get(rows, i);
                if (num(row, "opened") > 0) {
                    add_person(conn, row);
                    json_array_append(openers, row);
                }
            }
            json_decref(rows);
            ctl_reply_clear(&r);
        }
        json_decref(p);
        json_object_set_new(doc, "gate_openers", openers);
        json_object_set_new(doc, "new_cross_ties",
                            rows_of(runs[GATE].result, "pair"));
        json_t *g = rows_of(runs[GATE].result, "network");
        json_object_set(doc, "gate_opening", json_array_get(g, 0));
        json_decref(g);
    }
    json_object_set_new(doc, "unavailable", unavailable);
    for (int i = 0; i < NSUITE; i++) {
        json_decref(runs[i].result);
        free(runs[i].error);
    }
    return doc;
}

/* ---- printing ---------------------------------------------------------- */

static char *val(const json_t *o, const char *k)
{
    return ctl_value_text(json_object_get(o, k));
}

static const char *str(const json_t *o, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : dflt;
}

static void section(FILE *out, const char *title)
{
    fprintf(out, "\n%s\n", title);
}

static void print_unavailable(const json_t *doc, const char *plugin,
                              FILE *out)
{
    json_t *why = json_object_get(json_object_get(doc, "unavailable"), plugin);
    if (why)
        fprintf(out, "  (%s is unavailable: %s)\n", plugin,
                json_string_value(why));
}

int ctl_report_print(const json_t *doc, FILE *out)
{
    const json_t *w = json_object_get(doc, "window");
    const json_t *b = json_object_get(doc, "baseline");
    const json_t *v = json_object_get(doc, "view");
    fprintf(out, "Boundary-spanning report: groups by %s, %s to %s",
            str(doc, "boundary", "?"), str(w, "from", "the beginning"),
            str(w, "to", "now"));
    if (json_is_object(b))
        fprintf(out, ", against %s to %s", str(b, "from", "the beginning"),
                str(b, "to", "now"));
    /* "1 person", "1 arc": the counts agree with their words. */
    char *nv = count(v, "vertices", "person with ties", "people with ties"),
         *ne = count(v, "edges", "arc", "arcs"),
         *ng = count(v, "groups", "group", "groups"),
         *nx = count(v, "excluded", "person", "people");
    fprintf(out, "\n%s, %s, %s; %s without a value left out\n", nv ? nv : "?",
            ne ? ne : "?", ng ? ng : "?", nx ? nx : "?");
    free(nv);
    free(ne);
    free(ng);
    free(nx);

    const json_t *net = json_object_get(doc, "network");
    section(out, "WHOLE NETWORK");
    ctl_table_t kv = {.indent = "  "};
    ctl_table_add(&kv, "E-I index");
    char *ei = val(net, "ei"), *ex = val(net, "expected_ei"),
         *pl = val(net, "p_less");
    ctl_table_take(&kv, ctl_fmt("%s   (random mixing would give %s; share of "
                                "label shuffles at or below it: %s)",
                                ei, ex, pl));
    free(ei);
    free(ex);
    free(pl);
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
    print_unavailable(doc, "ei", out);

    const json_t *groups = json_object_get(doc, "groups");
    if (json_array_size(groups)) {
        section(out, "E-I BY GROUP (-1: all ties inside, +1: all across)");
        static const char *const h[] = {"group", "ties out", "ties in", "E-I"};
        ctl_table_t t = {.ncols = 4, .head = h, .align = "lrrr",
                         .indent = "  "};
        for (size_t i = 0; i < json_array_size(groups); i++) {
            const json_t *g = json_array_get(groups, i);
            ctl_table_add(&t, str(g, "group", "?"));
            ctl_table_add_value(&t, json_object_get(g, "external"));
            ctl_table_add_value(&t, json_object_get(g, "internal"));
            ctl_table_add_value(&t, json_object_get(g, "ei"));
        }
        ctl_table_print(&t, out);
        ctl_table_free(&t);
    }

    section(out, "MIXING BETWEEN GROUPS (ties; density = ties / possible "
                 "pairs)");
    const json_t *mix = json_object_get(doc, "mixing");
    if (json_array_size(mix)) {
        static const char *const h[] = {"group", "with", "ties", "density"};
        ctl_table_t t = {.ncols = 4, .head = h, .align = "llrr",
                         .indent = "  "};
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
    print_unavailable(doc, "mixing", out);

    section(out, "TOP BOUNDARY SPANNERS (shortest paths between groups "
                 "that run through them)");
    const json_t *sp = json_object_get(doc, "spanners");
    if (json_array_size(sp)) {
        static const char *const h[] = {
            "name",   "group",     "role",     "cross-btw", "share",
            "repr",   "gate",      "liaison",  "groups",    "constraint"};
        ctl_table_t t = {.ncols = 10, .head = h, .align = "lllrrrrrrr",
                         .indent = "  "};
        for (size_t i = 0; i < json_array_size(sp); i++) {
            const json_t *p = json_array_get(sp, i);
            ctl_table_add(&t, str(p, "name", str(p, "id", "?")));
            ctl_table_add(&t, str(p, "group", ""));
            ctl_table_add(&t, str(p, "role", ""));
            ctl_table_add_value(&t, json_object_get(p, "cross_betweenness"));
            ctl_table_add_value(&t, json_object_get(p, "cross_share"));
            ctl_table_add_value(&t, json_object_get(p, "representative"));
            ctl_table_add_value(&t, json_object_get(p, "gatekeeper"));
            ctl_table_add_value(&t, json_object_get(p, "liaison"));
            ctl_table_add_value(&t, json_object_get(p, "groups_reached"));
            ctl_table_add_value(&t, json_object_get(p, "constraint"));
        }
        ctl_table_print(&t, out);
        ctl_table_free(&t);
        fputs("  share: of all their betweenness; repr/gate/liaison: "
              "Gould-Fernandez brokerage\n  counts; groups: other groups "
              "among their contacts; constraint: low = many\n  structural "
              "holes (Burt).\n",
              out);
    }
    print_unavailable(doc, "boundary_betweenness", out);

    section(out, "BOUNDARIES MOST AT RISK (fewest people whose leaving "
                 "would cut every path)");
    const json_t *risk = json_object_get(doc, "at_risk");
    for (size_t i = 0; i < json_array_size(risk); i++) {
        const json_t *p = json_array_get(risk, i);
        double cut = num(p, "cut_size");
        char *dt = count(p, "direct_ties", "tie", "ties");
        if (isnan(cut))
            fprintf(out,
                    "  %s - %s: tied directly (%s); no one person "
                    "holds it\n",
                    str(p, "group_a", "?"), str(p, "group_b", "?"),
                    dt ? dt : "?");
        else if (cut == 0)
            fprintf(out, "  %s - %s: not connected at all\n",
                    str(p, "group_a", "?"), str(p, "group_b", "?"));
        else
            fprintf(out, "  %s - %s: %.0f %s: %s\n", str(p, "group_a", "?"),
                    str(p, "group_b", "?"), cut,
                    cut == 1 ? "person holds it" : "people hold it",
                    str(p, "separator", "?"));
        free(dt);
    }
    print_unavailable(doc, "resilience", out);

    if (json_object_get(doc, "gate_openers") ||
        json_object_get(json_object_get(doc, "unavailable"), "gate_opening")) {
        section(out, "GATE-OPENERS (brokers whose separate contacts are now "
                     "tied directly)");
        const json_t *go = json_object_get(doc, "gate_openers");
        if (json_array_size(go)) {
            static const char *const h[] = {"name",   "group",
                                            "role",   "brokered",
                                            "opened", "rate",
                                            "new cross ties"};
            ctl_table_t t = {.ncols = 7, .head = h, .align = "lllrrrr",
                             .indent = "  "};
            for (size_t i = 0; i < json_array_size(go); i++) {
                const json_t *p = json_array_get(go, i);
                ctl_table_add(&t, str(p, "name", str(p, "id", "?")));
                ctl_table_add(&t, str(p, "group", ""));
                ctl_table_add(&t, str(p, "role", ""));
                ctl_table_add_value(&t, json_object_get(p, "brokered"));
                ctl_table_add_value(&t, json_object_get(p, "opened"));
                ctl_table_add_value(&t,
                                    json_object_get(p, "gate_opening_rate"));
                ctl_table_add_value(&t, json_object_get(p, "new_cross_ties"));
            }
            ctl_table_print(&t, out);
            ctl_table_free(&t);
        } else if (go) {
            fputs("  none: no pair a broker kept apart is tied now\n", out);
        }
        print_unavailable(doc, "gate_opening", out);
    } else {
        fputs("\n(give --baseline-from/--baseline-to for the gate-openers "
              "and new ties)\n",
              out);
    }
    return ferror(out) ? -1 : 0;
}
