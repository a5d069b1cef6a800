/* boundary_betweenness.c - brokerage along shortest paths between groups
 * (METRICS.md, "boundary_betweenness").
 *
 * On the undirected collapse of the view (an edge {i, j} when either arc
 * exists, weight w_ij + w_ji), or on the directed view with `directed`:
 *   cross_betweenness B_i = sum over pairs {s, t} with g(s) != g(t),
 *                           s, t != i, of sigma_st(i) / sigma_st;
 *   betweenness           the same over all pairs (Freeman);
 *   cross_share           B_i / betweenness (NaN, sent as null, when the
 *                         person lies on no shortest path at all).
 * Undirected: unordered pairs, as networkx betweenness_centrality(_subset)
 * with normalized=False (each pair is reached from both ends, so the sums
 * are halved). Directed: ordered pairs (s, t), paths follow the arcs.
 * `weighted` makes a tie of weight w a step of length 1/w (a strong tie is
 * a short one); a tie of weight 0 then has infinite length and carries no
 * path (unweighted it is an ordinary tie, as every tie is one step).
 *
 * Method: Brandes (2001) with a second dependency per source that counts
 * only targets in another group than the source's,
 *   dX_s(v) = sum over w with v a predecessor of w of
 *             sigma_sv / sigma_sw * ([g(w) != g(s)] + dX_s(w)),
 * exactly networkx's _accumulate_subset with targets = the vertices outside
 * g(s). Summing over every source gives the sum over groups G of the
 * subset betweenness with sources G and targets outside G, from one BFS
 * (or Dijkstra) per source: O(N M) time (O(N (M + N) log N) weighted),
 * O(N + M) memory, for both columns at once. (METRICS.md says that sum is
 * "halved for undirected": igraph_betweenness_subset and networkx's
 * betweenness_centrality_subset already halve an undirected graph's
 * values, so their plain sum over groups is B_i; halving it once more
 * would count each unordered pair half.)
 *
 * Unweighted and undirected (the default), the forward pass finds each
 * level top-down or bottom-up, whichever scans fewer arcs, and the
 * dependency pass walks the shortest-path DAG it recorded: see
 * bfs_undirected_source(). Directed, it is Brandes' BFS as written
 * (bfs_source()); weighted, Dijkstra (dijkstra_source()).
 *
 * Weighted shortest paths compare lengths with igraph's tolerance (two
 * lengths within a relative 1e-10 are equal, IGRAPH_SHORTEST_PATH_EPSILON),
 * so that paths of equal true length whose floating-point sums differ in
 * the last bit count as equally short; networkx compares exactly, which
 * gives the same result whenever no two distinct path lengths lie that
 * close.
 *
 * Sources are independent, so they run on `threads` threads, each with
 * its own O(N + M) work arrays; the thread that called run() is one of
 * them and polls cancellation and reports progress between its sources,
 * then while it waits for the others. See SHARES for why the result does
 * not depend on the number of threads.
 *
 * `sample` > 0 (and < N): Brandes & Pich (2007) estimate from that many
 * distinct sources drawn uniformly (seeded splitmix64 + partial
 * Fisher-Yates), every sum scaled by N / sample; api->note() says so.
 *
 * Tables: vertex rows as above; group rows sum cross_betweenness and
 * betweenness over the members (cross_share of those sums); the network
 * row sums over everybody and gives the number of sources used.
 */
#define _POSIX_C_SOURCE 200809L /* sysconf, clock_gettime */
#include <spand/plugin.h>

#include "rng.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How far ahead BFS asks for the rows of the vertices in line, and the
 * dependency pass for the sums of the vertices it will reach (in
 * vertices; measured on 20k people / 200k ties: both passes wait on
 * memory). */
#define PREFETCH_ROW 4
#define PREFETCH_SUM 8

/* Relative tolerance of two path lengths being equal (igraph's). */
#define LENGTH_EPSILON 1e-10

/* Sources are dealt into SHARES fixed shares (source i to share i mod
 * SHARES), each summed on its own and the shares added in order at the
 * end: the result is the same bit for bit whatever the number of threads
 * (at most SHARES) and whichever thread ran which share. */
#define SHARES 8

static const spand_param_t params[] = {
    {"directed", SPAND_BOOL, "false",
     "paths follow arcs of the directed view, pairs are ordered"},
    {"weighted", SPAND_BOOL, "false",
     "a tie of weight w has length 1/w (w_ij + w_ji when undirected)"},
    {"sample", SPAND_INT, "0",
     "when > 0, estimate from this many random sources (Brandes & Pich)"},
    {"seed", SPAND_INT, "1", "seed of the source sample"},
    {"threads", SPAND_INT, "0",
     "threads to use (0: one per processor, at most 8); results do not "
     "depend on it"},
};

enum { V_CROSS, V_BETW, V_SHARE };
enum { G_CROSS, G_BETW, G_SHARE };
enum { N_CROSS, N_BETW, N_SHARE, N_SOURCES };

static const spand_column_t columns[] = {
    {SPAND_TABLE_VERTEX, "cross_betweenness", SPAND_REAL,
     "shortest paths between people of different groups through the person"},
    {SPAND_TABLE_VERTEX, "betweenness", SPAND_REAL,
     "shortest paths between any two people through the person"},
    {SPAND_TABLE_VERTEX, "cross_share", SPAND_REAL,
     "cross_betweenness / betweenness"},
    {SPAND_TABLE_GROUP, "cross_betweenness", SPAND_REAL,
     "sum of the members' cross_betweenness"},
    {SPAND_TABLE_GROUP, "betweenness", SPAND_REAL,
     "sum of the members' betweenness"},
    {SPAND_TABLE_GROUP, "cross_share", SPAND_REAL,
     "cross_betweenness / betweenness of the group"},
    {SPAND_TABLE_NETWORK, "cross_betweenness", SPAND_REAL,
     "sum of everybody's cross_betweenness"},
    {SPAND_TABLE_NETWORK, "betweenness", SPAND_REAL,
     "sum of everybody's betweenness"},
    {SPAND_TABLE_NETWORK, "cross_share", SPAND_REAL,
     "cross_betweenness / betweenness of the network"},
    {SPAND_TABLE_NETWORK, "sources", SPAND_INT,
     "sources the sums come from (all people unless sampled)"},
};

