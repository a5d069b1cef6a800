/* export.c - see export.h. */
#include "export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "privacy.h"
#include "utf8.h"

/* Text goes to the sink in pieces of about this size: large enough that a
 * sink's write() costs little per byte, small enough not to matter. */
#define EXPORT_CHUNK 65536

static const char *const formats[] = {"graphml", "gexf", "dot", "csv", NULL};

int export_format_known(const char *format)
{
    for (const char *const *f = formats; *f; f++)
        if (!strcmp(*f, format))
            return 1;
    return 0;
}

int export_gexf_version_known(const char *version)
{
    return !strcmp(version, "1.2") || !strcmp(version, "1.3");
}

int export_sink_buf(void *ctx, const char *p, size_t n)
{
    return buf_append(ctx, p, n) < 0 ? -ENOMEM : 0;
}

/* ---- the buffered writer ---------------------------------------------
 * The first error sticks: later puts do nothing, and export_view()
 * returns it at the end, so the format writers need no error checks. */

typedef struct writer {
    buf_t b;
    const export_sink_t *sink;
    int rc;
    char *const *keys; /* the ids written: the view's, or o->ids */
    /* Attributes never written (export_opts_t.identifying), or NULL. */
    const char *identifying;
} writer_t;

static void w_flush(writer_t *w)
{
    if (!w->rc && w->b.len)
        w->rc = w->sink->write(w->sink->ctx, w->b.data, w->b.len);
    buf_clear(&w->b);
}

static void w_put(writer_t *w, const char *p, size_t n)
{
    if (w->rc || !n)
        return;
    if (buf_append(&w->b, p, n) < 0)
        w->rc = -ENOMEM;
    else if (w->b.len >= EXPORT_CHUNK)
        w_flush(w);
}

static void w_puts(writer_t *w, const char *s)
{
    w_put(w, s, strlen(s));
}

/* A weight, to the last bit (%.17g reads back as the same double). With
 * quote_exp, one in exponent form is quoted: a DOT numeral has no
 * exponent, and Graphviz reads a quoted weight as a number all the same. */
static void w_weight(writer_t *w, double x, int quote_exp)
{
    char num[64];
    int n = snprintf(num, sizeof num, "%.17g", x);
    int quote = quote_exp && strchr(num, 'e');
    if (n < 0 || (size_t)n >= sizeof num) {
        w->rc = w->rc ? w->rc : -EINVAL;
        return;
    }
    if (quote)
        w_put(w, "\"", 1);
    w_put(w, num, (size_t)n);
    if (quote)
        w_put(w, "\"", 1);
}

static void w_num(writer_t *w, double x)
{
    w_weight(w, x, 0);
}

/* ---- characters ------------------------------------------------------ */

enum syntax { SYN_XML, SYN_DOT, SYN_CSV };

static const char fffd[] = "\xEF\xBF\xBD"; /* U+FFFD REPLACEMENT CHARACTER */

/* The length of the character at s (n >= 1 bytes readable), and in *bad
 * whether it is written as U+FFFD: a byte that does not begin valid UTF-8
 * (one U+FFFD per such byte) or, in XML, a character XML 1.0 forbids. */
static size_t next_char(const unsigned char *s, size_t n, enum syntax syn,
                        int *bad)
{
    size_t l = utf8_seq(s, n);
    if (!l) {
        *bad = 1;
        return 1;
    }
    *bad = syn == SYN_XML &&
           ((l == 1 && s[0] < 0x20 && s[0] != '\t' && s[0] != '\n' &&
             s[0] != '\r') ||
            (l == 3 && s[0] == 0xEF && s[1] == 0xBF && s[2] >= 0xBE));
    return l;
}

/* How each syntax writes an ASCII character inside a string, where not
 * as itself. XML: the five entities, and references for tab, LF and CR so
 * that attribute-value normalisation (and the CR-LF folding of every
 * parser) gives them back unchanged. DOT: Graphviz's escString convention
 * (\\ \" \n \r), so that no string ends in a lone backslash or spans a
 * line. CSV: quotes doubled (the caller quotes the field). */
