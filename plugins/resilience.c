/* resilience.c - who holds each boundary together (METRICS.md,
 * "resilience").
 *
 * On the undirected collapse of the view (an edge {i, j} when either arc
 * exists; weights play no part). For every pair of groups s < t:
 *   direct_ties       edges with one end in s and the other in t;
 *   holders           the fewest people who between them take part in every
 *                     direct s-t tie: a minimum vertex cover of the
 *                     bipartite graph of s-t edges, whose size is (König)
 *                     that of a maximum matching, found by Hopcroft-Karp;
 *   holder_ids        one minimum cover, by König's construction (below),
 *                     ids in the view's order (byte order), ", "-joined;
 *   top_holder(_share) the person with the most s-t ties, the lowest id
 *                     among equals, and that count / direct_ties (null,
 *                     both, when there is no direct tie);
 *   cut_size          with the direct s-t ties set aside, the least number
 *                     of people outside s and t whose removal leaves no path
 *                     from s to t: a minimum vertex separator through third
 *                     groups (0 when there is no such path);
 *   separator         the ids of one minimum separator, the one closest to
 *                     s (below), in the view's order; "" for a cut of 0.
 * Per person `holder_count` and `separator_count`: in how many pairs'
 * reported covers / separators the person stands. Network: `min_holders`,
 * the least `holders` of a directly tied pair (null when none is), and
 * `pairs_disconnected`, pairs with no direct tie and no path.
 *
 * Holders. The s-t edges are bucketed by pair (each edge is in one pair),
 * so all the matchings together cost O(M sqrt(N)). König's cover with s
 * on the left: Z = the people reachable from unmatched members of s by
 * alternating paths (any edge from s to t, matched edges back); the cover
 * is (s-side not in Z) + (t-side in Z). Z does not depend on which
 * maximum matching was found (Dulmage-Mendelsohn), so the reported cover
 * is that of networkx `to_vertex_cover` with s as top nodes.
 *
 * Separator. Each group is contracted into one node (its members are never
 * removable), every other person v is split into v_in -> v_out of capacity
 * 1, every edge {u, v} becomes u_out -> v_in and v_out -> u_in of capacity
 * "infinite" (more than N), and the source is the contracted s, the sink
 * the contracted t. By Menger's theorem the maximum flow is the minimum
 * vertex separator. Dinic's algorithm: every augmenting path carries one
 * unit (each path from s to t enters some v_in whose only way on is its
 * unit arc), the network is a unit network of type 2, so a pair costs
 * O(M sqrt(N)) time; memory O(N + M), reused across pairs. Minimum
 * separators are not unique: the one reported is the people v whose v_in
 * is reachable from s in the final residual network and whose v_out is
 * not, the least source side of all minimum cuts, so it does not depend
 * on the order of arcs.
 *
 * Pairs are every s < t of the view's groups, so G(G-1)/2 flows. Dinic
 * needs one phase per distinct length of augmenting path: a handful on
 * small-world networks (measured: about 0.5 s a pair on 100k people and
 * 1M ties), but hundreds where groups lie far apart along long chains. A
 * group with no member in the view (possible only in a two-window view)
 * has no tie and no path: direct_ties 0, holders 0, cut_size 0.
 */
#include <spand/plugin.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { V_HOLDCOUNT, V_SEPCOUNT };
enum {
    P_DIRECT,
    P_HOLDERS,
    P_HOLDER_IDS,
    P_TOP,
    P_TOP_SHARE,
    P_CUT,
    P_SEPARATOR
};
enum { N_MIN_HOLDERS, N_DISCONNECTED };

static const spand_column_t columns[] = {
    {SPAND_TABLE_VERTEX, "holder_count", SPAND_INT,
     "group pairs whose reported minimum cover of the direct ties includes "
     "the person"},
    {SPAND_TABLE_VERTEX, "separator_count", SPAND_INT,
     "group pairs whose reported minimum separator includes the person"},
    {SPAND_TABLE_PAIR, "direct_ties", SPAND_INT,
     "ties between a member of one group and a member of the other"},
    {SPAND_TABLE_PAIR, "holders", SPAND_INT,
     "fewest people who between them take part in every direct tie "
     "(minimum vertex cover)"},
    {SPAND_TABLE_PAIR, "holder_ids", SPAND_STRING,
     "ids of one minimum cover of the direct ties, joined by \", \""},
    {SPAND_TABLE_PAIR, "top_holder", SPAND_STRING,
     "the person with the most direct ties across the pair (null without "
     "any)"},
    {SPAND_TABLE_PAIR, "top_holder_share", SPAND_REAL,
     "top_holder's share of the direct ties (null without any)"},
    {SPAND_TABLE_PAIR, "cut_size", SPAND_INT,
     "with the direct ties set aside, fewest people outside both groups "
     "whose departure disconnects them (0: no such path)"},
    {SPAND_TABLE_PAIR, "separator", SPAND_STRING,
     "ids of one minimum separator (the one closest to group_a), joined "
     "by \", \""},
    {SPAND_TABLE_NETWORK, "min_holders", SPAND_INT,
     "the fewest holders of any directly tied pair of groups (null when "
     "none is tied)"},
    {SPAND_TABLE_NETWORK, "pairs_disconnected", SPAND_INT,
     "pairs of groups with no direct tie and no path"},
};

