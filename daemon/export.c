/* export.c - see export.h. */
#include "export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


static const char *const formats[] = {"graphml", "gexf", "dot", "csv", NULL};

int export_format_known(const char *format)
{
    for (const char *const *f = formats; *f; f++)
        if (!strcmp(*f, format))
            return 1;
    return 0;
}

/* XML text and attribute values: the five predefined entities. Control
 * characters cannot occur: ingest refuses them in ids and values. */
static int put_xml(buf_t *b, const char *s)
{
    for (; *s; s++) {
        const char *e = NULL;
        switch (*s) {
        case '&':
            e = "&amp;";
            break;
        case '<':
            e = "&lt;";
            break;
        case '>':
            e = "&gt;";
            break;
        case '"':
            e = "&quot;";
            break;
        case '\'':
            e = "&apos;";
            break;
        }
        if (e ? buf_puts(b, e) < 0 : buf_putc(b, *s) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* A DOT quoted string: backslash and double quote escaped. */
static int put_dot(buf_t *b, const char *s)
{
    if (buf_putc(b, '"') < 0)
        return -ENOMEM;
    for (; *s; s++) {
        if ((*s == '"' || *s == '\\') && buf_putc(b, '\\') < 0)
            return -ENOMEM;
        if (buf_putc(b, *s) < 0)
            return -ENOMEM;
    }
    return buf_putc(b, '"');
}

/* A CSV field (RFC 4180): quoted when it holds a comma, quote or
 * newline-like character. */
static int put_csv(buf_t *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n"))
        return buf_puts(b, s);
    if (buf_putc(b, '"') < 0)
        return -ENOMEM;
    for (; *s; s++)
        if ((*s == '"' && buf_putc(b, '"') < 0) || buf_putc(b, *s) < 0)
            return -ENOMEM;
    return buf_putc(b, '"');
}

#define TRY(x)                                                               \
    do {                                                                     \
        if ((x) < 0)                                                         \
            return -ENOMEM;                                                  \
    } while (0)

static const char *group_of(const view_t *v, igraph_integer_t i)
{
    return v->group_names[VECTOR(v->group)[i]];
}

static int graphml(const view_t *v, buf_t *b)
{
    TRY(buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
                    "  <key id=\"group\" for=\"node\" attr.name=\""));
    TRY(put_xml(b, v->boundary));
    TRY(buf_puts(b, "\" attr.type=\"string\"/>\n"
                    "  <key id=\"weight\" for=\"edge\" attr.name=\"weight\" "
                    "attr.type=\"double\"/>\n"
                    "  <graph id=\"spand\" edgedefault=\"directed\">\n"));
    for (igraph_integer_t i = 0; i < igraph_vcount(&v->graph); i++) {
        TRY(buf_puts(b, "    <node id=\""));
        TRY(put_xml(b, v->keys[i]));
        TRY(buf_puts(b, "\"><data key=\"group\">"));
        TRY(put_xml(b, group_of(v, i)));
        TRY(buf_puts(b, "</data></node>\n"));
    }
    for (igraph_integer_t e = 0; e < igraph_ecount(&v->graph); e++) {
        TRY(buf_puts(b, "    <edge source=\""));
        TRY(put_xml(b, v->keys[IGRAPH_FROM(&v->graph, e)]));
        TRY(buf_puts(b, "\" target=\""));
        TRY(put_xml(b, v->keys[IGRAPH_TO(&v->graph, e)]));
        TRY(buf_printf(b, "\"><data key=\"weight\">%.17g</data></edge>\n",
                       VECTOR(v->weights)[e]));
    }
    return buf_puts(b, "  </graph>\n</graphml>\n");
}

static int gexf(const view_t *v, buf_t *b)
{
    TRY(buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n"
                    "  <graph defaultedgetype=\"directed\">\n"
                    "    <attributes class=\"node\">\n"
                    "      <attribute id=\"0\" title=\""));
    TRY(put_xml(b, v->boundary));
    TRY(buf_puts(b, "\" type=\"string\"/>\n    </attributes>\n"
                    "    <nodes>\n"));
    for (igraph_integer_t i = 0; i < igraph_vcount(&v->graph); i++) {
        TRY(buf_puts(b, "      <node id=\""));
        TRY(put_xml(b, v->keys[i]));
        TRY(buf_puts(b, "\" label=\""));
        TRY(put_xml(b, v->keys[i]));
        TRY(buf_puts(b, "\"><attvalues><attvalue for=\"0\" value=\""));
        TRY(put_xml(b, group_of(v, i)));
        TRY(buf_puts(b, "\"/></attvalues></node>\n"));
    }
    TRY(buf_puts(b, "    </nodes>\n    <edges>\n"));
    for (igraph_integer_t e = 0; e < igraph_ecount(&v->graph); e++) {
        TRY(buf_printf(b, "      <edge id=\"%lld\" source=\"", (long long)e));
        TRY(put_xml(b, v->keys[IGRAPH_FROM(&v->graph, e)]));
        TRY(buf_puts(b, "\" target=\""));
        TRY(put_xml(b, v->keys[IGRAPH_TO(&v->graph, e)]));
        TRY(buf_printf(b, "\" weight=\"%.17g\"/>\n", VECTOR(v->weights)[e]));
    }
    return buf_puts(b, "    </edges>\n  </graph>\n</gexf>\n");
}

static int dot(const view_t *v, buf_t *b)
{
    TRY(buf_puts(b, "digraph spand {\n"));
    for (igraph_integer_t i = 0; i < igraph_vcount(&v->graph); i++) {
        TRY(buf_puts(b, "  "));
        TRY(put_dot(b, v->keys[i]));
        TRY(buf_puts(b, " [group="));
        TRY(put_dot(b, group_of(v, i)));
        TRY(buf_puts(b, "];\n"));
    }
    for (igraph_integer_t e = 0; e < igraph_ecount(&v->graph); e++) {
        TRY(buf_puts(b, "  "));
        TRY(put_dot(b, v->keys[IGRAPH_FROM(&v->graph, e)]));
        TRY(buf_puts(b, " -> "));
        TRY(put_dot(b, v->keys[IGRAPH_TO(&v->graph, e)]));
        TRY(buf_printf(b, " [weight=%.17g];\n", VECTOR(v->weights)[e]));
    }
    return buf_puts(b, "}\n");
}

/* One line per arc; people without arcs (isolates) get a line of their
 * own with empty target columns, so the CSV keeps every vertex. */
static int csv(const view_t *v, buf_t *b)
{
    TRY(buf_puts(b, "from,to,weight,from_group,to_group\n"));
    igraph_integer_t n = igraph_vcount(&v->graph);
    for (igraph_integer_t e = 0; e < igraph_ecount(&v->graph); e++) {
        igraph_integer_t f = IGRAPH_FROM(&v->graph, e),
                         t = IGRAPH_TO(&v->graph, e);
        TRY(put_csv(b, v->keys[f]));
        TRY(buf_putc(b, ','));
        TRY(put_csv(b, v->keys[t]));
        TRY(buf_printf(b, ",%.17g,", VECTOR(v->weights)[e]));
        TRY(put_csv(b, group_of(v, f)));
        TRY(buf_putc(b, ','));
        TRY(put_csv(b, group_of(v, t)));
        TRY(buf_putc(b, '\n'));
    }
    /* Accessors only: igraph calls that use its global cleanup stack
     * would need the igraph lock (view.h). */
    char *tied = calloc(n ? (size_t)n : 1, 1);
    if (!tied)
        return -ENOMEM;
    for (igraph_integer_t e = 0; e < igraph_ecount(&v->graph); e++)
        tied[IGRAPH_FROM(&v->graph, e)] = tied[IGRAPH_TO(&v->graph, e)] = 1;
    for (igraph_integer_t i = 0; i < n; i++) {
        if (tied[i])
            continue;
        if (put_csv(b, v->keys[i]) < 0 || buf_puts(b, ",,,") < 0 ||
            put_csv(b, group_of(v, i)) < 0 || buf_puts(b, ",\n") < 0) {
            free(tied);
            return -ENOMEM;
        }
    }
    free(tied);
    return 0;
}

int export_view(const view_t *v, const char *format, buf_t *out)
{
    if (!strcmp(format, "graphml"))
        return graphml(v, out);
    if (!strcmp(format, "gexf"))
        return gexf(v, out);
    if (!strcmp(format, "dot"))
        return dot(v, out);
    if (!strcmp(format, "csv"))
        return csv(v, out);
    return -EINVAL;
}
