/* bb_kernels.c - an experiment, not part of the build: ways of computing
 * boundary_betweenness's exact sums for every source on the undirected
 * collapse, timed on the same graph, one thread, and checked value by
 * value against the first:
 *
 *   by-position the plugin's bfs_source() (records by position in the
 *              order of discovery, predecessor lists): the undirected
 *              kernel until issue 10's last session, still the directed
 *              one;
 *   plugin     the plugin's bfs_undirected_source() (top-down or
 *              bottom-up by level): what ships for undirected views.
 * Both are included from the plugin's source, so the figures are those of
 * the code that ships. Three rewrites that were tried and not kept:
 *
 *   pull       vertex-indexed arrays; the dependency pass pulls from the
 *              successors (no predecessor lists);
 *   branchless the same with the per-arc branches replaced by selects;
 *   batched    8 sources at once, level-synchronous (multi-source BFS):
 *              one row scan serves every source with the vertex at that
 *              level; 8-lane vectors of sigma and of the dependency
 *              coefficients per vertex.
 *
 * See doc/performance.md ("Exact betweenness at 20k / 200k") for the
 * figures and why none of them replaced the plugin's kernel. Build and
 * run (from the source tree, with a bench graph made by run.sh):
 *   tests/bench/experiments/bb_kernels.sh [GRAPH-DIR] [SOURCES] [plugin]
 * ("plugin": time the plugin's two kernels only).
 */
#define _GNU_SOURCE
#include "../../../plugins/boundary_betweenness.c"

/* ---- pull: vertex-indexed arrays, dependencies pulled from successors */
typedef struct {
    double a, x;
} pcoef_t;
typedef struct {
    int32_t *order, *dist;
    double *sigma;
    pcoef_t *c;
} nwork_t;
static void new_source(const graph_t *g, nwork_t *w, const int32_t *grp,
                       int32_t s, double *bet, double *cross)
{
    int32_t *restrict dist = w->dist, *restrict order = w->order;
    double *restrict sigma = w->sigma;
    pcoef_t *restrict c = w->c;
    const int64_t *off = g->off;
    const int32_t *nbr = g->nbr;
    int32_t head = 0, cnt = 1;
    dist[s] = 0;
    sigma[s] = 1;
    order[0] = s;
    while (head < cnt) {
        if (head + PREFETCH_ROW < cnt)
            __builtin_prefetch(nbr + off[order[head + PREFETCH_ROW]]);
        if (head + 2 * PREFETCH_ROW < cnt)
            __builtin_prefetch(off + order[head + 2 * PREFETCH_ROW]);
        const int32_t v = order[head++];
        const int32_t d1 = dist[v] + 1;
        const double sv = sigma[v];
        for (int64_t k = off[v]; k < off[v + 1]; k++) {
            const int32_t x = nbr[k];
            const int32_t dx = dist[x];
            if (dx < 0) {
                dist[x] = d1;
                sigma[x] = sv;
                order[cnt++] = x;
            } else if (dx == d1)
                sigma[x] += sv;
        }
    }
    const int32_t gs = grp[s];
    for (int32_t i = cnt - 1; i > 0; i--) {
        const int32_t v = order[i];
        if (i > PREFETCH_ROW)
            __builtin_prefetch(nbr + off[order[i - PREFETCH_ROW]]);
        if (i > 2 * PREFETCH_ROW)
            __builtin_prefetch(off + order[i - 2 * PREFETCH_ROW]);
        const int32_t d1 = dist[v] + 1;
        double sa = 0, sx = 0;
        for (int64_t k = off[v]; k < off[v + 1]; k++) {
            const int32_t x = nbr[k];
            if (dist[x] == d1) {
                sa += c[x].a;
                sx += c[x].x;
            }
        }
        const double sv = sigma[v];
        const double da = sv * sa, dxx = sv * sx;
        bet[v] += da;
        cross[v] += dxx;
        c[v].a = (1.0 + da) / sv;
        c[v].x = ((grp[v] != gs ? 1.0 : 0.0) + dxx) / sv;
    }
    for (int32_t i = 0; i < cnt; i++)
        dist[order[i]] = -1;
}

