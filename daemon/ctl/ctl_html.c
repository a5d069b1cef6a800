/* ctl_html.c - see ctl_html.h. */
#define _GNU_SOURCE /* open_memstream */
#include "ctl_html.h"

#include <csv.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_report.h"
#include "ctl_table.h"

/* Okabe & Ito (2008), "Color Universal Design": eight colours that stay
 * apart for the common colour-vision deficiencies. Black last: it is the
 * colour of text and ties. */
static const char *const palette[] = {"#E69F00", "#56B4E9", "#009E73",
                                      "#F0E442", "#0072B2", "#D55E00",
                                      "#CC79A7", "#000000"};
#define NPALETTE (sizeof palette / sizeof palette[0])

/* What the picture is drawn from; every member may be NULL (not drawn). */
struct drawing {
    json_t *layout;    /* the layout plugin's answer */
    json_t *people;    /* its vertex rows, as objects */
    json_t *groups;    /* its group rows, as objects */
    json_t *ties;      /* [[i, j], ...] indexes into people, i < j, once */
    json_t *ei;        /* id -> ei vertex row */
    json_t *names;     /* id -> name */
    json_t *before;    /* baseline mixing pair rows */
    json_t *colours;   /* group -> palette slot (within: the same across
                          scopes), or NULL: the slot is the groups' order */
    bool people_drawn; /* else the group-level network */
    char why[256];     /* why people are not drawn, or "" */
};

/* ---- text ------------------------------------------------------------ */

/* s as HTML text (also safe inside a quoted attribute). */
static void esc(FILE *o, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", o);
            break;
        case '<':
            fputs("&lt;", o);
            break;
        case '>':
            fputs("&gt;", o);
            break;
        case '"':
            fputs("&quot;", o);
            break;
        case '\'':
            fputs("&#39;", o);
            break;
        default:
            fputc(*s, o);
        }
    }
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static double num(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A cell: numbers with up to 3 significant decimals, null as a dash. */
static void cell(FILE *o, const json_t *v)
{
    if (json_is_integer(v))
        fprintf(o, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) {
        double x = json_real_value(v);
        if (x == floor(x) && fabs(x) < 1e15)
            fprintf(o, "%.0f", x);
        else
            fprintf(o, "%.3g", x);
    } else if (json_is_string(v))
        esc(o, json_string_value(v));
    else if (json_is_boolean(v))
        fputs(json_is_true(v) ? "yes" : "no", o);
    else if (json_array_size(v)) {
        /* A list (the names holding a boundary): its items, comma-separated. */
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                fputs(", ", o);
            cell(o, json_array_get(v, i));
        }
    } else
        fputs("&ndash;", o);
}

/* A sortable table of rows (objects) with the given columns. */
static void table(FILE *o, const char *caption, const json_t *rows,
                  const char *const *cols, const char *const *heads)
{
    fputs("<table class=\"sortable\"><caption>", o);
    esc(o, caption);
    fputs("</caption><thead><tr>", o);
    for (size_t c = 0; cols[c]; c++) {
        fputs("<th scope=\"col\" tabindex=\"0\">", o);
        esc(o, heads ? heads[c] : cols[c]);
        fputs("</th>", o);
    }
    fputs("</tr></thead><tbody>\n", o);
    for (size_t i = 0; i < json_array_size(rows); i++) {
        const json_t *r = json_array_get(rows, i);
        fputs("<tr>", o);
        for (size_t c = 0; cols[c]; c++) {
            const json_t *v = json_object_get(r, cols[c]);
            fputs(json_is_number(v) ? "<td class=\"n\">" : "<td>", o);
            cell(o, v);
            fputs("</td>", o);
        }
        fputs("</tr>\n", o);
    }
    fputs("</tbody></table>\n", o);
}

/* ---- fetching -------------------------------------------------------- */

/* call method with a copy of view_params changed by set (may be NULL);
 * the result (caller frees) or NULL with why. -1 when the connection
 * failed. */
static int fetch(ctl_conn_t *conn, const char *method,
                 const json_t *view_params, json_t *set, json_t **out,
                 char *why, size_t whylen)
{
    json_t *p = json_deep_copy(view_params);
    *out = NULL;
    if (!p) {
        json_decref(set);
        snprintf(why, whylen, "out of memory");
        return 0;
    }
    json_object_del(p, "top");
    json_object_del(p, "sort");
    if (set)
        json_object_update(p, set);
    json_decref(set);
    ctl_reply_t r;
    char err[512];
    if (ctl_conn_call(conn, method, p, &r, err, sizeof err) < 0) {
        json_decref(p);
        snprintf(why, whylen, "%.200s", err);
        return -1;
    }
    json_decref(p);
    if (r.result)
        *out = json_incref(r.result);
    else
        snprintf(why, whylen, "%s", r.message ? r.message : "refused");
    ctl_reply_clear(&r);
    return 0;
}

struct csvrow {
    char *cell[2];
    size_t col;
    json_t *index, *ties, *seen;
};

static void csv_cell(void *s, size_t n, void *ctx)
{
    struct csvrow *r = ctx;
    if (r->col < 2) {
        free(r->cell[r->col]);
        r->cell[r->col] = strndup(s ? s : "", n);
    }
    r->col++;
}

/* One arc of the export: a tie {i, j} once, whatever its directions. */
static void csv_row(int term, void *ctx)
{
    (void)term;
    struct csvrow *r = ctx;
    json_t *a = r->cell[0] ? json_object_get(r->index, r->cell[0]) : NULL;
    json_t *b = r->cell[1] ? json_object_get(r->index, r->cell[1]) : NULL;
    if (a && b) {
        long long i = json_integer_value(a), j = json_integer_value(b);
        if (i > j) {
            long long t = i;
            i = j;
            j = t;
        }
        char key[64];
        snprintf(key, sizeof key, "%lld %lld", i, j);
        if (i != j && !json_object_get(r->seen, key)) {
            json_object_set_new(r->seen, key, json_true());
            json_array_append_new(r->ties, json_pack("[I,I]", i, j));
        }
    }
    free(r->cell[0]);
    free(r->cell[1]);
    r->cell[0] = r->cell[1] = NULL;
    r->col = 0;
}

/* The ties among d->people, from the view exported as CSV. */
static int fetch_ties(ctl_conn_t *conn, const json_t *view_params,
                      struct drawing *d)
{
    json_t *res;
    if (fetch(conn, "export", view_params, json_pack("{s:s}", "format", "csv"),
              &res, d->why, sizeof d->why) < 0)
        return -1;
    if (!res)
        return 0;
    struct csvrow r = {
        {NULL, NULL}, 0, json_object(), json_array(), json_object()};
    for (size_t i = 0; r.index && i < json_array_size(d->people); i++)
        json_object_set_new(r.index, str(json_array_get(d->people, i), "id"),
                            json_integer((json_int_t)i));
    const char *text = str(res, "text");
    struct csv_parser p;
    if (text && r.index && r.ties && r.seen &&
        csv_init(&p, CSV_APPEND_NULL) == 0) {
        size_t n = strlen(text);
        /* Skip the header line. */
        const char *body = memchr(text, '\n', n);
        body = body ? body + 1 : text + n;
        csv_parse(&p, body, (size_t)(text + n - body), csv_cell, csv_row, &r);
        csv_fini(&p, csv_cell, csv_row, &r);
        csv_free(&p);
        d->ties = json_incref(r.ties);
    }
    free(r.cell[0]);
    free(r.cell[1]);
    json_decref(r.index);
    json_decref(r.ties);
    json_decref(r.seen);
    json_decref(res);
    return 0;
}