/* The graph paths run on, as compressed rows: the arcs leaving v are
 * nbr[off[v] .. off[v+1]), of length len[k] (NULL: every arc is one
 * step). Predecessors of v on shortest paths are among its in-neighbours,
 * so pred[poff[v] .. poff[v+1]) has room for all of them: poff is off for
 * the (symmetric) undirected collapse, in-degree offsets when directed. */
typedef struct graph {
    int32_t n;
    int undirected; /* rows symmetric: bfs_undirected_source() applies */
    int64_t *off, *poff;
    int32_t *nbr;
    double *len;
    int32_t *grp; /* group of each vertex, compact */
} graph_t;

static void graph_free(graph_t *g)
{
    if (g->poff != g->off)
        free(g->poff);
    free(g->off);
    free(g->nbr);
    free(g->len);
    free(g->grp);
}

/* Build the rows from the view: with directed, the arcs i->j as they are,
 * of weight w_ij; otherwise the undirected collapse, each arc entered in
 * the rows of both ends and duplicates (i->j and j->i) merged into one
 * edge of weight w_ij + w_ji. Lengths are 1/weight when weighted.
 * Returns 0, or -1 after logging. */
static int graph_build(const spand_api_t *api, spand_run_t *r,
                       const spand_view_t *view, int directed, int weighted,
                       graph_t *g)
{
    const igraph_t *ig = view->graph;
    const igraph_vector_t *wv = view->weights;
    const igraph_integer_t n = igraph_vcount(ig), arcs = igraph_ecount(ig);
    const int64_t slots = directed ? (int64_t)arcs : 2 * (int64_t)arcs;
    int64_t *cursor = NULL;
    int32_t *mark = NULL;
    double *w = NULL;
    int rc = -1;

    memset(g, 0, sizeof *g);
    if (n >= INT32_MAX || slots >= INT64_MAX / 2) {
        api->log(r, SPAND_LOG_ERR,
                 "boundary_betweenness: view too large (%lld people)",
                 (long long)n);
        return -1;
    }
    g->n = (int32_t)n;
    g->off = calloc((size_t)n + 1, sizeof *g->off);
    g->nbr = malloc(((size_t)slots + 1) * sizeof *g->nbr);
    w = malloc(((size_t)slots + 1) * sizeof *w);
    cursor = malloc(((size_t)n + 1) * sizeof *cursor);
    g->grp = malloc(((size_t)n + 1) * sizeof *g->grp);
    if (!g->off || !g->nbr || !w || !cursor || !g->grp)
        goto oom;
    for (igraph_integer_t v = 0; v < n; v++)
        g->grp[v] = (int32_t)VECTOR(*view->group)[v];

    /* Counting sort of the arc ends into rows. */
    for (igraph_integer_t e = 0; e < arcs; e++) {
        g->off[IGRAPH_FROM(ig, e) + 1]++;
        if (!directed)
            g->off[IGRAPH_TO(ig, e) + 1]++;
    }
    for (int32_t v = 0; v < g->n; v++)
        g->off[v + 1] += g->off[v];
    memcpy(cursor, g->off, (size_t)n * sizeof *cursor);
    for (igraph_integer_t e = 0; e < arcs; e++) {
        const int32_t a = (int32_t)IGRAPH_FROM(ig, e);
        const int32_t b = (int32_t)IGRAPH_TO(ig, e);
        const double x = wv ? VECTOR(*wv)[e] : 1.0;
        g->nbr[cursor[a]] = b;
        w[cursor[a]++] = x;
        if (!directed) {
            g->nbr[cursor[b]] = a;
            w[cursor[b]++] = x;
        }
    }

    if (!directed) {
        /* Merge i->j and j->i in each row, compacting in place (the write
         * position never passes the read position). mark[j] = the row
         * that last saw j, cursor[j] = where its entry went. */
        mark = malloc(((size_t)n + 1) * sizeof *mark);
        if (!mark)
            goto oom;
        for (int32_t v = 0; v < g->n; v++)
            mark[v] = -1;
        int64_t put = 0, begin = 0;
        for (int32_t v = 0; v < g->n; v++) {
            const int64_t end = g->off[v + 1];
            g->off[v] = put;
            for (int64_t k = begin; k < end; k++) {
                const int32_t j = g->nbr[k];
                if (mark[j] == v) {
                    w[cursor[j]] += w[k];
                    continue;
                }
                mark[j] = v;
                cursor[j] = put;
                g->nbr[put] = j;
                w[put++] = w[k];
            }
            begin = end;
        }
        g->off[n] = put;
        g->poff = g->off;
        g->undirected = 1;
    } else {
        /* Room for predecessors: the in-degree of each vertex. */
        g->poff = calloc((size_t)n + 1, sizeof *g->poff);
        if (!g->poff)
            goto oom;
        for (igraph_integer_t e = 0; e < arcs; e++)
            g->poff[IGRAPH_TO(ig, e) + 1]++;
        for (int32_t v = 0; v < g->n; v++)
            g->poff[v + 1] += g->poff[v];
    }

    if (weighted) {
        const int64_t m = g->off[n];
        for (int64_t k = 0; k < m; k++)
            w[k] = w[k] > 0 ? 1.0 / w[k] : INFINITY;
        g->len = w;
        w = NULL;
    }
    rc = 0;
    goto out;
oom:
    api->log(r, SPAND_LOG_ERR,
             "boundary_betweenness: out of memory (%lld people, %lld arcs)",
             (long long)n, (long long)arcs);
    graph_free(g);
out:
    free(w);
    free(cursor);
    free(mark);
    return rc;
}

