/* brokerage.c - Gould & Fernandez (1989) brokerage roles, as R's
 * sna::brokerage computes them (METRICS.md, "brokerage").
 *
 * On the directed view, unweighted. Vertex v brokers the ordered pair
 * (a, b) when a->v and v->b exist, a != b and a->b does not. The role
 * depends on the groups of a, v and b:
 *   coordinator     w_I   g(a) = g(v) = g(b)
 *   itinerant       w_O   g(a) = g(b) != g(v)
 *   representative  b_IO  g(a) = g(v) != g(b)
 *   gatekeeper      b_OI  g(a) != g(v) = g(b)
 *   liaison         b_O   g(a), g(v), g(b) all different
 * and `total` is their sum. An undirected tie is two arcs, so an open
 * undirected two-path counts once in each direction, exactly as sna does
 * with a symmetric adjacency matrix.
 *
 * Expected values and variances follow sna's null model (arcs independent
 * with probability d = arcs / (N (N - 1))); the formulas below are those of
 * sna 2.7's R function `brokerage`, rearranged only so that the sums over
 * groups cost O(G + N) in all rather than sna's O(G) per group and O(G^3)
 * triple loop (see vertex_model() and network_model()).
 *
 * Tables:
 *   vertex   the 6 raw counts, then ROLE_expected, ROLE_sd, ROLE_z for each
 *            of the 6 roles in the same order (sna's raw.nli, exp.nli,
 *            sd.nli, z.nli);
 *   group    the raw counts summed over the group's members;
 *   network  the same 24 columns for the whole network (raw.gli, exp.gli,
 *            sqrt of sna's variance, z.gli).
 * A z-score is NaN (null) where the standard deviation is 0 or undefined;
 * every expected value, sd and z is NaN when N < 2 (density 0/0, as in R).
 */
#define _POSIX_C_SOURCE 200809L /* sysconf */
#include <spand/plugin.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

enum role { COORD, ITIN, REPR, GATE, LIAIS, TOTAL, NROLES };

/* Column k of the vertex and network tables: the raw count of role r is
 * column r; its expected value, sd and z follow the raw counts, three per
 * role. */
#define COL_RAW(r) (r)
#define COL_EXP(r) (NROLES + 3 * (r))
#define COL_SD(r) (NROLES + 3 * (r) + 1)
#define COL_Z(r) (NROLES + 3 * (r) + 2)

#define RAW(T)                                                                 \
    {T, "coordinator", SPAND_INT,                                              \
     "two-paths a->v->b brokered within one group (w_I)"},                     \
        {T, "itinerant", SPAND_INT,                                            \
         "two-paths between two members of another group (w_O)"},              \
        {T, "representative", SPAND_INT,                                       \
         "two-paths from the own group to another (b_IO)"},                    \
        {T, "gatekeeper", SPAND_INT,                                           \
         "two-paths from another group into the own (b_OI)"},                  \
        {T, "liaison", SPAND_INT,                                              \
         "two-paths between two other, different groups (b_O)"},               \
    {                                                                          \
        T, "total", SPAND_INT, "all brokered two-paths"                        \
    }

#define STATS(T, R)                                                            \
    {T, R "_expected", SPAND_REAL,                                             \
     "expected " R " count under sna's null model"},                           \
        {T, R "_sd", SPAND_REAL,                                               \
         "standard deviation of " R " under sna's null model"},                \
    {                                                                          \
        T, R "_z", SPAND_REAL, "z-score of " R "; null where the sd is 0"      \
    }

#define ALL_STATS(T)                                                           \
    STATS(T, "coordinator"), STATS(T, "itinerant"),                            \
        STATS(T, "representative"), STATS(T, "gatekeeper"),                    \
        STATS(T, "liaison"), STATS(T, "total")

static const spand_column_t columns[] = {
    RAW(SPAND_TABLE_VERTEX),        ALL_STATS(SPAND_TABLE_VERTEX),
    RAW(SPAND_TABLE_GROUP),         RAW(SPAND_TABLE_NETWORK),
    ALL_STATS(SPAND_TABLE_NETWORK),
};