/* Ids per `people` request (the daemon takes up to 10,000). */
#define NAMES_BATCH 2000

/* Names of the people drawn, by one `people` request per NAMES_BATCH
 * ids. A refused request leaves names out (the page shows ids). */
static int fetch_names(ctl_conn_t *conn, struct drawing *d)
{
    char err[512];
    size_t n = json_array_size(d->people);
    d->names = json_object();
    for (size_t i = 0; d->names && i < n; i += NAMES_BATCH) {
        json_t *q = json_pack("{s:[], s:[s]}", "ids", "attributes", "name");
        json_t *ids = json_object_get(q, "ids");
        for (size_t k = i; ids && k < n && k < i + NAMES_BATCH; k++)
            json_array_append_new(
                ids, json_string(str(json_array_get(d->people, k), "id")));
        ctl_reply_t r;
        int rc = q ? ctl_conn_call(conn, "people", q, &r, err, sizeof err) : -1;
        json_decref(q);
        if (rc < 0)
            return -1;
        const char *id;
        json_t *a;
        json_object_foreach(json_object_get(r.result, "people"), id, a)
        {
            const char *name = str(a, "name");
            if (name)
                json_object_set_new(d->names, id, json_string(name));
        }
        ctl_reply_clear(&r);
    }
    return 0;
}

/* The layout, ties, E-I and names of the main window. */
static int gather_main(ctl_conn_t *conn, const json_t *view_params,
                       struct drawing *d)
{
    char why[256] = "";
    if (fetch(conn, "analyse", view_params,
              json_pack("{s:s}", "plugin", "layout"), &d->layout, why,
              sizeof why) < 0)
        return -1;
    if (!d->layout) {
        snprintf(d->why, sizeof d->why, "the layout was not available: %s",
                 why);
        return 0;
    }
    d->people = ctl_table_rows(d->layout, "vertex");
    d->groups = ctl_table_rows(d->layout, "group");
    json_t *net = ctl_table_rows(d->layout, "network");
    d->people_drawn = num(json_array_get(net, 0), "people_drawn") == 1;
    json_decref(net);
    if (!d->people_drawn) {
        json_t *notes = json_object_get(d->layout, "notes");
        snprintf(d->why, sizeof d->why, "%s",
                 json_string_value(json_array_get(notes, 0))
                     ? json_string_value(json_array_get(notes, 0))
                     : "too many people to draw one by one");
    }
    if (d->people_drawn) {
        if (fetch_ties(conn, view_params, d) < 0)
            return -1;
        if (!d->ties) {
            char msg[sizeof d->why];
            snprintf(msg, sizeof msg, "the ties could not be read (%.200s)",
                     d->why);
            snprintf(d->why, sizeof d->why, "%s", msg);
            d->people_drawn = false;
        }
    }
    json_t *ei;
    if (d->people_drawn &&
        fetch(conn, "analyse", view_params, json_pack("{s:s}", "plugin", "ei"),
              &ei, why, sizeof why) < 0)
        return -1;
    if (d->people_drawn && ei) {
        json_t *rows = ctl_table_rows(ei, "vertex");
        d->ei = json_object();
        for (size_t i = 0; d->ei && i < json_array_size(rows); i++)
            json_object_set(d->ei, str(json_array_get(rows, i), "id"),
                            json_array_get(rows, i));
        json_decref(rows);
        json_decref(ei);
    }
    if (d->people_drawn &&
        !json_is_true(json_object_get(view_params, "pseudonymise")) &&
        fetch_names(conn, d) < 0)
        return -1;
    return 0;
}

/* The baseline's mixing, for the before/after picture. */
static int gather_before(ctl_conn_t *conn, const json_t *view_params,
                         const json_t *report, struct drawing *d)
{
    char why[256] = "";
    const json_t *base = json_object_get(report, "baseline");
    if (json_is_object(base)) {
        json_t *mix;
        json_t *set = json_pack("{s:s,s:O}", "plugin", "mixing", "window",
                                (json_t *)base);
        json_t *vp = json_deep_copy(view_params);
        json_object_del(vp, "baseline");
        json_t *bk = json_object_get(vp, "baseline_kinds");
        if (bk)
            json_object_set(vp, "kinds", bk);
        json_object_del(vp, "baseline_kinds");
        int rc = fetch(conn, "analyse", vp, set, &mix, why, sizeof why);
        json_decref(vp);
        if (rc < 0)
            return -1;
        if (mix) {
            d->before = ctl_table_rows(mix, "pair");
            json_decref(mix);
        }
    }
    return 0;
}

/* Everything the pictures need. -1 only when the connection failed. The
 * main window's fetches go without the baseline: export takes none, and
 * the layout does not need one. */
static int gather(ctl_conn_t *conn, const json_t *view_params,
                  const json_t *report, struct drawing *d)
{
    json_t *vp = json_deep_copy(view_params);
    if (!vp)
        return 0;
    json_object_del(vp, "baseline");
    json_object_del(vp, "baseline_kinds");
    int rc = gather_main(conn, vp, d);
    json_decref(vp);
    return rc < 0 ? rc : gather_before(conn, view_params, report, d);
}

static void drawing_free(struct drawing *d)
{
    json_decref(d->layout);
    json_decref(d->people);
    json_decref(d->groups);
    json_decref(d->ties);
    json_decref(d->ei);
    json_decref(d->names);
    json_decref(d->before);
    json_decref(d->colours);
}

/* ---- pictures -------------------------------------------------------- */

#define W 900.0
#define H 620.0
#define MARGIN 40.0

/* The index of group name among the layout's groups (the palette slot). */
static size_t group_index(const struct drawing *d, const char *name)
{
    if (d->colours) {
        const json_t *k = name ? json_object_get(d->colours, name) : NULL;
        return k ? (size_t)json_integer_value(k) : 0;
    }
    for (size_t i = 0; name && i < json_array_size(d->groups); i++)
        if (!strcmp(str(json_array_get(d->groups, i), "group"), name))
            return i;
    return 0;
}

static const char *colour(size_t i)
{
    return palette[i % NPALETTE];
}

static double px(double x)
{
    return MARGIN + x * (W - 2 * MARGIN);
}
static double py(double y)
{
    return MARGIN + y * (H - 2 * MARGIN);
}

