/* collapse.h - the undirected collapse of a view as adjacency arrays,
 * shared by the built-in plugins that work on it (METRICS.md notation:
 * an edge {i,j} when either arc exists, weight w_ij + w_ji). Internal to
 * each plugin module (compiled into it; -fvisibility=hidden keeps it
 * from being exported). */
#ifndef SPAND_PLUGINS_COLLAPSE_H
#define SPAND_PLUGINS_COLLAPSE_H

#include <spand/plugin.h>

/* The neighbours of i are adj[off[i] .. off[i + 1]), each once, with the
 * summed weight of the arcs between them, w[k] = w_ij + w_ji. */
typedef struct nbrs {
    igraph_integer_t n;
    igraph_integer_t *off, *adj;
    double *w;
} nbrs_t;

/* Build the collapse of view in O(N + arcs) time and memory. Returns 0,
 * or -1 after logging (with who, the plugin's name) an out-of-memory. */
int nbrs_build(const spand_api_t *api, spand_run_t *r, const spand_view_t *view,
               nbrs_t *c, const char *who);
void nbrs_free(nbrs_t *c);

#endif