/* ---- raw counts ---------------------------------------------------------- */

/* Out-neighbour lists as compact arrays (CSR) for the count: the
 * out-neighbours of v are adj[off[v] .. off[v + 1]), each once, no loops;
 * grp[v] is v's group. 32-bit vertex ids halve the memory the inner loop
 * streams through; a view cannot have 2^31 people (their keys alone would
 * not fit in memory), and count_roles() refuses one that would. */
typedef struct outcsr {
    int64_t *off;
    int32_t *adj;
    int32_t *grp;
} outcsr_t;

static void outcsr_free(outcsr_t *c)
{
    free(c->off);
    free(c->adj);
    free(c->grp);
}

/* Build the CSR by a counting sort of the arcs on their tails, then drop
 * loops and repeated arcs (none by the view's contract; dropping them
 * keeps the counts right should that ever be violated) with the stamps
 * in mark[] (n entries, left set to -1). O(N + arcs). Returns 0, or -1
 * after logging. */
static int outcsr_build(const spand_api_t *api, spand_run_t *r,
                        const spand_view_t *v, outcsr_t *c, int32_t *mark)
{
    const igraph_t *g = v->graph;
    const igraph_integer_t n = igraph_vcount(g), arcs = igraph_ecount(g);

    c->off = calloc((size_t)n + 1, sizeof *c->off);
    c->adj = malloc(((size_t)arcs + 1) * sizeof *c->adj);
    c->grp = malloc(((size_t)n + 1) * sizeof *c->grp);
    if (!c->off || !c->adj || !c->grp) {
        api->log(r, SPAND_LOG_ERR,
                 "brokerage: out of memory (%lld vertices, %lld arcs)",
                 (long long)n, (long long)arcs);
        return -1;
    }
    for (igraph_integer_t i = 0; i < n; i++) {
        c->grp[i] = (int32_t)VECTOR(*v->group)[i];
        mark[i] = -1;
    }
    for (igraph_integer_t e = 0; e < arcs; e++)
        c->off[IGRAPH_FROM(g, e) + 1]++;
    for (igraph_integer_t i = 0; i < n; i++)
        c->off[i + 1] += c->off[i];
    /* off[a] is a's fill cursor: after the fill it holds a's end, which
     * is the start of a + 1; the compaction below restores the starts. */
    for (igraph_integer_t e = 0; e < arcs; e++)
        c->adj[c->off[IGRAPH_FROM(g, e)]++] = (int32_t)IGRAPH_TO(g, e);
    int64_t rd = 0, wr = 0;
    for (igraph_integer_t a = 0; a < n; a++) {
        const int64_t end = c->off[a];
        c->off[a] = wr;
        mark[a] = (int32_t)a; /* no loops */
        for (; rd < end; rd++) {
            const int32_t b = c->adj[rd];
            if (mark[b] == (int32_t)a)
                continue;
            mark[b] = (int32_t)a;
            c->adj[wr++] = b;
        }
    }
    c->off[n] = wr;
    for (igraph_integer_t i = 0; i < n; i++)
        mark[i] = -1;
    return 0;
}

/* Egos a are dealt to the threads in blocks of this many. */
#define BLOCK 256

/* One count over egos, shared by its threads. Each thread claims blocks
 * of egos and adds into its own counts, so the threads share nothing
 * they write but the atomics; the counts are integers, so their sum does
 * not depend on which thread counted what. */
typedef struct count_job {
    const outcsr_t *c;
    int32_t n;
    atomic_int next_block; /* the next block nobody has claimed */
    atomic_int stop;       /* set by run()'s thread: cancelled */
} count_job_t;

typedef struct counter {
    count_job_t *job;
    int64_t *cnt;  /* cnt[v * 5 + role], this thread's */
    int32_t *mark; /* n stamps, -1 at first */
    int started;   /* a thread runs it */
    pthread_t tid;
} counter_t;