/* The undirected collapse as compressed rows: the neighbours of v are
 * nbr[off[v] .. off[v+1]), each once. */
typedef struct adj {
    int32_t n;
    int64_t *off;
    int32_t *nbr;
} adj_t;

static void adj_free(adj_t *a)
{
    free(a->off);
    free(a->nbr);
}

/* Build the collapse: each arc enters the rows of both ends, then the
 * duplicate that i->j and j->i leave in a row is dropped (mark[j] = the
 * last row that saw j). Returns 0, or -1 after logging. */
static int adj_build(const spand_api_t *api, spand_run_t *r,
                     const spand_view_t *view, adj_t *a)
{
    const igraph_t *ig = view->graph;
    const igraph_integer_t n = igraph_vcount(ig), arcs = igraph_ecount(ig);
    int64_t *cursor = NULL;
    int32_t *mark = NULL;
    int rc = -1;

    memset(a, 0, sizeof *a);
    if (n >= INT32_MAX / 2 - 2) {
        api->log(r, SPAND_LOG_ERR, "resilience: view too large (%lld people)",
                 (long long)n);
        return -1;
    }
    a->n = (int32_t)n;
    a->off = calloc((size_t)n + 1, sizeof *a->off);
    a->nbr = malloc(2 * ((size_t)arcs + 1) * sizeof *a->nbr);
    cursor = malloc(((size_t)n + 1) * sizeof *cursor);
    mark = malloc(((size_t)n + 1) * sizeof *mark);
    if (!a->off || !a->nbr || !cursor || !mark) {
        api->log(r, SPAND_LOG_ERR,
                 "resilience: out of memory (%lld people, %lld arcs)",
                 (long long)n, (long long)arcs);
        adj_free(a);
        goto out;
    }
    for (igraph_integer_t e = 0; e < arcs; e++) {
        a->off[IGRAPH_FROM(ig, e) + 1]++;
        a->off[IGRAPH_TO(ig, e) + 1]++;
    }
    for (int32_t v = 0; v < a->n; v++)
        a->off[v + 1] += a->off[v];
    memcpy(cursor, a->off, (size_t)n * sizeof *cursor);
    for (igraph_integer_t e = 0; e < arcs; e++) {
        const int32_t x = (int32_t)IGRAPH_FROM(ig, e);
        const int32_t y = (int32_t)IGRAPH_TO(ig, e);
        a->nbr[cursor[x]++] = y;
        a->nbr[cursor[y]++] = x;
    }
    for (int32_t v = 0; v < a->n; v++)
        mark[v] = -1;
    int64_t put = 0, begin = 0;
    for (int32_t v = 0; v < a->n; v++) {
        const int64_t end = a->off[v + 1];
        a->off[v] = put;
        for (int64_t k = begin; k < end; k++) {
            const int32_t j = a->nbr[k];
            if (mark[j] != v && j != v) {
                mark[j] = v;
                a->nbr[put++] = j;
            }
        }
        begin = end;
    }
    a->off[n] = put;
    rc = 0;
out:
    free(cursor);
    free(mark);
    return rc;
}

/* "Infinite" capacity: more than any cut (at most N people). */
#define CAP_INF (INT32_MAX / 2)

/* An arc of the residual network: its head, residual capacity and the
 * index of its paired reverse arc, together because the searches read
 * them together (the flow is bound by memory latency). */
typedef struct arc {
    int32_t to;
    int32_t cap;
    int32_t rev;
} arc_t;

/* The flow network of one pair, rebuilt for each pair in arrays sized for
 * the largest case once. Nodes: 2v (v_in) and 2v+1 (v_out) for each
 * person v, S = 2N, T = 2N+1 (members of s and t are S and T; their own
 * in/out nodes stay unused). Arcs leaving node u are arc[head[u] ..
 * head[u+1]). Arc indices fit 32 bits (checked in flow_alloc). */