/* What a source's dependencies need at each vertex. */
typedef struct vstate {
    double sigma;  /* shortest-path counts from the source (double: they
                      can exceed 2^64; only their ratios matter) */
    double delta;  /* dependency on all targets */
    double deltax; /* dependency on targets in other groups */
} vstate_t;

/* What BFS keeps of a reached vertex, at its position in the order of
 * discovery (see bfs_source()). */
typedef struct bstate {
    double sigma, delta, deltax; /* as in vstate_t */
    int64_t pbeg, pend;          /* its predecessors: pred[pbeg .. pend) */
} bstate_t;

/* The two dependency coefficients of a vertex w for the current source:
 * (1 + delta_w) / sigma_w and ([g(w) != g(s)] + deltax_w) / sigma_w. */
typedef struct coef {
    double all, cross;
} coef_t;

/* Per-source work arrays, O(N + M) in all, reset after each source only
 * where the source reached (so a source in a small component costs the
 * size of its component, not N). The traversal is bound by memory
 * latency: see bfs_source() for how BFS keeps its accesses close
 * together. */
typedef struct work {
    int32_t *order; /* vertices in order of distance */
    int32_t *pred;  /* predecessors (BFS: their positions) */
    /* BFS */
    int32_t *pos; /* position of v in order; < 0 unreached */
    bstate_t *bs; /* by position */
    /* BFS on the undirected collapse (bfs_undirected_source) */
    uint8_t *code;                /* 0 unreached, else 1 + level mod 255 */
    double *sigma;                /* path counts, by vertex */
    coef_t *coef, *push;          /* by vertex: see bfs_undirected_source() */
    int32_t *dag;                 /* successor and predecessor lists */
    int32_t *unreached;           /* candidates of a bottom-up level */
    int32_t *succ_len, *pred_len; /* by position: its lists' lengths */
    int64_t *dag_mark;            /* dag's fill before each level's expansion */
    int32_t *level;     /* level L is order[level[L] .. level[L + 1]) */
    uint8_t *bottom_up; /* level L was found bottom-up */
    /* Dijkstra */
    double *dist; /* distance; < 0 unreached */
    vstate_t *st;
    int32_t *npred; /* predecessors of v at pred[poff[v] ..] */
    int32_t *heap;  /* binary heap of vertices by dist */
    int32_t *hpos;  /* position in heap, -1 if not in it; -2 when done */
} work_t;

static void work_free(work_t *w)
{
    free(w->order);
    free(w->pred);
    free(w->pos);
    free(w->bs);
    free(w->code);
    free(w->sigma);
    free(w->coef);
    free(w->push);
    free(w->dag);
    free(w->unreached);
    free(w->succ_len);
    free(w->pred_len);
    free(w->dag_mark);
    free(w->level);
    free(w->bottom_up);
    free(w->dist);
    free(w->st);
    free(w->npred);
    free(w->heap);
    free(w->hpos);
}

/* The arrays of bfs_undirected_source(); the zeroed ones (code, push)
 * are what it expects between sources. */
static int work_init_undirected(work_t *w, const graph_t *g)
{
    const size_t n = (size_t)g->n + 2;
    w->order = malloc(n * sizeof *w->order);
    w->dag = malloc(((size_t)g->off[g->n] + 1) * sizeof *w->dag);
    w->code = calloc(n, sizeof *w->code);
    w->sigma = malloc(n * sizeof *w->sigma);
    w->coef = malloc(n * sizeof *w->coef);
    w->push = calloc(n, sizeof *w->push);
    w->unreached = malloc(n * sizeof *w->unreached);
    w->succ_len = malloc(n * sizeof *w->succ_len);
    w->pred_len = malloc(n * sizeof *w->pred_len);
    w->dag_mark = malloc(n * sizeof *w->dag_mark);
    w->level = malloc(n * sizeof *w->level);
    w->bottom_up = calloc(n, sizeof *w->bottom_up);
    return w->order && w->dag && w->code && w->sigma && w->coef && w->push &&
                   w->unreached && w->succ_len && w->pred_len && w->dag_mark &&
                   w->level && w->bottom_up
               ? 0
               : -1;
}

static int work_init(work_t *w, const graph_t *g)
{
    const size_t n = (size_t)g->n + 1;
    memset(w, 0, sizeof *w);
    if (g->undirected && !g->len)
        return work_init_undirected(w, g);
    w->order = malloc(n * sizeof *w->order);
    w->pred = malloc(((size_t)g->poff[g->n] + 1) * sizeof *w->pred);
    if (!w->order || !w->pred)
        return -1;
    if (!g->len) {
        w->pos = malloc(n * sizeof *w->pos);
        w->bs = malloc(n * sizeof *w->bs);
        if (!w->pos || !w->bs)
            return -1;
        for (int32_t v = 0; v < g->n; v++)
            w->pos[v] = -1;
        return 0;
    }
    w->dist = malloc(n * sizeof *w->dist);
    w->st = calloc(n, sizeof *w->st);
    w->npred = calloc(n, sizeof *w->npred);
    w->heap = malloc(n * sizeof *w->heap);
    w->hpos = malloc(n * sizeof *w->hpos);
    if (!w->dist || !w->st || !w->npred || !w->heap || !w->hpos)
        return -1;
    for (int32_t v = 0; v < g->n; v++) {
        w->dist[v] = -1;
        w->hpos[v] = -1;
    }
    return 0;
}

/* Two path lengths are equal within LENGTH_EPSILON (igraph_cmp_epsilon). */
static int same_length(double a, double b)
{
    return a == b || fabs(a - b) < LENGTH_EPSILON * (fabs(a) + fabs(b));
}

