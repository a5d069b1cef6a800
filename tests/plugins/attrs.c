/* attrs - a test plugin that reports what api->vertex_attr gives: for
 * each vertex the value of its `attr` parameter's attribute (an
 * attribute parameter, so the view carries it), of the boundary, and of
 * `other` (a plain string parameter: its attribute is not carried, so
 * NULL); per network the baseline's values of `attr` as "key=value"
 * text. Built twice: as a third-party plugin (run isolated) and with the
 * build id as built in (run in a thread), -DATTRS_NAME naming the copy. */
#include <spand/plugin.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifndef ATTRS_NAME
#define ATTRS_NAME "attrs"
#endif

static const spand_param_t params[] = {
    {"attr", SPAND_ATTRIBUTE, "", "the attribute to report"},
    {"other", SPAND_STRING, "", "an attribute asked for but not carried"},
};

static const spand_column_t columns[] = {
    {SPAND_TABLE_VERTEX, "value", SPAND_STRING, "attr's value, or null"},
    {SPAND_TABLE_VERTEX, "boundary_value", SPAND_STRING, "the boundary's"},
    {SPAND_TABLE_VERTEX, "other_null", SPAND_INT, "1 if other gave NULL"},
    {SPAND_TABLE_NETWORK, "baseline_values", SPAND_STRING,
     "key=value of attr in the baseline, in vertex order"},
    {SPAND_TABLE_NETWORK, "has_api", SPAND_INT, "1 if vertex_attr exists"},
};

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *v)
{
    (void)state;
    int has = api->size >=
              offsetof(spand_api_t, vertex_attr) + sizeof api->vertex_attr;
    api->set(r, SPAND_TABLE_NETWORK, 0, 1, has);
    if (!has)
        return 0;
    const char *attr = api->param_string(r, "attr");
    const char *other = api->param_string(r, "other");
    for (igraph_integer_t i = 0; i < igraph_vcount(v->graph); i++) {
        const char *x = api->vertex_attr(r, v, i, attr);
        if (x)
            api->set_text(r, SPAND_TABLE_VERTEX, i, 0, x);
        x = api->vertex_attr(r, v, i, v->boundary);
        if (x)
            api->set_text(r, SPAND_TABLE_VERTEX, i, 1, x);
        api->set(r, SPAND_TABLE_VERTEX, i, 2,
                 api->vertex_attr(r, v, i, other) == NULL);
    }
    if (v->baseline) {
        static char text[16384];
        size_t off = 0;
        text[0] = '\0';
        for (igraph_integer_t i = 0;
             i < igraph_vcount(v->baseline->graph) && off < sizeof text; i++) {
            const char *x = api->vertex_attr(r, v->baseline, i, attr);
            int w = snprintf(text + off, sizeof text - off, "%s%s=%s",
                             i ? " " : "", v->baseline->keys[i], x ? x : "-");
            if (w < 0)
                break;
            off += (size_t)w;
        }
        api->set_text(r, SPAND_TABLE_NETWORK, 0, 0, text);
    }
    return 0;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = ATTRS_NAME,
    .version = "1.0",
    .summary = "test plugin: reports vertex_attr",
    .licence = "MIT",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