typedef struct flow {
    int32_t nodes;
    int32_t *head; /* nodes + 1 */
    int32_t *fill; /* nodes: build cursor; then Dinic's current arc */
    arc_t *arc;
    int32_t *level; /* BFS level, -1 unreached */
    int32_t *queue; /* BFS queue */
    int32_t *path;  /* DFS: arcs of the current path */
    int32_t *stack; /* DFS: the nodes the path leaves from */
} flow_t;

static void flow_free(flow_t *f)
{
    free(f->head);
    free(f->fill);
    free(f->arc);
    free(f->level);
    free(f->queue);
    free(f->path);
    free(f->stack);
}

/* Arrays for a network of the collapse a: at most one unit arc per person
 * and two arcs per edge, each with its reverse. */
static int flow_alloc(const spand_api_t *api, spand_run_t *r, flow_t *f,
                      const adj_t *a)
{
    const size_t nodes = 2 * (size_t)a->n + 2;
    const size_t arcs = 2 * ((size_t)a->n + (size_t)a->off[a->n]) + 1;
    memset(f, 0, sizeof *f);
    if (arcs >= INT32_MAX) {
        api->log(r, SPAND_LOG_ERR, "resilience: view too large (%lld ties)",
                 (long long)a->off[a->n] / 2);
        return -1;
    }
    f->nodes = (int32_t)nodes;
    f->head = malloc((nodes + 1) * sizeof *f->head);
    f->fill = malloc(nodes * sizeof *f->fill);
    f->arc = malloc(arcs * sizeof *f->arc);
    f->level = malloc(nodes * sizeof *f->level);
    f->queue = malloc(nodes * sizeof *f->queue);
    f->path = malloc(nodes * sizeof *f->path);
    f->stack = malloc(nodes * sizeof *f->stack);
    if (!f->head || !f->fill || !f->arc || !f->level || !f->queue || !f->path ||
        !f->stack) {
        api->log(r, SPAND_LOG_ERR,
                 "resilience: out of memory (%lld people, %lld ties)",
                 (long long)a->n, (long long)a->off[a->n] / 2);
        return -1;
    }
    return 0;
}

/* The role of person v for the pair (s, t): its contracted node if in s
 * or t, else -1 (removable). */
static int32_t contracted(const flow_t *f, igraph_integer_t gv,
                          igraph_integer_t s, igraph_integer_t t)
{
    return gv == s ? f->nodes - 2 : gv == t ? f->nodes - 1 : -1;
}

/* One arc x -> y of capacity c and its reverse: counted into head[] on
 * the first pass (fill = 0), stored on the second. */
static void emit(flow_t *f, int fill, int32_t x, int32_t y, int32_t c)
{
    if (!fill) {
        f->head[x + 1]++;
        f->head[y + 1]++;
        return;
    }
    const int32_t p = f->fill[x]++, q = f->fill[y]++;
    f->arc[p] = (arc_t){y, c, q};
    f->arc[q] = (arc_t){x, 0, p};
}

/* Every arc of the network of pair (s, t), to emit(). Counting and
 * filling take the same walk so that they cannot disagree. Each edge
 * {v, u} is met in both rows and gives v_out -> u_in from v's row. Arcs
 * into S, out of T and inside a group are left out: no augmenting path
 * can use them. The direct s-t ties (S -> T) are set aside: the cut is
 * of the paths through third groups (METRICS.md). */
static void flow_walk(flow_t *f, int fill, const adj_t *a,
                      const igraph_vector_int_t *grp, igraph_integer_t s,
                      igraph_integer_t t)
{
    const int32_t S = f->nodes - 2, T = f->nodes - 1;
    for (int32_t v = 0; v < a->n; v++) {
        const int32_t cv = contracted(f, VECTOR(*grp)[v], s, t);
        if (cv < 0 && a->off[v + 1] > a->off[v])
            emit(f, fill, 2 * v, 2 * v + 1, 1);
        if (cv == T)
            continue;
        const int32_t from = cv >= 0 ? cv : 2 * v + 1;
        for (int64_t k = a->off[v]; k < a->off[v + 1]; k++) {
            const int32_t u = a->nbr[k];
            const int32_t cu = contracted(f, VECTOR(*grp)[u], s, t);
            const int32_t into = cu >= 0 ? cu : 2 * u;
            if (into != from && into != S && !(from == S && into == T))
                emit(f, fill, from, into, CAP_INF);
        }
    }
}