static void legend(FILE *o, const struct drawing *d)
{
    fputs("<ul class=\"legend\" aria-label=\"groups\">", o);
    for (size_t i = 0; i < json_array_size(d->groups); i++) {
        const json_t *g = json_array_get(d->groups, i);
        fprintf(o,
                "<li class=\"legend-item\"><span class=\"swatch\" "
                "style=\"background:%s\"></span>",
                colour(i));
        esc(o, str(g, "group")[0] ? str(g, "group") : "(no value)");
        fprintf(o, " <span class=\"muted\">(%.0f %s)</span></li>",
                num(g, "people"), num(g, "people") == 1 ? "person" : "people");
    }
    fputs("</ul>\n", o);
    if (json_array_size(d->groups) > NPALETTE)
        fputs("<p class=\"muted\">Colours repeat after eight groups: hover "
              "a dot (or see the table) for its group.</p>\n",
              o);
}

/* The label of a person: their name, else their id. */
static const char *label_of(const struct drawing *d, const char *id)
{
    const char *name = str(d->names, id);
    return name ? name : id;
}

static bool is_spanner(const json_t *report, const char *id, size_t top)
{
    const json_t *sp = json_object_get(report, "spanners");
    for (size_t i = 0; i < json_array_size(sp) && i < top; i++)
        if (id && str(json_array_get(sp, i), "id") &&
            !strcmp(str(json_array_get(sp, i), "id"), id))
            return true;
    return false;
}

static void person_title(FILE *o, const struct drawing *d, const json_t *p)
{
    const char *id = str(p, "id");
    const json_t *e = json_object_get(d->ei, id);
    fputs("<title>", o);
    esc(o, label_of(d, id));
    if (str(d->names, id)) {
        fputs(" (", o);
        esc(o, id);
        fputs(")", o);
    }
    fputs(" &#183; ", o);
    esc(o, str(p, "group"));
    fprintf(o, " &#183; %.0f %s", num(p, "degree"),
            num(p, "degree") == 1 ? "tie" : "ties");
    if (e && !isnan(num(e, "external")))
        fprintf(o, ", %.0f to other groups", num(e, "external"));
    if (e && !isnan(num(e, "ei")))
        fprintf(o, ", E-I %.2f", num(e, "ei"));
    fputs("</title>", o);
}

/* idp: the prefix of the figure's element ids (unique on the page);
 * title: its accessible name. */
static void people_svg(FILE *o, const struct drawing *d, const json_t *report,
                       const char *idp, const char *title)
{
    size_t n = json_array_size(d->people), m = json_array_size(d->ties);
    fprintf(o,
            "<svg class=\"network\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-labelledby=\"%s-t %s-d\"><title id=\"%s-t\">",
            W, H, idp, idp, idp);
    esc(o, title);
    fprintf(o,
            "</title><desc id=\"%s-d\">%zu people in %zu groups and "
            "%zu ties between them; each dot is a person coloured by group, "
            "sized by their ties; the top boundary spanners are named. The "
            "table below the picture lists every person.</desc>\n",
            idp, n, json_array_size(d->groups), m);
    fputs("<g class=\"ties\">", o);
    for (size_t k = 0; k < m; k++) {
        const json_t *t = json_array_get(d->ties, k);
        const json_t *a =
            json_array_get(d->people, json_integer_value(json_array_get(t, 0)));
        const json_t *b =
            json_array_get(d->people, json_integer_value(json_array_get(t, 1)));
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                px(num(a, "x")), py(num(a, "y")), px(num(b, "x")),
                py(num(b, "y")));
    }
    fputs("</g>\n<g class=\"people\">", o);
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(d->people, i);
        size_t g = group_index(d, str(p, "group"));
        fprintf(o,
                "<circle class=\"person\" cx=\"%.1f\" cy=\"%.1f\" "
                "r=\"%.1f\" fill=\"%s\" data-group=\"%zu\">",
                px(num(p, "x")), py(num(p, "y")),
                2.5 + 1.5 * sqrt(fmax(0, num(p, "degree"))), colour(g), g);
        person_title(o, d, p);
        fputs("</circle>\n", o);
    }
    fputs("</g>\n<g class=\"labels\">", o);
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(d->people, i);
        if (!is_spanner(report, str(p, "id"), 5))
            continue;
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\">", px(num(p, "x")) + 6,
                py(num(p, "y")) - 6);
        esc(o, label_of(d, str(p, "id")));
        fputs("</text>", o);
    }
    fputs("</g></svg>\n", o);
}

/* Ties between groups s and t in the report's mixing rows. */
static double mixed(const json_t *mixing, const char *s, const char *t)
{
    for (size_t i = 0; i < json_array_size(mixing); i++) {
        const json_t *r = json_array_get(mixing, i);
        const char *a = str(r, "group_a"), *b = str(r, "group_b");
        if (a && b &&
            ((!strcmp(a, s) && !strcmp(b, t)) ||
             (!strcmp(a, t) && !strcmp(b, s))))
            return num(r, "ties");
    }
    return NAN;
}

static void groups_svg(FILE *o, const struct drawing *d, const json_t *report,
                       const char *idp, const char *title)
{
    const json_t *mix = json_object_get(report, "mixing");
    size_t G = json_array_size(d->groups);
    double most = 0;
    for (size_t i = 0; i < json_array_size(mix); i++)
        most = fmax(most, num(json_array_get(mix, i), "ties"));
    fprintf(o,
            "<svg class=\"network groups\" viewBox=\"0 0 %.0f %.0f\" "
            "role=\"img\" aria-labelledby=\"%s-t %s-d\"><title "
            "id=\"%s-t\">",
            W, H, idp, idp, idp);
    esc(o, title);
    fprintf(o,
            "</title><desc id=\"%s-d\">%zu groups; each circle is a group "
            "sized by its people, each line the ties between two groups, "
            "thicker for more. The mixing table lists the counts.</desc>\n",
            idp, G);
    fputs("<g class=\"ties\">", o);
    for (size_t s = 0; s < G; s++)
        for (size_t t = s + 1; t < G; t++) {
            const json_t *a = json_array_get(d->groups, s),
                         *b = json_array_get(d->groups, t);
            double x = mixed(mix, str(a, "group"), str(b, "group"));
            if (!(x > 0))
                continue;
            fprintf(o,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "stroke-width=\"%.1f\"><title>",
                    px(num(a, "x")), py(num(a, "y")), px(num(b, "x")),
                    py(num(b, "y")), 1 + 11 * x / (most > 0 ? most : 1));
            esc(o, str(a, "group"));
            fputs(" &#8211; ", o);
            esc(o, str(b, "group"));
            fprintf(o, ": %.0f %s</title></line>", x, x == 1 ? "tie" : "ties");
        }
    fputs("</g>\n<g class=\"people\">", o);
    double big = 1;
    for (size_t s = 0; s < G; s++)
        big = fmax(big, num(json_array_get(d->groups, s), "people"));
    for (size_t s = 0; s < G; s++) {
        const json_t *g = json_array_get(d->groups, s);
        fprintf(o,
                "<circle class=\"group-node\" cx=\"%.1f\" cy=\"%.1f\" "
                "r=\"%.1f\" fill=\"%s\"><title>",
                px(num(g, "x")), py(num(g, "y")),
                8 + 32 * sqrt(num(g, "people") / big),
                colour(group_index(d, str(g, "group"))));
        esc(o, str(g, "group"));
        fprintf(o, ": %.0f people, %.0f ties within</title></circle>",
                num(g, "people"), num(g, "ties"));
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\">", px(num(g, "x")) + 10,
                py(num(g, "y")) - 10);
        esc(o, str(g, "group"));
        fputs("</text>", o);
    }
    fputs("</g></svg>\n", o);
}