/* Count the open two-paths of egos [a0, a1) into k->cnt. Walks egos a as
 * sna does: the out-neighbours of a, and a itself, are stamped with a in
 * mark[], so "b is a or a->b exists" (the two-path is not open) is one
 * array read.
 *
 * The role follows sna's brokerage_R decision tree, so that ties of
 * definition resolve alike: if g(v) = g(a) it is coordinator when g(b) =
 * g(v), else representative; otherwise gatekeeper when g(b) = g(v), else
 * itinerant when g(b) = g(a), else liaison. For one pair (a, v) that
 * depends only on whether g(b) is g(v) or g(a), so the inner loop only
 * counts the open two-paths, those ending in g(v) and those ending in
 * g(a), without a branch per b, and the five roles are settled once per
 * pair. */
static void count_egos(const outcsr_t *c, counter_t *k, int32_t a0, int32_t a1)
{
    const int64_t *off = c->off;
    const int32_t *adj = c->adj, *grp = c->grp;
    int32_t *mark = k->mark;
    int64_t *cnt = k->cnt;

    for (int32_t a = a0; a < a1; a++) {
        const int32_t ga = grp[a];
        mark[a] = a; /* b == a closes a mutual pair */
        for (int64_t e = off[a]; e < off[a + 1]; e++)
            mark[adj[e]] = a;
        for (int64_t e = off[a]; e < off[a + 1]; e++) {
            const int32_t br = adj[e]; /* the broker */
            const int32_t gv = grp[br];
            int64_t open = 0, to_v = 0, to_a = 0;
            const int64_t end = off[br + 1];
            /* The next broker's list lies anywhere in adj: ask for it
             * now so that it is on its way while this one is walked. */
            if (e + 1 < off[a + 1])
                __builtin_prefetch(&adj[off[adj[e + 1]]]);
            for (int64_t l = off[br]; l < end; l++) {
                const int32_t b = adj[l];
                const int32_t o = mark[b] != a, gb = grp[b];
                open += o;
                to_v += o & (gb == gv);
                to_a += o & (gb == ga);
            }
            /* Without a branch: whether g(a) = g(v) follows no pattern.
             * When it is not so, g(b) = g(v) and g(b) = g(a) exclude each
             * other. */
            const int64_t same = ga == gv, other = 1 - same;
            int64_t *cv = cnt + (size_t)br * 5;
            cv[COORD] += same * to_v;
            cv[REPR] += same * (open - to_v);
            cv[GATE] += other * to_v;
            cv[ITIN] += other * to_a;
            cv[LIAIS] += other * (open - to_v - to_a);
        }
    }
}

/* Claim blocks of egos and count them until none is left or the job is
 * stopped. When api is not NULL (the thread of run() itself) poll
 * cancellation and report progress between blocks. Returns 0, or 1 when
 * stopped. */
static int count_blocks(counter_t *k, const spand_api_t *api, spand_run_t *r)
{
    count_job_t *job = k->job;
    const int32_t nblocks = (job->n + BLOCK - 1) / BLOCK;
    int b;
    while ((b = atomic_fetch_add(&job->next_block, 1)) < nblocks) {
        if (atomic_load_explicit(&job->stop, memory_order_relaxed))
            return 1;
        if (api) {
            if (api->cancelled(r)) {
                atomic_store(&job->stop, 1);
                return 1;
            }
            api->progress(r, 0.9 * (double)b / (double)nblocks);
        }
        const int32_t a0 = b * BLOCK;
        const int32_t a1 = job->n - a0 < BLOCK ? job->n : a0 + BLOCK;
        count_egos(job->c, k, a0, a1);
    }
    return atomic_load(&job->stop) ? 1 : 0;
}

static void *counter_main(void *arg)
{
    counter_t *k = arg;
    count_blocks(k, NULL, NULL);
    return NULL;
}

/* Threads for a count: one per online processor, at most MAX_THREADS,
 * and one when there are too few arcs for a second thread to pay for
 * its start and its counts (a few hundred microseconds of work). */
