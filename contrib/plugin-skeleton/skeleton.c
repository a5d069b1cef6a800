/* skeleton.c - an out-of-tree spand analysis plugin to copy and adapt.
 *
 * "degree_span": for every person, how many different people they have
 * ties with (in either direction) and how many different groups those
 * people belong to; for the network, the mean of both. A person whose ties
 * all stay inside their own sector spans 1 group; one who also works with
 * the NHS and the voluntary sector spans 3.
 *
 * It needs only <spand/plugin.h> and igraph; build it with the Makefile
 * beside it (pkg-config spand-plugin). See README.md. */
#include <math.h>
#include <spand/plugin.h>
#include <stdlib.h>

/* Parameters: what a client may pass with --param NAME=VALUE. The default
 * is given as text and must parse as the declared type. */
static const spand_param_t params[] = {
    {"other_only", SPAND_BOOL, "false",
     "count only groups other than the person's own"},
};

/* Output columns. The index given to api->set() counts the columns of one
 * table: here vertex 0 = span, vertex 1 = degree, network 0 = mean_span,
 * network 1 = mean_degree. spand adds the key columns (id, group) itself. */
enum { COL_SPAN = 0, COL_DEGREE = 1 };
enum { COL_MEAN_SPAN = 0, COL_MEAN_DEGREE = 1 };

static const spand_column_t columns[] = {
    {SPAND_TABLE_VERTEX, "span", SPAND_INT,
     "distinct groups among the person's contacts"},
    {SPAND_TABLE_VERTEX, "degree", SPAND_INT,
     "distinct people the person has ties with, in either direction"},
    {SPAND_TABLE_NETWORK, "mean_span", SPAND_REAL,
     "mean of span over the people in the view"},
    {SPAND_TABLE_NETWORK, "mean_degree", SPAND_REAL,
     "mean of degree over the people in the view"},
};

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *v)
{
    (void)state;
    const int other_only = api->param_bool(r, "other_only");
    const igraph_integer_t n = igraph_vcount(v->graph);
    int rc = 1;

    /* seen_group[g] == i + 1 once group g has been counted for person i,
     * seen_person[j] == i + 1 once contact j has: no clearing between
     * people. */
    igraph_integer_t *seen_group =
        calloc((size_t)v->ngroups + 1, sizeof *seen_group);
    igraph_integer_t *seen_person = calloc((size_t)n + 1, sizeof *seen_person);
    igraph_vector_int_t nb;
    if (!seen_group || !seen_person ||
        igraph_vector_int_init(&nb, 0) != IGRAPH_SUCCESS) {
        api->log(r, SPAND_LOG_ERR, "out of memory");
        free(seen_group);
        free(seen_person);
        return 1;
    }

    double sum_span = 0, sum_degree = 0;
    for (igraph_integer_t i = 0; i < n; i++) {
        /* Poll now and then: a client that went away, or the time limit,
         * should not wait for the whole network. */
        if ((i & 1023) == 0) {
            if (api->cancelled(r))
                goto out;
            api->progress(r, (double)i / (double)n);
        }
        /* Both directions: a mutual tie (two arcs, i->j and j->i) lists
         * j twice. */
        if (igraph_neighbors(v->graph, &nb, i, IGRAPH_ALL) != IGRAPH_SUCCESS) {
            api->log(r, SPAND_LOG_ERR, "igraph_neighbors failed");
            goto out;
        }
        const igraph_integer_t own = VECTOR(*v->group)[i];
        igraph_integer_t degree = 0, span = 0;
        for (igraph_integer_t k = 0; k < igraph_vector_int_size(&nb); k++) {
            igraph_integer_t j = VECTOR(nb)[k];
            if (seen_person[j] == i + 1)
                continue;
            seen_person[j] = i + 1;
            degree++;
            igraph_integer_t g = VECTOR(*v->group)[j];
            if (seen_group[g] == i + 1 || (other_only && g == own))
                continue;
            seen_group[g] = i + 1;
            span++;
        }
        api->set(r, SPAND_TABLE_VERTEX, i, COL_SPAN, (double)span);
        api->set(r, SPAND_TABLE_VERTEX, i, COL_DEGREE, (double)degree);
        sum_span += (double)span;
        sum_degree += (double)degree;
    }
    /* NaN is "undefined": clients see null, not a misleading 0. */
    api->set(r, SPAND_TABLE_NETWORK, 0, COL_MEAN_SPAN,
             n ? sum_span / (double)n : NAN);
    api->set(r, SPAND_TABLE_NETWORK, 0, COL_MEAN_DEGREE,
             n ? sum_degree / (double)n : NAN);
    if (other_only)
        api->note(r, "span counts only groups other than the person's own");
    api->progress(r, 1.0);
    rc = 0;
out:
    igraph_vector_int_destroy(&nb);
    free(seen_group);
    free(seen_person);
    return rc;
}

/* The descriptor: SPAND_PLUGIN_HEADER records the ABI and igraph build
 * facts the loader checks before calling anything here. */
static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "degree_span",
    .version = "1.0",
    .summary = "contacts per person and the number of groups they span",
    .licence = "MIT",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

/* The one exported symbol (the Makefile hides everything else). */
SPAND_PLUGIN_EXPORT(plugin)