/* Build the network of pair (s, t): count arcs per node, then fill. */
static void flow_build(flow_t *f, const adj_t *a,
                       const igraph_vector_int_t *grp, igraph_integer_t s,
                       igraph_integer_t t)
{
    memset(f->head, 0, ((size_t)f->nodes + 1) * sizeof *f->head);
    flow_walk(f, 0, a, grp, s, t);
    for (int32_t u = 0; u < f->nodes; u++)
        f->head[u + 1] += f->head[u];
    memcpy(f->fill, f->head, (size_t)f->nodes * sizeof *f->fill);
    flow_walk(f, 1, a, grp, s, t);
}

/* Levels from S over arcs with residual capacity; stops expanding at T's
 * level. Returns 1 if T was reached. When it is not, level >= 0 marks
 * exactly the nodes reachable from S in the residual network. */
static int flow_bfs(flow_t *f)
{
    const int32_t S = f->nodes - 2, T = f->nodes - 1;
    int32_t head = 0, tail = 0, tlevel = INT32_MAX;
    for (int32_t u = 0; u < f->nodes; u++)
        f->level[u] = -1;
    f->level[S] = 0;
    f->queue[tail++] = S;
    while (head < tail) {
        const int32_t u = f->queue[head++];
        if (f->level[u] >= tlevel)
            break;
        for (int32_t k = f->head[u]; k < f->head[u + 1]; k++) {
            const int32_t x = f->arc[k].to;
            if (f->arc[k].cap > 0 && f->level[x] < 0) {
                f->level[x] = f->level[u] + 1;
                if (x == T)
                    tlevel = f->level[x];
                f->queue[tail++] = x;
            }
        }
    }
    return f->level[T] >= 0;
}

/* Augment along level-increasing paths until none is left (a blocking
 * flow), by an iterative depth-first search with current-arc pointers
 * (no recursion: paths can be as long as the view). Every path carries one
 * unit (see the file comment). Returns the units sent. */
static int64_t flow_blocking(flow_t *f)
{
    const int32_t S = f->nodes - 2, T = f->nodes - 1;
    int64_t sent = 0;
    int32_t depth = 0, u = S;
    memcpy(f->fill, f->head, (size_t)f->nodes * sizeof *f->fill);
    for (;;) {
        if (u == T) {
            for (int32_t i = 0; i < depth; i++) {
                arc_t *e = &f->arc[f->path[i]];
                e->cap -= 1;
                f->arc[e->rev].cap += 1;
            }
            sent++;
            depth = 0;
            u = S;
            continue;
        }
        int32_t k = f->fill[u];
        const int32_t end = f->head[u + 1], next = f->level[u] + 1;
        while (k < end &&
               !(f->arc[k].cap > 0 && f->level[f->arc[k].to] == next))
            k++;
        f->fill[u] = k;
        if (k < end) {
            f->stack[depth] = u;
            f->path[depth++] = k;
            u = f->arc[k].to;
            continue;
        }
        /* Dead end: no path to T through u in this phase. */
        f->level[u] = -1;
        if (depth == 0)
            break;
        u = f->stack[--depth];
        f->fill[u]++;
    }
    return sent;
}

/* Text grown by appending: the id lists of covers and separators. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf_t;

/* Append s. Returns 0, or -1 out of memory. */
static int sbuf_add(sbuf_t *b, const char *s)
{
    const size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (b->len + n + 1 > c)
            c *= 2;
        char *p = realloc(b->p, c);
        if (!p)
            return -1;
        b->p = p;
        b->cap = c;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
    return 0;
}

/* The ids of people ids[0 .. n) (view indices, ascending) joined by ", "
 * into b. Returns 0, or -1 out of memory. */
static int sbuf_ids(sbuf_t *b, const spand_view_t *view, const int32_t *ids,
                    int32_t n)
{
    b->len = 0;
    if (sbuf_add(b, "") != 0)
        return -1;
    for (int32_t i = 0; i < n; i++)
        if ((i > 0 && sbuf_add(b, ", ") != 0) ||
            sbuf_add(b, view->keys[ids[i]]) != 0)
            return -1;
    return 0;
}

static int cmp_i32(const void *a, const void *b)
{
    const int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* A direct tie between groups s < t: key = s * G + t, l the member of s,
 * r the member of t. Sorted by (key, l, r), the ties of one pair are
 * consecutive and grouped by l, which makes them the pair's adjacency
 * rows as they stand. */
typedef struct xedge {
    int64_t key;
    int32_t l, r;
} xedge_t;

static int xedge_cmp(const void *a, const void *b)
{
    const xedge_t *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->l != y->l)
        return x->l < y->l ? -1 : 1;
    return (x->r > y->r) - (x->r < y->r);
}