#define MAX_THREADS 4
static int thread_count(igraph_integer_t arcs)
{
    long t = sysconf(_SC_NPROCESSORS_ONLN);
    if (t < 1 || arcs < 20000)
        t = 1;
    return (int)(t > MAX_THREADS ? MAX_THREADS : t);
}

/* Count every open two-path a->v->b into cnt[v * 5 + role] (first five
 * roles; total is summed later). The work is the sum over v of indeg(v) *
 * outdeg(v) plus the arcs, and the memory O(N + arcs) per thread; egos are
 * shared among threads (see count_job_t), this one taking part and
 * polling cancellation. Returns 0, 1 if cancelled, -1 on failure
 * (logged). */
static int count_roles(const spand_api_t *api, spand_run_t *r,
                       const spand_view_t *v, int64_t *cnt)
{
    const igraph_integer_t n = igraph_vcount(v->graph);
    outcsr_t c = {NULL, NULL, NULL};
    counter_t ks[MAX_THREADS];
    int nk = 0, rc = -1;

    if (n == 0)
        return 0;
    if (n > INT32_MAX) {
        api->log(r, SPAND_LOG_ERR, "brokerage: too many vertices (%lld)",
                 (long long)n);
        return -1;
    }
    const int nthreads = thread_count(igraph_ecount(v->graph));
    count_job_t job = {.c = &c, .n = (int32_t)n};
    atomic_init(&job.next_block, 0);
    atomic_init(&job.stop, 0);
    /* ks[0] is this thread's and counts into cnt itself. */
    for (; nk < nthreads; nk++) {
        counter_t *k = &ks[nk];
        k->job = &job;
        k->started = 0;
        k->cnt = nk == 0 ? cnt : calloc((size_t)n * 5, sizeof *k->cnt);
        k->mark = malloc((size_t)n * sizeof *k->mark);
        if (!k->cnt || !k->mark) {
            nk++;
            api->log(r, SPAND_LOG_ERR,
                     "brokerage: out of memory (%lld vertices, %d threads)",
                     (long long)n, nthreads);
            goto out;
        }
        for (igraph_integer_t i = 0; i < n; i++)
            k->mark[i] = -1;
    }
    if (outcsr_build(api, r, v, &c, ks[0].mark) != 0)
        goto out;
    for (int t = 1; t < nk; t++)
        ks[t].started =
            pthread_create(&ks[t].tid, NULL, counter_main, &ks[t]) == 0;
    /* Blocks a thread that failed to start never claims are counted
     * here, so the result is the same with fewer threads. */
    const int stopped = count_blocks(&ks[0], api, r);
    for (int t = 1; t < nk; t++)
        if (ks[t].started)
            pthread_join(ks[t].tid, NULL);
    if (stopped) {
        rc = 1;
        goto out;
    }
    for (int t = 1; t < nk; t++)
        for (size_t i = 0; i < (size_t)n * 5; i++)
            cnt[i] += ks[t].cnt[i];
    rc = 0;
out:
    for (int t = 0; t < nk; t++) {
        if (t > 0)
            free(ks[t].cnt);
        free(ks[t].mark);
    }
    outcsr_free(&c);
    return rc;
}

/* ---- null model ---------------------------------------------------------- */

/* Expected values and variances of the six roles for a broker in a group of
 * one size: sna's `ebr` and `vbr` rows, which depend on the group only
 * through its size. */
typedef struct size_model {
    double size;
    double mult; /* how many groups have this size */
    double e[NROLES], var[NROLES];
} size_model_t;

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static int cmp_model(const void *x, const void *y)
{
    const double a = ((const size_model_t *)x)->size;
    const double b = ((const size_model_t *)y)->size;
    return (a > b) - (a < b);
}

/* Powers of the density used by sna's formulas. */
typedef struct dens {
    double d, D, A, B, C; /* d, d^2(1-d), d^3(1-d)^3, d^4(1-d)^2, d^5(1-d) */
} dens_t;

