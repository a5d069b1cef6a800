/* resilience.c - who holds each boundary together (METRICS.md,
 * "resilience").
 *
 * On the undirected collapse of the view (an edge {i, j} when either arc
 * exists; weights play no part). For every pair of groups s < t:
 *   direct_ties  the number of edges with one end in s and the other in t;
 *   cut_size     when there are none: the least number of people outside s
 *                and t whose removal leaves no path from any member of s to
 *                any member of t, a minimum vertex separator of the two
 *                groups (0 when no path exists at all: nobody need leave).
 *                NaN (null) when s and t are directly tied, since no
 *                removal of third parties can separate them;
 *   separator    the ids of one minimum separator, joined by ", " in the
 *                view's order of people (byte order of ids); "" for a cut
 *                of 0; null when directly tied.
 * and for each person `separator_count`: in how many group pairs' reported
 * separators the person stands.
 *
 * Method. Each group is contracted into one node (its members are never
 * removable), every other person v is split into v_in -> v_out of capacity
 * 1, every edge {u, v} becomes u_out -> v_in and v_out -> u_in of capacity
 * "infinite" (more than N), and the source is the contracted s, the sink
 * the contracted t. By Menger's theorem the maximum flow is the minimum
 * vertex separator. Dinic's algorithm: every augmenting path carries one
 * unit (each path from s to t enters some v_in whose only way on is its
 * unit arc), the network is a unit network of type 2, so a pair costs
 * O(M sqrt(N)) time; memory O(N + M), reused across pairs.
 *
 * Which separator. Minimum separators are not unique. The one reported is
 * the one closest to group s (the lower group index): the people v whose
 * v_in is reachable from s in the final residual network and whose v_out
 * is not. It is unique (the least source side of all minimum cuts), so the
 * result does not depend on the order of arcs. separator_count counts
 * these reported separators; a person who stands in some other minimum
 * separator of a pair only is not counted for it.
 *
 * Pairs are every s < t of the view's groups, so up to G(G-1)/2 flows
 * (tied pairs need none). Dinic needs one phase per distinct length of
 * augmenting path: a handful on small-world networks (measured: about 0.5
 * s a pair on 100k people and 1M ties), but hundreds where groups lie far
 * apart along long chains (a ring lattice: about 4 s a pair). A group with
 * no member in the view (possible only in a two-window view) has a row of
 * direct_ties 0 and null cut: there is nobody to separate.
 */
#include <spand/plugin.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { V_SEPCOUNT };
enum { P_DIRECT, P_CUT, P_SEPARATOR };