/* viridis at t in [0, 1]: a sequential scale readable in grey and by
 * colour-blind readers. */
static void viridis(double t, char out[8])
{
    static const unsigned char stops[5][3] = {{0x44, 0x01, 0x54},
                                              {0x3b, 0x52, 0x8b},
                                              {0x21, 0x91, 0x8c},
                                              {0x5e, 0xc9, 0x62},
                                              {0xfd, 0xe7, 0x25}};
    t = isnan(t) ? 0 : fmin(1, fmax(0, t));
    double f = t * 4;
    int k = f >= 4 ? 3 : (int)f;
    double u = f - k;
    int rgb[3];
    for (int c = 0; c < 3; c++)
        rgb[c] = (int)lround(stops[k][c] + u * (stops[k + 1][c] - stops[k][c]));
    snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

/* Density of s-t in mixing rows (NaN when absent or null). */
static double density(const json_t *mixing, const char *s, const char *t)
{
    for (size_t i = 0; i < json_array_size(mixing); i++) {
        const json_t *r = json_array_get(mixing, i);
        const char *a = str(r, "group_a"), *b = str(r, "group_b");
        if (a && b &&
            ((!strcmp(a, s) && !strcmp(b, t)) ||
             (!strcmp(a, t) && !strcmp(b, s))))
            return num(r, "density");
    }
    return NAN;
}

static void heatmap(FILE *o, const char *id, const char *title,
                    const json_t *mixing, const json_t *groups, double top)
{
    size_t G = json_array_size(groups);
    double c = G ? fmin(56, 520.0 / (double)G) : 56, lab = 130;
    fprintf(o,
            "<figure class=\"heat\"><svg viewBox=\"0 0 %.0f %.0f\" "
            "role=\"img\" aria-labelledby=\"%s-t %s-d\"><title "
            "id=\"%s-t\">",
            lab + c * (double)G + 10, lab + c * (double)G + 10, id, id, id);
    esc(o, title);
    fprintf(o,
            "</title><desc id=\"%s-d\">Density of ties between each pair "
            "of groups, darker for fewer; each cell shows the number of "
            "ties. The mixing table lists every value.</desc>\n",
            id);
    for (size_t s = 0; s < G; s++) {
        const char *gs = str(json_array_get(groups, s), "group");
        fprintf(o, "<text class=\"rowlab\" x=\"%.1f\" y=\"%.1f\">", lab - 6,
                lab + c * ((double)s + 0.6));
        esc(o, gs);
        fprintf(o,
                "</text><text class=\"collab\" transform=\"translate(%.1f "
                "%.1f) rotate(-45)\">",
                lab + c * ((double)s + 0.5), lab - 6);
        esc(o, gs);
        fputs("</text>", o);
        for (size_t t = 0; t < G; t++) {
            const char *gt = str(json_array_get(groups, t), "group");
            double dens = density(mixing, gs, gt), ties = mixed(mixing, gs, gt);
            char fill[8];
            viridis(top > 0 ? dens / top : 0, fill);
            fprintf(o,
                    "<rect class=\"cell\" x=\"%.1f\" y=\"%.1f\" "
                    "width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
                    lab + c * (double)t, lab + c * (double)s, c - 1, c - 1,
                    isnan(dens) ? "#dddddd" : fill);
            esc(o, gs);
            fputs(" &#8211; ", o);
            esc(o, gt);
            if (isnan(ties))
                fputs(": no value", o);
            else
                fprintf(o, ": %.0f %s, density %.3g", ties,
                        ties == 1 ? "tie" : "ties", isnan(dens) ? 0 : dens);
            fputs("</title></rect>", o);
            if (c >= 22 && !isnan(ties))
                fprintf(o,
                        "<text class=\"cellval\" x=\"%.1f\" y=\"%.1f\" "
                        "fill=\"%s\">%.0f</text>",
                        lab + c * ((double)t + 0.5),
                        lab + c * ((double)s + 0.6),
                        top > 0 && dens / top > 0.55 ? "#000" : "#fff", ties);
        }
    }
    fputs("</svg><figcaption>", o);
    esc(o, title);
    fputs("</figcaption></figure>\n", o);
}

static double top_density(const json_t *a, const json_t *b)
{
    double top = 0;
    for (size_t i = 0; i < json_array_size(a); i++)
        top = fmax(top, num(json_array_get(a, i), "density"));
    for (size_t i = 0; i < json_array_size(b); i++)
        top = fmax(top, num(json_array_get(b, i), "density"));
    return top;
}

/* Each group's E-I (filled) against its expected value (ring), on -1..1. */
static void ei_plot(FILE *o, const json_t *groups, const struct drawing *d,
                    const char *idp)
{
    size_t G = json_array_size(groups);
    double row = 26, lab = 170, w = 560, h = row * (double)G + 50;
    fprintf(o,
            "<svg class=\"eiplot\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-labelledby=\"%s-t %s-d\"><title id=\"%s-t\">E-I index of "
            "each group against chance</title><desc id=\"%s-d\">For each "
            "group a filled dot at its E-I index (-1: all ties inside the "
            "group, +1: all outside) and a ring at the value expected if "
            "ties fell at random; a dot right of its ring is more "
            "outward-looking than chance. The group table lists the "
            "values.</desc>\n",
            lab + w + 20, h, idp, idp, idp, idp);
    for (int k = -2; k <= 2; k++) {
        double x = lab + w * (k + 2) / 4.0;
        fprintf(o,
                "<line class=\"grid\" x1=\"%.1f\" y1=\"10\" x2=\"%.1f\" "
                "y2=\"%.1f\"/><text class=\"tick\" x=\"%.1f\" "
                "y=\"%.1f\">%+.1f</text>",
                x, x, h - 30, x, h - 12, k / 2.0);
    }
    for (size_t s = 0; s < G; s++) {
        const json_t *g = json_array_get(groups, s);
        double y = 24 + row * (double)s, ei = num(g, "ei"),
               ex = num(g, "expected_ei");
        fprintf(o, "<text class=\"rowlab\" x=\"%.1f\" y=\"%.1f\">", lab - 8,
                y + 4);
        esc(o, str(g, "group"));
        fputs("</text>", o);
        if (!isnan(ex))
            fprintf(o,
                    "<circle class=\"expected\" cx=\"%.1f\" cy=\"%.1f\" "
                    "r=\"6\"><title>expected %.2f</title></circle>",
                    lab + w * (ex + 1) / 2, y, ex);
        if (!isnan(ei))
            fprintf(o,
                    "<circle class=\"observed\" cx=\"%.1f\" cy=\"%.1f\" "
                    "r=\"5\" fill=\"%s\"><title>E-I %.2f</title></circle>",
                    lab + w * (ei + 1) / 2, y,
                    colour(group_index(d, str(g, "group"))), ei);
    }
    fputs("</svg>\n", o);
}

/* ---- the page -------------------------------------------------------- */

static const char style[] =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'DejaVu Sans',sans-serif;color:#111;max-width:62rem;margin:1.5rem "
    "auto;padding:0 1rem}h1{font-size:1.6rem}h2{font-size:1.25rem;"
    "border-bottom:1px solid #ccc;margin-top:2rem}.muted{color:#555}"
    ".banner{background:#fff3cd;border:1px solid #c9a227;padding:.5rem "
    ".8rem}svg{width:100%;height:auto;display:block}.ties line{stroke:#888;"
    "stroke-opacity:.45}.person{stroke:#fff;stroke-width:.6}.group-node{"
    "stroke:#222}.labels text,.people text{font-size:12px;paint-order:stroke;"
    "stroke:#fff;stroke-width:3px}.legend{list-style:none;padding:0;display:"
    "flex;flex-wrap:wrap;gap:.3rem 1.2rem}.swatch{display:inline-block;width:"
    ".9em;height:.9em;border:1px solid #333;margin-right:.35em;vertical-align:"
    "-.1em}.rowlab{text-anchor:end;font-size:12px}.collab{font-size:12px}"
    ".cellval{text-anchor:middle;font-size:11px}.tick{text-anchor:middle;"
    "font-size:11px}.grid{stroke:#ccc}.expected{fill:none;stroke:#111;"
    "stroke-width:1.5}.observed{stroke:#111}.pair{display:flex;gap:1rem}"
    ".pair figure{flex:1;margin:0}.heat{max-width:34rem}.eiplot{max-width:"
    "46rem}.groups{max-width:40rem;margin:auto}.scope svg.network{max-width:"
    "30rem}.scope .labels text{font-size:26px;stroke-width:5px}.scope .ties "
    "line{stroke-width:2}.scope .person{transform-box:fill-box;"
    "transform-origin:center;transform:scale(1.8)}table{border-collapse:"
    "collapse;margin:.6rem "
    "0;font-size:13px}caption{text-align:left;font-weight:600;padding:.3rem "
    "0}th,td{border-bottom:1px solid #ddd;padding:.2rem .5rem;text-align:"
    "left}td.n{text-align:right;font-variant-numeric:tabular-nums}th{cursor:"
    "pointer;background:#f3f3f3}th[aria-sort=ascending]::after{content:' "
    "\\25B2'}th[aria-sort=descending]::after{content:' \\25BC'}pre{"
    "white-space:pre-wrap;font-size:12px}.scroll{overflow-x:auto}"
    "@page{size:A4;margin:14mm}@media print{body{max-width:none;margin:0;"
    "font-size:11pt}figure,svg,table{break-inside:avoid}th{background:none}"
    "details>summary{display:none}}";

/* Sorting by a column header (click or Enter), and every <details> open
 * for printing. No framework, nothing fetched. */
static const char script[] =
    "(function(){function key(t){var x=parseFloat(t.replace(/[,%]/g,''));"
    "return isNaN(x)?null:x}document.querySelectorAll('table.sortable th')"
    ".forEach(function(th){function sort(){var tb=th.closest('table')"
    ".tBodies[0],i=Array.prototype.indexOf.call(th.parentNode.children,th),"
    "asc=th.getAttribute('aria-sort')!=='ascending';th.parentNode"
    ".querySelectorAll('th').forEach(function(h){h.removeAttribute("
    "'aria-sort')});th.setAttribute('aria-sort',asc?'ascending':"
    "'descending');var rows=Array.prototype.slice.call(tb.rows);rows.sort("
    "function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent,"
    "p=key(x),q=key(y),c=(p!==null&&q!==null)?p-q:x.localeCompare(y);"
    "return asc?c:-c});rows.forEach(function(r){tb.appendChild(r)})}"
    "th.addEventListener('click',sort);th.addEventListener('keydown',"
    "function(e){if(e.key==='Enter')sort()})});window.addEventListener("
    "'beforeprint',function(){document.querySelectorAll('details')"
    ".forEach(function(d){d.open=true})})})();";

/* A table of rows with the columns of want (NULL-terminated) that the
 * first row has, or, want NULL, every column of the first row. */
static void auto_table(FILE *o, const char *caption, const json_t *rows,
                       const char *const *want)
{
    const json_t *first = json_array_get(rows, 0);
    size_t n = json_object_size(first), k = 0;
    const char **cols = calloc(n + 1, sizeof *cols);
    if (!cols)
        return;
    const char *key;
    const json_t *v;
    if (want) {
        for (size_t i = 0; want[i] && k < n; i++)
            if (json_object_get(first, want[i]))
                cols[k++] = want[i];
    } else {
        json_object_foreach((json_t *)first, key, v) cols[k++] = key;
    }
    fputs("<div class=\"scroll\">", o);
    table(o, caption, rows, cols, NULL);
    fputs("</div>", o);
    free(cols);
}

static void people_table(FILE *o, const struct drawing *d)
{
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < json_array_size(d->people); i++) {
        const json_t *p = json_array_get(d->people, i);
        const char *id = str(p, "id");
        const json_t *e = json_object_get(d->ei, id);
        json_t *r =
            json_pack("{s:s,s:s?,s:O,s:O,s:O,s:O}", "id", id, "name",
                      str(d->names, id), "group", json_object_get(p, "group"),
                      "ties", json_object_get(p, "degree"), "external",
                      e ? json_object_get(e, "external") : json_null(), "ei",
                      e ? json_object_get(e, "ei") : json_null());
        json_array_append_new(rows, r);
    }
    static const char *const cols[] = {"id",       "name", "group", "ties",
                                       "external", "ei",   NULL};
    static const char *const heads[] = {
        "id", "name", "group", "ties", "ties to other groups", "E-I", NULL};
    fputs("<details><summary>The people in the picture, as a table"
          "</summary>",
          o);
    table(o, "People drawn", rows, cols, heads);
    fputs("</details>\n", o);
    json_decref(rows);
}