static void heap_up(work_t *w, int32_t i)
{
    const int32_t v = w->heap[i];
    const double d = w->dist[v];
    while (i > 0) {
        const int32_t p = (i - 1) / 2;
        if (w->dist[w->heap[p]] <= d)
            break;
        w->heap[i] = w->heap[p];
        w->hpos[w->heap[i]] = i;
        i = p;
    }
    w->heap[i] = v;
    w->hpos[v] = i;
}

static void heap_down(work_t *w, int32_t i, int32_t size)
{
    const int32_t v = w->heap[i];
    const double d = w->dist[v];
    for (;;) {
        int32_t c = 2 * i + 1;
        if (c >= size)
            break;
        if (c + 1 < size && w->dist[w->heap[c + 1]] < w->dist[w->heap[c]])
            c++;
        if (w->dist[w->heap[c]] >= d)
            break;
        w->heap[i] = w->heap[c];
        w->hpos[w->heap[i]] = i;
        i = c;
    }
    w->heap[i] = v;
    w->hpos[v] = i;
}

/* One source by BFS: shortest paths from s, then both dependencies
 * accumulated in reverse order of distance into bet[] and cross[]
 * (unscaled), then the reached part of pos reset.
 *
 * Everything a source learns about a vertex lives at the vertex's
 * position in the order of discovery, not at its number: the vertices of
 * one BFS level are then neighbours in memory, the forward pass adds to
 * records of the level being discovered (a compact range), and the
 * dependency pass walks the records backwards in sequence and updates
 * those of the level above. Each vertex's predecessor list gets room for
 * its in-degree when it is discovered, so the lists too lie in order of
 * discovery. Only pos[] (4 bytes per vertex) is read at random for
 * every arc. The arithmetic is that of Brandes' algorithm in the same
 * order (sigma summed in order of discovery of the predecessors, each
 * dependency summed over successors in reverse order of discovery), so
 * where the values are kept does not change them. */
static void bfs_source(const graph_t *g, work_t *w, const int32_t *grp,
                       int32_t s, double *bet, double *cross)
{
    int32_t *restrict pos = w->pos;
    int32_t *restrict order = w->order;
    int32_t *restrict pred = w->pred;
    bstate_t *restrict bs = w->bs;
    const int64_t *poff = g->poff;
    int32_t head = 0, cnt = 1;
    int32_t next = 1, level_end = 1; /* the next level starts at next */
    int64_t top = 0; /* room given to predecessor lists so far */

    pos[s] = 0;
    order[0] = s;
    bs[0] = (bstate_t){1, 0, 0, 0, 0};
    while (head < cnt) {
        if (head == level_end)
            next = level_end = cnt;
        /* The rows of the vertices next in line are at random places:
         * ask for them before they are needed (their offsets first). */
        if (head + PREFETCH_ROW < cnt)
            __builtin_prefetch(g->nbr + g->off[order[head + PREFETCH_ROW]]);
        if (head + 2 * PREFETCH_ROW < cnt)
            __builtin_prefetch(g->off + order[head + 2 * PREFETCH_ROW]);
        const int32_t v = order[head];
        const double sv = bs[head].sigma;
        const int32_t *nb = g->nbr + g->off[v], *end = g->nbr + g->off[v + 1];
        for (; nb < end; nb++) {
            const int32_t x = *nb;
            int32_t px = pos[x];
            if (px < 0) {
                px = pos[x] = cnt;
                order[cnt] = x;
                bs[cnt] = (bstate_t){0, 0, 0, top, top};
                top += poff[x + 1] - poff[x];
                cnt++;
            }
            if (px >= next) {
                bs[px].sigma += sv;
                pred[bs[px].pend++] = head;
            }
        }
        head++;
    }

    const int32_t gs = grp[s];
    for (int32_t i = cnt - 1; i > 0; i--) {
        const int32_t x = order[i];
        if (i > PREFETCH_SUM) {
            const int32_t y = order[i - PREFETCH_SUM];
            __builtin_prefetch(bet + y, 1);
            __builtin_prefetch(cross + y, 1);
            __builtin_prefetch(grp + y);
        }
        const double ca = (1.0 + bs[i].delta) / bs[i].sigma;
        const double cx =
            ((grp[x] != gs ? 1.0 : 0.0) + bs[i].deltax) / bs[i].sigma;
        for (int64_t k = bs[i].pbeg; k < bs[i].pend; k++) {
            bstate_t *u = bs + pred[k];
            u->delta += u->sigma * ca;
            u->deltax += u->sigma * cx;
        }
        bet[x] += bs[i].delta;
        cross[x] += bs[i].deltax;
    }
    for (int32_t i = 0; i < cnt; i++)
        pos[order[i]] = -1;
}

/* ---- BFS on the undirected collapse, top-down or bottom-up by level ----
 *
 * Brandes' forward pass scans the row of every reached vertex: on a
 * random graph of 20k people and 200k ties most rows belong to the last
 * big level, whose neighbours are nearly all found already. Level by
 * level this kernel takes the cheaper of two ways to find level d + 1,
 * counted exactly before it starts (Beamer, Asanović & Patterson 2012,
 * without their early exit, which path counts cannot take):
 *   top-down:  scan the rows of level d (the sum of their degrees);
 *   bottom-up: scan the rows of every vertex not yet reached (the sum of
 *              their degrees, plus one per vertex): a vertex with a
 *              neighbour on level d is on level d + 1, and its sigma is
 *              the sum over all such neighbours.
 * On the bench graph this scans about 100k arcs per source instead of
 * 375k. A vertex not reached after level d has distance > d, so every
 * reached neighbour it has is on level d exactly: bottom-up needs no
 * level test, only "reached", provided the vertices it finds are marked
 * only once the level is complete.
 *
 * The dependency pass walks the levels upwards. The successors of a
 * vertex expanded top-down were appended to dag[] in order (sequential
 * writes), and its dependency is pulled from their coefficients; a vertex
 * found bottom-up has its predecessors in dag[] instead, and pushes its
 * coefficients to them (push[], zero between sources). Either way each
 * edge of the shortest-path DAG is visited once.
 *
 * Levels are stored as 1 + level mod 255 in a byte (0: unreached), a
 * quarter of the memory of an int: neighbours in an undirected graph are
 * at most one level apart, so levels d - 1, d and d + 1 keep distinct
 * codes. (A directed graph has no such bound: bfs_source() serves it.) */