static const char *const escapes[][128] = {
    [SYN_XML] = {['&'] = "&amp;",
                 ['<'] = "&lt;",
                 ['>'] = "&gt;",
                 ['"'] = "&quot;",
                 ['\''] = "&apos;",
                 ['\t'] = "&#9;",
                 ['\n'] = "&#10;",
                 ['\r'] = "&#13;"},
    [SYN_DOT] =
        {['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n", ['\r'] = "\\r"},
    [SYN_CSV] = {['"'] = "\"\""},
};

/* s escaped for syn, with replacements; runs of plain text are copied
 * whole. */
static void put_text(writer_t *w, const char *str, enum syntax syn)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), run = 0, i = 0;
    while (i < n) {
        const char *e = NULL;
        int bad = 0;
        size_t l = 1;
        if (s[i] >= 0x80 || s[i] < 0x20 || s[i] == 0x7f)
            l = next_char(s + i, n - i, syn, &bad);
        if (!bad && l == 1 && s[i] < 0x80)
            e = escapes[syn][s[i]];
        if (!bad && !e) {
            i += l;
            continue;
        }
        w_put(w, (const char *)s + run, i - run);
        w_puts(w, bad ? fffd : e);
        i += l;
        run = i;
    }
    w_put(w, (const char *)s + run, n - run);
}

static void put_xml(writer_t *w, const char *s)
{
    put_text(w, s, SYN_XML);
}

static void put_dot(writer_t *w, const char *s)
{
    w_put(w, "\"", 1);
    put_text(w, s, SYN_DOT);
    w_put(w, "\"", 1);
}

/* A CSV field (RFC 4180), quoted when it holds a comma, quote, CR or LF.
 * With safe, a field that a spreadsheet would read as a formula (OWASP's
 * list: = + - @ tab CR first) gets a leading ' and quotes. */
static void put_csv(writer_t *w, const char *s, int safe)
{
    int risky = safe && s[0] && strchr("=+-@\t\r", s[0]);
    int quote = risky || strpbrk(s, ",\"\r\n");
    if (quote)
        w_put(w, "\"", 1);
    if (risky)
        w_put(w, "'", 1);
    put_text(w, s, SYN_CSV);
    if (quote)
        w_put(w, "\"", 1);
}

/* ---- ids stay distinct ----------------------------------------------- */

static int changed_by(const char *str, enum syntax syn)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    for (size_t i = 0; i < n;) {
        int bad = 0;
        i += next_char(s + i, n - i, syn, &bad);
        if (bad)
            return 1;
    }
    return 0;
}

/* str as syn writes it, before escaping (escapes are one to one). */
static char *replaced(const char *str, enum syntax syn)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    buf_t b = BUF_INIT;
    if (buf_reserve(&b, n + 1) < 0)
        return NULL;
    for (size_t i = 0; i < n;) {
        int bad = 0;
        size_t l = next_char(s + i, n - i, syn, &bad);
        if (bad ? buf_puts(&b, fffd) < 0 : buf_append(&b, s + i, l) < 0) {
            buf_free(&b);
            return NULL;
        }
        i += l;
    }
    return buf_steal(&b, NULL);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether two of the view's ids would be written alike. Ids are unique
 * in the store, and a replacement leaves a U+FFFD, so a clash needs a
 * changed id equal to another changed one or to an unchanged id that
 * holds U+FFFD: sort the (rare) changed ones and look those up. */
static int ids_clash(const view_t *v, char *const *keys, enum syntax syn,
                     int *clash)
{
    igraph_integer_t n = igraph_vcount(&v->graph);
    char **alt = NULL;
    size_t nalt = 0, cap = 0;
    int rc = 0;
    *clash = 0;
    for (igraph_integer_t i = 0; i < n && !rc; i++) {
        if (!changed_by(keys[i], syn))
            continue;
        if (nalt == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            char **p = realloc(alt, ncap * sizeof *alt);
            if (!p) {
                rc = -ENOMEM;
                break;
            }
            alt = p;
            cap = ncap;
        }
        if (!(alt[nalt] = replaced(keys[i], syn)))
            rc = -ENOMEM;
        else
            nalt++;
    }
    if (!rc && nalt) {
        qsort(alt, nalt, sizeof *alt, cmp_str);
        for (size_t k = 1; k < nalt && !*clash; k++)
            *clash = !strcmp(alt[k - 1], alt[k]);
        for (igraph_integer_t i = 0; i < n && !*clash; i++) {
            const char *key = keys[i];
            *clash = strstr(key, fffd) && !changed_by(key, syn) &&
                     bsearch(&key, alt, nalt, sizeof *alt, cmp_str);
        }
    }
    for (size_t k = 0; k < nalt; k++)
        free(alt[k]);
    free(alt);
    return rc;
}

/* ---- the formats ----------------------------------------------------- */

static const char *group_of(const view_t *v, igraph_integer_t i)
{
    return v->group_names[VECTOR(v->group)[i]];
}