/* The bipartite graph of one pair's direct ties, for Hopcroft-Karp.
 * Local nodes: left 0 .. nl (members of s), right nl .. nl + nr (members
 * of t); arrays sized for the whole view once and reused per pair. */
#define HK_INF INT32_MAX
typedef struct hk {
    int32_t nl, nr, dlim;
    int32_t *loc;   /* person -> local index within its side, -1 if none */
    int32_t *who;   /* local node -> person */
    int32_t *off;   /* left l's ties: adj[off[l] .. off[l + 1]) */
    int32_t *adj;   /* right local index 0 .. nr */
    int32_t *deg;   /* local node -> its direct ties in the pair */
    int32_t *mate;  /* local node -> matched node's index in its side, -1 */
    int32_t *dist;  /* left l -> BFS layer */
    int32_t *it;    /* left l -> current tie of the DFS */
    int32_t *stack; /* BFS queue, DFS path, König queue (left nodes) */
    char *inz;      /* local node -> in König's Z */
    int32_t *cover; /* people of the cover */
} hk_t;

static void hk_free(hk_t *h)
{
    free(h->loc);
    free(h->who);
    free(h->off);
    free(h->adj);
    free(h->deg);
    free(h->mate);
    free(h->dist);
    free(h->it);
    free(h->stack);
    free(h->inz);
    free(h->cover);
}

/* Arrays for n people and at most m direct ties in a pair. */
static int hk_alloc(hk_t *h, int32_t n, int64_t m)
{
    const size_t N = (size_t)n + 1;
    memset(h, 0, sizeof *h);
    h->loc = malloc(N * sizeof *h->loc);
    h->who = malloc(N * sizeof *h->who);
    h->off = malloc((N + 1) * sizeof *h->off);
    h->adj = malloc(((size_t)m + 1) * sizeof *h->adj);
    h->deg = malloc(N * sizeof *h->deg);
    h->mate = malloc(N * sizeof *h->mate);
    h->dist = malloc(N * sizeof *h->dist);
    h->it = malloc(N * sizeof *h->it);
    h->stack = malloc(N * sizeof *h->stack);
    h->inz = malloc(N);
    h->cover = malloc(N * sizeof *h->cover);
    if (!h->loc || !h->who || !h->off || !h->adj || !h->deg || !h->mate ||
        !h->dist || !h->it || !h->stack || !h->inz || !h->cover)
        return -1;
    for (int32_t v = 0; v < n; v++)
        h->loc[v] = -1;
    return 0;
}

/* Load the ties x[0 .. k) of one pair (sorted as xedge_cmp says). */
static void hk_load(hk_t *h, const xedge_t *x, int64_t k)
{
    h->nl = h->nr = 0;
    for (int64_t i = 0; i < k; i++)
        if (h->loc[x[i].l] < 0) {
            h->off[h->nl] = (int32_t)i;
            h->loc[x[i].l] = h->nl;
            h->who[h->nl++] = x[i].l;
        }
    h->off[h->nl] = (int32_t)k;
    for (int64_t i = 0; i < k; i++)
        if (h->loc[x[i].r] < 0) {
            h->loc[x[i].r] = h->nr;
            h->who[h->nl + h->nr++] = x[i].r;
        }
    const int32_t nodes = h->nl + h->nr;
    for (int32_t u = 0; u < nodes; u++) {
        h->deg[u] = 0;
        h->mate[u] = -1;
    }
    for (int64_t i = 0; i < k; i++) {
        const int32_t r = h->loc[x[i].r];
        h->adj[i] = r;
        h->deg[h->loc[x[i].l]]++;
        h->deg[h->nl + r]++;
    }
}

/* Forget the pair's local numbering (loc back to -1). */
static void hk_unload(hk_t *h)
{
    for (int32_t u = 0; u < h->nl + h->nr; u++)
        h->loc[h->who[u]] = -1;
}

/* Layers from the free left nodes along alternating paths; dlim = the
 * length to the nearest free right node. Returns 1 if there is one. */
static int hk_bfs(hk_t *h)
{
    int32_t head = 0, tail = 0;
    h->dlim = HK_INF;
    for (int32_t l = 0; l < h->nl; l++) {
        h->dist[l] = h->mate[l] < 0 ? 0 : HK_INF;
        if (h->mate[l] < 0)
            h->stack[tail++] = l;
    }
    while (head < tail) {
        const int32_t l = h->stack[head++];
        if (h->dist[l] >= h->dlim)
            continue;
        for (int32_t k = h->off[l]; k < h->off[l + 1]; k++) {
            const int32_t m = h->mate[h->nl + h->adj[k]];
            if (m < 0) {
                if (h->dlim == HK_INF)
                    h->dlim = h->dist[l] + 1;
            } else if (h->dist[m] == HK_INF) {
                h->dist[m] = h->dist[l] + 1;
                h->stack[tail++] = m;
            }
        }
    }
    return h->dlim != HK_INF;
}