/* Find level d + 1 top-down from level d = order[fb .. fe). Returns the
 * new count of reached vertices; *top is dag's fill. */
static int32_t expand_top_down(const graph_t *g, work_t *w, int32_t fb,
                               int32_t fe, int32_t cnt, uint8_t next_code,
                               int64_t *top)
{
    const int64_t *off = g->off;
    const int32_t *nbr = g->nbr;
    uint8_t *restrict code = w->code;
    int32_t *restrict order = w->order, *restrict dag = w->dag;
    double *restrict sigma = w->sigma;
    int64_t t = *top;
    for (int32_t i = fb; i < fe; i++) {
        if (i + PREFETCH_ROW < fe) { /* a row is 1-3 cache lines */
            const int32_t *row = nbr + off[order[i + PREFETCH_ROW]];
            __builtin_prefetch(row);
            __builtin_prefetch(row + 16);
        }
        if (i + 2 * PREFETCH_ROW < fe) {
            __builtin_prefetch(off + order[i + 2 * PREFETCH_ROW]);
            __builtin_prefetch(sigma + order[i + 2 * PREFETCH_ROW]);
        }
        const int32_t v = order[i];
        const double sv = sigma[v];
        const int64_t first = t;
        for (int64_t k = off[v]; k < off[v + 1]; k++) {
            const int32_t x = nbr[k];
            const uint8_t cx = code[x];
            if (cx == 0) {
                code[x] = next_code;
                sigma[x] = sv;
                order[cnt++] = x;
                dag[t++] = x;
            } else if (cx == next_code) {
                sigma[x] += sv;
                dag[t++] = x;
            }
        }
        w->succ_len[i] = (int32_t)(t - first); /* at most a degree */
    }
    *top = t;
    return cnt;
}

/* Find level d + 1 bottom-up (level d = order[fb .. fe), reached
 * vertices marked), among the candidates unreached[0 .. *nun), which it
 * compacts to those still unreached. Returns the new count. */
static int32_t expand_bottom_up(const graph_t *g, work_t *w, int32_t fb,
                                int32_t fe, int32_t cnt, uint8_t next_code,
                                int32_t *nun, int64_t *top)
{
    const int64_t *off = g->off;
    const int32_t *nbr = g->nbr;
    uint8_t *restrict code = w->code;
    int32_t *restrict order = w->order, *restrict dag = w->dag;
    int32_t *restrict cand = w->unreached;
    double *restrict sigma = w->sigma;
    int64_t t = *top;
    int32_t keep = 0;
    for (int32_t i = fb; i < fe; i++)
        w->succ_len[i] = 0; /* no successor lists this level */
    for (int32_t u = 0; u < *nun; u++) {
        const int32_t x = cand[u];
        const int64_t first = t;
        double sx = 0;
        for (int64_t k = off[x]; k < off[x + 1]; k++) {
            const int32_t v = nbr[k];
            if (code[v]) {
                sx += sigma[v];
                dag[t++] = v;
            }
        }
        if (t == first) {
            cand[keep++] = x;
            continue;
        }
        sigma[x] = sx;
        w->pred_len[cnt] = (int32_t)(t - first);
        order[cnt++] = x;
    }
    *nun = keep;
    for (int32_t i = fe; i < cnt; i++)
        code[order[i]] = next_code; /* only now: see above */
    *top = t;
    return cnt;
}

/* The forward pass from s: levels in w->level[0 .. return value], the
 * vertices in w->order, sigma, and the DAG lists. Returns the number of
 * levels found. */
static int32_t forward_undirected(const graph_t *g, work_t *w, int32_t s,
                                  int32_t *reached)
{
    const int32_t n = g->n;
    const int64_t *off = g->off;
    int32_t cnt = 1, nl = 1, nun = -1;
    /* Everything reached is a level's frontier once, when its degrees
     * are summed: what is left is the degree of everyone unreached. */
    int64_t top = 0, unreached_deg = off[n];
    w->code[s] = 1;
    w->sigma[s] = 1;
    w->order[0] = s;
    w->level[0] = 0;
    w->level[1] = 1;
    w->bottom_up[0] = 0;
    for (int32_t d = 0; w->level[nl] > w->level[nl - 1]; d++) {
        const int32_t fb = w->level[nl - 1], fe = w->level[nl];
        const uint8_t next_code = (uint8_t)(1 + (d + 1) % 255);
        int64_t frontier_deg = 0;
        for (int32_t i = fb; i < fe; i++)
            frontier_deg += off[w->order[i] + 1] - off[w->order[i]];
        unreached_deg -= frontier_deg;
        const int up = unreached_deg + (n - cnt) < frontier_deg;
        if (up && nun < 0) { /* the first bottom-up level: list them */
            nun = 0;
            for (int32_t v = 0; v < n; v++)
                if (!w->code[v])
                    w->unreached[nun++] = v;
        }
        w->dag_mark[nl - 1] = top;
        if (up)
            cnt = expand_bottom_up(g, w, fb, fe, cnt, next_code, &nun, &top);
        else
            cnt = expand_top_down(g, w, fb, fe, cnt, next_code, &top);
        if (nun > 0 && !up) { /* keep the candidates a superset, smaller */
            int32_t keep = 0;
            for (int32_t u = 0; u < nun; u++)
                if (!w->code[w->unreached[u]])
                    w->unreached[keep++] = w->unreached[u];
            nun = keep;
        }
        w->bottom_up[nl] = (uint8_t)up;
        w->level[++nl] = cnt;
    }
    w->dag_mark[nl - 1] = top;
    *reached = cnt;
    return nl - 1; /* the last level is empty */
}