static dens_t density_terms(double d)
{
    const double q = 1 - d;
    dens_t t = {d, d * d * q, d * d * d * q * q * q, d * d * d * d * q * q,
                d * d * d * d * d * q};
    return t;
}

/* x choose 2 for a non-negative integral x, as R's choose(x, 2). */
static double choose2(double x)
{
    return x * (x - 1) / 2;
}

/* Fill m->e and m->var for a broker in a group of size x = m->size, given
 * all K distinct group sizes sm[] with multiplicities, N and density.
 * Sums over the other groups ("n[-i]" in sna) run over the distinct sizes
 * with the broker's own group taken out of its multiplicity, so that every
 * summand is non-negative and nothing is computed as a difference of large
 * sums: the result agrees with sna's direct sums to rounding. */
static void vertex_model(size_model_t *m, const size_model_t *sm, size_t K,
                         double N, dens_t t)
{
    const double x = m->size;
    double o2 = 0, o3 = 0; /* sum over other groups of n(n-1), n(n-1)(n-2) */
    double l1 = 0;         /* sum over other ordered pairs j != k of n_j n_k */
    double l2 = 0; /* sum over other groups of n_j choose(N - n_j - x, 2) */
    for (size_t s = 0; s < K; s++) {
        const double y = sm[s].size;
        const double c = sm[s].mult - (y == x ? 1 : 0);
        if (c <= 0)
            continue;
        o2 += c * y * (y - 1);
        o3 += c * y * (y - 1) * (y - 2);
        l1 += c * y * (N - x - y);
        l2 += c * y * choose2(N - y - x);
    }
    const double keep = 1 - t.D; /* sna's (1 - d^2 (1 - d)) */

    m->e[COORD] = t.D * (x - 1) * (x - 2);
    m->var[COORD] = m->e[COORD] * keep + 2 * (x - 1) * (x - 2) * (x - 3) * t.A;
    m->e[ITIN] = t.D * o2;
    m->var[ITIN] = m->e[ITIN] * keep + 2 * o3 * t.A;
    m->e[REPR] = t.D * (N - x) * (x - 1);
    m->var[REPR] =
        m->e[REPR] * keep +
        2 * ((x - 1) * choose2(N - x) + (N - x) * choose2(x - 1)) * t.A;
    m->e[GATE] = m->e[REPR];
    m->var[GATE] = m->var[REPR];
    /* sna: sum(n[-i] %o% n[-i]) - sum(n[-i]^2), the ordered pairs of
     * distinct other groups: l1 sums n_j times the rest of N outside the
     * broker's group and j. */
    m->e[LIAIS] = t.D * l1;
    m->var[LIAIS] = m->e[LIAIS] * keep + 4 * l2 * t.A;
    m->e[TOTAL] = t.D * (N - 1) * (N - 2);
    m->var[TOTAL] = m->e[TOTAL] * keep + 2 * (N - 1) * (N - 2) * (N - 3) * t.A;
}

/* The network-level expectations and variances, sna's egbr and vgbr, from
 * the group sizes n[0..G-1] (zeros allowed: they contribute nothing, as
 * groups absent from R's class vector). sna's double sums over pairs of
 * groups and its triple loop over distinct triples (liaison variance) are
 * rewritten as sums over one group of sums over the others, in O(G):
 *   sum over ordered distinct (x, y) of f  = sum_x [sum over y != x]
 *   T3 = sum over distinct triples of n_i n_j n_k
 *      = sum_i n_i ((N - n_i)^2 - (S2 - n_i^2))
 *   T4 = sum over distinct triples of n_i^2 n_j n_k  (any one squared)
 *      = sum_i n_i^2 ((N - n_i)^2 - (S2 - n_i^2))
 * and sna's liaison triple sum is, by symmetry of the index roles,
 *   (A - B) ((4N - 2) T3 - 8 T4) + C ((N - 1) T3 - 2 T4). */