/* Flip a set of vertex-disjoint shortest augmenting paths, each found by
 * an iterative depth-first search along the layers (no recursion: a path
 * can be as long as the pair). Nodes on a flipped path or at a dead end
 * leave the phase (dist = HK_INF). */
static void hk_phase(hk_t *h)
{
    for (int32_t l = 0; l < h->nl; l++)
        h->it[l] = h->off[l];
    for (int32_t u = 0; u < h->nl; u++) {
        if (h->mate[u] >= 0 || h->dist[u] != 0)
            continue;
        int32_t depth = 0;
        h->stack[depth++] = u;
        while (depth > 0) {
            const int32_t l = h->stack[depth - 1];
            if (h->it[l] == h->off[l + 1]) {
                h->dist[l] = HK_INF;
                if (--depth > 0)
                    h->it[h->stack[depth - 1]]++;
                continue;
            }
            const int32_t r = h->adj[h->it[l]], m = h->mate[h->nl + r];
            if (m < 0 && h->dist[l] + 1 == h->dlim) {
                for (int32_t i = depth - 1; i >= 0; i--) {
                    const int32_t x = h->stack[i], y = h->adj[h->it[x]];
                    h->mate[x] = y;
                    h->mate[h->nl + y] = x;
                    h->dist[x] = HK_INF;
                }
                break;
            }
            if (m >= 0 && h->dist[m] != HK_INF && h->dist[m] == h->dist[l] + 1)
                h->stack[depth++] = m;
            else
                h->it[l]++;
        }
    }
}

/* König's cover from a maximum matching: people, ascending, into
 * h->cover. Returns its size. */
static int32_t hk_cover(hk_t *h)
{
    int32_t head = 0, tail = 0, n = 0;
    memset(h->inz, 0, (size_t)(h->nl + h->nr));
    for (int32_t l = 0; l < h->nl; l++)
        if (h->mate[l] < 0) {
            h->inz[l] = 1;
            h->stack[tail++] = l;
        }
    while (head < tail) {
        const int32_t l = h->stack[head++];
        for (int32_t k = h->off[l]; k < h->off[l + 1]; k++) {
            const int32_t r = h->adj[k];
            if (h->mate[l] == r || h->inz[h->nl + r])
                continue;
            h->inz[h->nl + r] = 1;
            const int32_t m = h->mate[h->nl + r];
            if (m >= 0 && !h->inz[m]) {
                h->inz[m] = 1;
                h->stack[tail++] = m;
            }
        }
    }
    for (int32_t l = 0; l < h->nl; l++)
        if (!h->inz[l])
            h->cover[n++] = h->who[l];
    for (int32_t r = 0; r < h->nr; r++)
        if (h->inz[h->nl + r])
            h->cover[n++] = h->who[h->nl + r];
    qsort(h->cover, (size_t)n, sizeof *h->cover, cmp_i32);
    return n;
}

/* A maximum matching of the loaded pair; returns its size. */
static int32_t hk_match(hk_t *h)
{
    int32_t size = 0;
    while (hk_bfs(h))
        hk_phase(h);
    for (int32_t l = 0; l < h->nl; l++)
        size += h->mate[l] >= 0;
    return size;
}

/* The person with the most ties in the loaded pair, the lowest index
 * (byte order of ids) among equals; *ties gets the count. */
static int32_t hk_top(const hk_t *h, int32_t *ties)
{
    int32_t best = -1, bd = -1;
    for (int32_t u = 0; u < h->nl + h->nr; u++)
        if (h->deg[u] > bd || (h->deg[u] == bd && h->who[u] < best)) {
            bd = h->deg[u];
            best = h->who[u];
        }
    *ties = bd;
    return best;
}

/* The direct ties between groups, each once, sorted by pair: *out (free
 * it), *count. Returns 0, or -1 out of memory. */