/* One source on the undirected collapse: as bfs_source(), by the method
 * above. */
static void bfs_undirected_source(const graph_t *g, work_t *w,
                                  const int32_t *grp, int32_t s, double *bet,
                                  double *cross)
{
    int32_t cnt;
    const int32_t nl = forward_undirected(g, w, s, &cnt);
    const int32_t gs = grp[s];
    const int32_t *restrict order = w->order, *restrict dag = w->dag;
    const double *restrict sigma = w->sigma;
    coef_t *restrict coef = w->coef, *restrict push = w->push;
    for (int32_t L = nl - 1; L >= 1; L--) {
        /* Level L's successor lists (if it was expanded top-down) end
         * where its expansion ended; its predecessor lists (if it was
         * found bottom-up) where the expansion of level L - 1 ended. Both
         * are walked from their ends, positions in reverse. */
        const int pulled_by_next = w->bottom_up[L + 1];
        int64_t sk = w->dag_mark[L + 1], pk = w->dag_mark[L];
        for (int32_t i = w->level[L + 1] - 1; i >= w->level[L]; i--) {
            const int32_t v = order[i];
            if (i >= PREFETCH_SUM) { /* the sums of a vertex to come */
                const int32_t y = order[i - PREFETCH_SUM];
                __builtin_prefetch(bet + y, 1);
                __builtin_prefetch(cross + y, 1);
                __builtin_prefetch(push + y, 1);
                __builtin_prefetch(sigma + y);
            }
            double sa = 0, sx = 0;
            if (pulled_by_next) {
                sa = push[v].all;
                sx = push[v].cross;
                push[v] = (coef_t){0, 0};
            } else {
                sk -= w->succ_len[i];
                for (int64_t k = sk; k < sk + w->succ_len[i]; k++) {
                    sa += coef[dag[k]].all;
                    sx += coef[dag[k]].cross;
                }
            }
            const double sv = sigma[v], da = sv * sa, dx = sv * sx;
            bet[v] += da;
            cross[v] += dx;
            const coef_t c = {(1.0 + da) / sv,
                              ((grp[v] != gs ? 1.0 : 0.0) + dx) / sv};
            coef[v] = c;
            if (w->bottom_up[L]) {
                pk -= w->pred_len[i];
                for (int64_t k = pk; k < pk + w->pred_len[i]; k++) {
                    push[dag[k]].all += c.all;
                    push[dag[k]].cross += c.cross;
                }
            }
        }
    }
    push[s] = (coef_t){0, 0}; /* level 1 found bottom-up pushes here */
    for (int32_t i = 0; i < cnt; i++)
        w->code[order[i]] = 0;
}

/* Shortest paths from s by Dijkstra with lengths len (> 0; infinite arcs
 * are skipped). A vertex joins order when it leaves the heap, so order is
 * by nondecreasing distance, and a vertex already out of the heap never
 * gains predecessors. Returns the number of vertices reached. */
static int32_t sssp_dijkstra(const graph_t *g, work_t *w, int32_t s)
{
    int32_t cnt = 0, size = 0;
    w->dist[s] = 0;
    w->st[s].sigma = 1;
    w->heap[size++] = s;
    w->hpos[s] = 0;
    while (size > 0) {
        const int32_t v = w->heap[0];
        w->hpos[v] = -2;
        if (--size > 0) {
            w->heap[0] = w->heap[size];
            heap_down(w, 0, size);
        }
        w->order[cnt++] = v;
        const double dv = w->dist[v], sv = w->st[v].sigma;
        for (int64_t k = g->off[v]; k < g->off[v + 1]; k++) {
            const double l = g->len[k];
            const int32_t x = g->nbr[k];
            if (isinf(l) || w->hpos[x] == -2)
                continue;
            const double alt = dv + l;
            if (w->dist[x] < 0) {
                w->dist[x] = alt;
                w->st[x].sigma = sv;
                w->npred[x] = 1;
                w->pred[g->poff[x]] = v;
                w->heap[size] = x;
                heap_up(w, size++);
            } else if (same_length(alt, w->dist[x])) {
                w->st[x].sigma += sv;
                w->pred[g->poff[x] + w->npred[x]++] = v;
            } else if (alt < w->dist[x]) {
                w->dist[x] = alt;
                w->st[x].sigma = sv;
                w->npred[x] = 1;
                w->pred[g->poff[x]] = v;
                heap_up(w, w->hpos[x]);
            }
        }
    }
    return cnt;
}

/* One source by Dijkstra: shortest paths from s, then both dependencies
 * accumulated in reverse order of distance into bet[] and cross[]
 * (unscaled), and the reached part of the work arrays reset. */
static void dijkstra_source(const graph_t *g, work_t *w, const int32_t *grp,
                            int32_t s, double *bet, double *cross)
{
    const int32_t cnt = sssp_dijkstra(g, w, s);
    const int32_t gs = grp[s];
    for (int32_t i = cnt - 1; i >= 0; i--) {
        const int32_t x = w->order[i];
        const double ca = (1.0 + w->st[x].delta) / w->st[x].sigma;
        const double cx =
            ((grp[x] != gs ? 1.0 : 0.0) + w->st[x].deltax) / w->st[x].sigma;
        const int32_t *p = w->pred + g->poff[x];
        for (int32_t k = 0; k < w->npred[x]; k++) {
            const int32_t v = p[k];
            w->st[v].delta += w->st[v].sigma * ca;
            w->st[v].deltax += w->st[v].sigma * cx;
        }
        if (x != s) {
            bet[x] += w->st[x].delta;
            cross[x] += w->st[x].deltax;
        }
    }
    for (int32_t i = 0; i < cnt; i++) {
        const int32_t x = w->order[i];
        w->st[x].sigma = w->st[x].delta = w->st[x].deltax = 0;
        w->dist[x] = -1;
        w->npred[x] = 0;
        w->hpos[x] = -1;
    }
}