static void network_model(const double *n, igraph_integer_t G, double N,
                          dens_t t, double *e, double *var)
{
    double S2 = 0;
    for (igraph_integer_t g = 0; g < G; g++)
        S2 += n[g] * n[g];

    double s1 = 0, v1 = 0, s2 = 0, v2 = 0, v3 = 0, T3 = 0, T4 = 0;
    for (igraph_integer_t g = 0; g < G; g++) {
        const double x = n[g];
        if (x == 0)
            continue;
        const double w3 = x * (x - 1) * (x - 2);
        s1 += w3;
        v1 += w3 * ((4 * x - 10) * t.A - 4 * (x - 3) * t.B + (x - 3) * t.C);
        const double w2 = x * (N - x) * (x - 1);
        s2 += w2;
        /* Itinerant: sum over y != x of y (2x + 2y - 6), an exact integer
         * (the negative part for x = 2 cancels exactly). */
        const double p = (2 * x - 6) * (N - x) + 2 * (S2 - x * x);
        v2 += x * (x - 1) * (p * t.A + (N - x - 1) * (N - x) * t.C);
        v3 += w2 * ((N - 3) * t.A + (x - 2) * t.C);
        /* Ordered pairs of distinct other groups, sum of n_j n_k. */
        const double pairs = (N - x) * (N - x) - (S2 - x * x);
        T3 += x * pairs;
        T4 += x * x * pairs;
    }
    const double keep = 1 - t.D;

    e[COORD] = t.D * s1;
    var[COORD] = e[COORD] * keep + v1;
    e[ITIN] = t.D * s2;
    var[ITIN] = e[ITIN] * keep + v2;
    e[REPR] = t.D * s2;
    var[REPR] = e[REPR] * keep + v3;
    e[GATE] = e[REPR];
    var[GATE] = var[REPR];
    e[LIAIS] = t.D * T3;
    var[LIAIS] = e[LIAIS] * keep + (t.A - t.B) * ((4 * N - 2) * T3 - 8 * T4) +
                 t.C * ((N - 1) * T3 - 2 * T4);
    const double w = N * (N - 1) * (N - 2);
    e[TOTAL] = t.D * w;
    var[TOTAL] = e[TOTAL] * keep +
                 w * ((4 * N - 10) * t.A - 4 * (N - 3) * t.B + (N - 3) * t.C);
}

/* z-score with sna's (raw - expected) / sd, but NaN where the sd is 0 (R
 * would give NaN or +-Inf) or undefined. */
static double zscore(double raw, double e, double sd)
{
    return sd > 0 ? (raw - e) / sd : NAN;
}

/* ---- run ----------------------------------------------------------------- */