/* Whether vertex i has a value for the boundary: a view with
 * keep_unvalued puts those without one in group "", with anyone whose
 * value is "" (the carried boundary tells them apart). GraphML and GEXF
 * write no value for them, as for any attribute a person lacks (networkx
 * 2.8 reads an empty GraphML value as none, so "" would not survive the
 * round trip anyway); CSV and DOT write the empty group. */
static int valued(const view_t *v, igraph_integer_t i)
{
    int b = view_attr_index(v, v->boundary);
    return b >= 0 ? view_attr(v, (size_t)b, i) != NULL
                  : group_of(v, i)[0] != '\0';
}

/* Whether carried attribute a is written as a column of its own: every one
 * but the boundary, which is the group (the same value, or "" for a
 * person kept without one). */
static int own_column(const view_t *v, const writer_t *w, size_t a)
{
    return strcmp(v->attr_names[a], v->boundary) != 0 &&
           !(w->identifying &&
             privacy_identifying(w->identifying, v->attr_names[a]));
}

/* An attribute's index as text, for the XML ids that refer to it. */
static void w_index(writer_t *w, const char *prefix, size_t a)
{
    char id[48];
    snprintf(id, sizeof id, "%s%zu", prefix, a);
    w_puts(w, id);
}

static void graphml(const view_t *v, writer_t *w)
{
    w_puts(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
              "  <key id=\"group\" for=\"node\" attr.name=\"");
    put_xml(w, v->boundary);
    w_puts(w, "\" attr.type=\"string\"/>\n");
    for (size_t a = 0; a < v->nattrs; a++) {
        if (!own_column(v, w, a))
            continue;
        w_puts(w, "  <key id=\"");
        w_index(w, "a", a);
        w_puts(w, "\" for=\"node\" attr.name=\"");
        put_xml(w, v->attr_names[a]);
        w_puts(w, "\" attr.type=\"string\"/>\n");
    }
    w_puts(w, "  <key id=\"weight\" for=\"edge\" attr.name=\"weight\" "
              "attr.type=\"double\"/>\n"
              "  <graph id=\"spand\" edgedefault=\"directed\">\n");
    for (igraph_integer_t i = 0; i < igraph_vcount(&v->graph) && !w->rc; i++) {
        w_puts(w, "    <node id=\"");
        put_xml(w, w->keys[i]);
        w_puts(w, "\">");
        if (valued(v, i)) {
            w_puts(w, "<data key=\"group\">");
            put_xml(w, group_of(v, i));
            w_puts(w, "</data>");
        }
        for (size_t a = 0; a < v->nattrs; a++) {
            const char *val = own_column(v, w, a) ? view_attr(v, a, i) : NULL;
            if (!val)
                continue;
            w_puts(w, "<data key=\"");
            w_index(w, "a", a);
            w_puts(w, "\">");
            put_xml(w, val);
            w_puts(w, "</data>");
        }
        w_puts(w, "</node>\n");
    }
    for (igraph_integer_t e = 0; e < igraph_ecount(&v->graph) && !w->rc; e++) {
        w_puts(w, "    <edge source=\"");
        put_xml(w, w->keys[IGRAPH_FROM(&v->graph, e)]);
        w_puts(w, "\" target=\"");
        put_xml(w, w->keys[IGRAPH_TO(&v->graph, e)]);
        w_puts(w, "\"><data key=\"weight\">");
        w_num(w, VECTOR(v->weights)[e]);
        w_puts(w, "</data></edge>\n");
    }
    w_puts(w, "  </graph>\n</graphml>\n");
}

/* GEXF 1.2 and 1.3 differ here only in the root element: 1.2 under its
 * draft namespace, the one networkx 2.8's reader knows (it refuses 1.3
 * with "No <graph> element") and Gephi reads. Attribute 0 is the group;
 * attribute a + 1 is carried attribute a. */