/* ---- branchless: pull with selects instead of branches */
static void bl_source(const graph_t *g, nwork_t *w, const int32_t *grp,
                      int32_t s, double *bet, double *cross)
{
    int32_t *restrict dist = w->dist, *restrict order = w->order;
    double *restrict sigma = w->sigma;
    pcoef_t *restrict c = w->c;
    const int64_t *off = g->off;
    const int32_t *nbr = g->nbr;
    int32_t head = 0, cnt = 1;
    dist[s] = 0;
    sigma[s] = 1;
    order[0] = s;
    while (head < cnt) {
        if (head + PREFETCH_ROW < cnt)
            __builtin_prefetch(nbr + off[order[head + PREFETCH_ROW]]);
        if (head + 2 * PREFETCH_ROW < cnt)
            __builtin_prefetch(off + order[head + 2 * PREFETCH_ROW]);
        const int32_t v = order[head++];
        const int32_t d1 = dist[v] + 1;
        const double sv = sigma[v];
        for (int64_t k = off[v]; k < off[v + 1]; k++) {
            const int32_t x = nbr[k];
            const int32_t dx = dist[x];
            const int nw = dx < 0;
            dist[x] = nw ? d1 : dx;
            order[cnt] = x;
            cnt += nw;
            const double base = nw ? 0.0 : sigma[x];
            sigma[x] = base + ((nw | (dx == d1)) ? sv : 0.0);
        }
    }
    const int32_t gs = grp[s];
    for (int32_t i = cnt - 1; i > 0; i--) {
        const int32_t v = order[i];
        if (i > PREFETCH_ROW)
            __builtin_prefetch(nbr + off[order[i - PREFETCH_ROW]]);
        if (i > 2 * PREFETCH_ROW)
            __builtin_prefetch(off + order[i - 2 * PREFETCH_ROW]);
        const int32_t d1 = dist[v] + 1;
        double sa = 0, sx = 0;
        for (int64_t k = off[v]; k < off[v + 1]; k++) {
            const int32_t x = nbr[k];
            const double m = dist[x] == d1 ? 1.0 : 0.0;
            sa += m * c[x].a;
            sx += m * c[x].x;
        }
        const double sv = sigma[v];
        const double da = sv * sa, dxx = sv * sx;
        bet[v] += da;
        cross[v] += dxx;
        c[v].a = (1.0 + da) / sv;
        c[v].x = ((grp[v] != gs ? 1.0 : 0.0) + dxx) / sv;
    }
    for (int32_t i = 0; i < cnt; i++)
        dist[order[i]] = -1;
}

/* ---- batched: 8 sources at a time, level-synchronous */
#define LANES 8
typedef int8_t vc8 __attribute__((vector_size(8)));
typedef int64_t vl8 __attribute__((vector_size(64)));
typedef double vd8 __attribute__((vector_size(64)));
typedef struct {
    vc8 *dist;
    vd8 *sigma, *ca, *cx;
    int32_t *stamp;
    int32_t *list;
    int32_t *lvl;
} mwork_t;

static inline uint64_t bits8(vc8 m)
{
    uint64_t u;
    memcpy(&u, &m, 8);
    return u;
}