/* The sources of one run and where their dependencies go: acc[k] holds
 * share k's sums, betweenness in acc[k][0 .. n) and cross_betweenness in
 * acc[k][n .. 2n). Workers claim whole shares; they read everything else
 * and write only the shares they claimed, their own work arrays and the
 * atomics. */
typedef struct job {
    const graph_t *g;
    const int32_t *grp;     /* group of each vertex */
    const int32_t *sources; /* NULL: every vertex, in order */
    int32_t nsrc;
    double *acc[SHARES];
    atomic_int next_share; /* the next share nobody has claimed */
    atomic_int stop;       /* set by run()'s thread: cancelled */
    atomic_llong done;     /* sources begun, for progress */
    pthread_mutex_t lock;  /* guards finished */
    pthread_cond_t cond;   /* signalled when a worker finishes */
    int finished;          /* worker threads done */
} job_t;

typedef struct worker {
    job_t *job;
    work_t w;
    int started; /* a thread runs it */
    pthread_t tid;
} worker_t;

/* Claim shares and run their sources until none is left. When api is not
 * NULL (the thread of run() itself) poll cancellation and report progress
 * here. Returns 0, or 1 when stopped. */
static int run_shares(worker_t *k, const spand_api_t *api, spand_run_t *r)
{
    job_t *job = k->job;
    const int32_t n = job->g->n;
    int sh;
    while ((sh = atomic_fetch_add(&job->next_share, 1)) < SHARES) {
        double *acc = job->acc[sh];
        for (int64_t i = sh; i < job->nsrc; i += SHARES) {
            if (atomic_load_explicit(&job->stop, memory_order_relaxed))
                return 1;
            const long long d =
                atomic_fetch_add_explicit(&job->done, 1, memory_order_relaxed);
            /* One source costs O(M): polling every 16 is cheap enough
             * and still prompt on the largest views. */
            if (api && (d & 15) == 0) {
                if (api->cancelled(r)) {
                    atomic_store(&job->stop, 1);
                    return 1;
                }
                api->progress(r, (double)d / (double)job->nsrc);
            }
            const int32_t s = job->sources ? job->sources[i] : (int32_t)i;
            if (job->g->len)
                dijkstra_source(job->g, &k->w, job->grp, s, acc, acc + n);
            else if (job->g->undirected)
                bfs_undirected_source(job->g, &k->w, job->grp, s, acc, acc + n);
            else
                bfs_source(job->g, &k->w, job->grp, s, acc, acc + n);
        }
    }
    return 0;
}

static void *worker_main(void *arg)
{
    worker_t *k = arg;
    run_shares(k, NULL, NULL);
    pthread_mutex_lock(&k->job->lock);
    k->job->finished++;
    pthread_cond_signal(&k->job->cond);
    pthread_mutex_unlock(&k->job->lock);
    return NULL;
}

/* Wait until `started` workers have finished, polling cancellation and
 * reporting progress every 20 ms meanwhile. The wait ends the moment the
 * last worker signals: a run costs its work, not a multiple of a tick
 * (on small views the whole computation takes a few milliseconds). */
static void wait_workers(const spand_api_t *api, spand_run_t *r, job_t *job,
                         int started)
{
    pthread_mutex_lock(&job->lock);
    while (job->finished < started) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 20 * 1000 * 1000;
        if (until.tv_nsec >= 1000 * 1000 * 1000) {
            until.tv_sec++;
            until.tv_nsec -= 1000 * 1000 * 1000;
        }
        pthread_cond_timedwait(&job->cond, &job->lock, &until);
        if (job->finished >= started)
            break;
        pthread_mutex_unlock(&job->lock);
        if (api->cancelled(r))
            atomic_store(&job->stop, 1);
        api->progress(r, (double)atomic_load(&job->done) / (double)job->nsrc);
        pthread_mutex_lock(&job->lock);
    }
    pthread_mutex_unlock(&job->lock);
}

/* Run every source on nthreads threads: this thread and nthreads - 1
 * workers, all claiming shares until none is left (a worker that could not
 * be started leaves its part to the others, so the result is the same).
 * This thread polls cancellation between its sources, then while it waits
 * for the workers. Returns 0, 1 if cancelled, -1 out of memory. */
static int run_job(const spand_api_t *api, spand_run_t *r, job_t *job,
                   int nthreads)
{
    worker_t ks[SHARES];
    int made = 0, started = 0, rc = 0;
    memset(ks, 0, sizeof ks);
    if (pthread_mutex_init(&job->lock, NULL) != 0)
        return -1;
    if (pthread_cond_init(&job->cond, NULL) != 0) {
        pthread_mutex_destroy(&job->lock);
        return -1;
    }
    for (; made < nthreads; made++) {
        ks[made].job = job;
        if (work_init(&ks[made].w, job->g) != 0) {
            work_free(&ks[made].w);
            rc = -1;
            goto out;
        }
    }
    for (int t = 1; t < nthreads; t++) {
        ks[t].started =
            pthread_create(&ks[t].tid, NULL, worker_main, &ks[t]) == 0;
        started += ks[t].started;
    }
    if (started < nthreads - 1)
        api->log(r, SPAND_LOG_WARNING,
                 "boundary_betweenness: %d of %d threads started", started + 1,
                 nthreads);
    run_shares(&ks[0], api, r);
    wait_workers(api, r, job, started);
    for (int t = 1; t < nthreads; t++)
        if (ks[t].started)
            pthread_join(ks[t].tid, NULL);
    if (atomic_load(&job->stop))
        rc = 1;
out:
    for (int t = 0; t < made; t++)
        work_free(&ks[t].w);
    pthread_cond_destroy(&job->cond);
    pthread_mutex_destroy(&job->lock);
    return rc;
}

/* Threads for a run: as asked, or one per online processor; at most
 * SHARES, and one when there is too little work to share. */