static int set_row(const spand_api_t *api, spand_run_t *r,
                   spand_table_kind_t table, igraph_integer_t row,
                   const double *raw, const double *e, const double *var)
{
    int bad = 0;
    for (int k = 0; k < NROLES; k++) {
        const double sd = sqrt(var[k]) + 0.0;
        bad |= api->set(r, table, row, COL_RAW(k), raw[k]);
        /* + 0.0 turns the -0 of products like D (x - 1)(x - 2) at x = 1
         * into 0, which clients print more kindly. */
        bad |= api->set(r, table, row, COL_EXP(k), e[k] + 0.0);
        bad |= api->set(r, table, row, COL_SD(k), sd);
        bad |= api->set(r, table, row, COL_Z(k), zscore(raw[k], e[k], sd));
    }
    return bad;
}

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *v)
{
    (void)state;
    const igraph_integer_t n = igraph_vcount(v->graph);
    const igraph_integer_t G = v->ngroups;
    int64_t *cnt = NULL;
    double *gsize = NULL, *grp_raw = NULL, *sizes = NULL;
    size_model_t *sm = NULL;
    size_t *gmodel = NULL; /* group -> index in sm, for non-empty groups */
    int rc = -1;

    cnt = calloc((size_t)n * 5 + 1, sizeof *cnt);
    gsize = calloc((size_t)G + 1, sizeof *gsize);
    grp_raw = calloc((size_t)G * NROLES + 1, sizeof *grp_raw);
    sizes = malloc(((size_t)G + 1) * sizeof *sizes);
    sm = malloc(((size_t)G + 1) * sizeof *sm);
    gmodel = malloc(((size_t)G + 1) * sizeof *gmodel);
    if (!cnt || !gsize || !grp_raw || !sizes || !sm || !gmodel) {
        api->log(r, SPAND_LOG_ERR,
                 "brokerage: out of memory (%lld vertices, %lld groups)",
                 (long long)n, (long long)G);
        goto out;
    }

    int c = count_roles(api, r, v, cnt);
    if (c != 0) {
        if (c > 0)
            api->log(r, SPAND_LOG_INFO, "brokerage: cancelled");
        goto out;
    }

    for (igraph_integer_t i = 0; i < n; i++)
        gsize[VECTOR(*v->group)[i]] += 1;

    /* Distinct non-empty group sizes with their multiplicities: at most
     * sqrt(2N) of them, so the per-size sums are O(N) in all. */
    size_t K = 0, ns = 0;
    for (igraph_integer_t g = 0; g < G; g++)
        if (gsize[g] > 0)
            sizes[ns++] = gsize[g];
    qsort(sizes, ns, sizeof *sizes, cmp_double);
    for (size_t i = 0; i < ns; i++) {
        if (K > 0 && sm[K - 1].size == sizes[i]) {
            sm[K - 1].mult += 1;
        } else {
            sm[K].size = sizes[i];
            sm[K].mult = 1;
            K++;
        }
    }

    const double N = (double)n;
    /* sna: d <- m / (N * (N - 1)); NaN for N < 2, as in R. */
    const double arcs = (double)igraph_ecount(v->graph);
    const double d = n >= 2 ? arcs / (N * (N - 1)) : NAN;
    const dens_t t = density_terms(d);
    for (size_t k = 0; k < K; k++)
        vertex_model(&sm[k], sm, K, N, t);
    for (igraph_integer_t g = 0; g < G; g++) {
        gmodel[g] = 0;
        if (gsize[g] > 0) {
            const size_model_t key = {.size = gsize[g]};
            const size_model_t *hit =
                bsearch(&key, sm, K, sizeof *sm, cmp_model);
            gmodel[g] = (size_t)(hit - sm); /* always found */
        }
    }

    double net_raw[NROLES] = {0}, net_e[NROLES], net_var[NROLES];
    int bad = 0;
    for (igraph_integer_t i = 0; i < n; i++) {
        const igraph_integer_t g = VECTOR(*v->group)[i];
        const size_model_t *m = &sm[gmodel[g]];
        double raw[NROLES];
        raw[TOTAL] = 0;
        for (int k = 0; k < TOTAL; k++) {
            raw[k] = (double)cnt[(size_t)i * 5 + (size_t)k];
            raw[TOTAL] += raw[k];
        }
        for (int k = 0; k < NROLES; k++) {
            grp_raw[(size_t)g * NROLES + (size_t)k] += raw[k];
            net_raw[k] += raw[k];
        }
        bad |= set_row(api, r, SPAND_TABLE_VERTEX, i, raw, m->e, m->var);
    }
    for (igraph_integer_t g = 0; g < G; g++)
        for (int k = 0; k < NROLES; k++)
            bad |= api->set(r, SPAND_TABLE_GROUP, g, COL_RAW(k),
                            grp_raw[(size_t)g * NROLES + (size_t)k]);
    network_model(gsize, G, N, t, net_e, net_var);
    bad |= set_row(api, r, SPAND_TABLE_NETWORK, 0, net_raw, net_e, net_var);
    if (bad) {
        api->log(r, SPAND_LOG_ERR, "brokerage: a result cell was refused");
        goto out;
    }
    api->progress(r, 1.0);
    rc = 0;
out:
    free(cnt);
    free(gsize);
    free(grp_raw);
    free(sizes);
    free(sm);
    free(gmodel);
    return rc;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "brokerage",
    .version = "1.0",
    .summary = "Gould-Fernandez brokerage roles with z-scores, as sna",
    .licence = "MIT",
    .params = NULL,
    .nparams = 0,
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