static int cross_ties(const adj_t *a, const spand_view_t *view, xedge_t **out,
                      int64_t *count)
{
    const igraph_vector_int_t *grp = view->group;
    const int64_t G = view->ngroups;
    int64_t m = 0;
    for (int32_t v = 0; v < a->n; v++)
        for (int64_t k = a->off[v]; k < a->off[v + 1]; k++)
            m += a->nbr[k] > v && VECTOR(*grp)[a->nbr[k]] != VECTOR(*grp)[v];
    xedge_t *x = malloc(((size_t)m + 1) * sizeof *x);
    if (!x)
        return -1;
    m = 0;
    for (int32_t v = 0; v < a->n; v++) {
        const int64_t gv = VECTOR(*grp)[v];
        for (int64_t k = a->off[v]; k < a->off[v + 1]; k++) {
            const int32_t u = a->nbr[k];
            const int64_t gu = VECTOR(*grp)[u];
            if (u < v || gu == gv)
                continue;
            x[m++] = gv < gu ? (xedge_t){gv * G + gu, v, u}
                             : (xedge_t){gu * G + gv, u, v};
        }
    }
    qsort(x, (size_t)m, sizeof *x, xedge_cmp);
    *out = x;
    *count = m;
    return 0;
}

/* What a run carries from pair to pair. */
typedef struct res {
    const spand_api_t *api;
    spand_run_t *r;
    const spand_view_t *view;
    adj_t a;
    flow_t f;
    hk_t h;
    int64_t *gsize; /* members of each group */
    int64_t *holdcount, *sepcount;
    sbuf_t text;
    int bad; /* a cell was refused */
} res_t;

/* holders, holder_ids, top_holder(_share) of pair (s, t) from its k > 0
 * direct ties x. Returns holders, or -1 after logging. */
static int64_t pair_holders(res_t *R, igraph_integer_t s, igraph_integer_t t,
                            const xedge_t *x, int64_t k)
{
    const spand_api_t *api = R->api;
    hk_t *h = &R->h;
    const igraph_integer_t G = R->view->ngroups;
    hk_load(h, x, k);
    const int32_t matched = hk_match(h);
    const int32_t n = hk_cover(h);
    int32_t ties;
    const int32_t top = hk_top(h, &ties);
    hk_unload(h);
    if (n != matched) {
        api->log(R->r, SPAND_LOG_ERR,
                 "resilience: groups %lld and %lld: matching %d but a cover "
                 "of %d people (internal error)",
                 (long long)s, (long long)t, (int)matched, (int)n);
        return -1;
    }
    for (int32_t i = 0; i < n; i++)
        R->holdcount[h->cover[i]]++;
    if (sbuf_ids(&R->text, R->view, h->cover, n) != 0) {
        api->log(R->r, SPAND_LOG_ERR, "resilience: out of memory (ids)");
        return -1;
    }
    R->bad |= api->set_pair(R->r, s, t, P_HOLDERS, (double)n);
    R->bad |= api->set_text(R->r, SPAND_TABLE_PAIR, s * G + t, P_HOLDER_IDS,
                            R->text.p);
    R->bad |= api->set_text(R->r, SPAND_TABLE_PAIR, s * G + t, P_TOP,
                            R->view->keys[top]);
    R->bad |= api->set_pair(R->r, s, t, P_TOP_SHARE, (double)ties / (double)k);
    return n;
}

/* cut_size and separator of pair (s, t). Returns the cut, -1 after
 * logging, or -2 when cancelled. */
static int64_t pair_cut(res_t *R, igraph_integer_t s, igraph_integer_t t)
{
    const spand_api_t *api = R->api;
    const igraph_vector_int_t *grp = R->view->group;
    const igraph_integer_t G = R->view->ngroups;
    flow_t *f = &R->f;
    int64_t cut = 0, found = 0;
    int32_t *sep = R->h.cover; /* free between pairs' holders */

    if (R->gsize[s] > 0 && R->gsize[t] > 0) {
        flow_build(f, &R->a, grp, s, t);
        while (flow_bfs(f)) {
            if (api->cancelled(R->r))
                return -2;
            cut += flow_blocking(f);
        }
        /* The last BFS failed: level >= 0 is the residual reach of S.
         * The separator is the unit arcs leaving it. */
        for (int32_t v = 0; v < R->a.n; v++)
            if (contracted(f, VECTOR(*grp)[v], s, t) < 0 &&
                f->level[2 * v] >= 0 && f->level[2 * v + 1] < 0)
                sep[found++] = v;
    }
    if (found != cut) {
        api->log(R->r, SPAND_LOG_ERR,
                 "resilience: groups %lld and %lld: flow %lld but a cut of "
                 "%lld people (internal error)",
                 (long long)s, (long long)t, (long long)cut, (long long)found);
        return -1;
    }
    for (int64_t i = 0; i < found; i++)
        R->sepcount[sep[i]]++;
    if (sbuf_ids(&R->text, R->view, sep, (int32_t)found) != 0) {
        api->log(R->r, SPAND_LOG_ERR, "resilience: out of memory (ids)");
        return -1;
    }
    R->bad |= api->set_pair(R->r, s, t, P_CUT, (double)cut);
    R->bad |= api->set_text(R->r, SPAND_TABLE_PAIR, s * G + t, P_SEPARATOR,
                            R->text.p);
    return cut;
}

