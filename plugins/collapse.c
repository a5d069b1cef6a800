/* collapse.c - see collapse.h. */
#include "collapse.h"

#include <stdlib.h>

void nbrs_free(nbrs_t *c)
{
    free(c->off);
    free(c->adj);
    free(c->w);
}

/* Build the collapse of view: each arc i->j adds its weight to the pair.
 * Both ends' lists get an entry per arc, then each list is compacted in
 * place, merging the two entries of a mutual pair; slot[j] remembers
 * where j sits in the current list, and is trusted only if it points into
 * that list at j (so it needs no reset). O(N + arcs) time and memory.
 * Returns 0, or -1 after logging. */
int nbrs_build(const spand_api_t *api, spand_run_t *r, const spand_view_t *view,
               nbrs_t *c, const char *who)
{
    const igraph_t *g = view->graph;
    const igraph_integer_t n = igraph_vcount(g), arcs = igraph_ecount(g);
    const igraph_vector_t *wv = view->weights;
    igraph_integer_t *slot = NULL;

    c->n = n;
    c->off = calloc((size_t)n + 1, sizeof *c->off);
    c->adj = malloc(((size_t)arcs * 2 + 1) * sizeof *c->adj);
    c->w = malloc(((size_t)arcs * 2 + 1) * sizeof *c->w);
    slot = calloc((size_t)n + 1, sizeof *slot);
    if (!c->off || !c->adj || !c->w || !slot) {
        api->log(r, SPAND_LOG_ERR,
                 "%s: out of memory (%lld vertices, %lld arcs)", who,
                 (long long)n, (long long)arcs);
        free(slot);
        return -1;
    }
    for (igraph_integer_t e = 0; e < arcs; e++) {
        const igraph_integer_t a = IGRAPH_FROM(g, e), b = IGRAPH_TO(g, e);
        if (a == b)
            continue; /* no loops by contract; a loop is no contact */
        c->off[a + 1]++;
        c->off[b + 1]++;
    }
    for (igraph_integer_t i = 0; i < n; i++)
        c->off[i + 1] += c->off[i];
    /* slot doubles as the fill cursor here, then is reused below. */
    for (igraph_integer_t i = 0; i < n; i++)
        slot[i] = c->off[i];
    for (igraph_integer_t e = 0; e < arcs; e++) {
        const igraph_integer_t a = IGRAPH_FROM(g, e), b = IGRAPH_TO(g, e);
        if (a == b)
            continue;
        const double x = wv ? VECTOR(*wv)[e] : 1.0;
        c->adj[slot[a]] = b;
        c->w[slot[a]++] = x;
        c->adj[slot[b]] = a;
        c->w[slot[b]++] = x;
    }
    /* Compact: write <= read always, and off[i + 1] is read before it is
     * overwritten with the compacted start of i + 1. */
    igraph_integer_t rd = 0, wr = 0;
    for (igraph_integer_t i = 0; i < n; i++) {
        const igraph_integer_t end = c->off[i + 1], start = wr;
        c->off[i] = start;
        for (; rd < end; rd++) {
            const igraph_integer_t j = c->adj[rd];
            const igraph_integer_t s = slot[j];
            if (s >= start && s < wr && c->adj[s] == j) {
                c->w[s] += c->w[rd];
            } else {
                slot[j] = wr;
                c->adj[wr] = j;
                c->w[wr++] = c->w[rd];
            }
        }
    }
    c->off[n] = wr;
    free(slot);
    return 0;
}