static int thread_count(int64_t asked, int32_t nsrc)
{
    long t = asked > 0 ? (long)(asked < SHARES ? asked : SHARES)
                       : sysconf(_SC_NPROCESSORS_ONLN);
    if (t < 1)
        t = 1;
    if (t > SHARES)
        t = SHARES;
    if (nsrc < 64)
        t = 1;
    return (int)t;
}

/* The first k entries of a partial Fisher-Yates shuffle of 0..n-1: k
 * distinct vertices, uniformly. Returns NULL when out of memory. */
static int32_t *sample_sources(int32_t n, int32_t k, uint64_t seed)
{
    int32_t *idx = malloc(((size_t)n + 1) * sizeof *idx);
    if (!idx)
        return NULL;
    for (int32_t i = 0; i < n; i++)
        idx[i] = i;
    uint64_t st = seed;
    for (int32_t i = 0; i < k; i++) {
        const int32_t j = i + (int32_t)uniform_below(&st, (uint64_t)(n - i));
        const int32_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    return idx;
}

static double ratio(double a, double b)
{
    return b != 0 ? a / b : NAN;
}

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *view)
{
    (void)state;
    const int directed = api->param_bool(r, "directed");
    const int weighted = api->param_bool(r, "weighted");
    const int64_t sample = api->param_int(r, "sample");
    const uint64_t seed = (uint64_t)api->param_int(r, "seed");
    const int64_t threads = api->param_int(r, "threads");
    const igraph_vector_int_t *grp = view->group;
    const igraph_integer_t G = view->ngroups;
    graph_t g;
    job_t job;
    double *gsum = NULL;
    int32_t *sources = NULL;
    int rc = -1, bad = 0;

    memset(&job, 0, sizeof job);
    if (sample < 0 || threads < 0) {
        api->log(r, SPAND_LOG_ERR,
                 "boundary_betweenness: sample and threads must be >= 0, "
                 "not %lld and %lld",
                 (long long)sample, (long long)threads);
        return -1;
    }
    if (graph_build(api, r, view, directed, weighted, &g) != 0)
        return -1;
    const int32_t n = g.n;
    const int estimated = sample > 0 && sample < n;
    const int32_t nsrc = estimated ? (int32_t)sample : n;

    job.g = &g;
    job.grp = g.grp;
    job.nsrc = nsrc;
    int oom = 0;
    for (int k = 0; k < SHARES; k++)
        oom |= !(job.acc[k] = calloc(2 * (size_t)n + 1, sizeof(double)));
    gsum = calloc(2 * (size_t)G + 1, sizeof *gsum);
    if (oom || !gsum ||
        (estimated && !(sources = sample_sources(n, nsrc, seed)))) {
        api->log(r, SPAND_LOG_ERR,
                 "boundary_betweenness: out of memory (%lld people)",
                 (long long)n);
        goto out;
    }
    job.sources = sources;
    const int t = run_job(api, r, &job, thread_count(threads, nsrc));
    if (t != 0) {
        if (t > 0)
            api->log(r, SPAND_LOG_INFO, "boundary_betweenness: cancelled");
        else
            api->log(r, SPAND_LOG_ERR,
                     "boundary_betweenness: out of memory (%lld people, "
                     "work arrays)",
                     (long long)n);
        goto out;
    }

    /* Undirected: every unordered pair was reached from both ends.
     * Sampled: each source stands for n / nsrc sources. */
    double scale = directed ? 1.0 : 0.5;
    if (estimated)
        scale *= (double)n / (double)nsrc;
    double tb = 0, tx = 0;
    for (int32_t v = 0; v < n; v++) {
        double b = 0, x = 0;
        for (int k = 0; k < SHARES; k++) {
            b += job.acc[k][v];
            x += job.acc[k][n + v];
        }
        b *= scale;
        x *= scale;
        const igraph_integer_t gv = VECTOR(*grp)[v];
        bad |= api->set(r, SPAND_TABLE_VERTEX, v, V_CROSS, x);
        bad |= api->set(r, SPAND_TABLE_VERTEX, v, V_BETW, b);
        bad |= api->set(r, SPAND_TABLE_VERTEX, v, V_SHARE, ratio(x, b));
        gsum[2 * gv] += x;
        gsum[2 * gv + 1] += b;
        tx += x;
        tb += b;
    }
    for (igraph_integer_t k = 0; k < G; k++) {
        bad |= api->set(r, SPAND_TABLE_GROUP, k, G_CROSS, gsum[2 * k]);
        bad |= api->set(r, SPAND_TABLE_GROUP, k, G_BETW, gsum[2 * k + 1]);
        bad |= api->set(r, SPAND_TABLE_GROUP, k, G_SHARE,
                        ratio(gsum[2 * k], gsum[2 * k + 1]));
    }
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_CROSS, tx);
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_BETW, tb);
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_SHARE, ratio(tx, tb));
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_SOURCES, (double)nsrc);
    if (bad) {
        api->log(r, SPAND_LOG_ERR,
                 "boundary_betweenness: a result cell was refused");
        goto out;
    }
    if (estimated) {
        char note[200];
        snprintf(note, sizeof note,
                 "estimated from %d random sources of %d people (Brandes & "
                 "Pich 2007, seed %lld): betweenness values are scaled by "
                 "%d/%d",
                 (int)nsrc, (int)n, (long long)seed, (int)n, (int)nsrc);
        api->note(r, note);
    } else if (sample > 0) {
        char note[160];
        snprintf(note, sizeof note,
                 "sample %lld >= %d people: computed exactly from every "
                 "source",
                 (long long)sample, (int)n);
        api->note(r, note);
    }
    api->progress(r, 1.0);
    rc = 0;
out:
    graph_free(&g);
    for (int k = 0; k < SHARES; k++)
        free(job.acc[k]);
    free(gsum);
    free(sources);
    return rc;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "boundary_betweenness",
    .version = "1.0",
    .summary = "betweenness on shortest paths between groups (cross-group "
               "brokerage), exact or sampled",
    .licence = "MIT",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