static void head(FILE *o, const json_t *report, const json_t *view_params)
{
    const char *boundary = str(report, "boundary");
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
          "'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
          "img-src data:\"><meta name=\"viewport\" content=\"width=device-"
          "width, initial-scale=1\"><title>Boundary spanning by ",
          o);
    esc(o, boundary);
    fprintf(o, "</title><style>%s</style></head><body>\n", style);
    fputs("<h1>Who works across the boundaries of ", o);
    esc(o, boundary);
    fputs("?</h1>\n<p class=\"muted\">", o);
    const json_t *w = json_object_get(report, "window");
    const json_t *v = json_object_get(report, "view");
    fputs("Window ", o);
    esc(o, str(w, "from") ? str(w, "from") : "(open)");
    fputs(" to ", o);
    esc(o, str(w, "to") ? str(w, "to") : "(open)");
    fprintf(o, "; %.0f people, %.0f people left out for having no %s value.",
            num(v, "vertices"), num(v, "excluded"), "boundary");
    fputs(" Made by spanctl report.</p>\n", o);
    /* What came from records and what from events, as the text says. */
    char *kinds = ctl_report_kinds_text(report);
    if (kinds) {
        fputs("<p id=\"kinds\">", o);
        esc(o, kinds);
        fputs("</p>\n", o);
        free(kinds);
    }
    if (json_is_true(json_object_get(view_params, "pseudonymise")))
        fputs("<p class=\"banner\" id=\"privacy\">Pseudonymised: people "
              "appear as keyed pseudonyms, and names are not shown.</p>\n",
              o);
    if (json_is_true(json_object_get(view_params, "suppress")))
        fputs("<p class=\"banner\" id=\"suppression\">Small numbers are "
              "suppressed: figures built on too few people are withheld "
              "(shown as &#8211;), never as 0.</p>\n",
              o);
}