/* Every pair s < t in key order, walking the sorted direct ties alongside.
 * Returns 0, or -1 (logged). */
static int all_pairs(res_t *R, const xedge_t *x, int64_t nx)
{
    const spand_api_t *api = R->api;
    const igraph_integer_t G = R->view->ngroups;
    const double npairs = (double)G * (double)(G - 1) / 2;
    double done = 0, min_holders = NAN;
    int64_t disconnected = 0, i = 0;

    for (igraph_integer_t s = 0; s < G; s++) {
        for (igraph_integer_t t = s + 1; t < G; t++, done++) {
            if (api->cancelled(R->r)) {
                api->log(R->r, SPAND_LOG_INFO, "resilience: cancelled");
                return -1;
            }
            api->progress(R->r, done / npairs);
            const int64_t key = (int64_t)s * G + t, b = i;
            while (i < nx && x[i].key == key)
                i++;
            const int64_t direct = i - b;
            int64_t holders = 0;
            R->bad |= api->set_pair(R->r, s, t, P_DIRECT, (double)direct);
            if (direct > 0) {
                holders = pair_holders(R, s, t, x + b, direct);
                if (holders < 0)
                    return -1;
                if (!(min_holders <= (double)holders))
                    min_holders = (double)holders;
            } else {
                R->bad |= api->set_pair(R->r, s, t, P_HOLDERS, 0);
                R->bad |= api->set_text(R->r, SPAND_TABLE_PAIR, key,
                                        P_HOLDER_IDS, "");
                R->bad |= api->set_pair(R->r, s, t, P_TOP_SHARE, NAN);
            }
            const int64_t cut = pair_cut(R, s, t);
            if (cut == -2)
                api->log(R->r, SPAND_LOG_INFO, "resilience: cancelled");
            if (cut < 0)
                return -1;
            disconnected += direct == 0 && cut == 0;
        }
    }
    R->bad |=
        api->set(R->r, SPAND_TABLE_NETWORK, 0, N_MIN_HOLDERS, min_holders);
    R->bad |= api->set(R->r, SPAND_TABLE_NETWORK, 0, N_DISCONNECTED,
                       (double)disconnected);
    return 0;
}

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *view)
{
    (void)state;
    res_t R;
    xedge_t *x = NULL;
    int64_t nx = 0;
    int rc = -1;

    memset(&R, 0, sizeof R);
    R.api = api;
    R.r = r;
    R.view = view;
    if (adj_build(api, r, view, &R.a) != 0)
        return -1;
    const int32_t n = R.a.n;
    if (flow_alloc(api, r, &R.f, &R.a) != 0)
        goto out;
    R.gsize = calloc((size_t)view->ngroups + 1, sizeof *R.gsize);
    R.holdcount = calloc((size_t)n + 1, sizeof *R.holdcount);
    R.sepcount = calloc((size_t)n + 1, sizeof *R.sepcount);
    if (!R.gsize || !R.holdcount || !R.sepcount ||
        cross_ties(&R.a, view, &x, &nx) != 0 || hk_alloc(&R.h, n, nx) != 0) {
        api->log(r, SPAND_LOG_ERR, "resilience: out of memory (%lld people)",
                 (long long)n);
        goto out;
    }
    for (int32_t v = 0; v < n; v++)
        R.gsize[VECTOR(*view->group)[v]]++;
    if (all_pairs(&R, x, nx) != 0)
        goto out;
    for (int32_t v = 0; v < n; v++) {
        R.bad |= api->set(r, SPAND_TABLE_VERTEX, v, V_HOLDCOUNT,
                          (double)R.holdcount[v]);
        R.bad |= api->set(r, SPAND_TABLE_VERTEX, v, V_SEPCOUNT,
                          (double)R.sepcount[v]);
    }
    if (R.bad) {
        api->log(r, SPAND_LOG_ERR, "resilience: a result cell was refused");
        goto out;
    }
    api->progress(r, 1.0);
    rc = 0;
out:
    adj_free(&R.a);
    flow_free(&R.f);
    hk_free(&R.h);
    free(R.gsize);
    free(R.holdcount);
    free(R.sepcount);
    free(R.text.p);
    free(x);
    return rc;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "resilience",
    .version = "2.0",
    .summary = "who holds each boundary: minimum covers of the direct ties "
               "and minimum separators through third groups",
    .licence = "MIT",
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