static void gexf(const view_t *v, writer_t *w, const char *version)
{
    int v13 = version && !strcmp(version, "1.3");
    w_puts(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    w_puts(w, v13 ? "<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n"
                  : "<gexf xmlns=\"http://www.gexf.net/1.2draft\" "
                    "version=\"1.2\">\n");
    w_puts(w, "  <graph defaultedgetype=\"directed\" mode=\"static\">\n"
              "    <attributes class=\"node\" mode=\"static\">\n"
              "      <attribute id=\"0\" title=\"");
    put_xml(w, v->boundary);
    w_puts(w, "\" type=\"string\"/>\n");
    for (size_t a = 0; a < v->nattrs; a++) {
        if (!own_column(v, w, a))
            continue;
        w_puts(w, "      <attribute id=\"");
        w_index(w, "", a + 1);
        w_puts(w, "\" title=\"");
        put_xml(w, v->attr_names[a]);
        w_puts(w, "\" type=\"string\"/>\n");
    }
    w_puts(w, "    </attributes>\n    <nodes>\n");
    for (igraph_integer_t i = 0; i < igraph_vcount(&v->graph) && !w->rc; i++) {
        w_puts(w, "      <node id=\"");
        put_xml(w, w->keys[i]);
        w_puts(w, "\" label=\"");
        put_xml(w, w->keys[i]);
        w_puts(w, "\"><attvalues>");
        if (valued(v, i)) {
            w_puts(w, "<attvalue for=\"0\" value=\"");
            put_xml(w, group_of(v, i));
            w_puts(w, "\"/>");
        }
        for (size_t a = 0; a < v->nattrs; a++) {
            const char *val = own_column(v, w, a) ? view_attr(v, a, i) : NULL;
            if (!val)
                continue;
            w_puts(w, "<attvalue for=\"");
            w_index(w, "", a + 1);
            w_puts(w, "\" value=\"");
            put_xml(w, val);
            w_puts(w, "\"/>");
        }
        w_puts(w, "</attvalues></node>\n");
    }
    w_puts(w, "    </nodes>\n    <edges>\n");
    for (igraph_integer_t e = 0; e < igraph_ecount(&v->graph) && !w->rc; e++) {
        w_puts(w, "      <edge id=\"");
        w_index(w, "", (size_t)e);
        w_puts(w, "\" source=\"");
        put_xml(w, w->keys[IGRAPH_FROM(&v->graph, e)]);
        w_puts(w, "\" target=\"");
        put_xml(w, w->keys[IGRAPH_TO(&v->graph, e)]);
        w_puts(w, "\" weight=\"");
        w_num(w, VECTOR(v->weights)[e]);
        w_puts(w, "\"/>\n");
    }
    w_puts(w, "    </edges>\n  </graph>\n</gexf>\n");
}

static void dot(const view_t *v, writer_t *w)
{
    w_puts(w, "digraph spand {\n");
    for (igraph_integer_t i = 0; i < igraph_vcount(&v->graph) && !w->rc; i++) {
        w_puts(w, "  ");
        put_dot(w, w->keys[i]);
        w_puts(w, " [group=");
        put_dot(w, group_of(v, i));
        w_puts(w, "];\n");
    }
    for (igraph_integer_t e = 0; e < igraph_ecount(&v->graph) && !w->rc; e++) {
        w_puts(w, "  ");
        put_dot(w, w->keys[IGRAPH_FROM(&v->graph, e)]);
        w_puts(w, " -> ");
        put_dot(w, w->keys[IGRAPH_TO(&v->graph, e)]);
        w_puts(w, " [weight=");
        w_weight(w, VECTOR(v->weights)[e], 1);
        w_puts(w, "];\n");
    }
    w_puts(w, "}\n");
}

/* The CSV header: the fixed columns, then from:A,to:A for each attribute
 * A with a column of its own (a colon, so that no attribute's name can
 * give a column the fixed ones already have, as "group" would with _). */
static void csv_header(const view_t *v, writer_t *w, int safe)
{
    w_puts(w, "from,to,weight,from_group,to_group");
    buf_t name = BUF_INIT;
    for (size_t a = 0; a < v->nattrs && !w->rc; a++) {
        if (!own_column(v, w, a))
            continue;
        for (int to = 0; to < 2 && !w->rc; to++) {
            buf_clear(&name);
            if (buf_puts(&name, to ? "to:" : "from:") < 0 ||
                buf_puts(&name, v->attr_names[a]) < 0) {
                w->rc = -ENOMEM;
                break;
            }
            w_put(w, ",", 1);
            put_csv(w, name.data, safe);
        }
    }
    buf_free(&name);
    w_put(w, "\n", 1);
}

/* The attribute cells of one line: f's and t's values (t < 0: none, for
 * an isolate's line), empty where a person has none. */
static void csv_attrs(const view_t *v, writer_t *w, igraph_integer_t f,
                      igraph_integer_t t, int safe)
{
    for (size_t a = 0; a < v->nattrs; a++) {
        if (!own_column(v, w, a))
            continue;
        const char *fv = view_attr(v, a, f);
        const char *tv = t >= 0 ? view_attr(v, a, t) : NULL;
        w_put(w, ",", 1);
        put_csv(w, fv ? fv : "", safe);
        w_put(w, ",", 1);
        put_csv(w, tv ? tv : "", safe);
    }
    w_put(w, "\n", 1);
}

/* One line per arc; people without arcs (isolates) get a line of their
 * own with empty target columns, so the CSV keeps every vertex. Weights
 * are numbers we print, never a formula: spreadsheet_safe leaves them. */
static void csv(const view_t *v, writer_t *w, int safe)
{
    csv_header(v, w, safe);
    igraph_integer_t n = igraph_vcount(&v->graph);
    for (igraph_integer_t e = 0; e < igraph_ecount(&v->graph) && !w->rc; e++) {
        igraph_integer_t f = IGRAPH_FROM(&v->graph, e),
                         t = IGRAPH_TO(&v->graph, e);
        put_csv(w, w->keys[f], safe);
        w_put(w, ",", 1);
        put_csv(w, w->keys[t], safe);
        w_put(w, ",", 1);
        w_num(w, VECTOR(v->weights)[e]);
        w_put(w, ",", 1);
        put_csv(w, group_of(v, f), safe);
        w_put(w, ",", 1);
        put_csv(w, group_of(v, t), safe);
        csv_attrs(v, w, f, t, safe);
    }
    /* Accessors only: igraph calls that use its global cleanup stack
     * would need the igraph lock (view.h). */
    char *tied = calloc(n ? (size_t)n : 1, 1);
    if (!tied) {
        w->rc = w->rc ? w->rc : -ENOMEM;
        return;
    }
    for (igraph_integer_t e = 0; e < igraph_ecount(&v->graph); e++)
        tied[IGRAPH_FROM(&v->graph, e)] = tied[IGRAPH_TO(&v->graph, e)] = 1;
    for (igraph_integer_t i = 0; i < n && !w->rc; i++) {
        if (tied[i])
            continue;
        put_csv(w, w->keys[i], safe);
        w_puts(w, ",,,");
        put_csv(w, group_of(v, i), safe);
        w_puts(w, ",");
        csv_attrs(v, w, i, -1, safe);
    }
    free(tied);
}

int export_view(const view_t *v, const export_opts_t *o,
                const export_sink_t *sink, char *err, size_t errlen)
{
    int xml = !strcmp(o->format, "graphml") || !strcmp(o->format, "gexf");
    if (!export_format_known(o->format)) {
        snprintf(err, errlen, "unknown export format");
        return -EINVAL;
    }
    if (o->gexf_version && !export_gexf_version_known(o->gexf_version)) {
        snprintf(err, errlen, "unknown GEXF version");
        return -EINVAL;
    }
    if (o->identifying && v->boundary &&
        privacy_identifying(o->identifying, v->boundary)) {
        /* Its values would be written as every person's group. */
        snprintf(err, errlen, "attribute %s identifies people: not exported",
                 v->boundary);
        return -EINVAL;
    }
    char *const *keys = o->ids ? o->ids : v->keys;
    int clash;
    if (ids_clash(v, keys, xml ? SYN_XML : SYN_CSV, &clash) < 0) {
        snprintf(err, errlen, "out of memory exporting");
        return -ENOMEM;
    }
    if (clash) {
        snprintf(err, errlen,
                 "two person ids would be written alike in %s: they differ "
                 "only in %s, each written as U+FFFD; %s",
                 o->format,
                 xml ? "characters XML cannot carry"
                     : "bytes that are not UTF-8",
                 xml ? "export as csv or dot" : "rename one");
        return -EEXIST;
    }
    writer_t w = {.b = BUF_INIT,
                  .sink = sink,
                  .keys = keys,
                  .identifying = o->identifying};
    if (buf_reserve(&w.b, EXPORT_CHUNK + 4096) < 0) {
        snprintf(err, errlen, "out of memory exporting");
        return -ENOMEM;
    }
    if (!strcmp(o->format, "graphml"))
        graphml(v, &w);
    else if (!strcmp(o->format, "gexf"))
        gexf(v, &w, o->gexf_version);
    else if (!strcmp(o->format, "dot"))
        dot(v, &w);
    else
        csv(v, &w, o->spreadsheet_safe);
    w_flush(&w);
    buf_free(&w.b);
    if (w.rc == -ENOMEM)
        snprintf(err, errlen, "out of memory exporting");
    else if (w.rc < 0)
        snprintf(err, errlen, "could not write the export: %s",
                 strerror(-w.rc));
    return w.rc;
}