static void network_section(FILE *o, const struct drawing *d,
                            const json_t *report)
{
    fputs("<h2>The network</h2>\n", o);
    if (!d->layout) {
        fputs("<p>", o);
        esc(o, d->why);
        fputs("</p>\n", o);
        return;
    }
    legend(o, d);
    if (d->people_drawn) {
        people_svg(o, d, report, "net", "The network");
        people_table(o, d);
        return;
    }
    fputs("<p>Drawn group by group: ", o);
    esc(o, d->why);
    fputs(".</p>\n", o);
    groups_svg(o, d, report, "gnet", "The network between groups");
    fputs("<details><summary>The groups in the picture, as a table"
          "</summary>",
          o);
    static const char *const cols[] = {"group", "people", "ties", NULL};
    static const char *const heads[] = {"group", "people", "ties within", NULL};
    table(o, "Groups drawn", d->groups, cols, heads);
    fputs("</details>\n", o);
}

static void mixing_section(FILE *o, const struct drawing *d,
                           const json_t *report)
{
    const json_t *mix = json_object_get(report, "mixing");
    if (!json_array_size(mix) || !d->groups)
        return;
    fputs("<h2>Ties between groups</h2>\n", o);
    double top = top_density(mix, d->before);
    if (d->before) {
        fputs("<div class=\"pair\">", o);
        heatmap(o, "before", "Before (the baseline window)", d->before,
                d->groups, top);
        heatmap(o, "after", "After (the main window)", mix, d->groups, top);
        fputs("</div>\n", o);
    } else {
        heatmap(o, "mix", "Ties between and within groups", mix, d->groups,
                top);
    }
    static const char *const cols[] = {"group_a", "group_b", "ties", "density",
                                       NULL};
    fputs("<details><summary>The mixing table</summary>", o);
    table(o, "Ties between groups (main window)", mix, cols, NULL);
    if (d->before)
        table(o, "Ties between groups (baseline window)", d->before, cols,
              NULL);
    fputs("</details>\n", o);
}

static void ei_section(FILE *o, const struct drawing *d, const json_t *report)
{
    const json_t *groups = json_object_get(report, "groups");
    if (!json_array_size(groups))
        return;
    fputs("<h2>Inward- or outward-looking groups</h2>\n", o);
    ei_plot(o, groups, d, "ei");
    fputs("<details><summary>The group table</summary>", o);
    auto_table(o, "E-I index of each group", groups, NULL);
    fputs("</details>\n", o);
}

static void tables_section(FILE *o, const json_t *report)
{
    static const char *const spanners[] = {"name",        "id",
                                           "group",       "cross_betweenness",
                                           "cross_share", "gatekeeper",
                                           "liaison",     "total_z",
                                           "constraint",  "participation",
                                           NULL};
    static const char *const openers[] = {"name",           "id",
                                          "group",          "opened",
                                          "kept_apart",     "gate_opening_rate",
                                          "new_cross_ties", NULL};
    static const struct {
        const char *key, *title;
        const char *const *cols;
    } parts[] = {
        {"spanners", "Boundary spanners", spanners},
        {"at_risk", "Boundaries most at risk", NULL},
        {"gate_openers",
         "Gate-openers (brokers whose contacts are now tied to each other; "
         "not Gould-Fernandez gatekeepers)",
         openers},
        {"new_cross_ties", "New ties across boundaries", NULL}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const json_t *rows = json_object_get(report, parts[i].key);
        if (!json_array_size(rows))
            continue;
        fputs("<h2>", o);
        esc(o, parts[i].title);
        fputs("</h2>\n", o);
        auto_table(o, parts[i].title, rows, parts[i].cols);
    }
}

static void text_section(FILE *o, const json_t *report)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        return;
    int rc = ctl_report_print(report, m);
    if (fclose(m) != 0 || rc < 0) {
        free(text);
        return;
    }
    fputs("<h2>The report in words</h2>\n<pre>", o);
    esc(o, text);
    fputs("</pre>\n", o);
    free(text);
}

/* ---- each scope on its own (--within) ---------------------------------- */

/* At most this many scopes are drawn: past it a page of small networks
 * is too long to read or print and too heavy to open on a laptop. */
#define MAX_SCOPES_DRAWN 40

/* The layout, ties, E-I and names of every scope at once: the answers of
 * a `within` view hold every scope, its name the first key column. */