/* returns 0, or -1 if a level reached 127 (caller falls back) */
static int ms_batch(const graph_t *g, mwork_t *w, const int32_t *grp,
                    const int32_t *src, int ns, double *bet, double *cross)
{
    vc8 *restrict dist = w->dist;
    vd8 *restrict sigma = w->sigma, *restrict ca = w->ca, *restrict cx = w->cx;
    int32_t *restrict stamp = w->stamp, *restrict list = w->list,
                      *restrict lvl = w->lvl;
    const int64_t *off = g->off;
    const int32_t *nbr = g->nbr;
    int32_t cnt = 0, nl = 0;
    /* level 0 */
    lvl[0] = 0;
    for (int j = 0; j < ns; j++) {
        int32_t s = src[j];
        if (stamp[s] != 0) {
            stamp[s] = 0;
            list[cnt++] = s;
        }
        dist[s][j] = 0;
        sigma[s][j] = 1.0;
    }
    lvl[1] = cnt;
    nl = 1;
    int8_t d = 0;
    while (lvl[nl] > lvl[nl - 1]) {
        if (d == 126)
            return -1;
        const int8_t d1 = d + 1;
        const vc8 dv = {d, d, d, d, d, d, d, d},
                  d1v = {d1, d1, d1, d1, d1, d1, d1, d1},
                  un = {-1, -1, -1, -1, -1, -1, -1, -1};
        for (int32_t i = lvl[nl - 1]; i < lvl[nl]; i++) {
            const int32_t v = list[i];
            if (i + PREFETCH_ROW < lvl[nl])
                __builtin_prefetch(nbr + off[list[i + PREFETCH_ROW]]);
            const vc8 av = dist[v] == dv;
            const vd8 sv = sigma[v];
            for (int64_t k = off[v]; k < off[v + 1]; k++) {
                const int32_t x = nbr[k];
                const vc8 dx = dist[x];
                const vc8 m = av & ((dx == un) | (dx == d1v));
                if (!bits8(m))
                    continue;
                dist[x] = (dx & ~m) | (d1v & m);
                const vl8 m64 = __builtin_convertvector(m, vl8);
                sigma[x] += (vd8)((vl8)sv & m64);
                if (stamp[x] != d1) {
                    stamp[x] = d1;
                    list[cnt++] = x;
                }
            }
        }
        lvl[++nl] = cnt;
        d = d1;
    }
    /* nl levels: level L is list[lvl[L] .. lvl[L+1]) ; last is empty */
    vd8 gsv;
    for (int j = 0; j < LANES; j++)
        gsv[j] = j < ns ? grp[src[j]] : -1;
    const vd8 one = {1, 1, 1, 1, 1, 1, 1, 1};
    for (int L = nl - 2; L >= 1; L--) {
        const int8_t dl = (int8_t)L, d1 = (int8_t)(L + 1);
        const vc8 dv = {dl, dl, dl, dl, dl, dl, dl, dl},
                  d1v = {d1, d1, d1, d1, d1, d1, d1, d1};
        for (int32_t i = lvl[L]; i < lvl[L + 1]; i++) {
            const int32_t v = list[i];
            if (i + PREFETCH_ROW < lvl[L + 1])
                __builtin_prefetch(nbr + off[list[i + PREFETCH_ROW]]);
            vd8 sa = {0}, sx = {0};
            for (int64_t k = off[v]; k < off[v + 1]; k++) {
                const int32_t x = nbr[k];
                const vc8 m = dist[x] == d1v;
                if (!bits8(m))
                    continue;
                const vl8 m64 = __builtin_convertvector(m, vl8);
                sa += (vd8)((vl8)ca[x] & m64);
                sx += (vd8)((vl8)cx[x] & m64);
            }
            const vc8 av = dist[v] == dv;
            const vl8 a64 = __builtin_convertvector(av, vl8);
            const vd8 sv = sigma[v];
            const vd8 da = sv * sa, dx = sv * sx;
            const vd8 gv = {grp[v], grp[v], grp[v], grp[v],
                            grp[v], grp[v], grp[v], grp[v]};
            const vd8 other = (vd8)((vl8)one & (gv != gsv));
            const vd8 na = (one + da) / sv, nx = (other + dx) / sv;
            ca[v] = (vd8)(((vl8)na & a64) | ((vl8)ca[v] & ~a64));
            cx[v] = (vd8)(((vl8)nx & a64) | ((vl8)cx[v] & ~a64));
            double b = 0, c = 0;
            for (int j = 0; j < LANES; j++)
                if (a64[j]) {
                    b += da[j];
                    c += dx[j];
                }
            bet[v] += b;
            cross[v] += c;
        }
    }
    const vc8 un = {-1, -1, -1, -1, -1, -1, -1, -1};
    const vd8 z = {0};
    for (int32_t i = 0; i < cnt; i++) {
        int32_t v = list[i];
        dist[v] = un;
        sigma[v] = z;
        stamp[v] = -1;
    }
    return 0;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double max_rel_diff(const double *a, const double *b, int32_t n)
{
    double md = 0;
    for (int32_t i = 0; i < n; i++)
        if (a[i] != 0 && fabs(a[i] - b[i]) / fabs(a[i]) > md)
            md = fabs(a[i] - b[i]) / fabs(a[i]);
    return md;
}

static void *must(void *p)
{
    if (!p) {
        perror("bb_kernels");
        exit(1);
    }
    return p;
}

/* Input on stdin: "n m", then n group numbers, then m pairs "a b" of
 * vertex numbers (an undirected tie each; repeats and loops dropped). */
static void read_graph(graph_t *g)
{
    int n;
    long long m;
    if (scanf("%d %lld", &n, &m) != 2 || n < 1 || m < 0)
        exit(2);
    g->n = n;
    g->grp = must(malloc((size_t)n * sizeof *g->grp));
    for (int v = 0; v < n; v++)
        if (scanf("%d", &g->grp[v]) != 1)
            exit(2);
    int32_t *e = must(malloc((size_t)(2 * m + 1) * sizeof *e));
    for (long long i = 0; i < 2 * m; i++)
        if (scanf("%d", &e[i]) != 1 || e[i] < 0 || e[i] >= n)
            exit(2);
    g->off = must(calloc((size_t)n + 1, sizeof *g->off));
    int32_t *tmp = must(malloc((size_t)(2 * m + 1) * sizeof *tmp));
    for (long long i = 0; i < m; i++) {
        g->off[e[2 * i] + 1]++;
        g->off[e[2 * i + 1] + 1]++;
    }
    for (int v = 0; v < n; v++)
        g->off[v + 1] += g->off[v];
    int64_t *cur = must(malloc((size_t)n * sizeof *cur));
    memcpy(cur, g->off, (size_t)n * sizeof *cur);
    for (long long i = 0; i < m; i++) {
        tmp[cur[e[2 * i]]++] = e[2 * i + 1];
        tmp[cur[e[2 * i + 1]]++] = e[2 * i];
    }
    int32_t *mark = must(malloc((size_t)n * sizeof *mark));
    for (int v = 0; v < n; v++)
        mark[v] = -1;
    g->nbr = must(malloc((size_t)(2 * m + 1) * sizeof *g->nbr));
    int64_t put = 0, beg = 0;
    for (int v = 0; v < n; v++) {
        const int64_t end = g->off[v + 1];
        g->off[v] = put;
        for (int64_t k = beg; k < end; k++) {
            const int32_t j = tmp[k];
            if (mark[j] == v || j == v)
                continue;
            mark[j] = v;
            g->nbr[put++] = j;
        }
        beg = end;
    }
    g->off[n] = put;
    g->poff = g->off;
    free(e);
    free(tmp);
    free(cur);
    free(mark);
}

int main(int argc, char **argv)
{
    const int nsrc = argc > 1 ? atoi(argv[1]) : 304;
    graph_t g = {0};
    read_graph(&g);
    const int32_t n = g.n;
    if (nsrc < 1 || nsrc > n)
        return 2;
    printf("%d people, %lld arcs (undirected collapse), %d sources, one "
           "thread\n",
           n, (long long)g.off[n], nsrc);

    double *ref = must(calloc(2 * (size_t)n, sizeof *ref));
    double *got = must(calloc(2 * (size_t)n, sizeof *got));
    work_t w;
    if (work_init(&w, &g) != 0) /* g.undirected is 0: bfs_source's arrays */
        return 1;
    double t0 = now();
    for (int32_t s = 0; s < nsrc; s++)
        bfs_source(&g, &w, g.grp, s, ref, ref + n);
    const double base = (now() - t0) / nsrc;
    printf("%-10s %6.3f ms per source  (all %d sources on 2 threads: "
           "%.1f s)\n",
           "by-position", base * 1e3, n, base * n / 2);

    work_t wu;
    g.undirected = 1;
    if (work_init(&wu, &g) != 0)
        return 1;
    memset(got, 0, 2 * (size_t)n * sizeof *got);
    t0 = now();
    for (int32_t s = 0; s < nsrc; s++)
        bfs_undirected_source(&g, &wu, g.grp, s, got, got + n);
    const double tu = (now() - t0) / nsrc;
    printf("%-10s %6.3f ms per source  (%.2fx; all %d sources on 2 "
           "threads: %.1f s; max relative difference %.1e)\n",
           "plugin", tu * 1e3, tu / base, n, tu * n / 2,
           max_rel_diff(ref, got, 2 * n));

    if (argc > 2 && strcmp(argv[2], "plugin") == 0)
        return 0; /* the two plugin kernels only (for profiling) */
    nwork_t nw = {must(malloc((size_t)n * 4)), must(malloc((size_t)n * 4)),
                  must(malloc((size_t)n * 8)),
                  must(malloc((size_t)n * sizeof(pcoef_t)))};
    for (int pass = 0; pass < 2; pass++) {
        for (int32_t v = 0; v < n; v++)
            nw.dist[v] = -1;
        memset(got, 0, 2 * (size_t)n * sizeof *got);
        t0 = now();
        for (int32_t s = 0; s < nsrc; s++)
            (pass ? bl_source : new_source)(&g, &nw, g.grp, s, got, got + n);
        const double t = (now() - t0) / nsrc;
        printf("%-10s %6.3f ms per source  (%.2fx by-position's time; max "
               "relative difference %.1e)\n",
               pass ? "branchless" : "pull", t * 1e3, t / base,
               max_rel_diff(ref, got, 2 * n));
    }

    mwork_t mw = {must(aligned_alloc(64, (size_t)n * 8)),
                  must(aligned_alloc(64, (size_t)n * 64)),
                  must(aligned_alloc(64, (size_t)n * 64)),
                  must(aligned_alloc(64, (size_t)n * 64)),
                  must(malloc((size_t)n * 4)),
                  must(malloc((size_t)n * LANES * 4)),
                  must(malloc(256 * 4))};
    for (int32_t v = 0; v < n; v++) {
        for (int j = 0; j < LANES; j++) {
            mw.dist[v][j] = -1;
            mw.sigma[v][j] = 0;
        }
        mw.stamp[v] = -1;
    }
    memset(got, 0, 2 * (size_t)n * sizeof *got);
    t0 = now();
    for (int32_t s = 0; s < nsrc; s += LANES) {
        int32_t src[LANES];
        int ns = 0;
        for (int32_t j = s; j < s + LANES && j < nsrc; j++)
            src[ns++] = j;
        if (ms_batch(&g, &mw, g.grp, src, ns, got, got + n) != 0) {
            printf("batched: a level beyond 126, not measured\n");
            return 0;
        }
    }
    const double t = (now() - t0) / nsrc;
    printf("%-10s %6.3f ms per source  (%.2fx by-position's time; max "
           "relative difference %.1e)\n",
           "batched", t * 1e3, t / base, max_rel_diff(ref, got, 2 * n));
    return 0;
}