static const spand_column_t columns[] = {
    {SPAND_TABLE_VERTEX, "separator_count", SPAND_INT,
     "group pairs whose reported minimum separator includes the person"},
    {SPAND_TABLE_PAIR, "direct_ties", SPAND_INT,
     "ties between a member of one group and a member of the other"},
    {SPAND_TABLE_PAIR, "cut_size", SPAND_INT,
     "fewest people outside both groups whose departure disconnects them "
     "(null when directly tied)"},
    {SPAND_TABLE_PAIR, "separator", SPAND_STRING,
     "ids of one minimum separator (the one closest to group_a), joined "
     "by \", \""},
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
    int32_t *head;  /* nodes + 1 */
    int32_t *fill;  /* nodes: build cursor; then Dinic's current arc */
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
        api->log(r, SPAND_LOG_ERR,
                 "resilience: view too large (%lld ties)",
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
    if (!f->head || !f->fill || !f->arc || !f->level || !f->queue ||
        !f->path || !f->stack) {
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
 * can use them. (S -> T cannot occur: tied pairs have no network.) */
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
            if (into != from && into != S)
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

/* Append text to a growing buffer. Returns 0, or -1 out of memory. */
static int buf_add(char **buf, size_t *len, size_t *cap, const char *s)
{
    const size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (*len + n + 1 > c)
            c *= 2;
        char *p = realloc(*buf, c);
        if (!p)
            return -1;
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
    return 0;
}

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *view)
{
    (void)state;
    const igraph_vector_int_t *grp = view->group;
    const igraph_integer_t G = view->ngroups;
    adj_t a;
    flow_t f;
    int64_t *direct = NULL, *sepcount = NULL, *gsize = NULL;
    char *text = NULL;
    size_t tlen = 0, tcap = 0;
    int rc = -1, bad = 0;

    memset(&f, 0, sizeof f);
    if (adj_build(api, r, view, &a) != 0)
        return -1;
    const int32_t n = a.n;
    /* direct[s * G + t], s < t: edges between the two groups. G x G like
     * the daemon's own pair table. */
    direct = calloc((size_t)G * (size_t)G + 1, sizeof *direct);
    sepcount = calloc((size_t)n + 1, sizeof *sepcount);
    gsize = calloc((size_t)G + 1, sizeof *gsize);
    if (!direct || !sepcount || !gsize) {
        api->log(r, SPAND_LOG_ERR, "resilience: out of memory (%lld people)",
                 (long long)n);
        goto out;
    }
    if (flow_alloc(api, r, &f, &a) != 0)
        goto out;
    for (int32_t v = 0; v < n; v++) {
        const igraph_integer_t gv = VECTOR(*grp)[v];
        gsize[gv]++;
        for (int64_t k = a.off[v]; k < a.off[v + 1]; k++) {
            const int32_t u = a.nbr[k];
            const igraph_integer_t gu = VECTOR(*grp)[u];
            if (u > v && gu != gv)
                direct[gu < gv ? gu * G + gv : gv * G + gu]++;
        }
    }

    const double npairs = (double)G * (double)(G - 1) / 2;
    double done = 0;
    for (igraph_integer_t s = 0; s < G; s++) {
        for (igraph_integer_t t = s + 1; t < G; t++, done++) {
            if (api->cancelled(r)) {
                api->log(r, SPAND_LOG_INFO, "resilience: cancelled");
                goto out;
            }
            api->progress(r, done / npairs);
            const int64_t d = direct[s * G + t];
            bad |= api->set_pair(r, s, t, P_DIRECT, (double)d);
            if (d > 0 || gsize[s] == 0 || gsize[t] == 0) {
                bad |= api->set_pair(r, s, t, P_CUT, NAN);
                continue; /* separator stays null */
            }
            flow_build(&f, &a, grp, s, t);
            int64_t cut = 0;
            while (flow_bfs(&f)) {
                if (api->cancelled(r)) {
                    api->log(r, SPAND_LOG_INFO, "resilience: cancelled");
                    goto out;
                }
                cut += flow_blocking(&f);
            }
            /* The last BFS failed: level >= 0 is the residual reach of S.
             * The separator is the unit arcs leaving it. */
            tlen = 0;
            if (buf_add(&text, &tlen, &tcap, "") != 0)
                goto oom;
            int64_t found = 0;
            for (int32_t v = 0; v < n; v++) {
                if (contracted(&f, VECTOR(*grp)[v], s, t) >= 0 ||
                    f.level[2 * v] < 0 || f.level[2 * v + 1] >= 0)
                    continue;
                if ((found++ > 0 && buf_add(&text, &tlen, &tcap, ", ") != 0) ||
                    buf_add(&text, &tlen, &tcap, view->keys[v]) != 0)
                    goto oom;
                sepcount[v]++;
            }
            if (found != cut) {
                api->log(r, SPAND_LOG_ERR,
                         "resilience: groups %lld and %lld: flow %lld but a "
                         "cut of %lld people (internal error)",
                         (long long)s, (long long)t, (long long)cut,
                         (long long)found);
                goto out;
            }
            bad |= api->set_pair(r, s, t, P_CUT, (double)cut);
            bad |= api->set_text(r, SPAND_TABLE_PAIR, s * G + t, P_SEPARATOR,
                                 text);
        }
    }
    for (int32_t v = 0; v < n; v++)
        bad |= api->set(r, SPAND_TABLE_VERTEX, v, V_SEPCOUNT,
                        (double)sepcount[v]);
    if (bad) {
        api->log(r, SPAND_LOG_ERR, "resilience: a result cell was refused");
        goto out;
    }
    api->progress(r, 1.0);
    rc = 0;
    goto out;
oom:
    api->log(r, SPAND_LOG_ERR, "resilience: out of memory (separator text)");
out:
    adj_free(&a);
    flow_free(&f);
    free(direct);
    free(sepcount);
    free(gsize);
    free(text);
    return rc;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "resilience",
    .version = "1.0",
    .summary = "minimum vertex separators between groups: whose departure "
               "would cut a boundary",
    .licence = "MIT",
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