static int gather_within(ctl_conn_t *conn, const json_t *view_params,
                         struct drawing *d)
{
    char why[256] = "";
    json_t *vp = json_deep_copy(view_params);
    if (!vp)
        return 0;
    json_object_del(vp, "baseline");
    json_object_del(vp, "baseline_kinds");
    int rc = fetch(conn, "analyse", vp, json_pack("{s:s}", "plugin", "layout"),
                   &d->layout, why, sizeof why);
    if (rc == 0 && !d->layout)
        snprintf(d->why, sizeof d->why, "the layout was not available: %s",
                 why);
    if (rc == 0 && d->layout) {
        d->people = ctl_table_rows(d->layout, "vertex");
        d->groups = ctl_table_rows(d->layout, "group");
        rc = fetch_ties(conn, vp, d);
    }
    json_t *ei = NULL;
    if (rc == 0 && d->layout)
        rc = fetch(conn, "analyse", vp, json_pack("{s:s}", "plugin", "ei"), &ei,
                   why, sizeof why);
    if (ei) {
        json_t *rows = ctl_table_rows(ei, "vertex");
        d->ei = json_object();
        for (size_t i = 0; d->ei && i < json_array_size(rows); i++)
            json_object_set(d->ei, str(json_array_get(rows, i), "id"),
                            json_array_get(rows, i));
        json_decref(rows);
        json_decref(ei);
    }
    if (rc == 0 && d->ties &&
        !json_is_true(json_object_get(view_params, "pseudonymise")))
        rc = fetch_names(conn, d);
    json_decref(vp);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every group of every scope in byte order, with its people summed, as
 * legend rows; d->colours maps each to its slot, so a group has one
 * colour on every scope's figures. */
static json_t *pooled_groups(struct drawing *d)
{
    json_t *sum = json_object(), *out = json_array();
    const char **names = calloc(json_array_size(d->groups) + 1, sizeof *names);
    size_t n = 0;
    d->colours = json_object();
    if (!sum || !out || !names || !d->colours) {
        free(names);
        json_decref(sum);
        return out;
    }
    for (size_t i = 0; i < json_array_size(d->groups); i++) {
        const json_t *g = json_array_get(d->groups, i);
        const char *name = str(g, "group");
        if (!name)
            continue;
        double people = num(g, "people"), had = num(sum, name);
        if (isnan(had))
            names[n++] = name;
        json_object_set_new(
            sum, name,
            json_real((isnan(had) ? 0 : had) + (isnan(people) ? 0 : people)));
    }
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        json_object_set_new(d->colours, names[i], json_integer((json_int_t)i));
        json_array_append_new(out, json_pack("{s:s,s:O}", "group", names[i],
                                             "people",
                                             json_object_get(sum, names[i])));
    }
    free(names);
    json_decref(sum);
    return out;
}

static json_t *part_of(json_t *parts, const char *scope)
{
    json_t *p = json_object_get(parts, scope);
    if (!p) {
        p = json_pack("{s:[],s:[],s:[],s:b}", "people", "ties", "groups",
                      "drawn", 0);
        json_object_set_new(parts, scope, p);
    }
    return p;
}

/* The answers split by scope: scope -> {people, ties (indexes into that
 * scope's people), groups, drawn (the layout placed its people)}. */
static json_t *split_scopes(const struct drawing *d, const char *attr)
{
    size_t n = json_array_size(d->people);
    json_t *parts = json_object();
    size_t *loc = calloc(n + 1, sizeof *loc);
    if (!parts || !loc) {
        free(loc);
        return parts;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(d->people, i);
        json_t *part = str(p, attr) ? part_of(parts, str(p, attr)) : NULL;
        json_t *pp = json_object_get(part, "people");
        loc[i] = json_array_size(pp);
        json_array_append(pp, p);
    }
    for (size_t k = 0; k < json_array_size(d->ties); k++) {
        const json_t *t = json_array_get(d->ties, k);
        size_t i = (size_t)json_integer_value(json_array_get(t, 0)),
               j = (size_t)json_integer_value(json_array_get(t, 1));
        const char *si = str(json_array_get(d->people, i), attr),
                   *sj = str(json_array_get(d->people, j), attr);
        /* The export leaves cross-scope ties out; a tie that crosses
         * anyway is not drawn rather than drawn between two figures. */
        if (i < n && j < n && si && sj && !strcmp(si, sj))
            json_array_append_new(
                json_object_get(json_object_get(parts, si), "ties"),
                json_pack("[I,I]", (json_int_t)loc[i], (json_int_t)loc[j]));
    }
    for (size_t i = 0; i < json_array_size(d->groups); i++) {
        json_t *g = json_array_get(d->groups, i);
        if (str(g, attr))
            json_array_append(
                json_object_get(part_of(parts, str(g, attr)), "groups"), g);
    }
    json_t *net = ctl_table_rows(d->layout, "network");
    for (size_t i = 0; i < json_array_size(net); i++) {
        const json_t *r = json_array_get(net, i);
        if (str(r, attr))
            json_object_set_new(
                part_of(parts, str(r, attr)), "drawn",
                json_boolean(num(r, "people_drawn") == 1 && d->ties));
    }
    json_decref(net);
    free(loc);
    return parts;
}

/* The comparison as flat rows: the boundary most at risk and the person
 * whose leaving would cut most, as text cells. */
static json_t *comparison_rows(const json_t *report, const char *attr)
{
    const json_t *cmp = json_object_get(report, "comparison");
    json_t *out = json_array();
    for (size_t i = 0; out && i < json_array_size(cmp); i++) {
        const json_t *r = json_array_get(cmp, i);
        const json_t *f = json_object_get(r, "most_fragile");
        const json_t *dep = json_object_get(r, "departure_risk");
        json_t *row = json_object();
        if (!row)
            continue;
        static const char *const copied[] = {
            "people", "ties", "ei", "expected_ei", "p_greater", "p_less", NULL};
        json_t *scope = json_object_get(r, attr);
        json_object_set(row, "scope", scope ? scope : json_null());
        for (size_t k = 0; copied[k]; k++) {
            json_t *v = json_object_get(r, copied[k]);
            json_object_set(row, copied[k], v ? v : json_null());
        }
        if (json_is_object(f)) {
            bool direct = num(f, "direct_ties") > 0;
            char b[512];
            snprintf(b, sizeof b, "%s \xe2\x80\x93 %s (%s)",
                     str(f, "group_a") ? str(f, "group_a") : "?",
                     str(f, "group_b") ? str(f, "group_b") : "?",
                     direct ? "direct ties" : "through others");
            json_object_set_new(row, "fragile", json_string(b));
            json_object_set(
                row, "held_by",
                json_object_get(f, direct ? "holders" : "cut_size"));
        }
        if (json_is_object(dep)) {
            json_object_set(
                row, "leaver",
                json_object_get(dep, str(dep, "name") ? "name" : "id"));
            json_object_set(row, "cuts",
                            json_object_get(dep, "cross_pairs_cut"));
        }
        json_array_append_new(out, row);
    }
    return out;
}

static void comparison_section(FILE *o, const json_t *report, const char *attr)
{
    json_t *rows = comparison_rows(report, attr);
    static const char *const cols[] = {
        "scope",  "people",  "ties",    "ei",     "expected_ei", "p_greater",
        "p_less", "fragile", "held_by", "leaver", "cuts",        NULL};
    const char *heads[] = {attr,
                           "people",
                           "ties",
                           "E-I",
                           "E-I by chance",
                           "p (E-I this high)",
                           "p (E-I this low)",
                           "most fragile boundary",
                           "people it rests on",
                           "whose leaving would cut most",
                           "cross-group pairs cut",
                           NULL};
    fputs("<h2>Each ", o);
    esc(o, attr);
    fputs(" compared</h2>\n<p class=\"muted\">Click a column to sort. E-I "
          "against the value expected by chance (a permutation test); the "
          "boundary resting on the fewest people; whose leaving would cut "
          "most pairs of people in different groups.</p>\n<div "
          "class=\"scroll\">",
          o);
    char caption[256];
    snprintf(caption, sizeof caption, "Each %s compared", attr);
    table(o, caption, rows, cols, heads);
    fputs("</div>\n", o);
    json_decref(rows);
}

/* Which scopes get a network: the MAX_SCOPES_DRAWN with most people
 * (ties by order). drawn[i] for reports[i]. */
static bool *choose_drawn(const json_t *reports)
{
    size_t n = json_array_size(reports);
    bool *drawn = calloc(n + 1, sizeof *drawn);
    for (size_t k = 0; drawn && k < n && k < MAX_SCOPES_DRAWN; k++) {
        size_t best = n;
        double most = -1;
        for (size_t i = 0; i < n; i++) {
            double v = num(json_object_get(json_array_get(reports, i), "view"),
                           "vertices");
            v = isnan(v) ? 0 : v;
            if (!drawn[i] && v > most) {
                most = v;
                best = i;
            }
        }
        if (best < n)
            drawn[best] = true;
    }
    return drawn;
}

static void scope_network(FILE *o, const struct drawing *d, const json_t *part,
                          const json_t *r, size_t k, const char *title)
{
    struct drawing sub = {.people = json_object_get(part, "people"),
                          .groups = json_object_get(part, "groups"),
                          .ties = json_object_get(part, "ties"),
                          .ei = d->ei,
                          .names = d->names,
                          .colours = d->colours};
    char idp[32];
    if (json_is_true(json_object_get(part, "drawn"))) {
        snprintf(idp, sizeof idp, "s%zu-net", k);
        people_svg(o, &sub, r, idp, title);
    } else if (json_array_size(sub.groups)) {
        fputs("<p class=\"muted\">Drawn group by group: too many people to "
              "draw one by one, or their ties could not be read.</p>\n",
              o);
        snprintf(idp, sizeof idp, "s%zu-gnet", k);
        groups_svg(o, &sub, r, idp, title);
    } else {
        fputs("<p class=\"muted\">No network to draw.</p>\n", o);
    }
}

static void scope_section(FILE *o, const struct drawing *d, const json_t *parts,
                          const json_t *r, size_t k, bool drawn,
                          const char *attr)
{
    const char *scope = str(r, "scope") ? str(r, "scope") : "?";
    const json_t *v = json_object_get(r, "view");
    fputs("<section class=\"scope\" data-scope=\"", o);
    esc(o, scope);
    fputs("\"><h2>", o);
    esc(o, attr);
    fputc(' ', o);
    esc(o, scope);
    fprintf(o,
            "</h2>\n<p class=\"muted\">%.0f people with ties; %.0f left "
            "out for having no group.</p>\n",
            num(v, "vertices"), num(v, "excluded"));
    char title[300];
    snprintf(title, sizeof title, "The network of %s %s", attr, scope);
    if (drawn)
        scope_network(o, d, json_object_get(parts, scope), r, k, title);
    else
        fputs("<p class=\"muted\">Its network is not drawn (see the note "
              "above the first section).</p>\n",
              o);
    const json_t *groups = json_object_get(r, "groups");
    if (json_array_size(groups)) {
        char idp[32];
        snprintf(idp, sizeof idp, "s%zu-ei", k);
        fputs("<h3>Inward- or outward-looking groups</h3>\n", o);
        ei_plot(o, groups, d, idp);
        fputs("<details><summary>The group table</summary>", o);
        auto_table(o, "E-I index of each group", groups, NULL);
        fputs("</details>\n", o);
    }
    const json_t *risk = json_object_get(r, "at_risk");
    static const char *const risk_cols[] = {
        "group_a",  "group_b",         "direct_ties",
        "holders",  "holder_names",    "top_holder_share",
        "cut_size", "separator_names", NULL};
    if (json_array_size(risk)) {
        fputs("<h3>Boundaries most at risk</h3>\n", o);
        auto_table(o, "Boundaries most at risk", risk, risk_cols);
    }
    fputs("</section>\n", o);
}

static void within_sections(FILE *o, struct drawing *d, const json_t *report,
                            const char *attr)
{
    const json_t *v = json_object_get(report, "view");
    fputs("<p class=\"muted\" id=\"scopes\">Each ", o);
    esc(o, attr);
    fprintf(o,
            " on its own (ties between them left out): %zu values; "
            "%.0f people with ties but no ",
            json_array_size(json_object_get(report, "comparison")),
            num(v, "outside_scopes"));
    esc(o, attr);
    fputs(" value left out.</p>\n", o);
    comparison_section(o, report, attr);
    const json_t *reports = json_object_get(report, "reports");
    size_t n = json_array_size(reports);
    if (!d->layout) {
        fputs("<p>", o);
        esc(o, d->why);
        fputs(".</p>\n", o);
    }
    struct drawing legend_of = {0};
    legend_of.groups = pooled_groups(d);
    json_t *parts = d->layout ? split_scopes(d, attr) : json_object();
    bool *drawn = choose_drawn(reports);
    if (d->layout && json_array_size(legend_of.groups)) {
        fputs("<h2>The groups</h2>\n<p class=\"muted\">A group has the same "
              "colour in every ",
              o);
        esc(o, attr);
        fputs("'s picture.</p>\n", o);
        legend(o, &legend_of);
    }
    if (n > MAX_SCOPES_DRAWN) {
        fprintf(o,
                "<p class=\"banner\" id=\"not-drawn\">The networks of "
                "the %d ",
                MAX_SCOPES_DRAWN);
        esc(o, attr);
        fprintf(o,
                " values with most people are drawn; the other %zu are "
                "left out: more small pictures would make the page too "
                "long to read or print. Their figures are in the table "
                "above and in their sections.</p>\n",
                n - MAX_SCOPES_DRAWN);
    }
    for (size_t i = 0; i < n; i++)
        scope_section(o, d, parts, json_array_get(reports, i), i,
                      drawn && drawn[i] && d->layout, attr);
    free(drawn);
    json_decref(parts);
    json_decref(legend_of.groups);
}

int ctl_html_print(ctl_conn_t *conn, const json_t *view_params,
                   const json_t *report, FILE *out, char *err, size_t errlen)
{
    struct drawing d = {0};
    const char *within = str(report, "within");
    if ((within ? gather_within(conn, view_params, &d)
                : gather(conn, view_params, report, &d)) < 0) {
        snprintf(err, errlen, "lost the connection to spand");
        drawing_free(&d);
        return -1;
    }
    head(out, report, view_params);
    if (within) {
        within_sections(out, &d, report, within);
    } else {
        network_section(out, &d, report);
        mixing_section(out, &d, report);
        ei_section(out, &d, report);
        tables_section(out, report);
    }
    text_section(out, report);
    fprintf(out, "<script>%s</script>\n</body></html>\n", script);
    drawing_free(&d);
    if (fflush(out) != 0 || ferror(out)) {
        snprintf(err, errlen, "could not write the page");
        return -1;
    }
    return 0;
}
